//! `/dashboard`: the hospital's indicators for a period (the care cascade, 12 months of
//! viral-load suppression, the worklists' counts, each MER indicator by age band and sex with
//! its CSV), every number a link to the patients behind it (`/dashboard/patients`); and
//! `/network`: every hospital's totals for platform admins, numbers under 5 hidden. Rendered by
//! the server alone; the charts are SVG with their words for screen readers.

use hospitallink::domain::cds::long_date;
use hospitallink::domain::cds::worklist::Worklist;
use hospitallink::domain::indicators::{
    AgeBand, Cascade, IndicatorValue, Measure, NetworkValue, SexGroup, SuppressionMonth,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::bars::{Bar, BarChart};
use crate::components::StaffShell;
use crate::pages::encode_query_value as enc;
use crate::server_fns::indicators::{load_dashboard, load_indicator_patients, load_network};
use hospitallink::domain::ErrorKind;

const INPUT: &str =
    "focus-ring mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 text-base";
const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center rounded bg-teal-800 px-4 font-semibold text-white";
const LINK: &str = "focus-ring text-teal-800 underline";

/// A report refused or not found: the reason in words, with the page's status.
#[component]
fn Refused(error: ErrorKind) -> impl IntoView {
    crate::pages::patients::set_status(error.status());
    let title = match error.status() {
        401 => "Sign in to continue",
        403 => "Not available to your role",
        404 => "Not found",
        _ => "The report could not be made",
    };
    view! {
        <div class="mt-6 rounded-lg border border-slate-200 bg-white p-6" id="unavailable" role="alert">
            <h2 class="text-xl font-semibold">{title}</h2>
            <p class="mt-2 text-slate-700">{error.explained()}</p>
        </div>
    }
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())
}

/// The period form: two dates, sent as a plain GET to `action`.
#[component]
fn PeriodForm(action: &'static str, start: String, end: String) -> impl IntoView {
    view! {
        <form method="get" action=action class="mt-3 flex flex-wrap items-end gap-3" aria-label="Reporting period">
            <div>
                <label for="period_start" class="block text-sm font-medium">"From"</label>
                <input id="period_start" name="period_start" type="date" value=start class=INPUT />
            </div>
            <div>
                <label for="period_end" class="block text-sm font-medium">"To"</label>
                <input id="period_end" name="period_end" type="date" value=end class=INPUT />
            </div>
            <button type="submit" class=BUTTON>"Show"</button>
        </form>
    }
}

fn cascade_chart(c: &Cascade) -> impl IntoView {
    let max = c.enrolled.max(1) as f64;
    let bars = vec![
        Bar {
            value: c.enrolled as f64,
            text: c.enrolled.to_string(),
            label: "In care".into(),
            sublabel: String::new(),
        },
        Bar {
            value: c.on_art as f64,
            text: c.on_art.to_string(),
            label: "On ART".into(),
            sublabel: format!("{} of in care", pct(c.on_art_percent)),
        },
        Bar {
            value: c.with_viral_load as f64,
            text: c.with_viral_load.to_string(),
            label: "Viral load in 12 months".into(),
            sublabel: format!("{} of on ART", pct(c.tested_percent)),
        },
        Bar {
            value: c.suppressed as f64,
            text: c.suppressed.to_string(),
            label: "Suppressed".into(),
            sublabel: format!("{} of tested", pct(c.suppressed_percent)),
        },
    ];
    let description = format!(
        "{} patients in care; {} on ART ({} of those in care); {} with a viral load in the last 12 months ({} of those on ART); {} suppressed under 1,000 copies/mL ({} of those tested).",
        c.enrolled,
        c.on_art,
        pct(c.on_art_percent),
        c.with_viral_load,
        pct(c.tested_percent),
        c.suppressed,
        pct(c.suppressed_percent)
    );
    view! { <BarChart id="cascade" title="Care cascade at the period's end".to_string() description bars max /> }
}

