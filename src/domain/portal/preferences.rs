//! The patient's preferences: how reminders reach them (if at all), the hours they must not
//! arrive in, and the language of the portal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::domain::clinical::patient::Patient;

use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// A local clock time to the minute, written `HH:MM` (24-hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime {
    hour: u8,
    minute: u8,
}

impl ClockTime {
    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(ClockTime { hour, minute })
    }

    pub fn hour(self) -> u8 {
        self.hour
    }

    pub fn minute(self) -> u8 {
        self.minute
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl FromStr for ClockTime {
    type Err = ();

    /// `HH:MM` (or `H:MM`), 00:00 to 23:59.
    fn from_str(raw: &str) -> Result<Self, ()> {
        let (h, m) = raw.trim().split_once(':').ok_or(())?;
        let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
            (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u8>().ok())
                .flatten()
                .ok_or(())
        };
        ClockTime::new(digits(h, 1..=2)?, digits(m, 2..=2)?).ok_or(())
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse()
            .map_err(|_| serde::de::Error::custom("expected a time as HH:MM"))
    }
}

/// The languages the portal speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Language {
    En,
    Sw,
    Fr,
    Pt,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::En, Language::Sw, Language::Fr, Language::Pt];

    /// The BCP 47 tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Sw => "sw",
            Language::Fr => "fr",
            Language::Pt => "pt",
        }
    }

    /// The language's name in itself, for the language picker.
    pub fn endonym(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Sw => "Kiswahili",
            Language::Fr => "Français",
            Language::Pt => "Português",
        }
    }

    /// Reads a tag; a regional one (`sw-KE`, `pt-MZ`) counts as its language.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.as_str() == primary)
    }
}

/// How reminders reach the patient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReminderChannel {
    #[default]
    Sms,
    Email,
    /// No reminders at all.
    None,
}

impl ReminderChannel {
    pub const ALL: [ReminderChannel; 3] = [
        ReminderChannel::Sms,
        ReminderChannel::Email,
        ReminderChannel::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReminderChannel::Sms => "sms",
            ReminderChannel::Email => "email",
            ReminderChannel::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw.trim())
    }
}

/// The patient's preferences as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Preferences {
    pub reminder_channel: ReminderChannel,
    /// No reminder between these local clock times (`HH:MM`); they may cross midnight.
    #[cfg_attr(feature = "server", schema(value_type = Option<String>, example = "21:00"))]
    pub quiet_from: Option<ClockTime>,
    #[cfg_attr(feature = "server", schema(value_type = Option<String>, example = "07:00"))]
    pub quiet_until: Option<ClockTime>,
    /// `None`: the browser's language.
    pub language: Option<Language>,
}

impl Default for Preferences {
    /// Reminders by SMS, no quiet hours, the browser's language.
    fn default() -> Self {
        Preferences {
            reminder_channel: ReminderChannel::Sms,
            quiet_from: None,
            quiet_until: None,
            language: None,
        }
    }
}

impl Preferences {
    /// What a patient who never chose has: reminders by SMS when a phone is on their record,
    /// else by email when an address is, else none.
    pub fn default_for(has_phone: bool, has_email: bool) -> Self {
        let reminder_channel = if has_phone {
            ReminderChannel::Sms
        } else if has_email {
            ReminderChannel::Email
        } else {
            ReminderChannel::None
        };
        Preferences {
            reminder_channel,
            ..Preferences::default()
        }
    }

    /// Whether `at` (local clock time) falls in the quiet hours.
    pub fn is_quiet_at(&self, at: ClockTime) -> bool {
        match (self.quiet_from, self.quiet_until) {
            (Some(from), Some(until)) if from <= until => from <= at && at < until,
            (Some(from), Some(until)) => at >= from || at < until,
            _ => false,
        }
    }
}

/// A hospital the patient is registered at, with the record number it gave them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyHospital {
    pub hospital_id: Uuid,
    pub name: String,
    pub mrn: String,
}

/// `GET /me`: the profile as the patient's record holds it (contact details are changed at a
/// clinic, where identity is checked: they are where sign-in codes go), where they are
/// registered, and their preferences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyProfile {
    pub patient: Patient,
    pub hospitals: Vec<MyHospital>,
    pub preferences: Preferences,
}

/// What the patient sends (JSON or the portal's form): every field optional; an absent field
/// keeps what is stored, a blank quiet hour clears both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PreferencesInput {
    /// `sms`, `email` or `none` (one the record can reach: a phone for SMS, an address for
    /// email).
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::reminder_channel))]
    pub reminder_channel: Option<String>,
    /// `HH:MM`, or blank for no quiet hours; give both ends or neither.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::clock_time))]
    pub quiet_from: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::clock_time))]
    pub quiet_until: Option<String>,
    /// `en`, `sw`, `fr` or `pt`; blank for the browser's language.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::language))]
    pub language: Option<String>,
}

fn clock_time(errors: &mut Errors, field: &str, raw: &str) -> Option<ClockTime> {
    match raw.parse() {
        Ok(t) => Some(t),
        Err(_) => {
            errors.add(field, "must be a time of day as HH:MM, e.g. 21:00");
            None
        }
    }
}

