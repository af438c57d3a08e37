//! One function per FHIR resource type: the domain's patient, records, grants and attachments
//! written as FHIR R4 resources. References point at other entries of the same Bundle by
//! `urn:uuid:` (see `full_url`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{
    coding, concept, reference, text_concept, very_restricted, ATC, DATA_CATEGORY, ICD10, LOINC,
    LOINC_CD4, LOINC_CD4_PERCENT, LOINC_VIRAL_LOAD, NATIONAL_ID, SNOMED, UCUM,
};
use crate::domain::clinical::attachment::Attachment;
use crate::domain::clinical::patient::{Patient, PatientListItem};
use crate::domain::clinical::record::{
    AdherenceNote, Allergy, ArtRegimen, Cd4, ClinicalRecord, Diagnosis, Dispensing, LabResult,
    Payload, Prescription, RecordType, ViralLoad, VitalSigns,
};
use crate::domain::sharing::grant::{Grant, GrantStatus, Purpose};

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const DATA_ABSENT: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";

/// A FHIR `instant` / `dateTime`: to the second, in UTC.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// What a record's resource needs to know beyond the record itself.
pub struct RecordContext<'a> {
    pub now: DateTime<Utc>,
    /// The regimen record in force (the newest one that is not a stop).
    pub current_regimen: Option<Uuid>,
    /// Prescriptions in the export, by record id, for the dispensings that fill them.
    pub prescriptions: &'a HashMap<Uuid, Prescription>,
}

/// A resource's common part: type, id, the label and (for records) the subject.
fn base(resource_type: &str, id: Uuid) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("resourceType".into(), json!(resource_type));
    m.insert("id".into(), json!(id.to_string()));
    m.insert("meta".into(), very_restricted());
    m
}

fn quantity(value: f64, unit: &str, code: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": UCUM, "code": code })
}

fn days(n: i64) -> Value {
    json!({ "value": n, "unit": "days", "system": UCUM, "code": "d" })
}

/// The patient, with the identifiers each hospital gave them.
pub fn patient(p: &Patient, record_numbers: &[(Uuid, String)]) -> Value {
    let mut m = identity(
        &PatientListItem {
            id: p.id,
            mrn: String::new(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            date_of_birth: p.date_of_birth,
            sex: p.sex.clone(),
        },
        record_numbers,
        p.national_id.as_deref(),
    );
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone, "use": "mobile" }));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({ "system": "email", "value": email }));
    }
    if !telecom.is_empty() {
        m.insert("telecom".into(), Value::Array(telecom));
    }
    if let Some(address) = &p.address {
        m.insert("address".into(), json!([{ "text": address }]));
    }
    if p.emergency_contact_name.is_some() || p.emergency_contact_phone.is_some() {
        let mut contact = Map::new();
        if let Some(name) = &p.emergency_contact_name {
            contact.insert("name".into(), json!({ "text": name }));
        }
        if let Some(phone) = &p.emergency_contact_phone {
            contact.insert(
                "telecom".into(),
                json!([{ "system": "phone", "value": phone }]),
            );
        }
        m.insert("contact".into(), json!([contact]));
    }
    Value::Object(m)
}

/// A patient found by a search: who they are and the hospital's MRN (the contact details are
/// read with the Patient itself).
pub fn patient_match(p: &PatientListItem, hospital: Uuid) -> Value {
    Value::Object(identity(p, &[(hospital, p.mrn.clone())], None))
}

/// What every Patient carries: the record numbers, the national identifier when given, the
/// name, gender and birth date.
fn identity(
    p: &PatientListItem,
    record_numbers: &[(Uuid, String)],
    national_id: Option<&str>,
) -> Map<String, Value> {
    let mut m = base("Patient", p.id);
    let mut identifiers: Vec<Value> = record_numbers
        .iter()
        .map(|(hospital, mrn)| {
            json!({
                "type": concept(IDENTIFIER_TYPE, "MR", "Medical record number"),
                "value": mrn,
                "assigner": reference(*hospital),
            })
        })
        .collect();
    if let Some(id) = national_id {
        identifiers.push(json!({
            "type": concept(IDENTIFIER_TYPE, "NI", "National unique individual identifier"),
            "system": NATIONAL_ID,
            "value": id,
        }));
    }
    if !identifiers.is_empty() {
        m.insert("identifier".into(), Value::Array(identifiers));
    }
    m.insert(
        "name".into(),
        json!([{ "use": "official", "family": p.last_name, "given": [p.first_name] }]),
    );
    let gender = match p.sex.as_str() {
        "male" => "male",
        "female" => "female",
        "other" => "other",
        _ => "unknown",
    };
    m.insert("gender".into(), json!(gender));
    m.insert("birthDate".into(), json!(date(p.date_of_birth)));
    m
}

