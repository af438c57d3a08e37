//! HIV clinical records (SPEC 2.4): the record types, their typed payloads and every rule that
//! validates them, the data categories used by consent, and the viral-load interpretation.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::ErrorKind;
use super::role::Permission;
use super::validate::Errors;

/// Data categories a consent grant names (SPEC section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    Demographics,
    HivStatus,
    Art,
    Labs,
    ClinicalNotes,
    Appointments,
    Billing,
    Sensitive,
}

impl DataCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            DataCategory::Demographics => "demographics",
            DataCategory::HivStatus => "hiv_status",
            DataCategory::Art => "art",
            DataCategory::Labs => "labs",
            DataCategory::ClinicalNotes => "clinical_notes",
            DataCategory::Appointments => "appointments",
            DataCategory::Billing => "billing",
            DataCategory::Sensitive => "sensitive",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    ViralLoad,
    Cd4,
    ArtRegimen,
    AdherenceNote,
    VitalSigns,
    LabResult,
    Diagnosis,
    Allergy,
    Prescription,
    Dispensing,
}

impl RecordType {
    pub const ALL: [RecordType; 10] = [
        RecordType::ViralLoad,
        RecordType::Cd4,
        RecordType::ArtRegimen,
        RecordType::AdherenceNote,
        RecordType::VitalSigns,
        RecordType::LabResult,
        RecordType::Diagnosis,
        RecordType::Allergy,
        RecordType::Prescription,
        RecordType::Dispensing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::ViralLoad => "viral_load",
            RecordType::Cd4 => "cd4",
            RecordType::ArtRegimen => "art_regimen",
            RecordType::AdherenceNote => "adherence_note",
            RecordType::VitalSigns => "vital_signs",
            RecordType::LabResult => "lab_result",
            RecordType::Diagnosis => "diagnosis",
            RecordType::Allergy => "allergy",
            RecordType::Prescription => "prescription",
            RecordType::Dispensing => "dispensing",
        }
    }

    /// Human label for tables and filters.
    pub fn label(self) -> &'static str {
        match self {
            RecordType::ViralLoad => "Viral load",
            RecordType::Cd4 => "CD4",
            RecordType::ArtRegimen => "ART regimen",
            RecordType::AdherenceNote => "Adherence note",
            RecordType::VitalSigns => "Vital signs",
            RecordType::LabResult => "Lab result",
            RecordType::Diagnosis => "Diagnosis",
            RecordType::Allergy => "Allergy",
            RecordType::Prescription => "Prescription",
            RecordType::Dispensing => "Dispensing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    pub fn category(self) -> DataCategory {
        match self {
            RecordType::ViralLoad | RecordType::Cd4 | RecordType::LabResult => DataCategory::Labs,
            RecordType::ArtRegimen | RecordType::Prescription | RecordType::Dispensing => {
                DataCategory::Art
            }
            RecordType::AdherenceNote
            | RecordType::VitalSigns
            | RecordType::Diagnosis
            | RecordType::Allergy => DataCategory::ClinicalNotes,
        }
    }

    /// The permission that writes this type.
    pub fn write_permission(self) -> Permission {
        match self {
            RecordType::ViralLoad | RecordType::Cd4 | RecordType::LabResult => {
                Permission::LabsWrite
            }
            RecordType::ArtRegimen | RecordType::Prescription => Permission::PrescriptionsWrite,
            RecordType::Dispensing => Permission::DispensingWrite,
            _ => Permission::RecordsWrite,
        }
    }

    /// Permissions that read this type: clinical readers read everything; pharmacists read
    /// regimens, prescriptions and dispensing.
    pub fn read_permissions(self) -> &'static [Permission] {
        match self.category() {
            DataCategory::Art => &[Permission::RecordsRead, Permission::RegimensRead],
            _ => &[Permission::RecordsRead],
        }
    }

    /// The payload's field names.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            RecordType::ViralLoad => &[
                "copies_per_ml",
                "comparator",
                "qualitative",
                "lower_limit",
                "sample_collected_at",
            ],
            RecordType::Cd4 => &["cells_per_ul", "percent"],
            RecordType::ArtRegimen => &["regimen", "drugs", "line", "action", "reason_code"],
            RecordType::AdherenceNote => &["text", "adherence_percent", "method"],
            RecordType::VitalSigns => &[
                "weight_kg",
                "height_cm",
                "bp_systolic",
                "bp_diastolic",
                "temperature_c",
                "pulse",
            ],
            RecordType::LabResult => &["loinc", "value", "unit", "reference_range"],
            RecordType::Diagnosis => &["icd10", "text"],
            RecordType::Allergy => &["substance", "reaction", "severity"],
            RecordType::Prescription => &[
                "drug_name",
                "atc",
                "dose",
                "frequency",
                "duration_days",
                "quantity",
            ],
            RecordType::Dispensing => &["prescription_id", "quantity", "days_supplied"],
        }
    }

    /// Lab values are immutable: a correction is a new record that supersedes the old one.
    /// Only notes may be edited in place.
    pub fn is_editable(self) -> bool {
        matches!(self, RecordType::AdherenceNote | RecordType::Diagnosis)
    }
}

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

