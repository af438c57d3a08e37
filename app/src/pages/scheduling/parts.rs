//! What the schedule and the billing desk share: a visit's colours, the one-button status
//! form, and the notice of what the last action did.

use hospitallink::domain::scheduling::appointment::AppointmentStatus;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::pages::auth::use_outcome;

/// The colours of a visit by status (never colour alone: the status is written too).
pub(crate) fn status_class(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Scheduled => "border-sky-300 bg-sky-50",
        AppointmentStatus::CheckedIn => "border-amber-300 bg-amber-50",
        AppointmentStatus::Completed => "border-teal-300 bg-teal-50",
        AppointmentStatus::Cancelled => "border-slate-200 bg-slate-50 text-slate-500 line-through",
        AppointmentStatus::NoShow => "border-red-300 bg-red-50",
    }
}

/// A one-button form that sets a status and comes back to `back`.
#[component]
pub(crate) fn ActionButton(
    action: String,
    status: &'static str,
    label: &'static str,
    back: String,
) -> impl IntoView {
    view! {
        <form method="post" action=action class="inline">
            <input type="hidden" name="status" value=status />
            <input type="hidden" name="back" value=back />
            <button type="submit" class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-400 bg-white px-3 text-sm font-medium" data-action=status>
                {label}
            </button>
        </form>
    }
}

/// What the last action did (`?done=`), or why it was refused (the re-rendered page's error).
#[component]
pub(crate) fn Notice() -> impl IntoView {
    let query = use_query_map();
    let outcome = use_outcome();
    let done = move || {
        query.read().get("done").map(|d| match d.as_str() {
            "booked" => "Appointment booked.",
            "checked_in" => "Checked in.",
            "completed" => "Visit completed; it is ready to invoice.",
            "no_show" => "Marked as not attended.",
            "cancelled" => "Appointment cancelled.",
            "scheduled" => "Back to booked.",
            "invoiced" => "Invoice created.",
            "paid" => "Marked as paid.",
            "unpaid" => "Marked as unpaid.",
            "fees" => "Fees saved.",
            "settings" => "Settings saved.",
            _ => "Saved.",
        })
    };
    view! {
        {move || done().map(|m| view! {
            <p role="status" id="done" class="mt-3 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">{m}</p>
        })}
        {outcome.error.clone().map(|e| view! {
            <p role="alert" id="refused" class="mt-3 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-800">{e.explained()}</p>
        })}
    }
}
