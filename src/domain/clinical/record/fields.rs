//! The reader of a payload's JSON object.
//!
//! Kept by hand rather than derived with serde (`deny_unknown_fields`) plus a validation crate
//! (`validator`, `garde`) because a clinician's form needs what those cannot give together:
//!
//! - **every problem at once, each under its field.** serde stops at the first problem and
//!   names it by position and Rust type (`invalid type: string "lots", expected f64 at line 1
//!   column 24`); a validation crate runs only on a value serde already built, so one
//!   mistyped field hides every range error of the others. Here a payload with an unknown
//!   field, a word where a number goes and a value out of range gets three messages, keyed
//!   `payload.<field>`, which the form puts under the three inputs.
//! - **numbers typed as text.** Plain forms post text, and some EHRs send `"1200"` for a
//!   count; a number in a string is read as the number, anything else is `must be a number`.
//! - **messages in the clinic's words** (`must be between 0 and 5000`, `is required`) and the
//!   rules that span fields (a viral load needs copies or a qualitative result; diastolic
//!   below systolic), decided in the same pass.
//!
//! It is small: a map, an error collector, and one reader per JSON shape.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::payload::format_number;
use crate::domain::validate::Errors;

/// Reads one JSON object field by field, collecting errors under `payload.<field>`.
pub(super) struct Reader<'a> {
    pub(super) map: &'a Map<String, Value>,
    pub(super) e: &'a mut Errors,
}

impl<'a> Reader<'a> {
    pub(super) fn key(field: &str) -> String {
        format!("payload.{field}")
    }

    pub(super) fn present(&self, field: &str) -> Option<&'a Value> {
        let map: &'a Map<String, Value> = self.map;
        map.get(field).filter(|v| !v.is_null())
    }

    pub(super) fn number(&mut self, field: &str, min: f64, max: f64) -> Option<f64> {
        let value = self.present(field)?;
        let n = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if !s.trim().is_empty() => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() && (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.e.add(
                    &Self::key(field),
                    format!(
                        "must be between {} and {}",
                        format_number(min),
                        format_number(max)
                    ),
                );
                None
            }
            None => {
                self.e.add(&Self::key(field), "must be a number");
                None
            }
        }
    }

    pub(super) fn integer(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        let n = self.number(field, min as f64, max as f64)?;
        if n.fract() != 0.0 {
            self.e.add(&Self::key(field), "must be a whole number");
            return None;
        }
        Some(n as i64)
    }

    pub(super) fn text(&mut self, field: &str, max: usize) -> Option<String> {
        let value = self.present(field)?;
        match value {
            Value::String(s) => self.e.optional_text(&Self::key(field), Some(s), max),
            _ => {
                self.e.add(&Self::key(field), "must be text");
                None
            }
        }
    }

    pub(super) fn required_text(&mut self, field: &str, max: usize) -> String {
        let v = self.text(field, max);
        if v.is_none() && !self.e_has(field) {
            self.e.add(&Self::key(field), "is required");
        }
        v.unwrap_or_default()
    }

    pub(super) fn e_has(&self, field: &str) -> bool {
        !self.e.messages(&Self::key(field)).is_empty()
    }

    pub(super) fn choice(&mut self, field: &str, allowed: &[&str]) -> Option<String> {
        let v = self.text(field, 40)?;
        if allowed.contains(&v.as_str()) {
            Some(v)
        } else {
            self.e.add(
                &Self::key(field),
                format!("must be one of {}", allowed.join(", ")),
            );
            None
        }
    }

    pub(super) fn required_choice(&mut self, field: &str, allowed: &[&str]) -> String {
        let v = self.choice(field, allowed);
        if v.is_none() && !self.e_has(field) {
            self.e.add(&Self::key(field), "is required");
        }
        v.unwrap_or_default()
    }

    pub(super) fn datetime(&mut self, field: &str) -> Option<DateTime<Utc>> {
        let raw = self.text(field, 40)?;
        let parsed = parse_datetime(&raw);
        if parsed.is_none() {
            self.e.add(
                &Self::key(field),
                "must be a date-time like 2026-11-23T09:30:00Z or a date like 2026-11-23",
            );
        }
        parsed
    }

    pub(super) fn required<T>(&mut self, field: &str, v: Option<T>) -> Option<T> {
        if v.is_none() && !self.e_has(field) {
            self.e.add(&Self::key(field), "is required");
        }
        v
    }
}

/// RFC 3339, `YYYY-MM-DDTHH:MM` (UTC) or a bare date (midnight UTC).
pub fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return Some(dt.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(raw, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}
