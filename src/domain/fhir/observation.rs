//! An Observation a client creates (`POST /fhir/r4/Observation`), read back into the record it
//! stands for: a viral load (LOINC 25836-8) or a CD4 count (24467-3) of a patient. Problems are
//! named by their FHIR path (`Observation.valueQuantity.value`).

use serde_json::{json, Value};
use uuid::Uuid;

use super::{LOINC, LOINC_CD4, LOINC_VIRAL_LOAD, SNOMED};
use crate::domain::clinical::record::RecordInput;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// The record an Observation stands for, its patient and its business identifier.
#[derive(Clone, Debug, PartialEq)]
pub struct NewObservation {
    pub patient: Uuid,
    pub record: RecordInput,
    /// `system|value` of its first identifier.
    pub identifier: Option<String>,
}

/// `system|value` (or a bare value) of an identifier element.
fn identifier_text(id: &Value) -> Option<String> {
    let value = id.get("value")?.as_str()?.trim();
    if value.is_empty() {
        return None;
    }
    Some(match id.get("system").and_then(Value::as_str) {
        Some(system) => format!("{}|{value}", system.trim()),
        None => value.to_string(),
    })
}

/// The criteria of `If-None-Exist` (its query's pairs): `identifier=[system|]value` only.
pub fn if_none_exist(pairs: &[(String, String)]) -> Result<String, ErrorKind> {
    match pairs {
        [(key, value)] if key == "identifier" && !value.trim().is_empty() && value.len() <= 500 => {
            Ok(value.trim().to_string())
        }
        _ => Err(ErrorKind::invalid_field(
            "If-None-Exist",
            "takes one criterion, identifier=[system|]value",
        )),
    }
}

/// The LOINC code of the Observation's `code`, among those it may be created with.
fn loinc_code(code: &Value) -> Option<&str> {
    code.get("coding")?
        .as_array()?
        .iter()
        .filter(|c| c.get("system").and_then(Value::as_str) == Some(LOINC))
        .filter_map(|c| c.get("code").and_then(Value::as_str))
        .find(|c| [LOINC_VIRAL_LOAD, LOINC_CD4].contains(c))
}

