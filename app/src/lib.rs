#![recursion_limit = "512"]
//! The HospitalLink user interface: one Leptos application rendered on the server and hydrated
//! in the browser. Pages call server functions; server functions call the domain core.

pub mod components;
pub mod pages;

// The translations (`locales/*.json`), compiled by `build.rs` into `crate::i18n`.
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod resource;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use pages::{
    auth::{AuditPage, InvitationPage, MfaEnrolPage, MfaStepPage, OutboxPage, StaffLoginPage},
    hospitals::HospitalsPage,
    landing::Landing,
    not_found::NotFound,
    patients::{ChartPage, NewPatientPage, PatientsPage},
};

/// Staff pages the server renders alone: links and plain form posts, nothing to hydrate.
pub const SERVER_ONLY: [&str; 10] = [
    "/schedule",
    "/worklists",
    "/dashboard",
    "/dashboard/patients",
    "/network",
    "/invoices",
    "/admin/messages",
    "/admin/templates",
    "/admin/fees",
    "/admin/settings",
];

/// Whether the request being rendered is a page the server renders alone: the patient portal,
/// and the staff pages of `SERVER_ONLY`.
fn serves_portal() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some_and(|parts| {
            let path = parts.uri.path();
            path == "/portal" || path.starts_with("/portal/") || SERVER_ONLY.contains(&path)
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// The HTML document around the app (server only). Portal pages load no script.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let hydrate = !serves_portal();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                {hydrate.then(|| view! { <HydrationScripts options /> })}
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set once the wasm has taken over the page; end-to-end tests wait for it.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/hospitallink.css" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Meta name="theme-color" content="#0f766e" />
        <Title formatter=|text: String| {
            if text.is_empty() { "HospitalLink".to_string() } else { format!("{text} · HospitalLink") }
        } />
        <div id="app" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=Landing />
                    <Route path=path!("/hospitals") view=HospitalsPage ssr=SsrMode::Async />
                    <Route path=path!("/patients") view=PatientsPage ssr=SsrMode::Async />
                    <Route path=path!("/patients/new") view=NewPatientPage ssr=SsrMode::Async />
                    <Route path=path!("/patients/:id") view=ChartPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=StaffLoginPage />
                    <Route path=path!("/login/mfa") view=MfaStepPage />
                    <Route path=path!("/account/mfa") view=MfaEnrolPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitationPage ssr=SsrMode::Async />
                    <PortalRoutes />
                    <Route path=path!("/admin/outbox") view=OutboxPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/break-glass") view=pages::break_glass::BreakGlassPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/clients") view=pages::clients::ClientsPage ssr=SsrMode::Async />
                    <Route path=path!("/schedule/book") view=pages::scheduling::BookPage ssr=SsrMode::Async />
                    <Route path=path!("/schedule") view=ScheduleRoute ssr=SsrMode::Async />
                    <Route path=path!("/invoices") view=InvoicesRoute ssr=SsrMode::Async />
                    <Route path=path!("/admin/messages") view=MessagesRoute ssr=SsrMode::Async />
                    <Route path=path!("/admin/templates") view=TemplatesRoute ssr=SsrMode::Async />
                    <Route path=path!("/admin/fees") view=FeesRoute ssr=SsrMode::Async />
                    <Route path=path!("/admin/settings") view=SettingsRoute ssr=SsrMode::Async />
                    <Route path=path!("/worklists") view=WorklistsRoute ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardRoute ssr=SsrMode::Async />
                    <Route path=path!("/dashboard/patients") view=IndicatorPatientsRoute ssr=SsrMode::Async />
                    <Route path=path!("/network") view=NetworkRoute ssr=SsrMode::Async />
                </Routes>
            </Router>
        </div>
    }
}

/// The patient portal's pages (the server renders them alone; see `pages::portal`).
#[cfg(feature = "ssr")]
#[component(transparent)]
fn PortalRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    use leptos_router::components::ParentRoute;
    use pages::portal;
    view! {
        <ParentRoute path=path!("/portal") view=portal::PortalRoot>
            <Route path=path!("") view=portal::PortalHome ssr=SsrMode::Async />
            <Route path=path!("/login") view=portal::PortalLoginPage />
            <Route path=path!("/login/code") view=portal::PortalCodePage />
            <Route path=path!("/records") view=portal::RecordsPage ssr=SsrMode::Async />
            <Route path=path!("/sharing") view=portal::SharingPage ssr=SsrMode::Async />
            <Route path=path!("/access") view=portal::AccessPage ssr=SsrMode::Async />
            <Route path=path!("/summary") view=portal::SummaryPage ssr=SsrMode::Async />
            <Route path=path!("/settings") view=portal::SettingsPage ssr=SsrMode::Async />
            <Route path=path!("/proxies") view=portal::ProxiesPage ssr=SsrMode::Async />
        </ParentRoute>
    }
    .into_inner()
}

/// The staff pages the server renders alone (`SERVER_ONLY`): in the browser, an address of
/// one is loaded whole from the server.
macro_rules! server_only_page {
    ($name:ident, $page:path) => {
        #[component]
        fn $name() -> impl IntoView {
            #[cfg(feature = "ssr")]
            {
                $page()
            }
            #[cfg(not(feature = "ssr"))]
            {
                pages::ServerOnly()
            }
        }
    };
}

server_only_page!(ScheduleRoute, pages::scheduling::SchedulePage);
server_only_page!(InvoicesRoute, pages::scheduling::InvoicesPage);
server_only_page!(MessagesRoute, pages::notifications::MessagesPage);
server_only_page!(TemplatesRoute, pages::notifications::TemplatesPage);
server_only_page!(FeesRoute, pages::scheduling::FeesPage);
server_only_page!(SettingsRoute, pages::settings::HospitalSettingsPage);
server_only_page!(WorklistsRoute, pages::worklists::WorklistsPage);
server_only_page!(DashboardRoute, pages::dashboard::DashboardPage);
server_only_page!(
    IndicatorPatientsRoute,
    pages::dashboard::IndicatorPatientsPage
);
server_only_page!(NetworkRoute, pages::dashboard::NetworkPage);

/// In the browser, a portal address is loaded whole from the server.
#[cfg(not(feature = "ssr"))]
#[component(transparent)]
fn PortalRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! { <Route path=path!("/portal/*any") view=pages::ServerOnly /> }.into_inner()
}
