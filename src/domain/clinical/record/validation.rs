//! The rules of each record type's payload: ranges, codes (ATC, LOINC, ICD-10), the choices
//! a field allows and the rules that span fields. Every problem is reported at once, under
//! `payload.<field>`.

use serde_json::Value;
use uuid::Uuid;

use super::fields::Reader;
use super::payload::*;
use super::RecordType;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

const VL_COMPARATORS: [&str; 3] = ["<", "=", ">"];
const VL_QUALITATIVE: [&str; 5] = ["detected", "not_detected", "ldl", "rejected", "pending"];
const LINES: [&str; 3] = ["first", "second", "third"];
const ART_ACTIONS: [&str; 4] = ["start", "switch", "substitute", "stop"];
const SEVERITIES: [&str; 4] = ["mild", "moderate", "severe", "life_threatening"];
const ADHERENCE_METHODS: [&str; 5] = [
    "self_report",
    "pill_count",
    "pharmacy_refill",
    "electronic_monitor",
    "other",
];

fn is_atc(code: &str) -> bool {
    let c: Vec<char> = code.chars().collect();
    c.len() == 7
        && c[0].is_ascii_uppercase()
        && c[1].is_ascii_digit()
        && c[2].is_ascii_digit()
        && c[3].is_ascii_uppercase()
        && c[4].is_ascii_uppercase()
        && c[5].is_ascii_digit()
        && c[6].is_ascii_digit()
}

/// LOINC codes (`25836-8`) and LOINC answer codes (`LA6529-7`).
fn is_loinc(code: &str, answer: bool) -> bool {
    let body = if answer {
        match code.strip_prefix("LA") {
            Some(b) => b,
            None => return false,
        }
    } else {
        code
    };
    let Some((num, check)) = body.split_once('-') else {
        return false;
    };
    (1..=6).contains(&num.len())
        && num.chars().all(|c| c.is_ascii_digit())
        && check.len() == 1
        && check.chars().all(|c| c.is_ascii_digit())
}

fn is_icd10(code: &str) -> bool {
    let c: Vec<char> = code.chars().collect();
    (3..=8).contains(&c.len())
        && c[0].is_ascii_uppercase()
        && c[1].is_ascii_digit()
        && (c[2].is_ascii_digit() || c[2].is_ascii_uppercase())
        && c[3..]
            .iter()
            .enumerate()
            .all(|(i, ch)| (i == 0 && *ch == '.') || ch.is_ascii_alphanumeric())
}

fn regimen_ok(regimen: &str) -> bool {
    regimen.split('+').all(|part| {
        !part.is_empty()
            && part.len() <= 12
            && part
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '/' || c == '-')
    })
}

