//! Scheduling and billing: the schedule page, the booking page and the billing desk.

use hospitallink::domain::scheduling::billing::BillingDesk;
use hospitallink::domain::scheduling::schedule::Schedule;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// One provider's day or week (`span`: `day` or `week`) at your hospital; `provider` and
/// `day` (`YYYY-MM-DD`) blank for the defaults (you or the first clinician; today).
#[server(prefix = "/_fn", endpoint = "scheduling/schedule")]
pub async fn load_schedule(
    provider: String,
    day: String,
    span: String,
) -> Result<Schedule, ErrorKind> {
    use hospitallink::domain::scheduling::schedule::Span;
    let (core, caller) = crate::state::caller().await?;
    let provider = uuid::Uuid::parse_str(provider.trim()).ok();
    let day = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok();
    hospitallink::services::scheduling::schedule::view(
        &core,
        &caller,
        provider,
        day,
        Span::parse(&span),
    )
    .await
    .map_err(crate::state::fail)
}

/// The billing desk: completed visits to invoice, and a page of invoices (`status`: `paid`,
/// `unpaid` or blank for all) with their totals.
#[server(prefix = "/_fn", endpoint = "scheduling/invoices")]
pub async fn load_billing_desk(status: String, page: u64) -> Result<BillingDesk, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    use hospitallink::domain::scheduling::billing::InvoiceQuery;
    use hospitallink::services::scheduling::billing;
    let (core, caller) = crate::state::caller().await?;
    let filter = InvoiceQuery {
        status: Some(status),
        ..Default::default()
    }
    .parse()?;
    let page = PageRequest::parse(Some(&page.to_string()), Some("50"))?;
    let to_invoice = billing::to_invoice(&core, &caller)
        .await
        .map_err(crate::state::fail)?;
    let invoices = billing::list(&core, &caller, &filter, page)
        .await
        .map_err(crate::state::fail)?;
    Ok(BillingDesk {
        to_invoice,
        invoices,
    })
}

/// The patient a booking started from their chart is for: `First Last (MRN)`. Audited as a
/// read of their profile.
#[server(prefix = "/_fn", endpoint = "scheduling/patient")]
pub async fn booking_patient(id: String) -> Result<String, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| ErrorKind::not_found("patient"))?;
    let p = hospitallink::services::clinical::patients::get(&core, &caller, id)
        .await
        .map_err(crate::state::fail)?;
    Ok(match p.mrn {
        Some(mrn) => format!("{} {} ({mrn})", p.first_name, p.last_name),
        None => format!("{} {}", p.first_name, p.last_name),
    })
}

/// Your hospital's fee table: the CPT code and fee of every visit type.
#[server(prefix = "/_fn", endpoint = "scheduling/fees")]
pub async fn load_fees(
) -> Result<Vec<hospitallink::domain::scheduling::billing::VisitFee>, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    let hospital = caller.actor.hospital_id().unwrap_or_default();
    hospitallink::services::scheduling::billing::fees(&core, &caller, hospital)
        .await
        .map_err(crate::state::fail)
}