/// A hospital.
pub fn organization(id: Uuid, name: &str) -> Value {
    json!({
        "resourceType": "Organization",
        "id": id.to_string(),
        "active": true,
        "name": name,
    })
}

/// A record as its resource; `None` for a payload that cannot be read back (never written by
/// this server's validator).
pub fn record(r: &ClinicalRecord, ctx: &RecordContext<'_>) -> Option<Value> {
    let payload = Payload::from_stored(r.record_type, r.payload.clone())?;
    let mut m = match &payload {
        Payload::ViralLoad(v) => viral_load(r, v),
        Payload::Cd4(c) => cd4(r, c),
        Payload::VitalSigns(v) => vital_signs(r, v),
        Payload::LabResult(l) => lab_result(r, l),
        Payload::AdherenceNote(n) => adherence(r, n),
        Payload::Diagnosis(d) => condition(r, d),
        Payload::Allergy(a) => allergy(r, a),
        Payload::ArtRegimen(a) => regimen(r, a, ctx),
        Payload::Prescription(p) => prescription(r, p, ctx.now),
        Payload::Dispensing(d) => dispense(r, d, ctx),
    };
    let subject = if r.record_type == RecordType::Allergy {
        "patient"
    } else {
        "subject"
    };
    m.insert(subject.into(), reference(r.patient_id));
    Some(Value::Object(m))
}

/// An observation's frame: status, category, code, when and by which hospital.
fn observation(r: &ClinicalRecord, category: (&str, &str), code: Value) -> Map<String, Value> {
    let mut m = base("Observation", r.id);
    let status = if r.supersedes.is_some() {
        "corrected"
    } else {
        "final"
    };
    m.insert("status".into(), json!(status));
    m.insert(
        "category".into(),
        json!([concept(OBSERVATION_CATEGORY, category.0, category.1)]),
    );
    m.insert("code".into(), code);
    m.insert("effectiveDateTime".into(), json!(instant(r.recorded_at)));
    m.insert("issued".into(), json!(instant(r.created_at)));
    m.insert("performer".into(), json!([reference(r.hospital_id)]));
    m
}

const LABORATORY: (&str, &str) = ("laboratory", "Laboratory");

fn viral_load(r: &ClinicalRecord, v: &ViralLoad) -> Map<String, Value> {
    let code = concept(
        LOINC,
        LOINC_VIRAL_LOAD,
        "HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection",
    );
    let mut m = observation(r, LABORATORY, code);
    if let Some(collected) = v.sample_collected_at {
        m.insert("effectiveDateTime".into(), json!(instant(collected)));
    }
    match (v.copies_per_ml, v.qualitative.as_deref()) {
        (_, Some("pending")) => {
            m.insert("status".into(), json!("registered"));
        }
        (_, Some("rejected")) => {
            m.insert("status".into(), json!("cancelled"));
            m.insert(
                "dataAbsentReason".into(),
                concept(DATA_ABSENT, "error", "Error"),
            );
        }
        (Some(copies), _) => {
            let mut q = quantity(copies, "copies/mL", "{copies}/mL");
            if matches!(v.comparator.as_str(), "<" | ">") {
                q["comparator"] = json!(v.comparator);
            }
            m.insert("valueQuantity".into(), q);
        }
        (None, Some("detected")) => {
            m.insert(
                "valueCodeableConcept".into(),
                concept(SNOMED, "260373001", "Detected"),
            );
        }
        (None, Some("not_detected" | "ldl")) => {
            m.insert(
                "valueCodeableConcept".into(),
                concept(SNOMED, "260415000", "Not detected"),
            );
        }
        _ => {}
    }
    if let Some(limit) = v.lower_limit {
        m.insert(
            "note".into(),
            json!([{ "text": format!("Assay detection limit: {} copies/mL", limit) }]),
        );
    }
    m
}

