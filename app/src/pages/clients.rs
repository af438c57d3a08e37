//! `/admin/clients`: the hospital admin's integration clients: each with its scopes, when it
//! last got a token and whether it is disabled; create one (its secret shown once, here),
//! rotate its secret, disable or enable it. Plain form posts, so it works without JavaScript.

use hospitallink::domain::format_timestamp;
use hospitallink::domain::integration::{ApiClient, CLIENT_SCOPES};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::StaffShell;
use crate::pages::auth::{use_outcome, FormOutcome};
use crate::server_fns::clients::api_clients;

const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center justify-center rounded bg-teal-700 px-4 font-medium text-white";
const QUIET: &str = "focus-ring inline-flex min-h-11 items-center rounded border border-slate-400 px-3 text-sm font-medium";
const INPUT: &str =
    "focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3 text-base";

#[component]
fn ClientRow(c: ApiClient) -> impl IntoView {
    let disabled = c.disabled_at.is_some();
    let used = c
        .last_used_at
        .map(|t| format!("last token {}", format_timestamp(t)))
        .unwrap_or_else(|| "never used".into());
    let toggle = if disabled { "enable" } else { "disable" };
    view! {
        <li class="flex flex-wrap items-start justify-between gap-3 py-3" data-client=c.id.to_string()>
            <div>
                <p class="font-semibold">{format!("{}{}", c.name, if disabled { " (disabled)" } else { "" })}</p>
                <p class="font-mono text-sm">{format!("client_id {}", c.id)}</p>
                <p class="text-sm text-slate-600">{c.scopes.join(" · ")}</p>
                <p class="text-sm text-slate-600" data-last-used="">{format!(
                    "created {} · {used}{}",
                    format_timestamp(c.created_at),
                    c.rotated_at.map(|t| format!(" · secret rotated {}", format_timestamp(t))).unwrap_or_default()
                )}</p>
            </div>
            <div class="flex flex-wrap gap-2">
                <form method="post" action=format!("/admin/clients/{}/rotate", c.id)>
                    <button type="submit" class=QUIET>"New secret"</button>
                </form>
                <form method="post" action=format!("/admin/clients/{}/{toggle}", c.id)>
                    <button type="submit" class=QUIET>{if disabled { "Enable" } else { "Disable" }}</button>
                </form>
            </div>
        </li>
    }
}

/// The secret of a client just created or rotated: shown this once.
fn secret_notice(outcome: &FormOutcome) -> Option<impl IntoView> {
    let secret = outcome.values.get("client_secret")?.clone();
    let id = outcome.values.get("client_id").cloned().unwrap_or_default();
    Some(view! {
        <div role="status" id="client-secret" class="mt-3 rounded border-2 border-amber-400 bg-amber-50 p-3">
            <p class="font-semibold">"Copy the secret now: it is not shown again."</p>
            <p class="mt-1 font-mono text-sm break-all">{format!("client_id {id}")}</p>
            <p class="mt-1 font-mono text-sm break-all" data-secret="">{secret}</p>
        </div>
    })
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let outcome = use_outcome();
    let list = crate::resource::resource(|| (), |_| api_clients());
    let error = outcome.error.as_ref().map(|e| e.explained());
    let typed_name = outcome.values.get("name").cloned().unwrap_or_default();
    let chosen = outcome.values.get("scopes").cloned().unwrap_or_default();
    view! {
        <Title text="Integration clients" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Integration clients"</h1>
            <p class="text-slate-600">"Your hospital's EHR, lab system or apps call the API with a client id and secret (the client-credentials grant at /api/v1/auth/token), within the scopes you give them. Every call is audited as the client."</p>
            {secret_notice(&outcome)}
            {error.map(|m| view! { <p role="alert" id="client-error" class="mt-3 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{m}</p> })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Err(e) => view! { <p role="alert" class="mt-4 text-red-800">{e.message()}</p> }.into_any(),
                    Ok(clients) if clients.is_empty() => view! { <p class="mt-4 text-slate-600" id="client-rows">"No integration client yet."</p> }.into_any(),
                    Ok(clients) => view! {
                        <ul class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white px-4" id="client-rows">
                            {clients.into_iter().map(|c| view! { <ClientRow c /> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Suspense>
            <section aria-labelledby="new-client" class="mt-6 rounded-lg border border-slate-200 bg-white p-5">
                <h2 id="new-client" class="text-lg font-semibold">"New client"</h2>
                <form method="post" action="/admin/clients" class="mt-3 grid gap-3" id="client-form">
                    <div>
                        <label for="client-name" class="block text-sm font-medium text-slate-700">"Name"</label>
                        <input id="client-name" name="name" required=true maxlength="100" class=INPUT value=typed_name />
                    </div>
                    <fieldset>
                        <legend class="text-sm font-medium text-slate-700">"Scopes"</legend>
                        <div class="mt-1 grid gap-1 sm:grid-cols-2">
                            {CLIENT_SCOPES.into_iter().map(|p| {
                                let id = format!("scope-{}", p.as_str().replace('.', "-"));
                                let for_id = id.clone();
                                let checked = chosen.split(',').any(|s| s == p.as_str());
                                view! {
                                    <label for=for_id class="flex min-h-11 items-center gap-2">
                                        <input id=id type="checkbox" name="scopes" value=p.as_str() class="h-5 w-5" checked=checked />
                                        <span class="font-mono text-sm">{p.as_str()}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                    <div><button type="submit" class=BUTTON id="client-submit">"Create client"</button></div>
                </form>
            </section>
        </StaffShell>
    }
}
