//! Indicators: a hospital's MER indicators and cascade for a period, the patients behind each
//! number, one indicator as CSV, and the network view for platform admins.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::indicators::{
    IndicatorPatients, IndicatorReport, Measure, NetworkReport, PatientFilter, Period,
};
use hospitallink::domain::page::PageRequest;
use hospitallink::domain::ErrorKind;
use hospitallink::services::indicators;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/indicators", get(report))
        .route("/indicators/network", get(network))
        .route("/indicators/{measure}/patients", get(patients))
        .route("/indicators/{measure}/csv", get(csv))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The hospital (default: your own).
    #[param(schema_with = hospitallink::domain::schema::id_param)]
    hospital_id: Option<String>,
    /// First day of the period (`YYYY-MM-DD`); with `period_end`, or neither for the last
    /// whole quarter.
    #[param(schema_with = hospitallink::domain::schema::date_param)]
    period_start: Option<String>,
    /// Last day of the period, included (at most 366 days after the start, not in the
    /// future).
    #[param(schema_with = hospitallink::domain::schema::date_param)]
    period_end: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatientParams {
    #[param(schema_with = hospitallink::domain::schema::id_param)]
    hospital_id: Option<String>,
    #[param(schema_with = hospitallink::domain::schema::date_param)]
    period_start: Option<String>,
    #[param(schema_with = hospitallink::domain::schema::date_param)]
    period_end: Option<String>,
    /// One MER age band (`<1`, `1-4`, ... `65+`, `unknown`).
    #[param(schema_with = hospitallink::domain::schema::age_band_param)]
    age_band: Option<String>,
    /// `female`, `male` or `unknown`.
    #[param(schema_with = hospitallink::domain::schema::sex_group_param)]
    sex: Option<String>,
    /// TX_ML only: one outcome.
    #[param(schema_with = hospitallink::domain::schema::ml_outcome_param)]
    outcome: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn hospital(raw: Option<&str>) -> Result<Option<Uuid>, ErrorKind> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Uuid::parse_str(raw)
            .map(Some)
            .map_err(|_| ErrorKind::invalid_field("hospital_id", "must be a UUID")),
    }
}

fn period(state: &AppState, start: Option<&str>, end: Option<&str>) -> Result<Period, ErrorKind> {
    Period::parse_or_last_quarter(start, end, indicators::today(&state.core))
}

fn measure(raw: &str) -> Result<Measure, ErrorKind> {
    Measure::parse(raw).ok_or_else(|| ErrorKind::not_found("indicator"))
}

/// A hospital's indicators for a period: TX_CURR, TX_NEW, TX_PVLS (denominator and
/// numerator), TX_ML (with its outcomes), TX_RTT and the patients in care, each by MER age band
/// and sex, with the 95-95-95 cascade and 12 months of viral-load suppression. Definitions:
/// PEPFAR MER 2.6.1 as each value's `definition` says. Aggregates only; audited.
#[utoipa::path(
    get, path = "/api/v1/indicators", tag = "indicators",
    params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = IndicatorReport),
        (status = 400, description = "Bad period or hospital id; `fields` names each problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `indicators.read`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<IndicatorReport>> {
    let hospital_id = hospital(p.hospital_id.as_deref())?;
    let period = period(&state, p.period_start.as_deref(), p.period_end.as_deref())?;
    Ok(Json(
        indicators::report(&state.core, &caller, hospital_id, period).await?,
    ))
}

/// The patients one number counts (`measure`: `enrolled`, `tx_curr`, `tx_new`, `tx_pvls_d`,
/// `tx_pvls_n`, `tx_ml`, `tx_rtt`), optionally one cell of it, by MRN. Needs `records.read`
/// besides `indicators.read`; audited with the patients shown.
#[utoipa::path(
    get, path = "/api/v1/indicators/{measure}/patients", tag = "indicators",
    params(("measure" = Measure, Path, description = "The number"), PatientParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the patients", body = IndicatorPatients),
        (status = 400, description = "Bad period, cell or page; `fields` names each problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `indicators.read` and `records.read`", body = ErrorBody),
        (status = 404, description = "No such indicator, or not your hospital", body = ErrorBody),
    )
)]
pub async fn patients(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(raw): Path<String>,
    ApiQuery(p): ApiQuery<PatientParams>,
) -> ApiResult<Json<IndicatorPatients>> {
    let m = measure(&raw)?;
    let hospital_id = hospital(p.hospital_id.as_deref())?;
    let period = period(&state, p.period_start.as_deref(), p.period_end.as_deref())?;
    let filter = PatientFilter::parse(
        m,
        p.age_band.as_deref(),
        p.sex.as_deref(),
        p.outcome.as_deref(),
    )?;
    let page = PageRequest::parse(p.page.as_deref(), p.per_page.as_deref())?;
    Ok(Json(
        indicators::patients(&state.core, &caller, hospital_id, period, m, filter, page).await?,
    ))
}

/// One indicator as CSV for reporting: the total, each age band and sex, and TX_ML's
/// outcomes. Audited as an export.
#[utoipa::path(
    get, path = "/api/v1/indicators/{measure}/csv", tag = "indicators",
    params(("measure" = Measure, Path, description = "The number"), ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV: hospital, period_start, period_end, indicator, part, age_band, sex, outcome, value", content_type = "text/csv", body = String),
        (status = 400, description = "Bad period or hospital id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `indicators.read`", body = ErrorBody),
        (status = 404, description = "No such indicator, or not your hospital", body = ErrorBody),
    )
)]
pub async fn csv(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(raw): Path<String>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let m = measure(&raw)?;
    let hospital_id = hospital(p.hospital_id.as_deref())?;
    let period = period(&state, p.period_start.as_deref(), p.period_end.as_deref())?;
    let text = indicators::export_csv(&state.core, &caller, hospital_id, period, m).await?;
    let name = format!(
        "attachment; filename=\"{}-{}-{}.csv\"",
        m.as_str(),
        period.start,
        period.end
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworkParams {
    #[param(schema_with = hospitallink::domain::schema::date_param)]
    period_start: Option<String>,
    #[param(schema_with = hospitallink::domain::schema::date_param)]
    period_end: Option<String>,
}

/// Every hospital's indicators for a period, for platform admins: totals only, a number
/// under 5 hidden (and the network total it would give away).
#[utoipa::path(
    get, path = "/api/v1/indicators/network", tag = "indicators",
    params(NetworkParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The network view", body = NetworkReport),
        (status = 400, description = "Bad period", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
    )
)]
pub async fn network(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(p): ApiQuery<NetworkParams>,
) -> ApiResult<Json<NetworkReport>> {
    let period = period(&state, p.period_start.as_deref(), p.period_end.as_deref())?;
    Ok(Json(
        indicators::network(&state.core, &caller, period).await?,
    ))
}
