use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::StaffShell;

/// `/login`: staff sign-in. Accounts exist (`hospitallink admin create`); browser sign-in is
/// not available on this server yet, and the page says so instead of pretending.
#[component]
pub fn StaffSignInDoor() -> impl IntoView {
    view! {
        <Title text="Staff sign-in" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Staff sign-in"</h1>
            <p class="mt-3 max-w-prose text-slate-700">
                "Browser sign-in for staff is not available on this server yet. "
                "Administrators can manage the hospital registry through the API with their account's email and password."
            </p>
        </StaffShell>
    }
}

/// `/portal/login`: the patient portal's door.
#[component]
pub fn PatientPortalDoor() -> impl IntoView {
    view! {
        <Title text="Patient portal" />
        <div class="mx-auto max-w-md px-4 py-12">
            <a href="/" class="focus-ring text-sm text-teal-800 underline">"HospitalLink"</a>
            <h1 class="mt-4 text-2xl font-bold">"Patient portal"</h1>
            <p class="mt-3 text-slate-700">
                "Signing in with a one-time code is not available on this server yet. Please ask your clinic."
            </p>
        </div>
    }
}