fn cd4(r: &ClinicalRecord, c: &Cd4) -> Map<String, Value> {
    let code = concept(
        LOINC,
        LOINC_CD4,
        "CD3+CD4+ (T4 helper) cells [#/volume] in Blood",
    );
    let mut m = observation(r, LABORATORY, code);
    if let Some(n) = c.cells_per_ul {
        m.insert(
            "valueQuantity".into(),
            quantity(n as f64, "cells/µL", "/uL"),
        );
    }
    if let Some(p) = c.percent {
        m.insert(
            "component".into(),
            json!([{
                "code": concept(LOINC, LOINC_CD4_PERCENT, "CD3+CD4+ (T4 helper) cells/100 cells in Blood"),
                "valueQuantity": quantity(p, "%", "%"),
            }]),
        );
    }
    m
}

fn vital_signs(r: &ClinicalRecord, v: &VitalSigns) -> Map<String, Value> {
    let code = concept(LOINC, "85353-1", "Vital signs panel");
    let mut m = observation(r, ("vital-signs", "Vital Signs"), code);
    let mut parts = Vec::new();
    let mut add = |loinc: &str, display: &str, value: Option<f64>, unit: &str, ucum: &str| {
        if let Some(value) = value {
            parts.push(json!({
                "code": concept(LOINC, loinc, display),
                "valueQuantity": quantity(value, unit, ucum),
            }));
        }
    };
    add("29463-7", "Body weight", v.weight_kg, "kg", "kg");
    add("8302-2", "Body height", v.height_cm, "cm", "cm");
    add(
        "8480-6",
        "Systolic blood pressure",
        v.bp_systolic.map(|x| x as f64),
        "mmHg",
        "mm[Hg]",
    );
    add(
        "8462-4",
        "Diastolic blood pressure",
        v.bp_diastolic.map(|x| x as f64),
        "mmHg",
        "mm[Hg]",
    );
    add("8310-5", "Body temperature", v.temperature_c, "°C", "Cel");
    add(
        "8867-4",
        "Heart rate",
        v.pulse.map(|x| x as f64),
        "beats/minute",
        "/min",
    );
    if !parts.is_empty() {
        m.insert("component".into(), Value::Array(parts));
    }
    m
}

fn lab_result(r: &ClinicalRecord, l: &LabResult) -> Map<String, Value> {
    let code = json!({
        "coding": [{ "system": LOINC, "code": l.loinc }],
        "text": format!("LOINC {}", l.loinc),
    });
    let mut m = observation(r, LABORATORY, code);
    match (l.value.trim().parse::<f64>(), &l.unit) {
        (Ok(value), Some(unit)) if value.is_finite() => {
            m.insert(
                "valueQuantity".into(),
                json!({ "value": value, "unit": unit }),
            );
        }
        _ => {
            m.insert("valueString".into(), json!(l.value));
        }
    }
    if let Some(range) = &l.reference_range {
        m.insert("referenceRange".into(), json!([{ "text": range }]));
    }
    m
}

fn adherence(r: &ClinicalRecord, n: &AdherenceNote) -> Map<String, Value> {
    let code = text_concept("Adherence to antiretroviral therapy");
    let mut m = observation(r, ("therapy", "Therapy"), code);
    if let Some(p) = n.adherence_percent {
        m.insert("valueQuantity".into(), quantity(p, "%", "%"));
    }
    let method = n
        .method
        .as_deref()
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    m.insert(
        "note".into(),
        json!([{ "text": format!("{}{method}", n.text) }]),
    );
    m
}

