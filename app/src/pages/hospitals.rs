//! `/hospitals`: the network's hospital registry with a registration form.
//!
//! Without JavaScript the search is a GET form and registration a plain POST to `/hospitals`
//! (handled by the server, which re-renders this page with the errors and the typed values).
//! Hydrated, the list filters as you type and registration goes through a server function
//! without leaving the page.

use hospitallink::domain::platform::hospital::{Hospital, HospitalInput};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{StaffShell, TextField};
use crate::pages::encode_query_value;
use crate::server_fns::hospitals::{list_hospitals, CreateHospital};

/// What the server hands back after a plain form post that failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HospitalFormOutcome {
    pub input: HospitalInput,
    pub error: Option<ErrorKind>,
}

fn matches(h: &Hospital, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    filter.is_empty()
        || h.name.to_lowercase().starts_with(&filter)
        || h.name
            .to_lowercase()
            .split_whitespace()
            .any(|w| w.starts_with(&filter))
        || h.code.to_lowercase().starts_with(&filter)
}

#[component]
pub fn HospitalsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let created_code = move || query.read().get("created");

    let create = ServerAction::<CreateHospital>::new();
    let hospitals = crate::resource::resource(
        move || (q(), page(), create.version().get()),
        |(q, page, _)| list_hospitals(q, page),
    );
    let filter = RwSignal::new(q());

    view! {
        <Title text="Hospitals" />
        <StaffShell>
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold">"Hospitals"</h1>
                    <p class="text-slate-600">"The hospitals of the network."</p>
                </div>
                <form method="get" action="/hospitals" role="search" class="flex gap-2" on:submit=move |ev| {
                    // Hydrated, the list already follows the box; only without wasm does the form go out.
                    if q() == filter.get_untracked() { ev.prevent_default(); }
                }>
                    <label for="q" class="sr-only">"Find a hospital by name or code"</label>
                    <input
                        id="q"
                        name="q"
                        type="search"
                        placeholder="Name or code"
                        class="focus-ring min-h-11 w-56 rounded border border-slate-300 bg-white px-3"
                        value=filter.get_untracked()
                        bind:value=filter
                    />
                    <button type="submit" class="focus-ring min-h-11 rounded bg-slate-800 px-4 text-white">"Search"</button>
                </form>
            </div>
            {move || created_code().map(|code| view! {
                <p role="status" class="mt-4 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">
                    {format!("Hospital {code} registered.")}
                </p>
            })}
            <div class="mt-6 grid gap-8 lg:grid-cols-[1fr_22rem]">
                <section aria-labelledby="list-heading">
                    <h2 id="list-heading" class="sr-only">"Registered hospitals"</h2>
                    <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                        {move || hospitals.get().map(|result| match result {
                            Err(e) => view! { <p role="alert" class="text-red-700">{e.message()}</p> }.into_any(),
                            Ok(page) => {
                                let pagination = page.pagination.clone();
                                let rows = move || {
                                    let f = filter.get();
                                    page.data.iter().filter(|h| matches(h, &f)).cloned().collect::<Vec<_>>()
                                };
                                view! {
                                    <HospitalTable rows />
                                    <Pager page=pagination.page has_prev=pagination.has_prev has_next=pagination.has_next total=pagination.total q=q() />
                                }.into_any()
                            }
                        })}
                    </Transition>
                </section>
                <RegisterHospital create />
            </div>
        </StaffShell>
    }
}

#[component]
fn HospitalTable(rows: impl Fn() -> Vec<Hospital> + Send + Sync + 'static) -> impl IntoView {
    let rows = Memo::new(move |_| rows());
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full text-left text-sm">
                <thead class="bg-slate-100 text-slate-700">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Code"</th>
                        <th scope="col" class="px-4 py-3">"Name"</th>
                        <th scope="col" class="px-4 py-3">"Country"</th>
                        <th scope="col" class="hidden px-4 py-3 md:table-cell">"Contact"</th>
                        <th scope="col" class="px-4 py-3">"Status"</th>
                    </tr>
                </thead>
                <tbody id="hospital-rows">
                    <For each=move || rows.get() key=|h| (h.id, h.version) let(h)>
                        <tr class="border-t border-slate-100" data-code=h.code.clone()>
                            <td class="px-4 py-3 font-mono">{h.code.clone()}</td>
                            <td class="px-4 py-3 font-medium">{h.name.clone()}</td>
                            <td class="px-4 py-3">{h.country.clone()}</td>
                            <td class="hidden px-4 py-3 md:table-cell">{h.contact_email.clone()}</td>
                            <td class="px-4 py-3">{if h.active { "Active" } else { "Inactive" }}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <Show when=move || rows.get().is_empty()>
                <p class="px-4 py-6 text-slate-500">"No hospital matches."</p>
            </Show>
        </div>
    }
}

