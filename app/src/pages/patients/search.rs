//! Patient search (`/patients`): filters as you type once hydrated, a GET form without
//! JavaScript.

use hospitallink::domain::clinical::patient::PatientListItem;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Unavailable, BUTTON};
use crate::components::StaffShell;
use crate::pages::encode_query_value;
use crate::server_fns::patients::search_patients;

#[component]
pub fn PatientsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let filter = RwSignal::new(q());
    let results = crate::resource::resource(
        move || (filter.get(), page()),
        |(q, page)| search_patients(q, page),
    );
    view! {
        <Title text="Patients" />
        <StaffShell>
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold">"Patients"</h1>
                    <p class="text-slate-600">"Find by name, MRN, phone (+country code) or email."</p>
                </div>
                <a href="/patients/new" class=BUTTON id="register-patient">"Register a patient"</a>
            </div>
            <form method="get" action="/patients" role="search" class="mt-4 flex gap-2" on:submit=move |ev| {
                // Hydrated, the results already follow the box.
                ev.prevent_default();
            }>
                <label for="patient-q" class="sr-only">"Search patients"</label>
                <input
                    id="patient-q"
                    name="q"
                    type="search"
                    autocomplete="off"
                    placeholder="e.g. Amina, KSM-0000012, +254700100001"
                    class="focus-ring min-h-12 w-full max-w-xl rounded border border-slate-300 bg-white px-4 text-lg"
                    value=filter.get_untracked()
                    bind:value=filter
                />
                <button type="submit" class="focus-ring min-h-12 rounded bg-slate-800 px-5 text-white">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"Searching…"</p> }>
                {move || results.get().map(|result| match result {
                    Err(e) if e.status() == 401 || e.status() == 403 => view! { <Unavailable error=e /> }.into_any(),
                    Err(e) => view! { <p role="alert" class="mt-6 text-red-700">{e.message()}</p> }.into_any(),
                    Ok(found) => {
                        let p = found.pagination.clone();
                        let link = move |n: u64| format!("/patients?q={}&page={n}", encode_query_value(&filter.get_untracked()));
                        view! {
                            <PatientTable rows=found.data />
                            <nav aria-label="Pages" class="mt-3 flex items-center gap-4 text-sm text-slate-600">
                                <span id="patient-total">{format!("{} found · page {}", p.total, p.page)}</span>
                                {p.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page - 1)>"Previous"</a> })}
                                {p.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page + 1)>"Next"</a> })}
                            </nav>
                        }.into_any()
                    }
                })}
            </Transition>
        </StaffShell>
    }
}

#[component]
fn PatientTable(rows: Vec<PatientListItem>) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <div class="mt-6 overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full text-left">
                <thead class="bg-slate-100 text-sm text-slate-700">
                    <tr>
                        <th scope="col" class="px-4 py-3">"MRN"</th>
                        <th scope="col" class="px-4 py-3">"Name"</th>
                        <th scope="col" class="px-4 py-3">"Born"</th>
                        <th scope="col" class="px-4 py-3">"Sex"</th>
                    </tr>
                </thead>
                <tbody id="patient-rows">
                    {rows.into_iter().map(|p| {
                        let href = format!("/patients/{}", p.id);
                        view! {
                            <tr class="border-t border-slate-100 hover:bg-teal-50">
                                <td class="px-4 py-3 font-mono text-sm">{p.mrn.clone()}</td>
                                <td class="px-4 py-1">
                                    <a href=href class="focus-ring flex min-h-11 items-center font-medium text-teal-800 underline-offset-2 hover:underline">
                                        {format!("{} {}", p.first_name, p.last_name)}
                                    </a>
                                </td>
                                <td class="px-4 py-3 text-sm">{p.date_of_birth.to_string()}</td>
                                <td class="px-4 py-3 text-sm">{p.sex.replace('_', " ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {empty.then(|| view! { <p class="px-4 py-6 text-slate-500">"No patient matches."</p> })}
        </div>
    }
}
