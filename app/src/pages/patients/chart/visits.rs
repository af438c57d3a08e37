//! The chart's visits: the patient's appointments the viewer may see (upcoming first, then the
//! latest past ones), each with its hospital's time, and a link to book one from the schedule.

use hospitallink::domain::scheduling::appointment::Appointment;
use hospitallink::domain::scheduling::schedule::{clock, day_label};
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub(super) fn Visits(
    id: Uuid,
    visits: Vec<Appointment>,
    today: chrono::NaiveDate,
    may_book: bool,
    hospital_id: Option<Uuid>,
) -> impl IntoView {
    let (mut upcoming, past): (Vec<Appointment>, Vec<Appointment>) =
        visits.into_iter().partition(|a| {
            a.local_start.date() >= today && a.status.holds_time() && a.completed_at.is_none()
        });
    upcoming.reverse();
    let line = move |a: &Appointment| {
        let at = format!(
            "{} {}–{}",
            day_label(a.local_start.date()),
            clock(a.local_start),
            clock(a.local_end)
        );
        let elsewhere = Some(a.hospital_id) != hospital_id;
        view! {
            <li class="flex flex-wrap justify-between gap-2 px-3 py-2" data-visit=a.appointment_id.to_string()>
                <span>
                    <span class="font-medium">{at}</span>
                    {format!(" · {} · {}", a.visit_type.label(), a.provider_name)}
                    {elsewhere.then(|| view! { <span class="text-slate-500">" · another hospital"</span> })}
                </span>
                <span class="text-sm" data-status=a.status.as_str()>{a.status.label()}</span>
            </li>
        }
    };
    let list = move |items: Vec<Appointment>, empty: &'static str, list_id: &'static str| {
        if items.is_empty() {
            view! { <p class="px-3 py-2 text-slate-600" id=list_id>{empty}</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-100" id=list_id>
                    {items.iter().map(line).collect_view()}
                </ul>
            }
            .into_any()
        }
    };
    view! {
        <section id="visits" aria-labelledby="visits-title" class="rounded-lg border border-slate-200 bg-white">
            <div class="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-3 py-2">
                <h2 id="visits-title" class="text-lg font-semibold">"Visits"</h2>
                {may_book.then(|| view! {
                    <a class="focus-ring inline-flex min-h-11 items-center rounded bg-teal-700 px-4 font-medium text-white" href=format!("/schedule/book?patient={id}") id="book-visit">"Book a visit"</a>
                })}
            </div>
            <h3 class="px-3 pt-2 text-sm font-semibold text-slate-700">"Coming"</h3>
            {list(upcoming, "No visit booked.", "visits-upcoming")}
            <h3 class="px-3 pt-2 text-sm font-semibold text-slate-700">"Earlier"</h3>
            {list(past.into_iter().take(10).collect(), "No earlier visit.", "visits-past")}
        </section>
    }
}
