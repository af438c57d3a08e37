pub mod auth;
pub mod break_glass;
pub mod clients;
#[cfg(feature = "ssr")]
pub mod dashboard;
pub mod hospitals;
pub mod landing;
pub mod not_found;
// Staff pages made of links and plain form posts only are rendered by the server alone too
// (`SERVER_ONLY`): the browser bundle carries none of their code.
#[cfg(feature = "ssr")]
pub mod notifications;
pub mod patients;
pub mod scheduling;
#[cfg(feature = "ssr")]
pub mod settings;
pub mod worklists;
// The patient portal is rendered by the server alone: its pages need no script, and on a
// prepaid plan the browser bundle would cost more than every portal page together. Its code
// is left out of that bundle.
#[cfg(feature = "ssr")]
pub mod portal;

use leptos::prelude::*;

/// A page the server renders alone (the patient portal), reached by a navigation inside a
/// hydrated page: the browser loads it whole from the server.
#[component]
pub fn ServerOnly() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        let _ = window().location().reload();
    });
    view! { <p class="px-4 py-6 text-slate-500">"Loading…"</p> }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
