//! `/portal/access`: who looked at the record: when, which hospital and role (never a name),
//! what, and why; emergency (break-glass) access stands out with the reason given.

use hospitallink::domain::page::Page;
use hospitallink::domain::sharing::access::AccessLogEntry;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::records::category_name;
use super::words::long_date;
use super::words::I18n;
use super::{loading, PortalProblem, PortalShell};
use crate::i18n::*;
use crate::server_fns::portal::my_access_log;

fn role_name(i18n: I18n, role: Option<&str>) -> &'static str {
    match role {
        Some("clinician") => t_string!(i18n, roles.clinician),
        Some("lab_technician") => t_string!(i18n, roles.lab_technician),
        Some("pharmacist") => t_string!(i18n, roles.pharmacist),
        Some("receptionist") => t_string!(i18n, roles.receptionist),
        Some("billing_clerk") => t_string!(i18n, roles.billing_clerk),
        Some("hospital_admin") => t_string!(i18n, roles.hospital_admin),
        Some("platform_admin") => t_string!(i18n, roles.platform_admin),
        _ => t_string!(i18n, roles.staff),
    }
}

/// What was done, as one phrase: "Looked at your lab results".
fn what_done(i18n: I18n, e: &AccessLogEntry) -> &'static str {
    match (e.action.as_str(), e.what.as_str()) {
        ("break_glass", _) => t_string!(i18n, access.opened_emergency),
        ("login", "proxy") => t_string!(i18n, access.opened_record),
        ("export", _) => t_string!(i18n, access.exported),
        ("consent_grant", _) => t_string!(i18n, access.recorded_consent),
        ("consent_revoke", _) => t_string!(i18n, access.ended_sharing),
        ("create", _) => t_string!(i18n, access.added),
        ("update", _) => t_string!(i18n, access.changed),
        ("delete", _) => t_string!(i18n, access.removed),
        (_, "patient") => t_string!(i18n, access.read_details),
        (_, "patient_chart") => t_string!(i18n, access.read_chart),
        (_, "clinical_record") => t_string!(i18n, access.read_records),
        (_, "patient_summary") => t_string!(i18n, access.read_summary),
        (_, "attachment") => t_string!(i18n, access.read_documents),
        (_, "consent_grant" | "consent_request") => t_string!(i18n, access.read_sharing),
        _ => t_string!(i18n, access.read_record),
    }
}

fn entry_view(i18n: I18n, e: AccessLogEntry) -> impl IntoView {
    let who = if e.by_proxy {
        t_string!(i18n, roles.proxy).to_string()
    } else if e.by_system {
        format!(
            "{} · {}",
            t_string!(i18n, roles.system),
            e.hospital_name.clone().unwrap_or_default()
        )
    } else {
        format!(
            "{} · {}",
            role_name(i18n, e.role.as_deref()),
            e.hospital_name.clone().unwrap_or_default()
        )
    };
    let why = if e.by_proxy {
        t_string!(i18n, access.why_proxy)
    } else if e.break_glass {
        t_string!(i18n, access.why_emergency)
    } else if e.action == "export" {
        t_string!(i18n, access.why_export)
    } else {
        t_string!(i18n, access.why_care)
    };
    let reason = e
        .reason
        .clone()
        .map(|r| t_string!(i18n, access.reason, reason = r).to_string());
    let kinds = e
        .categories
        .iter()
        .map(|c| category_name(i18n, *c))
        .collect::<Vec<_>>()
        .join(", ");
    let class = if e.break_glass {
        "border-l-4 border-red-600 bg-red-50 px-3 py-2"
    } else {
        "px-3 py-2"
    };
    view! {
        <li class=class data-break-glass=e.break_glass.to_string()>
            <span class="block text-sm text-slate-600">{long_date(i18n, e.at.date_naive())}</span>
            <span class="block font-semibold">{who}</span>
            <span class="block">{what_done(i18n, &e)}</span>
            {(!kinds.is_empty()).then(|| view! { <span class="block text-sm">{kinds}</span> })}
            <span class="block text-sm">{why}</span>
            {reason.map(|r| view! { <span class="block text-sm font-medium text-red-800">{r}</span> })}
        </li>
    }
}

fn access_view(i18n: I18n, page: Page<AccessLogEntry>, number: u64) -> impl IntoView {
    let Page { data, pagination } = page;
    let empty = data.is_empty();
    view! {
        <p class="mt-2">{t!(i18n, access.intro)}</p>
        {empty.then(|| view! { <p class="mt-4">{t!(i18n, access.empty)}</p> })}
        <ul id="access-log" class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white shadow-sm">
            {data.into_iter().map(|e| entry_view(i18n, e)).collect_view()}
        </ul>
        <nav class="mt-4 flex justify-between" aria-label=t_string!(i18n, access.pages)>
            {pagination.has_prev.then(|| view! {
                <a class="focus-ring inline-flex min-h-11 items-center underline" href=format!("/portal/access?page={}", number - 1)>{t!(i18n, access.newer)}</a>
            })}
            {pagination.has_next.then(|| view! {
                <a class="focus-ring inline-flex min-h-11 items-center underline" href=format!("/portal/access?page={}", number + 1)>{t!(i18n, access.older)}</a>
            })}
        </nav>
    }
}

/// `/portal/access`.
#[component]
pub fn AccessPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let number = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let page = crate::resource::resource(number, my_access_log);
    view! {
        <PortalShell title=t_string!(i18n, nav.access).to_string()>
            <Suspense fallback=loading>
                {move || page.get().map(|result| match result {
                    Ok(page) => access_view(i18n, page, number()).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
