//! `/portal/records`: the patient's records by category and, inside each, by the hospital that
//! wrote them; the viral-load and CD4 charts first.

use hospitallink::domain::clinical::category::DataCategory;
use hospitallink::domain::clinical::record::{ChartPoint, Payload, RecordType};
use hospitallink::domain::portal::records::{MyRecord, Reading};
use hospitallink::domain::portal::MyRecords;
use leptos::prelude::*;

use super::words::I18n;
use super::words::{long_date, number};
use super::{loading, PortalProblem, PortalShell};
use crate::components::trend::{ChartWords, Scale, TrendChart};
use crate::i18n::*;
use crate::server_fns::portal::my_records_page;

pub fn category_name(i18n: I18n, c: DataCategory) -> &'static str {
    match c {
        DataCategory::Demographics => t_string!(i18n, categories.demographics),
        DataCategory::HivStatus => t_string!(i18n, categories.hiv_status),
        DataCategory::Art => t_string!(i18n, categories.art),
        DataCategory::Labs => t_string!(i18n, categories.labs),
        DataCategory::ClinicalNotes => t_string!(i18n, categories.clinical_notes),
        DataCategory::Appointments => t_string!(i18n, categories.appointments),
        DataCategory::Billing => t_string!(i18n, categories.billing),
        DataCategory::Sensitive => t_string!(i18n, categories.sensitive),
    }
}

fn type_name(i18n: I18n, t: RecordType) -> &'static str {
    match t {
        RecordType::ViralLoad => t_string!(i18n, record_types.viral_load),
        RecordType::Cd4 => t_string!(i18n, record_types.cd4),
        RecordType::ArtRegimen => t_string!(i18n, record_types.art_regimen),
        RecordType::AdherenceNote => t_string!(i18n, record_types.adherence_note),
        RecordType::VitalSigns => t_string!(i18n, record_types.vital_signs),
        RecordType::LabResult => t_string!(i18n, record_types.lab_result),
        RecordType::Diagnosis => t_string!(i18n, record_types.diagnosis),
        RecordType::Allergy => t_string!(i18n, record_types.allergy),
        RecordType::Prescription => t_string!(i18n, record_types.prescription),
        RecordType::Dispensing => t_string!(i18n, record_types.dispensing),
    }
}

/// A viral load or CD4 count in the reader's number format.
fn reading_text(i18n: I18n, r: &Reading) -> String {
    let unit = if r.unit == "copies/mL" {
        t_string!(i18n, records.copies)
    } else {
        t_string!(i18n, records.cells)
    };
    let limit = match r.comparator.as_deref() {
        Some("<") => t_string!(i18n, records.below),
        Some(">") => t_string!(i18n, records.above),
        _ => "",
    };
    format!("{limit}{} {unit}", number(i18n, r.value))
        .trim()
        .to_string()
}

