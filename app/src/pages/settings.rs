//! `/admin/settings`: the hospital's own settings, for its admins: how long a break-glass
//! opening lasts, the hospital's time zone, and the decision-support rule set (WHO or Kenya)
//! the flags, worklists and indicators follow. One plain form post; a refused value comes back
//! with the error and what was typed.

use hospitallink::domain::cds::RuleSet;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::StaffShell;
use crate::pages::auth::use_outcome;
use crate::pages::patients::Unavailable;
use crate::pages::scheduling::parts::Notice;
use crate::pages::scheduling::{BUTTON, INPUT};
use crate::server_fns::hospitals::load_hospital_settings;

#[component]
pub fn HospitalSettingsPage() -> impl IntoView {
    let outcome = use_outcome();
    let settings = crate::resource::resource(|| (), |_| load_hospital_settings());
    view! {
        <Title text="Hospital settings" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Hospital settings"</h1>
            <p class="text-slate-600">"How long a break-glass opening lasts, the hospital's clock, and the guideline the flags, worklists and indicators follow."</p>
            <Notice />
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || {
                    let outcome = outcome.clone();
                    settings.get().map(move |result| match result {
                        Err(e) => view! { <Unavailable error=e /> }.into_any(),
                        Ok(h) => {
                            let typed = |name: &str, value: String| {
                                outcome.values.get(name).cloned().unwrap_or(value)
                            };
                            let invalid = |name: &str| {
                                outcome
                                    .error
                                    .as_ref()
                                    .is_some_and(|e| !e.field(name).is_empty())
                                    .to_string()
                            };
                            let chosen = typed("rule_set", h.rule_set.clone());
                            view! {
                                <form method="post" action="/admin/settings" class="mt-4 max-w-2xl space-y-6 rounded-lg border border-slate-200 bg-white p-4">
                                    <p class="text-sm text-slate-600">{format!("{} ({})", h.name, h.code)}</p>
                                    <div>
                                        <label for="break_glass_minutes" class="block text-sm font-medium text-slate-700">"Break-glass opening, in minutes"</label>
                                        <input id="break_glass_minutes" name="break_glass_minutes" type="number" min="15" max="1440" required class=INPUT aria-invalid=invalid("break_glass_minutes") aria-describedby="break_glass_minutes-hint" value=typed("break_glass_minutes", h.break_glass_minutes.to_string()) />
                                        <p id="break_glass_minutes-hint" class="mt-1 text-sm text-slate-600">"From 15 minutes to 1440 (24 hours); every opening is reviewed."</p>
                                    </div>
                                    <div>
                                        <label for="timezone" class="block text-sm font-medium text-slate-700">"Time zone"</label>
                                        <input id="timezone" name="timezone" required class=INPUT aria-invalid=invalid("timezone") aria-describedby="timezone-hint" value=typed("timezone", h.timezone.clone()) />
                                        <p id="timezone-hint" class="mt-1 text-sm text-slate-600">"As the tz database names it, such as Africa/Nairobi: the schedule's days and the hour reminders go out."</p>
                                    </div>
                                    <fieldset>
                                        <legend class="text-sm font-medium text-slate-700">"Decision-support rule set"</legend>
                                        {RuleSet::all().into_iter().map(|r| {
                                            let id = format!("rule_set-{}", r.id);
                                            let checked = chosen == r.id;
                                            view! {
                                                <div class="mt-3 flex items-start gap-3">
                                                    <input type="radio" id=id.clone() name="rule_set" value=r.id.clone() checked=checked class="focus-ring mt-1 h-6 w-6" aria-describedby=format!("{id}-summary") />
                                                    <div>
                                                        <label for=id.clone() class="font-medium">{r.label()}</label>
                                                        <p id=format!("{id}-summary") class="text-sm text-slate-600">{r.summary()}</p>
                                                    </div>
                                                </div>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                    <button type="submit" class=BUTTON>"Save the settings"</button>
                                </form>
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </StaffShell>
    }
}
