//! The patient portal, built for a basic phone: one column readable at 320 px, large touch
//! targets, every action a plain form post (it all works without JavaScript), and every word
//! from the translations (`locales/`), in the patient's language. Its title is discreet ("My
//! health"): nothing on the first screen says what the clinic treats.
//!
//! - `sign_in`: the code sign-in.
//! - `home`: the last test in plain words, the treatment, the next visit.
//! - `records`: by category and hospital, with the viral-load and CD4 charts.
//! - `sharing`: grant a hospital a category until a date, revoke, past grants.
//! - `access`: who looked at the record.
//! - `summary`: the printable summary and the FHIR download.
//! - `settings`: reminders, quiet hours, language.
//! - `proxies`: family and helpers: whom I help, who helps me.

mod access;
mod home;
mod proxies;
mod records;
mod settings;
mod sharing;
mod sign_in;
mod summary;
pub mod words;

pub use access::AccessPage;
pub use home::PortalHome;
pub use proxies::ProxiesPage;
pub use records::RecordsPage;
pub use settings::SettingsPage;
pub use sharing::SharingPage;
pub use sign_in::{PortalCodePage, PortalLoginPage};
pub use summary::SummaryPage;

use hospitallink::domain::portal::Language;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::i18n::*;
use crate::server_fns::portal::portal_who;
use hospitallink::domain::proxies::PortalWho;
use words::I18n;

/// The cookie that remembers the portal's language on a browser (set by the server's language
/// and settings forms, and at sign-in from the patient's preferences).
pub const LANGUAGE_COOKIE: &str = "i18n_pref_locale";

/// The languages to render a portal page in, best first, as an `Accept-Language` value: the one
/// chosen on this browser (its cookie), then the browser's own.
#[cfg(feature = "ssr")]
pub fn requested_languages(parts: &http::request::Parts) -> String {
    let chosen = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANGUAGE_COOKIE)
        .and_then(|(_, value)| Language::parse(value).filter(|l| l.as_str() == value));
    let browser = parts
        .headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match chosen {
        Some(l) if browser.is_empty() => l.as_str().to_string(),
        Some(l) => format!("{}, {browser}", l.as_str()),
        None => browser.to_string(),
    }
}

/// Every portal route: the translations' context around them. The server picks the language
/// (`requested_languages`) and writes it on `<html lang>`, which the browser reads back.
#[component]
pub fn PortalRoot() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let languages =
        leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(|| {
            use_context::<http::request::Parts>().map(|parts| requested_languages(&parts))
        });
    #[cfg(not(feature = "ssr"))]
    let languages = leptos_i18n::context::UseLocalesOptions::default();
    view! {
        <I18nContextProvider ssr_lang_header_getter=languages>
            <Outlet />
        </I18nContextProvider>
    }
}

