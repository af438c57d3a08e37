//! The chart (`/patients/:id`): the header with the latest viral load and regimen, the trends,
//! the ART history and records table (`records`), the consent forms and scans (`documents`)
//! and the quick-entry forms (`quick_entry`).

mod documents;
mod flags;
mod guardians;
mod quick_entry;
mod records;
mod sharing;
mod visits;

pub use documents::UPLOAD_FORM;
pub use guardians::GUARDIAN_FORM;
pub use sharing::{BREAK_GLASS_FORM, CODE_FORM, SHARING_FORM, SIGNED_FORM};

use hospitallink::domain::clinical::patient::age_on;
use hospitallink::domain::clinical::record::{
    format_number, qualitative_label, ChartView, RecordType, VlInterpretation, VlResult,
};
use hospitallink::domain::proxies::is_minor;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::Unavailable;
use crate::components::trend::{Scale, TrendChart};
use crate::components::StaffShell;
use crate::pages::auth::{use_outcome, FormOutcome};
use crate::server_fns::patients::patient_chart;
use documents::Documents;
use flags::Flags;
use guardians::Guardians;
use quick_entry::{QuickEntry, QuickEntryState};
use records::{ArtTimeline, RecordsTable};
use sharing::Sharing;
use visits::Visits;

#[component]
pub fn ChartPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let types = move || query.read().get("type").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let added = move || {
        query
            .read()
            .get("added")
            .and_then(|t| RecordType::parse(&t))
    };
    let registered = move || query.read().get("registered").is_some();
    let entry = QuickEntryState::new(use_outcome());
    provide_context(entry);
    // The chart's data carries the reload it answers, so a pending entry knows when it is shown.
    let chart = crate::resource::resource(
        move || (id(), types(), page(), entry.reloads.get()),
        |(id, types, page, reload)| async move { (reload, patient_chart(id, types, page).await) },
    );
    view! {
        <StaffShell>
            <Transition fallback=|| view! { <p class="text-slate-500">"Opening the chart…"</p> }>
                {move || {
                    chart.get().map(|(reload, result)| match result {
                        Err(e) => view! { <Title text="Patient" /> <Unavailable error=e /> }.into_any(),
                        Ok(c) => view! {
                            {registered().then(|| view! { <p role="status" class="mb-4 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">"Patient registered."</p> })}
                            {added().filter(|_| entry.saved.get_untracked().is_none()).map(|t| view! { <p role="status" id="saved" class="mb-4 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">{format!("{} saved.", t.label())}</p> })}
                            <Chart chart=c types=types() outcome=entry.outcome.get_value() reload />
                        }.into_any(),
                    })
                }}
            </Transition>
        </StaffShell>
    }
}

fn vl_badge(vl: &VlResult) -> (String, &'static str) {
    let value = match (vl.copies_per_ml, vl.qualitative.as_deref()) {
        (Some(c), _) if vl.comparator != "=" => {
            format!("{}{} copies/mL", vl.comparator, format_number(c))
        }
        (Some(c), _) => format!("{} copies/mL", format_number(c)),
        (None, Some(q)) => qualitative_label(q).to_string(),
        (None, None) => "—".into(),
    };
    let class = match vl.interpretation {
        Some(VlInterpretation::Undetectable | VlInterpretation::Suppressed) => {
            "bg-teal-100 text-teal-900 border-teal-300"
        }
        Some(VlInterpretation::LowLevel) => "bg-amber-100 text-amber-900 border-amber-300",
        Some(VlInterpretation::Unsuppressed) => "bg-red-100 text-red-900 border-red-300",
        None => "bg-slate-100 text-slate-800 border-slate-300",
    };
    let label = vl
        .interpretation
        .map(|i| i.label())
        .unwrap_or("Not interpreted");
    (
        format!("{label} · {value} · {}", vl.recorded_at.date_naive()),
        class,
    )
}

