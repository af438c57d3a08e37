//! Registration (`/patients/new`): a plain POST the server answers with a redirect to the new
//! chart, or with this page again holding the errors and what was typed. A patient already
//! known in the network answers with the link flow.

use hospitallink::domain::clinical::patient::SEXES;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{BUTTON, INPUT};
use crate::components::{StaffShell, TextField};
use crate::pages::auth::{typed, use_outcome};

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
