//! The chart's quick-entry forms (viral load, CD4, regimen, prescription, dispensing, adherence
//! note, vital signs). Without JavaScript each is a plain POST; hydrated, it saves through a
//! server function, shows the entry at once in the records table, keeps what was typed on an
//! error and reloads only the chart's data on success. A regimen, prescription or dispensing is
//! checked for the WHO drug interactions: hydrated, as soon as the medicine is filled in (before
//! saving); without JavaScript, when the form comes back refused. A severe one is saved only
//! with an override reason.

use chrono::NaiveDate;
use hospitallink::domain::cds::interactions::{InteractionSeverity, InteractionWarning};
use hospitallink::domain::clinical::record::RecordType;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

use super::super::{BUTTON, INPUT};
use crate::pages::auth::FormOutcome;
use crate::server_fns::patients::{AddRecord, CheckInteractions};

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
    let names = [
        "record_type",
        "recorded_at",
        "clinician_only",
        "override_reason",
    ]
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
pub(super) struct Pending {
    pub(super) record_type: RecordType,
    pub(super) date: String,
    /// The chart reload that was on screen when it was sent: the next one shows it for real.
    pub(super) reload: u32,
}

/// The quick-entry forms' state once hydrated (shared by the forms and the records table).
#[derive(Clone, Copy)]
pub(super) struct QuickEntryState {
    add: ServerAction<AddRecord>,
    /// The interaction check of the form being filled in, and which form it was.
    check: ServerAction<CheckInteractions>,
    checked: RwSignal<Option<RecordType>>,
    pub(super) pending: RwSignal<Option<Pending>>,
    /// The last answer's errors and the form they belong to (at first, a plain POST's).
    errors: RwSignal<Option<(RecordType, ErrorKind)>>,
    /// The type the hydrated forms saved last.
    pub(super) saved: RwSignal<Option<RecordType>>,
    /// Bumped after each save: the chart's data reloads.
    pub(super) reloads: RwSignal<u32>,
    /// What a failed plain POST left (values and errors); dropped once the forms are used.
    pub(super) outcome: StoredValue<FormOutcome>,
}