fn condition(r: &ClinicalRecord, d: &Diagnosis) -> Map<String, Value> {
    let mut m = base("Condition", r.id);
    m.insert(
        "clinicalStatus".into(),
        concept(CONDITION_CLINICAL, "active", "Active"),
    );
    m.insert(
        "verificationStatus".into(),
        concept(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
    );
    m.insert(
        "category".into(),
        json!([concept(
            CONDITION_CATEGORY,
            "problem-list-item",
            "Problem List Item"
        )]),
    );
    m.insert(
        "code".into(),
        json!({
            "coding": [{ "system": ICD10, "code": d.icd10 }],
            "text": d.text.clone().unwrap_or_else(|| d.icd10.clone()),
        }),
    );
    m.insert("recordedDate".into(), json!(instant(r.recorded_at)));
    m
}

fn allergy(r: &ClinicalRecord, a: &Allergy) -> Map<String, Value> {
    let mut m = base("AllergyIntolerance", r.id);
    m.insert(
        "clinicalStatus".into(),
        concept(ALLERGY_CLINICAL, "active", "Active"),
    );
    m.insert(
        "verificationStatus".into(),
        concept(ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
    );
    m.insert("code".into(), text_concept(&a.substance));
    m.insert("recordedDate".into(), json!(instant(r.recorded_at)));
    if a.severity.as_deref() == Some("life_threatening") {
        m.insert("criticality".into(), json!("high"));
    }
    if let Some(reaction) = &a.reaction {
        let mut entry = json!({ "manifestation": [text_concept(reaction)] });
        let severity = match a.severity.as_deref() {
            Some("mild") => Some("mild"),
            Some("moderate") => Some("moderate"),
            Some("severe" | "life_threatening") => Some("severe"),
            _ => None,
        };
        if let Some(s) = severity {
            entry["severity"] = json!(s);
        }
        m.insert("reaction".into(), json!([entry]));
    }
    m
}

/// A medication order's frame.
fn medication_request(r: &ClinicalRecord, status: &str) -> Map<String, Value> {
    let mut m = base("MedicationRequest", r.id);
    m.insert("status".into(), json!(status));
    m.insert("intent".into(), json!("order"));
    m.insert("authoredOn".into(), json!(instant(r.recorded_at)));
    m.insert("requester".into(), reference(r.hospital_id));
    m
}

fn regimen(r: &ClinicalRecord, a: &ArtRegimen, ctx: &RecordContext<'_>) -> Map<String, Value> {
    let status = if a.action == "stop" {
        "stopped"
    } else if ctx.current_regimen == Some(r.id) {
        "active"
    } else {
        "completed"
    };
    let mut m = medication_request(r, status);
    // A regimen is one medicine made of several drugs: a contained Medication lists them.
    let ingredients: Vec<Value> = a
        .drugs
        .iter()
        .map(|atc| json!({ "itemCodeableConcept": { "coding": [{ "system": ATC, "code": atc }] } }))
        .collect();
    let mut medication = json!({
        "resourceType": "Medication",
        "id": "regimen",
        "code": text_concept(&a.regimen),
    });
    if !ingredients.is_empty() {
        medication["ingredient"] = Value::Array(ingredients);
    }
    m.insert("contained".into(), json!([medication]));
    m.insert(
        "medicationReference".into(),
        json!({ "reference": "#regimen", "display": a.regimen }),
    );
    m.insert(
        "category".into(),
        json!([text_concept("Antiretroviral therapy")]),
    );
    m.insert(
        "courseOfTherapyType".into(),
        concept(
            "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
            "continuous",
            "Continuous long term therapy",
        ),
    );
    let mut notes = vec![format!("{} of the regimen", a.action)];
    if let Some(line) = &a.line {
        notes.push(format!("{line} line"));
    }
    m.insert("note".into(), json!([{ "text": notes.join("; ") }]));
    if let Some(reason) = &a.reason_code {
        m.insert("reasonCode".into(), json!([text_concept(reason)]));
    }
    m
}

fn prescription(r: &ClinicalRecord, p: &Prescription, now: DateTime<Utc>) -> Map<String, Value> {
    let ended = p
        .duration_days
        .is_some_and(|d| r.recorded_at + chrono::Duration::days(d) <= now);
    let mut m = medication_request(r, if ended { "completed" } else { "active" });
    m.insert("medicationCodeableConcept".into(), medicine(p));
    m.insert(
        "dosageInstruction".into(),
        json!([{ "text": format!("{} {}", p.dose, p.frequency) }]),
    );
    let mut dispense = Map::new();
    if let Some(q) = p.quantity {
        dispense.insert("quantity".into(), json!({ "value": q }));
    }
    if let Some(d) = p.duration_days {
        dispense.insert("expectedSupplyDuration".into(), days(d));
    }
    if !dispense.is_empty() {
        m.insert("dispenseRequest".into(), Value::Object(dispense));
    }
    m
}

fn medicine(p: &Prescription) -> Value {
    match &p.atc {
        Some(atc) => json!({
            "coding": [{ "system": ATC, "code": atc }],
            "text": p.drug_name,
        }),
        None => text_concept(&p.drug_name),
    }
}

fn dispense(r: &ClinicalRecord, d: &Dispensing, ctx: &RecordContext<'_>) -> Map<String, Value> {
    let mut m = base("MedicationDispense", r.id);
    m.insert("status".into(), json!("completed"));
    let prescribed = ctx.prescriptions.get(&d.prescription_id);
    m.insert(
        "medicationCodeableConcept".into(),
        prescribed.map_or_else(|| text_concept("Dispensed medicine"), medicine),
    );
    if prescribed.is_some() {
        m.insert(
            "authorizingPrescription".into(),
            json!([reference(d.prescription_id)]),
        );
    }
    m.insert(
        "performer".into(),
        json!([{ "actor": reference(r.hospital_id) }]),
    );
    m.insert("quantity".into(), json!({ "value": d.quantity }));
    m.insert("daysSupply".into(), days(d.days_supplied));
    m.insert("whenHandedOver".into(), json!(instant(r.recorded_at)));
    m
}

fn purpose(p: Purpose) -> Value {
    match p {
        Purpose::Transfer => coding(ACT_REASON, "COC", "coordination of care"),
        Purpose::Treatment | Purpose::Referral | Purpose::SecondOpinion => {
            coding(ACT_REASON, "TREAT", "treatment")
        }
    }
}

/// A consent grant: the patient permits the hospital to see the named categories.
pub fn consent(g: &Grant) -> Value {
    let mut m = base("Consent", g.id);
    let status = match g.status {
        GrantStatus::Active | GrantStatus::Scheduled => "active",
        GrantStatus::Expired | GrantStatus::Revoked => "inactive",
    };
    m.insert("status".into(), json!(status));
    m.insert(
        "scope".into(),
        concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
    );
    m.insert(
        "category".into(),
        json!([concept(LOINC, "59284-0", "Patient Consent")]),
    );
    m.insert("patient".into(), reference(g.patient_id));
    m.insert("dateTime".into(), json!(instant(g.created_at)));
    m.insert("policyRule".into(), concept(ACT_CODE, "OPTIN", "opt-in"));
    if let Some(form) = g.consent_form_id {
        m.insert("sourceReference".into(), reference(form));
    }
    let mut period = json!({ "start": instant(g.starts_at) });
    if let Some(end) = g.revoked_at.or(g.expires_at) {
        period["end"] = json!(instant(end));
    }
    let categories: Vec<Value> = g
        .categories
        .iter()
        .map(|c| {
            json!({
                "coding": [{ "system": DATA_CATEGORY, "code": c.as_str() }],
                "text": c.as_str(),
            })
        })
        .collect();
    m.insert(
        "provision".into(),
        json!({
            "type": "permit",
            "period": period,
            "actor": [{
                "role": concept(PARTICIPATION_TYPE, "IRCP", "information recipient"),
                "reference": { "reference": super::full_url(g.hospital_id), "display": g.hospital_name },
            }],
            "purpose": [purpose(g.purpose)],
            "code": categories,
        }),
    );
    Value::Object(m)
}

/// An attachment's metadata (the file itself stays behind the authorized download).
pub fn document_reference(a: &Attachment) -> Value {
    let mut m = base("DocumentReference", a.id);
    m.insert("status".into(), json!("current"));
    m.insert("type".into(), text_concept(a.kind.label()));
    m.insert("subject".into(), reference(a.patient_id));
    m.insert("date".into(), json!(instant(a.created_at)));
    m.insert("custodian".into(), reference(a.hospital_id));
    if let Some(d) = &a.description {
        m.insert("description".into(), json!(d));
    }
    m.insert(
        "content".into(),
        json!([{
            "attachment": {
                "contentType": a.content_type.mime(),
                "size": a.size_bytes,
                "title": a.filename,
                "creation": instant(a.created_at),
            }
        }]),
    );
    Value::Object(m)
}
