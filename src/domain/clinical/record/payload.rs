//! The typed payload of each record type and the one-line summary record tables show.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::RecordType;

/// Viral load: LOINC 25836-8, copies/mL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ViralLoad {
    pub copies_per_ml: Option<f64>,
    /// `<`, `=` or `>`.
    pub comparator: String,
    /// `detected`, `not_detected`, `ldl`, `rejected` or `pending`.
    pub qualitative: Option<String>,
    pub lower_limit: Option<f64>,
    pub sample_collected_at: Option<DateTime<Utc>>,
}

/// CD4 count: LOINC 24467-3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Cd4 {
    pub cells_per_ul: Option<i64>,
    pub percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ArtRegimen {
    /// e.g. `TDF+3TC+DTG`.
    pub regimen: String,
    /// ATC codes of the drugs.
    pub drugs: Vec<String>,
    /// `first`, `second` or `third`.
    pub line: Option<String>,
    /// `start`, `switch`, `substitute` or `stop`.
    pub action: String,
    pub reason_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AdherenceNote {
    pub text: String,
    pub adherence_percent: Option<f64>,
    pub method: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VitalSigns {
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
    pub bp_systolic: Option<i64>,
    pub bp_diastolic: Option<i64>,
    pub temperature_c: Option<f64>,
    pub pulse: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LabResult {
    pub loinc: String,
    pub value: String,
    pub unit: Option<String>,
    pub reference_range: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Diagnosis {
    pub icd10: String,
    pub text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Allergy {
    pub substance: String,
    pub reaction: Option<String>,
    /// `mild`, `moderate`, `severe` or `life_threatening`.
    pub severity: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Prescription {
    pub drug_name: String,
    pub atc: Option<String>,
    pub dose: String,
    pub frequency: String,
    pub duration_days: Option<i64>,
    pub quantity: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Dispensing {
    pub prescription_id: Uuid,
    pub quantity: i64,
    pub days_supplied: i64,
}

/// A validated payload, one variant per record type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record_type", content = "payload", rename_all = "snake_case")]
pub enum Payload {
    ViralLoad(ViralLoad),
    Cd4(Cd4),
    ArtRegimen(ArtRegimen),
    AdherenceNote(AdherenceNote),
    VitalSigns(VitalSigns),
    LabResult(LabResult),
    Diagnosis(Diagnosis),
    Allergy(Allergy),
    Prescription(Prescription),
    Dispensing(Dispensing),
}

impl Payload {
    pub fn record_type(&self) -> RecordType {
        match self {
            Payload::ViralLoad(_) => RecordType::ViralLoad,
            Payload::Cd4(_) => RecordType::Cd4,
            Payload::ArtRegimen(_) => RecordType::ArtRegimen,
            Payload::AdherenceNote(_) => RecordType::AdherenceNote,
            Payload::VitalSigns(_) => RecordType::VitalSigns,
            Payload::LabResult(_) => RecordType::LabResult,
            Payload::Diagnosis(_) => RecordType::Diagnosis,
            Payload::Allergy(_) => RecordType::Allergy,
            Payload::Prescription(_) => RecordType::Prescription,
            Payload::Dispensing(_) => RecordType::Dispensing,
        }
    }

    /// The payload's own JSON object (without the type tag).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("payload").map(Value::take))
            .unwrap_or(Value::Null)
    }

    /// Reads a stored payload back.
    pub fn from_stored(record_type: RecordType, payload: Value) -> Option<Payload> {
        serde_json::from_value(serde_json::json!({
            "record_type": record_type.as_str(),
            "payload": payload,
        }))
        .ok()
    }

    /// The one-line summary shown in record tables (clinical values; never identifiers).
    pub fn summary(&self) -> String {
        match self {
            Payload::ViralLoad(v) => match (v.copies_per_ml, v.qualitative.as_deref()) {
                (Some(c), _) => {
                    let cmp = if v.comparator == "=" {
                        ""
                    } else {
                        v.comparator.as_str()
                    };
                    format!("{cmp}{} copies/mL", format_number(c))
                }
                (None, Some(q)) => qualitative_label(q).to_string(),
                (None, None) => String::new(),
            },
            Payload::Cd4(c) => match (c.cells_per_ul, c.percent) {
                (Some(n), Some(p)) => format!("{n} cells/µL ({}%)", format_number(p)),
                (Some(n), None) => format!("{n} cells/µL"),
                (None, Some(p)) => format!("{}%", format_number(p)),
                (None, None) => String::new(),
            },
            Payload::ArtRegimen(r) => {
                let line = r
                    .line
                    .as_deref()
                    .map(|l| format!(", {l} line"))
                    .unwrap_or_default();
                format!("{} {}{line}", capitalise(&r.action), r.regimen)
            }
            Payload::AdherenceNote(n) => match n.adherence_percent {
                Some(p) => format!("{}% · {}", format_number(p), n.text),
                None => n.text.clone(),
            },
            Payload::VitalSigns(v) => {
                let mut parts = Vec::new();
                if let Some(w) = v.weight_kg {
                    parts.push(format!("{} kg", format_number(w)));
                }
                if let (Some(s), Some(d)) = (v.bp_systolic, v.bp_diastolic) {
                    parts.push(format!("BP {s}/{d}"));
                }
                if let Some(t) = v.temperature_c {
                    parts.push(format!("{} °C", format_number(t)));
                }
                if let Some(p) = v.pulse {
                    parts.push(format!("pulse {p}"));
                }
                if let Some(h) = v.height_cm {
                    parts.push(format!("{} cm", format_number(h)));
                }
                parts.join(" · ")
            }
            Payload::LabResult(l) => format!(
                "LOINC {}: {}{}",
                l.loinc,
                l.value,
                l.unit
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            ),
            Payload::Diagnosis(d) => match &d.text {
                Some(t) => format!("{} {t}", d.icd10),
                None => d.icd10.clone(),
            },
            Payload::Allergy(a) => {
                let mut s = a.substance.clone();
                if let Some(r) = &a.reaction {
                    s.push_str(&format!(": {r}"));
                }
                if let Some(sev) = &a.severity {
                    s.push_str(&format!(" ({sev})"));
                }
                s
            }
            Payload::Prescription(p) => format!("{} {} {}", p.drug_name, p.dose, p.frequency),
            Payload::Dispensing(d) => {
                format!("{} units, {} days", d.quantity, d.days_supplied)
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `1200` not `1200.0`; at most two decimals.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn qualitative_label(q: &str) -> &'static str {
    match q {
        "detected" => "Detected",
        "not_detected" => "Not detected",
        "ldl" => "Below detection limit",
        "rejected" => "Sample rejected",
        "pending" => "Pending",
        _ => "",
    }
}
