//! The chart's sharing panel: what the patient lets this hospital see of other hospitals'
//! records and until when, asking the patient with a code sent to their phone, recording a
//! signed consent form, revoking on the patient's instruction, and break-glass. Every action
//! is a plain form post (`/patients/{id}/...`) the server answers with a redirect or with the
//! chart and the error, so the panel works the same with and without JavaScript.

use hospitallink::domain::clinical::attachment::{Attachment, AttachmentKind};
use hospitallink::domain::clinical::category::DataCategory;
use hospitallink::domain::sharing::grant::{Grant, GrantStatus, Purpose};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;

use super::super::{BUTTON, INPUT};
use crate::pages::auth::FormOutcome;

/// The `form` values that mark which of the panel's forms an outcome belongs to.
pub const SHARING_FORM: &str = "sharing";
pub const CODE_FORM: &str = "consent-code";
pub const SIGNED_FORM: &str = "signed-consent";
pub const BREAK_GLASS_FORM: &str = "break-glass";

fn category_label(c: DataCategory) -> &'static str {
    match c {
        DataCategory::Demographics => "Contact details",
        DataCategory::HivStatus => "HIV status",
        DataCategory::Art => "ART (regimens, prescriptions, dispensing)",
        DataCategory::Labs => "Labs (viral load, CD4, other results)",
        DataCategory::ClinicalNotes => "Clinical notes (adherence, diagnoses, vitals, allergies)",
        DataCategory::Appointments => "Appointments",
        DataCategory::Billing => "Billing",
        DataCategory::Sensitive => "Sensitive (named only)",
    }
}

fn purpose_label(p: Purpose) -> &'static str {
    match p {
        Purpose::Treatment => "Treatment",
        Purpose::Referral => "Referral",
        Purpose::Transfer => "Transfer of care",
        Purpose::SecondOpinion => "Second opinion",
    }
}

fn status_label(s: GrantStatus) -> &'static str {
    match s {
        GrantStatus::Scheduled => "starts later",
        GrantStatus::Active => "active",
        GrantStatus::Expired => "expired",
        GrantStatus::Revoked => "revoked",
    }
}

