//! REST API under `/api/v1`: plain axum handlers over the domain core.

pub mod audit;
pub mod hospitals;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::audit::{AuditEntry, ChainReport};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::hospital::{Hospital, HospitalInput};
use hospitallink::domain::page::Pagination;
use hospitallink::domain::ErrorKind;
use utoipa::OpenApi;

use crate::error::ApiError;
use app::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HospitalLink API",
        description = "HIV care coordination across the hospitals of a network. Errors are `{\"error\", \"code\", \"fields\"}`; lists are paginated with `page` and `per_page` (at most 100).",
        version = "1"
    ),
    paths(
        hospitals::create,
        hospitals::list,
        hospitals::get_one,
        hospitals::update,
        audit::list,
        audit::verify,
    ),
    components(schemas(
        Hospital,
        HospitalInput,
        ErrorBody,
        Pagination,
        hospitals::HospitalList,
        AuditEntry,
        ChainReport,
        audit::AuditList
    )),
    modifiers(&BasicAuth),
    tags(
        (name = "hospitals", description = "The network's hospital registry"),
        (name = "audit", description = "The tamper-evident audit log")
    )
)]
pub struct ApiDoc;

struct BasicAuth;

impl utoipa::Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "basic",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
            );
        }
    }
}

/// The `/api/v1` router, with a JSON 404 for unknown paths and a JSON 405 for wrong methods.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .merge(hospitals::router())
        .merge(audit::router())
        .fallback(not_found)
        .layer(axum::middleware::map_response(json_method_not_allowed))
}

async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError(ErrorKind::NotFound {
        message: "No such API endpoint.".into(),
    })
}

async fn json_method_not_allowed(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = response.headers().get(header::ALLOW).cloned();
        let body = ErrorBody {
            error: "This method is not allowed on this endpoint.".into(),
            code: "method_not_allowed".into(),
            fields: Default::default(),
        };
        let mut out = (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response();
        if let Some(allow) = allow {
            out.headers_mut().insert(header::ALLOW, allow);
        }
        return out;
    }
    response
}
