//! `/portal/proxies` ("Family"): the people the signed-in person helps (accept, decline, open
//! their record, stop), and the people who can act for the record open (add one by phone or
//! email, see where each stands, end it). A proxy lands here after signing in, to choose whose
//! record to open.

use hospitallink::domain::proxies::{
    ActingFor, MyProxies, Proxy, ProxyAccess, ProxyParty, ProxyStatus, Relationship,
};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::sign_in::PortalSubmit;
use super::words::long_date;
use super::words::I18n;
use super::{loading, PortalProblem, PortalShell};
use crate::i18n::*;
use crate::pages::auth::{use_outcome, FormOutcome};
use crate::server_fns::portal::my_proxies_page;

fn relationship_name(i18n: I18n, r: Relationship) -> &'static str {
    match r {
        Relationship::Parent => t_string!(i18n, proxies.rel_parent),
        Relationship::Guardian => t_string!(i18n, proxies.rel_guardian),
        Relationship::Partner => t_string!(i18n, proxies.rel_partner),
        Relationship::Child => t_string!(i18n, proxies.rel_child),
        Relationship::Sibling => t_string!(i18n, proxies.rel_sibling),
        Relationship::Other => t_string!(i18n, proxies.rel_other),
    }
}

fn access_name(i18n: I18n, a: ProxyAccess) -> &'static str {
    match a {
        ProxyAccess::View => t_string!(i18n, proxies.access_view),
        ProxyAccess::Manage => t_string!(i18n, proxies.access_manage),
    }
}

/// The message for a field of the form that was wrong.
fn field_problem(i18n: I18n, error: &ErrorKind, field: &str) -> Option<&'static str> {
    if error.field(field).is_empty() {
        return None;
    }
    Some(match field {
        "name" => t_string!(i18n, proxies.need_name),
        "relationship" => t_string!(i18n, proxies.need_relationship),
        "access" => t_string!(i18n, proxies.need_access),
        _ if error.field(field).iter().any(|m| m.contains("own address")) => {
            t_string!(i18n, proxies.own_address)
        }
        _ if matches!(error, ErrorKind::Conflict { .. }) => t_string!(i18n, proxies.exists),
        _ => t_string!(i18n, proxies.need_address),
    })
}

fn helping_item(i18n: I18n, a: ActingFor) -> impl IntoView {
    let who = format!(
        "{} · {}",
        a.first_name,
        relationship_name(i18n, a.relationship)
    );
    let end = format!("/portal/proxies/{}/end", a.id);
    let accept = format!("/portal/proxies/{}/accept", a.id);
    let open = t_string!(i18n, proxies.open, name = a.first_name.clone()).to_string();
    let pending = a.status == ProxyStatus::Pending;
    let patient_id = a.patient_id.to_string();
    view! {
        <li class="py-3" data-status=if pending { "pending" } else { "active" }>
            <span class="block font-semibold">{who}</span>
            <span class="block text-sm text-slate-600">{access_name(i18n, a.access)}</span>
            {if pending {
                view! {
                    <p class="mt-1">{t!(i18n, proxies.asked)}</p>
                    <div class="mt-2 flex flex-wrap gap-2">
                        <form method="post" action=accept>
                            <button type="submit" class="focus-ring min-h-11 rounded bg-teal-700 px-4 font-medium text-white">{t!(i18n, proxies.accept)}</button>
                        </form>
                        <form method="post" action=end.clone()>
                            <button type="submit" class="focus-ring min-h-11 rounded border border-slate-500 px-4 font-medium">{t!(i18n, proxies.decline)}</button>
                        </form>
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <div class="mt-2 flex flex-wrap gap-2">
                        <form method="post" action="/portal/act">
                            <input type="hidden" name="patient_id" value=patient_id />
                            <button type="submit" class="focus-ring min-h-11 rounded bg-teal-700 px-4 font-medium text-white">{open}</button>
                        </form>
                        <form method="post" action=end.clone()>
                            <button type="submit" class="focus-ring min-h-11 rounded border border-red-700 px-4 font-medium text-red-800">{t!(i18n, proxies.stop_helping)}</button>
                        </form>
                    </div>
                }
                .into_any()
            }}
        </li>
    }
}

