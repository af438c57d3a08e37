//! `/schedule/book`: the booking form a free slot (or a chart) opens. The clinician's day is
//! loaded with it, so once hydrated the form says which visits the chosen time would overlap
//! before it is sent; the server decides either way (409 re-renders the form with what was
//! typed and the visit in the way).

use hospitallink::domain::scheduling::appointment::VisitType;
use hospitallink::domain::scheduling::schedule::{
    clashes, clock, day_label, local_moment, LENGTHS,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{BUTTON, INPUT};
use crate::components::{FieldErrorsFor, StaffShell};
use crate::pages::auth::use_outcome;
use crate::server_fns::scheduling::{booking_patient, load_schedule};

/// The booking form's fields, kept when the server refuses it.
pub const BOOK_FORM: &[&str] = &[
    "patient_id",
    "mrn",
    "provider_id",
    "date",
    "time",
    "minutes",
    "visit_type",
    "reason",
    "notes",
];

#[component]
pub fn BookPage() -> impl IntoView {
    let query = use_query_map();
    let outcome = use_outcome();
    let typed = |field: &str, from_query: &str| {
        outcome
            .values
            .get(field)
            .cloned()
            .or_else(|| query.read_untracked().get(from_query))
            .unwrap_or_default()
    };
    let provider = RwSignal::new(typed("provider_id", "provider"));
    let date = RwSignal::new(typed("date", "date"));
    let time = RwSignal::new(typed("time", "time"));
    let minutes = RwSignal::new(
        outcome
            .values
            .get("minutes")
            .cloned()
            .unwrap_or_else(|| "30".into()),
    );
    let visit_type = typed("visit_type", "visit_type");
    let patient_id = typed("patient_id", "patient");
    let mrn = typed("mrn", "mrn");
    let reason = typed("reason", "reason");
    let notes = typed("notes", "notes");
    let error = {
        let e = outcome.error.clone();
        Signal::derive(move || e.clone())
    };
    let day = crate::resource::resource(
        move || (provider.get(), date.get()),
        |(p, d)| load_schedule(p, d, "day".into()),
    );
    let patient = crate::resource::resource(
        {
            let id = patient_id.clone();
            move || id.clone()
        },
        |id| async move {
            if id.is_empty() {
                Ok(None)
            } else {
                booking_patient(id).await.map(Some)
            }
        },
    );
    let refusal = outcome.error.clone().map(|e| e.explained());
    view! {
        <Title text="Book a visit" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Book a visit"</h1>
            {refusal.map(|m| view! { <p role="alert" id="refused" class="mt-3 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-800">{m}</p> })}
            <form method="post" action="/schedule/book" class="mt-4 grid max-w-2xl gap-4 rounded-lg border border-slate-200 bg-white p-4" id="book-form">
                {if patient_id.is_empty() {
                    view! {
                        <div>
                            <label for="mrn" class="block text-sm font-medium text-slate-700">"Patient's record number (MRN)"<span class="text-red-700" aria-hidden="true">" *"</span></label>
                            <input id="mrn" name="mrn" required value=mrn class=INPUT aria-describedby="mrn-error" autocomplete="off" />
                            <FieldErrorsFor error name="mrn" />
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div>
                            <input type="hidden" name="patient_id" value=patient_id.clone() />
                            <p class="text-sm font-medium text-slate-700">"Patient"</p>
                            <Transition fallback=|| view! { <p>"…"</p> }>
                                {move || patient.get().map(|p| match p {
                                    Ok(Some(label)) => view! { <p class="text-lg" id="booking-patient">{label}</p> }.into_any(),
                                    _ => view! { <p role="alert" class="text-red-800">"This patient cannot be booked here."</p> }.into_any(),
                                })}
                            </Transition>
                        </div>
                    }.into_any()
                }}
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="provider_id" class="block text-sm font-medium text-slate-700">"Clinician"</label>
                        <Transition fallback=|| view! { <p>"…"</p> }>
                            {move || day.get().map(|d| {
                                let providers = d.map(|s| s.providers).unwrap_or_default();
                                let chosen = provider.get_untracked();
                                view! {
                                    <select id="provider_id" name="provider_id" class=INPUT on:change=move |ev| provider.set(event_target_value(&ev))>
                                        {providers.into_iter().map(|p| {
                                            let id = p.id.to_string();
                                            let selected = id == chosen;
                                            view! { <option value=id selected=selected>{p.name}</option> }
                                        }).collect_view()}
                                    </select>
                                }
                            })}
                        </Transition>
                        <FieldErrorsFor error name="provider_id" />
                    </div>
                    <div>
                        <label for="visit_type" class="block text-sm font-medium text-slate-700">"Kind of visit"</label>
                        <select id="visit_type" name="visit_type" class=INPUT>
                            {VisitType::ALL.into_iter().map(|v| {
                                let selected = v.as_str() == visit_type || (visit_type.is_empty() && v == VisitType::default());
                                view! { <option value=v.as_str() selected=selected>{v.label()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div>
                        <label for="date" class="block text-sm font-medium text-slate-700">"Day"<span class="text-red-700" aria-hidden="true">" *"</span></label>
                        <input id="date" name="date" type="date" required class=INPUT value=date.get_untracked() bind:value=date aria-describedby="date-error" />
                        <FieldErrorsFor error name="date" />
                    </div>
                    <div>
                        <label for="time" class="block text-sm font-medium text-slate-700">"Time (hospital's clock)"<span class="text-red-700" aria-hidden="true">" *"</span></label>
                        <input id="time" name="time" type="time" step="300" required class=INPUT value=time.get_untracked() bind:value=time aria-describedby="time-error" />
                        <FieldErrorsFor error name="time" />
                    </div>
                    <div>
                        <label for="minutes" class="block text-sm font-medium text-slate-700">"Length"</label>
                        <select id="minutes" name="minutes" class=INPUT on:change=move |ev| minutes.set(event_target_value(&ev))>
                            {LENGTHS.into_iter().map(|m| {
                                let selected = m.to_string() == minutes.get_untracked();
                                view! { <option value=m.to_string() selected=selected>{format!("{m} minutes")}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                <Clashes day date time minutes />
                <div>
                    <label for="reason" class="block text-sm font-medium text-slate-700">"Reason (optional)"</label>
                    <input id="reason" name="reason" maxlength="200" value=reason class=INPUT aria-describedby="reason-error" />
                    <FieldErrorsFor error name="reason" />
                </div>
                <div>
                    <label for="notes" class="block text-sm font-medium text-slate-700">"Notes (optional)"</label>
                    <textarea id="notes" name="notes" maxlength="2000" rows="3" class="focus-ring mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 text-base">{notes}</textarea>
                </div>
                <div class="flex gap-3">
                    <button type="submit" class=BUTTON>"Book"</button>
                    <a href="/schedule" class="focus-ring inline-flex min-h-11 items-center px-3 underline">"Back to the schedule"</a>
                </div>
            </form>
        </StaffShell>
    }
}

/// The visits the chosen time would overlap, said before the form is sent.
#[component]
fn Clashes(
    day: Resource<
        Result<
            hospitallink::domain::scheduling::schedule::Schedule,
            hospitallink::domain::ErrorKind,
        >,
        crate::resource::Json,
    >,
    date: RwSignal<String>,
    time: RwSignal<String>,
    minutes: RwSignal<String>,
) -> impl IntoView {
    let found = move || {
        let schedule = day.get()?.ok()?;
        let start = local_moment(&date.get(), &time.get())?;
        let length = minutes.get().parse::<i64>().ok()?;
        let end = start + chrono::Duration::minutes(length);
        let lines: Vec<String> = clashes(&schedule.visits, start, end)
            .into_iter()
            .map(|v| {
                format!(
                    "{} {}–{} {} ({})",
                    day_label(v.local_start.date()),
                    clock(v.local_start),
                    clock(v.local_end),
                    v.appointment.patient_name.clone().unwrap_or_default(),
                    v.appointment.status.label()
                )
            })
            .collect();
        (!lines.is_empty()).then_some(lines)
    };
    view! {
        <div aria-live="polite" id="clashes">
            <Transition fallback=|| ()>
                {move || found().map(|lines| view! {
                    <div role="alert" class="rounded border border-amber-400 bg-amber-50 px-4 py-3 text-amber-900">
                        <p class="font-medium">"This time overlaps the clinician's:"</p>
                        <ul class="list-inside list-disc">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    </div>
                })}
            </Transition>
        </div>
    }
}
