//! The admins' notification pages, rendered by the server alone (plain links and form posts):
//! `/admin/messages`, every message's delivery (status, attempts, the last error; never its
//! text or address) with "send again" for dead letters; `/admin/templates`, the hospital's
//! wording of each message in each language, edited with a preview on sample values.

use hospitallink::domain::format_timestamp;
use hospitallink::domain::notifications::templates::{TemplateInput, TemplateView};
use hospitallink::domain::notifications::{Channel, Kind};
use hospitallink::domain::platform::outbox::STATUSES;
use hospitallink::domain::portal::Language;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::StaffShell;
use crate::pages::auth::use_outcome;
use crate::pages::patients::Unavailable;
use crate::server_fns::notifications::{load_deliveries, load_templates};

const SMALL_BUTTON: &str = "focus-ring inline-flex min-h-11 items-center rounded border border-slate-400 bg-white px-3 text-sm font-medium";
const INPUT: &str =
    "focus-ring mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 text-base";

/// How a message's purpose reads.
fn purpose_label(purpose: &str) -> String {
    match Kind::parse(purpose) {
        Some(k) => k.label().to_string(),
        None => match purpose {
            "otp" => "Sign-in code".into(),
            "invitation" => "Staff invitation".into(),
            "consent_code" => "Consent code".into(),
            "break_glass" => "Emergency access notice".into(),
            other => other.replace('_', " "),
        },
    }
}

#[component]
pub fn MessagesPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let done = move || query.read().get("done").is_some();
    let outcome = use_outcome();
    let list = crate::resource::resource(
        move || (status(), page()),
        |(status, page)| load_deliveries(status, page),
    );
    view! {
        <Title text="Messages" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Messages"</h1>
            <p class="text-slate-600">"Reminders and other messages, and how their delivery goes. The text and the address are never shown here."</p>
            {move || done().then(|| view! { <p role="status" id="done" class="mt-3 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">"Queued to be sent again."</p> })}
            {outcome.error.clone().map(|e| view! { <p role="alert" id="refused" class="mt-3 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-800">{e.explained()}</p> })}
            <nav aria-label="Filter messages" class="mt-3 flex flex-wrap gap-2 text-sm">
                {std::iter::once("").chain(STATUSES).map(|s| {
                    let current = s == status();
                    let label = match s { "" => "All", "failed" => "Failed (dead letters)", other => other };
                    view! {
                        <a href=if s.is_empty() { "/admin/messages".to_string() } else { format!("/admin/messages?status={s}") }
                            aria-current=current.then_some("page")
                            class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-3 aria-[current=page]:bg-teal-800 aria-[current=page]:text-white">
                            {label.to_string()}
                        </a>
                    }
                }).collect_view()}
            </nav>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Err(e) => view! { <Unavailable error=e /> }.into_any(),
                    Ok(page) => {
                        let p = page.pagination.clone();
                        let back = if status().is_empty() { "/admin/messages".to_string() } else { format!("/admin/messages?status={}", status()) };
                        view! {
                            <div class="mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white">
                                <table class="min-w-full text-left text-sm">
                                    <thead class="bg-slate-100">
                                        <tr>
                                            <th scope="col" class="px-3 py-2">"Queued"</th>
                                            <th scope="col" class="px-3 py-2">"What"</th>
                                            <th scope="col" class="px-3 py-2">"By"</th>
                                            <th scope="col" class="px-3 py-2">"Status"</th>
                                            <th scope="col" class="px-3 py-2">"Attempts"</th>
                                            <th scope="col" class="px-3 py-2">"Goes or went"</th>
                                            <th scope="col" class="px-3 py-2">"Last problem"</th>
                                            <th scope="col" class="px-3 py-2"><span class="sr-only">"Action"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody id="message-rows">
                                        {page.data.into_iter().map(|m| view! {
                                            <tr class="border-t border-slate-100" data-message=m.id.to_string()>
                                                <td class="px-3 py-2">{format_timestamp(m.created_at)}</td>
                                                <td class="px-3 py-2">{purpose_label(&m.purpose)}</td>
                                                <td class="px-3 py-2">{m.channel.to_uppercase()}</td>
                                                <td class="px-3 py-2" data-status=m.status.clone()>{m.status.clone()}</td>
                                                <td class="px-3 py-2">{m.attempts}</td>
                                                <td class="px-3 py-2">{format_timestamp(m.sent_at.unwrap_or(m.next_attempt_at))}</td>
                                                <td class="px-3 py-2">{m.last_error.clone().unwrap_or_default()}</td>
                                                <td class="px-3 py-2">
                                                    {(m.status == "failed").then(|| view! {
                                                        <form method="post" action=format!("/admin/messages/{}/retry", m.id)>
                                                            <input type="hidden" name="back" value=back.clone() />
                                                            <button type="submit" class=SMALL_BUTTON data-action="retry">"Send again"</button>
                                                        </form>
                                                    })}
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <p class="mt-2 text-sm text-slate-600" id="message-total">{format!("{} messages · page {}", p.total, p.page)}</p>
                        }.into_any()
                    }
                })}
            </Suspense>
        </StaffShell>
    }
}

