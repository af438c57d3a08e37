//! `/portal`: the home page. The last test result is behind a tap (a `<details>`, no script
//! needed), so the first screen can be shown on a shared phone.

use hospitallink::domain::portal::{CareNote, PortalHome as Home, ViralLoadNews};
use leptos::prelude::*;

use super::words::long_date;
use super::words::I18n;
use super::{loading, PortalProblem, PortalShell};
use crate::i18n::*;
use crate::server_fns::portal::portal_home_news;

/// The counsellor's sentence for a result.
fn news_sentence(i18n: I18n, news: ViralLoadNews, date: String) -> String {
    match news {
        ViralLoadNews::Undetectable => {
            t_string!(i18n, home.vl_undetectable, date = date).to_string()
        }
        ViralLoadNews::Suppressed => t_string!(i18n, home.vl_suppressed, date = date).to_string(),
        ViralLoadNews::SlightlyRaised => {
            t_string!(i18n, home.vl_slightly_raised, date = date).to_string()
        }
        ViralLoadNews::High => t_string!(i18n, home.vl_high, date = date).to_string(),
        ViralLoadNews::Pending => t_string!(i18n, home.vl_pending, date = date).to_string(),
        ViralLoadNews::Retest => t_string!(i18n, home.vl_retest, date = date).to_string(),
    }
}

/// What a care note says.
fn care_sentence(i18n: I18n, note: CareNote) -> String {
    match note {
        CareNote::TalkSoon => t_string!(i18n, care.talk_soon),
        CareNote::ComeBack => t_string!(i18n, care.come_back),
        CareNote::ExtraCare => t_string!(i18n, care.extra_care),
        CareNote::ExtraTest => t_string!(i18n, care.extra_test),
        CareNote::TestDue => t_string!(i18n, care.test_due),
        CareNote::RepeatTest => t_string!(i18n, care.repeat_test),
        CareNote::Cd4Due => t_string!(i18n, care.cd4_due),
        CareNote::KidneyTest => t_string!(i18n, care.kidney_test),
        CareNote::VisitDue => t_string!(i18n, care.visit_due),
    }
    .to_string()
}

#[component]
fn Card(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{title}</h2>
            {children()}
        </section>
    }
}

fn home_view(i18n: I18n, home: Home) -> impl IntoView {
    let test = home.last_viral_load.map(|t| {
        let sentence = news_sentence(i18n, t.news, long_date(i18n, t.on));
        let tone = if t.news.is_reassuring() {
            "border-teal-600 bg-teal-50"
        } else {
            "border-amber-500 bg-amber-50"
        };
        view! {
            <p id="last-result" class=format!("mt-2 rounded border-l-4 px-3 py-2 {tone}")>{sentence}</p>
        }
    });
    let treatment = home.treatment.map(|t| {
        t_string!(
            i18n,
            home.treatment_now,
            regimen = t.regimen.clone(),
            date = long_date(i18n, t.since)
        )
        .to_string()
    });
    let clock = |t: chrono::NaiveDateTime| {
        use chrono::Timelike;
        format!("{:02}:{:02}", t.hour(), t.minute())
    };
    let visit = home.visits.first().map(|v| {
        t_string!(
            i18n,
            home.next_visit_at,
            date = long_date(i18n, v.local_start.date()),
            time = clock(v.local_start),
            place = v.hospital_name.clone()
        )
        .to_string()
    });
    let later: Vec<String> = home
        .visits
        .iter()
        .skip(1)
        .map(|v| {
            t_string!(
                i18n,
                home.visit_line,
                date = long_date(i18n, v.local_start.date()),
                time = clock(v.local_start),
                place = v.hospital_name.clone()
            )
            .to_string()
        })
        .collect();
    let sections = [
        (
            "/portal/records",
            t_string!(i18n, nav.records),
            t_string!(i18n, home.go_records),
        ),
        (
            "/portal/sharing",
            t_string!(i18n, nav.sharing),
            t_string!(i18n, home.go_sharing),
        ),
        (
            "/portal/access",
            t_string!(i18n, nav.access),
            t_string!(i18n, home.go_access),
        ),
        (
            "/portal/summary",
            t_string!(i18n, nav.summary),
            t_string!(i18n, home.go_summary),
        ),
        (
            "/portal/settings",
            t_string!(i18n, nav.settings),
            t_string!(i18n, home.go_settings),
        ),
    ];
    // Behind a tap like the test result: the first screen may be seen on a shared phone.
    let care = (!home.care.is_empty()).then(|| {
        let notes = home
            .care
            .iter()
            .map(|n| view! { <li>{care_sentence(i18n, *n)}</li> })
            .collect_view();
        view! {
            <Card title=t_string!(i18n, care.title)>
                <details class="mt-2" id="care-notes">
                    <summary class="focus-ring flex min-h-11 cursor-pointer items-center font-medium text-teal-800 underline">
                        {t!(i18n, care.show)}
                    </summary>
                    <ul class="mt-2 list-inside list-disc space-y-1">{notes}</ul>
                </details>
            </Card>
        }
    });
    view! {
        <p id="greeting" class="mt-2 text-lg">{t_string!(i18n, home.greeting, name = home.first_name.clone()).to_string()}</p>
        <Card title=t_string!(i18n, home.result_title)>
            {match test {
                Some(test) => view! {
                    <details class="mt-2">
                        <summary class="focus-ring flex min-h-11 cursor-pointer items-center font-medium text-teal-800 underline">
                            {t!(i18n, home.show_result)}
                        </summary>
                        {test}
                        <p class="mt-2 text-sm text-slate-600">{t!(i18n, home.vl_explain)}</p>
                    </details>
                }.into_any(),
                None => view! { <p class="mt-2">{t!(i18n, home.no_result)}</p> }.into_any(),
            }}
        </Card>
        {care}
        <Card title=t_string!(i18n, home.treatment_title)>
            {match treatment {
                Some(text) => view! {
                    <p class="mt-2">{text}</p>
                    <p class="mt-1 text-sm text-slate-600">{t!(i18n, home.treatment_explain)}</p>
                }.into_any(),
                None => view! { <p class="mt-2">{t!(i18n, home.no_treatment)}</p> }.into_any(),
            }}
        </Card>
        <Card title=t_string!(i18n, home.visit_title)>
            <p class="mt-2" id="next-visit">{visit.unwrap_or_else(|| t_string!(i18n, home.no_visit).to_string())}</p>
            {(!later.is_empty()).then(|| view! {
                <p class="mt-2 text-sm font-medium">{t!(i18n, home.later_visits)}</p>
                <ul class="list-inside list-disc text-sm" id="later-visits">
                    {later.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                </ul>
            })}
        </Card>
        <ul class="mt-4 space-y-2">
            {sections.into_iter().map(|(href, label, what)| view! {
                <li>
                    <a href=href class="focus-ring block min-h-11 rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-sm hover:border-teal-600">
                        <span class="block font-semibold text-teal-800">{label}</span>
                        <span class="block text-sm text-slate-600">{what}</span>
                    </a>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// `/portal`: the signed-in patient's home.
#[component]
pub fn PortalHome() -> impl IntoView {
    let i18n = use_i18n();
    let home = crate::resource::resource(|| (), |_| portal_home_news());
    view! {
        <PortalShell title=t_string!(i18n, nav.home).to_string()>
            <Suspense fallback=loading>
                {move || home.get().map(|result| match result {
                    Ok(home) => home_view(i18n, home).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
