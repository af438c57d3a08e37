//! `/schedule`: one provider's day or week on the hospital's clock. A free slot is a link to
//! book it; each visit carries the front desk's buttons (check in, did not attend, cancel) and
//! the clinician's (complete), each a plain form post, so the page works without JavaScript.

use hospitallink::domain::scheduling::appointment::AppointmentStatus;
use hospitallink::domain::scheduling::schedule::{clock, day_label, Day, Schedule, Span, Visit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::parts::{status_class, ActionButton, Notice};
use super::{BUTTON, INPUT};
use crate::components::StaffShell;
use crate::pages::patients::Unavailable;
use crate::server_fns::scheduling::load_schedule;

/// The schedule's address for a provider, a day and a span.
pub fn schedule_href(provider: Option<uuid::Uuid>, day: chrono::NaiveDate, span: Span) -> String {
    let provider = provider.map(|p| p.to_string()).unwrap_or_default();
    format!(
        "/schedule?provider={provider}&day={day}&span={}",
        span.as_str()
    )
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let data = crate::resource::resource(
        move || (get("provider"), get("day"), get("span")),
        |(provider, day, span)| load_schedule(provider, day, span),
    );
    view! {
        <Title text="Schedule" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Schedule"</h1>
            <Notice />
            <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading the schedule…"</p> }>
                {move || data.get().map(|result| match result {
                    Err(e) => view! { <Unavailable error=e /> }.into_any(),
                    Ok(s) => view! { <ScheduleView s /> }.into_any(),
                })}
            </Transition>
        </StaffShell>
    }
}

#[component]
fn ScheduleView(s: Schedule) -> impl IntoView {
    let provider = s.provider.as_ref().map(|p| p.id);
    let (prev, next) = s.span.step(s.day);
    let here = schedule_href(provider, s.day, s.span);
    let other_span = match s.span {
        Span::Day => Span::Week,
        Span::Week => Span::Day,
    };
    let title = match (&s.provider, s.span) {
        (None, _) => "No clinician at this hospital yet".to_string(),
        (Some(p), Span::Day) => format!("{} · {}", p.name, day_label(s.day)),
        (Some(p), Span::Week) => format!(
            "{} · week of {}",
            p.name,
            day_label(s.days.first().map(|d| d.date).unwrap_or(s.day))
        ),
    };
    let week = s.span == Span::Week;
    let visits = StoredValue::new(s.visits.clone());
    let (may_book, may_complete) = (s.may_book, s.may_complete);
    let days = s.days.clone();
    view! {
        <form method="get" action="/schedule" class="mt-4 flex flex-wrap items-end gap-3">
            <div>
                <label for="provider" class="block text-sm font-medium text-slate-700">"Clinician"</label>
                <select id="provider" name="provider" class=INPUT>
                    {s.providers.iter().map(|p| view! {
                        <option value=p.id.to_string() selected=Some(p.id) == provider>{p.name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="day" class="block text-sm font-medium text-slate-700">"Day"</label>
                <input id="day" name="day" type="date" value=s.day.to_string() class=INPUT />
            </div>
            <input type="hidden" name="span" value=s.span.as_str() />
            <button type="submit" class=BUTTON>"Show"</button>
        </form>
        <nav aria-label="Dates" class="mt-3 flex flex-wrap items-center gap-2 text-sm">
            <a class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-3" href=schedule_href(provider, prev, s.span)>{if week { "← Previous week" } else { "← Previous day" }}</a>
            <a class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-3" href=schedule_href(provider, s.today, s.span)>"Today"</a>
            <a class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-3" href=schedule_href(provider, next, s.span)>{if week { "Next week →" } else { "Next day →" }}</a>
            <a class="focus-ring inline-flex min-h-11 items-center rounded px-3 underline" id="span-switch" href=schedule_href(provider, s.day, other_span)>
                {if week { "Day view" } else { "Week view" }}
            </a>
        </nav>
        <h2 class="mt-4 text-xl font-semibold" id="schedule-title">{title}</h2>
        <p class="text-sm text-slate-600">{format!("Times are the hospital's ({}).", s.timezone)}</p>
        {s.provider.is_some().then(|| if week {
            view! {
                <div class="mt-3 grid grid-cols-7 gap-1 text-xs" id="week-grid">
                    {days.into_iter().map(|d| view! { <WeekDay d visits provider=provider.unwrap_or_default() may_book back=here.clone() /> }).collect_view()}
                </div>
            }.into_any()
        } else {
            view! {
                <ol class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" id="day-slots">
                    {days.into_iter().flat_map(|d| d.slots).map(|slot| {
                        let starting: Vec<Visit> = slot.starting.iter().map(|i| visits.with_value(|v| v[*i].clone())).collect();
                        let free = !slot.held && !slot.past && may_book;
                        let book = format!(
                            "/schedule/book?provider={}&date={}&time={}",
                            provider.unwrap_or_default(), slot.start.date(), clock(slot.start)
                        );
                        view! {
                            <li class="flex min-h-14 gap-3 px-3 py-2" data-slot=clock(slot.start)>
                                <span class="w-14 shrink-0 pt-2 font-mono text-sm text-slate-600">{clock(slot.start)}</span>
                                <div class="flex flex-1 flex-col gap-2">
                                    {starting.into_iter().map(|v| view! { <VisitCard v may_book may_complete back=here.clone() /> }).collect_view()}
                                    {free.then(|| view! {
                                        <a href=book class="focus-ring inline-flex min-h-11 items-center self-start rounded border border-dashed border-teal-600 px-3 text-sm text-teal-800" data-free="">
                                            {format!("Book {}", clock(slot.start))}
                                        </a>
                                    })}
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        })}
    }
}

/// One day of the week view: its visits and its free slots, compact.
#[component]
fn WeekDay(
    d: Day,
    visits: StoredValue<Vec<Visit>>,
    provider: uuid::Uuid,
    may_book: bool,
    back: String,
) -> impl IntoView {
    view! {
        <section class="min-w-0 rounded border border-slate-200 bg-white p-1" data-day=d.date.to_string()>
            <h3 class="px-1 py-1 text-sm font-semibold">
                <a class="focus-ring underline" href=schedule_href(Some(provider), d.date, Span::Day)>{day_label(d.date)}</a>
            </h3>
            <ul class="space-y-1">
                {d.slots.into_iter().map(|slot| {
                    let starting: Vec<Visit> = slot.starting.iter().map(|i| visits.with_value(|v| v[*i].clone())).collect();
                    let free = !slot.held && !slot.past && may_book && starting.is_empty();
                    let book = format!("/schedule/book?provider={provider}&date={}&time={}", slot.start.date(), clock(slot.start));
                    view! {
                        {starting.into_iter().map(|v| {
                            let a = &v.appointment;
                            view! {
                                <li class=format!("rounded border px-1 py-1 {}", status_class(a.status)) data-visit=a.appointment_id.to_string()>
                                    <a class="focus-ring block min-h-11" href=format!("{back}#visit-{}", a.appointment_id)>
                                        <span class="font-mono">{clock(v.local_start)}</span>
                                        " "
                                        <span class="font-medium">{a.patient_name.clone().unwrap_or_else(|| "Patient".into())}</span>
                                        <span class="block">{a.status.label()}</span>
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                        {free.then(|| view! {
                            <li>
                                <a href=book class="focus-ring flex min-h-11 items-center justify-center rounded border border-dashed border-teal-600 text-teal-800" data-free="" aria-label=format!("Book {} {}", day_label(slot.start.date()), clock(slot.start))>
                                    {clock(slot.start)}
                                </a>
                            </li>
                        })}
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// A visit in the day view, with what may be done with it now.
#[component]
fn VisitCard(v: Visit, may_book: bool, may_complete: bool, back: String) -> impl IntoView {
    use AppointmentStatus::*;
    let a = v.appointment.clone();
    let id = a.appointment_id;
    let mut actions: Vec<(&'static str, &'static str)> = Vec::new();
    if may_book {
        match a.status {
            Scheduled => {
                actions.push(("checked_in", "Check in"));
                actions.push(("no_show", "Did not attend"));
                actions.push(("cancelled", "Cancel"));
            }
            CheckedIn => actions.push(("scheduled", "Undo check-in")),
            NoShow => actions.push(("checked_in", "Arrived late: check in")),
            _ => {}
        }
    }
    if may_complete && matches!(a.status, Scheduled | CheckedIn) {
        actions.insert(0, ("completed", "Complete visit"));
    }
    view! {
        <article id=format!("visit-{id}") class=format!("rounded border px-3 py-2 {}", status_class(a.status)) data-visit=id.to_string()>
            <p class="font-medium">
                <a class="focus-ring underline" href=format!("/patients/{}", a.patient_id)>{a.patient_name.clone().unwrap_or_else(|| "Patient".into())}</a>
                {format!(" · {}–{} · {}", clock(v.local_start), clock(v.local_end), a.visit_type.label())}
            </p>
            <p class="text-sm" data-status=a.status.as_str()>{a.status.label()}</p>
            {a.reason.clone().map(|r| view! { <p class="text-sm text-slate-700">{r}</p> })}
            <div class="mt-2 flex flex-wrap gap-2">
                {actions.into_iter().map(|(status, label)| view! {
                    <ActionButton action=format!("/appointments/{id}/status") status label back=back.clone() />
                }).collect_view()}
            </div>
        </article>
    }
}