impl PreferencesInput {
    /// The preferences after this change to `current`; `has_phone` / `has_email` say which
    /// channels the patient's record can reach.
    pub fn apply(
        &self,
        current: &Preferences,
        has_phone: bool,
        has_email: bool,
    ) -> Result<Preferences, ErrorKind> {
        let mut errors = Errors::new();
        let mut next = current.clone();
        if let Some(raw) = &self.reminder_channel {
            match ReminderChannel::parse(raw) {
                Some(ReminderChannel::Sms) if !has_phone => errors.add(
                    "reminder_channel",
                    "there is no phone number on your record; ask your clinic to add one",
                ),
                Some(ReminderChannel::Email) if !has_email => errors.add(
                    "reminder_channel",
                    "there is no email address on your record; ask your clinic to add one",
                ),
                Some(c) => next.reminder_channel = c,
                None => errors.add("reminder_channel", "must be one of sms, email, none"),
            }
        }
        let from = self.quiet_from.as_deref().map(str::trim);
        let until = self.quiet_until.as_deref().map(str::trim);
        match (from, until) {
            (None, None) => {}
            (Some(""), Some("")) | (Some(""), None) | (None, Some("")) => {
                next.quiet_from = None;
                next.quiet_until = None;
            }
            (Some(f), Some(u)) if !f.is_empty() && !u.is_empty() => {
                let f = clock_time(&mut errors, "quiet_from", f);
                let u = clock_time(&mut errors, "quiet_until", u);
                if f.is_some() && f == u {
                    errors.add(
                        "quiet_until",
                        "must differ from the start of the quiet hours",
                    );
                }
                next.quiet_from = f;
                next.quiet_until = u;
            }
            (f, _) => {
                let missing = if f.is_none_or(str::is_empty) {
                    "quiet_from"
                } else {
                    "quiet_until"
                };
                errors.add(missing, "give both ends of the quiet hours, or neither");
            }
        }
        if let Some(raw) = &self.language {
            if raw.trim().is_empty() {
                next.language = None;
            } else {
                match Language::parse(raw).filter(|l| l.as_str() == raw.trim()) {
                    Some(l) => next.language = Some(l),
                    None => errors.add("language", "must be one of en, sw, fr, pt"),
                }
            }
        }
        errors.finish(|| next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(channel: Option<&str>, from: Option<&str>, until: Option<&str>) -> PreferencesInput {
        PreferencesInput {
            reminder_channel: channel.map(str::to_string),
            quiet_from: from.map(str::to_string),
            quiet_until: until.map(str::to_string),
            language: None,
        }
    }

    #[test]
    fn clock_times_read_and_write_as_hh_mm() {
        let t: ClockTime = "7:05".parse().unwrap();
        assert_eq!(t.to_string(), "07:05");
        for bad in [
            "24:00", "12:60", "12", "1:5", "ab:cd", "12:000", "-1:00", "",
        ] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"07:05\"");
        assert_eq!(
            serde_json::from_str::<ClockTime>("\"21:30\"")
                .unwrap()
                .to_string(),
            "21:30"
        );
        assert!(serde_json::from_str::<ClockTime>("\"9pm\"").is_err());
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let p = input(None, Some("21:00"), Some("07:00"))
            .apply(&Preferences::default(), true, false)
            .unwrap();
        let t = |s: &str| s.parse::<ClockTime>().unwrap();
        assert!(p.is_quiet_at(t("23:30")));
        assert!(p.is_quiet_at(t("06:59")));
        assert!(!p.is_quiet_at(t("07:00")));
        assert!(!p.is_quiet_at(t("12:00")));
        let day = input(None, Some("13:00"), Some("14:00"))
            .apply(&p, true, false)
            .unwrap();
        assert!(day.is_quiet_at(t("13:30")) && !day.is_quiet_at(t("23:30")));
        let cleared = input(None, Some(""), Some(" "))
            .apply(&day, true, false)
            .unwrap();
        assert_eq!(cleared.quiet_from, None);
    }

    #[test]
    fn bad_choices_name_their_field() {
        let fields = |i: PreferencesInput, phone: bool, email: bool| {
            i.apply(&Preferences::default(), phone, email)
                .unwrap_err()
                .fields()
                .into_keys()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(input(Some("fax"), None, None), true, true),
            ["reminder_channel"]
        );
        assert_eq!(
            fields(input(Some("email"), None, None), true, false),
            ["reminder_channel"]
        );
        assert_eq!(
            fields(input(None, Some("9pm"), Some("07:00")), true, true),
            ["quiet_from"]
        );
        assert_eq!(
            fields(input(None, Some("21:00"), None), true, true),
            ["quiet_until"]
        );
        assert_eq!(
            fields(input(None, Some("07:00"), Some("07:00")), true, true),
            ["quiet_until"]
        );
        let lang = PreferencesInput {
            language: Some("de".into()),
            ..Default::default()
        };
        assert_eq!(fields(lang, true, true), ["language"]);
        let none = input(Some("none"), None, None)
            .apply(&Preferences::default(), false, false)
            .unwrap();
        assert_eq!(none.reminder_channel, ReminderChannel::None);
    }
}
