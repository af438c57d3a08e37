//! Sharing: consent grants (`/api/v1/patients/{id}/consent`, `/api/v1/patients/{id}/grants`,
//! `/api/v1/grants/{id}/revoke`) and break-glass (`/api/v1/patients/{id}/break-glass`, the
//! review queue `/api/v1/break-glass`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::{PageRequest, Pagination};
use hospitallink::domain::sharing::access::AccessLogEntry;
use hospitallink::domain::sharing::break_glass::{BreakGlass, BreakGlassRequest, ReviewRequest};
use hospitallink::domain::sharing::grant::{
    ConfirmInput, ConsentRequest, ConsentRequestInput, Grant, GrantInput, PatientGrantInput,
};
use hospitallink::domain::ErrorKind;
use hospitallink::services::sharing::{access_log, break_glass, consent_requests, grants};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_id, ApiJson, ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/consent", post(record))
        .route("/patients/{id}/grants", get(list))
        .route("/grants/{id}/revoke", put(revoke))
        .route("/patients/{id}/consent-requests", post(request_consent))
        .route(
            "/patients/{id}/consent-requests/{rid}/confirm",
            post(confirm_consent),
        )
        .route("/patients/{id}/break-glass", post(open_break_glass))
        .route("/break-glass", get(break_glass_queue))
        .route("/break-glass/{id}", put(review_break_glass))
        .route("/sharing/grant", post(patient_grant))
        .route("/sharing/{id}/revoke", put(patient_revoke))
        .route("/sharing/permissions", get(patient_permissions))
        .route("/me/access-log", get(my_access_log))
}

/// A patient's grants.
#[derive(ToSchema, serde::Serialize)]
pub struct GrantList {
    pub data: Vec<Grant>,
}

/// Record the patient's consent to share with a hospital, with their signed consent form
/// (uploaded first as an attachment of kind `consent_form`). Audited as `consent_grant`.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/consent", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = GrantInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The grant; it counts from its start", body = Grant),
        (status = 400, description = "Invalid input; `fields` names each problem (an unknown hospital, a form that is not this patient's consent form, an expiry in the past or more than two years ahead)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not record consent (`consent.record`)", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GrantInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let grant = grants::record(&state.core, &caller, id, &input).await?;
    Ok((StatusCode::CREATED, Json(grant)).into_response())
}

/// The patient's grants that concern your hospital (given to it, or recorded by its staff),
/// newest first, at most 200, each with its status now. Audited.
#[utoipa::path(
    get, path = "/api/v1/patients/{id}/grants", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grants", body = GrantList),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read patients", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantList>> {
    let id = parse_id(&id)?;
    let data = grants::list(&state.core, &caller, id).await?;
    Ok(Json(GrantList { data }))
}

/// Revoke a grant on the patient's instruction. It stops counting with the next request.
/// Audited as `consent_revoke`.
#[utoipa::path(
    put, path = "/api/v1/grants/{id}/revoke", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Grant id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The revoked grant", body = Grant),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not record consent (`consent.record`)", body = ErrorBody),
        (status = 404, description = "No such grant concerning your hospital", body = ErrorBody),
        (status = 409, description = "`grant_revoked`: already revoked", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<Grant>> {
    let id = parse_id(&id)?;
    Ok(Json(grants::revoke(&state.core, &caller, id).await?))
}

/// Open the whole record of a patient linked to your hospital for an emergency
/// (`break_glass`), with the reason, for your hospital's set duration (three hours unless
/// changed). Every hospital's part shows, labelled with its source; the patient is told;
/// your hospital admin reviews it. Audited as `break_glass`.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/break-glass", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = BreakGlassRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Open until `ends_at`", body = BreakGlass),
        (status = 400, description = "The reason is missing or not a sentence", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not break the glass (`break_glass`)", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
    )
)]
pub async fn open_break_glass(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<BreakGlassRequest>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let opened = break_glass::open(&state.core, &caller, id, &input).await?;
    Ok((StatusCode::CREATED, Json(opened)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `pending` (default): waiting for review; `all`: every opening.
    status: Option<String>,
    /// Page number, from 1.
    page: Option<String>,
    /// Items per page, 1-100 (default 20).
    per_page: Option<String>,
}

/// A page of break-glass openings.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BreakGlassList {
    data: Vec<BreakGlass>,
    pagination: Pagination,
}

/// The review queue of your hospital's break-glass openings, newest first: who, when, why,
/// until when, and what was read while it was open (hospital admins). Audited.
#[utoipa::path(
    get, path = "/api/v1/break-glass", tag = "sharing",
    params(QueueParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = BreakGlassList),
        (status = 400, description = "Bad status or paging values", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a hospital admin of a hospital", body = ErrorBody),
    )
)]
pub async fn break_glass_queue(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> ApiResult<Response> {
    let pending = match params.status.as_deref().map(str::trim) {
        None | Some("") | Some("pending") => true,
        Some("all") => false,
        Some(_) => {
            return Err(ApiError(ErrorKind::invalid_field(
                "status",
                "must be pending or all",
            )))
        }
    };
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let list = break_glass::queue(&state.core, &caller, pending, page).await?;
    Ok(Json(list).into_response())
}

/// Review a break-glass opening: `reviewed` (justified) or `escalated`, with a note. Once;
/// audited.
#[utoipa::path(
    put, path = "/api/v1/break-glass/{id}", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Break-glass id")),
    request_body = ReviewRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reviewed", body = BreakGlass),
        (status = 400, description = "Invalid outcome or note", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a hospital admin", body = ErrorBody),
        (status = 404, description = "No such opening at your hospital", body = ErrorBody),
        (status = 409, description = "`already_reviewed`", body = ErrorBody),
    )
)]
pub async fn review_break_glass(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReviewRequest>,
) -> ApiResult<Json<BreakGlass>> {
    let id = parse_id(&id)?;
    Ok(Json(
        break_glass::review(&state.core, &caller, id, &input).await?,
    ))
}

