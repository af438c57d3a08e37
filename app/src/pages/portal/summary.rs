//! `/portal/summary`: a summary the patient can print and take to any clinic (the page prints
//! without the portal's header and footer), and the download of the whole record as a FHIR file.

use hospitallink::domain::clinical::record::RecordType;
use hospitallink::domain::portal::records::MyRecord;
use hospitallink::domain::portal::{MyProfile, MyRecords};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

use super::records::record_text;
use super::words::long_date;
use super::words::I18n;
use super::{loading, PortalProblem, PortalShell};
use crate::i18n::*;
use crate::server_fns::portal::{my_profile_page, my_records_page};

/// The newest record of each of `types`, across hospitals, newest first.
fn latest(records: &[(String, MyRecord)], t: RecordType) -> Vec<&(String, MyRecord)> {
    let mut of_type: Vec<&(String, MyRecord)> =
        records.iter().filter(|(_, r)| r.record_type == t).collect();
    of_type.sort_by_key(|r| std::cmp::Reverse(r.1.recorded_at));
    of_type
}

fn line(i18n: I18n, (hospital, r): &(String, MyRecord)) -> String {
    let value = record_text(i18n, r);
    format!(
        "{value} · {} · {hospital}",
        long_date(i18n, r.recorded_at.date_naive())
    )
}

#[component]
fn Row(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="border-b border-slate-200 py-2 print:break-inside-avoid">
            <dt class="text-sm font-semibold text-slate-600">{label}</dt>
            <dd>{children()}</dd>
        </div>
    }
}

fn summary_view(i18n: I18n, me: MyProfile, mine: MyRecords) -> impl IntoView {
    let all: Vec<(String, MyRecord)> = mine
        .groups
        .into_iter()
        .flat_map(|g| {
            let name = g.hospital_name;
            g.records.into_iter().map(move |r| (name.clone(), r))
        })
        .collect();
    let none = t_string!(i18n, summary.none);
    let first = |t| {
        latest(&all, t)
            .first()
            .map(|r| line(i18n, r))
            .unwrap_or_else(|| none.to_string())
    };
    let every = |t| {
        latest(&all, t)
            .into_iter()
            .map(|r| line(i18n, r))
            .collect::<Vec<_>>()
    };
    let (treatment, viral_load, cd4) = (
        first(RecordType::ArtRegimen),
        first(RecordType::ViralLoad),
        first(RecordType::Cd4),
    );
    let prescriptions: Vec<String> = every(RecordType::Prescription)
        .into_iter()
        .take(10)
        .collect();
    let (allergies, conditions) = (every(RecordType::Allergy), every(RecordType::Diagnosis));
    let list = move |items: Vec<String>| {
        if items.is_empty() {
            view! { <p>{none}</p> }.into_any()
        } else {
            view! { <ul class="list-disc pl-5">{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any()
        }
    };
    let p = me.patient;
    let name = format!("{} {}", p.first_name, p.last_name);
    let born = long_date(i18n, p.date_of_birth);
    let numbers = me
        .hospitals
        .iter()
        .map(|h| format!("{} · {}", h.name, h.mrn))
        .collect::<Vec<_>>();
    view! {
        <p class="mt-2 print:hidden">{t!(i18n, summary.intro)}</p>
        <div class="mt-4 flex flex-col gap-2 print:hidden">
            <a id="download-export" href="/api/v1/me/export" download="my-health-record.fhir.json"
                class="focus-ring inline-flex min-h-12 items-center justify-center rounded bg-teal-700 px-4 text-lg font-medium text-white">
                {t!(i18n, summary.download)}
            </a>
            <p class="text-sm text-slate-600">{t!(i18n, summary.download_explain)}</p>
            <p class="text-sm text-slate-600">{t!(i18n, summary.print_tip)}</p>
        </div>
        <article id="printable-summary" class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm print:border-0 print:p-0 print:shadow-none">
            <h2 class="text-xl font-bold">{name}</h2>
            <dl class="mt-2">
                <Row label=t_string!(i18n, summary.born)>{born}</Row>
                <Row label=t_string!(i18n, summary.numbers)>{list(numbers)}</Row>
                <Row label=t_string!(i18n, summary.treatment)>{treatment}</Row>
                <Row label=t_string!(i18n, summary.viral_load)>{viral_load}</Row>
                <Row label=t_string!(i18n, summary.cd4)>{cd4}</Row>
                <Row label=t_string!(i18n, summary.medicines)>{list(prescriptions)}</Row>
                <Row label=t_string!(i18n, summary.allergies)>{list(allergies)}</Row>
                <Row label=t_string!(i18n, summary.conditions)>{list(conditions)}</Row>
            </dl>
            <p class="mt-3 text-xs text-slate-500">{t!(i18n, summary.footer)}</p>
        </article>
    }
}

/// `/portal/summary`.
#[component]
pub fn SummaryPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = crate::resource::resource(
        || (),
        |_| async move {
            let me = my_profile_page().await?;
            let mine = my_records_page().await?;
            Ok::<_, ErrorKind>((me, mine))
        },
    );
    view! {
        <PortalShell title=t_string!(i18n, nav.summary).to_string()>
            <Suspense fallback=loading>
                {move || data.get().map(|result| match result {
                    Ok((me, mine)) => summary_view(i18n, me, mine).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
