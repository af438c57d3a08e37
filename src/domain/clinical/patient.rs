//! Patients: registration input and its rules, the views staff see, and the name tokens that
//! make encrypted names searchable.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::error::ErrorKind;
use crate::domain::identity::auth::normalise_phone;
use crate::domain::validate::Errors;

/// The values of `sex` (SPEC 2.3).
pub const SEXES: [&str; 4] = ["male", "female", "other", "prefer_not_to_say"];

/// Oldest plausible date of birth.
pub const MIN_BIRTH_YEAR: i32 = 1900;

/// What a caller sends to register a patient or replace a profile. Every field is optional
/// here so a missing one becomes a field error; unknown fields are rejected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    /// 1-100 characters.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::name))]
    pub first_name: Option<String>,
    /// 1-100 characters.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::name))]
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::date_of_birth))]
    pub date_of_birth: Option<String>,
    /// `male`, `female`, `other` or `prefer_not_to_say`.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::sex))]
    pub sex: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_email))]
    pub email: Option<String>,
    /// International format starting with `+`, e.g. `+254 700 100 001`.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_phone))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::address))]
    pub address: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::contact_name))]
    pub emergency_contact_name: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_phone))]
    pub emergency_contact_phone: Option<String>,
    /// National identifier (optional). Only its keyed hash is used for matching.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_national_id))]
    pub national_id: Option<String>,
    /// This hospital's medical record number; generated when omitted at registration.
    /// Ignored on profile updates.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::mrn))]
    pub mrn: Option<String>,
}

/// A validated patient, normalised and ready to store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidPatient {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: String,
    /// Lower case.
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    /// E.164.
    pub emergency_contact_phone: Option<String>,
    /// Normalised (`normalise_identifier`).
    pub national_id: Option<String>,
    /// Upper case.
    pub mrn: Option<String>,
}

/// Normalised national identifier: letters and digits, upper case.
pub fn normalise_identifier(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A medical record number: 1-40 letters, digits, hyphens or slashes, upper case.
pub fn parse_mrn(e: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?.to_uppercase();
    if value.len() > 40
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
    {
        e.add(
            field,
            "must be 1-40 letters, digits, hyphens or slashes, e.g. NRB-000123",
        );
    }
    Some(value)
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

fn phone(e: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|v| !v.is_empty())?;
    let normalised = normalise_phone(raw);
    if normalised.is_none() {
        e.add(
            field,
            "must be an international number starting with +, e.g. +254 700 100 001",
        );
    }
    normalised
}

impl PatientInput {
    /// Parses every field against `today` (dates of birth may not be later), reporting all
    /// problems at once.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidPatient, ErrorKind> {
        let mut e = Errors::new();
        let first_name = e.required_text("first_name", self.first_name.as_deref(), 1, 100);
        let last_name = e.required_text("last_name", self.last_name.as_deref(), 1, 100);
        let dob_raw = self.date_of_birth.as_deref().map(str::trim).unwrap_or("");
        let date_of_birth = if dob_raw.is_empty() {
            e.add("date_of_birth", "is required");
            None
        } else {
            match parse_date(dob_raw) {
                None => {
                    e.add("date_of_birth", "must be a date as YYYY-MM-DD");
                    None
                }
                Some(d) if d > today => {
                    e.add("date_of_birth", "cannot be in the future");
                    None
                }
                Some(d) if d.year() < MIN_BIRTH_YEAR => {
                    e.add("date_of_birth", "must be after 1900");
                    None
                }
                Some(d) => Some(d),
            }
        };
        let sex = self.sex.as_deref().map(str::trim).unwrap_or("");
        if sex.is_empty() {
            e.add("sex", "is required");
        } else if !SEXES.contains(&sex) {
            e.add(
                "sex",
                "must be one of male, female, other, prefer_not_to_say",
            );
        }
        let email = self
            .email
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| e.email("email", Some(v)));
        let phone_number = phone(&mut e, "phone", self.phone.as_deref());
        let address = e.optional_text("address", self.address.as_deref(), 500);
        let emergency_contact_name = e.optional_text(
            "emergency_contact_name",
            self.emergency_contact_name.as_deref(),
            200,
        );
        let emergency_contact_phone = phone(
            &mut e,
            "emergency_contact_phone",
            self.emergency_contact_phone.as_deref(),
        );
        let national_id = self
            .national_id
            .as_deref()
            .map(normalise_identifier)
            .filter(|v| !v.is_empty());
        if let Some(id) = &national_id {
            if !(4..=32).contains(&id.len()) {
                e.add("national_id", "must have 4-32 letters or digits");
            }
        } else if self
            .national_id
            .as_deref()
            .is_some_and(|v| !v.trim().is_empty())
        {
            e.add("national_id", "must contain letters or digits");
        }
        let mrn = parse_mrn(&mut e, "mrn", self.mrn.as_deref());
        e.finish(|| ValidPatient {
            first_name,
            last_name,
            date_of_birth: date_of_birth.unwrap_or_default(),
            sex: sex.to_string(),
            email,
            phone: phone_number,
            address,
            emergency_contact_name,
            emergency_contact_phone,
            national_id,
            mrn,
        })
    }
}

