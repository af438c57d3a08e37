//! The clinician's patient pages: search (`/patients`), registration (`/patients/new`) and
//! the chart (`/patients/:id`).
//!
//! Search filters as you type once hydrated and is a GET form without JavaScript. Registration
//! and the upload are plain POSTs the server answers with a redirect, or with this page
//! re-rendered with the errors and what was typed. The chart's quick-entry forms are the same
//! plain POSTs without JavaScript; hydrated, they save through a server function, show the
//! entry at once in the records table ("Saving…"), keep what was typed on an error and reload
//! only the chart's data on success.

use chrono::NaiveDate;
use hospitallink::domain::attachment::{format_size, Attachment, AttachmentKind};
use hospitallink::domain::patient::{age_on, PatientListItem, SEXES};
use hospitallink::domain::record::{
    format_number, qualitative_label, ChartRow, ChartView, RecordType, VlInterpretation, VlResult,
};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::trend::{Scale, TrendChart};
use crate::components::{StaffShell, TextField};
use crate::pages::auth::{typed, use_outcome, FormOutcome};
use crate::pages::encode_query_value;
use crate::server_fns::patients::{patient_chart, search_patients, AddRecord};

const INPUT: &str = "focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3 text-base aria-[invalid=true]:border-red-600";
const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center justify-center rounded bg-teal-700 px-4 font-medium text-white";

/// Sets the response status during server rendering.
fn set_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(_status) {
            response.set_status(code);
        }
    }
}

/// What a refused or missing patient looks like: the same words for "absent" and "not
/// linked to your hospital", so existence does not leak.
#[component]
fn Unavailable(error: ErrorKind) -> impl IntoView {
    set_status(error.status());
    let (title, text) = match error.status() {
        401 => (
            "Sign in to continue",
            "Patient pages need a staff sign-in.".to_string(),
        ),
        403 => (
            "Not available to your role",
            "Your role does not give access to this part of the patient record.".to_string(),
        ),
        404 => (
            "Patient not found",
            "No patient with this link is registered at your hospital.".to_string(),
        ),
        _ => ("Something went wrong", error.message()),
    };
    view! {
        <div class="mx-auto max-w-lg py-10 text-center" id="unavailable">
            <h1 class="text-2xl font-bold">{title}</h1>
            <p class="mt-3 text-slate-600">{text}</p>
            <a href=if error.status() == 401 { "/login" } else { "/patients" } class=format!("{BUTTON} mt-6")>
                {if error.status() == 401 { "Sign in" } else { "Find a patient" }}
            </a>
        </div>
    }
}

#[component]
pub fn PatientsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let filter = RwSignal::new(q());
    let results = crate::resource::resource(
        move || (filter.get(), page()),
        |(q, page)| search_patients(q, page),
    );
    view! {
        <Title text="Patients" />
        <StaffShell>
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold">"Patients"</h1>
                    <p class="text-slate-600">"Find by name, MRN, phone (+country code) or email."</p>
                </div>
                <a href="/patients/new" class=BUTTON id="register-patient">"Register a patient"</a>
            </div>
            <form method="get" action="/patients" role="search" class="mt-4 flex gap-2" on:submit=move |ev| {
                // Hydrated, the results already follow the box.
                ev.prevent_default();
            }>
                <label for="patient-q" class="sr-only">"Search patients"</label>
                <input
                    id="patient-q"
                    name="q"
                    type="search"
                    autocomplete="off"
                    placeholder="e.g. Amina, KSM-0000012, +254700100001"
                    class="focus-ring min-h-12 w-full max-w-xl rounded border border-slate-300 bg-white px-4 text-lg"
                    value=filter.get_untracked()
                    bind:value=filter
                />
                <button type="submit" class="focus-ring min-h-12 rounded bg-slate-800 px-5 text-white">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"Searching…"</p> }>
                {move || results.get().map(|result| match result {
                    Err(e) if e.status() == 401 || e.status() == 403 => view! { <Unavailable error=e /> }.into_any(),
                    Err(e) => view! { <p role="alert" class="mt-6 text-red-700">{e.message()}</p> }.into_any(),
                    Ok(found) => {
                        let p = found.pagination.clone();
                        let link = move |n: u64| format!("/patients?q={}&page={n}", encode_query_value(&filter.get_untracked()));
                        view! {
                            <PatientTable rows=found.data />
                            <nav aria-label="Pages" class="mt-3 flex items-center gap-4 text-sm text-slate-600">
                                <span id="patient-total">{format!("{} found · page {}", p.total, p.page)}</span>
                                {p.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page - 1)>"Previous"</a> })}
                                {p.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page + 1)>"Next"</a> })}
                            </nav>
                        }.into_any()
                    }
                })}
            </Transition>
        </StaffShell>
    }
}