/// Validates a payload for `record_type`: unknown fields and impossible values are field
/// errors under `payload.<field>`.
pub fn validate_payload(record_type: RecordType, raw: &Value) -> Result<Payload, ErrorKind> {
    let mut e = Errors::new();
    let Some(map) = raw.as_object() else {
        return Err(ErrorKind::invalid_field(
            "payload",
            "must be an object with the fields of the record type",
        ));
    };
    let allowed = record_type.fields();
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            e.add(
                &format!("payload.{key}"),
                format!(
                    "is not a field of {}; expected {}",
                    record_type.as_str(),
                    allowed.join(", ")
                ),
            );
        }
    }
    let mut r = Reader { map, e: &mut e };
    let payload = match record_type {
        RecordType::ViralLoad => {
            let copies = r.number("copies_per_ml", 0.0, 100_000_000.0);
            let comparator = r
                .choice("comparator", &VL_COMPARATORS)
                .unwrap_or_else(|| "=".into());
            let qualitative = r.choice("qualitative", &VL_QUALITATIVE);
            let lower_limit = r.number("lower_limit", 0.0, 10_000.0);
            let sample = r.datetime("sample_collected_at");
            let has_qualitative = r.present("qualitative").is_some();
            let has_copies = r.present("copies_per_ml").is_some();
            match qualitative.as_deref() {
                Some("rejected" | "pending") if copies.is_some() => r.e.add(
                    "payload.copies_per_ml",
                    "must be empty when the sample is rejected or pending",
                ),
                Some("not_detected" | "ldl") if copies.is_some_and(|c| c > 1000.0) => r.e.add(
                    "payload.copies_per_ml",
                    "cannot be above 1000 when the virus was not detected",
                ),
                _ => {}
            }
            if !has_copies && !has_qualitative {
                r.e.add(
                    "payload.copies_per_ml",
                    "give the copies/mL or a qualitative result",
                );
            }
            if comparator != "=" && !has_copies {
                r.e.add("payload.comparator", "needs copies_per_ml");
            }
            Payload::ViralLoad(ViralLoad {
                copies_per_ml: copies,
                comparator,
                qualitative,
                lower_limit,
                sample_collected_at: sample,
            })
        }
        RecordType::Cd4 => {
            let cells = r.integer("cells_per_ul", 0, 5_000);
            let percent = r.number("percent", 0.0, 100.0);
            if r.present("cells_per_ul").is_none() && r.present("percent").is_none() {
                r.e.add("payload.cells_per_ul", "give the count or the percentage");
            }
            Payload::Cd4(Cd4 {
                cells_per_ul: cells,
                percent,
            })
        }
        RecordType::ArtRegimen => {
            let regimen = r.required_text("regimen", 60).to_uppercase();
            if !regimen.is_empty() && !regimen_ok(&regimen) {
                r.e.add(
                    "payload.regimen",
                    "must be drug abbreviations joined by +, e.g. TDF+3TC+DTG",
                );
            }
            let mut drugs = Vec::new();
            match r.present("drugs") {
                None => {}
                Some(Value::Array(items)) => {
                    for item in items {
                        match item.as_str().map(|s| s.trim().to_uppercase()) {
                            Some(code) if is_atc(&code) => drugs.push(code),
                            _ => r.e.add(
                                "payload.drugs",
                                "must be ATC codes like J05AF07 (7 characters)",
                            ),
                        }
                    }
                    if items.len() > 10 {
                        r.e.add("payload.drugs", "must list at most 10 drugs");
                    }
                }
                Some(_) => r.e.add("payload.drugs", "must be a list of ATC codes"),
            }
            let action = r.required_choice("action", &ART_ACTIONS);
            let line = r.choice("line", &LINES);
            if line.is_none() && action != "stop" && !r.e_has("line") && !action.is_empty() {
                r.e.add("payload.line", "is required unless the action is stop");
            }
            let reason_code = r.text("reason_code", 20);
            if let Some(code) = &reason_code {
                if !is_loinc(code, true) {
                    r.e.add(
                        "payload.reason_code",
                        "must be a LOINC answer code like LA6529-7",
                    );
                }
            }
            Payload::ArtRegimen(ArtRegimen {
                regimen,
                drugs,
                line,
                action,
                reason_code,
            })
        }
        RecordType::AdherenceNote => {
            let text = r.required_text("text", 4000);
            let percent = r.number("adherence_percent", 0.0, 100.0);
            let method = r.choice("method", &ADHERENCE_METHODS);
            Payload::AdherenceNote(AdherenceNote {
                text,
                adherence_percent: percent,
                method,
            })
        }
        RecordType::VitalSigns => {
            let v = VitalSigns {
                weight_kg: r.number("weight_kg", 0.5, 400.0),
                height_cm: r.number("height_cm", 20.0, 260.0),
                bp_systolic: r.integer("bp_systolic", 40, 300),
                bp_diastolic: r.integer("bp_diastolic", 20, 200),
                temperature_c: r.number("temperature_c", 25.0, 45.0),
                pulse: r.integer("pulse", 20, 250),
            };
            if let (Some(s), Some(d)) = (v.bp_systolic, v.bp_diastolic) {
                if d >= s {
                    r.e.add(
                        "payload.bp_diastolic",
                        "must be below the systolic pressure",
                    );
                }
            }
            if v.bp_systolic.is_some() != v.bp_diastolic.is_some() {
                r.e.add(
                    "payload.bp_diastolic",
                    "give both systolic and diastolic pressure",
                );
            }
            if map.keys().all(|k| r.present(k).is_none()) {
                r.e.add("payload", "give at least one measurement");
            }
            Payload::VitalSigns(v)
        }
        RecordType::LabResult => {
            let loinc = r.required_text("loinc", 10);
            if !loinc.is_empty() && !is_loinc(&loinc, false) {
                r.e.add("payload.loinc", "must be a LOINC code like 2345-7");
            }
            Payload::LabResult(LabResult {
                loinc,
                value: r.required_text("value", 100),
                unit: r.text("unit", 30),
                reference_range: r.text("reference_range", 60),
            })
        }
        RecordType::Diagnosis => {
            let icd10 = r.required_text("icd10", 10).to_uppercase();
            if !icd10.is_empty() && !is_icd10(&icd10) {
                r.e.add("payload.icd10", "must be an ICD-10 code like B20 or B20.1");
            }
            Payload::Diagnosis(Diagnosis {
                icd10,
                text: r.text("text", 4000),
            })
        }
        RecordType::Allergy => Payload::Allergy(Allergy {
            substance: r.required_text("substance", 200),
            reaction: r.text("reaction", 500),
            severity: r.choice("severity", &SEVERITIES),
        }),
        RecordType::Prescription => {
            let atc = r.text("atc", 10).map(|a| a.to_uppercase());
            if atc.as_deref().is_some_and(|a| !is_atc(a)) {
                r.e.add("payload.atc", "must be an ATC code like J05AF07");
            }
            Payload::Prescription(Prescription {
                drug_name: r.required_text("drug_name", 200),
                atc,
                dose: r.required_text("dose", 100),
                frequency: r.required_text("frequency", 100),
                duration_days: r.integer("duration_days", 1, 365),
                quantity: r.integer("quantity", 1, 10_000),
            })
        }
        RecordType::Dispensing => {
            let raw_id = r.text("prescription_id", 40);
            let prescription_id = raw_id.as_deref().and_then(|s| Uuid::parse_str(s).ok());
            if raw_id.is_some() && prescription_id.is_none() {
                r.e.add("payload.prescription_id", "must be a record id (UUID)");
            }
            let prescription_id = r.required("prescription_id", prescription_id);
            let quantity = r.integer("quantity", 1, 10_000);
            let quantity = r.required("quantity", quantity);
            let days = r.integer("days_supplied", 1, 365);
            let days = r.required("days_supplied", days);
            Payload::Dispensing(Dispensing {
                prescription_id: prescription_id.unwrap_or_default(),
                quantity: quantity.unwrap_or_default(),
                days_supplied: days.unwrap_or_default(),
            })
        }
    };
    e.finish(|| payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(t: RecordType, payload: Value) -> Vec<String> {
        validate_payload(t, &payload)
            .err()
            .map(|e| e.fields().into_keys().collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_type_accepts_a_realistic_payload() {
        let cases = [
            (
                RecordType::ViralLoad,
                json!({"copies_per_ml": 1200, "sample_collected_at": "2026-11-20"}),
            ),
            (
                RecordType::Cd4,
                json!({"cells_per_ul": 350, "percent": 21.5}),
            ),
            (
                RecordType::ArtRegimen,
                json!({"regimen": "tdf+3tc+dtg", "drugs": ["J05AF07", "J05AF05", "J05AJ04"], "line": "first", "action": "start"}),
            ),
            (
                RecordType::AdherenceNote,
                json!({"text": "Missed 2 doses", "adherence_percent": 93, "method": "pill_count"}),
            ),
            (
                RecordType::VitalSigns,
                json!({"weight_kg": 61.5, "bp_systolic": 120, "bp_diastolic": 80}),
            ),
            (
                RecordType::LabResult,
                json!({"loinc": "2160-0", "value": "0.9", "unit": "mg/dL"}),
            ),
            (
                RecordType::Diagnosis,
                json!({"icd10": "b20.1", "text": "TB"}),
            ),
            (
                RecordType::Allergy,
                json!({"substance": "Cotrimoxazole", "severity": "severe"}),
            ),
            (
                RecordType::Prescription,
                json!({"drug_name": "Cotrimoxazole", "dose": "960 mg", "frequency": "once daily", "duration_days": 30}),
            ),
            (
                RecordType::Dispensing,
                json!({"prescription_id": Uuid::now_v7().to_string(), "quantity": 30, "days_supplied": 30}),
            ),
        ];
        for (t, payload) in cases {
            let parsed = validate_payload(t, &payload).unwrap_or_else(|e| panic!("{t:?}: {e:?}"));
            assert_eq!(parsed.record_type(), t);
            let back = Payload::from_stored(t, parsed.to_json()).unwrap();
            assert_eq!(back, parsed, "{t:?} round-trips");
            assert!(!parsed.summary().is_empty(), "{t:?}");
        }
    }

    #[test]
    fn unknown_fields_and_impossible_values_name_the_field() {
        assert_eq!(
            fields(
                RecordType::Cd4,
                json!({"cells_per_ul": 300, "colour": "red"})
            ),
            vec!["payload.colour"]
        );
        assert_eq!(
            fields(RecordType::Cd4, json!({"cells_per_ul": -5})),
            vec!["payload.cells_per_ul"]
        );
        assert_eq!(
            fields(RecordType::Cd4, json!({"cells_per_ul": 350.5})),
            vec!["payload.cells_per_ul"]
        );
        assert_eq!(
            fields(RecordType::ViralLoad, json!({})),
            vec!["payload.copies_per_ml"]
        );
        assert_eq!(
            fields(RecordType::ViralLoad, json!({"copies_per_ml": "lots"})),
            vec!["payload.copies_per_ml"]
        );
        assert_eq!(
            fields(
                RecordType::ViralLoad,
                json!({"qualitative": "pending", "copies_per_ml": 20})
            ),
            vec!["payload.copies_per_ml"]
        );
        assert_eq!(
            fields(
                RecordType::VitalSigns,
                json!({"bp_systolic": 80, "bp_diastolic": 120})
            ),
            vec!["payload.bp_diastolic"]
        );
        assert_eq!(
            fields(RecordType::VitalSigns, json!({"temperature_c": 60})),
            vec!["payload.temperature_c"]
        );
        assert_eq!(
            fields(
                RecordType::ArtRegimen,
                json!({"regimen": "TDF+3TC+DTG", "action": "start"})
            ),
            vec!["payload.line"]
        );
        assert_eq!(
            fields(
                RecordType::ArtRegimen,
                json!({"regimen": "TDF 3TC", "action": "pause", "line": "first"})
            ),
            vec!["payload.action", "payload.regimen"]
        );
        assert_eq!(
            fields(RecordType::Dispensing, json!({"quantity": 30})),
            vec!["payload.days_supplied", "payload.prescription_id"]
        );
        assert!(validate_payload(RecordType::Cd4, &json!([1, 2])).is_err());
    }
}
