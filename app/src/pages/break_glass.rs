//! `/admin/break-glass`: the hospital admin's review queue of emergency openings: who opened
//! which record, when, why, until when, and what they read; each marked reviewed or
//! escalated with a plain form post (so it works without JavaScript).

use hospitallink::domain::format_timestamp;
use hospitallink::domain::sharing::break_glass::{BreakGlass, ReviewOutcome};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::StaffShell;
use crate::pages::auth::use_outcome;
use crate::server_fns::sharing::break_glass_queue;

const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center justify-center rounded bg-teal-700 px-4 font-medium text-white";
const INPUT: &str =
    "focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3 text-base";

#[component]
fn Opening(b: BreakGlass, error: Option<String>) -> impl IntoView {
    let reads = if b.reads.is_empty() {
        view! { <p class="text-sm text-slate-600">"Nothing was read."</p> }.into_any()
    } else {
        view! {
            <ul class="list-inside list-disc text-sm text-slate-700" data-reads="">
                {b.reads.iter().map(|r| view! {
                    <li>{format!("{} · {} {}", format_timestamp(r.at), r.action, r.entity.replace('_', " "))}</li>
                }).collect_view()}
            </ul>
        }.into_any()
    };
    let review = match b.review_outcome {
        Some(outcome) => view! {
            <p class="text-sm font-medium" data-reviewed="">{format!(
                "{} on {}{}",
                match outcome { ReviewOutcome::Reviewed => "Reviewed", ReviewOutcome::Escalated => "Escalated" },
                b.reviewed_at.map(format_timestamp).unwrap_or_default(),
                b.review_note.clone().map(|n| format!(": {n}")).unwrap_or_default()
            )}</p>
        }.into_any(),
        None => view! {
            <form method="post" action=format!("/admin/break-glass/{}", b.id) class="grid gap-2 sm:grid-cols-[12rem_1fr_auto] sm:items-end">
                <div>
                    <label for=format!("outcome-{}", b.id) class="block text-sm font-medium text-slate-700">"Outcome"</label>
                    <select id=format!("outcome-{}", b.id) name="outcome" class=INPUT>
                        <option value="reviewed">"Justified"</option>
                        <option value="escalated">"Escalate"</option>
                    </select>
                </div>
                <div>
                    <label for=format!("note-{}", b.id) class="block text-sm font-medium text-slate-700">"Note (optional)"</label>
                    <input id=format!("note-{}", b.id) name="note" maxlength="1000" class=INPUT />
                </div>
                <button type="submit" class=BUTTON>"Save review"</button>
            </form>
        }.into_any(),
    };
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4" data-opening=b.id.to_string()>
            <p class="font-semibold">
                {format!("{} opened the record of ", b.staff_name)}
                <a class="focus-ring underline" href=format!("/patients/{}", b.patient_id)>
                    {b.patient_mrn.clone().map(|m| format!("MRN {m}")).unwrap_or_else(|| "a patient no longer linked here".into())}
                </a>
            </p>
            <p class="text-sm text-slate-600">{format!(
                "{} until {}{}",
                format_timestamp(b.started_at),
                format_timestamp(b.ends_at),
                if b.active { " (open now)" } else { "" }
            )}</p>
            <p class="mt-1">{format!("Reason: {}", b.reason)}</p>
            <div class="mt-2">{reads}</div>
            {error.map(|m| view! { <p role="alert" class="mt-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{m}</p> })}
            <div class="mt-3">{review}</div>
        </li>
    }
}

#[component]
pub fn BreakGlassPage() -> impl IntoView {
    let query = use_query_map();
    let all = move || query.read().get("status").as_deref() == Some("all");
    let reviewed = move || query.read().get("reviewed").is_some();
    let outcome = use_outcome();
    let queue = crate::resource::resource(all, |all| break_glass_queue(all, 1));
    view! {
        <Title text="Break-glass review" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Break-glass review"</h1>
            <p class="text-slate-600">"Emergency openings of patient records at your hospital. Review each one: justified, or escalate."</p>
            <nav class="mt-2 flex gap-4 text-sm">
                <a class="focus-ring inline-flex min-h-11 items-center underline" href="/admin/break-glass">"Waiting for review"</a>
                <a class="focus-ring inline-flex min-h-11 items-center underline" href="/admin/break-glass?status=all">"All"</a>
            </nav>
            {move || reviewed().then(|| view! { <p role="status" id="review-saved" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Review saved."</p> })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || {
                    let outcome = outcome.clone();
                    queue.get().map(move |result| match result {
                        Err(e) => view! { <p role="alert" class="mt-4 text-red-800">{e.message()}</p> }.into_any(),
                        Ok(page) if page.data.is_empty() => view! { <p class="mt-4 text-slate-600" id="break-glass-rows">"Nothing to review."</p> }.into_any(),
                        Ok(page) => view! {
                            <ul class="mt-4 space-y-3" id="break-glass-rows">
                                {page.data.into_iter().map(|b| {
                                    let ours = outcome.values.get("form").map(String::as_str) == Some(b.id.to_string().as_str());
                                    let error = outcome.error.clone().filter(|_| ours).map(|e| e.message());
                                    view! { <Opening b error /> }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    })
                }}
            </Suspense>
        </StaffShell>
    }
}
