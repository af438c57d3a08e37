//! `/portal/sharing`: which hospitals hold the record, whom the patient shares with and until
//! when; share a category with a hospital in a few taps, stop sharing, see past grants.

use hospitallink::domain::clinical::category::DataCategory;
use hospitallink::domain::portal::sharing::until_choices;
use hospitallink::domain::portal::MySharing;
use hospitallink::domain::sharing::grant::{Grant, GrantStatus, Purpose};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::records::category_name;
use super::sign_in::PortalSubmit;
use super::words::long_date;
use super::words::I18n;
use super::{loading, PortalProblem, PortalShell};
use crate::i18n::*;
use crate::pages::auth::{use_outcome, FormOutcome};
use crate::server_fns::portal::my_sharing_page;

/// The categories offered, in the order a patient thinks of them; `sensitive` last, apart.
const OFFERED: [DataCategory; 7] = [
    DataCategory::Labs,
    DataCategory::Art,
    DataCategory::ClinicalNotes,
    DataCategory::HivStatus,
    DataCategory::Demographics,
    DataCategory::Appointments,
    DataCategory::Billing,
];

fn purpose_name(i18n: I18n, p: Purpose) -> &'static str {
    match p {
        Purpose::Treatment => t_string!(i18n, sharing.purpose_treatment),
        Purpose::Referral => t_string!(i18n, sharing.purpose_referral),
        Purpose::Transfer => t_string!(i18n, sharing.purpose_transfer),
        Purpose::SecondOpinion => t_string!(i18n, sharing.purpose_second_opinion),
    }
}

/// The message for a field of the grant form that was wrong.
fn field_problem(i18n: I18n, error: &ErrorKind, field: &str) -> Option<&'static str> {
    if error.field(field).is_empty() {
        return None;
    }
    Some(match field {
        "hospital_id" => t_string!(i18n, sharing.need_hospital),
        "categories" => t_string!(i18n, sharing.need_category),
        "purpose" => t_string!(i18n, sharing.need_purpose),
        _ => t_string!(i18n, sharing.need_until),
    })
}

fn grant_item(i18n: I18n, g: Grant, revocable: bool) -> impl IntoView {
    let what = g
        .categories
        .iter()
        .map(|c| category_name(i18n, *c))
        .collect::<Vec<_>>()
        .join(", ");
    let until = match (g.status, g.revoked_at, g.expires_at) {
        (GrantStatus::Revoked, Some(at), _) => t_string!(
            i18n,
            sharing.stopped_on,
            date = long_date(i18n, at.date_naive())
        )
        .to_string(),
        (GrantStatus::Expired, _, Some(at)) => t_string!(
            i18n,
            sharing.ended_on,
            date = long_date(i18n, at.date_naive())
        )
        .to_string(),
        (GrantStatus::Scheduled, _, _) => t_string!(
            i18n,
            sharing.starts_on,
            date = long_date(i18n, g.starts_at.date_naive())
        )
        .to_string(),
        (_, _, Some(at)) => t_string!(
            i18n,
            sharing.until_date,
            date = long_date(i18n, at.date_naive())
        )
        .to_string(),
        _ => t_string!(i18n, sharing.until_stopped).to_string(),
    };
    let action = format!("/portal/sharing/{}/revoke", g.id);
    view! {
        <li class="py-3">
            <span class="block font-semibold">{g.hospital_name.clone()}</span>
            <span class="block">{what}</span>
            <span class="block text-sm text-slate-600">{purpose_name(i18n, g.purpose)}" · "{until}</span>
            {revocable.then(|| view! {
                <form method="post" action=action class="mt-2">
                    <button type="submit" class="focus-ring min-h-11 rounded border border-red-700 px-4 font-medium text-red-800">
                        {t!(i18n, sharing.stop)}
                    </button>
                </form>
            })}
        </li>
    }
}

