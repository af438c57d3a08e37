//! Server-side state reachable from server functions (provided by `leptos_routes`).

use axum::extract::FromRef;
use hospitallink::domain::ErrorKind;
use hospitallink::policy::{Caller, RequestMeta};
use hospitallink::services::Core;
use hospitallink::AppError;
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub core: Core,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Where the request came from: client address, user agent and request id.
pub fn request_meta(parts: &http::request::Parts) -> RequestMeta {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    RequestMeta {
        ip: parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        user_agent: header("user-agent"),
        request_id: header("x-request-id"),
    }
}

/// The caller of a request: who (see `services::access`) and from where.
pub async fn resolve_caller(core: &Core, parts: &http::request::Parts) -> Result<Caller, AppError> {
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let meta = request_meta(parts);
    let actor = hospitallink::services::access::resolve(core, authorization, &meta).await?;
    Ok(Caller::new(actor, meta))
}

/// The core and the caller for the current server-function request.
pub async fn caller() -> Result<(Core, Caller), ErrorKind> {
    let state = use_context::<AppState>().ok_or_else(|| {
        fail(AppError::internal(
            "AppState missing from the server-function context",
        ))
    })?;
    let parts = use_context::<http::request::Parts>().ok_or_else(|| {
        fail(AppError::internal(
            "request parts missing from the server-function context",
        ))
    })?;
    let caller = resolve_caller(&state.core, &parts).await.map_err(fail)?;
    Ok((state.core, caller))
}

/// Ends a server function with an error: logs the cause of a 5xx, sets the HTTP status the
/// error kind calls for, and returns what the UI may see.
pub fn fail(err: AppError) -> ErrorKind {
    let kind = err.into_kind();
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(kind.status()) {
            response.set_status(status);
        }
    }
    kind
}
