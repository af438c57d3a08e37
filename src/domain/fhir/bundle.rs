//! The patient's whole record as one FHIR `collection` Bundle: the patient, the hospitals that
//! hold their data, every record, their consents and their documents' metadata.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::resources::{self, instant, RecordContext};
use super::{full_url, very_restricted};
use crate::domain::clinical::attachment::Attachment;
use crate::domain::clinical::patient::Patient;
use crate::domain::clinical::record::{ClinicalRecord, Payload, Prescription, RecordType};
use crate::domain::sharing::grant::Grant;

/// What goes into an export: the services have already decided that the reader may see each
/// of these.
pub struct ExportContents<'a> {
    /// The bundle's own id.
    pub id: Uuid,
    pub generated_at: DateTime<Utc>,
    pub patient: &'a Patient,
    /// The record numbers the hospitals gave the patient: (hospital, MRN).
    pub record_numbers: &'a [(Uuid, String)],
    /// Names of the hospitals referred to.
    pub hospitals: &'a HashMap<Uuid, String>,
    /// Live records, corrected ones excluded (the correction stands for them).
    pub records: &'a [ClinicalRecord],
    pub grants: &'a [Grant],
    pub attachments: &'a [Attachment],
}

/// The regimen in force: the newest regimen record, unless it stopped treatment.
fn current_regimen(records: &[ClinicalRecord]) -> Option<Uuid> {
    records
        .iter()
        .filter(|r| r.record_type == RecordType::ArtRegimen)
        .max_by_key(|r| (r.recorded_at, r.id))
        .filter(|r| r.payload.get("action").and_then(Value::as_str) != Some("stop"))
        .map(|r| r.id)
}

/// The Bundle. Entries come in a stable order: the patient, the hospitals, then records by
/// clinical time, consents and documents.
pub fn export_bundle(c: &ExportContents<'_>) -> Value {
    let prescriptions: HashMap<Uuid, Prescription> = c
        .records
        .iter()
        .filter_map(
            |r| match Payload::from_stored(r.record_type, r.payload.clone()) {
                Some(Payload::Prescription(p)) => Some((r.id, p)),
                _ => None,
            },
        )
        .collect();
    let ctx = RecordContext {
        now: c.generated_at,
        current_regimen: current_regimen(c.records),
        prescriptions: &prescriptions,
    };

    // Every hospital something refers to, once, in a stable order.
    let mut organizations: BTreeMap<Uuid, &str> = BTreeMap::new();
    let mut refer = |id: Uuid| {
        let name = c.hospitals.get(&id).map_or("Hospital", String::as_str);
        organizations.insert(id, name);
    };
    c.record_numbers.iter().for_each(|(h, _)| refer(*h));
    c.records.iter().for_each(|r| refer(r.hospital_id));
    c.grants.iter().for_each(|g| refer(g.hospital_id));
    c.attachments.iter().for_each(|a| refer(a.hospital_id));

    let mut records: Vec<&ClinicalRecord> = c.records.iter().collect();
    records.sort_by_key(|r| (r.recorded_at, r.id));

    let mut entries = vec![entry(
        c.patient.id,
        resources::patient(c.patient, c.record_numbers),
    )];
    entries.extend(
        organizations
            .into_iter()
            .map(|(id, name)| entry(id, resources::organization(id, name))),
    );
    entries.extend(
        records
            .into_iter()
            .filter_map(|r| resources::record(r, &ctx).map(|res| entry(r.id, res))),
    );
    entries.extend(c.grants.iter().map(|g| entry(g.id, resources::consent(g))));
    entries.extend(
        c.attachments
            .iter()
            .map(|a| entry(a.id, resources::document_reference(a))),
    );

    let mut meta = very_restricted();
    meta["lastUpdated"] = json!(instant(c.generated_at));
    json!({
        "resourceType": "Bundle",
        "id": c.id.to_string(),
        "meta": meta,
        "type": "collection",
        "timestamp": instant(c.generated_at),
        "entry": entries,
    })
}

