//! The schedule as the front desk reads it: one provider's day or week in the hospital's own
//! clock, cut into slots, each free (tap to book) or held by a visit; and the booking form the
//! schedule opens, in local time.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::appointment::{Appointment, VisitType, NOTES_MAX, REASON_MAX};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// How long one slot of the grid lasts.
pub const SLOT_MINUTES: i64 = 30;
/// The grid runs from this hour to the closing hour, wider when a visit falls outside.
pub const OPENS: u32 = 7;
pub const CLOSES: u32 = 18;
/// The lengths a booking from the schedule may take, in minutes.
pub const LENGTHS: [i64; 6] = [15, 20, 30, 45, 60, 90];

/// A day or a week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    #[default]
    Day,
    Week,
}

impl Span {
    pub fn parse(raw: &str) -> Self {
        if raw.trim() == "week" {
            Span::Week
        } else {
            Span::Day
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Span::Day => "day",
            Span::Week => "week",
        }
    }

    /// The days shown for `day`: itself, or Monday to Sunday of its week.
    pub fn days(self, day: NaiveDate) -> Vec<NaiveDate> {
        match self {
            Span::Day => vec![day],
            Span::Week => {
                let monday = day - Duration::days(day.weekday().num_days_from_monday() as i64);
                (0..7).map(|n| monday + Duration::days(n)).collect()
            }
        }
    }

    /// The first day of the previous and the next page.
    pub fn step(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let n = match self {
            Span::Day => 1,
            Span::Week => 7,
        };
        (day - Duration::days(n), day + Duration::days(n))
    }
}

/// A clinician one may book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub id: Uuid,
    pub name: String,
}

/// A visit on the schedule: the appointment and its times on the hospital's clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub appointment: Appointment,
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
}

impl Visit {
    /// Whether it holds some of `start..end` (a cancelled or missed visit holds nothing).
    pub fn holds(&self, start: NaiveDateTime, end: NaiveDateTime) -> bool {
        self.appointment.status.holds_time() && self.local_start < end && start < self.local_end
    }
}

/// One slot of a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// The visits that start in this slot (shown in it).
    pub starting: Vec<usize>,
    /// Whether a visit holds any of it.
    pub held: bool,
    /// Whether it has begun already.
    pub past: bool,
}

/// One day of the grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub date: NaiveDate,
    pub slots: Vec<Slot>,
}

/// What the schedule page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub providers: Vec<Provider>,
    /// The provider shown (none when the hospital has no clinician).
    pub provider: Option<Provider>,
    pub timezone: String,
    pub span: Span,
    /// The day asked for (the week around it for a week).
    pub day: NaiveDate,
    pub today: NaiveDate,
    pub days: Vec<Day>,
    pub visits: Vec<Visit>,
    /// The viewer books, checks in, marks missed and cancels (`appointments.write`).
    pub may_book: bool,
    /// The viewer completes visits (`records.write` too).
    pub may_complete: bool,
}

fn at(date: NaiveDate, minutes: i64) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::minutes(minutes)
}

/// Cuts `days` into slots and places `visits` (any order) in them; `now` marks past slots.
pub fn lay_out(days: &[NaiveDate], visits: &[Visit], now: NaiveDateTime) -> Vec<Day> {
    days.iter()
        .map(|&date| {
            let of_day: Vec<(usize, &Visit)> = visits
                .iter()
                .enumerate()
                .filter(|(_, v)| v.local_start.date() <= date && date <= v.local_end.date())
                .collect();
            let minute_of = |t: NaiveDateTime| (t - at(date, 0)).num_minutes().clamp(0, 24 * 60);
            let first = of_day
                .iter()
                .map(|(_, v)| minute_of(v.local_start))
                .fold(OPENS as i64 * 60, i64::min);
            let last = of_day
                .iter()
                .map(|(_, v)| minute_of(v.local_end))
                .fold(CLOSES as i64 * 60, i64::max);
            let first = first - first.rem_euclid(SLOT_MINUTES);
            let mut slots = Vec::new();
            let mut m = first;
            while m < last {
                let (start, end) = (at(date, m), at(date, m + SLOT_MINUTES));
                let starting = of_day
                    .iter()
                    .filter(|(_, v)| start <= v.local_start && v.local_start < end)
                    .map(|(i, _)| *i)
                    .collect();
                slots.push(Slot {
                    start,
                    end,
                    starting,
                    held: of_day.iter().any(|(_, v)| v.holds(start, end)),
                    past: start < now,
                });
                m += SLOT_MINUTES;
            }
            Day { date, slots }
        })
        .collect()
}

/// The visits of the schedule a booking of `start..end` would overlap.
pub fn clashes(visits: &[Visit], start: NaiveDateTime, end: NaiveDateTime) -> Vec<&Visit> {
    visits.iter().filter(|v| v.holds(start, end)).collect()
}