/// Reads one JSON object field by field, collecting errors under `payload.<field>`.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    e: &'a mut Errors,
}

impl<'a> Reader<'a> {
    fn key(field: &str) -> String {
        format!("payload.{field}")
    }

    fn present(&self, field: &str) -> Option<&'a Value> {
        let map: &'a Map<String, Value> = self.map;
        map.get(field).filter(|v| !v.is_null())
    }

    fn number(&mut self, field: &str, min: f64, max: f64) -> Option<f64> {
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

    fn integer(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        let n = self.number(field, min as f64, max as f64)?;
        if n.fract() != 0.0 {
            self.e.add(&Self::key(field), "must be a whole number");
            return None;
        }
        Some(n as i64)
    }

    fn text(&mut self, field: &str, max: usize) -> Option<String> {
        let value = self.present(field)?;
        match value {
            Value::String(s) => self.e.optional_text(&Self::key(field), Some(s), max),
            _ => {
                self.e.add(&Self::key(field), "must be text");
                None
            }
        }
    }

    fn required_text(&mut self, field: &str, max: usize) -> String {
        let v = self.text(field, max);
        if v.is_none() && !self.e_has(field) {
            self.e.add(&Self::key(field), "is required");
        }
        v.unwrap_or_default()
    }

    fn e_has(&self, field: &str) -> bool {
        !self.e.messages(&Self::key(field)).is_empty()
    }

    fn choice(&mut self, field: &str, allowed: &[&str]) -> Option<String> {
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

    fn required_choice(&mut self, field: &str, allowed: &[&str]) -> String {
        let v = self.choice(field, allowed);
        if v.is_none() && !self.e_has(field) {
            self.e.add(&Self::key(field), "is required");
        }
        v.unwrap_or_default()
    }

    fn datetime(&mut self, field: &str) -> Option<DateTime<Utc>> {
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

    fn required<T>(&mut self, field: &str, v: Option<T>) -> Option<T> {
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

/// What a caller sends to add a record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    /// One of the SPEC 2.4 types, e.g. `viral_load`.
    pub record_type: Option<String>,
    /// Clinical time (RFC 3339 or `YYYY-MM-DD`); now when omitted. Not in the future.
    pub recorded_at: Option<String>,
    /// The type's fields; see the record type table.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: Option<Value>,
    /// The record this one corrects (same patient and type); the old one is kept.
    pub supersedes: Option<String>,
}

/// A validated new record.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidRecord {
    pub payload: Payload,
    pub recorded_at: DateTime<Utc>,
    pub supersedes: Option<Uuid>,
}

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
        })
    }
}

/// Edits a note in place (adherence notes and diagnosis text only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordUpdate {
    /// The complete new payload. For a diagnosis only `text` may change.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: Option<Value>,
}

/// A record as a permitted reader sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClinicalRecord {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub record_type: RecordType,
    pub category: DataCategory,
    pub recorded_at: DateTime<Utc>,
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: Value,
    /// One line for tables.
    pub summary: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub supersedes: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
    pub editable: bool,
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

/// One point of a chart series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartPoint {
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    /// Below the assay's detection limit (plotted at the limit, hollow).
    pub below_limit: bool,
}

/// A record as the chart's records table and ART history show it: the page carries these to
/// the browser for hydration, so they hold what is shown and no more (the API has the whole
/// record).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartRow {
    pub id: Uuid,
    pub record_type: RecordType,
    pub recorded_at: DateTime<Utc>,
    pub summary: String,
    /// A later record corrects this one.
    pub corrected: bool,
    /// The record was edited after it was written.
    pub edited: bool,
}

impl From<ClinicalRecord> for ChartRow {
    fn from(r: ClinicalRecord) -> Self {
        Self {
            id: r.id,
            record_type: r.record_type,
            recorded_at: r.recorded_at,
            summary: r.summary,
            corrected: r.superseded_by.is_some(),
            edited: r.version > 1,
        }
    }
}

/// Everything the chart page shows, as far as the caller's role reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    pub patient: super::patient::Patient,
    pub today: NaiveDate,
    /// `None` for roles without clinical access (front desk, billing).
    pub summary: Option<PatientSummary>,
    pub viral_loads: Vec<ChartPoint>,
    pub cd4: Vec<ChartPoint>,
    /// ART regimen records, oldest first.
    pub regimens: Vec<ChartRow>,
    /// The records table (filtered), when the role reads records.
    pub records: Option<super::page::Page<ChartRow>>,
    /// Quick-entry forms the role may use.
    pub writable: Vec<RecordType>,
    /// Consent forms and scans, when the role reads any.
    pub attachments: Option<Vec<super::attachment::Attachment>>,
    /// The attachment kinds the role may upload.
    pub attachable: Vec<super::attachment::AttachmentKind>,
}