#[component]
fn Pager(page: u64, has_prev: bool, has_next: bool, total: u64, q: String) -> impl IntoView {
    let link = move |p: u64| format!("/hospitals?q={}&page={p}", encode_query_value(&q));
    view! {
        <nav aria-label="Pages" class="mt-3 flex items-center gap-3 text-sm text-slate-600">
            <span>{format!("{total} in all · page {page}")}</span>
            {has_prev.then(|| view! { <a class="focus-ring underline" href=link(page - 1)>"Previous"</a> })}
            {has_next.then(|| view! { <a class="focus-ring underline" href=link(page + 1)>"Next"</a> })}
        </nav>
    }
}

#[component]
fn RegisterHospital(create: ServerAction<CreateHospital>) -> impl IntoView {
    // After a plain POST that failed, the server provides what was typed and what was wrong.
    let outcome =
        crate::resource::shared(|| use_context::<HospitalFormOutcome>().unwrap_or_default());
    let init = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
    let name = init(&outcome.input.name);
    let code = init(&outcome.input.code);
    let address = init(&outcome.input.address);
    let contact_email = init(&outcome.input.contact_email);
    let country = init(&outcome.input.country);
    let server_error = RwSignal::new(outcome.error.clone());
    let saved = RwSignal::new(None::<String>);

    Effect::new(move |_| match create.value().get() {
        Some(Ok(h)) => {
            for field in [name, code, address, contact_email, country] {
                field.set(String::new());
            }
            server_error.set(None);
            saved.set(Some(format!("Hospital {} registered.", h.code)));
        }
        Some(Err(e)) => {
            saved.set(None);
            server_error.set(Some(e));
        }
        None => {}
    });
    let error = Signal::derive(move || server_error.get());
    let pending = create.pending();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |s: RwSignal<String>| Some(s.get_untracked());
        create.dispatch(CreateHospital {
            input: HospitalInput {
                name: text(name),
                code: text(code),
                address: text(address),
                contact_email: text(contact_email),
                country: text(country),
                active: None,
            },
        });
    };

    view! {
        <section aria-labelledby="register-heading" class="rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="register-heading" class="text-lg font-semibold">"Register a hospital"</h2>
            <form method="post" action="/hospitals" class="mt-4 space-y-4" on:submit=on_submit novalidate>
                {move || error.get().filter(|e| e.fields().is_empty() || e.status() == 409).map(|e| view! {
                    <p role="alert" class="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{e.message()}</p>
                })}
                <TextField name="name" label="Name" value=name error required=true autocomplete="organization" />
                <TextField name="code" label="Code" value=code error required=true hint="Letters, digits and hyphens, e.g. KSM-01" />
                <TextField name="address" label="Address" value=address error autocomplete="street-address" />
                <TextField name="contact_email" label="Contact email" value=contact_email error kind="email" required=true autocomplete="email" />
                <TextField name="country" label="Country code" value=country error required=true hint="Two letters, e.g. KE" />
                <button
                    type="submit"
                    class="focus-ring min-h-11 w-full rounded bg-teal-700 px-4 font-medium text-white disabled:opacity-60"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { "Registering…" } else { "Register hospital" }}
                </button>
                {move || saved.get().map(|m| view! { <p role="status" class="text-sm text-teal-800">{m}</p> })}
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use crate::pages::encode_query_value;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("St. Mary's & co"),
            "St.%20Mary%27s%20%26%20co"
        );
        assert_eq!(encode_query_value("Ké#1"), "K%C3%A9%231");
    }
}
