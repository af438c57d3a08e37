//! Consent grants: `/api/v1/patients/{id}/consent`, `/api/v1/patients/{id}/grants` and
//! `/api/v1/grants/{id}/revoke`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::sharing::grant::{Grant, GrantInput};
use hospitallink::services::sharing::grants;
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::extract::{parse_id, ApiJson, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/consent", post(record))
        .route("/patients/{id}/grants", get(list))
        .route("/grants/{id}/revoke", put(revoke))
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
