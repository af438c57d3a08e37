//! The chart's guardians panel: the family members and guardians who act for the patient in
//! the portal (as the patient or staff added them), ending one, and for a minor adding a
//! guardian with the signed consent form from the documents. Plain form posts
//! (`/patients/{id}/guardians`), as the sharing panel.

use hospitallink::domain::clinical::attachment::{Attachment, AttachmentKind};
use hospitallink::domain::proxies::{Proxy, ProxyAccess, ProxyParty, ProxyStatus, Relationship};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::super::{BUTTON, INPUT};
use crate::pages::auth::FormOutcome;

/// The `form` value that marks an outcome of this panel.
pub const GUARDIAN_FORM: &str = "guardian";

fn relationship_label(r: Relationship) -> &'static str {
    match r {
        Relationship::Parent => "Parent",
        Relationship::Guardian => "Guardian",
        Relationship::Partner => "Partner",
        Relationship::Child => "Child",
        Relationship::Sibling => "Sibling",
        Relationship::Other => "Other",
    }
}

fn describe(p: &Proxy) -> String {
    let access = match p.access {
        ProxyAccess::View => "sees the record",
        ProxyAccess::Manage => "sees and manages the record",
    };
    let status = match p.status {
        ProxyStatus::Pending => "waiting for them to accept".to_string(),
        ProxyStatus::Active => "active".to_string(),
        ProxyStatus::Ended => format!(
            "ended {}",
            p.ended_at
                .map(|e| e.date_naive().to_string())
                .unwrap_or_default()
        ),
    };
    let by = match p.added_by {
        ProxyParty::Staff => format!(
            "added by {} with a signed form",
            p.hospital_name.clone().unwrap_or_else(|| "staff".into())
        ),
        ProxyParty::Patient => "added by the patient".into(),
        ProxyParty::Proxy => "added by a guardian".into(),
    };
    format!("{} · {access} · {status} · {by}", p.address)
}

#[component]
pub(super) fn Guardians(
    id: uuid::Uuid,
    /// The patient is under 18: staff may add a guardian.
    minor: bool,
    guardians: Vec<Proxy>,
    attachments: Option<Vec<Attachment>>,
    outcome: FormOutcome,
) -> impl IntoView {
    let done = use_query_map().read_untracked().get("guardian");
    let mine = outcome.values.get("form").map(String::as_str) == Some(GUARDIAN_FORM);
    let typed = |name: &str| {
        mine.then(|| outcome.values.get(name).cloned())
            .flatten()
            .unwrap_or_default()
    };
    let error = outcome
        .error
        .as_ref()
        .filter(|_| mine)
        .map(|e| e.explained());
    let forms: Vec<Attachment> = attachments
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.kind == AttachmentKind::ConsentForm)
        .collect();
    let list = if guardians.is_empty() {
        view! { <p class="mt-2 text-slate-600" id="guardian-rows">"Nobody acts for the patient in the portal."</p> }.into_any()
    } else {
        view! {
            <ul class="mt-2 divide-y divide-slate-100" id="guardian-rows">
                {guardians.into_iter().map(|g| {
                    let live = g.status != ProxyStatus::Ended;
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 py-2" data-guardian=g.id.to_string()>
                            <div>
                                <p class="font-medium">{format!("{} · {}", g.name, relationship_label(g.relationship))}</p>
                                <p class="text-sm text-slate-600">{describe(&g)}</p>
                            </div>
                            {live.then(|| view! {
                                <form method="post" action=format!("/patients/{id}/guardians/{}/end", g.id)>
                                    <button type="submit" class="focus-ring inline-flex min-h-11 items-center rounded border border-red-400 px-3 text-sm font-medium text-red-800">"End access"</button>
                                </form>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let relationship = typed("relationship");
    let add = match (minor, forms.is_empty()) {
        (false, _) => None,
        (true, true) => Some(view! {
            <p class="mt-3 text-sm text-slate-600" id="guardian-needs-form">"To add a guardian, upload the signed consent form under Documents first."</p>
        }.into_any()),
        (true, false) => Some(view! {
            <details class="mt-4" open=error.is_some()>
                <summary class="focus-ring inline-flex min-h-11 cursor-pointer items-center font-medium">"Add a guardian (signed consent form)"</summary>
                <form method="post" action=format!("/patients/{id}/guardians") class="mt-2 grid gap-3 sm:grid-cols-2" id="guardian-form">
                    <div>
                        <label for="guardian-name" class="block text-sm font-medium text-slate-700">"Guardian's name"</label>
                        <input id="guardian-name" name="name" required=true maxlength="80" class=INPUT value=typed("name") />
                    </div>
                    <div>
                        <label for="guardian-relationship" class="block text-sm font-medium text-slate-700">"Relationship to the patient"</label>
                        <select id="guardian-relationship" name="relationship" class=INPUT>
                            {[Relationship::Parent, Relationship::Guardian, Relationship::Sibling, Relationship::Other].into_iter().map(|r| view! {
                                <option value=r.as_str() selected=relationship == r.as_str()>{relationship_label(r)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div>
                        <label for="guardian-phone" class="block text-sm font-medium text-slate-700">"Their phone (for their sign-in code)"</label>
                        <input id="guardian-phone" name="phone" type="tel" class=INPUT value=typed("phone") />
                    </div>
                    <div>
                        <label for="guardian-email" class="block text-sm font-medium text-slate-700">"Or their email"</label>
                        <input id="guardian-email" name="email" type="email" class=INPUT value=typed("email") />
                    </div>
                    <div class="sm:col-span-2">
                        <label for="guardian-consent" class="block text-sm font-medium text-slate-700">"Signed consent form"</label>
                        <select id="guardian-consent" name="consent_form_id" class=INPUT>
                            {forms.into_iter().map(|a| view! { <option value=a.id.to_string()>{format!("{} · {}", a.filename, a.created_at.date_naive())}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="sm:col-span-2"><button type="submit" class=BUTTON id="guardian-submit">"Add guardian"</button></div>
                </form>
            </details>
        }.into_any()),
    };
    view! {
        <section aria-labelledby="guardians-heading" class="rounded-lg border border-slate-200 bg-white p-5" id="guardians">
            <h2 id="guardians-heading" class="text-lg font-semibold">"Guardians and proxies"</h2>
            {match done.as_deref() {
                Some("added") => Some(view! { <p role="status" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Guardian added: they can sign in to the portal with a code."</p> }),
                Some("ended") => Some(view! { <p role="status" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Access ended."</p> }),
                _ => None,
            }}
            {error.map(|m| view! { <p role="alert" id="guardian-error" class="mt-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{m}</p> })}
            {list}
            {add}
        </section>
    }
}
