//! Server-side state reachable from server functions (provided by `leptos_routes`).

use axum::extract::FromRef;
use hospitallink::domain::ErrorKind;
use hospitallink::policy::Actor;
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

/// Outcome of a plain (no-JavaScript) form post, handed to the page that re-renders it.
pub use crate::pages::hospitals::HospitalFormOutcome;

/// The core and the calling actor for the current server-function request.
pub async fn caller() -> Result<(Core, Actor), ErrorKind> {
    let state = use_context::<AppState>().ok_or_else(|| {
        fail(AppError::internal(
            "AppState missing from the server-function context",
        ))
    })?;
    let authorization = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let actor = hospitallink::services::access::resolve(&state.core, authorization.as_deref())
        .await
        .map_err(fail)?;
    Ok((state.core, actor))
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
