//! `/portal/settings`: how reminders reach the patient (or not), quiet hours, the language;
//! the contact details their clinic holds, shown but changed only at a clinic.

use hospitallink::domain::portal::{Language, MyProfile, ReminderChannel};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::sign_in::PortalSubmit;
use super::words::I18n;
use super::{loading, PortalProblem, PortalShell};
use crate::i18n::*;
use crate::pages::auth::{use_outcome, FormOutcome};
use crate::server_fns::portal::my_profile_page;

fn problem(i18n: I18n, error: Option<&ErrorKind>, field: &str) -> Option<&'static str> {
    let e = error?;
    if e.field(field).is_empty() {
        return None;
    }
    Some(match field {
        "reminder_channel" => t_string!(i18n, settings.channel_unreachable),
        "language" => t_string!(i18n, portal.error),
        _ => t_string!(i18n, settings.quiet_wrong),
    })
}

fn settings_view(i18n: I18n, me: MyProfile, outcome: FormOutcome) -> impl IntoView {
    let error = outcome.error.as_ref();
    let typed = |name: &str| outcome.values.get(name).cloned();
    let prefs = &me.preferences;
    let channel =
        typed("reminder_channel").unwrap_or_else(|| prefs.reminder_channel.as_str().to_string());
    let hhmm = |t: Option<hospitallink::domain::portal::ClockTime>| {
        t.map(|t| t.to_string()).unwrap_or_default()
    };
    let quiet_from = typed("quiet_from").unwrap_or_else(|| hhmm(prefs.quiet_from));
    let quiet_until = typed("quiet_until").unwrap_or_else(|| hhmm(prefs.quiet_until));
    let language = typed("language").unwrap_or_else(|| {
        prefs
            .language
            .map(|l| l.as_str().to_string())
            .unwrap_or_default()
    });
    let channel_problem = problem(i18n, error, "reminder_channel");
    let quiet_problem = problem(i18n, error, "quiet_from").or(problem(i18n, error, "quiet_until"));
    let channels = [
        (ReminderChannel::Sms, t_string!(i18n, settings.by_sms)),
        (ReminderChannel::Email, t_string!(i18n, settings.by_email)),
        (
            ReminderChannel::None,
            t_string!(i18n, settings.no_reminders),
        ),
    ];
    let p = &me.patient;
    let dash = "—".to_string();
    view! {
        <form method="post" action="/portal/settings" class="mt-4 space-y-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <fieldset>
                <legend class="text-lg font-semibold">{t!(i18n, settings.reminders)}</legend>
                <p class="text-sm text-slate-600">{t!(i18n, settings.reminders_explain)}</p>
                {channel_problem.map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                {channels.into_iter().map(|(c, label)| view! {
                    <label class="flex min-h-11 items-center gap-3">
                        <input type="radio" name="reminder_channel" value=c.as_str() checked=channel == c.as_str() class="h-6 w-6 shrink-0" />
                        {label}
                    </label>
                }).collect_view()}
            </fieldset>
            <fieldset>
                <legend class="text-lg font-semibold">{t!(i18n, settings.quiet)}</legend>
                <p id="quiet-hint" class="text-sm text-slate-600">{t!(i18n, settings.quiet_explain)}</p>
                {quiet_problem.map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                <div class="mt-2 grid grid-cols-2 gap-3">
                    <label class="block">
                        <span class="block font-medium">{t!(i18n, settings.quiet_from)}</span>
                        <input type="time" name="quiet_from" value=quiet_from aria-describedby="quiet-hint"
                            class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 bg-white px-3 text-lg" />
                    </label>
                    <label class="block">
                        <span class="block font-medium">{t!(i18n, settings.quiet_until)}</span>
                        <input type="time" name="quiet_until" value=quiet_until aria-describedby="quiet-hint"
                            class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 bg-white px-3 text-lg" />
                    </label>
                </div>
            </fieldset>
            <fieldset>
                <legend class="text-lg font-semibold">{t!(i18n, portal.language)}</legend>
                <label class="flex min-h-11 items-center gap-3">
                    <input type="radio" name="language" value="" checked=language.is_empty() class="h-6 w-6 shrink-0" />
                    {t!(i18n, settings.browser_language)}
                </label>
                {Language::ALL.into_iter().map(|l| view! {
                    <label class="flex min-h-11 items-center gap-3" lang=l.as_str()>
                        <input type="radio" name="language" value=l.as_str() checked=language == l.as_str() class="h-6 w-6 shrink-0" />
                        {l.endonym()}
                    </label>
                }).collect_view()}
            </fieldset>
            <PortalSubmit label=t_string!(i18n, settings.save) />
        </form>
        <section class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 class="text-lg font-semibold">{t!(i18n, settings.contact)}</h2>
            <dl class="mt-2 space-y-1">
                <div><dt class="text-sm text-slate-600">{t!(i18n, login.phone)}</dt><dd>{p.phone.clone().unwrap_or(dash.clone())}</dd></div>
                <div><dt class="text-sm text-slate-600">{t!(i18n, login.email)}</dt><dd>{p.email.clone().unwrap_or(dash)}</dd></div>
            </dl>
            <p class="mt-2 text-sm text-slate-600">{t!(i18n, settings.contact_explain)}</p>
        </section>
    }
}

/// `/portal/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let outcome = use_outcome();
    let saved = use_query_map().read_untracked().get("saved").is_some();
    let me = crate::resource::resource(|| (), |_| my_profile_page());
    view! {
        <PortalShell title=t_string!(i18n, nav.settings).to_string()>
            {saved.then(|| view! { <p role="status" class="mt-3 rounded border border-teal-600 bg-teal-50 px-3 py-2">{t!(i18n, settings.saved)}</p> })}
            <Suspense fallback=loading>
                {move || me.get().map(|result| match result {
                    Ok(me) => settings_view(i18n, me, outcome.clone()).into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                })}
            </Suspense>
        </PortalShell>
    }
}