fn suppression_chart(months: &[SuppressionMonth]) -> impl IntoView {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut words = Vec::new();
    let bars = months
        .iter()
        .map(|m| {
            let name = m
                .month
                .get(5..7)
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| NAMES.get(n.wrapping_sub(1)))
                .copied()
                .unwrap_or("?");
            let share = (m.tested > 0)
                .then(|| (m.suppressed as f64 * 1000.0 / m.tested as f64).round() / 10.0);
            words.push(match share {
                Some(s) => format!("{}: {s}% of {} results", m.month, m.tested),
                None => format!("{}: no results", m.month),
            });
            Bar {
                value: share.unwrap_or(0.0),
                text: share
                    .map(|s| format!("{s:.0}%"))
                    .unwrap_or_else(|| "—".into()),
                label: name.to_string(),
                sublabel: format!("n={}", m.tested),
            }
        })
        .collect();
    let description = format!(
        "Share of viral-load results under 1,000 copies/mL, month by month. {}.",
        words.join("; ")
    );
    view! { <BarChart id="suppression" title="Viral-load suppression, last 12 months".to_string() description bars max=100.0 /> }
}

fn patients_href(
    m: Measure,
    start: &str,
    end: &str,
    band: Option<AgeBand>,
    sex: Option<SexGroup>,
    outcome: Option<&str>,
) -> String {
    let mut href = format!(
        "/dashboard/patients?measure={}&period_start={start}&period_end={end}",
        m.as_str()
    );
    if let Some(b) = band {
        href.push_str(&format!("&age_band={}", enc(b.as_str())));
    }
    if let Some(s) = sex {
        href.push_str(&format!("&sex={}", s.as_str()));
    }
    if let Some(o) = outcome {
        href.push_str(&format!("&outcome={o}"));
    }
    href
}

