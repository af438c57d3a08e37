//! What callers send: a new record (from the API or a plain form), an edit of a note, and the
//! filters of a record query, each turned into typed values with every problem named.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::fields::parse_datetime;
use super::validation::validate_payload;
use super::{Payload, RecordType};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// What a caller sends to add a record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    /// One of the SPEC 2.4 types, e.g. `viral_load`.
    #[cfg_attr(feature = "server", schema(required = true, value_type = RecordType))]
    pub record_type: Option<String>,
    /// Clinical time (RFC 3339 or `YYYY-MM-DD`); now when omitted. Not in the future.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::clinical_time))]
    pub recorded_at: Option<String>,
    /// The type's fields; see the record type table.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Object))]
    pub payload: Option<Value>,
    /// The record this one corrects (same patient and type); the old one is kept.
    #[cfg_attr(feature = "server", schema(value_type = String, format = Uuid))]
    pub supersedes: Option<String>,
    /// Keep this note from the patient's own view (portal and export): adherence notes and
    /// diagnoses only.
    pub clinician_only: Option<bool>,
    /// Why to go ahead despite a severe drug interaction (HIV.D21.2.DT): required then, for a
    /// prescription, a regimen or a dispensing; kept sealed with the record and audited.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::override_reason))]
    pub override_reason: Option<String>,
}

/// A validated new record.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidRecord {
    pub payload: Payload,
    pub recorded_at: DateTime<Utc>,
    pub supersedes: Option<Uuid>,
    pub clinician_only: bool,
    pub override_reason: Option<String>,
}

/// The longest override reason.
pub const OVERRIDE_REASON_MAX: usize = 1000;

/// How far ahead of the server clock a `recorded_at` may be (device clocks drift).
pub const CLOCK_SKEW_SECS: i64 = 300;

impl RecordInput {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<ValidRecord, ErrorKind> {
        let mut e = Errors::new();
        let record_type = match self.record_type.as_deref().map(str::trim) {
            None | Some("") => {
                e.add("record_type", "is required");
                None
            }
            Some(t) => {
                let parsed = RecordType::parse(t);
                if parsed.is_none() {
                    e.add(
                        "record_type",
                        format!(
                            "must be one of {}",
                            RecordType::ALL.map(RecordType::as_str).join(", ")
                        ),
                    );
                }
                parsed
            }
        };
        let recorded_at = match self.recorded_at.as_deref().map(str::trim) {
            None | Some("") => now,
            Some(raw) => match parse_datetime(raw) {
                None => {
                    e.add(
                        "recorded_at",
                        "must be a date-time like 2026-11-23T09:30:00Z or a date",
                    );
                    now
                }
                Some(t) if (t - now).num_seconds() > CLOCK_SKEW_SECS => {
                    e.add("recorded_at", "cannot be in the future");
                    now
                }
                Some(t) if t.year() < 1980 => {
                    e.add("recorded_at", "must be after 1980");
                    now
                }
                Some(t) => t,
            },
        };
        let supersedes = self
            .supersedes
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| {
                let id = Uuid::parse_str(s).ok();
                if id.is_none() {
                    e.add("supersedes", "must be a record id (UUID)");
                }
                id
            });
        let payload = match (record_type, &self.payload) {
            (Some(t), Some(raw)) => match validate_payload(t, raw) {
                Ok(p) => Some(p),
                Err(err) => {
                    for (field, messages) in err.fields() {
                        for m in messages {
                            e.add(&field, m);
                        }
                    }
                    None
                }
            },
            (_, None) => {
                e.add("payload", "is required");
                None
            }
            (None, Some(_)) => None,
        };
        if let Some(Payload::ViralLoad(v)) = &payload {
            if v.sample_collected_at.is_some_and(|s| s > recorded_at) {
                e.add(
                    "payload.sample_collected_at",
                    "cannot be later than the result's recorded_at",
                );
            }
        }
        let clinician_only = self.clinician_only.unwrap_or(false);
        if clinician_only && record_type.is_some_and(|t| !t.may_be_clinician_only()) {
            e.add(
                "clinician_only",
                "only notes (adherence notes, diagnoses) can be kept from the patient",
            );
        }
        let override_reason = e.optional_text(
            "override_reason",
            self.override_reason.as_deref(),
            OVERRIDE_REASON_MAX,
        );
        if override_reason.is_some() && record_type.is_some_and(|t| !t.is_interaction_checked()) {
            e.add(
                "override_reason",
                "only prescriptions, regimens and dispensing are checked for interactions",
            );
        }
        let Some(payload) = payload else {
            if e.is_empty() {
                e.add("payload", "is required");
            }
            return Err(e.into_kind());
        };
        e.finish(|| ValidRecord {
            payload,
            recorded_at,
            supersedes,
            clinician_only,
            override_reason,
        })
    }
}

/// Edits a note in place (adherence notes and diagnosis text only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordUpdate {
    /// The complete new payload. For a diagnosis only `text` may change.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Object))]
    pub payload: Option<Value>,
}

/// Query filters for a patient's records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordFilter {
    /// Empty: every type the caller reads.
    pub types: Vec<RecordType>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub hospital_id: Option<Uuid>,
}

