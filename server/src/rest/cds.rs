//! Decision support: the interaction check a prescription, regimen or dispensing would meet,
//! the worklists and the tracing outcomes recorded from them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hospitallink::domain::cds::interactions::InteractionWarning;
use hospitallink::domain::cds::worklist::{
    TracingInput, TracingRecord, Worklist, WorklistCounts, WorklistPage,
};
use hospitallink::domain::clinical::record::RecordInput;
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::PageRequest;
use hospitallink::domain::ErrorKind;
use hospitallink::services::cds::{prescribing, worklists};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiResult;
use crate::extract::{parse_id, ApiJson, ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/patients/{id}/records/interaction-check",
            post(interaction_check),
        )
        .route("/worklists", get(worklist_counts))
        .route("/worklists/{name}", get(worklist))
        .route("/patients/{id}/tracing-outcomes", post(record_tracing))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    page: Option<String>,
    per_page: Option<String>,
}

/// How many patients of your hospital each worklist holds.
#[utoipa::path(
    get, path = "/api/v1/worklists", tag = "decision support",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The count of each worklist", body = WorklistCounts),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `records.read` at a hospital", body = ErrorBody),
    )
)]
pub async fn worklist_counts(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Json<WorklistCounts>> {
    Ok(Json(worklists::counts(&state.core, &caller).await?))
}

/// A worklist of your hospital: who, why (the rule), since when, last contact and last tracing
/// outcome, most urgent first. `vl_due`: viral load due or overdue (HIV.S.2); `unsuppressed`:
/// low-level viraemia, unsuppressed or treatment failure (HIV.S.2, HIV.D17.DT); `iit`:
/// interruption in treatment (HIV.H.DE42); `ahd`: advanced HIV disease (HIV.D12.DT). Audited
/// with the patients shown.
#[utoipa::path(
    get, path = "/api/v1/worklists/{name}", tag = "decision support",
    params(("name" = Worklist, Path, description = "`vl_due`, `unsuppressed`, `iit` or `ahd`"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the worklist", body = WorklistPage),
        (status = 400, description = "Bad page", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `records.read` at a hospital", body = ErrorBody),
        (status = 404, description = "No such worklist", body = ErrorBody),
    )
)]
pub async fn worklist(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(name): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<WorklistPage>> {
    let list = Worklist::parse(&name).ok_or_else(|| ErrorKind::not_found("worklist"))?;
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    Ok(Json(
        worklists::list(&state.core, &caller, list, page).await?,
    ))
}

/// Record the outcome of tracing a patient (the WHO HIV DAK follow-up codes); it feeds the
/// worklists and the indicators (TX_ML). The note is kept sealed.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/tracing-outcomes", tag = "decision support",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = TracingInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = TracingRecord),
        (status = 400, description = "Invalid; `fields` names each problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `records.write`", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn record_tracing(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TracingInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let record = worklists::record_outcome(&state.core, &caller, id, &input).await?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// The WHO interactions a record would be saved with.
#[derive(Serialize, ToSchema)]
pub struct InteractionCheck {
    pub warnings: Vec<InteractionWarning>,
}

/// Check a prescription, regimen or dispensing against the patient's current medicines
/// (HIV.D21.2.DT) without saving it. A `severe` warning means saving it needs an
/// `override_reason`.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/records/interaction-check", tag = "records",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = RecordInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The interactions it would be saved with (none: empty)", body = InteractionCheck),
        (status = 400, description = "Invalid record; `fields` names each problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not write this record type", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn interaction_check(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RecordInput>,
) -> ApiResult<Json<InteractionCheck>> {
    let id = parse_id(&id)?;
    let warnings = prescribing::preview(&state.core, &caller, id, &input).await?;
    Ok(Json(InteractionCheck { warnings }))
}