/// One indicator: its value (a link to its patients), definition, CSV, and the age band and
/// sex table.
fn indicator_row(i: &IndicatorValue, start: &str, end: &str) -> impl IntoView {
    let m = i.measure;
    let bands: Vec<AgeBand> = AgeBand::ALL
        .into_iter()
        .filter(|b| i.cells.iter().any(|c| c.age_band == *b))
        .collect();
    let cell = |b: AgeBand, s: SexGroup| {
        i.cells
            .iter()
            .find(|c| c.age_band == b && c.sex == s)
            .map(|c| c.value)
            .unwrap_or_default()
    };
    let table = (!bands.is_empty()).then(|| {
        let rows = bands
            .iter()
            .map(|b| {
                let cells = SexGroup::ALL
                    .iter()
                    .map(|s| {
                        let v = cell(*b, *s);
                        let href = patients_href(m, start, end, Some(*b), Some(*s), None);
                        view! { <td class="px-2 py-1 text-right">{if v > 0 { view! { <a class=LINK href=href>{v}</a> }.into_any() } else { view! { <span class="text-slate-400">"0"</span> }.into_any() }}</td> }
                    })
                    .collect_view();
                view! { <tr class="border-t border-slate-100"><th scope="row" class="px-2 py-1 text-left font-medium">{b.as_str()}</th>{cells}</tr> }
            })
            .collect_view();
        view! {
            <details class="mt-1">
                <summary class="focus-ring inline-flex min-h-11 cursor-pointer items-center text-sm text-teal-800 underline">"By age and sex"</summary>
                <table class="mt-1 text-sm" id=format!("cells-{}", m.as_str())>
                    <thead><tr><th scope="col" class="px-2 py-1 text-left">"Age"</th><th scope="col" class="px-2 py-1">"Female"</th><th scope="col" class="px-2 py-1">"Male"</th><th scope="col" class="px-2 py-1">"Unknown"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        }
    });
    let outcomes = (!i.outcomes.is_empty()).then(|| {
        let items = i
            .outcomes
            .iter()
            .map(|o| {
                let href = patients_href(m, start, end, None, None, Some(o.outcome.as_str()));
                view! { <li>{format!("{}: ", o.label)}{if o.value > 0 { view! { <a class=LINK href=href>{o.value}</a> }.into_any() } else { view! { <span>"0"</span> }.into_any() }}</li> }
            })
            .collect_view();
        view! { <ul class="mt-1 text-sm text-slate-700" id="ml-outcomes">{items}</ul> }
    });
    let csv = format!(
        "/api/v1/indicators/{}/csv?period_start={start}&period_end={end}",
        m.as_str()
    );
    view! {
        <tr class="border-t border-slate-200 align-top" id=format!("indicator-{}", m.as_str())>
            <th scope="row" class="px-2 py-2 text-left">
                <span class="block font-semibold">{i.label.clone()}</span>
                <span class="block text-xs font-normal text-slate-600">{i.definition.clone()}</span>
                {outcomes}
                {table}
            </th>
            <td class="px-2 py-2 text-right text-lg font-semibold">
                <a class=LINK id=format!("value-{}", m.as_str()) href=patients_href(m, start, end, None, None, None) aria-label=format!("{}: {} patients, list them", i.label, i.value)>{i.value}</a>
            </td>
            <td class="px-2 py-2"><a class=LINK id=format!("csv-{}", m.as_str()) href=csv download="">"CSV"</a></td>
        </tr>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let arg = move |k: &str| query.read().get(k).unwrap_or_default();
    let data = crate::resource::resource(
        move || (arg("period_start"), arg("period_end")),
        |(s, e)| load_dashboard(s, e),
    );
    view! {
        <Title text="Dashboard" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Dashboard"</h1>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Err(e) => view! { <Refused error=e /> }.into_any(),
                    Ok(d) => {
                        let r = d.report;
                        let (start, end) = (r.period_start.to_string(), r.period_end.to_string());
                        let worklists = d.worklists.map(|counts| {
                            let cards = Worklist::ALL.iter().map(|w| view! {
                                <li><a class="focus-ring flex min-h-11 flex-col rounded border border-slate-200 bg-white px-3 py-2" href=format!("/worklists?list={}", w.as_str()) id=format!("count-{}", w.as_str())>
                                    <span class="text-2xl font-semibold">{counts.of(*w)}</span>
                                    <span class="text-sm text-slate-700">{w.label()}</span>
                                </a></li>
                            }).collect_view();
                            view! {
                                <section aria-labelledby="worklists-title" class="mt-6">
                                    <h2 id="worklists-title" class="text-lg font-semibold">"Worklists today"</h2>
                                    <ul class="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-4">{cards}</ul>
                                </section>
                            }
                        });
                        let rows = r.indicators.iter().map(|i| indicator_row(i, &start, &end)).collect_view();
                        view! {
                            <p class="text-slate-600" id="period">{format!("{} · {} to {} · rule set {}", r.hospital_name, long_date(r.period_start), long_date(r.period_end), r.rule_set)}</p>
                            <PeriodForm action="/dashboard" start=start.clone() end=end.clone() />
                            <div class="mt-4 grid gap-4 lg:grid-cols-2">
                                {cascade_chart(&r.cascade)}
                                {suppression_chart(&r.suppression)}
                            </div>
                            {worklists}
                            <section aria-labelledby="indicators-title" class="mt-6">
                                <h2 id="indicators-title" class="text-lg font-semibold">"Indicators (PEPFAR MER 2.6.1)"</h2>
                                <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white focus-ring" tabindex="0" role="region" aria-label="Indicators table">
                                    <table class="min-w-full text-sm" id="indicators">
                                        <thead><tr><th scope="col" class="px-2 py-2 text-left">"Indicator"</th><th scope="col" class="px-2 py-2 text-right">"Patients"</th><th scope="col" class="px-2 py-2">"Export"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            </section>
                        }.into_any()
                    }
                })}
            </Suspense>
        </StaffShell>
    }
}

