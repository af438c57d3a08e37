//! Plain form posts for browsers without JavaScript, one module per capability like `rest/`.
//! Each handler parses the form, calls the same service as the server function and the REST
//! API, and either redirects (303) or re-renders the page with the errors and what was typed,
//! so nothing is lost (never a password or a code).

mod attachments;
mod audit;
mod auth;
mod cds;
mod clients;
mod hospitals;
mod notifications;
mod patients;
pub mod portal;
mod scheduling;
mod sharing;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hospitallink::domain::ErrorKind;
use hospitallink::AppError;
use leptos::prelude::provide_context;
use std::collections::BTreeMap;

use crate::context::provide_request_context;
use app::pages::auth::FormOutcome;
use app::state::AppState;

/// Every plain form route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(hospitals::router())
        .merge(auth::router())
        .merge(audit::router())
        .merge(patients::router())
        .merge(attachments::router())
        .merge(sharing::router())
        .merge(portal::router())
        .merge(clients::router())
        .merge(scheduling::router())
        .merge(cds::router())
        .merge(notifications::router())
}

const FORM_LIMIT: usize = hospitallink::domain::error::FORM_BODY_LIMIT as usize;

/// Reads an `application/x-www-form-urlencoded` body.
pub async fn read_form<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ErrorKind> {
    match to_bytes(body, FORM_LIMIT).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            ErrorKind::bad_request("invalid_form", format!("The form could not be read: {e}"))
        }),
        Err(_) => Err(ErrorKind::PayloadTooLarge {
            limit_bytes: FORM_LIMIT as u64,
        }),
    }
}

/// Renders the page at `path` with `outcome` in the reactive context (the page reads it to
/// show errors and what was typed), answering `status`.
pub async fn render_page<T: Clone + Send + Sync + 'static>(
    state: &AppState,
    parts: axum::http::request::Parts,
    path: &str,
    outcome: T,
    status: StatusCode,
) -> Response {
    let mut request = Request::from_parts(parts, Body::empty());
    *request.method_mut() = axum::http::Method::GET;
    match path.parse::<Uri>() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    let render = leptos_axum::render_app_async_with_context(
        {
            let state = state.clone();
            move || {
                provide_request_context(&state);
                provide_context(outcome.clone());
            }
        },
        {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        },
    );
    let mut response = render(request).await.into_response();
    *response.status_mut() = status;
    response
}

/// The status an error answers with (400 when unknown).
pub fn status_of(error: Option<&ErrorKind>) -> StatusCode {
    error
        .and_then(|e| StatusCode::from_u16(e.status()).ok())
        .unwrap_or(StatusCode::BAD_REQUEST)
}

/// Re-renders the page at `path` with `error` and what was typed.
pub(crate) async fn fail(
    state: &AppState,
    parts: axum::http::request::Parts,
    path: &str,
    values: BTreeMap<String, String>,
    error: AppError,
) -> Response {
    let error = error.into_kind();
    let status = status_of(Some(&error));
    let outcome = FormOutcome {
        values,
        error: Some(error),
        ..Default::default()
    };
    render_page(state, parts, path, outcome, status).await
}
