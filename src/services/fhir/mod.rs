//! The FHIR R4 API: the same services as every other path (the patient's profile, the records
//! the caller's hospital may see per the one decision and the patient's consent, each read
//! audited), written with the shared mapping of `domain::fhir`.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use crate::domain::clinical::record::RecordFilter;
use crate::domain::fhir::api::{rest_references, searchset, ObservationSearch};
use crate::domain::fhir::resources::{self, RecordContext};
use crate::domain::platform::audit::AuditAction;
use crate::error::AppResult;
use crate::policy::{Action, Caller};
use crate::services::clinical::{patients, records};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// The API's address, e.g. `https://example.org/fhir/r4`.
pub fn base_url(core: &Core) -> String {
    format!("{}/fhir/r4", core.config.app_url.trim_end_matches('/'))
}

/// `GET /fhir/r4/Patient/{id}`: the patient as the caller's hospital sees them (contact
/// details only where the patient allows), with the hospital's MRN. Audited as a patient read.
pub async fn patient(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Value> {
    let p = patients::get(core, caller, id).await?;
    let numbers: Vec<(Uuid, String)> = caller
        .actor
        .hospital_id()
        .zip(p.mrn.clone())
        .into_iter()
        .collect();
    let mut resource = resources::patient(&p, &numbers);
    let mut addresses: Vec<(Uuid, &str)> = vec![(p.id, "Patient")];
    addresses.extend(numbers.iter().map(|(h, _)| (*h, "Organization")));
    rest_references(&mut resource, &addresses);
    Ok(resource)
}

/// `GET /fhir/r4/Observation?...`: a page of the patient's observations the caller's hospital
/// may see (its own, and others' per the patient's grants), newest first, as a searchset with
/// paging links. `search` is the query's pairs; `self_url` the search's address without
/// `_page`. Audited as a records read.
pub async fn observations(
    core: &Core,
    caller: &Caller,
    search: &[(String, String)],
    self_url: &str,
) -> AppResult<Value> {
    let event = Event::new("clinical_record", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadRecords, &event).await?;
    let search = ObservationSearch::parse(search)?;
    let filter = RecordFilter {
        types: search.types.clone(),
        from: search.from,
        to: search.to,
        hospital_id: None,
    };
    let page = records::list(core, caller, search.patient, &filter, search.page).await?;
    let prescriptions = HashMap::new();
    let ctx = RecordContext {
        now: core.clock.now(),
        current_regimen: None,
        prescriptions: &prescriptions,
    };
    let entries = page
        .data
        .iter()
        .filter_map(|r| {
            let mut resource = resources::record(r, &ctx)?;
            rest_references(
                &mut resource,
                &[(r.patient_id, "Patient"), (r.hospital_id, "Organization")],
            );
            Some(resource)
        })
        .collect();
    Ok(searchset(
        &base_url(core),
        self_url,
        page.pagination.total,
        search.page,
        entries,
    ))
}