/// Links an existing patient to the caller's hospital. The national identifier must match the
/// one on file: knowing the patient's id alone is not enough.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::national_id))]
    pub national_id: Option<String>,
    /// This hospital's MRN; generated when omitted.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::mrn))]
    pub mrn: Option<String>,
}

/// Why something is removed; kept with the deletion and audited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// 10-500 characters.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::justification))]
    pub justification: Option<String>,
}

impl DeleteRequest {
    pub fn validate(&self) -> Result<String, ErrorKind> {
        let mut e = Errors::new();
        let text = e.required_text("justification", self.justification.as_deref(), 10, 500);
        e.finish(|| text)
    }
}

/// The profile fields that are contact details. The hospital that registered the patient typed
/// them and holds them; another hospital linked to the patient sees them only with the
/// patient's consent (category `demographics`), and cannot change them.
pub const CONTACT_FIELDS: [&str; 5] = [
    "email",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
];

impl PatientInput {
    /// The contact fields given a value (blank counts as not given).
    pub fn contact_fields_given(&self) -> Vec<&'static str> {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        CONTACT_FIELDS
            .into_iter()
            .zip([
                &self.email,
                &self.phone,
                &self.address,
                &self.emergency_contact_name,
                &self.emergency_contact_phone,
            ])
            .filter(|(_, v)| given(v))
            .map(|(f, _)| f)
            .collect()
    }

    /// The contact fields given a value other than `stored`'s (compared as stored: trimmed,
    /// emails in lower case, phone numbers in E.164).
    pub fn contact_changes_from(&self, stored: &PatientInput) -> Vec<&'static str> {
        fn norm(field: &str, v: &Option<String>) -> Option<String> {
            let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            Some(match field {
                "email" => v.to_lowercase(),
                "phone" | "emergency_contact_phone" => {
                    normalise_phone(v).unwrap_or_else(|| v.to_string())
                }
                _ => v.to_string(),
            })
        }
        let pairs = [
            (&self.email, &stored.email),
            (&self.phone, &stored.phone),
            (&self.address, &stored.address),
            (&self.emergency_contact_name, &stored.emergency_contact_name),
            (
                &self.emergency_contact_phone,
                &stored.emergency_contact_phone,
            ),
        ];
        CONTACT_FIELDS
            .into_iter()
            .zip(pairs)
            .filter(|(f, (given, old))| norm(f, given).is_some_and(|g| Some(g) != norm(f, old)))
            .map(|(f, _)| f)
            .collect()
    }

    /// This input with `stored`'s contact details: an edit by a hospital that does not hold
    /// them keeps them as they are.
    pub fn keeping_contact_of(&self, stored: &PatientInput) -> PatientInput {
        PatientInput {
            email: stored.email.clone(),
            phone: stored.phone.clone(),
            address: stored.address.clone(),
            emergency_contact_name: stored.emergency_contact_name.clone(),
            emergency_contact_phone: stored.emergency_contact_phone.clone(),
            ..self.clone()
        }
    }
}

/// A patient's profile as the staff of a linked hospital see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Patient {
    pub id: Uuid,
    /// The caller's hospital's MRN for this patient.
    pub mrn: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub national_id: Option<String>,
    /// True when the contact details (email, phone, address, emergency contact) are held by
    /// the hospital that registered the patient and shared only with the patient's consent:
    /// they are then absent here.
    #[serde(default)]
    pub contact_withheld: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One row of a patient search or list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PatientListItem {
    pub id: Uuid,
    pub mrn: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: String,
}

impl Patient {
    /// The profile without its contact details, as a hospital that does not hold them and
    /// has no consent sees it.
    pub fn without_contact(self) -> Self {
        Patient {
            email: None,
            phone: None,
            address: None,
            emergency_contact_name: None,
            emergency_contact_phone: None,
            contact_withheld: true,
            ..self
        }
    }

    pub fn to_input(&self) -> PatientInput {
        PatientInput {
            first_name: Some(self.first_name.clone()),
            last_name: Some(self.last_name.clone()),
            date_of_birth: Some(self.date_of_birth.to_string()),
            sex: Some(self.sex.clone()),
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            emergency_contact_name: self.emergency_contact_name.clone(),
            emergency_contact_phone: self.emergency_contact_phone.clone(),
            national_id: self.national_id.clone(),
            mrn: self.mrn.clone(),
        }
    }
}

/// Completed years between `dob` and `today`.
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> i32 {
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years.max(0)
}

