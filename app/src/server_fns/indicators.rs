//! Indicators: the hospital dashboard, the patients behind a number, the network view.

use hospitallink::domain::indicators::{Dashboard, IndicatorPatients, NetworkReport};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// The period asked for (blank dates: the last whole quarter), bounded by the clinic's today.
#[cfg(feature = "ssr")]
fn period(
    core: &hospitallink::services::Core,
    start: &str,
    end: &str,
) -> Result<hospitallink::domain::indicators::Period, ErrorKind> {
    use hospitallink::services::indicators;
    hospitallink::domain::indicators::Period::parse_or_last_quarter(
        Some(start),
        Some(end),
        indicators::today(core),
    )
    .map_err(|e| crate::state::fail(e.into()))
}

/// Your hospital's indicators for the period (blank dates: the last whole quarter), with the
/// worklists' counts when you may read them. The two are independent reads, each audited, and
/// run side by side.
#[server(prefix = "/_fn", endpoint = "indicators/report")]
pub async fn load_dashboard(
    period_start: String,
    period_end: String,
) -> Result<Dashboard, ErrorKind> {
    use hospitallink::services::{cds::worklists, indicators};
    let (core, caller) = crate::state::caller().await?;
    let period = period(&core, &period_start, &period_end)?;
    let (report, worklists) = tokio::join!(
        indicators::report(&core, &caller, None, period),
        worklists::counts(&core, &caller)
    );
    Ok(Dashboard {
        report: report.map_err(crate::state::fail)?,
        worklists: worklists.ok(),
    })
}

/// A page of the patients one number of your hospital's report counts.
#[server(prefix = "/_fn", endpoint = "indicators/patients")]
pub async fn load_indicator_patients(
    measure: String,
    period_start: String,
    period_end: String,
    age_band: String,
    sex: String,
    outcome: String,
    page: u64,
) -> Result<IndicatorPatients, ErrorKind> {
    use hospitallink::domain::indicators::{Measure, PatientFilter};
    use hospitallink::domain::page::PageRequest;
    use hospitallink::services::indicators;
    let (core, caller) = crate::state::caller().await?;
    let m = Measure::parse(&measure)
        .ok_or_else(|| crate::state::fail(ErrorKind::not_found("indicator").into()))?;
    let period = period(&core, &period_start, &period_end)?;
    let filter = PatientFilter::parse(m, Some(&age_band), Some(&sex), Some(&outcome))
        .map_err(|e| crate::state::fail(e.into()))?;
    let page = PageRequest::parse(Some(&page.to_string()), Some("50"))
        .map_err(|e| crate::state::fail(e.into()))?;
    indicators::patients(&core, &caller, None, period, m, filter, page)
        .await
        .map_err(crate::state::fail)
}

/// Every hospital's indicators for the period, small numbers hidden (platform admins).
#[server(prefix = "/_fn", endpoint = "indicators/network")]
pub async fn load_network(
    period_start: String,
    period_end: String,
) -> Result<NetworkReport, ErrorKind> {
    use hospitallink::services::indicators;
    let (core, caller) = crate::state::caller().await?;
    let period = period(&core, &period_start, &period_end)?;
    indicators::network(&core, &caller, period)
        .await
        .map_err(crate::state::fail)
}