fn helper_item(i18n: I18n, p: Proxy, may_end: bool) -> impl IntoView {
    let status = match (p.status, p.accepted_at, p.ended_at) {
        (ProxyStatus::Ended, _, Some(at)) => t_string!(
            i18n,
            proxies.status_ended,
            date = long_date(i18n, at.date_naive())
        )
        .to_string(),
        (ProxyStatus::Active, Some(at), _) => t_string!(
            i18n,
            proxies.status_active,
            date = long_date(i18n, at.date_naive())
        )
        .to_string(),
        _ => t_string!(i18n, proxies.status_pending).to_string(),
    };
    let by_staff = (p.added_by == ProxyParty::Staff).then(|| {
        t_string!(
            i18n,
            proxies.added_by_staff,
            hospital = p.hospital_name.clone().unwrap_or_default()
        )
        .to_string()
    });
    let live = p.status != ProxyStatus::Ended;
    let action = format!("/portal/proxies/{}/end", p.id);
    view! {
        <li class="py-3" data-status=format!("{:?}", p.status).to_lowercase()>
            <span class="block font-semibold">{format!("{} · {}", p.name, relationship_name(i18n, p.relationship))}</span>
            <span class="block text-sm text-slate-600">{format!("{} · {}", p.address, access_name(i18n, p.access))}</span>
            <span class="block text-sm">{status}</span>
            {by_staff.map(|t| view! { <span class="block text-sm text-slate-600">{t}</span> })}
            {(live && may_end).then(|| view! {
                <form method="post" action=action class="mt-2">
                    <button type="submit" class="focus-ring min-h-11 rounded border border-red-700 px-4 font-medium text-red-800">{t!(i18n, proxies.stop)}</button>
                </form>
            })}
        </li>
    }
}

