//! The hospital registry: input, validation and the public view of a hospital.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::error::ErrorKind;
use crate::domain::validate::Errors;

/// ISO 3166-1 alpha-2 country codes.
pub const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `code` is an ISO 3166-1 alpha-2 country code (upper case).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code)
}

/// What a caller sends to register or edit a hospital. Every field is optional here so a
/// missing one becomes a field error rather than a parse failure; unknown fields are rejected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HospitalInput {
    /// Display name, 2-200 characters.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::hospital_name))]
    pub name: Option<String>,
    /// Short network-unique code: 2-20 letters, digits or hyphens; stored upper case.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::hospital_code))]
    pub code: Option<String>,
    /// Postal address (optional, up to 500 characters).
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::address))]
    pub address: Option<String>,
    /// Contact email of the hospital's HIV programme.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::email))]
    pub contact_email: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. `KE`.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::country))]
    pub country: Option<String>,
    /// Whether the hospital takes part in the network (default true).
    pub active: Option<bool>,
}

/// A validated hospital, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidHospital {
    pub name: String,
    pub code: String,
    pub address: Option<String>,
    pub contact_email: String,
    pub country: String,
    pub active: bool,
}

impl HospitalInput {
    /// Parses every field, reporting all problems at once.
    pub fn validate(&self) -> Result<ValidHospital, ErrorKind> {
        let mut e = Errors::new();
        let name = e.required_text("name", self.name.as_deref(), 2, 200);
        let code = e
            .required_text("code", self.code.as_deref(), 2, 20)
            .to_uppercase();
        if !code.is_empty() && !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            e.add("code", "may contain only letters, digits and hyphens");
        }
        let address = e.optional_text("address", self.address.as_deref(), 500);
        let contact_email = e.email("contact_email", self.contact_email.as_deref());
        let country = self
            .country
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .unwrap_or_default();
        if country.is_empty() {
            e.add("country", "is required");
        } else if !is_country_code(&country) {
            e.add(
                "country",
                "must be an ISO 3166-1 two-letter country code, e.g. KE",
            );
        }
        let active = self.active.unwrap_or(true);
        e.finish(|| ValidHospital {
            name,
            code,
            address,
            contact_email,
            country,
            active,
        })
    }
}

/// The shortest and longest break-glass opening a hospital may set (15 minutes, 24 hours).
pub const BREAK_GLASS_MINUTES: std::ops::RangeInclusive<i32> = 15..=1440;

/// `PUT /hospitals/{id}/settings`: what the hospital's own admins set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HospitalSettings {
    /// How long a break-glass opening lasts, 15-1440 minutes.
    #[cfg_attr(
        feature = "server",
        schema(required = true, minimum = 15, maximum = 1440)
    )]
    pub break_glass_minutes: Option<i32>,
    /// The hospital's time zone, as the tz database names it (`Africa/Nairobi`): the days of
    /// its schedule and the hour its reminders go out. Left out: unchanged.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::timezone))]
    pub timezone: Option<String>,
    /// The decision-support rule set (`who`, `kenya`): the viral-load thresholds and
    /// intervals the flags, worklists and indicators use. Left out: unchanged.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::rule_set))]
    pub rule_set: Option<String>,
}

/// Settings that meet the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSettings {
    pub break_glass_minutes: i32,
    pub timezone: Option<String>,
    pub rule_set: Option<String>,
}

/// Whether `name` is a time zone of the tz database (server side, where the database is).
#[cfg(feature = "server")]
pub fn is_timezone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

impl HospitalSettings {
    pub fn validate(&self) -> Result<ValidSettings, ErrorKind> {
        let timezone = self.timezone.as_deref().map(str::trim).map(str::to_string);
        #[cfg(feature = "server")]
        if let Some(tz) = &timezone {
            if !is_timezone(tz) {
                return Err(ErrorKind::invalid_field(
                    "timezone",
                    "must be a time zone of the tz database, such as Africa/Nairobi",
                ));
            }
        }
        let rule_set = self.rule_set.as_deref().map(str::trim).map(str::to_string);
        if let Some(r) = &rule_set {
            if !crate::domain::cds::RuleSet::IDS.contains(&r.as_str()) {
                return Err(ErrorKind::invalid_field(
                    "rule_set",
                    format!(
                        "must be one of {}",
                        crate::domain::cds::RuleSet::IDS.join(", ")
                    ),
                ));
            }
        }
        let minutes = match self.break_glass_minutes {
            None => Err(ErrorKind::invalid_field(
                "break_glass_minutes",
                "is required",
            )),
            Some(m) if !BREAK_GLASS_MINUTES.contains(&m) => Err(ErrorKind::invalid_field(
                "break_glass_minutes",
                "must be between 15 and 1440 (24 hours)",
            )),
            Some(m) => Ok(m),
        }?;
        Ok(ValidSettings {
            break_glass_minutes: minutes,
            timezone,
            rule_set,
        })
    }
}

fn utc() -> String {
    "UTC".into()
}

fn who() -> String {
    "who".into()
}

/// A hospital as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Hospital {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub address: Option<String>,
    pub contact_email: String,
    pub country: String,
    pub active: bool,
    /// How long a break-glass opening lasts at this hospital, in minutes.
    #[serde(default)]
    pub break_glass_minutes: i32,
    /// The hospital's time zone (tz database name): its schedule's days, its reminders' hours.
    #[serde(default = "utc")]
    pub timezone: String,
    /// The decision-support rule set (`who`, `kenya`).
    #[serde(default = "who")]
    pub rule_set: String,
    /// Optimistic-concurrency version; send it back as `If-Match` when updating.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> HospitalInput {
        HospitalInput {
            name: Some("  Kisumu County Referral ".into()),
            code: Some("ksm-01".into()),
            address: Some("".into()),
            contact_email: Some("HIV@Kisumu.example.org".into()),
            country: Some("ke".into()),
            active: None,
        }
    }

    #[test]
    fn normalises_a_good_hospital() {
        let h = input().validate().unwrap();
        assert_eq!(h.name, "Kisumu County Referral");
        assert_eq!(h.code, "KSM-01");
        assert_eq!(h.address, None);
        assert_eq!(h.contact_email, "hiv@kisumu.example.org");
        assert_eq!(h.country, "KE");
        assert!(h.active);
    }

    #[test]
    fn names_every_bad_field() {
        let err = HospitalInput {
            name: None,
            code: Some("a b".into()),
            address: Some("x".repeat(501)),
            contact_email: Some("not-an-email".into()),
            country: Some("XX".into()),
            active: Some(false),
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.status(), 400);
        let fields = err.fields();
        for f in ["name", "code", "address", "contact_email", "country"] {
            assert!(fields.contains_key(f), "{f} missing in {fields:?}");
        }
    }

    #[test]
    fn country_codes() {
        assert!(is_country_code("KE") && is_country_code("ZA") && is_country_code("UG"));
        assert!(!is_country_code("XX") && !is_country_code("ke") && !is_country_code("KEN"));
        assert_eq!(COUNTRIES.split(' ').count(), 249);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<HospitalInput>(r#"{"name":"x","beds":3}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `beds`"));
    }
}