/// The language picker: one button per language, each a plain form post that remembers the
/// choice (a cookie; for a signed-in patient, their preferences too).
#[component]
pub fn LanguagePicker() -> impl IntoView {
    let i18n = use_i18n();
    let here = use_location().pathname.get_untracked();
    let current = i18n.get_locale_untracked().as_str();
    view! {
        <form method="post" action="/portal/language" class="flex flex-wrap items-center gap-1" aria-label=t_string!(i18n, portal.language)>
            <input type="hidden" name="back" value=here />
            {Language::ALL
                .into_iter()
                .map(|l| {
                    let pressed = (l.as_str() == current).to_string();
                    view! {
                        <button
                            type="submit"
                            name="language"
                            value=l.as_str()
                            lang=l.as_str()
                            aria-pressed=pressed
                            class="focus-ring min-h-11 rounded px-2 text-sm underline-offset-4 hover:underline aria-[pressed=true]:font-bold aria-[pressed=true]:underline"
                        >
                            {l.endonym()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}

/// The sections the sign-in may use: reading the record open, managing it, and always the
/// family page (where a proxy chooses whose record to open).
fn sections(i18n: I18n, who: &PortalWho) -> Vec<(&'static str, &'static str)> {
    let mut nav = Vec::new();
    if who.reads {
        nav.push(("/portal", t_string!(i18n, nav.home)));
        nav.push(("/portal/records", t_string!(i18n, nav.records)));
    }
    if who.manages {
        nav.push(("/portal/sharing", t_string!(i18n, nav.sharing)));
    }
    if who.reads {
        nav.push(("/portal/access", t_string!(i18n, nav.access)));
        nav.push(("/portal/summary", t_string!(i18n, nav.summary)));
    }
    if who.manages {
        nav.push(("/portal/settings", t_string!(i18n, nav.settings)));
    }
    nav.push(("/portal/proxies", t_string!(i18n, nav.proxies)));
    nav
}

/// A portal page: the discreet title bar, whose record is open, the sections, the page, the
/// language picker.
#[component]
pub fn PortalShell(
    /// The page's heading (also the document title).
    title: String,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let here = use_location().pathname.get_untracked();
    let who = crate::resource::resource(|| (), |_| portal_who());
    let brand = t_string!(i18n, portal.title);
    view! {
        <leptos_meta::Title text=format!("{title} · {brand}") />
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-4 focus:py-2">
            {t!(i18n, portal.skip)}
        </a>
        <header class="bg-teal-800 text-white print:hidden">
            <div class="mx-auto flex max-w-2xl flex-wrap items-center justify-between gap-2 px-3 py-2">
                <a href="/portal" class="focus-ring inline-flex min-h-11 items-center rounded text-lg font-semibold">{brand}</a>
                <form method="post" action="/logout">
                    <button type="submit" class="focus-ring min-h-11 rounded border border-teal-300 px-3 text-sm">{t!(i18n, nav.sign_out)}</button>
                </form>
            </div>
            <Suspense fallback=|| ()>
                {move || who.get().map(|who| {
                    let who = who.unwrap_or_default();
                    let banner = who.acting_for.clone().map(|name| view! {
                        <p id="acting-for" class="mx-auto max-w-2xl bg-amber-100 px-4 py-2 text-slate-900">
                            {t!(i18n, proxies.acting_banner, name = name)}" "
                            <a href="/portal/proxies" class="focus-ring inline-flex min-h-11 items-center font-semibold underline">{t!(i18n, proxies.switch)}</a>
                        </p>
                    });
                    let nav = sections(i18n, &who);
                    view! {
            {banner}
            <nav aria-label=t_string!(i18n, portal.sections) class="mx-auto max-w-2xl px-2 pb-2">
                <ul class="grid grid-cols-2 gap-1 min-[480px]:grid-cols-3">
                    {nav
                        .into_iter()
                        .map(|(href, label)| {
                            let current = (href == here).then_some("page");
                            view! {
                                <li>
                                    <a href=href aria-current=current class="focus-ring flex min-h-11 items-center rounded px-3 text-sm font-medium hover:bg-teal-700 aria-[current=page]:bg-teal-950">
                                        {label}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
                    }
                })}
            </Suspense>
        </header>
        <main id="main" class="mx-auto max-w-2xl px-4 py-5">
            <h1 class="text-2xl font-bold">{title}</h1>
            {children()}
        </main>
        <footer class="mx-auto max-w-2xl border-t border-slate-200 px-4 py-4 text-sm text-slate-600 print:hidden">
            <LanguagePicker />
            <p class="mt-2">{t!(i18n, portal.timeout)}</p>
        </footer>
    }
}

/// What a portal page shows when its data could not be read: signed out (with the way back
/// in), or the error.
#[component]
pub fn PortalProblem(error: ErrorKind) -> impl IntoView {
    let i18n = use_i18n();
    if error.status() == 403 {
        // Signed in, but this section is not open to them (a proxy who may only view, or who
        // has not chosen whose record to open).
        view! {
            <p class="mt-4">{t!(i18n, portal.not_open)}</p>
            <p class="mt-3">
                <a class="focus-ring inline-flex min-h-11 items-center rounded bg-teal-700 px-4 font-medium text-white" href="/portal/proxies">
                    {t!(i18n, nav.proxies)}
                </a>
            </p>
        }
        .into_any()
    } else if error.status() == 401 {
        view! {
            <p class="mt-4">{t!(i18n, portal.signed_out)}</p>
            <p class="mt-3">
                <a class="focus-ring inline-flex min-h-11 items-center rounded bg-teal-700 px-4 font-medium text-white" href="/portal/login">
                    {t!(i18n, portal.sign_in)}
                </a>
            </p>
        }
        .into_any()
    } else {
        view! { <p role="alert" class="mt-4 text-red-800">{t!(i18n, portal.error)}</p> }.into_any()
    }
}

/// The loading line of a portal page.
pub fn loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="mt-4 text-slate-500">{t!(i18n, portal.loading)}</p> }
}
