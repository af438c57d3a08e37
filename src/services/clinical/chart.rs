//! The clinician's chart of one patient: the profile, and as far as the caller's role reads
//! them, the summary with the lab series, the ART history, a page of records and the consent
//! forms and scans. Each part asks the policy itself; the whole view is one transaction and one
//! audit entry (`patient_chart`) listing what was shown, so opening a chart costs one commit.

use sea_orm::DatabaseTransaction;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{attachments, patients, records};
use crate::domain::clinical::record::{
    ChartRow, ChartView, ClinicalRecord, RecordFilter, RecordType, QUICK_ENTRY,
};
use crate::domain::identity::role::Permission;
use crate::domain::page::{Page, PageRequest};
use crate::domain::platform::audit::AuditAction;
use crate::error::AppResult;
use crate::policy::{
    readable_attachment_kinds, readable_record_types, writable_attachment_kinds,
    writable_record_types, Caller,
};
use crate::services::platform::audit::{AuditedRead, Event};
use crate::services::proxies;
use crate::services::scheduling::appointments;
use crate::services::sharing::grants;
use crate::services::Core;

/// The chart, with the records table filtered by `filter` and paged by `page`.
pub async fn open(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    filter: &RecordFilter,
    page: PageRequest,
) -> AppResult<ChartView> {
    let event = Event::new("patient_chart", AuditAction::Read)
        .entity_id(patient_id)
        .patient(patient_id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = assemble(core, caller, read.txn(), patient_id, filter, page).await;
    read.finish(result).await
}

async fn assemble(
    core: &Core,
    caller: &Caller,
    txn: &DatabaseTransaction,
    patient_id: Uuid,
    filter: &RecordFilter,
    page: PageRequest,
) -> AppResult<(ChartView, Value)> {
    let (patient, linked) = patients::get_in(core, caller, txn, patient_id).await?;
    let held = caller.actor.permissions();
    let readable = held.map(readable_record_types).unwrap_or_default();
    let mut chart = ChartView {
        patient,
        appointments: None,
        may_book: held.is_some_and(|r| r.has(Permission::AppointmentsWrite)),
        today: core.clock.now().date_naive(),
        summary: None,
        viral_loads: Vec::new(),
        cd4: Vec::new(),
        regimens: Vec::new(),
        records: None,
        writable: held
            .map(|r| writable_record_types(r, &QUICK_ENTRY))
            .unwrap_or_default(),
        attachments: None,
        attachable: held.map(writable_attachment_kinds).unwrap_or_default(),
        break_glass_until: linked.break_glass_until(),
        grants: Vec::new(),
        hospital_id: caller.actor.hospital_id(),
        may_record_consent: held.is_some_and(|r| r.has(Permission::ConsentRecord)),
        may_break_glass: held.is_some_and(|r| r.has(Permission::BreakGlass)),
        guardians: None,
    };
    let mut parts = vec!["profile"];
    let mut shown = json!({});
    if held.is_some_and(|r| r.has(Permission::RecordsRead)) {
        let (summary, vl, cd4) =
            records::summary_in(core, caller, txn, patient_id, &linked, true).await?;
        chart.summary = Some(summary);
        chart.viral_loads = vl;
        chart.cd4 = cd4;
        parts.push("summary");
    }
    if readable.contains(&RecordType::ArtRegimen) {
        let regimens = RecordFilter {
            types: vec![RecordType::ArtRegimen],
            ..Default::default()
        };
        let all = PageRequest::parse(None, Some("100"))?;
        let (Page { data, .. }, details) =
            records::list_in(core, caller, txn, patient_id, &linked, &regimens, all).await?;
        chart.regimens = labelled(txn, caller, data.into_iter().rev().collect()).await?;
        parts.push("regimens");
        shown["regimen_ids"] = details["record_ids"].clone();
    }
    if !readable.is_empty() {
        let (records, details) =
            records::list_in(core, caller, txn, patient_id, &linked, filter, page).await?;
        let Page { data, pagination } = records;
        chart.records = Some(Page {
            data: labelled(txn, caller, data).await?,
            pagination,
        });
        parts.push("records");
        shown["record_types"] = details["types"].clone();
        shown["record_ids"] = details["record_ids"].clone();
    }
    if held.is_some_and(|r| !readable_attachment_kinds(r).is_empty()) {
        let (list, details) = attachments::list_in(core, caller, txn, patient_id, &linked).await?;
        chart.attachments = Some(list);
        parts.push("attachments");
        shown["attachment_ids"] = details["attachment_ids"].clone();
    }
    if held.is_some_and(|r| r.has(Permission::AppointmentsRead)) {
        let (visits, details) =
            appointments::of_patient_in(core, caller, txn, patient_id, &linked).await?;
        chart.appointments = Some(visits);
        parts.push("appointments");
        shown["appointment_ids"] = details["appointment_ids"].clone();
    }
    let (grants, details) = grants::list_in(core, caller, txn, patient_id).await?;
    chart.grants = grants;
    parts.push("grants");
    shown["grant_ids"] = details["grant_ids"].clone();
    if chart.may_record_consent {
        let guardians = proxies::of_patient(core, txn, patient_id).await?;
        shown["proxy_ids"] = json!(guardians.iter().map(|g| g.id).collect::<Vec<_>>());
        chart.guardians = Some(guardians);
        parts.push("guardians");
    }
    shown["parts"] = json!(parts);
    Ok((chart, shown))
}

/// The chart's rows of `records`, each written elsewhere labelled with its hospital.
async fn labelled(
    txn: &DatabaseTransaction,
    caller: &Caller,
    records: Vec<ClinicalRecord>,
) -> AppResult<Vec<ChartRow>> {
    let names = records::sources(txn, caller, records.iter().map(|r| r.hospital_id)).await?;
    Ok(records
        .into_iter()
        .map(|r| {
            let source = names.get(&r.hospital_id).cloned();
            ChartRow {
                source,
                ..ChartRow::from(r)
            }
        })
        .collect())
}