/// Ask the patient in front of you to let your hospital see chosen categories: a one-time
/// code goes to their phone by SMS (or to their email) in discreet words; enter the code they
/// read back with `.../confirm`. At most 5 codes per patient an hour.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/consent-requests", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = ConsentRequestInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The code is on its way (`sent_by`); it works 10 minutes", body = ConsentRequest),
        (status = 400, description = "Invalid categories, purpose or expiry", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not record consent (`consent.record`)", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
        (status = 409, description = "`no_contact`: no phone or email on file; record a signed form instead", body = ErrorBody),
        (status = 429, description = "`rate_limited`: 5 codes to this patient in the last hour", body = ErrorBody),
    )
)]
pub async fn request_consent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConsentRequestInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let request = consent_requests::request(&state.core, &caller, id, &input).await?;
    Ok((StatusCode::CREATED, Json(request)).into_response())
}

/// Confirm a consent request with the code the patient read out: the grant is created as the
/// patient's (`code_confirmed`). A code works once, for 10 minutes, with at most 5 tries.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/consent-requests/{rid}/confirm", tag = "sharing",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("rid" = uuid::Uuid, Path, description = "Consent request id"),
    ),
    request_body = ConfirmInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The patient's grant", body = Grant),
        (status = 400, description = "Malformed, wrong, used or expired code (`fields.code`)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not record consent (`consent.record`)", body = ErrorBody),
        (status = 404, description = "No such patient or request at your hospital", body = ErrorBody),
    )
)]
pub async fn confirm_consent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, rid)): Path<(String, String)>,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let rid = parse_id(&rid)?;
    let grant = consent_requests::confirm(&state.core, &caller, id, rid, &input).await?;
    Ok((StatusCode::CREATED, Json(grant)).into_response())
}

/// As a signed-in patient: let a hospital of the network see categories of your record,
/// until a date or until you revoke it. It counts from now, once the hospital has linked you.
/// Audited as you.
#[utoipa::path(
    post, path = "/api/v1/sharing/grant", tag = "sharing",
    request_body = PatientGrantInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The grant", body = Grant),
        (status = 400, description = "Invalid hospital, categories, purpose or expiry", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn patient_grant(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<PatientGrantInput>,
) -> ApiResult<Response> {
    let grant = grants::grant_by_patient(&state.core, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(grant)).into_response())
}

/// As a signed-in patient: revoke one of your grants; it stops counting with the next
/// request. Audited as you.
#[utoipa::path(
    put, path = "/api/v1/sharing/{id}/revoke", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Grant id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The revoked grant", body = Grant),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
        (status = 404, description = "No such grant of yours", body = ErrorBody),
        (status = 409, description = "`grant_revoked`: already revoked", body = ErrorBody),
    )
)]
pub async fn patient_revoke(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<Grant>> {
    let id = parse_id(&id)?;
    Ok(Json(
        grants::revoke_by_patient(&state.core, &caller, id).await?,
    ))
}

/// As a signed-in patient: your grants, active and past, newest first (at most 200), each
/// with its status now. Audited.
#[utoipa::path(
    get, path = "/api/v1/sharing/permissions", tag = "sharing",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your grants", body = GrantList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn patient_permissions(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Json<GrantList>> {
    let data = grants::permissions(&state.core, &caller).await?;
    Ok(Json(GrantList { data }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    page: Option<String>,
    /// Items per page, 1-100 (default 20).
    per_page: Option<String>,
}

/// A page of accesses.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccessLog {
    data: Vec<AccessLogEntry>,
    pagination: Pagination,
}

/// As a signed-in patient: who looked at your record, newest first: the hospital, the role,
/// what and when; break-glass openings with their reason, and the reads made under one.
/// Audited.
#[utoipa::path(
    get, path = "/api/v1/me/access-log", tag = "sharing",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = AccessLog),
        (status = 400, description = "Bad paging values", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn my_access_log(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let log = access_log::list(&state.core, &caller, page).await?;
    Ok(Json(log).into_response())
}
