//! Patients and the clinical chart.

use hospitallink::domain::clinical::patient::PatientListItem;
use hospitallink::domain::clinical::record::ChartView;
use hospitallink::domain::page::Page;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// Your hospital's patients matching `q` (name prefix, MRN, phone or email).
#[server(prefix = "/_fn", endpoint = "patients/search")]
pub async fn search_patients(q: String, page: u64) -> Result<Page<PatientListItem>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), None)
        .map_err(|e| crate::state::fail(e.into()))?;
    let hospital = caller.actor.hospital_id().unwrap_or_default();
    hospitallink::services::clinical::patients::search(&core, &caller, hospital, Some(&q), page)
        .await
        .map_err(crate::state::fail)
}

/// The chart of one patient. `types` filters the records table (comma-separated).
#[server(prefix = "/_fn", endpoint = "patients/chart")]
pub async fn patient_chart(id: String, types: String, page: u64) -> Result<ChartView, ErrorKind> {
    use hospitallink::domain::clinical::record::RecordFilter;
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| ErrorKind::not_found("patient"))?;
    let filter = RecordFilter::parse(Some(&types), None, None, None)?;
    let page = PageRequest::parse(Some(&page.to_string()), Some("25"))?;
    hospitallink::services::clinical::chart::open(&core, &caller, id, &filter, page)
        .await
        .map_err(crate::state::fail)
}

/// The WHO drug interactions a regimen, prescription or dispensing form would be saved with,
/// checked while the prescriber fills it in (nothing is saved).
#[server(prefix = "/_fn", endpoint = "patients/records/check")]
pub async fn check_interactions(
    id: String,
    values: std::collections::BTreeMap<String, String>,
) -> Result<Vec<hospitallink::domain::cds::interactions::InteractionWarning>, ErrorKind> {
    use hospitallink::domain::clinical::record::record_from_form;
    let (core, caller) = crate::state::caller().await?;
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| crate::state::fail(ErrorKind::not_found("patient").into()))?;
    match hospitallink::services::cds::prescribing::preview(
        &core,
        &caller,
        id,
        &record_from_form(&values),
    )
    .await
    {
        // A form still being filled in has nothing to check yet; saving names what is missing.
        Err(e) if matches!(e.kind, ErrorKind::Invalid { .. }) => Ok(Vec::new()),
        other => other.map_err(crate::state::fail),
    }
}

/// Records one quick-entry form of the chart (`values` are the form's fields by name, as the
/// plain POST to `/patients/{id}/records` sends them). The hydrated chart's path.
#[server(prefix = "/_fn", endpoint = "patients/records/add")]
pub async fn add_record(
    id: String,
    values: std::collections::BTreeMap<String, String>,
) -> Result<hospitallink::domain::clinical::record::ClinicalRecord, ErrorKind> {
    use hospitallink::domain::clinical::record::record_from_form;
    let (core, caller) = crate::state::caller().await?;
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| crate::state::fail(ErrorKind::not_found("patient").into()))?;
    hospitallink::services::clinical::records::create(
        &core,
        &caller,
        id,
        &record_from_form(&values),
    )
    .await
    .map_err(crate::state::fail)
}
