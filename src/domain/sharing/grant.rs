//! Consent grants (SPEC 2.6): the patient lets one hospital see chosen categories of their data,
//! held by any hospital of the network, for a purpose, from a start until an optional expiry or
//! a revocation. Whether a grant counts is a pure function of the moment: expiry and revocation
//! take effect on the very next request, with no job.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::record::parse_datetime;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// The longest a grant may last: two years.
pub const MAX_GRANT_DAYS: i64 = 730;

/// Why the hospital is given access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Ongoing care at the grantee hospital.
    Treatment,
    /// The patient is referred there for a service.
    Referral,
    /// The patient moves their care there.
    Transfer,
    /// A specialist's opinion.
    SecondOpinion,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::Treatment,
        Purpose::Referral,
        Purpose::Transfer,
        Purpose::SecondOpinion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Treatment => "treatment",
            Purpose::Referral => "referral",
            Purpose::Transfer => "transfer",
            Purpose::SecondOpinion => "second_opinion",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw.trim())
    }
}

/// How the patient's consent was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    /// By the patient in the portal.
    Patient,
    /// Recorded by staff with the patient's signed consent form (an attachment).
    SignedForm,
    /// Recorded by staff when the patient read back a one-time code sent to them.
    CodeConfirmed,
}

impl GrantSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantSource::Patient => "patient",
            GrantSource::SignedForm => "signed_form",
            GrantSource::CodeConfirmed => "code_confirmed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            GrantSource::Patient,
            GrantSource::SignedForm,
            GrantSource::CodeConfirmed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// Where a grant stands at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// Starts later.
    Scheduled,
    Active,
    Expired,
    Revoked,
}

/// The moments that decide a grant's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Term {
    /// The status at `now`: a revocation wins, then the expiry (exclusive), then the start.
    pub fn status_at(&self, now: DateTime<Utc>) -> GrantStatus {
        if self.revoked_at.is_some_and(|r| r <= now) {
            GrantStatus::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            GrantStatus::Expired
        } else if self.starts_at > now {
            GrantStatus::Scheduled
        } else {
            GrantStatus::Active
        }
    }
}

/// The categories the grants of one hospital open at `now`: the union of the active ones.
pub fn granted_categories<'a>(
    grants: impl IntoIterator<Item = (&'a Term, &'a [DataCategory])>,
    now: DateTime<Utc>,
) -> BTreeSet<DataCategory> {
    grants
        .into_iter()
        .filter(|(term, _)| term.status_at(now) == GrantStatus::Active)
        .flat_map(|(_, categories)| categories.iter().copied())
        .collect()
}

/// The stored form of a list of categories: their names, comma-separated.
pub fn categories_text(categories: &[DataCategory]) -> String {
    categories
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The categories of a stored list (unknown names are skipped).
pub fn categories_from_text(text: &str) -> Vec<DataCategory> {
    text.split(',').filter_map(DataCategory::parse).collect()
}

/// Reads the categories a grant names. `all` is every category but `sensitive`, which is
/// shared only when named.
pub fn parse_categories(e: &mut Errors, field: &str, raw: Option<&[String]>) -> Vec<DataCategory> {
    let raw = raw.unwrap_or_default();
    let mut out = BTreeSet::new();
    for name in raw {
        let name = name.trim();
        if name == "all" {
            out.extend(
                DataCategory::ALL
                    .into_iter()
                    .filter(|c| *c != DataCategory::Sensitive),
            );
        } else if let Some(c) = DataCategory::parse(name) {
            out.insert(c);
        } else {
            e.add(
                field,
                format!(
                    "`{name}` is not a data category; use all or {}",
                    DataCategory::ALL.map(DataCategory::as_str).join(", ")
                ),
            );
        }
    }
    if raw.is_empty() {
        e.add(field, "name at least one data category, or all");
    }
    out.into_iter().collect()
}

/// A grant staff record on the patient's behalf with the signed consent form
/// (`POST /patients/{id}/consent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// The hospital given access.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub hospital_id: Option<Uuid>,
    /// Data categories, or `all` (every category but `sensitive`, which must be named).
    #[cfg_attr(feature = "server", schema(required = true, value_type = Vec<DataCategory>, min_items = 1))]
    pub categories: Option<Vec<String>>,
    #[cfg_attr(feature = "server", schema(required = true, value_type = Purpose))]
    pub purpose: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD` (midnight UTC); now when omitted.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::moment))]
    pub starts_at: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD` (the end of that day, UTC); none: until revoked. In the
    /// future, at most two years after the start.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::moment))]
    pub expires_at: Option<String>,
    /// The patient's signed consent form, uploaded as an attachment of kind `consent_form`.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub consent_form_id: Option<Uuid>,
}

