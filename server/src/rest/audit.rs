//! `/api/v1/audit`

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::Pagination;
use hospitallink::domain::platform::audit::{AuditEntry, ChainReport};
use hospitallink::services::platform::audit::{self, AuditQuery};
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::extract::{ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/verify", get(verify))
}

/// A page of audit entries.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AuditList {
    data: Vec<AuditEntry>,
    pagination: Pagination,
}

/// Audit entries, newest first (platform admins: all; hospital admins: their hospital's).
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = AuditList),
        (status = 400, description = "A filter value is malformed", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No `audit.read` permission", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    let (filter, page) = query.parse()?;
    let page = audit::list(&state.core, &caller, &filter, page).await?;
    Ok(Json(page).into_response())
}

/// Check the hash chain; names the first broken entry.
#[utoipa::path(
    get, path = "/api/v1/audit/verify", tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (`intact` false names the first broken entry)", body = ChainReport),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    let report = audit::verify(&state.core, &caller).await?;
    Ok(Json(report).into_response())
}
