use hospitallink::domain::identity::auth::Me;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::server_fns::auth::current_user;

/// The sign-out button (a plain form post, so it works without JavaScript).
#[component]
pub fn SignOut(#[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <form method="post" action="/logout" class="inline">
            <button type="submit" class=format!("focus-ring inline-flex min-h-11 items-center rounded px-3 text-sm {class}")>
                "Sign out"
            </button>
        </form>
    }
}

/// Staff layout: a top bar with the brand and navigation that wraps on a phone and sits in one
/// row on a tablet; content below in a readable column.
#[component]
pub fn StaffShell(children: Children) -> impl IntoView {
    let nav = [
        ("/patients", "Patients"),
        ("/worklists", "Worklists"),
        ("/dashboard", "Dashboard"),
        ("/network", "Network"),
        ("/schedule", "Schedule"),
        ("/invoices", "Billing"),
        ("/hospitals", "Hospitals"),
        ("/admin/audit", "Audit log"),
        ("/admin/break-glass", "Break-glass review"),
        ("/admin/messages", "Messages"),
        ("/admin/templates", "Message wording"),
        ("/admin/fees", "Visit fees"),
        ("/admin/settings", "Hospital settings"),
        ("/admin/clients", "Integration clients"),
        ("/api/docs", "API"),
    ];
    let me = crate::resource::resource(|| (), |_| current_user());
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-4 focus:py-2">
            "Skip to content"
        </a>
        <header class="bg-teal-800 text-white shadow">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
                <A href="/" attr:class="focus-ring rounded text-lg font-semibold tracking-tight">
                    "HospitalLink"
                </A>
                <nav aria-label="Main" class="flex flex-1 flex-wrap gap-1">
                    {nav
                        .into_iter()
                        .map(|(href, label)| {
                            view! {
                                <a
                                    href=href
                                    class="focus-ring inline-flex min-h-11 items-center rounded px-3 text-sm font-medium hover:bg-teal-700 aria-[current=page]:bg-teal-900"
                                >
                                    {label}
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
                <Transition fallback=|| ()>
                    {move || me.get().map(|who| match who {
                        Ok(Some(Me::Staff { display_name, role, .. })) => view! {
                            <span class="text-sm" id="signed-in-as">{format!("{display_name} · {}", role.as_str().replace('_', " "))}</span>
                            <SignOut class="border border-teal-300" />
                        }.into_any(),
                        Ok(Some(Me::Patient { .. } | Me::Proxy { .. })) => view! { <SignOut class="border border-teal-300" /> }.into_any(),
                        _ => view! {
                            <a href="/login" class="focus-ring inline-flex min-h-11 items-center rounded border border-teal-300 px-3 text-sm">
                                "Staff sign-in"
                            </a>
                        }.into_any(),
                    })}
                </Transition>
            </div>
        </header>
        <main id="main" class="mx-auto max-w-6xl px-4 py-6">
            {children()}
        </main>
    }
}