#[component]
pub fn IndicatorPatientsPage() -> impl IntoView {
    let query = use_query_map();
    let arg = move |k: &str| query.read().get(k).unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let data = crate::resource::resource(
        move || {
            (
                arg("measure"),
                arg("period_start"),
                arg("period_end"),
                arg("age_band"),
                arg("sex"),
                arg("outcome"),
                page(),
            )
        },
        |(m, s, e, b, x, o, p)| load_indicator_patients(m, s, e, b, x, o, p),
    );
    view! {
        <Title text="Patients behind an indicator" />
        <StaffShell>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Err(e) => view! { <h1 class="text-2xl font-bold">"Patients"</h1><Refused error=e /> }.into_any(),
                    Ok(list) => {
                        let (start, end) = (list.period_start.to_string(), list.period_end.to_string());
                        let cell = [
                            list.age_band.map(|b| format!("age {}", b.as_str())),
                            list.sex.map(|s| s.as_str().to_string()),
                            list.outcome.map(|o| o.label().to_string()),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ");
                        let rows = list.data.iter().map(|p| view! {
                            <tr class="border-t border-slate-100 align-top" id=format!("patient-{}", p.patient_id)>
                                <th scope="row" class="px-2 py-2 text-left font-medium">
                                    <a class=LINK href=format!("/patients/{}", p.patient_id)>{p.name.clone()}</a>
                                    <span class="block text-xs font-normal text-slate-500">{format!("MRN {}", p.mrn)}</span>
                                </th>
                                <td class="px-2 py-2">{format!("{} · {}", p.age_band.as_str(), p.sex.as_str())}</td>
                                <td class="px-2 py-2">{p.status.clone()}{p.ml_outcome.map(|o| format!(" · {}", o.label()))}</td>
                                <td class="px-2 py-2">{match (&p.latest_viral_load, p.latest_viral_load_date) {
                                    (Some(v), Some(at)) => format!("{v}, {}", long_date(at)),
                                    _ => "—".into(),
                                }}</td>
                            </tr>
                        }).collect_view();
                        let pg = list.pagination.clone();
                        let base = format!(
                            "/dashboard/patients?measure={}&period_start={start}&period_end={end}&age_band={}&sex={}&outcome={}",
                            list.measure.as_str(),
                            enc(list.age_band.map(|b| b.as_str()).unwrap_or_default()),
                            list.sex.map(|s| s.as_str()).unwrap_or_default(),
                            list.outcome.map(|o| o.as_str()).unwrap_or_default(),
                        );
                        view! {
                            <h1 class="text-2xl font-bold" id="list-title">{format!("{} · {} patients", list.label, pg.total)}</h1>
                            <p class="text-slate-600">{format!("{} to {}{}", long_date(list.period_start), long_date(list.period_end), if cell.is_empty() { String::new() } else { format!(" · {cell}") })}</p>
                            <p class="mt-1"><a class=LINK href=format!("/dashboard?period_start={start}&period_end={end}")>"Back to the dashboard"</a></p>
                            <div class="mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white focus-ring" tabindex="0" role="region" aria-label="Patients table">
                                <table class="min-w-full text-left text-sm" id="indicator-patients">
                                    <thead><tr>
                                        <th scope="col" class="px-2 py-2">"Patient"</th>
                                        <th scope="col" class="px-2 py-2">"Age, sex"</th>
                                        <th scope="col" class="px-2 py-2">"At the period's end"</th>
                                        <th scope="col" class="px-2 py-2">"Latest viral load in 12 months"</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <nav aria-label="Pages" class="mt-3 flex gap-2">
                                {pg.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=format!("{base}&page={}", pg.page - 1)>"Previous"</a> })}
                                {pg.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=format!("{base}&page={}", pg.page + 1)>"Next"</a> })}
                            </nav>
                        }.into_any()
                    }
                })}
            </Suspense>
        </StaffShell>
    }
}

fn shown(v: &NetworkValue) -> String {
    match v.value {
        Some(n) => n.to_string(),
        None => "<5".into(),
    }
}

/// A column head of the network table.
fn head(m: Measure) -> String {
    match m {
        Measure::Enrolled => "In care".into(),
        Measure::TxPvlsD => "TX_PVLS (D)".into(),
        Measure::TxPvlsN => "TX_PVLS (N)".into(),
        other => other.code().into(),
    }
}