/// A day `YYYY-MM-DD` and a clock time `HH:MM` as one local moment (read by hand: the
/// browser's bundle carries no date-format parser).
pub fn local_moment(date: &str, time: &str) -> Option<NaiveDateTime> {
    let mut d = date.trim().split('-');
    let (y, m, dd) = (d.next()?, d.next()?, d.next()?);
    if d.next().is_some() || y.len() != 4 || m.len() != 2 || dd.len() != 2 {
        return None;
    }
    let (h, min) = time.trim().split_once(':')?;
    if h.len() != 2 || min.len() != 2 {
        return None;
    }
    let number = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let day = NaiveDate::from_ymd_opt(number(y)? as i32, number(m)?, number(dd)?)?;
    Some(day.and_time(NaiveTime::from_hms_opt(number(h)?, number(min)?, 0)?))
}

/// `09:30`.
pub fn clock(t: NaiveDateTime) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// `Mon 4 May`.
pub fn day_label(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = match date.weekday() {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    };
    format!(
        "{weekday} {} {}",
        date.day(),
        MONTHS[date.month0() as usize]
    )
}

/// The booking form of the schedule, in the hospital's local time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalBooking {
    /// The patient, when the booking starts from their chart.
    pub patient_id: Option<String>,
    /// Otherwise their record number at this hospital.
    pub mrn: Option<String>,
    pub provider_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `HH:MM`, the hospital's clock.
    pub time: Option<String>,
    /// One of [`LENGTHS`].
    pub minutes: Option<String>,
    pub visit_type: Option<String>,
    pub reason: Option<String>,
    pub notes: Option<String>,
}

/// Who a booking is for: an id, or a record number to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatientRef {
    Id(Uuid),
    Mrn(String),
}

/// A booking from the schedule that meets the rules of its own fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidLocalBooking {
    pub patient: PatientRef,
    pub provider_id: Uuid,
    pub start: NaiveDateTime,
    pub minutes: i64,
    pub visit_type: VisitType,
    pub reason: Option<String>,
    pub notes: Option<String>,
}