/// The edit form's fields, kept when the server refuses them.
pub const TEMPLATE_FORM: &[&str] = &["kind", "language", "channel", "subject", "body"];

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let query = use_query_map();
    let outcome = use_outcome();
    let pick = {
        let outcome = outcome.clone();
        move |k: &str, default: &str| {
            outcome
                .values
                .get(k)
                .cloned()
                .or_else(|| query.read_untracked().get(k))
                .unwrap_or_else(|| default.to_string())
        }
    };
    let kind =
        Kind::parse(&pick("kind", "appointment_reminder")).unwrap_or(Kind::AppointmentReminder);
    let language = Language::parse(&pick("language", "en")).unwrap_or(Language::En);
    let channel = Channel::parse(&pick("channel", "sms")).unwrap_or(Channel::Sms);
    let saved = query.read_untracked().get("done").is_some();
    let typed = outcome.values.contains_key("body").then(|| TemplateInput {
        kind: Some(kind.as_str().into()),
        language: Some(language.as_str().into()),
        channel: Some(channel.as_str().into()),
        subject: outcome.values.get("subject").cloned(),
        body: outcome.values.get("body").cloned(),
    });
    let list = crate::resource::resource(|| (), |_| load_templates());
    view! {
        <Title text="Message wording" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Message wording"</h1>
            <p class="text-slate-600">"What patients receive, in each language. Anyone holding the phone may read it: say nothing of what the clinic treats, a medicine, a test or a result."</p>
            {saved.then(|| view! { <p role="status" id="done" class="mt-3 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">"Wording saved."</p> })}
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || {
                    let typed = typed.clone();
                    let outcome = outcome.clone();
                    list.get().map(move |result| match result {
                        Err(e) => view! { <Unavailable error=e /> }.into_any(),
                        Ok(all) => {
                            let current = all.iter().find(|t| t.kind == kind && t.language == language && t.channel == channel).cloned();
                            view! {
                                <TemplateList all=all.clone() kind language channel />
                                {current.map(|t| view! { <Editor current=t typed=typed.clone() error=outcome.error.clone() /> })}
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </StaffShell>
    }
}

#[component]
fn TemplateList(
    all: Vec<TemplateView>,
    kind: Kind,
    language: Language,
    channel: Channel,
) -> impl IntoView {
    view! {
        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full text-left text-sm">
                <thead class="bg-slate-100">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Message"</th>
                        {Language::ALL.into_iter().map(|l| view! { <th scope="col" class="px-3 py-2" lang=l.as_str()>{l.endonym()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {Kind::ALL.into_iter().flat_map(|k| Channel::ALL.into_iter().map(move |c| (k, c))).map(|(k, c)| view! {
                        <tr class="border-t border-slate-100">
                            <th scope="row" class="px-3 py-2 font-medium">{format!("{} · {}", k.label(), c.as_str().to_uppercase())}</th>
                            {Language::ALL.into_iter().map(|l| {
                                let custom = all.iter().any(|t| t.kind == k && t.language == l && t.channel == c && t.customised);
                                let here = k == kind && l == language && c == channel;
                                view! {
                                    <td class="px-3 py-2">
                                        <a class="focus-ring inline-flex min-h-11 items-center underline aria-[current=true]:font-bold" aria-current=here.to_string()
                                            href=format!("/admin/templates?kind={}&language={}&channel={}#editor", k.as_str(), l.as_str(), c.as_str())>
                                            {if custom { "Your own" } else { "Default" }}
                                        </a>
                                    </td>
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Editor(
    current: TemplateView,
    typed: Option<TemplateInput>,
    error: Option<hospitallink::domain::ErrorKind>,
) -> impl IntoView {
    // A preview of what was typed (the Preview button re-renders the page with it).
    let preview = typed.as_ref().map(|t| t.validate());
    let (subject, body) = match &typed {
        Some(t) => (t.subject.clone(), t.body.clone().unwrap_or_default()),
        None => (current.subject.clone(), current.body.clone()),
    };
    let (preview_subject, preview_body, problems) = match preview {
        Some(Ok(v)) => {
            let view = TemplateView::of(v.kind, v.language, v.channel, v.template, true);
            (view.preview_subject, view.preview_body, None)
        }
        Some(Err(e)) => (None, String::new(), Some(e.explained())),
        None => (
            current.preview_subject.clone(),
            current.preview_body.clone(),
            None,
        ),
    };
    let problems = problems.or(error.map(|e| e.explained()));
    let email = current.channel == Channel::Email;
    view! {
        <section id="editor" class="mt-6 max-w-3xl rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="editor-title">
            <h2 id="editor-title" class="text-lg font-semibold">{format!("{} · {} · {}", current.kind.label(), current.language.endonym(), current.channel.as_str().to_uppercase())}</h2>
            <p class="text-sm text-slate-600">"Placeholders: {{ first_name }}, {{ clinic }}, {{ date }}, {{ time }}."</p>
            {problems.map(|p| view! { <p role="alert" id="refused" class="mt-3 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-800">{p}</p> })}
            <form method="post" action="/admin/templates" class="mt-3 grid gap-3">
                <input type="hidden" name="kind" value=current.kind.as_str() />
                <input type="hidden" name="language" value=current.language.as_str() />
                <input type="hidden" name="channel" value=current.channel.as_str() />
                {email.then(|| view! {
                    <div>
                        <label for="subject" class="block text-sm font-medium text-slate-700">"Subject"</label>
                        <input id="subject" name="subject" class=INPUT value=subject.clone().unwrap_or_default() maxlength="120" />
                    </div>
                })}
                <div>
                    <label for="body" class="block text-sm font-medium text-slate-700">"Text"</label>
                    <textarea id="body" name="body" rows="4" class=INPUT lang=current.language.as_str()>{body}</textarea>
                </div>
                <div class="flex flex-wrap gap-2">
                    <button type="submit" name="action" value="preview" class=SMALL_BUTTON>"Preview"</button>
                    <button type="submit" name="action" value="save" class="focus-ring inline-flex min-h-11 items-center rounded bg-teal-700 px-4 font-medium text-white">"Save"</button>
                </div>
            </form>
            <h3 class="mt-4 text-sm font-semibold text-slate-700">"With sample values"</h3>
            <div class="mt-1 rounded border border-slate-200 bg-slate-50 p-3" id="preview" lang=current.language.as_str()>
                {preview_subject.map(|s| view! { <p class="font-medium">{s}</p> })}
                <p>{preview_body}</p>
            </div>
        </section>
    }
}