fn sharing_view(i18n: I18n, page: MySharing, outcome: FormOutcome) -> impl IntoView {
    let error = outcome.error.clone();
    let typed = |name: &str| outcome.values.get(name).cloned().unwrap_or_default();
    let chosen_hospital = typed("hospital_id");
    let chosen_categories: Vec<String> =
        typed("categories").split(',').map(str::to_string).collect();
    let chosen_purpose = Some(typed("purpose"))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "treatment".into());
    let chosen_until = typed("expires_at");
    let problem = |field: &str| error.as_ref().and_then(|e| field_problem(i18n, e, field));
    let general = error
        .as_ref()
        .filter(|e| e.fields().is_empty())
        .map(|_| t_string!(i18n, portal.error));
    let current: Vec<Grant> = page.current().cloned().collect();
    let past: Vec<Grant> = page.past().cloned().collect();
    let [month, quarter, year] = until_choices(page.today);
    let untils = [
        (month.to_string(), t_string!(i18n, sharing.for_month)),
        (
            quarter.to_string(),
            t_string!(i18n, sharing.for_three_months),
        ),
        (year.to_string(), t_string!(i18n, sharing.for_year)),
        (String::new(), t_string!(i18n, sharing.until_stopped)),
    ];
    let until_default = if chosen_until.is_empty() && error.is_none() {
        month.to_string()
    } else {
        chosen_until.clone()
    };
    view! {
        <p class="mt-2">{t!(i18n, sharing.intro)}</p>
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{t!(i18n, sharing.holds)}</h2>
            <p class="text-sm text-slate-600">{t!(i18n, sharing.holds_explain)}</p>
            <ul class="mt-2 divide-y divide-slate-200">
                {page.registered.iter().map(|h| view! {
                    <li class="py-2"><span class="font-medium">{h.name.clone()}</span>" · "<span class="text-sm text-slate-600">{h.mrn.clone()}</span></li>
                }).collect_view()}
            </ul>
        </section>
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{t!(i18n, sharing.now)}</h2>
            {if current.is_empty() {
                view! { <p class="mt-2">{t!(i18n, sharing.none_now)}</p> }.into_any()
            } else {
                view! { <ul id="current-grants" class="divide-y divide-slate-200">{current.into_iter().map(|g| grant_item(i18n, g, true)).collect_view()}</ul> }.into_any()
            }}
        </section>
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{t!(i18n, sharing.give_title)}</h2>
            {general.map(|m| view! { <p role="alert" class="mt-2 text-red-800">{m}</p> })}
            <form method="post" action="/portal/sharing" class="mt-3 space-y-5">
                <div>
                    <label for="hospital_id" class="block font-medium">{t!(i18n, sharing.hospital)}</label>
                    <select id="hospital_id" name="hospital_id" aria-invalid=problem("hospital_id").is_some().to_string()
                        class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 bg-white px-3 text-lg">
                        <option value="">{t!(i18n, sharing.choose_hospital)}</option>
                        {page.hospitals.iter().map(|h| {
                            let id = h.id.to_string();
                            let selected = id == chosen_hospital;
                            view! { <option value=id selected=selected>{h.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    {problem("hospital_id").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <fieldset>
                    <legend class="font-medium">{t!(i18n, sharing.what)}</legend>
                    {problem("categories").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                    <div class="mt-1 grid gap-1">
                        {OFFERED.into_iter().map(|c| {
                            let checked = chosen_categories.iter().any(|x| x == c.as_str());
                            view! {
                                <label class="flex min-h-11 items-center gap-3">
                                    <input type="checkbox" name="categories" value=c.as_str() checked=checked class="h-6 w-6 shrink-0" />
                                    {category_name(i18n, c)}
                                </label>
                            }
                        }).collect_view()}
                        <label class="mt-2 flex min-h-11 items-center gap-3 border-t border-slate-200 pt-2">
                            <input type="checkbox" name="categories" value="sensitive"
                                checked=chosen_categories.iter().any(|x| x == "sensitive") class="h-6 w-6 shrink-0" />
                            <span>{category_name(i18n, DataCategory::Sensitive)}<span class="block text-sm text-slate-600">{t!(i18n, sharing.sensitive_explain)}</span></span>
                        </label>
                    </div>
                </fieldset>
                <fieldset>
                    <legend class="font-medium">{t!(i18n, sharing.why)}</legend>
                    {problem("purpose").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                    {Purpose::ALL.into_iter().map(|p| {
                        let checked = p.as_str() == chosen_purpose;
                        view! {
                            <label class="flex min-h-11 items-center gap-3">
                                <input type="radio" name="purpose" value=p.as_str() checked=checked class="h-6 w-6 shrink-0" />
                                {purpose_name(i18n, p)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <fieldset>
                    <legend class="font-medium">{t!(i18n, sharing.how_long)}</legend>
                    {problem("expires_at").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                    {untils.into_iter().map(|(value, label)| {
                        let checked = value == until_default;
                        view! {
                            <label class="flex min-h-11 items-center gap-3">
                                <input type="radio" name="expires_at" value=value checked=checked class="h-6 w-6 shrink-0" />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <PortalSubmit label=t_string!(i18n, sharing.give) />
            </form>
        </section>
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{t!(i18n, sharing.before)}</h2>
            {if past.is_empty() {
                view! { <p class="mt-2">{t!(i18n, sharing.none_before)}</p> }.into_any()
            } else {
                view! { <ul id="past-grants" class="divide-y divide-slate-200">{past.into_iter().map(|g| grant_item(i18n, g, false)).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
}

/// `/portal/sharing`.
#[component]
pub fn SharingPage() -> impl IntoView {
    let i18n = use_i18n();
    let outcome = use_outcome();
    let query = use_query_map();
    let done = query.read_untracked().get("done");
    let notice = match done.as_deref() {
        Some("shared") => Some(t_string!(i18n, sharing.done_shared)),
        Some("stopped") => Some(t_string!(i18n, sharing.done_stopped)),
        _ => None,
    };
    let page = crate::resource::resource(|| (), |_| my_sharing_page());
    view! {
        <PortalShell title=t_string!(i18n, nav.sharing).to_string()>
            {notice.map(|n| view! { <p role="status" class="mt-3 rounded border border-teal-600 bg-teal-50 px-3 py-2">{n}</p> })}
            <Suspense fallback=loading>
                {move || page.get().map(|result| match result {
                    Ok(page) => sharing_view(i18n, page, outcome.clone()).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
