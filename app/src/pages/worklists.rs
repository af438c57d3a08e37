//! `/worklists`: the patients the hospital has to act on, by list (viral load due,
//! unsuppressed, interruption in treatment, advanced HIV disease): who, why (the rule), since
//! when, the last contact and the last tracing outcome, most urgent first; a tracing outcome is
//! recorded from each row with a plain form. Rendered by the server alone.

use hospitallink::domain::cds::long_date;
use hospitallink::domain::cds::retention::TracingOutcome;
use hospitallink::domain::cds::worklist::{Worklist, WorklistEntry};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::StaffShell;
use crate::pages::auth::use_outcome;
use crate::pages::patients::Unavailable;
use crate::server_fns::cds::load_worklist;

const INPUT: &str =
    "focus-ring mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 text-base";
const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center rounded bg-teal-800 px-4 font-semibold text-white";

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(long_date).unwrap_or_else(|| "—".into())
}

#[component]
fn TracingForm(entry: WorklistEntry, list: Worklist, today: String) -> impl IntoView {
    let id = entry.patient_id;
    let field = |name: &str| format!("trace-{id}-{name}");
    view! {
        <details class="mt-1">
            <summary class="focus-ring inline-flex min-h-11 cursor-pointer items-center text-sm font-medium text-teal-800 underline">"Record tracing outcome"</summary>
            <form method="post" action=format!("/patients/{id}/tracing-outcomes") class="mt-2 grid gap-2 sm:grid-cols-2">
                <input type="hidden" name="worklist" value=list.as_str() />
                <div>
                    <label for=field("outcome") class="block text-sm font-medium">"Outcome"</label>
                    <select id=field("outcome") name="outcome" class=INPUT required>
                        {TracingOutcome::ALL.iter().map(|o| view! { <option value=o.as_str()>{format!("{} ({})", o.label(), o.code())}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for=field("date") class="block text-sm font-medium">"Date"</label>
                    <input id=field("date") name="outcome_date" type="date" value=today class=INPUT />
                </div>
                <div>
                    <label for=field("method") class="block text-sm font-medium">"Contact"</label>
                    <select id=field("method") name="contact_method" class=INPUT>
                        <option value="">"—"</option>
                        <option value="phone">"Phone"</option>
                        <option value="sms">"Text message"</option>
                        <option value="home_visit">"Home visit"</option>
                    </select>
                </div>
                <div>
                    <label for=field("note") class="block text-sm font-medium">"Note"</label>
                    <input id=field("note") name="note" class=INPUT maxlength="1000" />
                </div>
                <div class="sm:col-span-2"><button type="submit" class=BUTTON>"Save outcome"</button></div>
            </form>
        </details>
    }
}

#[component]
pub fn WorklistsPage() -> impl IntoView {
    let query = use_query_map();
    let list = move || {
        query
            .read()
            .get("list")
            .and_then(|l| Worklist::parse(&l))
            .unwrap_or(Worklist::VlDue)
    };
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let done = move || query.read().get("done").is_some();
    let outcome = use_outcome();
    let today = chrono::Utc::now().date_naive().to_string();
    let data = crate::resource::resource(
        move || (list(), page()),
        |(list, page)| load_worklist(list.as_str().to_string(), page),
    );
    view! {
        <Title text="Worklists" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Worklists"</h1>
            <p class="text-slate-600">"The patients to act on, by the WHO rules the chart's flags use; the most urgent first."</p>
            {move || done().then(|| view! { <p role="status" id="done" class="mt-3 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">"Tracing outcome recorded."</p> })}
            {outcome.error.clone().map(|e| view! { <p role="alert" id="refused" class="mt-3 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-800">{e.explained()}</p> })}
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || {
                    let today = today.clone();
                    data.get().map(move |result| match result {
                        Err(e) => view! { <Unavailable error=e /> }.into_any(),
                        Ok(p) => {
                            let current = p.worklist;
                            let tabs = Worklist::ALL.iter().map(|w| {
                                let here = *w == current;
                                view! {
                                    <a href=format!("/worklists?list={}", w.as_str()) id=format!("tab-{}", w.as_str())
                                        aria-current=here.then_some("page")
                                        class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-3 aria-[current=page]:bg-teal-800 aria-[current=page]:text-white">
                                        {format!("{} ({})", w.label(), p.counts.of(*w))}
                                    </a>
                                }
                            }).collect_view();
                            let pg = p.pagination.clone();
                            let rows = p.data.clone().into_iter().map(|e| {
                                let why = format!("{}: {}", e.rule_id, e.why);
                                let last = e.last_outcome.as_ref().map(|o| format!("{} ({}), {}", o.label, o.code, long_date(o.on))).unwrap_or_else(|| "—".into());
                                view! {
                                    <tr class="border-t border-slate-100 align-top" id=format!("patient-{}", e.patient_id)>
                                        <th scope="row" class="px-2 py-2 font-medium">
                                            <a class="text-teal-800 underline" href=format!("/patients/{}", e.patient_id)>{e.name.clone()}</a>
                                            <span class="block text-xs font-normal text-slate-500">{e.mrn.clone().map(|m| format!("MRN {m}")).unwrap_or_default()}</span>
                                        </th>
                                        <td class="px-2 py-2">
                                            <span class="block font-semibold">{format!("{} · {}", e.title, e.severity.label())}</span>
                                            <span class="block text-sm text-slate-700">{why}</span>
                                        </td>
                                        <td class="px-2 py-2 whitespace-nowrap">{date(e.since)}</td>
                                        <td class="px-2 py-2 whitespace-nowrap">{date(e.last_contact)}</td>
                                        <td class="px-2 py-2">{last}<TracingForm entry=e.clone() list=current today=today.clone() /></td>
                                    </tr>
                                }
                            }).collect_view();
                            let empty = p.data.is_empty();
                            view! {
                                <nav aria-label="Worklists" class="mt-3 flex flex-wrap gap-2 text-sm">{tabs}</nav>
                                <h2 class="mt-4 text-lg font-semibold" id="list-title">{format!("{} · {} patients", p.label, pg.total)}</h2>
                                {if empty {
                                    view! { <p class="mt-2 text-slate-600" id="empty">"No patient is on this list."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white">
                                            <table class="min-w-full text-left text-sm" id="worklist">
                                                <thead>
                                                    <tr>
                                                        <th scope="col" class="px-2 py-2">"Patient"</th>
                                                        <th scope="col" class="px-2 py-2">"Why"</th>
                                                        <th scope="col" class="px-2 py-2">"Since"</th>
                                                        <th scope="col" class="px-2 py-2">"Last contact"</th>
                                                        <th scope="col" class="px-2 py-2">"Tracing"</th>
                                                    </tr>
                                                </thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                                <nav aria-label="Pages" class="mt-3 flex gap-2">
                                    {pg.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=format!("/worklists?list={}&page={}", current.as_str(), pg.page - 1)>"Previous"</a> })}
                                    {pg.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=format!("/worklists?list={}&page={}", current.as_str(), pg.page + 1)>"Next"</a> })}
                                </nav>
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </StaffShell>
    }
}