/// Category checkboxes and the purpose and expiry fields, shared by both ways of asking;
/// `typed` holds what was sent when the form comes back with an error.
#[component]
fn Terms(prefix: &'static str, typed: BTreeMap<String, String>) -> impl IntoView {
    let chosen: Vec<String> = typed
        .get("categories")
        .map(|c| c.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let purpose = typed.get("purpose").cloned().unwrap_or_default();
    let expires = typed.get("expires_at").cloned().unwrap_or_default();
    view! {
        <fieldset class="sm:col-span-2">
            <legend class="text-sm font-medium text-slate-700">"What the patient shares"</legend>
            <div class="mt-1 grid gap-1 sm:grid-cols-2">
                {DataCategory::ALL.into_iter().map(|c| {
                    let id = format!("{prefix}-category-{}", c.as_str());
                    let for_id = id.clone();
                    view! {
                        <label for=for_id class="flex min-h-11 items-center gap-2">
                            <input id=id type="checkbox" name="categories" value=c.as_str() class="h-5 w-5" checked=chosen.iter().any(|x| x == c.as_str()) />
                            {category_label(c)}
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
        <div>
            <label for=format!("{prefix}-purpose") class="block text-sm font-medium text-slate-700">"Purpose"</label>
            <select id=format!("{prefix}-purpose") name="purpose" class=INPUT>
                {Purpose::ALL.into_iter().map(|p| view! { <option value=p.as_str() selected=purpose == p.as_str()>{purpose_label(p)}</option> }).collect_view()}
            </select>
        </div>
        <div>
            <label for=format!("{prefix}-expires") class="block text-sm font-medium text-slate-700">"Until (optional)"</label>
            <input id=format!("{prefix}-expires") name="expires_at" type="date" class=INPUT value=expires />
        </div>
    }
}

#[component]
pub(super) fn Sharing(
    id: uuid::Uuid,
    grants: Vec<Grant>,
    hospital_id: Option<uuid::Uuid>,
    may_record: bool,
    may_break_glass: bool,
    break_glass_open: bool,
    attachments: Option<Vec<Attachment>>,
    outcome: FormOutcome,
) -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    let pending = q
        .get("consent_request")
        .filter(|r| uuid::Uuid::parse_str(r).is_ok());
    let sent_by = q.get("sent_by").unwrap_or_default();
    let shared = q.get("shared").is_some();
    let revoked = q.get("revoked").is_some();
    drop(q);
    let form = outcome.values.get("form").cloned().unwrap_or_default();
    let typed_for = |name: &str| {
        if form == name {
            outcome.values.clone()
        } else {
            BTreeMap::new()
        }
    };
    let reason = typed_for(BREAK_GLASS_FORM)
        .get("reason")
        .cloned()
        .unwrap_or_default();
    let error_for = |name: &str| {
        outcome
            .error
            .as_ref()
            .filter(|_| form == name)
            .map(|e| e.explained())
    };
    let alert = |id: &'static str, message: Option<String>| {
        message.map(|m| view! { <p role="alert" id=id class="mt-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{m}</p> })
    };
    let list = if grants.is_empty() {
        view! { <p class="mt-2 text-slate-600" id="grant-rows">"The patient has not shared other hospitals' records with this hospital."</p> }.into_any()
    } else {
        view! {
            <ul class="mt-2 divide-y divide-slate-100" id="grant-rows">
                {grants.into_iter().map(|g| {
                    let live = matches!(g.status, GrantStatus::Active | GrantStatus::Scheduled);
                    let ours = Some(g.hospital_id) == hospital_id;
                    let what = g.categories.iter().map(|c| category_label(*c)).collect::<Vec<_>>().join(", ");
                    let until = g.expires_at
                        .map(|e| format!("until {}", hospitallink::domain::format_timestamp(e)))
                        .unwrap_or_else(|| "until revoked".into());
                    let how = match g.source {
                        hospitallink::domain::sharing::grant::GrantSource::Patient => "by the patient",
                        hospitallink::domain::sharing::grant::GrantSource::SignedForm => "signed form",
                        hospitallink::domain::sharing::grant::GrantSource::CodeConfirmed => "code confirmed",
                    };
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 py-2" data-grant=g.id.to_string()>
                            <div>
                                <p class="font-medium">{if ours { "This hospital sees: ".to_string() } else { format!("{} sees: ", g.hospital_name) }}{what}</p>
                                <p class="text-sm text-slate-600">{format!("{} · {} · {} · {}", purpose_label(g.purpose), until, how, status_label(g.status))}</p>
                            </div>
                            {(live && may_record).then(|| view! {
                                <form method="post" action=format!("/patients/{id}/grants/{}/revoke", g.id)>
                                    <button type="submit" class="focus-ring inline-flex min-h-11 items-center rounded border border-red-400 px-3 text-sm font-medium text-red-800">"Revoke"</button>
                                </form>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    let forms = may_record.then(|| {
        let code_form = pending.clone().map(|rid| view! {
            <form method="post" action=format!("/patients/{id}/consent-requests/{rid}/confirm") class="mt-4 grid gap-3 rounded border border-teal-300 bg-teal-50 p-3" id="consent-code-form">
                <p role="status" class="text-sm text-teal-900">{format!(
                    "A code went to the patient by {}. Ask them to read it to you; it works for 10 minutes.",
                    if sent_by == "email" { "email" } else { "SMS" }
                )}</p>
                <div>
                    <label for="consent-code" class="block text-sm font-medium text-slate-700">"Code the patient reads out"</label>
                    <input id="consent-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required=true class=INPUT />
                </div>
                <div><button type="submit" class=BUTTON id="consent-code-submit">"Confirm"</button></div>
            </form>
        });
        let signed_forms: Vec<Attachment> = attachments
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.kind == AttachmentKind::ConsentForm)
            .collect();
        let signed = (!signed_forms.is_empty()).then(|| view! {
            <details class="mt-4">
                <summary class="focus-ring inline-flex min-h-11 cursor-pointer items-center font-medium">"Record a signed consent form"</summary>
                <form method="post" action=format!("/patients/{id}/consent") class="mt-2 grid gap-3 sm:grid-cols-2" id="signed-consent-form">
                    <div class="sm:col-span-2">
                        <label for="signed-form" class="block text-sm font-medium text-slate-700">"Signed form"</label>
                        <select id="signed-form" name="consent_form_id" class=INPUT>
                            {signed_forms.into_iter().map(|a| view! { <option value=a.id.to_string()>{format!("{} · {}", a.filename, a.created_at.date_naive())}</option> }).collect_view()}
                        </select>
                    </div>
                    <Terms prefix="signed" typed=typed_for(SIGNED_FORM) />
                    <div class="sm:col-span-2"><button type="submit" class=BUTTON id="signed-consent-submit">"Record consent"</button></div>
                </form>
            </details>
        });
        view! {
            {alert("consent-code-error", error_for(CODE_FORM))}
            {code_form}
            <details class="mt-4" open=pending.is_none()>
                <summary class="focus-ring inline-flex min-h-11 cursor-pointer items-center font-medium">"Ask the patient to share (code by SMS)"</summary>
                <form method="post" action=format!("/patients/{id}/consent-requests") class="mt-2 grid gap-3 sm:grid-cols-2" id="consent-request-form">
                    <Terms prefix="ask" typed=typed_for(SHARING_FORM) />
                    <div class="sm:col-span-2"><button type="submit" class=BUTTON id="consent-request-submit">"Send the code"</button></div>
                </form>
            </details>
            {alert("signed-consent-error", error_for(SIGNED_FORM))}
            {signed}
        }
    });
    let break_glass = (may_break_glass && !break_glass_open).then(|| view! {
        {alert("break-glass-error", error_for(BREAK_GLASS_FORM))}
        <details class="mt-4 rounded border border-red-300 p-3">
            <summary class="focus-ring inline-flex min-h-11 cursor-pointer items-center font-semibold text-red-800">"Emergency access (break-glass)"</summary>
            <form method="post" action=format!("/patients/{id}/break-glass") class="mt-2 grid gap-3" id="break-glass-form">
                <p class="text-sm text-slate-700">"Opens every hospital's records of this patient to you for a few hours. The patient is told and your hospital admin reviews every read."</p>
                <div>
                    <label for="break-glass-reason" class="block text-sm font-medium text-slate-700">"Why the emergency needs the whole record"</label>
                    <textarea id="break-glass-reason" name="reason" rows="3" required=true minlength="20" maxlength="1000" class="focus-ring mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 text-base" prop:value=reason.clone()>{reason.clone()}</textarea>
                </div>
                <div><button type="submit" class="focus-ring inline-flex min-h-11 items-center justify-center rounded bg-red-700 px-4 font-medium text-white" id="break-glass-submit">"Open the record"</button></div>
            </form>
        </details>
    });
    view! {
        <section aria-labelledby="sharing-heading" class="rounded-lg border border-slate-200 bg-white p-5" id="sharing">
            <h2 id="sharing-heading" class="text-lg font-semibold">"Sharing"</h2>
            {shared.then(|| view! { <p role="status" id="shared" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Consent recorded: the shared records show now."</p> })}
            {revoked.then(|| view! { <p role="status" id="revoked" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Consent revoked."</p> })}
            {alert("sharing-error", error_for(SHARING_FORM))}
            {list}
            {forms}
            {break_glass}
        </section>
    }
}
