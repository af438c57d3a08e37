//! "My export": the patient's whole record as a FHIR R4 Bundle they can take to any clinic.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use uuid::Uuid;

use super::patient_of;
use crate::domain::fhir::{export_bundle, ExportContents};
use crate::domain::platform::audit::AuditAction;
use crate::error::AppResult;
use crate::policy::{Action, Caller};
use crate::services::clinical::{attachments, patients, records};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::sharing::grants;
use crate::services::Core;

/// The Bundle: the patient, the hospitals, every record, consents and documents' metadata.
/// Audited as an `export` with the number of resources of each type.
pub async fn bundle(core: &Core, caller: &Caller) -> AppResult<Value> {
    let event = Event::new("patient_export", AuditAction::Export);
    audit::authorize(core, caller, Action::ReadOwnRecord, &event).await?;
    let patient_id = patient_of(caller)?;
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let txn = read.txn();
        let now = core.clock.now();
        let (patient, record_numbers) = patients::own_profile(core, txn, patient_id).await?;
        let all = records::own_records(core, txn, patient_id).await?;
        let grants = grants::own_grants(txn, patient_id, now).await?;
        let documents = attachments::own_attachments(core, txn, patient_id).await?;
        let referred = record_numbers
            .iter()
            .map(|(h, _)| *h)
            .chain(all.iter().map(|r| r.hospital_id))
            .chain(grants.iter().map(|g| g.hospital_id))
            .chain(documents.iter().map(|d| d.hospital_id));
        let hospitals: HashMap<Uuid, String> = records::sources(txn, caller, referred).await?;
        let bundle = export_bundle(&ExportContents {
            id: Uuid::now_v7(),
            generated_at: now,
            patient: &patient,
            record_numbers: &record_numbers,
            hospitals: &hospitals,
            records: &all,
            grants: &grants,
            attachments: &documents,
        });
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for e in bundle["entry"].as_array().into_iter().flatten() {
            if let Some(t) = e["resource"]["resourceType"].as_str() {
                *counts.entry(t.to_string()).or_default() += 1;
            }
        }
        Ok((
            bundle,
            json!({ "format": "fhir_r4_bundle", "resources": counts }),
        ))
    }
    .await;
    read.finish(result).await
}
