//! Sign-in pages: staff password and second factor, TOTP enrolment, invitation acceptance, the
//! patient portal's code sign-in, and the development outbox. Every form is a plain POST the
//! server answers with a redirect or this page re-rendered with the error, so they work the
//! same with and without JavaScript.

use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::components::{StaffShell, TextField};
use crate::server_fns::auth::{invitation_preview, list_outbox, mfa_enrolment};

/// What the server hands back after a form post: what was typed (never a password or code),
/// the error, and recovery codes to show once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormOutcome {
    pub values: BTreeMap<String, String>,
    pub error: Option<ErrorKind>,
    pub recovery_codes: Vec<String>,
}

pub(crate) fn use_outcome() -> FormOutcome {
    crate::resource::shared(|| use_context::<FormOutcome>().unwrap_or_default())
}

pub(crate) fn typed(outcome: &FormOutcome, name: &str) -> RwSignal<String> {
    RwSignal::new(outcome.values.get(name).cloned().unwrap_or_default())
}

/// A centred card for sign-in forms.
#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <div class="mx-auto max-w-md px-4 py-10">
            <a href="/" class="focus-ring text-sm font-semibold uppercase tracking-widest text-teal-700">"HospitalLink"</a>
            <h1 class="mt-4 text-2xl font-bold">{title}</h1>
            <div class="mt-6 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">{children()}</div>
        </div>
    }
}

/// The error's message, when it is not only about fields shown next to them.
#[component]
fn FormError(error: Signal<Option<ErrorKind>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.fields().is_empty())
            .map(|e| {
                view! {
                    <p role="alert" class="mb-4 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
                        {e.message()}
                    </p>
                }
            })
    }
}

#[component]
fn Submit(label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="focus-ring min-h-11 w-full rounded bg-teal-700 px-4 font-medium text-white">
            {label}
        </button>
    }
}

/// `/login`: staff email and password.
#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let outcome = use_outcome();
    let query = use_query_map();
    let welcome = move || query.read().get("welcome").is_some();
    let email = typed(&outcome, "email");
    let password = RwSignal::new(String::new());
    let error = Signal::derive(move || outcome.error.clone());
    view! {
        <AuthCard title="Staff sign-in">
            <Show when=welcome>
                <p role="status" class="mb-4 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-sm text-teal-900">
                    "Your account is ready. Sign in with your email and new password."
                </p>
            </Show>
            <FormError error />
            <form method="post" action="/login" class="space-y-4">
                <TextField name="email" label="Email" value=email error kind="email" required=true autocomplete="username" />
                <TextField name="password" label="Password" value=password error kind="password" required=true autocomplete="current-password" />
                <Submit label="Sign in" />
            </form>
            <p class="mt-4 text-sm text-slate-600">
                "Patient? " <a class="focus-ring underline" href="/portal/login" rel="external">"Sign in to the patient portal"</a>
            </p>
        </AuthCard>
    }
}

/// `/login/mfa`: the second step.
#[component]
pub fn MfaStepPage() -> impl IntoView {
    let outcome = use_outcome();
    let code = RwSignal::new(String::new());
    let error = Signal::derive(move || outcome.error.clone());
    view! {
        <AuthCard title="Two-step sign-in">
            <FormError error />
            <form method="post" action="/login/mfa" class="space-y-4">
                <TextField name="code" label="Code" value=code error required=true autocomplete="one-time-code"
                    hint="The 6-digit code from your authenticator app, or one of your recovery codes" />
                <Submit label="Continue" />
            </form>
        </AuthCard>
    }
}