/// A validated grant, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidGrant {
    pub hospital_id: Uuid,
    pub categories: Vec<DataCategory>,
    pub purpose: Purpose,
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub consent_form_id: Uuid,
}

/// A date alone means midnight UTC at its start (`starts_at`) or at its end (`expires_at`).
fn moment(raw: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end_of_day { date.succ_opt()? } else { date };
        return Some(day.and_time(NaiveTime::MIN).and_utc());
    }
    parse_datetime(raw)
}

/// What a grant opens and for how long, as asked for (recorded with a form, or requested
/// for the patient's code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    pub categories: Vec<DataCategory>,
    pub purpose: Purpose,
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Parses the terms of a grant against `now` into `e`.
pub fn parse_terms(
    e: &mut Errors,
    categories: Option<&[String]>,
    purpose: Option<&str>,
    starts_at: Option<&str>,
    expires_at: Option<&str>,
    now: DateTime<Utc>,
) -> Terms {
    let categories = parse_categories(e, "categories", categories);
    let purpose = match purpose.map(str::trim) {
        None | Some("") => {
            e.add("purpose", "is required");
            None
        }
        Some(p) => Purpose::parse(p).or_else(|| {
            e.add(
                "purpose",
                format!(
                    "must be one of {}",
                    Purpose::ALL.map(Purpose::as_str).join(", ")
                ),
            );
            None
        }),
    };
    let starts_at = match starts_at.filter(|s| !s.trim().is_empty()) {
        None => Some(now),
        Some(raw) => match moment(raw, false) {
            None => {
                e.add(
                    "starts_at",
                    "must be a date (YYYY-MM-DD) or an RFC 3339 time",
                );
                None
            }
            // From yesterday (a date alone is midnight) to two years ahead.
            Some(at)
                if at < now - chrono::Duration::days(1)
                    || at > now + chrono::Duration::days(MAX_GRANT_DAYS) =>
            {
                e.add(
                    "starts_at",
                    "must be between yesterday and two years from now",
                );
                None
            }
            Some(at) => Some(at),
        },
    };
    let expires_at = match expires_at.filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(raw) => match moment(raw, true) {
            None => {
                e.add(
                    "expires_at",
                    "must be a date (YYYY-MM-DD) or an RFC 3339 time",
                );
                None
            }
            Some(at) if at <= now => {
                e.add("expires_at", "must be in the future");
                None
            }
            Some(at) => Some(at),
        },
    };
    if let (Some(start), Some(end)) = (starts_at, expires_at) {
        if end <= start {
            e.add("expires_at", "must be after the start");
        } else if end - start > chrono::Duration::days(MAX_GRANT_DAYS) {
            e.add("expires_at", "must be at most two years after the start");
        }
    }
    Terms {
        categories,
        purpose: purpose.unwrap_or(Purpose::Treatment),
        starts_at: starts_at.unwrap_or(now),
        expires_at,
    }
}

impl GrantInput {
    /// Parses every field against `now`, reporting all problems at once.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<ValidGrant, ErrorKind> {
        let mut e = Errors::new();
        if self.hospital_id.is_none() {
            e.add("hospital_id", "is required: the hospital given access");
        }
        let terms = parse_terms(
            &mut e,
            self.categories.as_deref(),
            self.purpose.as_deref(),
            self.starts_at.as_deref(),
            self.expires_at.as_deref(),
            now,
        );
        if self.consent_form_id.is_none() {
            e.add(
                "consent_form_id",
                "is required: upload the patient's signed consent form first",
            );
        }
        e.finish(|| ValidGrant {
            hospital_id: self.hospital_id.unwrap_or_default(),
            categories: terms.categories,
            purpose: terms.purpose,
            starts_at: terms.starts_at,
            expires_at: terms.expires_at,
            consent_form_id: self.consent_form_id.unwrap_or_default(),
        })
    }
}