/// What a record says, in the reader's words: fixed words and numbers translated, what the
/// clinic wrote (a regimen, a note, an allergy) as written.
pub fn record_text(i18n: I18n, r: &MyRecord) -> String {
    if let Some(reading) = &r.reading {
        return reading_text(i18n, reading);
    }
    let n = |v: f64| number(i18n, v);
    match &r.payload {
        Some(Payload::ViralLoad(v)) => match v.qualitative.as_deref() {
            Some("detected") => t_string!(i18n, records.vl_detected),
            Some("not_detected") => t_string!(i18n, records.vl_not_detected),
            Some("ldl") => t_string!(i18n, records.vl_below_limit),
            Some("rejected") => t_string!(i18n, records.vl_rejected),
            _ => t_string!(i18n, records.vl_pending),
        }
        .to_string(),
        Some(Payload::ArtRegimen(a)) => {
            let action = match a.action.as_str() {
                "start" => t_string!(i18n, records.art_start),
                "switch" => t_string!(i18n, records.art_switch),
                "substitute" => t_string!(i18n, records.art_substitute),
                _ => t_string!(i18n, records.art_stop),
            };
            let line = match a.line.as_deref() {
                Some("first") => t_string!(i18n, records.line_first),
                Some("second") => t_string!(i18n, records.line_second),
                Some("third") => t_string!(i18n, records.line_third),
                _ => "",
            };
            [format!("{action}: {}", a.regimen), line.to_string()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        }
        Some(Payload::VitalSigns(v)) => {
            let mut parts = Vec::new();
            if let Some(w) = v.weight_kg {
                parts.push(format!("{} {} kg", t_string!(i18n, records.weight), n(w)));
            }
            if let (Some(s), Some(d)) = (v.bp_systolic, v.bp_diastolic) {
                parts.push(format!(
                    "{} {s}/{d}",
                    t_string!(i18n, records.blood_pressure)
                ));
            }
            if let Some(t) = v.temperature_c {
                parts.push(format!(
                    "{} {} °C",
                    t_string!(i18n, records.temperature),
                    n(t)
                ));
            }
            if let Some(p) = v.pulse {
                parts.push(format!("{} {p}", t_string!(i18n, records.pulse)));
            }
            if let Some(h) = v.height_cm {
                parts.push(format!("{} {} cm", t_string!(i18n, records.height), n(h)));
            }
            parts.join(" · ")
        }
        Some(Payload::Dispensing(d)) => t_string!(
            i18n,
            records.dispensed,
            quantity = d.quantity,
            days = d.days_supplied
        )
        .to_string(),
        Some(Payload::Allergy(a)) => {
            let severity = match a.severity.as_deref() {
                Some("mild") => t_string!(i18n, records.severity_mild),
                Some("moderate") => t_string!(i18n, records.severity_moderate),
                Some("severe") => t_string!(i18n, records.severity_severe),
                Some("life_threatening") => t_string!(i18n, records.severity_life_threatening),
                _ => "",
            };
            [
                a.substance.clone(),
                a.reaction.clone().unwrap_or_default(),
                severity.to_string(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
        }
        Some(Payload::AdherenceNote(a)) => match a.adherence_percent {
            Some(p) => format!(
                "{} · {}",
                t_string!(i18n, records.doses_taken, percent = n(p)),
                a.text
            ),
            None => a.text.clone(),
        },
        Some(Payload::Prescription(p)) => format!("{} · {} · {}", p.drug_name, p.dose, p.frequency),
        Some(Payload::Diagnosis(d)) => d.text.clone().unwrap_or_else(|| d.icd10.clone()),
        Some(Payload::LabResult(l)) => format!(
            "LOINC {}: {}{}",
            l.loinc,
            l.value,
            l.unit
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default()
        ),
        _ => r.summary.clone(),
    }
}

fn record_row(i18n: I18n, r: MyRecord) -> impl IntoView {
    let value = record_text(i18n, &r);
    view! {
        <li class="py-2">
            <span class="block text-sm text-slate-600">{long_date(i18n, r.recorded_at.date_naive())}</span>
            <span class="block font-medium">{type_name(i18n, r.record_type)}</span>
            <span class="block">{value}</span>
        </li>
    }
}

/// The chart's words: how many results and the latest, in the reader's language.
fn chart_words(i18n: I18n, points: &[ChartPoint], unit: &str) -> ChartWords {
    let plotted: Vec<&ChartPoint> = points.iter().filter(|p| p.value.is_some()).collect();
    let tip = |p: &ChartPoint| {
        let below = if p.below_limit {
            t_string!(i18n, records.below)
        } else {
            ""
        };
        let source = p
            .source
            .as_deref()
            .map(|s| format!(" · {s}"))
            .unwrap_or_default();
        format!(
            "{}: {below}{} {unit}{source}",
            long_date(i18n, p.at.date_naive()),
            number(i18n, p.value.unwrap_or_default())
        )
    };
    ChartWords {
        empty: t_string!(i18n, records.no_results).to_string(),
        description: match plotted.last() {
            None => t_string!(i18n, records.no_results).to_string(),
            Some(last) => t_string!(
                i18n,
                records.chart_summary,
                count = plotted.len(),
                latest = tip(last)
            )
            .to_string(),
        },
        tips: plotted.iter().map(|p| tip(p)).collect(),
    }
}

fn records_view(i18n: I18n, mine: MyRecords) -> impl IntoView {
    let copies = t_string!(i18n, records.copies);
    let cells = t_string!(i18n, records.cells);
    let vl_words = chart_words(i18n, &mine.viral_loads, copies);
    let cd4_words = chart_words(i18n, &mine.cd4, cells);
    let empty = mine.groups.is_empty();
    let mut sections: Vec<(DataCategory, Vec<_>)> = Vec::new();
    for g in mine.groups {
        let block = view! {
            <div class="mt-3">
                <h3 class="font-semibold text-teal-800">{t_string!(i18n, records.from, hospital = g.hospital_name.clone()).to_string()}</h3>
                <ul class="divide-y divide-slate-200">
                    {g.records.into_iter().map(|r| record_row(i18n, r)).collect_view()}
                </ul>
            </div>
        };
        match sections.last_mut() {
            Some((c, blocks)) if *c == g.category => blocks.push(block),
            _ => sections.push((g.category, vec![block])),
        }
    }
    view! {
        <p class="mt-2">{t!(i18n, records.intro)}</p>
        <div class="mt-4 space-y-4">
            <TrendChart id="vl-chart" points=mine.viral_loads scale=Scale::Log { min: 20.0, max: 1_000_000.0 }
                title=t_string!(i18n, records.vl_chart) unit=copies words=vl_words />
            <p class="text-sm text-slate-600">{t!(i18n, records.vl_explain)}</p>
            <TrendChart id="cd4-chart" points=mine.cd4 scale=Scale::Linear { min: 0.0, max: 1500.0 }
                title=t_string!(i18n, records.cd4_chart) unit=cells words=cd4_words />
            <p class="text-sm text-slate-600">{t!(i18n, records.cd4_explain)}</p>
        </div>
        {empty.then(|| view! { <p class="mt-4">{t!(i18n, records.empty)}</p> })}
        {sections.into_iter().map(|(category, blocks)| view! {
            <section class="mt-5 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 class="text-lg font-semibold">{category_name(i18n, category)}</h2>
                {blocks}
            </section>
        }).collect_view()}
    }
}

/// `/portal/records`.
#[component]
pub fn RecordsPage() -> impl IntoView {
    let i18n = use_i18n();
    let mine = crate::resource::resource(|| (), |_| my_records_page());
    view! {
        <PortalShell title=t_string!(i18n, nav.records).to_string()>
            <Suspense fallback=loading>
                {move || mine.get().map(|result| match result {
                    Ok(mine) => records_view(i18n, mine).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
