use leptos::prelude::*;
use leptos_meta::Title;

/// The front door: staff go one way, patients the other.
#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text="" />
        <div class="mx-auto flex min-h-screen max-w-5xl flex-col px-4 py-10">
            <header class="mb-10">
                <p class="text-sm font-semibold uppercase tracking-widest text-teal-700">"HospitalLink"</p>
                <h1 class="mt-2 text-3xl font-bold sm:text-4xl">"Care that follows the patient, with the patient's consent."</h1>
                <p class="mt-3 max-w-2xl text-lg text-slate-600">
                    "One record across the hospitals of the network: treatment, results and appointments, "
                    "shared only where the patient allows it, and every access recorded."
                </p>
            </header>
            <div class="grid gap-6 md:grid-cols-2">
                <a href="/login" class="door focus-ring group block rounded-xl border border-slate-200 bg-white p-6 shadow-sm hover:border-teal-600">
                    <h2 class="text-xl font-semibold group-hover:text-teal-800">"Hospital staff"</h2>
                    <p class="mt-2 text-slate-600">"Clinicians, lab, pharmacy, front desk and administrators sign in here."</p>
                    <span class="mt-4 inline-flex min-h-11 items-center rounded bg-teal-700 px-4 font-medium text-white">"Staff sign-in"</span>
                </a>
                <a href="/portal/login" rel="external" class="door focus-ring group block rounded-xl border border-slate-200 bg-white p-6 shadow-sm hover:border-teal-600">
                    <h2 class="text-xl font-semibold group-hover:text-teal-800">"Patients"</h2>
                    <p class="mt-2 text-slate-600">"See your appointments and records and choose which hospital sees what. Sign in with a code sent to your phone or email."</p>
                    <span class="mt-4 inline-flex min-h-11 items-center rounded bg-slate-800 px-4 font-medium text-white">"Patient portal"</span>
                </a>
            </div>
            <p class="mt-10 text-sm text-slate-500">
                <a class="focus-ring underline" href="/hospitals">"Hospitals of the network"</a>
                " · "
                <a class="focus-ring underline" href="/api/docs">"API documentation"</a>
            </p>
        </div>
    }
}
