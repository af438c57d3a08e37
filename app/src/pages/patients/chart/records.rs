//! The chart's ART history and its records table, filtered by type and paged; an entry being
//! saved shows at its top as "Saving…".

use hospitallink::domain::clinical::record::{ChartRow, RecordType};
use hospitallink::domain::page::Page;
use leptos::prelude::*;

use super::quick_entry::QuickEntryState;
use crate::pages::encode_query_value;

#[component]
pub(super) fn ArtTimeline(regimens: Vec<ChartRow>) -> impl IntoView {
    view! {
        <section aria-labelledby="art-heading" class="rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="art-heading" class="text-lg font-semibold">"ART history"</h2>
            <ol class="mt-3 border-l-2 border-teal-200 pl-4" id="art-timeline">
                {regimens.into_iter().map(|r| view! {
                    <li class="relative pb-3">
                        <span class="absolute -left-[1.4rem] top-1.5 h-3 w-3 rounded-full bg-teal-600"></span>
                        <span class="text-sm text-slate-500">{r.recorded_at.date_naive().to_string()}</span>
                        " "<span class="font-medium">{r.summary}</span>
                        {r.source.map(|s| view! { <span class="ml-2 rounded bg-indigo-50 px-2 text-xs text-indigo-900" data-source="">{format!("from {s}")}</span> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub(super) fn RecordsTable(
    id: uuid::Uuid,
    page: Page<ChartRow>,
    types: String,
    reload: u32,
) -> impl IntoView {
    let p = page.pagination.clone();
    let pending = use_context::<QuickEntryState>().map(|e| e.pending);
    let pending_row = move || {
        pending
            .and_then(|p| p.get())
            .filter(|p| p.reload == reload)
            .map(|p| view! {
                <tr class="border-t border-slate-100 bg-teal-50 text-slate-600" id="pending-record" aria-busy="true">
                    <td class="py-2 pr-4 whitespace-nowrap">{p.date}</td>
                    <td class="py-2 pr-4 whitespace-nowrap">{p.record_type.label()}</td>
                    <td class="py-2 italic">"Saving…"</td>
                </tr>
            })
    };
    let link = {
        let types = types.clone();
        move |n: u64| {
            format!(
                "/patients/{id}?type={}&page={n}#records",
                encode_query_value(&types)
            )
        }
    };
    view! {
        <section aria-labelledby="records-heading" class="rounded-lg border border-slate-200 bg-white p-5" id="records">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="records-heading" class="text-lg font-semibold">"Records"</h2>
                <form method="get" action=format!("/patients/{id}") class="flex gap-2">
                    <label for="type-filter" class="sr-only">"Record type"</label>
                    <select id="type-filter" name="type" class="focus-ring min-h-11 rounded border border-slate-300 bg-white px-3">
                        <option value="">"All types"</option>
                        {RecordType::ALL.iter().map(|t| view! {
                            <option value=t.as_str() selected=types == t.as_str()>{t.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="focus-ring min-h-11 rounded bg-slate-800 px-4 text-white">"Filter"</button>
                </form>
            </div>
            <div class="mt-3 overflow-x-auto">
                <table class="min-w-full text-left text-sm">
                    <thead class="text-slate-600">
                        <tr>
                            <th scope="col" class="py-2 pr-4">"Date"</th>
                            <th scope="col" class="py-2 pr-4">"Type"</th>
                            <th scope="col" class="py-2">"Result / note"</th>
                        </tr>
                    </thead>
                    <tbody id="record-rows">
                        {pending_row}
                        {page.data.into_iter().map(|r| view! {
                            <tr class="border-t border-slate-100" data-type=r.record_type.as_str()>
                                <td class="py-2 pr-4 whitespace-nowrap">{r.recorded_at.date_naive().to_string()}</td>
                                <td class="py-2 pr-4 whitespace-nowrap">{r.record_type.label()}</td>
                                <td class="py-2">
                                    {r.summary}
                                    {r.corrected.then(|| view! { <span class="ml-2 rounded bg-slate-100 px-2 text-xs text-slate-600">"corrected"</span> })}
                                    {r.edited.then(|| view! { <span class="ml-2 rounded bg-slate-100 px-2 text-xs text-slate-600">"edited"</span> })}
                                    {r.clinician_only.then(|| view! { <span class="ml-2 rounded bg-amber-50 px-2 text-xs text-amber-900" data-clinician-only="">"not in the patient's portal"</span> })}
                                    {r.source.map(|s| view! { <span class="ml-2 rounded bg-indigo-50 px-2 text-xs text-indigo-900" data-source="">{format!("from {s}")}</span> })}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {(p.total == 0).then(|| view! { <p class="py-4 text-slate-500">"No records."</p> })}
            </div>
            <nav aria-label="Record pages" class="mt-3 flex items-center gap-4 text-sm text-slate-600">
                <span>{format!("{} records · page {}", p.total, p.page)}</span>
                {p.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page - 1)>"Newer"</a> })}
                {p.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page + 1)>"Older"</a> })}
            </nav>
        </section>
    }
}