#[component]
fn Chart(chart: ChartView, types: String, outcome: FormOutcome, reload: u32) -> impl IntoView {
    let p = &chart.patient;
    let name = format!("{} {}", p.first_name, p.last_name);
    let age = age_on(p.date_of_birth, chart.today);
    let summary = chart.summary.clone();
    let regimen = summary.as_ref().and_then(|s| s.current_regimen.clone());
    let vl = summary.as_ref().and_then(|s| s.latest_viral_load.clone());
    let cd4 = summary.as_ref().and_then(|s| s.latest_cd4.clone());
    let threshold = summary
        .as_ref()
        .map(|s| s.thresholds.unsuppressed_above)
        .unwrap_or(1000.0);
    let id = p.id;
    // What the dispensing form offers: the prescriptions written here, not since corrected.
    let prescriptions: Vec<(uuid::Uuid, String)> = chart
        .records
        .as_ref()
        .map(|page| {
            page.data
                .iter()
                .filter(|r| {
                    r.record_type == RecordType::Prescription && r.source.is_none() && !r.corrected
                })
                .map(|r| {
                    (
                        r.id,
                        format!("{} · {}", r.summary, r.recorded_at.date_naive()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let break_glass = chart.break_glass_until.map(|until| {
        view! {
            <p role="status" id="break-glass-banner"
                class="mb-3 rounded-lg border-2 border-red-400 bg-red-50 p-3 font-semibold text-red-900">
                {format!(
                    "Emergency access (break-glass) is open until {} UTC: every hospital's records show, and your reads are reviewed.",
                    hospitallink::domain::format_timestamp(until)
                )}
            </p>
        }
    });
    let withheld = summary
        .as_ref()
        .map(|s| s.hospitals_withheld)
        .filter(|n| *n > 0)
        .map(|n| {
            let text = if n == 1 {
                "1 other hospital holds records you cannot see without the patient's consent.".to_string()
            } else {
                format!("{n} other hospitals hold records you cannot see without the patient's consent.")
            };
            view! { <p class="text-sm text-slate-600" id="records-withheld">{text}</p> }
        });
    view! {
        <Title text=name.clone() />
        {break_glass}
        <header class="rounded-lg border border-slate-200 bg-white p-5" id="chart-header">
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold">{name}</h1>
                    <p class="text-slate-600">
                        {format!("{age} y · {} · born {}", p.sex.replace('_', " "), p.date_of_birth)}
                        " · MRN "<span class="font-mono" id="chart-mrn">{p.mrn.clone().unwrap_or_default()}</span>
                    </p>
                    {p.phone.clone().map(|ph| view! { <p class="text-sm text-slate-500">{ph}</p> })}
                    {withheld}
                    {p.contact_withheld.then(|| view! {
                        <p class="text-sm text-slate-500" id="contact-withheld">
                            "Contact details are kept by the registering hospital and shared only with the patient's consent."
                        </p>
                    })}
                </div>
                <div class="flex flex-col items-end gap-2 text-right">
                    {vl.as_ref().map(|v| {
                        let (text, class) = vl_badge(v);
                        view! { <span id="vl-badge" class=format!("rounded-full border px-3 py-1 text-sm font-semibold {class}")>{text}</span> }
                    })}
                    {regimen.as_ref().map(|r| view! {
                        <span id="regimen" class="text-sm">
                            <span class="font-semibold">{r.regimen.clone()}</span>
                            {r.line.clone().map(|l| format!(" · {l} line"))}
                            {format!(" · since {}", r.since.date_naive())}
                        </span>
                    })}
                    {summary.as_ref().filter(|s| s.current_regimen.is_none()).map(|s| view! {
                        <span id="regimen" class="text-sm text-slate-600">{match s.art_status.as_str() {
                            "stopped" => "ART stopped",
                            _ => "Not on ART",
                        }}</span>
                    })}
                    {cd4.map(|c| view! {
                        <span class="text-sm text-slate-600">{format!(
                            "CD4 {} · {}",
                            c.cells_per_ul.map(|n| format!("{n} cells/µL")).unwrap_or_else(|| c.percent.map(|p| format!("{}%", format_number(p))).unwrap_or_default()),
                            c.recorded_at.date_naive()
                        )}</span>
                    })}
                </div>
            </div>
        </header>
        {summary.as_ref().map(|s| view! { <Flags flags=s.flags.clone() /> })}
        {summary.is_some().then(|| view! {
            <section aria-label="Trends" class="mt-4 grid gap-4 lg:grid-cols-2">
                <TrendChart id="vl-chart" points=chart.viral_loads.clone() scale=Scale::Log { min: 20.0, max: 1_000_000.0 } title="Viral load (copies/mL, log scale)" unit="copies/mL" threshold=(threshold, format!("{} copies/mL", format_number(threshold))) />
                <TrendChart id="cd4-chart" points=chart.cd4.clone() scale=Scale::Linear { min: 0.0, max: 1500.0 } title="CD4 (cells/µL)" unit="cells/µL" threshold=(200.0, "200 cells/µL".to_string()) />
            </section>
        })}
        <div class="mt-4 grid gap-4 lg:grid-cols-[1fr_24rem]">
            <div class="space-y-4">
                {chart.appointments.clone().map(|visits| view! {
                    <Visits id visits today=chart.today may_book=chart.may_book hospital_id=chart.hospital_id />
                })}
                {(!chart.regimens.is_empty()).then(|| view! { <ArtTimeline regimens=chart.regimens.clone() /> })}
                {chart.records.clone().map(|page| view! { <RecordsTable id page types=types.clone() reload /> })}
                {chart.records.is_none().then(|| view! {
                    <p class="rounded-lg border border-slate-200 bg-white p-5 text-slate-600">"Clinical records are not shown to your role."</p>
                })}
                <Documents id attachments=chart.attachments.clone() attachable=chart.attachable.clone() outcome=outcome.clone() />
                <Sharing
                    id
                    grants=chart.grants.clone()
                    hospital_id=chart.hospital_id
                    may_record=chart.may_record_consent
                    may_break_glass=chart.may_break_glass
                    break_glass_open=chart.break_glass_until.is_some()
                    attachments=chart.attachments.clone()
                    outcome=outcome.clone()
                />
                {chart.guardians.clone().map(|guardians| view! {
                    <Guardians id minor=is_minor(p.date_of_birth, chart.today) guardians attachments=chart.attachments.clone() outcome=outcome.clone() />
                })}
            </div>
            <QuickEntry id writable=chart.writable.clone() outcome today=chart.today reload prescriptions=prescriptions />
        </div>
    }
}