/// The quick-entry forms of the chart.
pub const QUICK_ENTRY: [RecordType; 5] = [
    RecordType::ViralLoad,
    RecordType::Cd4,
    RecordType::ArtRegimen,
    RecordType::AdherenceNote,
    RecordType::VitalSigns,
];

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
    }
}

/// Viral-load thresholds of a hospital's rule set (copies/mL).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VlThresholds {
    /// Above this (and detectable) is low-level viraemia; at or below is suppressed.
    pub low_level_above: f64,
    /// Above this is unsuppressed.
    pub unsuppressed_above: f64,
}

impl VlThresholds {
    /// WHO 2021 (HIV.D17.DT): suppressed up to 50 copies/mL, low-level viraemia 51-1000,
    /// unsuppressed above 1000.
    pub const WHO: VlThresholds = VlThresholds {
        low_level_above: 50.0,
        unsuppressed_above: 1000.0,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VlInterpretation {
    Undetectable,
    Suppressed,
    LowLevel,
    Unsuppressed,
}

impl VlInterpretation {
    pub fn label(self) -> &'static str {
        match self {
            VlInterpretation::Undetectable => "Undetectable",
            VlInterpretation::Suppressed => "Suppressed",
            VlInterpretation::LowLevel => "Low-level viraemia",
            VlInterpretation::Unsuppressed => "Unsuppressed",
        }
    }
}

/// Interprets a result; `None` when there is nothing to interpret (pending, rejected, or
/// detected without a number).
pub fn interpret_vl(
    copies: Option<f64>,
    comparator: &str,
    qualitative: Option<&str>,
    lower_limit: Option<f64>,
    t: VlThresholds,
) -> Option<VlInterpretation> {
    match qualitative {
        Some("not_detected" | "ldl") => return Some(VlInterpretation::Undetectable),
        Some("rejected" | "pending") => return None,
        _ => {}
    }
    let c = copies?;
    if comparator == "<" && lower_limit.is_none_or(|l| c <= l) {
        // "< 40" is below the assay's limit of detection.
        return Some(VlInterpretation::Undetectable);
    }
    if c == 0.0 {
        return Some(VlInterpretation::Undetectable);
    }
    Some(if c > t.unsuppressed_above {
        VlInterpretation::Unsuppressed
    } else if c > t.low_level_above {
        VlInterpretation::LowLevel
    } else {
        VlInterpretation::Suppressed
    })
}

/// A viral-load result in the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VlResult {
    pub record_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub copies_per_ml: Option<f64>,
    pub comparator: String,
    pub qualitative: Option<String>,
    pub interpretation: Option<VlInterpretation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Cd4Result {
    pub record_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub cells_per_ul: Option<i64>,
    pub percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CurrentRegimen {
    pub regimen: String,
    pub line: Option<String>,
    pub since: DateTime<Utc>,
}

/// A decision-support flag (filled by the decision-support rules).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Flag {
    pub rule_id: String,
    pub severity: String,
    pub message: String,
}

/// The HIV summary of a patient as the caller's hospital sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PatientSummary {
    pub patient_id: Uuid,
    /// `on_art`, `stopped` or `not_started`.
    pub art_status: String,
    pub art_start: Option<DateTime<Utc>>,
    pub current_regimen: Option<CurrentRegimen>,
    pub latest_viral_load: Option<VlResult>,
    pub previous_viral_load: Option<VlResult>,
    pub latest_cd4: Option<Cd4Result>,
    pub last_record_at: Option<DateTime<Utc>>,
    pub next_appointment: Option<DateTime<Utc>>,
    pub thresholds: VlThresholds,
    pub flags: Vec<Flag>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        parse_datetime("2026-11-23T10:00:00Z").unwrap()
    }

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

    #[test]
    fn viral_loads_are_interpreted_with_who_thresholds() {
        let who = VlThresholds::WHO;
        let i = |c: Option<f64>, cmp: &str, q: Option<&str>| interpret_vl(c, cmp, q, None, who);
        assert_eq!(
            i(None, "=", Some("not_detected")),
            Some(VlInterpretation::Undetectable)
        );
        assert_eq!(
            i(Some(40.0), "<", None),
            Some(VlInterpretation::Undetectable)
        );
        assert_eq!(i(Some(50.0), "=", None), Some(VlInterpretation::Suppressed));
        assert_eq!(i(Some(51.0), "=", None), Some(VlInterpretation::LowLevel));
        assert_eq!(i(Some(1000.0), "=", None), Some(VlInterpretation::LowLevel));
        assert_eq!(
            i(Some(1001.0), "=", None),
            Some(VlInterpretation::Unsuppressed)
        );
        assert_eq!(i(None, "=", Some("pending")), None);
        let strict = VlThresholds {
            low_level_above: 20.0,
            unsuppressed_above: 200.0,
        };
        assert_eq!(
            interpret_vl(Some(300.0), "=", None, None, strict),
            Some(VlInterpretation::Unsuppressed)
        );
    }
}