/// Reads the Observation.
pub fn read_observation(body: &Value) -> Result<NewObservation, ErrorKind> {
    if body.get("resourceType").and_then(Value::as_str) != Some("Observation") {
        return Err(ErrorKind::invalid_field(
            "resourceType",
            "must be Observation",
        ));
    }
    let mut e = Errors::new();
    match body.get("status").and_then(Value::as_str) {
        Some("final" | "amended" | "corrected") => {}
        _ => e.add(
            "Observation.status",
            "must be final, amended or corrected: only results are recorded",
        ),
    }
    let patient = body
        .pointer("/subject/reference")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("Patient/"))
        .and_then(|id| Uuid::parse_str(id).ok());
    if patient.is_none() {
        e.add(
            "Observation.subject",
            "must reference the patient as Patient/{id}",
        );
    }
    let code = body.get("code").and_then(loinc_code);
    if code.is_none() {
        e.add(
            "Observation.code",
            format!("must carry the LOINC code {LOINC_VIRAL_LOAD} (viral load) or {LOINC_CD4} (CD4 count)"),
        );
    }
    let when = body
        .get("effectiveDateTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    let quantity = body.get("valueQuantity");
    let number = quantity
        .and_then(|q| q.get("value"))
        .and_then(Value::as_f64);
    let payload = match code {
        Some(LOINC_VIRAL_LOAD) => {
            let not_detected = body
                .pointer("/valueCodeableConcept/coding")
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c.get("system").and_then(Value::as_str) == Some(SNOMED)
                            && c.get("code").and_then(Value::as_str) == Some("260415000")
                    })
                });
            match (number, not_detected) {
                (Some(copies), _) => {
                    let comparator = quantity
                        .and_then(|q| q.get("comparator"))
                        .and_then(Value::as_str)
                        .unwrap_or("=");
                    let mut p = json!({"copies_per_ml": copies, "comparator": comparator});
                    if let Some(at) = &when {
                        p["sample_collected_at"] = json!(at);
                    }
                    Some(p)
                }
                (None, true) => Some(json!({"qualitative": "not_detected"})),
                (None, false) => {
                    e.add(
                        "Observation.valueQuantity.value",
                        "is required: copies/mL (or valueCodeableConcept SNOMED 260415000, not detected)",
                    );
                    None
                }
            }
        }
        Some(_) => match number {
            Some(cells) if cells.fract() == 0.0 => Some(json!({"cells_per_ul": cells as i64})),
            _ => {
                e.add(
                    "Observation.valueQuantity.value",
                    "is required: a whole number of cells/uL",
                );
                None
            }
        },
        None => None,
    };
    let record_type = match code {
        Some(LOINC_VIRAL_LOAD) => "viral_load",
        _ => "cd4",
    };
    let identifier = body
        .get("identifier")
        .and_then(Value::as_array)
        .and_then(|ids| ids.iter().find_map(identifier_text));
    e.finish(|| NewObservation {
        patient: patient.unwrap_or_default(),
        record: RecordInput {
            record_type: Some(record_type.into()),
            recorded_at: when,
            payload,
            supersedes: None,
            clinician_only: None,
            override_reason: None,
        },
        identifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vl(patient: Uuid) -> Value {
        json!({
            "resourceType": "Observation", "status": "final",
            "identifier": [{"system": "https://lab.example/ids", "value": "VL-2026-001"}],
            "code": {"coding": [{"system": LOINC, "code": LOINC_VIRAL_LOAD}]},
            "subject": {"reference": format!("Patient/{patient}")},
            "effectiveDateTime": "2026-11-02T08:00:00Z",
            "valueQuantity": {"value": 40, "comparator": "<", "unit": "copies/mL"}
        })
    }

    #[test]
    fn a_viral_load_observation_becomes_a_viral_load_record() {
        let p = Uuid::now_v7();
        let o = read_observation(&vl(p)).unwrap();
        assert_eq!(o.patient, p);
        assert_eq!(o.record.record_type.as_deref(), Some("viral_load"));
        let payload = o.record.payload.unwrap();
        assert_eq!(payload["copies_per_ml"], 40.0);
        assert_eq!(payload["comparator"], "<");
        assert_eq!(
            o.identifier.as_deref(),
            Some("https://lab.example/ids|VL-2026-001")
        );
        let mut cd4 = vl(p);
        cd4["code"]["coding"][0]["code"] = json!(LOINC_CD4);
        cd4["valueQuantity"] = json!({"value": 350});
        let o = read_observation(&cd4).unwrap();
        assert_eq!(o.record.payload.unwrap()["cells_per_ul"], 350);
    }

    #[test]
    fn problems_are_named_by_their_fhir_path() {
        let err = read_observation(
            &json!({"resourceType": "Observation", "status": "preliminary",
            "code": {"coding": [{"system": LOINC, "code": "1234-5"}]}}),
        )
        .unwrap_err();
        for f in [
            "Observation.status",
            "Observation.subject",
            "Observation.code",
        ] {
            assert!(!err.field(f).is_empty(), "{f}: {err:?}");
        }
        let mut no_value = vl(Uuid::now_v7());
        no_value.as_object_mut().unwrap().remove("valueQuantity");
        let err = read_observation(&no_value).unwrap_err();
        assert!(!err.field("Observation.valueQuantity.value").is_empty());
        assert!(read_observation(&json!({"resourceType": "Patient"})).is_err());
    }

    #[test]
    fn if_none_exist_takes_one_identifier() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            if_none_exist(&pairs(&[("identifier", "https://lab.example/ids|VL-1")])).unwrap(),
            "https://lab.example/ids|VL-1"
        );
        assert_eq!(
            if_none_exist(&pairs(&[("identifier", "VL-1")])).unwrap(),
            "VL-1"
        );
        for bad in [
            pairs(&[]),
            pairs(&[("code", "25836-8")]),
            pairs(&[("identifier", "")]),
            pairs(&[("identifier", "a"), ("code", "b")]),
        ] {
            let refused = if_none_exist(&bad).unwrap_err();
            assert!(!refused.field("If-None-Exist").is_empty(), "{bad:?}");
        }
    }
}