/// `POST /patients/{id}/consent-requests`: staff ask the patient, in front of them, to share
/// with the caller's hospital; a one-time code goes to the patient's phone (or email).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentRequestInput {
    /// Data categories, or `all` (every category but `sensitive`, which must be named).
    #[cfg_attr(feature = "server", schema(required = true, value_type = Vec<DataCategory>, min_items = 1))]
    pub categories: Option<Vec<String>>,
    #[cfg_attr(feature = "server", schema(required = true, value_type = Purpose))]
    pub purpose: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD` (the end of that day, UTC); none: until revoked. In the
    /// future, at most two years ahead.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::moment))]
    pub expires_at: Option<String>,
}

impl ConsentRequestInput {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<Terms, ErrorKind> {
        let mut e = Errors::new();
        let terms = parse_terms(
            &mut e,
            self.categories.as_deref(),
            self.purpose.as_deref(),
            None,
            self.expires_at.as_deref(),
            now,
        );
        e.finish(|| terms)
    }
}

/// A request waiting for the patient's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConsentRequest {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The hospital that asks (and would be given access).
    pub hospital_id: Uuid,
    pub categories: Vec<DataCategory>,
    pub purpose: Purpose,
    pub expires_at: Option<DateTime<Utc>>,
    /// `sms` or `email`: where the code went.
    pub sent_by: String,
    /// The code works until then.
    pub code_expires_at: DateTime<Utc>,
}

/// `POST /patients/{id}/consent-requests/{rid}/confirm`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    /// The 6-digit code the patient reads out.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::six_digit_code))]
    pub code: Option<String>,
}

/// The discreet text of a consent code: the hospital asking, the code, nothing of the clinic
/// type or condition.
pub fn consent_code_message(hospital: &str, code: &str, minutes: i64) -> String {
    format!(
        "HospitalLink: to let {hospital} see your record, give this code to the person who \
         asked: {code}. It expires in {minutes} minutes. If nobody asked you, ignore it."
    )
}

/// `POST /sharing/grant`: the patient lets a hospital see categories of their record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientGrantInput {
    /// The hospital given access.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub hospital_id: Option<Uuid>,
    /// Data categories, or `all` (every category but `sensitive`, which must be named).
    #[cfg_attr(feature = "server", schema(required = true, value_type = Vec<DataCategory>, min_items = 1))]
    pub categories: Option<Vec<String>>,
    #[cfg_attr(feature = "server", schema(required = true, value_type = Purpose))]
    pub purpose: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD` (the end of that day, UTC); none: until revoked. In the
    /// future, at most two years ahead.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::moment))]
    pub expires_at: Option<String>,
}

impl PatientGrantInput {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(Uuid, Terms), ErrorKind> {
        let mut e = Errors::new();
        if self.hospital_id.is_none() {
            e.add("hospital_id", "is required: the hospital given access");
        }
        let terms = parse_terms(
            &mut e,
            self.categories.as_deref(),
            self.purpose.as_deref(),
            None,
            self.expires_at.as_deref(),
            now,
        );
        e.finish(|| (self.hospital_id.unwrap_or_default(), terms))
    }
}

