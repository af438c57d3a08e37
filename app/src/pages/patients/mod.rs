//! The clinician's patient pages: search (`/patients`), registration (`/patients/new`) and
//! the chart (`/patients/:id`).
//!
//! Search filters as you type once hydrated and is a GET form without JavaScript. Registration
//! and the upload are plain POSTs the server answers with a redirect, or with this page
//! re-rendered with the errors and what was typed. The chart's quick-entry forms are the same
//! plain POSTs without JavaScript; hydrated, they save through a server function, show the
//! entry at once in the records table ("Saving…"), keep what was typed on an error and reload
//! only the chart's data on success.

mod chart;
mod register;
mod search;

pub use chart::{
    ChartPage, BREAK_GLASS_FORM, CODE_FORM, GUARDIAN_FORM, SHARING_FORM, SIGNED_FORM, UPLOAD_FORM,
};
pub use register::NewPatientPage;
pub use search::PatientsPage;

use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

pub(super) const INPUT: &str = "focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3 text-base aria-[invalid=true]:border-red-600";
pub(super) const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center justify-center rounded bg-teal-700 px-4 font-medium text-white";

/// Sets the response status during server rendering.
pub(crate) fn set_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(_status) {
            response.set_status(code);
        }
    }
}

/// What a refused or missing patient looks like: the same words for "absent" and "not
/// linked to your hospital", so existence does not leak.
#[component]
pub(crate) fn Unavailable(error: ErrorKind) -> impl IntoView {
    set_status(error.status());
    let (title, text) = match error.status() {
        401 => (
            "Sign in to continue",
            "Patient pages need a staff sign-in.".to_string(),
        ),
        403 => (
            "Not available to your role",
            "Your role does not give access to this part of the patient record.".to_string(),
        ),
        404 => (
            "Patient not found",
            "No patient with this link is registered at your hospital.".to_string(),
        ),
        _ => ("Something went wrong", error.message()),
    };
    view! {
        <div class="mx-auto max-w-lg py-10 text-center" id="unavailable">
            <h1 class="text-2xl font-bold">{title}</h1>
            <p class="mt-3 text-slate-600">{text}</p>
            <a href=if error.status() == 401 { "/login" } else { "/patients" } class=format!("{BUTTON} mt-6")>
                {if error.status() == 401 { "Sign in" } else { "Find a patient" }}
            </a>
        </div>
    }
}
