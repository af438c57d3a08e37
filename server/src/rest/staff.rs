//! `/api/v1/staff`: invitations, the account list, role changes and disabling.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::identity::auth::{
    AcceptInvitationRequest, Invitation, InvitationRequest, StaffMember, StaffUpdate,
};
use hospitallink::domain::page::{PageRequest, Pagination};
use hospitallink::services::identity::{invitations, staff};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::versioned;
use crate::error::ApiResult;
use crate::extract::{if_match, parse_id, ApiJson, ApiQuery, Meta, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/invitations", post(invite))
        .route("/staff/invitations/accept", post(accept))
        .route("/staff", get(list))
        .route("/staff/{id}", get(get_one).put(update))
}

/// A page of staff accounts.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StaffList {
    data: Vec<StaffMember>,
    pagination: Pagination,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    page: Option<String>,
    /// Items per page, 1-100 (default 20).
    per_page: Option<String>,
}

fn with_etag(member: StaffMember) -> Response {
    versioned(StatusCode::OK, member.version, None, &member)
}

/// Invite a staff member: an email with a single-use link valid 72 hours.
#[utoipa::path(
    post, path = "/api/v1/staff/invitations", tag = "staff",
    security(("bearer" = [])),
    request_body = InvitationRequest,
    responses(
        (status = 201, description = "Invited; the link travels only by email", body = Invitation),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "May not give this role", body = ErrorBody),
        (status = 409, description = "An account with this email exists (`email_taken`)", body = ErrorBody),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<InvitationRequest>,
) -> ApiResult<Response> {
    let invitation = invitations::invite(&state.core, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(invitation)).into_response())
}

/// Accept an invitation with the token from the email and a password.
#[utoipa::path(
    post, path = "/api/v1/staff/invitations/accept", tag = "staff",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 201, description = "Account created; sign in next", body = StaffMember),
        (status = 400, description = "Invalid, used or expired token, or a password that breaks the rules", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<AcceptInvitationRequest>,
) -> ApiResult<Response> {
    let member = invitations::accept(&state.core, &meta, &input).await?;
    Ok((StatusCode::CREATED, Json(member)).into_response())
}

/// Staff accounts in scope (hospital admins: their hospital).
#[utoipa::path(
    get, path = "/api/v1/staff", tag = "staff",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of accounts", body = StaffList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No `staff.read` permission", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    Ok(Json(staff::list(&state.core, &caller, page).await?).into_response())
}

/// One account.
#[utoipa::path(
    get, path = "/api/v1/staff/{id}", tag = "staff",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account (ETag: version)", body = StaffMember),
        (status = 404, description = "Absent or outside your hospital", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(with_etag(staff::get(&state.core, &caller, id).await?))
}

/// Change the role, or disable / re-enable. Ends the account's sessions and tokens.
#[utoipa::path(
    put, path = "/api/v1/staff/{id}", tag = "staff",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Account id"), ("If-Match" = Option<String>, Header, nullable = false, description = "Expected version", pattern = r#"^[\t ]*(?:W/)?"?[0-9]{1,18}"?[\t ]*$"#)),
    request_body = StaffUpdate,
    responses(
        (status = 200, description = "Updated", body = StaffMember),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 403, description = "May not give this role, or your own account", body = ErrorBody),
        (status = 404, description = "Absent or outside your hospital", body = ErrorBody),
        (status = 412, description = "Version mismatch", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<StaffUpdate>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    Ok(with_etag(
        staff::update(&state.core, &caller, id, &input, expected).await?,
    ))
}