/// A grant as staff and the patient see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Grant {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The hospital given access.
    pub hospital_id: Uuid,
    pub hospital_name: String,
    pub categories: Vec<DataCategory>,
    pub purpose: Purpose,
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub status: GrantStatus,
    pub source: GrantSource,
    /// The signed consent form, when staff recorded the grant with one.
    pub consent_form_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
    }

    fn input() -> GrantInput {
        GrantInput {
            hospital_id: Some(Uuid::now_v7()),
            categories: Some(vec!["labs".into()]),
            purpose: Some("treatment".into()),
            consent_form_id: Some(Uuid::now_v7()),
            ..Default::default()
        }
    }

    #[test]
    fn a_grant_counts_from_its_start_until_it_expires_or_is_revoked() {
        let t = now();
        let term = Term {
            starts_at: t,
            expires_at: Some(t + Duration::days(30)),
            revoked_at: None,
        };
        assert_eq!(
            term.status_at(t - Duration::seconds(1)),
            GrantStatus::Scheduled
        );
        assert_eq!(term.status_at(t), GrantStatus::Active);
        assert_eq!(
            term.status_at(t + Duration::days(30) - Duration::seconds(1)),
            GrantStatus::Active
        );
        assert_eq!(term.status_at(t + Duration::days(30)), GrantStatus::Expired);
        let revoked = Term {
            revoked_at: Some(t + Duration::days(1)),
            ..term
        };
        assert_eq!(
            revoked.status_at(t + Duration::hours(1)),
            GrantStatus::Active
        );
        assert_eq!(
            revoked.status_at(t + Duration::days(1)),
            GrantStatus::Revoked
        );
        let open = Term {
            expires_at: None,
            ..term
        };
        assert_eq!(
            open.status_at(t + Duration::days(3650)),
            GrantStatus::Active
        );
    }

    #[test]
    fn only_active_grants_open_categories() {
        let t = now();
        let active = Term {
            starts_at: t - Duration::days(1),
            expires_at: None,
            revoked_at: None,
        };
        let expired = Term {
            expires_at: Some(t - Duration::hours(1)),
            ..active
        };
        let labs = [DataCategory::Labs];
        let art = [DataCategory::Art, DataCategory::Labs];
        let open = granted_categories([(&active, &labs[..]), (&expired, &art[..])], t);
        assert_eq!(
            open.into_iter().collect::<Vec<_>>(),
            vec![DataCategory::Labs]
        );
        assert!(granted_categories([(&expired, &art[..])], t).is_empty());
    }

    #[test]
    fn stored_categories_read_back() {
        let list = [DataCategory::Labs, DataCategory::Sensitive];
        assert_eq!(categories_text(&list), "labs,sensitive");
        assert_eq!(categories_from_text(&categories_text(&list)), list.to_vec());
    }

    #[test]
    fn all_never_includes_sensitive_unless_named() {
        let mut e = Errors::new();
        let all = parse_categories(&mut e, "categories", Some(&["all".into()]));
        assert!(!all.contains(&DataCategory::Sensitive));
        assert_eq!(all.len(), DataCategory::ALL.len() - 1);
        let named = parse_categories(
            &mut e,
            "categories",
            Some(&["all".into(), "sensitive".into()]),
        );
        assert!(named.contains(&DataCategory::Sensitive));
        assert!(e.finish(|| ()).is_ok());
        let mut e = Errors::new();
        parse_categories(&mut e, "categories", Some(&["everything".into()]));
        parse_categories(&mut e, "other", Some(&[]));
        let err = e.finish(|| ()).unwrap_err();
        assert!(err.field("categories")[0].contains("not a data category"));
        assert!(!err.field("other").is_empty());
    }

    #[test]
    fn a_recorded_grant_needs_its_hospital_categories_purpose_form_and_a_sane_term() {
        let t = now();
        let ok = input().validate(t).unwrap();
        assert_eq!(ok.starts_at, t);
        assert_eq!(ok.expires_at, None);
        assert_eq!(ok.purpose, Purpose::Treatment);
        let dated = GrantInput {
            expires_at: Some("2026-12-31".into()),
            ..input()
        }
        .validate(t)
        .unwrap();
        assert_eq!(
            dated.expires_at,
            Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
            "a date expires at the end of that day"
        );
        let err = GrantInput::default().validate(t).unwrap_err();
        for field in ["hospital_id", "categories", "purpose", "consent_form_id"] {
            assert!(!err.field(field).is_empty(), "{field}");
        }
        for (expires, message) in [
            ("2026-11-29", "must be in the future"),
            ("2029-01-01", "at most two years"),
            ("soon", "must be a date"),
        ] {
            let err = GrantInput {
                expires_at: Some(expires.into()),
                ..input()
            }
            .validate(t)
            .unwrap_err();
            assert!(err.field("expires_at")[0].contains(message), "{expires}");
        }
        for start in ["-5000-01-01", "2020-01-01", "2030-01-01"] {
            let err = GrantInput {
                starts_at: Some(start.into()),
                ..input()
            }
            .validate(t)
            .unwrap_err();
            assert!(!err.field("starts_at").is_empty(), "{start}");
        }
        let err = GrantInput {
            purpose: Some("curiosity".into()),
            ..input()
        }
        .validate(t)
        .unwrap_err();
        assert!(err.field("purpose")[0].contains("treatment"));
    }
}
