//! `/api/v1/hospitals`

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::{PageRequest, Pagination};
use hospitallink::domain::platform::hospital::{Hospital, HospitalInput, HospitalSettings};
use hospitallink::services::platform::hospitals;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::versioned;
use crate::error::ApiResult;
use crate::extract::{if_match, parse_id, ApiJson, ApiQuery, Auth, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hospitals", get(list).post(create))
        .route("/hospitals/{id}", get(get_one).put(update))
        .route("/hospitals/{id}/settings", put(update_settings))
}

/// A page of hospitals.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HospitalList {
    data: Vec<Hospital>,
    pagination: Pagination,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Prefix of the name (any word) or of the code.
    q: Option<String>,
    /// Page number, from 1.
    page: Option<String>,
    /// Items per page, 1-100 (default 20).
    per_page: Option<String>,
}

/// Register a hospital (platform admin).
#[utoipa::path(
    post, path = "/api/v1/hospitals", tag = "hospitals",
    request_body = HospitalInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Hospital),
        (status = 400, description = "Invalid input; `fields` names each problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 409, description = "Code already used (`hospital_code_taken`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<HospitalInput>,
) -> ApiResult<Response> {
    let hospital = hospitals::create(&state.core, &caller, &input).await?;
    let location = format!("/api/v1/hospitals/{}", hospital.id);
    Ok(versioned(
        StatusCode::CREATED,
        hospital.version,
        Some(&location),
        &hospital,
    ))
}

/// List hospitals by name.
#[utoipa::path(
    get, path = "/api/v1/hospitals", tag = "hospitals",
    params(ListParams),
    responses(
        (status = 200, description = "One page", body = HospitalList),
        (status = 400, description = "Bad paging values", body = ErrorBody),
        (status = 401, description = "An `Authorization` header that is not a valid token (the list needs none)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let page = hospitals::list(&state.core, &caller, params.q.as_deref(), page).await?;
    Ok(Json(page).into_response())
}

/// Read one hospital. The `ETag` is its version.
#[utoipa::path(
    get, path = "/api/v1/hospitals/{id}", tag = "hospitals",
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    responses(
        (status = 200, description = "The hospital", body = Hospital),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "An `Authorization` header that is not a valid token (reading needs none)", body = ErrorBody),
        (status = 404, description = "No such hospital", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let hospital = hospitals::get(&state.core, &caller, id).await?;
    Ok(versioned(StatusCode::OK, hospital.version, None, &hospital))
}

/// Replace a hospital's fields (platform admin). Send `If-Match` with the version you read to
/// avoid overwriting someone else's change.
#[utoipa::path(
    put, path = "/api/v1/hospitals/{id}", tag = "hospitals",
    params(
        ("id" = uuid::Uuid, Path, description = "Hospital id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "Expected version, e.g. \"3\"", pattern = r#"^[\t ]*(?:W/)?"?[0-9]{1,18}"?[\t ]*$"#),
    ),
    request_body = HospitalInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Hospital),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such hospital", body = ErrorBody),
        (status = 409, description = "Code already used", body = ErrorBody),
        (status = 412, description = "Version mismatch", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<HospitalInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let hospital = hospitals::update(&state.core, &caller, id, &input, expected).await?;
    Ok(versioned(StatusCode::OK, hospital.version, None, &hospital))
}

/// Set your hospital's own settings (its admins, `settings.manage`): how long a break-glass
/// opening lasts (15-1440 minutes; 180 unless set). Audited.
#[utoipa::path(
    put, path = "/api/v1/hospitals/{id}/settings", tag = "hospitals",
    params(("id" = uuid::Uuid, Path, description = "Your hospital's id")),
    request_body = HospitalSettings,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = Hospital),
        (status = 400, description = "Invalid value", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change settings (`settings.manage`)", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn update_settings(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<HospitalSettings>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let hospital = hospitals::update_settings(&state.core, &caller, id, &input).await?;
    Ok(versioned(StatusCode::OK, hospital.version, None, &hospital))
}