fn add_form(i18n: I18n, outcome: FormOutcome) -> impl IntoView {
    let error = outcome.error.clone();
    let typed = |name: &str| outcome.values.get(name).cloned().unwrap_or_default();
    let problem = |field: &str| error.as_ref().and_then(|e| field_problem(i18n, e, field));
    let general = error
        .as_ref()
        .filter(|e| e.fields().is_empty())
        .map(|_| t_string!(i18n, portal.error));
    let chosen_relationship = typed("relationship");
    let chosen_access = Some(typed("access"))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "view".into());
    let address_problem = problem("phone").or(problem("email"));
    view! {
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{t!(i18n, proxies.add_title)}</h2>
            <p class="text-sm text-slate-600">{t!(i18n, proxies.add_explain)}</p>
            {general.map(|m| view! { <p role="alert" class="mt-2 text-red-800">{m}</p> })}
            <form method="post" action="/portal/proxies" class="mt-3 space-y-5">
                <div>
                    <label for="proxy-name" class="block font-medium">{t!(i18n, proxies.name)}</label>
                    <input id="proxy-name" name="name" value=typed("name") autocomplete="off" aria-invalid=problem("name").is_some().to_string()
                        class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 px-3 text-lg" />
                    {problem("name").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div>
                    <label for="proxy-relationship" class="block font-medium">{t!(i18n, proxies.relationship)}</label>
                    <select id="proxy-relationship" name="relationship" aria-invalid=problem("relationship").is_some().to_string()
                        class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 bg-white px-3 text-lg">
                        <option value="">{t!(i18n, proxies.choose_relationship)}</option>
                        {Relationship::ALL.into_iter().map(|r| {
                            let selected = r.as_str() == chosen_relationship;
                            view! { <option value=r.as_str() selected=selected>{relationship_name(i18n, r)}</option> }
                        }).collect_view()}
                    </select>
                    {problem("relationship").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div>
                    <label for="proxy-phone" class="block font-medium">{t!(i18n, proxies.phone)}</label>
                    <input id="proxy-phone" name="phone" type="tel" inputmode="tel" value=typed("phone") autocomplete="off"
                        aria-invalid=address_problem.is_some().to_string()
                        class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 px-3 text-lg" />
                    <label for="proxy-email" class="mt-3 block font-medium">{t!(i18n, proxies.email)}</label>
                    <input id="proxy-email" name="email" type="email" value=typed("email") autocomplete="off"
                        aria-invalid=address_problem.is_some().to_string()
                        class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 px-3 text-lg" />
                    {address_problem.map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <fieldset>
                    <legend class="font-medium">{t!(i18n, proxies.what_may)}</legend>
                    {problem("access").map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                    {ProxyAccess::ALL.into_iter().map(|a| {
                        let checked = a.as_str() == chosen_access;
                        view! {
                            <label class="flex min-h-11 items-center gap-3">
                                <input type="radio" name="access" value=a.as_str() checked=checked class="h-6 w-6 shrink-0" />
                                {access_name(i18n, a)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <PortalSubmit label=t_string!(i18n, proxies.add) />
            </form>
        </section>
    }
}

fn proxies_view(i18n: I18n, page: MyProxies, outcome: FormOutcome) -> impl IntoView {
    let helping = !page.acting_for.is_empty();
    let own = page.own_record.then(|| {
        view! {
            <form method="post" action="/portal/act" class="mt-3">
                <input type="hidden" name="patient_id" value="" />
                <button type="submit" class="focus-ring min-h-11 rounded border border-teal-700 px-4 font-medium text-teal-800">{t!(i18n, proxies.own_record)}</button>
            </form>
        }
    });
    let manages = page.acting_on.is_some() && page.may_manage;
    let current: Vec<Proxy> = page
        .proxies
        .iter()
        .filter(|p| p.status != ProxyStatus::Ended)
        .cloned()
        .collect();
    let past: Vec<Proxy> = page
        .proxies
        .iter()
        .filter(|p| p.status == ProxyStatus::Ended)
        .cloned()
        .collect();
    view! {
        <p class="mt-2">{t!(i18n, proxies.intro)}</p>
        {(helping || page.acting_on.is_none() || !page.own_record).then(|| view! {
            <section id="people-i-help" class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 class="text-lg font-semibold">{t!(i18n, proxies.helping_title)}</h2>
                {if helping {
                    view! { <ul class="divide-y divide-slate-200">{page.acting_for.into_iter().map(|a| helping_item(i18n, a)).collect_view()}</ul> }.into_any()
                } else {
                    view! { <p class="mt-2">{t!(i18n, proxies.helping_none)}</p> }.into_any()
                }}
                {own}
            </section>
        })}
        {manages.then(|| view! {
            <section id="my-helpers" class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 class="text-lg font-semibold">{t!(i18n, proxies.helpers_title)}</h2>
                {if current.is_empty() {
                    view! { <p class="mt-2">{t!(i18n, proxies.helpers_none)}</p> }.into_any()
                } else {
                    view! { <ul class="divide-y divide-slate-200">{current.into_iter().map(|p| helper_item(i18n, p, true)).collect_view()}</ul> }.into_any()
                }}
            </section>
            {add_form(i18n, outcome)}
            {(!past.is_empty()).then(|| view! {
                <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                    <h2 class="text-lg font-semibold">{t!(i18n, proxies.before)}</h2>
                    <ul class="divide-y divide-slate-200">{past.into_iter().map(|p| helper_item(i18n, p, false)).collect_view()}</ul>
                </section>
            })}
        })}
    }
}

/// `/portal/proxies`.
#[component]
pub fn ProxiesPage() -> impl IntoView {
    let i18n = use_i18n();
    let outcome = use_outcome();
    let query = use_query_map();
    let notice = match query.read_untracked().get("done").as_deref() {
        Some("added") => Some(t_string!(i18n, proxies.done_added)),
        Some("accepted") => Some(t_string!(i18n, proxies.done_accepted)),
        Some("ended") => Some(t_string!(i18n, proxies.done_ended)),
        _ => None,
    };
    let page = crate::resource::resource(|| (), |_| my_proxies_page());
    view! {
        <PortalShell title=t_string!(i18n, nav.proxies).to_string()>
            {notice.map(|n| view! { <p role="status" class="mt-3 rounded border border-teal-600 bg-teal-50 px-3 py-2">{n}</p> })}
            <Suspense fallback=loading>
                {move || page.get().map(|result| match result {
                    Ok(page) => proxies_view(i18n, page, outcome.clone()).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
