//! The FHIR R4 API: the same services as every other path (the patient's profile, the records
//! the caller's hospital may see per the one decision and the patient's consent, the grants
//! that concern it, each read audited), written with the shared mapping of `domain::fhir`.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::clinical::record::{ClinicalRecord, RecordFilter, RecordType};
use crate::domain::fhir::api::{rest_references, searchset};
use crate::domain::fhir::observation::{if_none_exist, read_observation};
use crate::domain::fhir::resources::{self, RecordContext};
use crate::domain::fhir::search::{PatientPaging, PatientSearch, RecordResource, RecordSearch};
use crate::domain::identity::role::Permission;
use crate::domain::integration::sync::ExternalKind;
use crate::domain::platform::audit::AuditAction;
use crate::domain::ErrorKind;
use crate::entities::sync_external_id as external;
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::{patients, records};
use crate::services::integration::sync::ExternalRef;
use crate::services::platform::audit::{self, Event};
use crate::services::sharing::grants;
use crate::services::Core;
use sea_orm::EntityTrait;

/// The API's address, e.g. `https://example.org/fhir/r4`.
pub fn base_url(core: &Core) -> String {
    format!("{}/fhir/r4", core.config.app_url.trim_end_matches('/'))
}

fn patient_resource(
    p: &crate::domain::clinical::patient::Patient,
    hospital: Option<Uuid>,
) -> Value {
    let numbers: Vec<(Uuid, String)> = hospital.zip(p.mrn.clone()).into_iter().collect();
    let mut resource = resources::patient(p, &numbers);
    let mut addresses: Vec<(Uuid, &str)> = vec![(p.id, "Patient")];
    addresses.extend(numbers.iter().map(|(h, _)| (*h, "Organization")));
    rest_references(&mut resource, &addresses);
    resource
}

