//! The clinician's chart of one patient: the profile, and as far as the caller's role reads
//! them, the summary with the lab series, the ART history, a page of records and the consent
//! forms and scans. Each part goes
//! through its own service, so each is authorized and audited.

use uuid::Uuid;

use super::{attachments, patients, records, Core};
use crate::domain::page::{Page, PageRequest};
use crate::domain::record::{ChartView, RecordFilter, RecordType, QUICK_ENTRY};
use crate::domain::role::Permission;
use crate::error::AppResult;
use crate::policy::{
    readable_attachment_kinds, readable_record_types, writable_attachment_kinds,
    writable_record_types, Caller,
};

/// The chart, with the records table filtered by `filter` and paged by `page`.
pub async fn open(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    filter: &RecordFilter,
    page: PageRequest,
) -> AppResult<ChartView> {
    let patient = patients::get(core, caller, patient_id).await?;
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
        writable: role
            .map(|r| writable_record_types(r, &QUICK_ENTRY))
            .unwrap_or_default(),
        attachments: None,
        attachable: role.map(writable_attachment_kinds).unwrap_or_default(),
    };
    if role.is_some_and(|r| !readable_attachment_kinds(r).is_empty()) {
        chart.attachments = Some(attachments::list(core, caller, patient_id).await?);
    }
    if role.is_some_and(|r| r.has(Permission::RecordsRead)) {
        let (summary, vl, cd4) = records::chart(core, caller, patient_id).await?;
        chart.summary = Some(summary);
        chart.viral_loads = vl;
        chart.cd4 = cd4;
    }
    if readable.contains(&RecordType::ArtRegimen) {
        let regimens = RecordFilter {
            types: vec![RecordType::ArtRegimen],
            ..Default::default()
        };
        let all = PageRequest::parse(None, Some("100"))?;
        let Page { mut data, .. } = records::list(core, caller, patient_id, &regimens, all).await?;
        data.reverse();
        chart.regimens = data;
    }
    if !readable.is_empty() {
        chart.records = Some(records::list(core, caller, patient_id, filter, page).await?);
    }
    Ok(chart)
}