/// Longest name prefix that is indexed; longer search words are cut to it.
pub const MAX_TOKEN_PREFIX: usize = 24;

/// The words of a name or a search, lower case (`Mary-Anne O'Neil` -> `mary`, `anne`, `o`,
/// `neil`).
pub fn name_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_TOKEN_PREFIX).collect())
        .collect()
}

/// Every prefix of every word of the names: what the blind name index stores, so a search
/// for any prefix of a first or last name finds the patient.
pub fn name_prefixes(first_name: &str, last_name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in name_words(first_name)
        .into_iter()
        .chain(name_words(last_name))
    {
        let chars: Vec<char> = word.chars().collect();
        for n in 1..=chars.len() {
            let prefix: String = chars[..n].iter().collect();
            if !out.contains(&prefix) {
                out.push(prefix);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn valid() -> PatientInput {
        PatientInput {
            first_name: Some("Amina".into()),
            last_name: Some("Odhiambo".into()),
            date_of_birth: Some("1990-04-12".into()),
            sex: Some("female".into()),
            phone: Some("+254 700 100 001".into()),
            national_id: Some("ke-1234 5678".into()),
            ..Default::default()
        }
    }

    #[test]
    fn contact_fields_given_and_changed_are_named() {
        let stored = PatientInput {
            email: Some("amina@example.org".into()),
            phone: Some("+254700555001".into()),
            address: Some("Nyalenda B".into()),
            ..valid()
        };
        let blank = PatientInput {
            email: Some("  ".into()),
            phone: None,
            address: Some(String::new()),
            emergency_contact_name: None,
            emergency_contact_phone: None,
            ..valid()
        };
        assert!(blank.contact_fields_given().is_empty());
        assert!(blank.contact_changes_from(&stored).is_empty());
        let same = PatientInput {
            email: Some(" AMINA@example.org ".into()),
            phone: Some("+254 700 555 001".into()),
            ..stored.clone()
        };
        assert_eq!(
            same.contact_fields_given(),
            vec!["email", "phone", "address"]
        );
        assert!(
            same.contact_changes_from(&stored).is_empty(),
            "written differently"
        );
        let moved = PatientInput {
            phone: Some("+254 711 000 111".into()),
            emergency_contact_name: Some("Otieno".into()),
            ..stored.clone()
        };
        assert_eq!(
            moved.contact_changes_from(&stored),
            vec!["phone", "emergency_contact_name"]
        );
        let kept = blank.keeping_contact_of(&stored);
        assert_eq!(kept.phone, stored.phone);
        assert_eq!(kept.first_name, blank.first_name);
    }

    #[test]
    fn a_complete_registration_is_normalised() {
        let v = valid().validate(today()).unwrap();
        assert_eq!(v.phone.as_deref(), Some("+254700100001"));
        assert_eq!(v.national_id.as_deref(), Some("KE12345678"));
        assert_eq!(v.mrn, None);
    }

    #[test]
    fn every_problem_is_named() {
        let input = PatientInput {
            first_name: Some(" ".into()),
            date_of_birth: Some("2027-01-01".into()),
            sex: Some("f".into()),
            email: Some("not-an-email".into()),
            phone: Some("0700 100 001".into()),
            mrn: Some("bad mrn!".into()),
            ..Default::default()
        };
        let err = input.validate(today()).unwrap_err();
        for field in [
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "mrn",
        ] {
            assert_eq!(err.field(field).len(), 1, "{field}: {err:?}");
        }
        assert_eq!(err.field("date_of_birth"), vec!["cannot be in the future"]);
        let bad_date = PatientInput {
            date_of_birth: Some("1990-02-30".into()),
            ..valid()
        };
        assert_eq!(
            bad_date
                .validate(today())
                .unwrap_err()
                .field("date_of_birth"),
            vec!["must be a date as YYYY-MM-DD"]
        );
        let today_born = PatientInput {
            date_of_birth: Some("2026-11-23".into()),
            ..valid()
        };
        assert!(today_born.validate(today()).is_ok());
    }

    #[test]
    fn name_prefixes_cover_every_word() {
        let p = name_prefixes("Mary-Anne", "O'Neil");
        for expected in ["m", "ma", "mary", "a", "anne", "o", "n", "neil"] {
            assert!(p.contains(&expected.to_string()), "{expected}");
        }
        assert!(!p.contains(&"mary-anne".to_string()));
        assert_eq!(name_words("  ÉLODIE  "), vec!["élodie"]);
    }

    #[test]
    fn ages_count_whole_years() {
        let dob = NaiveDate::from_ymd_opt(1990, 11, 24).unwrap();
        assert_eq!(age_on(dob, today()), 35);
        let dob = NaiveDate::from_ymd_opt(1990, 11, 23).unwrap();
        assert_eq!(age_on(dob, today()), 36);
    }
}