fn entry(id: Uuid, resource: Value) -> Value {
    json!({ "fullUrl": full_url(id), "resource": resource })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::clinical::category::DataCategory;
    use crate::domain::sharing::grant::{GrantSource, GrantStatus, Purpose};

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, day, 9, 30, 0).unwrap()
    }

    fn patient() -> Patient {
        Patient {
            id: Uuid::now_v7(),
            mrn: None,
            first_name: "Amina".into(),
            last_name: "Njeri".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 3, 14).unwrap(),
            sex: "female".into(),
            email: None,
            phone: Some("+254700000001".into()),
            address: None,
            emergency_contact_name: None,
            emergency_contact_phone: None,
            national_id: Some("12345678".into()),
            contact_withheld: false,
            version: 1,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    fn record(
        p: &Patient,
        hospital: Uuid,
        t: RecordType,
        day: u32,
        payload: Value,
    ) -> ClinicalRecord {
        ClinicalRecord {
            id: Uuid::now_v7(),
            patient_id: p.id,
            hospital_id: hospital,
            record_type: t,
            category: t.category(),
            recorded_at: at(day),
            payload,
            summary: String::new(),
            created_by: Uuid::now_v7(),
            created_at: at(day),
            updated_at: at(day),
            version: 1,
            supersedes: None,
            superseded_by: None,
            editable: false,
            clinician_only: false,
            interactions: Vec::new(),
            override_reason: None,
        }
    }

    fn resources_of<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| r["resourceType"] == kind)
            .collect()
    }

    #[test]
    fn the_export_codes_hiv_results_with_loinc_and_labels_everything_very_restricted() {
        let p = patient();
        let hospital = Uuid::now_v7();
        let records = vec![
            record(
                &p,
                hospital,
                RecordType::ViralLoad,
                12,
                json!({
                "copies_per_ml": 40.0, "comparator": "<", "qualitative": null,
                "lower_limit": 40.0, "sample_collected_at": null}),
            ),
            record(
                &p,
                hospital,
                RecordType::Cd4,
                13,
                json!({"cells_per_ul": 520, "percent": 28.0}),
            ),
            record(
                &p,
                hospital,
                RecordType::ViralLoad,
                20,
                json!({
                "copies_per_ml": null, "comparator": "=", "qualitative": "pending",
                "lower_limit": null, "sample_collected_at": null}),
            ),
            record(
                &p,
                hospital,
                RecordType::ArtRegimen,
                2,
                json!({
                "regimen": "TDF+3TC+DTG", "drugs": ["J05AF07", "J05AF05", "J05AJ03"],
                "line": "first", "action": "start", "reason_code": null}),
            ),
        ];
        let hospitals = HashMap::from([(hospital, "Kisumu County Referral".to_string())]);
        let bundle = export_bundle(&ExportContents {
            id: Uuid::now_v7(),
            generated_at: at(30),
            patient: &p,
            record_numbers: &[(hospital, "KSM-0001001".into())],
            hospitals: &hospitals,
            records: &records,
            grants: &[],
            attachments: &[],
        });
        assert_eq!(bundle["type"], "collection");
        let observations = resources_of(&bundle, "Observation");
        assert_eq!(observations.len(), 3);
        let vl = observations[0];
        assert_eq!(vl["code"]["coding"][0]["code"], "25836-8");
        assert_eq!(vl["valueQuantity"]["comparator"], "<");
        assert_eq!(vl["status"], "final");
        assert_eq!(observations[1]["code"]["coding"][0]["code"], "24467-3");
        assert_eq!(observations[2]["status"], "registered", "a pending result");
        assert!(observations[2].get("valueQuantity").is_none());
        let regimen = resources_of(&bundle, "MedicationRequest")[0];
        assert_eq!(regimen["status"], "active");
        assert_eq!(
            regimen["contained"][0]["ingredient"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        // Every resource about the patient carries the label; hospitals do not.
        for e in bundle["entry"].as_array().unwrap() {
            let r = &e["resource"];
            if r["resourceType"] == "Organization" {
                assert!(r.get("meta").is_none());
                assert_eq!(r["name"], "Kisumu County Referral");
            } else {
                assert_eq!(r["meta"]["security"][0]["code"], "V", "{r}");
            }
            assert_eq!(
                e["fullUrl"],
                format!("urn:uuid:{}", r["id"].as_str().unwrap())
            );
        }
        let patient = resources_of(&bundle, "Patient")[0];
        assert_eq!(patient["identifier"][0]["value"], "KSM-0001001");
        assert_eq!(patient["birthDate"], "1990-03-14");
    }

    #[test]
    fn a_revoked_grant_is_an_inactive_consent_ending_when_it_was_revoked() {
        let p = patient();
        let hospital = Uuid::now_v7();
        let grant = Grant {
            id: Uuid::now_v7(),
            patient_id: p.id,
            hospital_id: hospital,
            hospital_name: "Mbarara".into(),
            categories: vec![DataCategory::Labs, DataCategory::Art],
            purpose: Purpose::Transfer,
            starts_at: at(1),
            expires_at: Some(at(28)),
            status: GrantStatus::Revoked,
            source: GrantSource::Patient,
            consent_form_id: None,
            created_at: at(1),
            revoked_at: Some(at(5)),
        };
        let consent = resources::consent(&grant);
        assert_eq!(consent["status"], "inactive");
        assert_eq!(
            consent["provision"]["period"]["end"],
            "2026-07-05T09:30:00Z"
        );
        assert_eq!(consent["provision"]["purpose"][0]["code"], "COC");
        assert_eq!(consent["provision"]["code"][1]["coding"][0]["code"], "art");
    }
}
