//! Messages to patients and staff as the admins see them (`/api/v1/messages`: delivery
//! status, never the text; dead letters sent again) and each hospital's wording of its messages
//! (`/api/v1/hospitals/{id}/notification-templates`, with a preview).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::notifications::templates::{TemplateInput, TemplateView};
use hospitallink::domain::page::{PageRequest, Pagination};
use hospitallink::domain::platform::outbox::Delivery;
use hospitallink::services::notifications::templates;
use hospitallink::services::platform::outbox;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiResult;
use crate::extract::{parse_id, ApiJson, ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", get(list))
        .route("/messages/{id}/retry", post(retry))
        .route(
            "/hospitals/{id}/notification-templates",
            get(list_templates).put(set_template),
        )
        .route(
            "/hospitals/{id}/notification-templates/preview",
            post(preview_template),
        )
}

/// A page of messages.
#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    data: Vec<Delivery>,
    pagination: Pagination,
}

/// Every wording of a hospital's messages.
#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    templates: Vec<TemplateView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `pending`, `sent`, `failed` (dead letters), `held` or `dropped`.
    #[param(schema_with = hospitallink::domain::schema::message_status_param)]
    status: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// Your hospital's messages (platform admins: all), newest first: purpose, channel, delivery
/// status, attempts and the last error; never the text or the address. Audited.
#[utoipa::path(
    get, path = "/api/v1/messages", tag = "notifications",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of messages", body = DeliveryList),
        (status = 400, description = "Unknown status", body = ErrorBody),
        (status = 403, description = "Without `outbox.read`", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let found = outbox::deliveries(&state.core, &caller, params.status.as_deref(), page).await?;
    Ok(Json(DeliveryList {
        data: found.data,
        pagination: found.pagination,
    })
    .into_response())
}

/// Send a dead letter (`failed`) again. Audited.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/retry", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Message id")),
    responses(
        (status = 204, description = "Queued again"),
        (status = 403, description = "Without `outbox.read`", body = ErrorBody),
        (status = 404, description = "No such message of your hospital", body = ErrorBody),
        (status = 409, description = "Its delivery has not failed (`not_failed`)", body = ErrorBody),
    )
)]
pub async fn retry(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    outbox::retry(&state.core, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Every wording of the hospital's messages (kind, language, channel), its own or the default,
/// each with a preview (`settings.manage`).
#[utoipa::path(
    get, path = "/api/v1/hospitals/{id}/notification-templates", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    responses(
        (status = 200, description = "The wordings", body = TemplateList),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn list_templates(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let list = templates::list(&state.core, &caller, id).await?;
    Ok(Json(TemplateList { templates: list }).into_response())
}

/// Keep the hospital's own wording of one message: placeholders `{{ first_name }}`,
/// `{{ clinic }}`, `{{ date }}`, `{{ time }}`; nothing that names what the clinic treats, a
/// medicine, a test or a result. Audited.
#[utoipa::path(
    put, path = "/api/v1/hospitals/{id}/notification-templates", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "Kept, with its preview", body = TemplateView),
        (status = 400, description = "A field is invalid, or the wording is not discreet (named in `fields`)", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn set_template(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(Json(templates::set(&state.core, &caller, id, &input).await?).into_response())
}

/// How a wording would read with sample values, checked as when it is kept; nothing is kept.
#[utoipa::path(
    post, path = "/api/v1/hospitals/{id}/notification-templates/preview", tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "The preview", body = TemplateView),
        (status = 400, description = "A field is invalid, or the wording is not discreet", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn preview_template(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(Json(templates::preview(&state.core, &caller, id, &input).await?).into_response())
}