/// `GET /fhir/r4/Patient/{id}`: the patient as the caller's hospital sees them (contact
/// details only where the patient allows), with the hospital's MRN. Audited as a patient read.
pub async fn patient(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Value> {
    let p = patients::get(core, caller, id).await?;
    Ok(patient_resource(&p, caller.actor.hospital_id()))
}

/// Records as FHIR resources with REST references. Regimens are `active` when they are the
/// one in force among those the caller may see.
async fn written(
    core: &Core,
    caller: &Caller,
    patient: Uuid,
    records: &[ClinicalRecord],
) -> AppResult<Vec<Value>> {
    let current_regimen = if records
        .iter()
        .any(|r| r.record_type == RecordType::ArtRegimen)
    {
        records::current_regimen_id(core, caller, patient).await?
    } else {
        None
    };
    let prescriptions = HashMap::new();
    let ctx = RecordContext {
        now: core.clock.now(),
        current_regimen,
        prescriptions: &prescriptions,
    };
    Ok(records
        .iter()
        .filter_map(|r| {
            let mut resource = resources::record(r, &ctx)?;
            rest_references(
                &mut resource,
                &[(r.patient_id, "Patient"), (r.hospital_id, "Organization")],
            );
            Some(resource)
        })
        .collect())
}

/// `GET /fhir/r4/{Observation|MedicationRequest|Condition|AllergyIntolerance}?...`: a page of
/// the patient's records of that resource the caller's hospital may see (its own, and others'
/// per the patient's grants), newest first, as a searchset with paging links. `search` is the
/// query's pairs; `self_url` the search's address without `_page`. Audited as a records read.
pub async fn search(
    core: &Core,
    caller: &Caller,
    resource: RecordResource,
    search: &[(String, String)],
    self_url: &str,
) -> AppResult<Value> {
    let event = Event::new("clinical_record", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadRecords, &event).await?;
    let search = RecordSearch::parse(resource, search)?;
    let filter = RecordFilter {
        types: search.types.clone(),
        from: search.from,
        to: search.to,
        hospital_id: None,
    };
    let page = records::list(core, caller, search.patient, &filter, search.page).await?;
    let entries = written(core, caller, search.patient, &page.data).await?;
    Ok(searchset(
        &base_url(core),
        self_url,
        page.pagination.total,
        search.page,
        entries,
    ))
}

/// `GET /fhir/r4/{type}/{id}`: one record written as `resource`; a record of another type, or
/// one the caller may not see, is 404. Audited as a record read.
pub async fn read(
    core: &Core,
    caller: &Caller,
    resource: RecordResource,
    id: Uuid,
) -> AppResult<Value> {
    let r = records::get(core, caller, id).await?;
    if RecordResource::of(r.record_type) != Some(resource) {
        return Err(ErrorKind::not_found(resource.name()).into());
    }
    written(core, caller, r.patient_id, std::slice::from_ref(&r))
        .await?
        .pop()
        .ok_or_else(|| ErrorKind::not_found(resource.name()).into())
}

/// `GET /fhir/r4/Consent?patient=...`: the patient's grants that concern the caller's hospital
/// (given to it or recorded by its staff), newest first. Audited as a grants read.
pub async fn consents(
    core: &Core,
    caller: &Caller,
    search: &[(String, String)],
    self_url: &str,
) -> AppResult<Value> {
    // Permission first: a caller who reads no patient is refused before the query is read.
    let event = Event::new("consent_grant", AuditAction::Read);
    let action = Action::Patient {
        permission: Permission::PatientsRead,
        linked: true,
    };
    audit::authorize(core, caller, action, &event).await?;
    let search = PatientPaging::parse("Consent", None, search)?;
    let all = grants::list(core, caller, search.patient).await?;
    let total = all.len() as u64;
    let entries = all
        .iter()
        .skip(search.page.offset() as usize)
        .take(search.page.per_page as usize)
        .map(|g| {
            let mut resource = resources::consent(g);
            rest_references(
                &mut resource,
                &[(g.patient_id, "Patient"), (g.hospital_id, "Organization")],
            );
            resource
        })
        .collect();
    Ok(searchset(
        &base_url(core),
        self_url,
        total,
        search.page,
        entries,
    ))
}

/// `GET /fhir/r4/Patient?...`: the caller's hospital's patients found by name, MRN, phone or
/// email (its own patient search, audited), each with who they are and the hospital's MRN.
pub async fn patients(
    core: &Core,
    caller: &Caller,
    search: &[(String, String)],
    self_url: &str,
) -> AppResult<Value> {
    let event = Event::new("patient", AuditAction::Read);
    let action = Action::Patient {
        permission: Permission::PatientsRead,
        linked: true,
    };
    audit::authorize(core, caller, action, &event).await?;
    let hospital = caller
        .actor
        .hospital_id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let search = PatientSearch::parse(search)?;
    let found = patients::search(core, caller, hospital, search.q.as_deref(), search.page).await?;
    let entries = found
        .data
        .iter()
        .map(|p| {
            let mut resource = resources::patient_match(p, hospital);
            rest_references(&mut resource, &[(hospital, "Organization")]);
            resource
        })
        .collect();
    Ok(searchset(
        &base_url(core),
        self_url,
        found.pagination.total,
        search.page,
        entries,
    ))
}

/// `GET /fhir/r4/Consent/{id}`: one grant that concerns the caller's hospital. Audited.
pub async fn consent(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Value> {
    let g = grants::get(core, caller, id).await?;
    let mut resource = resources::consent(&g);
    rest_references(
        &mut resource,
        &[(g.patient_id, "Patient"), (g.hospital_id, "Organization")],
    );
    Ok(resource)
}

/// `GET /fhir/r4/Patient/{id}/$everything`: the patient (on the first page) and every record
/// of theirs the caller's hospital may see, newest first, paged. Audited as a patient read and
/// a records read.
pub async fn everything(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    search: &[(String, String)],
    self_url: &str,
) -> AppResult<Value> {
    let event = Event::new("clinical_record", AuditAction::Read).patient(id);
    audit::authorize(core, caller, Action::ReadRecords, &event).await?;
    let search = PatientPaging::parse("$everything", Some(id), search)?;
    let p = patients::get(core, caller, id).await?;
    let page = records::list(core, caller, id, &RecordFilter::default(), search.page).await?;
    let mut entries = Vec::new();
    if search.page.page == 1 {
        entries.push(patient_resource(&p, caller.actor.hospital_id()));
    }
    entries.extend(written(core, caller, id, &page.data).await?);
    let mut bundle = searchset(
        &base_url(core),
        self_url,
        page.pagination.total,
        search.page,
        entries,
    );
    // The patient is there as the subject of the search, not as one of its matches.
    if let Some(first) = bundle["entry"].get_mut(0) {
        if search.page.page == 1 {
            first["search"]["mode"] = Value::from("include");
        }
    }
    Ok(bundle)
}

/// Our key for a FHIR business identifier (`system|value`) in the hospital's own ids.
fn identifier_key(identifier: &str) -> String {
    format!(
        "fhir:{}",
        hex::encode(Sha256::digest(identifier.as_bytes()))
    )
}

/// What a create did: made the Observation, or found the one `If-None-Exist` names.
pub struct Created {
    pub created: bool,
    pub id: Uuid,
    pub resource: Value,
}

/// `POST /fhir/r4/Observation`: a viral load or CD4 result of a patient linked to the caller's
/// hospital, recorded as a record of its own (the same validation, decision and audit as
/// `POST /patients/{id}/records`). With `If-None-Exist: identifier=...`, an Observation this
/// hospital created with that identifier is answered instead (200), and two creates racing
/// on it create one.
pub async fn create_observation(
    core: &Core,
    caller: &Caller,
    body: &Value,
    if_none: Option<&[(String, String)]>,
) -> AppResult<Created> {
    let event = Event::new("clinical_record", AuditAction::Create);
    audit::authorize(core, caller, Action::WriteRecords, &event).await?;
    let criteria = if_none.map(if_none_exist).transpose()?;
    let observation = read_observation(body)?;
    let key = criteria
        .or(observation.identifier.clone())
        .map(|i| identifier_key(&i));
    let hospital = caller.actor.hospital_id();
    if let (Some(key), Some(hospital)) = (&key, hospital) {
        if if_none.is_some() {
            let found = external::Entity::find_by_id((
                hospital,
                ExternalKind::Record.as_str().to_string(),
                key.clone(),
            ))
            .one(&core.db)
            .await?;
            if let Some(found) = found {
                let resource =
                    read(core, caller, RecordResource::Observation, found.entity_id).await?;
                return Ok(Created {
                    created: false,
                    id: found.entity_id,
                    resource,
                });
            }
        }
    }
    let reference = key.map(|k| ExternalRef {
        kind: ExternalKind::Record,
        external_id: k,
        body_hash: hex::encode(Sha256::digest(body.to_string().as_bytes())),
        replaces: None,
    });
    let record = records::create_as(
        core,
        caller,
        observation.patient,
        &observation.record,
        reference.as_ref(),
    )
    .await
    .map_err(|e| fhir_paths(e, "Observation"))?;
    let resource = written(
        core,
        caller,
        record.patient_id,
        std::slice::from_ref(&record),
    )
    .await?
    .pop()
    .ok_or_else(|| AppError::internal("an Observation's record was not written"))?;
    Ok(Created {
        created: true,
        id: record.id,
        resource,
    })
}

/// A record's field errors named as the FHIR resource's (`payload.copies_per_ml` is
/// `Observation.value`, `recorded_at` its `effectiveDateTime`).
fn fhir_paths(e: AppError, resource: &str) -> AppError {
    let kind = e.into_kind();
    match kind {
        ErrorKind::Invalid {
            code,
            message,
            fields,
        } => {
            let fields = fields
                .into_iter()
                .map(|(field, messages)| {
                    let path = if field.starts_with("payload") {
                        format!("{resource}.value")
                    } else if field == "recorded_at" {
                        format!("{resource}.effectiveDateTime")
                    } else {
                        format!("{resource}.{field}")
                    };
                    (path, messages)
                })
                .collect();
            ErrorKind::Invalid {
                code,
                message,
                fields,
            }
            .into()
        }
        other => other.into(),
    }
}