impl QuickEntryState {
    pub(super) fn new(outcome: FormOutcome) -> Self {
        // Only a quick-entry form sends `record_type` (an upload's outcome has none).
        let failed = outcome
            .values
            .get("record_type")
            .and_then(|t| RecordType::parse(t));
        let state = QuickEntryState {
            add: ServerAction::new(),
            check: ServerAction::new(),
            checked: RwSignal::new(None),
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

    /// Checks a form's medicine for interactions while it is being filled in.
    fn check(
        self,
        patient: uuid::Uuid,
        t: RecordType,
        values: std::collections::BTreeMap<String, String>,
    ) {
        let named = ["drug_name", "regimen", "prescription_id"]
            .iter()
            .any(|k| values.get(*k).is_some_and(|v| !v.trim().is_empty()));
        if !named {
            return;
        }
        self.checked.set(Some(t));
        self.check.dispatch(CheckInteractions {
            id: patient.to_string(),
            values,
        });
    }

    /// The interaction warnings to show on form `t`: those of a refused save, else those of
    /// the check of what is being typed.
    fn warnings(self, t: RecordType) -> Vec<InteractionWarning> {
        let refused = self.errors.with(|e| match e {
            Some((form, e)) if *form == t => e.warnings().to_vec(),
            _ => Vec::new(),
        });
        if !refused.is_empty() {
            return refused;
        }
        if self.checked.get() != Some(t) {
            return Vec::new();
        }
        match self.check.value().get() {
            Some(Ok(w)) => w,
            _ => Vec::new(),
        }
    }

    /// The messages for one field of one form.
    fn field_errors(self, form: RecordType, key: &str) -> Vec<String> {
        self.errors.with(|e| match e {
            Some((t, e)) if *t == form => e.field(key),
            _ => Vec::new(),
        })
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
    let key = if matches!(name, "recorded_at" | "override_reason") {
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

/// The interaction warnings of a form, each with its rule, guidance and reference.
#[component]
fn Warnings(form: RecordType) -> impl IntoView {
    let entry = use_context::<QuickEntryState>();
    let warnings = move || entry.map(|e| e.warnings(form)).unwrap_or_default();
    view! {
        <div id=format!("{}-interactions", form.as_str()) role="status" class="col-span-2">
            {move || {
                let w = warnings();
                (!w.is_empty()).then(|| view! {
                    <ul class="space-y-2">
                        {w.into_iter().map(|w| {
                            let (label, tone) = match w.severity {
                                InteractionSeverity::Severe => ("Severe interaction: give an override reason to go ahead", "border-red-500 bg-red-50"),
                                InteractionSeverity::Caution => ("Caution", "border-amber-500 bg-amber-50"),
                            };
                            view! {
                                <li class=format!("rounded border-l-4 px-3 py-2 text-sm {tone}") data-rule=w.rule_id.clone()>
                                    <p class="font-semibold">{label}</p>
                                    <p>{w.line()}</p>
                                    <p class="text-xs text-slate-600">{w.reference.clone()}</p>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
        </div>
    }
}

/// The dispensing form's prescription choice (the patient's current prescriptions here).
#[component]
fn PrescriptionChoice(
    prescriptions: Vec<(uuid::Uuid, String)>,
    outcome: FormOutcome,
) -> impl IntoView {
    let chosen = (outcome.values.get("record_type").map(String::as_str) == Some("dispensing"))
        .then(|| outcome.values.get("prescription_id").cloned())
        .flatten()
        .unwrap_or_default();
    let entry = use_context::<QuickEntryState>();
    let messages = move || {
        entry
            .map(|e| e.field_errors(RecordType::Dispensing, "payload.prescription_id"))
            .unwrap_or_default()
    };
    view! {
        <div class="col-span-2">
            <label for="dispensing-prescription_id" class="block text-sm font-medium text-slate-700">"Prescription"</label>
            <select id="dispensing-prescription_id" name="prescription_id" class=INPUT aria-describedby="dispensing-prescription_id-error">
                <option value="">"—"</option>
                {prescriptions.into_iter().map(|(id, label)| {
                    let value = id.to_string();
                    let selected = value == chosen;
                    view! { <option value=value selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            {move || {
                let m = messages();
                (!m.is_empty()).then(|| view! { <p id="dispensing-prescription_id-error" role="alert" class="mt-1 text-sm text-red-700">{m.join("; ")}</p> })
            }}
        </div>
    }
}

#[component]
pub(super) fn QuickEntry(
    id: uuid::Uuid,
    writable: Vec<RecordType>,
    outcome: FormOutcome,
    today: NaiveDate,
    reload: u32,
    /// The patient's prescriptions at the viewer's hospital (for the dispensing form).
    #[prop(optional)]
    prescriptions: Vec<(uuid::Uuid, String)>,
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
            RecordType::Prescription => view! {
                <div class="col-span-2">
                    <QField form=t name="drug_name" label="Medicine" outcome=o.clone() />
                </div>
                <QField form=t name="atc" label="ATC code (optional)" outcome=o.clone() />
                <QField form=t name="dose" label="Dose" outcome=o.clone() />
                <QField form=t name="frequency" label="Frequency" outcome=o.clone() />
                <QField form=t name="duration_days" label="Days" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="quantity" label="Quantity" kind="number" step="1" outcome=o.clone() />
            }.into_any(),
            RecordType::Dispensing => view! {
                <PrescriptionChoice prescriptions=prescriptions.clone() outcome=o.clone() />
                <QField form=t name="quantity" label="Quantity" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="days_supplied" label="Days supplied" kind="number" step="1" outcome=o.clone() />
            }.into_any(),
            RecordType::AdherenceNote => view! {
                <QField form=t name="text" label="Note" kind="textarea" outcome=o.clone() />
                <QField form=t name="adherence_percent" label="Adherence %" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="method" label="Method" options=METHODS outcome=o.clone() />
                <label class="col-span-2 flex min-h-11 items-center gap-3 text-sm">
                    <input type="checkbox" name="clinician_only" id="adherence-clinician-only" class="h-5 w-5" />
                    "Keep this note from the patient's portal"
                </label>
            }.into_any(),
            _ => view! {
                <QField form=t name="weight_kg" label="Weight (kg)" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="bp_systolic" label="BP systolic" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="bp_diastolic" label="BP diastolic" kind="number" step="1" outcome=o.clone() />
                <QField form=t name="temperature_c" label="Temperature (°C)" kind="number" step="any" outcome=o.clone() />
                <QField form=t name="pulse" label="Pulse" kind="number" step="1" outcome=o.clone() />
            }.into_any(),
        };
        let checked = t.is_interaction_checked();
        let override_field = checked.then(|| view! {
            <Warnings form=t />
            <div class="col-span-2">
                <QField form=t name="override_reason" label="Override reason (needed for a severe interaction)" kind="textarea" outcome=o.clone() />
            </div>
        });
        let changed = move |ev: leptos::ev::Event| {
            if !checked {
                return;
            }
            use leptos::wasm_bindgen::JsCast;
            let form = ev
                .current_target()
                .and_then(|f| f.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
            let Some(data) = form.and_then(|f| leptos::web_sys::FormData::new_with_form(&f).ok()) else {
                return;
            };
            let values = ["record_type", "regimen", "line", "action", "drug_name", "atc", "dose", "frequency", "prescription_id", "quantity", "days_supplied"]
                .iter()
                .filter_map(|k| Some((k.to_string(), data.get(k).as_string()?)))
                .collect();
            entry.check(id, t, values);
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
                <form method="post" action=format!("/patients/{id}/records") class="grid grid-cols-2 gap-3 px-4 pb-4" novalidate on:submit=submit on:change=changed>
                    <input type="hidden" name="record_type" value=t.as_str() />
                    <div class="col-span-2">
                        <QField form=t name="recorded_at" label="Date" kind="date" outcome=o.clone() initial=today.to_string() />
                    </div>
                    {fields}
                    {override_field}
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