impl LocalBooking {
    pub fn validate(&self) -> Result<ValidLocalBooking, ErrorKind> {
        let mut e = Errors::new();
        let trimmed = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let patient = match (trimmed(&self.patient_id), trimmed(&self.mrn)) {
            (Some(id), _) => match Uuid::parse_str(&id) {
                Ok(id) => Some(PatientRef::Id(id)),
                Err(_) => {
                    e.add("mrn", "choose the patient again");
                    None
                }
            },
            (None, Some(mrn)) if mrn.chars().count() <= 40 => Some(PatientRef::Mrn(mrn)),
            (None, Some(_)) => {
                e.add("mrn", "must be at most 40 characters");
                None
            }
            (None, None) => {
                e.add("mrn", "is required: the patient's record number");
                None
            }
        };
        let provider_id = match trimmed(&self.provider_id).map(|p| Uuid::parse_str(&p)) {
            Some(Ok(id)) => Some(id),
            _ => {
                e.add("provider_id", "choose a clinician");
                None
            }
        };
        let date = match trimmed(&self.date) {
            None => {
                e.add("date", "is required");
                None
            }
            Some(d) => {
                let parsed = local_moment(&d, "00:00")
                    .map(|m| m.date())
                    .filter(|d| (2000..=2100).contains(&d.year()));
                if parsed.is_none() {
                    e.add("date", "must be a date such as 2026-05-04");
                }
                parsed
            }
        };
        let time = match trimmed(&self.time) {
            None => {
                e.add("time", "is required");
                None
            }
            Some(t) => {
                let parsed = local_moment("2000-01-01", &t).map(|m| m.time());
                if parsed.is_none() {
                    e.add("time", "must be a time such as 09:30");
                }
                parsed
            }
        };
        let minutes = match trimmed(&self.minutes) {
            None => 30,
            Some(m) => match m.parse::<i64>() {
                Ok(n) if LENGTHS.contains(&n) => n,
                _ => {
                    e.add("minutes", "must be 15, 20, 30, 45, 60 or 90 minutes");
                    30
                }
            },
        };
        let visit_type = match trimmed(&self.visit_type) {
            None => VisitType::default(),
            Some(v) => VisitType::parse(&v).unwrap_or_else(|| {
                e.add("visit_type", "choose a kind of visit");
                VisitType::default()
            }),
        };
        let reason = e.optional_text("reason", self.reason.as_deref(), REASON_MAX);
        let notes = e.optional_text("notes", self.notes.as_deref(), NOTES_MAX);
        match (patient, provider_id, date, time) {
            (Some(patient), Some(provider_id), Some(date), Some(time)) if e.is_empty() => {
                Ok(ValidLocalBooking {
                    patient,
                    provider_id,
                    start: date.and_time(time),
                    minutes,
                    visit_type,
                    reason,
                    notes,
                })
            }
            _ => Err(e.into_kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scheduling::appointment::AppointmentStatus;
    use chrono::{TimeZone, Utc};

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 6).unwrap()
    }

    fn visit(h: u32, m: u32, minutes: i64, status: AppointmentStatus) -> Visit {
        let start = day().and_hms_opt(h, m, 0).unwrap();
        let utc = Utc.with_ymd_and_hms(2026, 5, 6, h, m, 0).unwrap();
        Visit {
            appointment: Appointment {
                appointment_id: Uuid::now_v7(),
                hospital_id: Uuid::nil(),
                patient_id: Uuid::nil(),
                patient_name: Some("Amina Odhiambo".into()),
                provider_user_id: Uuid::nil(),
                provider_name: "Dr Otieno".into(),
                scheduled_start: utc,
                scheduled_end: utc + Duration::minutes(minutes),
                local_start: start,
                local_end: start + Duration::minutes(minutes),
                timezone: "UTC".into(),
                status,
                visit_type: VisitType::Refill,
                reason: None,
                notes: None,
                cpt_id: None,
                checked_in_at: None,
                completed_at: None,
                cancelled_at: None,
                created_at: utc,
                updated_at: utc,
                version: 1,
            },
            local_start: start,
            local_end: start + Duration::minutes(minutes),
        }
    }

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let days = Span::Week.days(day());
        assert_eq!(days.len(), 7);
        assert_eq!(days[0].weekday(), Weekday::Mon);
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 5, 4).unwrap());
        assert_eq!(Span::Day.days(day()), vec![day()]);
        assert_eq!(Span::Week.step(day()).1, day() + Duration::days(7));
        assert_eq!(day_label(days[0]), "Mon 4 May");
    }

    #[test]
    fn visits_fill_their_slots_and_free_time_stays_bookable() {
        use AppointmentStatus::*;
        let visits = vec![
            visit(9, 0, 45, Scheduled),
            visit(10, 0, 30, Cancelled),
            visit(6, 15, 30, Completed),
            visit(19, 0, 30, NoShow),
        ];
        let now = day().and_hms_opt(9, 10, 0).unwrap();
        let days = lay_out(&[day()], &visits, now);
        let slots = &days[0].slots;
        // Widened to the early visit (06:00) and the late one (19:30).
        assert_eq!(clock(slots[0].start), "06:00");
        assert_eq!(clock(slots.last().unwrap().end), "19:30");
        let slot = |t: &str| slots.iter().find(|s| clock(s.start) == t).unwrap();
        assert!(
            slot("09:00").held && slot("09:30").held,
            "45 minutes hold two slots"
        );
        assert_eq!(slot("09:00").starting, vec![0]);
        assert!(slot("09:30").starting.is_empty());
        assert!(!slot("10:00").held, "a cancelled visit frees its time");
        assert_eq!(slot("10:00").starting, vec![1], "and is still shown");
        assert!(!slot("19:00").held, "a missed visit holds nothing");
        assert!(slot("06:00").held);
        assert!(slot("09:00").past && !slot("09:30").past);
        let at = |h, m| day().and_hms_opt(h, m, 0).unwrap();
        assert_eq!(clashes(&visits, at(9, 30), at(10, 0)).len(), 1);
        assert!(
            clashes(&visits, at(9, 45), at(10, 30)).is_empty(),
            "back to back"
        );
    }

    #[test]
    fn local_moments_are_read_by_hand() {
        assert_eq!(
            local_moment("2026-05-06", "09:30"),
            day().and_hms_opt(9, 30, 0)
        );
        for (d, t) in [
            ("2026-5-6", "09:30"),
            ("2026-05-06", "9:30"),
            ("2026-02-30", "09:30"),
            ("2026-05-06", "24:00"),
            ("2026-05-06", "09:3a"),
            ("2026-05-06-1", "09:30"),
            ("+026-05-06", "09:30"),
        ] {
            assert_eq!(local_moment(d, t), None, "{d} {t}");
        }
    }

    #[test]
    fn a_booking_from_the_schedule_names_what_is_wrong() {
        let ok = LocalBooking {
            mrn: Some(" KSM-0001 ".into()),
            provider_id: Some(Uuid::now_v7().to_string()),
            date: Some("2026-05-06".into()),
            time: Some("09:30".into()),
            minutes: Some("20".into()),
            visit_type: Some("refill".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.patient, PatientRef::Mrn("KSM-0001".into()));
        assert_eq!(ok.start, day().and_hms_opt(9, 30, 0).unwrap());
        assert_eq!((ok.minutes, ok.visit_type), (20, VisitType::Refill));
        let err = LocalBooking {
            minutes: Some("25".into()),
            date: Some("6/5/2026".into()),
            time: Some("9h30".into()),
            visit_type: Some("surgery".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        for field in [
            "mrn",
            "provider_id",
            "date",
            "time",
            "minutes",
            "visit_type",
        ] {
            assert_eq!(err.field(field).len(), 1, "{field}: {err:?}");
        }
    }
}