impl RecordFilter {
    /// Reads `type` (comma-separated), `from`, `to` (dates or date-times) and `hospital_id`.
    pub fn parse(
        types: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        hospital_id: Option<&str>,
    ) -> Result<Self, ErrorKind> {
        let mut e = Errors::new();
        let mut parsed = Vec::new();
        for raw in types
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match RecordType::parse(raw) {
                Some(t) if !parsed.contains(&t) => parsed.push(t),
                Some(_) => {}
                None => e.add(
                    "type",
                    format!(
                        "`{raw}` is not a record type; use {}",
                        RecordType::ALL.map(RecordType::as_str).join(", ")
                    ),
                ),
            }
        }
        let mut time = |field: &str, raw: Option<&str>| {
            let raw = raw.map(str::trim).filter(|v| !v.is_empty())?;
            let t = parse_datetime(raw);
            if t.is_none() {
                e.add(
                    field,
                    "must be a date like 2026-11-23 or an RFC 3339 date-time",
                );
            }
            t
        };
        let from = time("from", from);
        let to = time("to", to);
        let hospital_id = hospital_id
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .and_then(|raw| {
                let id = Uuid::parse_str(raw).ok();
                if id.is_none() {
                    e.add("hospital_id", "must be a UUID");
                }
                id
            });
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                e.add("to", "must be after from");
            }
        }
        e.finish(|| RecordFilter {
            types: parsed,
            from,
            to,
            hospital_id,
        })
    }
}

/// Builds a record from a plain form: `record_type`, `recorded_at`, and the payload's fields
/// by name. Empty fields are left out; numbers become numbers (validation names the rest);
/// `drugs` is comma-separated.
pub fn record_from_form(fields: &std::collections::BTreeMap<String, String>) -> RecordInput {
    let mut payload = Map::new();
    let record_type = fields.get("record_type").cloned();
    let allowed = record_type
        .as_deref()
        .and_then(RecordType::parse)
        .map(RecordType::fields)
        .unwrap_or_default();
    for name in allowed {
        let Some(raw) = fields
            .get(*name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let value = if *name == "drugs" {
            Value::Array(
                raw.split(',')
                    .map(|d| Value::String(d.trim().to_string()))
                    .filter(|d| d.as_str() != Some(""))
                    .collect(),
            )
        } else if let Some(n) = raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .and_then(serde_json::Number::from_f64)
        {
            Value::Number(n)
        } else {
            Value::String(raw.to_string())
        };
        payload.insert(name.to_string(), value);
    }
    RecordInput {
        record_type,
        recorded_at: fields.get("recorded_at").cloned(),
        payload: Some(Value::Object(payload)),
        supersedes: fields.get("supersedes").cloned(),
        // A ticked checkbox sends `on` (or the value it names).
        clinician_only: fields
            .get("clinician_only")
            .map(|v| matches!(v.trim(), "on" | "true" | "1")),
        override_reason: fields.get("override_reason").cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clinical::record::ViralLoad;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        parse_datetime("2026-11-23T10:00:00Z").unwrap()
    }

    #[test]
    fn record_input_rules() {
        let ok = RecordInput {
            record_type: Some("cd4".into()),
            payload: Some(json!({"cells_per_ul": 500})),
            ..Default::default()
        };
        assert_eq!(ok.validate(now()).unwrap().recorded_at, now());
        let future = RecordInput {
            recorded_at: Some("2026-11-24".into()),
            ..ok.clone()
        };
        assert_eq!(
            future.validate(now()).unwrap_err().field("recorded_at"),
            vec!["cannot be in the future"]
        );
        let unknown = RecordInput {
            record_type: Some("x_ray".into()),
            ..ok.clone()
        };
        assert_eq!(
            unknown
                .validate(now())
                .unwrap_err()
                .field("record_type")
                .len(),
            1
        );
        let late_sample = RecordInput {
            record_type: Some("viral_load".into()),
            recorded_at: Some("2026-11-01".into()),
            payload: Some(json!({"copies_per_ml": 40, "sample_collected_at": "2026-11-02"})),
            ..Default::default()
        };
        assert_eq!(
            late_sample
                .validate(now())
                .unwrap_err()
                .field("payload.sample_collected_at")
                .len(),
            1
        );
    }

    #[test]
    fn plain_forms_become_typed_records() {
        let form = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let input = record_from_form(&form(&[
            ("record_type", "viral_load"),
            ("copies_per_ml", " 1200 "),
            ("qualitative", ""),
            ("recorded_at", "2026-11-20"),
            ("smuggled", "x"),
        ]));
        let valid = input.validate(now()).unwrap();
        assert_eq!(
            valid.payload,
            Payload::ViralLoad(ViralLoad {
                copies_per_ml: Some(1200.0),
                comparator: "=".into(),
                qualitative: None,
                lower_limit: None,
                sample_collected_at: None,
            })
        );
        let regimen = record_from_form(&form(&[
            ("record_type", "art_regimen"),
            ("regimen", "TDF+3TC+DTG"),
            ("drugs", "J05AF07, J05AF05,"),
            ("line", "first"),
            ("action", "switch"),
        ]));
        let Payload::ArtRegimen(r) = regimen.validate(now()).unwrap().payload else {
            panic!("a regimen");
        };
        assert_eq!(r.drugs, vec!["J05AF07", "J05AF05"]);
        let bad = record_from_form(&form(&[("record_type", "cd4"), ("cells_per_ul", "lots")]));
        assert_eq!(
            bad.validate(now())
                .unwrap_err()
                .field("payload.cells_per_ul"),
            vec!["must be a number"]
        );
    }

    #[test]
    fn record_filters_name_bad_values() {
        let f =
            RecordFilter::parse(Some("viral_load, cd4"), Some("2026-01-01"), None, None).unwrap();
        assert_eq!(f.types, vec![RecordType::ViralLoad, RecordType::Cd4]);
        let err = RecordFilter::parse(Some("xray"), Some("soon"), Some("2020-01-01"), Some("x"))
            .unwrap_err();
        for field in ["type", "from", "hospital_id"] {
            assert_eq!(err.field(field).len(), 1, "{field}");
        }
    }
}