/// `/account/mfa`: TOTP enrolment with a QR code rendered on the server, then the recovery
/// codes, shown once.
#[component]
pub fn MfaEnrolPage() -> impl IntoView {
    let outcome = use_outcome();
    let error = Signal::derive({
        let e = outcome.error.clone();
        move || e.clone()
    });
    if !outcome.recovery_codes.is_empty() {
        let codes = outcome.recovery_codes.clone();
        return view! {
            <AuthCard title="Two-step sign-in is on">
                <p class="text-slate-700">
                    "Keep these recovery codes somewhere safe. Each works once, if you lose your phone. They are shown only now."
                </p>
                <ul id="recovery-codes" class="mt-4 grid grid-cols-2 gap-2 font-mono text-lg">
                    {codes.into_iter().map(|c| view! { <li class="rounded bg-slate-100 px-2 py-1">{c}</li> }).collect_view()}
                </ul>
                <a href="/hospitals" class="focus-ring mt-6 inline-flex min-h-11 w-full items-center justify-center rounded bg-teal-700 px-4 font-medium text-white">
                    "Continue"
                </a>
            </AuthCard>
        }
        .into_any();
    }
    let enrolment = crate::resource::resource(|| (), |_| mfa_enrolment());
    let code = RwSignal::new(String::new());
    view! {
        <AuthCard title="Set up two-step sign-in">
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || enrolment.get().map(|result| match result {
                    Err(e) => view! {
                        <p role="alert" class="text-red-800">{e.message()}</p>
                        <a class="focus-ring mt-3 inline-block underline" href="/login">"Sign in"</a>
                    }.into_any(),
                    Ok(None) => view! {
                        <p>"Two-step sign-in is already set up for your account."</p>
                        <a class="focus-ring mt-3 inline-block underline" href="/hospitals">"Continue"</a>
                    }.into_any(),
                    Ok(Some(e)) => view! {
                        <p class="text-slate-700">
                            "Your role needs a second step at sign-in. Scan this code with an authenticator app "
                            "(or type the key), then enter the 6-digit code it shows."
                        </p>
                        <div class="mx-auto mt-4 w-56" role="img" aria-label="QR code for your authenticator app" inner_html=e.qr_svg.clone()></div>
                        <p class="mt-3 text-sm text-slate-600">"Key: "
                            <code id="totp-secret" class="break-all font-mono text-slate-900">{e.secret.clone()}</code>
                        </p>
                        <div class="mt-4"><FormError error /></div>
                        <form method="post" action="/account/mfa" class="mt-2 space-y-4">
                            <TextField name="code" label="Code from the app" value=code error required=true autocomplete="one-time-code" />
                            <Submit label="Turn on two-step sign-in" />
                        </form>
                    }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
    .into_any()
}

/// `/invite/{token}`: set a password for an invited account.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let outcome = use_outcome();
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invitation = crate::resource::resource(token, invitation_preview);
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let error = Signal::derive(move || outcome.error.clone());
    view! {
        <AuthCard title="Welcome to HospitalLink">
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || invitation.get().map(|result| match result {
                    Err(e) => view! { <p role="alert" class="text-red-800">{e.message()}</p> }.into_any(),
                    Ok(i) => view! {
                        <p class="text-slate-700">
                            {format!("{}, choose a password for {} ({}).", i.display_name, i.email, i.role.as_str().replace('_', " "))}
                        </p>
                        <div class="mt-4"><FormError error /></div>
                        <form method="post" action=format!("/invite/{}", token()) class="mt-2 space-y-4">
                            <TextField name="password" label="New password" value=password error kind="password" required=true autocomplete="new-password"
                                hint="At least 12 characters. A long phrase is good; common passwords are refused." />
                            <TextField name="password_confirmation" label="Repeat the password" value=confirmation error kind="password" required=true autocomplete="new-password" />
                            <Submit label="Create my account" />
                        </form>
                    }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
}

/// `/admin/outbox`: messages kept when no SMTP/SMS is configured (development mode).
#[component]
pub fn OutboxPage() -> impl IntoView {
    let messages = crate::resource::resource(|| (), |_| list_outbox(1));
    view! {
        <Title text="Outbox" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Outbox"</h1>
            <p class="text-slate-600">"Messages this development server would send. Sign-in codes can be read here."</p>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || messages.get().map(|result| match result {
                    Err(e) => view! { <p role="alert" class="mt-4 text-red-800">{e.message()}</p> }.into_any(),
                    Ok(page) => view! {
                        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white">
                            <table class="min-w-full text-left text-sm">
                                <thead class="bg-slate-100"><tr>
                                    <th scope="col" class="px-3 py-2">"When"</th>
                                    <th scope="col" class="px-3 py-2">"To"</th>
                                    <th scope="col" class="px-3 py-2">"Message"</th>
                                    <th scope="col" class="px-3 py-2">"Status"</th>
                                </tr></thead>
                                <tbody id="outbox-rows">
                                    {page.data.into_iter().map(|m| view! {
                                        <tr class="border-t border-slate-100 align-top">
                                            <td class="px-3 py-2 whitespace-nowrap">{hospitallink::domain::format_timestamp(m.created_at)}</td>
                                            <td class="px-3 py-2">{format!("{} ({})", m.to, m.channel)}</td>
                                            <td class="px-3 py-2 whitespace-pre-wrap">
                                                {m.subject.map(|s| view! { <strong class="block">{s}</strong> })}
                                                {m.body}
                                            </td>
                                            <td class="px-3 py-2">{m.status}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                })}
            </Suspense>
        </StaffShell>
    }
}

/// `/admin/audit`: the audit log with filters (a GET form, so it works without JavaScript)
/// and a CSV export of the same selection.
#[component]
pub fn AuditPage() -> impl IntoView {
    use crate::server_fns::auth::list_audit;
    use hospitallink::domain::platform::audit::{AuditAction, AuditQuery};
    let query = use_query_map();
    let current = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        AuditQuery {
            patient_id: get("patient_id"),
            entity: get("entity"),
            entity_id: get("entity_id"),
            actor_id: get("actor_id"),
            action: get("action"),
            from: get("from"),
            to: get("to"),
            page: get("page"),
            per_page: None,
        }
    };
    let entries = crate::resource::resource(current, list_audit);
    let export_href = move || {
        let q = current();
        let pairs = [
            ("patient_id", q.patient_id),
            ("entity", q.entity),
            ("entity_id", q.entity_id),
            ("actor_id", q.actor_id),
            ("action", q.action),
            ("from", q.from),
            ("to", q.to),
        ];
        let query: Vec<String> = pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={}", crate::pages::encode_query_value(&v))))
            .collect();
        format!("/admin/audit.csv?{}", query.join("&"))
    };
    let field = move |name: &'static str, label: &'static str, hint: &'static str| {
        let value = query.read_untracked().get(name).unwrap_or_default();
        view! {
            <div>
                <label for=name class="block text-sm font-medium text-slate-700">{label}</label>
                <input id=name name=name value=value placeholder=hint
                    class="focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3" />
            </div>
        }
    };
    let selected_action = query.read_untracked().get("action").unwrap_or_default();
    view! {
        <Title text="Audit log" />
        <StaffShell>
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold">"Audit log"</h1>
                    <p class="text-slate-600">"Every access and change, newest first. Reading this page is recorded too."</p>
                </div>
                <a id="audit-export" href=export_href class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-4 font-medium">
                    "Export CSV"
                </a>
            </div>
            <form method="get" action="/admin/audit" class="mt-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4">
                {field("entity", "Entity", "e.g. hospital")}
                <div>
                    <label for="action" class="block text-sm font-medium text-slate-700">"Action"</label>
                    <select id="action" name="action" class="focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3">
                        <option value="">"Any"</option>
                        {AuditAction::ALL.into_iter().map(|a| {
                            let v = a.as_str();
                            view! { <option value=v selected=selected_action == v>{v.replace('_', " ")}</option> }
                        }).collect_view()}
                    </select>
                </div>
                {field("actor_id", "Staff member id", "UUID")}
                {field("patient_id", "Patient id", "UUID")}
                {field("from", "From", "2026-11-01T00:00:00Z")}
                {field("to", "Until", "2026-12-01T00:00:00Z")}
                <div class="flex items-end">
                    <button type="submit" class="focus-ring min-h-11 w-full rounded bg-slate-800 px-4 text-white">"Filter"</button>
                </div>
            </form>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || entries.get().map(|result| match result {
                    Err(e) => view! { <p role="alert" class="mt-4 text-red-800">{e.message()}</p> }.into_any(),
                    Ok(page) => view! {
                        <p class="mt-4 text-sm text-slate-600">{format!("{} entries", page.pagination.total)}</p>
                        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white">
                            <table class="min-w-full text-left text-sm">
                                <thead class="bg-slate-100"><tr>
                                    <th scope="col" class="px-3 py-2">"When"</th>
                                    <th scope="col" class="px-3 py-2">"Who"</th>
                                    <th scope="col" class="px-3 py-2">"Action"</th>
                                    <th scope="col" class="px-3 py-2">"What"</th>
                                    <th scope="col" class="px-3 py-2">"Outcome"</th>
                                </tr></thead>
                                <tbody id="audit-rows">
                                    {page.data.into_iter().map(|e| view! {
                                        <tr class="border-t border-slate-100 align-top">
                                            <td class="whitespace-nowrap px-3 py-2">{hospitallink::domain::format_timestamp(e.occurred_at)}</td>
                                            <td class="px-3 py-2">{format!("{} {}", e.actor_role.unwrap_or(e.actor_type), e.actor_id.map(|i| i.to_string()[..8].to_string()).unwrap_or_default())}</td>
                                            <td class="px-3 py-2">{e.action.replace('_', " ")}</td>
                                            <td class="px-3 py-2">{format!("{} {}", e.entity, e.entity_id.unwrap_or_default())}</td>
                                            <td class="px-3 py-2">{e.outcome}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                })}
            </Suspense>
        </StaffShell>
    }
}