#[component]
pub fn NetworkPage() -> impl IntoView {
    let query = use_query_map();
    let arg = move |k: &str| query.read().get(k).unwrap_or_default();
    let data = crate::resource::resource(
        move || (arg("period_start"), arg("period_end")),
        |(s, e)| load_network(s, e),
    );
    view! {
        <Title text="Network indicators" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Network indicators"</h1>
            <p class="text-slate-600">"Every hospital's totals for one whole calendar quarter; a number under 5 is not shown, nor a total that would give it away."</p>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Err(e) => view! { <Refused error=e /> }.into_any(),
                    Ok(n) => {
                        let (start, end) = (n.period_start.to_string(), n.period_end.to_string());
                        let heads = Measure::ALL.iter().map(|m| view! { <th scope="col" class="px-2 py-2 text-right">{head(*m)}</th> }).collect_view();
                        let rows = n.hospitals.iter().map(|h| {
                            let cells = h.values.iter().map(|v| view! { <td class="px-2 py-2 text-right">{shown(v)}</td> }).collect_view();
                            view! { <tr class="border-t border-slate-100" id=format!("hospital-{}", h.hospital_id)><th scope="row" class="px-2 py-2 text-left font-medium">{h.name.clone()}</th>{cells}<td class="px-2 py-2 text-right">{pct(h.suppressed_percent)}</td></tr> }
                        }).collect_view();
                        let totals = n.totals.iter().map(|v| view! { <td class="px-2 py-2 text-right font-semibold">{shown(v)}</td> }).collect_view();
                        let curr = |vs: &[NetworkValue]| vs.iter().find(|v| v.measure == Measure::TxCurr).cloned();
                        let max = n.hospitals.iter().filter_map(|h| curr(&h.values).and_then(|v| v.value)).max().unwrap_or(1) as f64;
                        let bars: Vec<Bar> = n.hospitals.iter().map(|h| {
                            let v = curr(&h.values);
                            Bar {
                                value: v.as_ref().and_then(|v| v.value).unwrap_or(0) as f64,
                                text: v.as_ref().map(shown).unwrap_or_default(),
                                label: h.name.chars().take(14).collect(),
                                sublabel: format!("{} suppressed", pct(h.suppressed_percent)),
                            }
                        }).collect();
                        let description = n.hospitals.iter().map(|h| format!("{}: {} on ART, {} suppressed", h.name, curr(&h.values).as_ref().map(shown).unwrap_or_default(), pct(h.suppressed_percent))).collect::<Vec<_>>().join("; ");
                        view! {
                            <PeriodForm action="/network" start=start.clone() end=end.clone() />
                            <p class="mt-2 text-slate-600" id="period">{format!("{} to {}", long_date(n.period_start), long_date(n.period_end))}</p>
                            {(n.hospitals_left_out > 0).then(|| view! {
                                <p role="note" id="left-out" class="mt-2 rounded border border-amber-300 bg-amber-50 px-3 py-2 text-amber-900">{format!("The first 200 hospitals by name are shown; {} more are not, and the totals are those of the hospitals shown.", n.hospitals_left_out)}</p>
                            })}
                            <div class="mt-4"><BarChart id="network-tx-curr" title="On ART (TX_CURR) by hospital".to_string() description bars max /></div>
                            <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white focus-ring" tabindex="0" role="region" aria-label="Hospitals table">
                                <table class="min-w-full text-sm" id="network">
                                    <thead><tr><th scope="col" class="px-2 py-2 text-left">"Hospital"</th>{heads}<th scope="col" class="px-2 py-2 text-right">"Suppressed"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                    <tfoot><tr class="border-t border-slate-300"><th scope="row" class="px-2 py-2 text-left">"Network"</th>{totals}<td class="px-2 py-2 text-right font-semibold">{pct(n.suppressed_percent)}</td></tr></tfoot>
                                </table>
                            </div>
                        }.into_any()
                    }
                })}
            </Suspense>
        </StaffShell>
    }
}
