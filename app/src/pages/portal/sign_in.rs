//! The portal's code sign-in: the patient asks for a code by email or phone, then types it.
//! Plain form posts answered by a redirect or this page again with the error in the patient's
//! language.

use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_meta::Title;

use super::words::I18n;
use super::LanguagePicker;
use crate::i18n::*;
use crate::pages::auth::{typed, use_outcome};

/// The message for a sign-in error, in the reader's language.
fn sign_in_message(i18n: I18n, e: &ErrorKind) -> &'static str {
    let fields = e.fields();
    if e.status() == 429 {
        t_string!(i18n, login.too_many)
    } else if e.code() == "otp_not_requested" {
        t_string!(i18n, login.ask_first)
    } else if fields.contains_key("code") || e.status() == 401 {
        t_string!(i18n, login.code_wrong)
    } else if fields.contains_key("email") || fields.contains_key("phone") {
        t_string!(i18n, login.address_wrong)
    } else {
        t_string!(i18n, portal.error)
    }
}

/// A labelled input of the portal: large, with its hint and the page's error for it.
#[component]
pub fn PortalInput(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    /// The message when this field was wrong.
    #[prop(default = None)]
    error: Option<&'static str>,
) -> impl IntoView {
    let described = format!("{name}-hint {name}-error");
    view! {
        <div>
            <label for=name class="block font-medium">{label}</label>
            {hint.map(|h| view! { <p id=format!("{name}-hint") class="text-sm text-slate-600">{h}</p> })}
            <input
                id=name
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                aria-invalid=error.is_some().to_string()
                aria-describedby=described
                class="focus-ring mt-1 block min-h-12 w-full rounded border border-slate-400 bg-white px-3 text-lg aria-[invalid=true]:border-red-600"
            />
            {error.map(|m| view! { <p id=format!("{name}-error") role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
        </div>
    }
}

/// The portal's big button.
#[component]
pub fn PortalSubmit(label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="focus-ring min-h-12 w-full rounded bg-teal-700 px-4 text-lg font-medium text-white">
            {label}
        </button>
    }
}

/// The frame of the two sign-in pages.
#[component]
fn SignInCard(title: &'static str, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=format!("{title} · {}", t_string!(i18n, portal.title)) />
        <main id="main" class="mx-auto max-w-md px-4 py-6">
            <p class="text-sm font-semibold uppercase tracking-widest text-teal-700">{t!(i18n, portal.title)}</p>
            <h1 class="mt-2 text-2xl font-bold">{title}</h1>
            <div class="mt-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">{children()}</div>
            <div class="mt-6 text-sm"><LanguagePicker /></div>
        </main>
    }
}

/// `/portal/login`: a patient asks for a code by email or phone.
#[component]
pub fn PortalLoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let outcome = use_outcome();
    let email = typed(&outcome, "email").get_untracked();
    let phone = typed(&outcome, "phone").get_untracked();
    let problem = outcome.error.as_ref().map(|e| sign_in_message(i18n, e));
    view! {
        <SignInCard title=t_string!(i18n, login.title)>
            <p class="mb-4">{t!(i18n, login.intro)}</p>
            {problem.map(|m| view! { <p role="alert" class="mb-4 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">{m}</p> })}
            <form method="post" action="/portal/login" class="space-y-4">
                <PortalInput name="phone" label=t_string!(i18n, login.phone) kind="tel" value=phone
                    hint=t_string!(i18n, login.phone_hint) autocomplete="tel" inputmode="tel" />
                <p class="text-center text-slate-600">{t!(i18n, login.or)}</p>
                <PortalInput name="email" label=t_string!(i18n, login.email) kind="email" value=email autocomplete="email" />
                <PortalSubmit label=t_string!(i18n, login.send) />
            </form>
        </SignInCard>
    }
}

/// `/portal/login/code`: the code.
#[component]
pub fn PortalCodePage() -> impl IntoView {
    let i18n = use_i18n();
    let outcome = use_outcome();
    // A code that is not six digits is said at the field; anything else above the form.
    let malformed = outcome
        .error
        .as_ref()
        .is_some_and(|e| !e.field("code").is_empty());
    let code_problem = malformed.then(|| t_string!(i18n, login.code_format));
    let problem = outcome
        .error
        .as_ref()
        .filter(|_| !malformed)
        .map(|e| sign_in_message(i18n, e));
    view! {
        <SignInCard title=t_string!(i18n, login.code_title)>
            <p role="status" class="mb-4">{t!(i18n, login.code_sent)}</p>
            {problem.map(|m| view! { <p role="alert" class="mb-4 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">{m}</p> })}
            <form method="post" action="/portal/login/code" class="space-y-4">
                <PortalInput name="code" label=t_string!(i18n, login.code) autocomplete="one-time-code" inputmode="numeric"
                    error=code_problem />
                <PortalSubmit label=t_string!(i18n, login.sign_in) />
            </form>
            <p class="mt-4"><a class="focus-ring inline-flex min-h-11 items-center underline" href="/portal/login">{t!(i18n, login.new_code)}</a></p>
        </SignInCard>
    }
}
