//! Patients and the clinical chart.

use chrono::NaiveDate;
use hospitallink::domain::page::Page;
use hospitallink::domain::patient::{Patient, PatientListItem};
use hospitallink::domain::record::{ChartPoint, ClinicalRecord, PatientSummary, RecordType};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Your hospital's patients matching `q` (name prefix, MRN, phone or email).
#[server(prefix = "/_fn", endpoint = "patients/search")]
pub async fn search_patients(q: String, page: u64) -> Result<Page<PatientListItem>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), None)
        .map_err(|e| crate::state::fail(e.into()))?;
    let hospital = caller.actor.hospital_id().unwrap_or_default();
    hospitallink::services::patients::search(&core, &caller, hospital, Some(&q), page)
        .await
        .map_err(crate::state::fail)
}

/// Everything the chart page shows, as far as the caller's role reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    pub patient: Patient,
    pub today: NaiveDate,
    /// `None` for roles without clinical access (front desk, billing).
    pub summary: Option<PatientSummary>,
    pub viral_loads: Vec<ChartPoint>,
    pub cd4: Vec<ChartPoint>,
    /// ART regimen records, oldest first.
    pub regimens: Vec<ClinicalRecord>,
    /// The records table (filtered), when the role reads records.
    pub records: Option<Page<ClinicalRecord>>,
    /// Quick-entry forms the role may use.
    pub writable: Vec<RecordType>,
}

/// The chart of one patient. `types` filters the records table (comma-separated).
#[server(prefix = "/_fn", endpoint = "patients/chart")]
pub async fn patient_chart(id: String, types: String, page: u64) -> Result<ChartView, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    use hospitallink::domain::record::{RecordFilter, QUICK_ENTRY};
    use hospitallink::domain::role::Permission;
    use hospitallink::policy::readable_record_types;
    use hospitallink::services::{patients, records};
    let (core, caller) = crate::state::caller().await?;
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| ErrorKind::not_found("patient"))?;
    let patient = patients::get(&core, &caller, id)
        .await
        .map_err(crate::state::fail)?;
    let role = caller.actor.role();
    let readable = role.map(readable_record_types).unwrap_or_default();
    let mut chart = ChartView {
        patient,
        today: core.clock.now().date_naive(),
        summary: None,
        viral_loads: Vec::new(),
        cd4: Vec::new(),
        regimens: Vec::new(),
        records: None,
        writable: QUICK_ENTRY
            .into_iter()
            .filter(|t| role.is_some_and(|r| r.has(t.write_permission())))
            .collect(),
    };
    if role.is_some_and(|r| r.has(Permission::RecordsRead)) {
        let (summary, vl, cd4) = records::chart(&core, &caller, id)
            .await
            .map_err(crate::state::fail)?;
        chart.summary = Some(summary);
        chart.viral_loads = vl;
        chart.cd4 = cd4;
    }
    if readable.contains(&RecordType::ArtRegimen) {
        let filter = RecordFilter {
            types: vec![RecordType::ArtRegimen],
            ..Default::default()
        };
        let page =
            PageRequest::parse(None, Some("100")).map_err(|e| crate::state::fail(e.into()))?;
        let mut regimens = records::list(&core, &caller, id, &filter, page)
            .await
            .map_err(crate::state::fail)?
            .data;
        regimens.reverse();
        chart.regimens = regimens;
    }
    if !readable.is_empty() {
        let filter = RecordFilter::parse(Some(&types), None, None, None)?;
        let page = PageRequest::parse(Some(&page.to_string()), Some("25"))
            .map_err(|e| crate::state::fail(e.into()))?;
        chart.records = Some(
            records::list(&core, &caller, id, &filter, page)
                .await
                .map_err(crate::state::fail)?,
        );
    }
    Ok(chart)
}
