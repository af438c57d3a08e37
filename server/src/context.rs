//! What every Leptos render and server function gets in its reactive context.

use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

use crate::middleware::CspNonce;
use app::state::{AppState, RequestCaller};

/// Provides the app state, a slot for this request's caller (resolved once however many
/// server functions the page calls) and this request's CSP nonce (so Leptos's inline scripts
/// carry the nonce the `Content-Security-Policy` header allows).
pub fn provide_request_context(state: &AppState) {
    provide_context(state.clone());
    provide_context(RequestCaller::default());
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(CspNonce(nonce)) = parts.extensions.get::<CspNonce>() {
            provide_context(Nonce::from_value(nonce.clone()));
        }
    }
}
