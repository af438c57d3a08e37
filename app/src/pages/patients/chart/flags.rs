//! The chart's decision-support flags: each says what fired and since when, why (the rule id
//! and the inputs it read, with their dates), what to do and the guideline behind it. Urgency
//! is written out, never only a colour.

use hospitallink::domain::cds::{long_date, Flag, Severity};
use leptos::prelude::*;

fn tone(s: Severity) -> &'static str {
    match s {
        Severity::Urgent => "border-red-500 bg-red-50",
        Severity::Warning => "border-amber-500 bg-amber-50",
        Severity::Info => "border-sky-500 bg-sky-50",
    }
}

#[component]
pub(super) fn Flags(flags: Vec<Flag>) -> impl IntoView {
    if flags.is_empty() {
        return view! {
            <section aria-labelledby="flags-title" id="flags" class="mt-4 rounded-lg border border-slate-200 bg-white p-4">
                <h2 id="flags-title" class="text-lg font-semibold">"Decision support"</h2>
                <p class="text-slate-600">"Nothing is due or wrong by the rules in force."</p>
            </section>
        }
        .into_any();
    }
    let items = flags
        .into_iter()
        .map(|f| {
            let since = f.since.map(|d| format!(" since {}", long_date(d))).unwrap_or_default();
            view! {
                <li class=format!("rounded border-l-4 px-3 py-2 {}", tone(f.severity)) data-rule=f.rule_id.clone()>
                    <p class="font-semibold">
                        <span class="mr-2 text-xs font-bold uppercase tracking-wide">{f.severity.label()}</span>
                        {format!("{}{since}", f.title)}
                    </p>
                    <p class="text-sm"><span class="font-mono">{f.rule_id.clone()}</span>{format!(": {}", f.why)}</p>
                    <ul class="mt-1 list-inside list-disc text-sm text-slate-700">
                        {f.evidence.iter().map(|e| view! { <li>{e.line()}</li> }).collect_view()}
                    </ul>
                    <p class="mt-1 text-sm"><span class="font-semibold">"To do: "</span>{f.action.clone()}</p>
                    <p class="mt-1 text-xs text-slate-600">{format!("{} · {}", f.reference, f.rule_set)}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="flags-title" id="flags" class="mt-4 rounded-lg border border-slate-200 bg-white p-4">
            <h2 id="flags-title" class="text-lg font-semibold">"Decision support"</h2>
            <ul class="mt-2 space-y-2">{items}</ul>
        </section>
    }
    .into_any()
}