#[component]
fn PatientTable(rows: Vec<PatientListItem>) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <div class="mt-6 overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full text-left">
                <thead class="bg-slate-100 text-sm text-slate-700">
                    <tr>
                        <th scope="col" class="px-4 py-3">"MRN"</th>
                        <th scope="col" class="px-4 py-3">"Name"</th>
                        <th scope="col" class="px-4 py-3">"Born"</th>
                        <th scope="col" class="px-4 py-3">"Sex"</th>
                    </tr>
                </thead>
                <tbody id="patient-rows">
                    {rows.into_iter().map(|p| {
                        let href = format!("/patients/{}", p.id);
                        view! {
                            <tr class="border-t border-slate-100 hover:bg-teal-50">
                                <td class="px-4 py-3 font-mono text-sm">{p.mrn.clone()}</td>
                                <td class="px-4 py-1">
                                    <a href=href class="focus-ring flex min-h-11 items-center font-medium text-teal-800 underline-offset-2 hover:underline">
                                        {format!("{} {}", p.first_name, p.last_name)}
                                    </a>
                                </td>
                                <td class="px-4 py-3 text-sm">{p.date_of_birth.to_string()}</td>
                                <td class="px-4 py-3 text-sm">{p.sex.replace('_', " ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {empty.then(|| view! { <p class="px-4 py-6 text-slate-500">"No patient matches."</p> })}
        </div>
    }
}

#[component]
pub fn NewPatientPage() -> impl IntoView {
    let outcome = use_outcome();
    let error = Signal::stored(outcome.error.clone());
    let [first_name, last_name, date_of_birth, phone, email, national, mrn, address, contact, contact_phone] =
        [
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "national_id",
            "mrn",
            "address",
            "emergency_contact_name",
            "emergency_contact_phone",
        ]
        .map(|name| typed(&outcome, name));
    let sex = outcome.values.get("sex").cloned().unwrap_or_default();
    let existing = outcome.error.as_ref().and_then(|e| match e {
        ErrorKind::Conflict {
            code,
            existing_id: Some(id),
            ..
        } if code == "patient_exists" => Some(*id),
        _ => None,
    });
    let national_id = outcome
        .values
        .get("national_id")
        .cloned()
        .unwrap_or_default();
    let banner = outcome
        .error
        .clone()
        .filter(|e| e.fields().is_empty() || e.status() == 409);
    view! {
        <Title text="Register a patient" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Register a patient"</h1>
            <p class="text-slate-600">"Fields marked * are required. Your hospital's MRN is generated unless you give one."</p>
            {banner.map(|e| view! {
                <div role="alert" class="mt-4 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-800">
                    <p>{e.message()}</p>
                    {existing.map(|id| view! {
                        <form method="post" action=format!("/patients/{id}/link") class="mt-3">
                            <input type="hidden" name="national_id" value=national_id.clone() />
                            <button type="submit" class=BUTTON id="link-existing">"Link this patient to your hospital"</button>
                        </form>
                    })}
                </div>
            })}
            <form method="post" action="/patients/new" class="mt-6 grid gap-4 rounded-lg border border-slate-200 bg-white p-5 md:grid-cols-2" novalidate>
                <TextField name="first_name" label="First name" value=first_name error required=true autocomplete="off" />
                <TextField name="last_name" label="Last name" value=last_name error required=true autocomplete="off" />
                <TextField name="date_of_birth" label="Date of birth" value=date_of_birth error required=true kind="date" />
                <div>
                    <label for="sex" class="block text-sm font-medium text-slate-700">"Sex" <span class="text-red-700" aria-hidden="true">" *"</span></label>
                    <select id="sex" name="sex" class=INPUT required=true aria-describedby="sex-error">
                        <option value="">"Choose…"</option>
                        {SEXES.iter().map(|s| view! {
                            <option value=*s selected=sex == *s>{s.replace('_', " ")}</option>
                        }).collect_view()}
                    </select>
                    <crate::components::FieldErrorsFor error name="sex" />
                </div>
                <TextField name="phone" label="Phone" value=phone error kind="tel" hint="With country code, e.g. +254 700 100 001" autocomplete="off" />
                <TextField name="email" label="Email" value=email error kind="email" autocomplete="off" />
                <TextField name="national_id" label="National identifier" value=national error hint="Used only to find the patient across hospitals" autocomplete="off" />
                <TextField name="mrn" label="MRN" value=mrn error hint="Leave empty to generate one" autocomplete="off" />
                <TextField name="address" label="Address" value=address error autocomplete="off" />
                <TextField name="emergency_contact_name" label="Emergency contact" value=contact error autocomplete="off" />
                <TextField name="emergency_contact_phone" label="Emergency contact phone" value=contact_phone error kind="tel" autocomplete="off" />
                <div class="flex items-end md:col-span-2">
                    <button type="submit" class=BUTTON id="register-submit">"Register patient"</button>
                </div>
            </form>
        </StaffShell>
    }
}

#[component]
pub fn ChartPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let types = move || query.read().get("type").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let added = move || {
        query
            .read()
            .get("added")
            .and_then(|t| RecordType::parse(&t))
    };
    let registered = move || query.read().get("registered").is_some();
    let entry = QuickEntryState::new(use_outcome());
    provide_context(entry);
    // The chart's data carries the reload it answers, so a pending entry knows when it is shown.
    let chart = crate::resource::resource(
        move || (id(), types(), page(), entry.reloads.get()),
        |(id, types, page, reload)| async move { (reload, patient_chart(id, types, page).await) },
    );
    view! {
        <StaffShell>
            <Transition fallback=|| view! { <p class="text-slate-500">"Opening the chart…"</p> }>
                {move || {
                    chart.get().map(|(reload, result)| match result {
                        Err(e) => view! { <Title text="Patient" /> <Unavailable error=e /> }.into_any(),
                        Ok(c) => view! {
                            {registered().then(|| view! { <p role="status" class="mb-4 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">"Patient registered."</p> })}
                            {added().filter(|_| entry.saved.get_untracked().is_none()).map(|t| view! { <p role="status" id="saved" class="mb-4 rounded border border-teal-300 bg-teal-50 px-4 py-3 text-teal-900">{format!("{} saved.", t.label())}</p> })}
                            <Chart chart=c types=types() outcome=entry.outcome.get_value() reload />
                        }.into_any(),
                    })
                }}
            </Transition>
        </StaffShell>
    }
}

/// The values of a submitted quick-entry form of type `t`, by field name.
fn form_values(
    ev: &leptos::ev::SubmitEvent,
    t: RecordType,
) -> Option<std::collections::BTreeMap<String, String>> {
    use leptos::wasm_bindgen::JsCast;
    let form = ev
        .target()?
        .dyn_into::<leptos::web_sys::HtmlFormElement>()
        .ok()?;
    let data = leptos::web_sys::FormData::new_with_form(&form).ok()?;
    let names = ["record_type", "recorded_at"]
        .into_iter()
        .chain(t.fields().iter().copied());
    Some(
        names
            .filter_map(|name| Some((name.to_string(), data.get(name).as_string()?)))
            .collect(),
    )
}

/// Empties a saved quick-entry form for the next entry (back to its defaults, such as today).
fn reset_form(t: RecordType) {
    use leptos::wasm_bindgen::JsCast;
    let form = document()
        .query_selector(&format!("#entry-{} form", t.as_str()))
        .ok()
        .flatten()
        .and_then(|f| f.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
    if let Some(form) = form {
        form.reset();
    }
}

/// An entry on its way to the server, shown at the top of the records table meanwhile.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    record_type: RecordType,
    date: String,
    /// The chart reload that was on screen when it was sent: the next one shows it for real.
    reload: u32,
}

/// The quick-entry forms' state once hydrated (shared by the forms and the records table).
#[derive(Clone, Copy)]
struct QuickEntryState {
    add: ServerAction<AddRecord>,
    pending: RwSignal<Option<Pending>>,
    /// The last answer's errors and the form they belong to (at first, a plain POST's).
    errors: RwSignal<Option<(RecordType, ErrorKind)>>,
    /// The type the hydrated forms saved last.
    saved: RwSignal<Option<RecordType>>,
    /// Bumped after each save: the chart's data reloads.
    reloads: RwSignal<u32>,
    /// What a failed plain POST left (values and errors); dropped once the forms are used.
    outcome: StoredValue<FormOutcome>,
}

impl QuickEntryState {
    fn new(outcome: FormOutcome) -> Self {
        // Only a quick-entry form sends `record_type` (an upload's outcome has none).
        let failed = outcome
            .values
            .get("record_type")
            .and_then(|t| RecordType::parse(t));
        let state = QuickEntryState {
            add: ServerAction::new(),
            pending: RwSignal::new(None),
            errors: RwSignal::new(failed.zip(outcome.error.clone())),
            saved: RwSignal::new(None),
            reloads: RwSignal::new(0),
            outcome: StoredValue::new(outcome),
        };
        Effect::new(move |_| match state.add.value().get() {
            Some(Ok(record)) => {
                reset_form(record.record_type);
                state.saved.set(Some(record.record_type));
                state.reloads.update(|n| *n += 1);
            }
            Some(Err(e)) => {
                let form = state.pending.get_untracked().map(|p| p.record_type);
                state.pending.set(None);
                state
                    .errors
                    .set(Some((form.unwrap_or(RecordType::ViralLoad), e)));
            }
            None => {}
        });
        state
    }

    /// Sends a form's values; `reload` is the chart reload on screen.
    fn submit(
        self,
        patient: uuid::Uuid,
        values: std::collections::BTreeMap<String, String>,
        reload: u32,
    ) {
        let Some(record_type) = values.get("record_type").and_then(|t| RecordType::parse(t)) else {
            return;
        };
        self.outcome.set_value(FormOutcome::default());
        self.errors.set(None);
        self.saved.set(None);
        self.pending.set(Some(Pending {
            record_type,
            date: values.get("recorded_at").cloned().unwrap_or_default(),
            reload,
        }));
        self.add.dispatch(AddRecord {
            id: patient.to_string(),
            values,
        });
    }

    /// The messages for one field of one form.
    fn field_errors(self, form: RecordType, key: &str) -> Vec<String> {
        self.errors.with(|e| match e {
            Some((t, e)) if *t == form => e.field(key),
            _ => Vec::new(),
        })
    }
}

fn vl_badge(vl: &VlResult) -> (String, &'static str) {
    let value = match (vl.copies_per_ml, vl.qualitative.as_deref()) {
        (Some(c), _) if vl.comparator != "=" => {
            format!("{}{} copies/mL", vl.comparator, format_number(c))
        }
        (Some(c), _) => format!("{} copies/mL", format_number(c)),
        (None, Some(q)) => qualitative_label(q).to_string(),
        (None, None) => "—".into(),
    };
    let class = match vl.interpretation {
        Some(VlInterpretation::Undetectable | VlInterpretation::Suppressed) => {
            "bg-teal-100 text-teal-900 border-teal-300"
        }
        Some(VlInterpretation::LowLevel) => "bg-amber-100 text-amber-900 border-amber-300",
        Some(VlInterpretation::Unsuppressed) => "bg-red-100 text-red-900 border-red-300",
        None => "bg-slate-100 text-slate-800 border-slate-300",
    };
    let label = vl
        .interpretation
        .map(|i| i.label())
        .unwrap_or("Not interpreted");
    (
        format!("{label} · {value} · {}", vl.recorded_at.date_naive()),
        class,
    )
}

#[component]
fn Chart(chart: ChartView, types: String, outcome: FormOutcome, reload: u32) -> impl IntoView {
    let p = &chart.patient;
    let name = format!("{} {}", p.first_name, p.last_name);
    let age = age_on(p.date_of_birth, chart.today);
    let summary = chart.summary.clone();
    let regimen = summary.as_ref().and_then(|s| s.current_regimen.clone());
    let vl = summary.as_ref().and_then(|s| s.latest_viral_load.clone());
    let cd4 = summary.as_ref().and_then(|s| s.latest_cd4.clone());
    let threshold = summary
        .as_ref()
        .map(|s| s.thresholds.unsuppressed_above)
        .unwrap_or(1000.0);
    let id = p.id;
    view! {
        <Title text=name.clone() />
        <header class="rounded-lg border border-slate-200 bg-white p-5" id="chart-header">
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-bold">{name}</h1>
                    <p class="text-slate-600">
                        {format!("{age} y · {} · born {}", p.sex.replace('_', " "), p.date_of_birth)}
                        " · MRN "<span class="font-mono" id="chart-mrn">{p.mrn.clone().unwrap_or_default()}</span>
                    </p>
                    {p.phone.clone().map(|ph| view! { <p class="text-sm text-slate-500">{ph}</p> })}
                </div>
                <div class="flex flex-col items-end gap-2 text-right">
                    {vl.as_ref().map(|v| {
                        let (text, class) = vl_badge(v);
                        view! { <span id="vl-badge" class=format!("rounded-full border px-3 py-1 text-sm font-semibold {class}")>{text}</span> }
                    })}
                    {regimen.as_ref().map(|r| view! {
                        <span id="regimen" class="text-sm">
                            <span class="font-semibold">{r.regimen.clone()}</span>
                            {r.line.clone().map(|l| format!(" · {l} line"))}
                            {format!(" · since {}", r.since.date_naive())}
                        </span>
                    })}
                    {summary.as_ref().filter(|s| s.current_regimen.is_none()).map(|s| view! {
                        <span id="regimen" class="text-sm text-slate-600">{match s.art_status.as_str() {
                            "stopped" => "ART stopped",
                            _ => "Not on ART",
                        }}</span>
                    })}
                    {cd4.map(|c| view! {
                        <span class="text-sm text-slate-600">{format!(
                            "CD4 {} · {}",
                            c.cells_per_ul.map(|n| format!("{n} cells/µL")).unwrap_or_else(|| c.percent.map(|p| format!("{}%", format_number(p))).unwrap_or_default()),
                            c.recorded_at.date_naive()
                        )}</span>
                    })}
                </div>
            </div>
        </header>
        {summary.is_some().then(|| view! {
            <section aria-label="Trends" class="mt-4 grid gap-4 lg:grid-cols-2">
                <TrendChart id="vl-chart" points=chart.viral_loads.clone() scale=Scale::Log { min: 20.0, max: 1_000_000.0 } title="Viral load (copies/mL, log scale)" unit="copies/mL" threshold=(threshold, format!("{} copies/mL", format_number(threshold))) />
                <TrendChart id="cd4-chart" points=chart.cd4.clone() scale=Scale::Linear { min: 0.0, max: 1500.0 } title="CD4 (cells/µL)" unit="cells/µL" threshold=(200.0, "200 cells/µL".to_string()) />
            </section>
        })}
        <div class="mt-4 grid gap-4 lg:grid-cols-[1fr_24rem]">
            <div class="space-y-4">
                {(!chart.regimens.is_empty()).then(|| view! { <ArtTimeline regimens=chart.regimens.clone() /> })}
                {chart.records.clone().map(|page| view! { <RecordsTable id page types=types.clone() reload /> })}
                {chart.records.is_none().then(|| view! {
                    <p class="rounded-lg border border-slate-200 bg-white p-5 text-slate-600">"Clinical records are not shown to your role."</p>
                })}
                <Documents id attachments=chart.attachments.clone() attachable=chart.attachable.clone() outcome=outcome.clone() />
            </div>
            <QuickEntry id writable=chart.writable.clone() outcome today=chart.today reload />
        </div>
    }
}

/// The `form` value that marks an upload's outcome (so quick entry does not show its errors).
pub const UPLOAD_FORM: &str = "attachment";

#[component]
fn Documents(
    id: uuid::Uuid,
    attachments: Option<Vec<Attachment>>,
    attachable: Vec<AttachmentKind>,
    outcome: FormOutcome,
) -> impl IntoView {
    if attachments.is_none() && attachable.is_empty() {
        return ().into_any();
    }
    let ours = outcome.values.get("form").map(String::as_str) == Some(UPLOAD_FORM);
    let error = outcome.error.clone().filter(|_| ours);
    let field_error = move |name: &str| {
        error
            .as_ref()
            .map(|e| e.field(name).join("; "))
            .filter(|m| !m.is_empty())
    };
    let general = outcome
        .error
        .clone()
        .filter(|e| ours && e.fields().is_empty())
        .map(|e| e.message());
    let typed_kind = outcome.values.get("kind").cloned().filter(|_| ours);
    let typed_description = outcome
        .values
        .get("description")
        .cloned()
        .filter(|_| ours)
        .unwrap_or_default();
    let attached = use_query_map().read_untracked().get("attached").is_some();
    let (kind_error, file_error, description_error) = (
        field_error("kind"),
        field_error("file"),
        field_error("description"),
    );
    let rows = attachments.map(|list| {
        if list.is_empty() {
            return view! { <p class="mt-2 text-slate-600" id="document-rows">"No documents yet."</p> }.into_any();
        }
        view! {
            <ul class="mt-2 divide-y divide-slate-100" id="document-rows">
                {list.into_iter().map(|a| view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                        <div>
                            <a class="focus-ring inline-flex min-h-11 items-center font-medium text-teal-800 underline" href=a.download_url.clone() download=a.filename.clone()>{a.filename.clone()}</a>
                            <p class="text-sm text-slate-600">{format!("{} · {} · {}", a.kind.label(), format_size(a.size_bytes), a.created_at.date_naive())}</p>
                            {a.description.clone().map(|d| view! { <p class="text-sm">{d}</p> })}
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        }.into_any()
    });
    let form = (!attachable.is_empty()).then(|| {
        let invalid = |e: &Option<String>| e.is_some().to_string();
        view! {
            <form method="post" action=format!("/patients/{id}/attachments") enctype="multipart/form-data" class="mt-4 grid gap-3 sm:grid-cols-2" id="upload-form">
                <div>
                    <label for="attachment-kind" class="block text-sm font-medium text-slate-700">"Kind"</label>
                    <select id="attachment-kind" name="kind" class=INPUT aria-invalid=invalid(&kind_error) aria-describedby="attachment-kind-error">
                        {attachable.iter().map(|k| view! { <option value=k.as_str() selected=typed_kind.as_deref() == Some(k.as_str())>{k.label()}</option> }).collect_view()}
                    </select>
                    {kind_error.clone().map(|m| view! { <p id="attachment-kind-error" role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div>
                    <label for="attachment-file" class="block text-sm font-medium text-slate-700">"File (PDF, PNG or JPEG)"</label>
                    <input id="attachment-file" name="file" type="file" required=true accept="application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg" class="focus-ring mt-1 block min-h-11 w-full text-base" aria-invalid=invalid(&file_error) aria-describedby="attachment-file-error" />
                    {file_error.clone().map(|m| view! { <p id="attachment-file-error" role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div class="sm:col-span-2">
                    <label for="attachment-description" class="block text-sm font-medium text-slate-700">"Description (optional)"</label>
                    <input id="attachment-description" name="description" type="text" maxlength="200" value=typed_description class=INPUT aria-invalid=invalid(&description_error) aria-describedby="attachment-description-error" />
                    {description_error.clone().map(|m| view! { <p id="attachment-description-error" role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON id="attachment-submit">"Upload"</button>
                </div>
            </form>
        }
    });
    view! {
        <section aria-labelledby="documents-heading" class="rounded-lg border border-slate-200 bg-white p-5" id="documents">
            <h2 id="documents-heading" class="text-lg font-semibold">"Consent forms and scans"</h2>
            {attached.then(|| view! { <p role="status" id="attached" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Document stored, encrypted."</p> })}
            {general.map(|m| view! { <p role="alert" id="upload-error" class="mt-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{m}</p> })}
            {rows}
            {form}
        </section>
    }.into_any()
}

#[component]
fn ArtTimeline(regimens: Vec<ChartRow>) -> impl IntoView {
    view! {
        <section aria-labelledby="art-heading" class="rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="art-heading" class="text-lg font-semibold">"ART history"</h2>
            <ol class="mt-3 border-l-2 border-teal-200 pl-4" id="art-timeline">
                {regimens.into_iter().map(|r| view! {
                    <li class="relative pb-3">
                        <span class="absolute -left-[1.4rem] top-1.5 h-3 w-3 rounded-full bg-teal-600"></span>
                        <span class="text-sm text-slate-500">{r.recorded_at.date_naive().to_string()}</span>
                        " "<span class="font-medium">{r.summary}</span>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn RecordsTable(
    id: uuid::Uuid,
    page: hospitallink::domain::page::Page<ChartRow>,
    types: String,
    reload: u32,
) -> impl IntoView {
    let p = page.pagination.clone();
    let pending = use_context::<QuickEntryState>().map(|e| e.pending);
    let pending_row = move || {
        pending
            .and_then(|p| p.get())
            .filter(|p| p.reload == reload)
            .map(|p| view! {
                <tr class="border-t border-slate-100 bg-teal-50 text-slate-600" id="pending-record" aria-busy="true">
                    <td class="py-2 pr-4 whitespace-nowrap">{p.date}</td>
                    <td class="py-2 pr-4 whitespace-nowrap">{p.record_type.label()}</td>
                    <td class="py-2 italic">"Saving…"</td>
                </tr>
            })
    };
    let link = {
        let types = types.clone();
        move |n: u64| {
            format!(
                "/patients/{id}?type={}&page={n}#records",
                encode_query_value(&types)
            )
        }
    };
    view! {
        <section aria-labelledby="records-heading" class="rounded-lg border border-slate-200 bg-white p-5" id="records">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="records-heading" class="text-lg font-semibold">"Records"</h2>
                <form method="get" action=format!("/patients/{id}") class="flex gap-2">
                    <label for="type-filter" class="sr-only">"Record type"</label>
                    <select id="type-filter" name="type" class="focus-ring min-h-11 rounded border border-slate-300 bg-white px-3">
                        <option value="">"All types"</option>
                        {RecordType::ALL.iter().map(|t| view! {
                            <option value=t.as_str() selected=types == t.as_str()>{t.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="focus-ring min-h-11 rounded bg-slate-800 px-4 text-white">"Filter"</button>
                </form>
            </div>
            <div class="mt-3 overflow-x-auto">
                <table class="min-w-full text-left text-sm">
                    <thead class="text-slate-600">
                        <tr>
                            <th scope="col" class="py-2 pr-4">"Date"</th>
                            <th scope="col" class="py-2 pr-4">"Type"</th>
                            <th scope="col" class="py-2">"Result / note"</th>
                        </tr>
                    </thead>
                    <tbody id="record-rows">
                        {pending_row}
                        {page.data.into_iter().map(|r| view! {
                            <tr class="border-t border-slate-100" data-type=r.record_type.as_str()>
                                <td class="py-2 pr-4 whitespace-nowrap">{r.recorded_at.date_naive().to_string()}</td>
                                <td class="py-2 pr-4 whitespace-nowrap">{r.record_type.label()}</td>
                                <td class="py-2">
                                    {r.summary}
                                    {r.corrected.then(|| view! { <span class="ml-2 rounded bg-slate-100 px-2 text-xs text-slate-600">"corrected"</span> })}
                                    {r.edited.then(|| view! { <span class="ml-2 rounded bg-slate-100 px-2 text-xs text-slate-600">"edited"</span> })}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {(p.total == 0).then(|| view! { <p class="py-4 text-slate-500">"No records."</p> })}
            </div>
            <nav aria-label="Record pages" class="mt-3 flex items-center gap-4 text-sm text-slate-600">
                <span>{format!("{} records · page {}", p.total, p.page)}</span>
                {p.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page - 1)>"Newer"</a> })}
                {p.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page + 1)>"Older"</a> })}
            </nav>
        </section>
    }
}

/// One field of a quick-entry form (ids carry the form's type so several forms share a page).
#[component]
fn QField(
    form: RecordType,
    name: &'static str,
    label: &'static str,
    outcome: FormOutcome,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] step: Option<&'static str>,
    #[prop(optional)] options: Option<&'static [(&'static str, &'static str)]>,
    #[prop(optional)] initial: Option<String>,
) -> impl IntoView {
    let ours = outcome.values.get("record_type").map(String::as_str) == Some(form.as_str());
    let value = if ours {
        outcome.values.get(name).cloned().unwrap_or_default()
    } else {
        initial.unwrap_or_default()
    };
    let key = if name == "recorded_at" {
        name.to_string()
    } else {
        format!("payload.{name}")
    };
    let entry = use_context::<QuickEntryState>();
    let messages = Memo::new(move |_| {
        entry
            .map(|e| e.field_errors(form, &key))
            .unwrap_or_default()
    });
    let id = format!("{}-{name}", form.as_str());
    let error_id = format!("{id}-error");
    let invalid = move || (!messages.get().is_empty()).to_string();
    let control = match options {
        Some(options) => view! {
            <select id=id.clone() name=name class=INPUT aria-invalid=invalid aria-describedby=error_id.clone()>
                {options.iter().map(|(v, l)| view! { <option value=*v selected=value == *v>{*l}</option> }).collect_view()}
            </select>
        }.into_any(),
        None if kind == "textarea" => view! {
            <textarea id=id.clone() name=name rows="3" class=INPUT aria-invalid=invalid aria-describedby=error_id.clone()>{value}</textarea>
        }.into_any(),
        None => view! {
            <input id=id.clone() name=name type=kind step=step inputmode=if kind == "number" { Some("decimal") } else { None } value=value class=INPUT aria-invalid=invalid aria-describedby=error_id.clone() />
        }.into_any(),
    };
    view! {
        <div>
            <label for=id class="block text-sm font-medium text-slate-700">{label}</label>
            {control}
            {move || {
                let m = messages.get();
                (!m.is_empty()).then(|| view! { <p id=error_id.clone() role="alert" class="mt-1 text-sm text-red-700">{m.join("; ")}</p> })
            }}
        </div>
    }
}

const COMPARATORS: &[(&str, &str)] = &[("=", "="), ("<", "< (below limit)"), (">", ">")];
const QUALITATIVE: &[(&str, &str)] = &[
    ("", "—"),
    ("detected", "Detected"),
    ("not_detected", "Not detected"),
    ("ldl", "Below detection limit"),
    ("rejected", "Sample rejected"),
    ("pending", "Pending"),
];
const LINES: &[(&str, &str)] = &[
    ("first", "First line"),
    ("second", "Second line"),
    ("third", "Third line"),
];
const ACTIONS: &[(&str, &str)] = &[
    ("switch", "Switch"),
    ("substitute", "Substitute"),
    ("start", "Start"),
    ("stop", "Stop"),
];
const METHODS: &[(&str, &str)] = &[
    ("", "—"),
    ("self_report", "Self report"),
    ("pill_count", "Pill count"),
    ("pharmacy_refill", "Pharmacy refill"),
    ("electronic_monitor", "Electronic monitor"),
    ("other", "Other"),
];

#[component]
fn QuickEntry(
    id: uuid::Uuid,
    writable: Vec<RecordType>,
    outcome: FormOutcome,
    today: NaiveDate,
    reload: u32,
) -> impl IntoView {
    if writable.is_empty() {
        return ().into_any();
    }
    let Some(entry) = use_context::<QuickEntryState>() else {
        return ().into_any();
    };
    // The form left open: the one with errors, else the one just saved, else viral load.
    let shown = entry
        .errors
        .with_untracked(|e| e.as_ref().map(|(t, _)| *t))
        .or(entry.saved.get_untracked())
        .unwrap_or(RecordType::ViralLoad);
    let general = move || {
        entry.errors.get().map(|(_, e)| e).filter(|e| {
            e.fields()
                .keys()
                .all(|k| !k.starts_with("payload.") && k != "recorded_at")
        })
    };
    let saving = entry.add.pending();
    let forms = writable.into_iter().map(|t| {
        let o = outcome.clone();
        let fields = match t {
            RecordType::ViralLoad => view! {
                <QField form=t name="copies_per_ml" label="Copies/mL" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="comparator" label="Comparator" options=COMPARATORS outcome=o.clone() />
                <QField form=t name="qualitative" label="Qualitative result" options=QUALITATIVE outcome=o.clone() />
            }.into_any(),
            RecordType::Cd4 => view! {
                <QField form=t name="cells_per_ul" label="Cells/µL" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="percent" label="Percent" kind="number" step="any" outcome=o.clone() />
            }.into_any(),
            RecordType::ArtRegimen => view! {
                <QField form=t name="regimen" label="Regimen" outcome=o.clone() initial="TDF+3TC+DTG".to_string() />
                <QField form=t name="line" label="Line" options=LINES outcome=o.clone() />
                <QField form=t name="action" label="Action" options=ACTIONS outcome=o.clone() />
            }.into_any(),
            RecordType::AdherenceNote => view! {
                <QField form=t name="text" label="Note" kind="textarea" outcome=o.clone() />
                <QField form=t name="adherence_percent" label="Adherence %" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="method" label="Method" options=METHODS outcome=o.clone() />
            }.into_any(),
            _ => view! {
                <QField form=t name="weight_kg" label="Weight (kg)" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="bp_systolic" label="BP systolic" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="bp_diastolic" label="BP diastolic" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="temperature_c" label="Temperature (°C)" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="pulse" label="Pulse" kind="number" step="1" outcome=o.clone() />
            }.into_any(),
        };
        let submit = move |ev: leptos::ev::SubmitEvent| {
            // Without the form's values the plain POST goes out instead.
            if let Some(values) = form_values(&ev, t) {
                ev.prevent_default();
                entry.submit(id, values, reload);
            }
        };
        let label = t.label().to_lowercase();
        view! {
            <details class="rounded-lg border border-slate-200 bg-white" open=t == shown id=format!("entry-{}", t.as_str())>
                <summary class="focus-ring flex min-h-12 cursor-pointer items-center px-4 font-semibold">{format!("Add {label}")}</summary>
                <form method="post" action=format!("/patients/{id}/records") class="grid grid-cols-2 gap-3 px-4 pb-4" novalidate on:submit=submit>
                    <input type="hidden" name="record_type" value=t.as_str() />
                    <div class="col-span-2">
                        <QField form=t name="recorded_at" label="Date" kind="date" outcome=o.clone() initial=today.to_string() />
                    </div>
                    {fields}
                    <div class="col-span-2">
                        <button type="submit" class=format!("{BUTTON} w-full disabled:opacity-60") disabled=move || saving.get()>
                            {move || if saving.get() { "Saving…".to_string() } else { format!("Save {label}") }}
                        </button>
                    </div>
                </form>
            </details>
        }
    }).collect_view();
    view! {
        <aside aria-label="Quick entry" class="space-y-3">
            <h2 class="text-lg font-semibold">"Quick entry"</h2>
            {move || entry.saved.get().map(|t| view! { <p role="status" id="saved" class="rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">{format!("{} saved.", t.label())}</p> })}
            {move || general().map(|e| view! { <p role="alert" id="entry-error" class="rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{e.message()}</p> })}
            {forms}
        </aside>
    }.into_any()
}
