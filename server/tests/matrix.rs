//! The authorization matrix, generated from the route table: every documented REST operation
//! and every server function is called as anonymous and as each role, against objects of the
//! caller's own hospital and of another. A route missing from `RULES` fails the test, so a new
//! route cannot be added without deciding who may call it.

use crate::common;

use common::{hospital_json, spawn_app, Staff};
use hospitallink::domain::identity::role::{Permission, Role};
use hospitallink::domain::integration::CLIENT_SCOPES;
use hospitallink::policy::Caller;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use utoipa::OpenApi;

#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in staff member or patient.
    SignedIn,
    /// Signed-in patients only: every staff role is refused (403).
    PatientOnly,
    /// Staff with any of these permissions; `scoped` operations on another hospital's object
    /// are 404.
    Needs {
        permissions: &'static [Permission],
        scoped: bool,
    },
    /// Staff holding every one of these permissions, of a hospital (`network: false`) or of
    /// the whole network (`network: true`); everyone else 403.
    Holding {
        permissions: &'static [Permission],
        network: bool,
    },
}

use Rule::*;

/// Whose object a call aims at: the caller's hospital's, another hospital's, or none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Own,
    Other,
    Missing,
}

const fn needs(permission: &'static Permission) -> Rule {
    Needs {
        permissions: std::slice::from_ref(permission),
        scoped: false,
    }
}

const fn scoped(permission: &'static Permission) -> Rule {
    Needs {
        permissions: std::slice::from_ref(permission),
        scoped: true,
    }
}

const fn scoped_any(permissions: &'static [Permission]) -> Rule {
    Needs {
        permissions,
        scoped: true,
    }
}

/// Any permission that writes a record type.
const RECORD_WRITERS: &[Permission] = &[
    Permission::RecordsWrite,
    Permission::LabsWrite,
    Permission::PrescriptionsWrite,
    Permission::DispensingWrite,
];
/// Any permission that reads a record type.
const RECORD_READERS: &[Permission] = &[Permission::RecordsRead, Permission::RegimensRead];

/// Whoever stores or reads a consent form (the kind the matrix uploads).
const CONSENT_WRITERS: &[Permission] = &[Permission::ConsentRecord, Permission::PatientsWrite];
const CONSENT_READERS: &[Permission] = &[
    Permission::ConsentRecord,
    Permission::PatientsWrite,
    Permission::RecordsRead,
];

/// Who may call what. Keys are `METHOD path` as routed.
const RULES: &[(&str, Rule)] = &[
    ("POST /api/v1/auth/admin/login", Public),
    ("POST /api/v1/auth/mfa", Public),
    ("POST /api/v1/auth/mfa/setup", SignedIn),
    ("POST /api/v1/auth/mfa/confirm", SignedIn),
    ("POST /api/v1/auth/patient/request-otp", Public),
    ("POST /api/v1/auth/patient/verify-otp", Public),
    ("POST /api/v1/auth/refresh", Public),
    ("POST /api/v1/auth/logout", Public),
    ("GET /api/v1/auth/me", SignedIn),
    (
        "POST /api/v1/staff/invitations",
        needs(&Permission::StaffManage),
    ),
    ("POST /api/v1/staff/invitations/accept", Public),
    ("GET /api/v1/staff", needs(&Permission::StaffRead)),
    ("GET /api/v1/staff/{id}", scoped(&Permission::StaffRead)),
    ("PUT /api/v1/staff/{id}", scoped(&Permission::StaffManage)),
    (
        "POST /api/v1/hospitals",
        needs(&Permission::HospitalsManage),
    ),
    ("GET /api/v1/hospitals", Public),
    ("GET /api/v1/hospitals/{id}", Public),
    (
        "PUT /api/v1/hospitals/{id}",
        needs(&Permission::HospitalsManage),
    ),
    (
        "PUT /api/v1/hospitals/{id}/settings",
        scoped(&Permission::SettingsManage),
    ),
    ("POST /api/v1/patients", needs(&Permission::PatientsWrite)),
    ("GET /api/v1/patients", needs(&Permission::PatientsRead)),
    (
        "GET /api/v1/hospitals/{id}/patients",
        scoped(&Permission::PatientsRead),
    ),
    (
        "GET /api/v1/patients/{id}",
        scoped(&Permission::PatientsRead),
    ),
    (
        "PUT /api/v1/patients/{id}",
        scoped(&Permission::PatientsWrite),
    ),
    (
        "DELETE /api/v1/patients/{id}",
        scoped(&Permission::PatientsDelete),
    ),
    (
        "POST /api/v1/patients/{id}/links",
        needs(&Permission::PatientsWrite),
    ),
    (
        "POST /api/v1/patients/{id}/sign-out",
        scoped(&Permission::PatientsWrite),
    ),
    (
        "POST /api/v1/patients/{id}/unlock",
        scoped(&Permission::PatientsWrite),
    ),
    (
        "GET /api/v1/patients/{id}/summary",
        scoped(&Permission::RecordsRead),
    ),
    (
        "POST /api/v1/patients/{id}/records",
        scoped_any(RECORD_WRITERS),
    ),
    (
        "GET /api/v1/patients/{id}/records",
        scoped_any(RECORD_READERS),
    ),
    (
        "POST /api/v1/patients/{id}/records/interaction-check",
        scoped_any(RECORD_WRITERS),
    ),
    ("GET /api/v1/worklists", needs(&Permission::RecordsRead)),
    (
        "GET /api/v1/indicators",
        Holding {
            permissions: &[Permission::IndicatorsRead],
            network: false,
        },
    ),
    (
        "GET /api/v1/indicators/{measure}/patients",
        Holding {
            permissions: &[Permission::IndicatorsRead, Permission::RecordsRead],
            network: false,
        },
    ),
    (
        "GET /api/v1/indicators/{measure}/csv",
        Holding {
            permissions: &[Permission::IndicatorsRead],
            network: false,
        },
    ),
    (
        "GET /api/v1/indicators/network",
        Holding {
            permissions: &[Permission::IndicatorsRead],
            network: true,
        },
    ),
    (
        "GET /api/v1/worklists/{name}",
        needs(&Permission::RecordsRead),
    ),
    (
        "POST /api/v1/patients/{id}/tracing-outcomes",
        scoped(&Permission::RecordsWrite),
    ),
    ("GET /api/v1/records/{id}", scoped_any(RECORD_READERS)),
    (
        "PUT /api/v1/records/{id}",
        scoped(&Permission::RecordsWrite),
    ),
    (
        "DELETE /api/v1/records/{id}",
        scoped(&Permission::RecordsWrite),
    ),
    (
        "POST /api/v1/patients/{id}/attachments",
        scoped_any(CONSENT_WRITERS),
    ),
    (
        "GET /api/v1/patients/{id}/attachments",
        scoped_any(CONSENT_READERS),
    ),
    ("GET /api/v1/attachments/{id}", scoped_any(CONSENT_READERS)),
    (
        "DELETE /api/v1/attachments/{id}",
        scoped_any(CONSENT_WRITERS),
    ),
    (
        "POST /api/v1/patients/{id}/consent",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "GET /api/v1/patients/{id}/grants",
        scoped(&Permission::PatientsRead),
    ),
    (
        "PUT /api/v1/grants/{id}/revoke",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "POST /api/v1/patients/{id}/consent-requests",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "POST /api/v1/patients/{id}/consent-requests/{rid}/confirm",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "POST /api/v1/patients/{id}/break-glass",
        scoped(&Permission::BreakGlass),
    ),
    (
        "GET /api/v1/break-glass",
        needs(&Permission::BreakGlassReview),
    ),
    (
        "PUT /api/v1/break-glass/{id}",
        scoped(&Permission::BreakGlassReview),
    ),
    ("POST /api/v1/sharing/grant", PatientOnly),
    ("PUT /api/v1/sharing/{id}/revoke", PatientOnly),
    ("GET /api/v1/sharing/permissions", PatientOnly),
    ("GET /api/v1/me/access-log", PatientOnly),
    ("GET /api/v1/me", PatientOnly),
    ("PUT /api/v1/me", PatientOnly),
    ("GET /api/v1/me/home", PatientOnly),
    ("GET /api/v1/me/appointments", PatientOnly),
    ("GET /api/v1/me/records", PatientOnly),
    ("GET /api/v1/me/export", PatientOnly),
    ("GET /api/v1/me/proxies", PatientOnly),
    ("POST /api/v1/me/proxies", PatientOnly),
    ("DELETE /api/v1/me/proxies/{id}", PatientOnly),
    ("POST /api/v1/me/proxies/{id}/accept", PatientOnly),
    ("POST /api/v1/me/acting-for", PatientOnly),
    ("POST /api/v1/auth/token", Public),
    ("GET /fhir/r4/metadata", Public),
    (
        "GET /fhir/r4/Patient/{id}",
        scoped(&Permission::PatientsRead),
    ),
    (
        "GET /fhir/r4/Observation",
        Needs {
            permissions: RECORD_READERS,
            scoped: false,
        },
    ),
    ("POST /fhir/r4/Observation", needs(&Permission::LabsWrite)),
    (
        "GET /fhir/r4/Observation/{id}",
        scoped(&Permission::RecordsRead),
    ),
    (
        "GET /fhir/r4/Patient/{id}/$everything",
        scoped_any(RECORD_READERS),
    ),
    (
        "GET /fhir/r4/MedicationRequest",
        Needs {
            permissions: RECORD_READERS,
            scoped: false,
        },
    ),
    (
        "GET /fhir/r4/MedicationRequest/{id}",
        scoped_any(RECORD_READERS),
    ),
    (
        "GET /fhir/r4/Condition",
        Needs {
            permissions: RECORD_READERS,
            scoped: false,
        },
    ),
    (
        "GET /fhir/r4/Condition/{id}",
        scoped(&Permission::RecordsRead),
    ),
    (
        "GET /fhir/r4/AllergyIntolerance",
        Needs {
            permissions: RECORD_READERS,
            scoped: false,
        },
    ),
    (
        "GET /fhir/r4/AllergyIntolerance/{id}",
        scoped(&Permission::RecordsRead),
    ),
    ("GET /fhir/r4/Consent", needs(&Permission::PatientsRead)),
    (
        "GET /fhir/r4/Consent/{id}",
        scoped(&Permission::PatientsRead),
    ),
    ("GET /fhir/r4/Patient", needs(&Permission::PatientsRead)),
    (
        "GET /api/v1/hospitals/{id}/api-clients",
        scoped(&Permission::SettingsManage),
    ),
    (
        "POST /api/v1/hospitals/{id}/api-clients",
        scoped(&Permission::SettingsManage),
    ),
    (
        "PUT /api/v1/hospitals/{id}/api-clients/{cid}",
        scoped(&Permission::SettingsManage),
    ),
    (
        "POST /api/v1/hospitals/{id}/api-clients/{cid}/rotate",
        scoped(&Permission::SettingsManage),
    ),
    (
        "GET /api/v1/patients/{id}/guardians",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "POST /api/v1/patients/{id}/guardians",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "DELETE /api/v1/patients/{id}/guardians/{gid}",
        scoped(&Permission::ConsentRecord),
    ),
    (
        "POST /api/v1/patients/{id}/guardians/{gid}/unlock",
        scoped(&Permission::ConsentRecord),
    ),
    ("POST /api/v1/sync/upload", needs(&Permission::Sync)),
    ("GET /api/v1/sync/changes", needs(&Permission::Sync)),
    (
        "POST /api/v1/appointments",
        needs(&Permission::AppointmentsWrite),
    ),
    (
        "GET /api/v1/appointments",
        needs(&Permission::AppointmentsRead),
    ),
    (
        "GET /api/v1/appointments/{id}",
        scoped(&Permission::AppointmentsRead),
    ),
    (
        "PUT /api/v1/appointments/{id}",
        scoped(&Permission::AppointmentsWrite),
    ),
    (
        "DELETE /api/v1/appointments/{id}",
        scoped(&Permission::AppointmentsWrite),
    ),
    ("POST /api/v1/invoices", needs(&Permission::BillingWrite)),
    ("GET /api/v1/invoices", needs(&Permission::BillingRead)),
    (
        "GET /api/v1/invoices/{id}",
        scoped(&Permission::BillingRead),
    ),
    (
        "PUT /api/v1/invoices/{id}",
        scoped(&Permission::BillingWrite),
    ),
    (
        "GET /api/v1/hospitals/{id}/visit-fees",
        scoped_any(&[Permission::BillingRead, Permission::SettingsManage]),
    ),
    (
        "PUT /api/v1/hospitals/{id}/visit-fees",
        scoped(&Permission::SettingsManage),
    ),
    ("GET /api/v1/messages", needs(&Permission::OutboxRead)),
    (
        "POST /api/v1/messages/{id}/retry",
        scoped(&Permission::OutboxRead),
    ),
    (
        "GET /api/v1/hospitals/{id}/notification-templates",
        scoped(&Permission::SettingsManage),
    ),
    (
        "PUT /api/v1/hospitals/{id}/notification-templates",
        scoped(&Permission::SettingsManage),
    ),
    (
        "POST /api/v1/hospitals/{id}/notification-templates/preview",
        scoped(&Permission::SettingsManage),
    ),
    ("GET /api/v1/audit", needs(&Permission::AuditRead)),
    ("GET /api/v1/audit/verify", needs(&Permission::AuditVerify)),
    ("POST /_fn/hospitals/list", Public),
    (
        "POST /_fn/hospitals/create",
        needs(&Permission::HospitalsManage),
    ),
    (
        "POST /_fn/hospitals/settings",
        needs(&Permission::SettingsManage),
    ),
    ("POST /_fn/auth/me", Public),
    ("POST /_fn/auth/mfa/enrolment", SignedIn),
    ("POST /_fn/auth/invitation", Public),
    ("POST /_fn/outbox/list", needs(&Permission::OutboxRead)),
    ("POST /_fn/audit/list", needs(&Permission::AuditRead)),
    (
        "POST /_fn/patients/search",
        needs(&Permission::PatientsRead),
    ),
    (
        "POST /_fn/patients/chart",
        scoped(&Permission::PatientsRead),
    ),
    ("POST /_fn/patients/records/add", scoped_any(RECORD_WRITERS)),
    (
        "POST /_fn/patients/records/check",
        scoped_any(RECORD_WRITERS),
    ),
    ("POST /_fn/worklists/list", needs(&Permission::RecordsRead)),
    (
        "POST /_fn/indicators/report",
        Holding {
            permissions: &[Permission::IndicatorsRead],
            network: false,
        },
    ),
    (
        "POST /_fn/indicators/patients",
        Holding {
            permissions: &[Permission::IndicatorsRead, Permission::RecordsRead],
            network: false,
        },
    ),
    (
        "POST /_fn/indicators/network",
        Holding {
            permissions: &[Permission::IndicatorsRead],
            network: true,
        },
    ),
    (
        "POST /_fn/sharing/break-glass",
        needs(&Permission::BreakGlassReview),
    ),
    ("POST /_fn/portal/home", PatientOnly),
    ("POST /_fn/portal/records", PatientOnly),
    ("POST /_fn/portal/sharing", PatientOnly),
    ("POST /_fn/portal/access", PatientOnly),
    ("POST /_fn/portal/me", PatientOnly),
    ("POST /_fn/portal/proxies", PatientOnly),
    ("POST /_fn/portal/who", PatientOnly),
    ("POST /_fn/clients/list", needs(&Permission::SettingsManage)),
    (
        "POST /_fn/notifications/messages",
        needs(&Permission::OutboxRead),
    ),
    (
        "POST /_fn/notifications/templates",
        needs(&Permission::SettingsManage),
    ),
    (
        "POST /_fn/scheduling/schedule",
        needs(&Permission::AppointmentsRead),
    ),
    (
        "POST /_fn/scheduling/invoices",
        needs(&Permission::BillingRead),
    ),
    (
        "POST /_fn/scheduling/fees",
        Needs {
            permissions: &[Permission::BillingRead, Permission::SettingsManage],
            scoped: false,
        },
    ),
    (
        "POST /_fn/scheduling/patient",
        scoped(&Permission::PatientsRead),
    ),
];

fn routes() -> BTreeSet<String> {
    let doc = server::rest::ApiDoc::openapi();
    let mut all = BTreeSet::new();
    for (path, item) in doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ] {
            if op.is_some() {
                all.insert(format!("{method} {path}"));
            }
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        all.insert(format!("{method} {path}"));
    }
    all
}

#[test]
fn every_route_has_a_rule() {
    let routes = routes();
    let ruled: BTreeSet<String> = RULES.iter().map(|(k, _)| k.to_string()).collect();
    let missing: Vec<_> = routes.difference(&ruled).collect();
    let stale: Vec<_> = ruled.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization rule: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rules for routes that do not exist: {stale:?}"
    );
}

/// The objects the calls point at: own hospital and another.
struct World {
    own_hospital: uuid::Uuid,
    other_hospital: uuid::Uuid,
    /// An integration client of each hospital.
    own_client: uuid::Uuid,
    other_client: uuid::Uuid,
    /// An account each caller may manage, by role.
    own_target: HashMap<Role, (uuid::Uuid, Role)>,
    other_target: (uuid::Uuid, Role),
    own: Clinical,
    other: Clinical,
    /// Registered at the other hospital with national identifier `LINK-0001`.
    link_patient: uuid::Uuid,
    /// A clinician of the own hospital, whom bookings name as provider.
    own_clinician: uuid::Uuid,
    /// Patients and notes that a successful delete may consume.
    spare_patients: RefCell<Vec<uuid::Uuid>>,
    spare_records: RefCell<Vec<uuid::Uuid>>,
    spare_attachments: RefCell<Vec<uuid::Uuid>>,
}

/// A patient of one hospital with a prescription, a regimen and an adherence note.
struct Clinical {
    patient: uuid::Uuid,
    prescription: uuid::Uuid,
    regimen: uuid::Uuid,
    note: uuid::Uuid,
    diagnosis: uuid::Uuid,
    allergy: uuid::Uuid,
    /// A consent form on the patient.
    consent: uuid::Uuid,
    /// A grant recorded with that form.
    grant: uuid::Uuid,
    /// A break-glass opening of the patient, waiting for review.
    opening: uuid::Uuid,
    /// A consent request waiting for the patient's code.
    consent_request: uuid::Uuid,
    /// A guardian staff added for the patient (a minor).
    guardian: uuid::Uuid,
    /// A completed visit of the patient, and its invoice.
    appointment: uuid::Uuid,
    invoice: uuid::Uuid,
    /// A message to the patient in the hospital's outbox.
    message: uuid::Uuid,
}

/// The multipart body of a consent-form upload.
fn consent_form() -> reqwest::multipart::Form {
    let pdf = b"%PDF-1.4\n% matrix consent\n%%EOF\n".to_vec();
    reqwest::multipart::Form::new()
        .text("kind", "consent_form")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("consent.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
}

/// A minor, so that staff may add a guardian.
fn patient_json(n: usize) -> Value {
    json!({"first_name": format!("Matrix{n}"), "last_name": "Patient", "date_of_birth": "2015-01-01", "sex": "other"})
}

fn body_for(key: &str, role: Option<Role>, world: &World, n: usize) -> Option<Value> {
    Some(match key {
        "POST /api/v1/staff/invitations" => {
            let (invited, hospital) = match role {
                Some(Role::PlatformAdmin) => ("hospital_admin", Some(world.own_hospital)),
                _ => ("viewer", None),
            };
            json!({"email": format!("invitee{n}@example.org"), "display_name": "Invitee", "role": invited, "hospital_id": hospital})
        }
        "POST /api/v1/hospitals" | "PUT /api/v1/hospitals/{id}" => hospital_json(&format!("M{n}")),
        "PUT /api/v1/staff/{id}" => json!({"active": true}),
        "PUT /api/v1/hospitals/{id}/settings" => json!({"break_glass_minutes": 120}),
        "PUT /api/v1/me" => json!({"language": "sw"}),
        "POST /api/v1/hospitals/{id}/api-clients" => {
            json!({"name": format!("Matrix client {n}"), "scopes": ["patients.read"]})
        }
        "PUT /api/v1/hospitals/{id}/api-clients/{cid}" => json!({"disabled": false}),
        "POST /api/v1/me/proxies" => {
            json!({"name": "Matrix helper", "relationship": "sibling", "phone": "+255700000001"})
        }
        "POST /api/v1/me/acting-for" => json!({"patient_id": null}),
        "POST /api/v1/patients/{id}/guardians" => json!({"name": "Matrix guardian",
            "relationship": "parent", "phone": format!("+2557{n:08}"),
            "consent_form_id": world.own.consent}),
        "POST /api/v1/sharing/grant" => json!({"hospital_id": world.own_hospital,
            "categories": ["labs"], "purpose": "treatment"}),
        "POST /api/v1/sync/upload" => json!({"records": [{"external_id": format!("MATRIX-{n}"),
            "patient_id": world.own.patient,
            "record": {"record_type": "adherence_note", "payload": {"text": "Matrix sync"}}}]}),
        "POST /fhir/r4/Observation" => json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "24467-3"}]},
            "subject": {"reference": format!("Patient/{}", world.own.patient)},
            "valueQuantity": {"value": 400 + n}}),
        "POST /api/v1/patients" => patient_json(n),
        "POST /api/v1/appointments" => json!({"patient_id": world.own.patient,
            "provider_user_id": world.own_clinician,
            "scheduled_start": format!("2030-01-{:02}T{:02}:00:00", 1 + n / 24 % 28, n % 24),
            "scheduled_end": format!("2030-01-{:02}T{:02}:30:00", 1 + n / 24 % 28, n % 24)}),
        "PUT /api/v1/appointments/{id}" => json!({"notes": format!("Matrix {n}")}),
        "POST /api/v1/invoices" => json!({"appointment_id": world.own.appointment}),
        "PUT /api/v1/invoices/{id}" => json!({"status": "paid"}),
        "PUT /api/v1/hospitals/{id}/visit-fees" => json!({"fees": []}),
        "PUT /api/v1/hospitals/{id}/notification-templates"
        | "POST /api/v1/hospitals/{id}/notification-templates/preview" => json!({
            "kind": "appointment_reminder", "language": "sw", "channel": "sms",
            "body": "Habari {{ first_name }}, miadi yako ni {{ date }} {{ time }}."}),
        "PUT /api/v1/patients/{id}" => patient_json(0),
        "DELETE /api/v1/patients/{id}"
        | "DELETE /api/v1/records/{id}"
        | "DELETE /api/v1/attachments/{id}" => {
            json!({"justification": "Authorization matrix check"})
        }
        "POST /api/v1/patients/{id}/links" => json!({"national_id": "LINK-0001"}),
        "POST /api/v1/patients/{id}/consent" => json!({
            "hospital_id": world.other_hospital, "categories": ["labs"], "purpose": "treatment",
            "consent_form_id": world.own.consent}),
        "POST /api/v1/patients/{id}/break-glass" => {
            json!({"reason": "Matrix emergency needs the whole record now"})
        }
        "PUT /api/v1/break-glass/{id}" => json!({"outcome": "reviewed"}),
        "POST /api/v1/patients/{id}/consent-requests" => {
            json!({"categories": ["labs"], "purpose": "treatment"})
        }
        "POST /api/v1/patients/{id}/consent-requests/{rid}/confirm" => json!({"code": "000000"}),
        "POST /api/v1/patients/{id}/records"
        | "POST /api/v1/patients/{id}/records/interaction-check" => match role {
            Some(Role::LabTechnician) => {
                json!({"record_type": "viral_load", "payload": {"copies_per_ml": 40, "comparator": "<"}})
            }
            Some(Role::Pharmacist) => json!({"record_type": "dispensing", "payload": {
                "prescription_id": world.own.prescription, "quantity": 30, "days_supplied": 30}}),
            _ => json!({"record_type": "adherence_note", "payload": {"text": "Matrix note"}}),
        },
        "PUT /api/v1/records/{id}" => json!({"payload": {"text": format!("Edited {n}")}}),
        "POST /api/v1/patients/{id}/tracing-outcomes" => {
            json!({"outcome": "not_located", "contact_method": "phone"})
        }
        k if k.starts_with("POST /api/v1/auth/")
            || k.starts_with("POST /api/v1/staff/invitations/accept") =>
        {
            json!({})
        }
        _ => return None,
    })
}

fn form_for(
    key: &str,
    role: Option<Role>,
    n: usize,
    world: &World,
    other_side: bool,
) -> Vec<(String, String)> {
    let side = if other_side { &world.other } else { &world.own };
    let pairs: Vec<(&str, String)> = match key {
        "POST /_fn/patients/records/add" | "POST /_fn/patients/records/check" => {
            let mut fields = vec![("id", side.patient.to_string())];
            fields.extend(match role {
                Some(Role::LabTechnician) => vec![
                    ("values[record_type]", "viral_load".to_string()),
                    ("values[copies_per_ml]", "40".into()),
                    ("values[comparator]", "<".into()),
                ],
                Some(Role::Pharmacist) => vec![
                    ("values[record_type]", "dispensing".to_string()),
                    ("values[prescription_id]", side.prescription.to_string()),
                    ("values[quantity]", "30".into()),
                    ("values[days_supplied]", "30".into()),
                ],
                _ => vec![
                    ("values[record_type]", "adherence_note".to_string()),
                    ("values[text]", format!("Matrix note {n}")),
                ],
            });
            fields
        }
        "POST /_fn/patients/search" => vec![("q", "matrix".into()), ("page", "1".into())],
        "POST /_fn/worklists/list" => vec![("list", "iit".into()), ("page", "1".into())],
        "POST /_fn/indicators/report" | "POST /_fn/indicators/network" => vec![
            ("period_start", "2026-01-01".into()),
            ("period_end", "2026-03-31".into()),
        ],
        "POST /_fn/indicators/patients" => vec![
            ("measure", "tx_curr".into()),
            ("period_start", "2026-01-01".into()),
            ("period_end", "2026-03-31".into()),
            ("age_band", String::new()),
            ("sex", String::new()),
            ("outcome", String::new()),
            ("page", "1".into()),
        ],
        "POST /_fn/patients/chart" => vec![
            ("id", side.patient.to_string()),
            ("types", String::new()),
            ("page", "1".into()),
        ],
        "POST /_fn/hospitals/list" => vec![("q", String::new()), ("page", "1".into())],
        "POST /_fn/hospitals/create" => vec![
            ("input[name]", format!("Matrix {n}")),
            ("input[code]", format!("MX{n}")),
            ("input[contact_email]", "m@example.org".into()),
            ("input[country]", "KE".into()),
        ],
        "POST /_fn/auth/invitation" => vec![("token", "unknown".into())],
        "POST /_fn/outbox/list" => vec![("page", "1".into())],
        "POST /_fn/sharing/break-glass" => vec![("all", "false".into()), ("page", "1".into())],
        "POST /_fn/portal/access" => vec![("page", "1".into())],
        "POST /_fn/audit/list" => vec![("query[page]", "1".into())],
        "POST /_fn/scheduling/schedule" => vec![
            ("provider", String::new()),
            ("day", "2026-03-02".into()),
            ("span", "week".into()),
        ],
        "POST /_fn/scheduling/invoices" => vec![("status", String::new()), ("page", "1".into())],
        "POST /_fn/notifications/messages" => vec![("status", String::new()), ("page", "1".into())],
        "POST /_fn/scheduling/patient" => vec![("id", side.patient.to_string())],
        _ => vec![],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The id a route's `{id}` stands for, for a caller of `role` on its own side or the other.
fn target_for(key: &str, role: Option<Role>, world: &World, other_side: bool) -> uuid::Uuid {
    let (method, path) = key.split_once(' ').unwrap();
    let side = if other_side { &world.other } else { &world.own };
    if path.starts_with("/api/v1/hospitals/{id}") {
        return if other_side {
            world.other_hospital
        } else {
            world.own_hospital
        };
    }
    if path.starts_with("/fhir/r4/Patient/{id}") {
        return side.patient;
    }
    match path {
        "/fhir/r4/Observation/{id}" => return side.note,
        "/fhir/r4/MedicationRequest/{id}" => return side.regimen,
        "/fhir/r4/Condition/{id}" => return side.diagnosis,
        "/fhir/r4/AllergyIntolerance/{id}" => return side.allergy,
        "/fhir/r4/Consent/{id}" => return side.grant,
        _ => {}
    }
    if path == "/api/v1/patients/{id}/links" {
        return world.link_patient;
    }
    if path == "/api/v1/grants/{id}/revoke" {
        return side.grant;
    }
    if path == "/api/v1/break-glass/{id}" {
        return side.opening;
    }
    if path == "/api/v1/appointments/{id}" {
        return side.appointment;
    }
    if path == "/api/v1/invoices/{id}" {
        return side.invoice;
    }
    if path == "/api/v1/messages/{id}/retry" {
        return side.message;
    }
    if path.starts_with("/api/v1/patients/{id}") {
        if method == "DELETE" && !other_side && path == "/api/v1/patients/{id}" {
            // Callers after the successful deletes are refused before the id matters.
            return world
                .spare_patients
                .borrow()
                .last()
                .copied()
                .unwrap_or(side.patient);
        }
        return side.patient;
    }
    if path == "/api/v1/attachments/{id}" {
        return match (method, other_side) {
            ("DELETE", false) => world
                .spare_attachments
                .borrow()
                .last()
                .copied()
                .unwrap_or(side.consent),
            _ => side.consent,
        };
    }
    if path == "/api/v1/records/{id}" {
        return match (method, other_side) {
            ("DELETE", false) => world
                .spare_records
                .borrow()
                .last()
                .copied()
                .unwrap_or(side.note),
            ("GET", _) => side.regimen,
            _ => side.note,
        };
    }
    if other_side {
        world.other_target.0
    } else {
        // Roles that manage nobody aim at an account of their own hospital (a viewer).
        role.and_then(|r| world.own_target.get(&r).map(|t| t.0))
            .unwrap_or(world.own_target[&Role::HospitalAdmin].0)
    }
}

/// Registers a patient with clinical records, a consent form and a grant (to `grantee`)
/// through the API as `token`'s hospital.
async fn clinical(
    app: &common::TestApp,
    token: &str,
    national_id: Option<&str>,
    grantee: uuid::Uuid,
) -> Clinical {
    static PHONES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut body = patient_json(usize::MAX);
    body["national_id"] = json!(national_id);
    // A phone of its own, for the consent code.
    let n = PHONES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    body["phone"] = json!(format!("+25470{n:07}"));
    let (status, patient) = app.post_json("/api/v1/patients", Some(token), body).await;
    assert_eq!(status, 201, "{patient}");
    let id = patient["id"].as_str().unwrap().to_string();
    let records = format!("/api/v1/patients/{id}/records");
    let mut add = Vec::new();
    for record in [
        json!({"record_type": "prescription", "payload": {"drug_name": "Cotrimoxazole", "dose": "960 mg", "frequency": "daily"}}),
        json!({"record_type": "art_regimen", "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "start"}}),
        json!({"record_type": "adherence_note", "payload": {"text": "Doing well"}}),
        json!({"record_type": "diagnosis", "payload": {"icd10": "B20", "text": "HIV disease"}}),
        json!({"record_type": "allergy", "payload": {"substance": "Sulfonamides", "severity": "moderate"}}),
    ] {
        let (status, r) = app.post_json(&records, Some(token), record).await;
        assert_eq!(status, 201, "{r}");
        add.push(r["id"].as_str().unwrap().parse().unwrap());
    }
    let uploaded: Value = app
        .client
        .post(app.url(&format!("/api/v1/patients/{id}/attachments")))
        .bearer_auth(token)
        .multipart(consent_form())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let consent = uploaded["id"].as_str().unwrap();
    let (status, grant) = app
        .post_json(
            &format!("/api/v1/patients/{id}/consent"),
            Some(token),
            json!({"hospital_id": grantee, "categories": ["labs"], "purpose": "referral",
                   "consent_form_id": consent}),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    let (status, opening) = app
        .post_json(
            &format!("/api/v1/patients/{id}/break-glass"),
            Some(token),
            json!({"reason": "Collapsed at the clinic, needs the full record"}),
        )
        .await;
    assert_eq!(status, 201, "{opening}");
    let (status, request) = app
        .post_json(
            &format!("/api/v1/patients/{id}/consent-requests"),
            Some(token),
            json!({"categories": ["labs"], "purpose": "treatment"}),
        )
        .await;
    assert_eq!(status, 201, "{request}");
    let (status, guardian) = app
        .post_json(
            &format!("/api/v1/patients/{id}/guardians"),
            Some(token),
            json!({"name": "Guardian", "relationship": "parent",
                   "phone": format!("+25571{n:07}"), "consent_form_id": consent}),
        )
        .await;
    assert_eq!(status, 201, "{guardian}");
    Clinical {
        patient: id.parse().unwrap(),
        prescription: add[0],
        regimen: add[1],
        note: add[2],
        diagnosis: add[3],
        allergy: add[4],
        consent: consent.parse().unwrap(),
        grant: grant["id"].as_str().unwrap().parse().unwrap(),
        opening: opening["id"].as_str().unwrap().parse().unwrap(),
        consent_request: request["id"].as_str().unwrap().parse().unwrap(),
        guardian: guardian["id"].as_str().unwrap().parse().unwrap(),
        appointment: uuid::Uuid::nil(),
        invoice: uuid::Uuid::nil(),
        message: uuid::Uuid::nil(),
    }
}

/// A message about `side`'s patient in `hospital`'s outbox.
async fn queued_message(app: &common::TestApp, hospital: uuid::Uuid, side: &mut Clinical) {
    use hospitallink::services::platform::outbox;
    let txn = hospitallink::db::begin_write(&app.core.db).await.unwrap();
    let key = format!("matrix:{}", side.patient);
    outbox::enqueue_once(
        &app.core,
        &txn,
        outbox::Planned {
            message: outbox::Message {
                channel: outbox::Channel::Sms,
                purpose: "appointment_reminder",
                to: "+254700000999".into(),
                subject: None,
                body: "Matrix".into(),
            },
            hospital_id: hospital,
            patient_id: side.patient,
            subject_ref: format!("record:{}", side.note),
            dedupe_key: key.clone(),
            not_before: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    use hospitallink::entities::outbox_message;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    side.message = outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(key))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap()
        .id;
}

/// Books a visit of `side`'s patient with `provider`, completes it and invoices it as the
/// hospital's clinician and billing clerk.
async fn invoiced_visit(
    app: &common::TestApp,
    clinician: &str,
    provider: uuid::Uuid,
    clerk: &str,
    side: &mut Clinical,
) {
    let (status, booked) = app
        .post_json(
            "/api/v1/appointments",
            Some(clinician),
            json!({"patient_id": side.patient, "provider_user_id": provider,
                   "scheduled_start": "2026-03-02T09:00:00", "scheduled_end": "2026-03-02T09:30:00"}),
        )
        .await;
    assert_eq!(status, 201, "{booked}");
    let id = booked["appointment"]["appointment_id"].as_str().unwrap();
    let done = common::call(
        app,
        reqwest::Method::PUT,
        &format!("/api/v1/appointments/{id}"),
        clinician,
        Some(json!({"status": "completed"})),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let (status, invoiced) = app
        .post_json(
            "/api/v1/invoices",
            Some(clerk),
            json!({"appointment_id": id}),
        )
        .await;
    assert_eq!(status, 201, "{invoiced}");
    side.appointment = id.parse().unwrap();
    side.invoice = invoiced["invoice"]["invoice_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_says() {
    let app = spawn_app().await;
    let core = &app.core;
    let h = |code: &str| {
        let input = serde_json::from_value(hospital_json(code)).unwrap();
        async move {
            hospitallink::services::platform::hospitals::create(core, &Caller::system(), &input)
                .await
                .unwrap()
                .id
        }
    };
    let own = h("OWN").await;
    let other = h("OTH").await;
    let api_client = |hospital| async move {
        let input = hospitallink::domain::integration::ClientInput {
            name: Some("Matrix EHR".into()),
            scopes: Some(vec!["patients.read".into()]),
        };
        hospitallink::services::integration::clients::create(
            core,
            &Caller::system(),
            hospital,
            &input,
        )
        .await
        .unwrap()
        .client_id
    };
    let (own_client, other_client) = (api_client(own).await, api_client(other).await);
    // The own hospital's integration client holding every scope a client may hold.
    let every_scope = hospitallink::domain::integration::ClientInput {
        name: Some("Matrix full client".into()),
        scopes: Some(
            CLIENT_SCOPES
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        ),
    };
    let full = hospitallink::services::integration::clients::create(
        core,
        &Caller::system(),
        own,
        &every_scope,
    )
    .await
    .unwrap();
    let (status, answer) = app
        .post_json(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": full.client_id,
                   "client_secret": full.client_secret}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let client_token = answer["access_token"].as_str().unwrap().to_string();

    let mut callers: Vec<(Role, Staff)> = Vec::new();
    for role in Role::ALL {
        let hospital = (role != Role::PlatformAdmin).then_some(own);
        let staff = app
            .enrolled_staff(
                &format!("{}@own.example.org", role.as_str()),
                role,
                hospital,
            )
            .await;
        callers.push((role, staff));
    }
    let admin_target = callers
        .iter()
        .find(|(r, _)| *r == Role::HospitalAdmin)
        .unwrap()
        .1
        .id;
    let viewer_target = callers
        .iter()
        .find(|(r, _)| *r == Role::Viewer)
        .unwrap()
        .1
        .id;
    let stranger = app
        .create_staff("clinician@other.example.org", Role::Clinician, Some(other))
        .await;
    let mut tokens = Vec::new();
    for (role, staff) in &callers {
        tokens.push((*role, app.token(staff).await));
    }
    let own_clinician = &tokens
        .iter()
        .find(|(r, _)| *r == Role::Clinician)
        .unwrap()
        .1;
    let stranger_token = app.token(&stranger).await;
    let mut own_side = clinical(&app, own_clinician, Some("OWN-0001"), other).await;
    let mut other_side = clinical(&app, &stranger_token, None, other).await;
    let own_clinician_id = callers
        .iter()
        .find(|(r, _)| *r == Role::Clinician)
        .unwrap()
        .1
        .id;
    let own_clerk = &tokens
        .iter()
        .find(|(r, _)| *r == Role::BillingClerk)
        .unwrap()
        .1;
    invoiced_visit(
        &app,
        own_clinician,
        own_clinician_id,
        own_clerk,
        &mut own_side,
    )
    .await;
    let far_clerk = app
        .create_staff("billing@other.example.org", Role::BillingClerk, Some(other))
        .await;
    let far_clerk = app.token(&far_clerk).await;
    invoiced_visit(
        &app,
        &stranger_token,
        stranger.id,
        &far_clerk,
        &mut other_side,
    )
    .await;
    queued_message(&app, own, &mut own_side).await;
    queued_message(&app, other, &mut other_side).await;
    let link_patient = clinical(&app, &stranger_token, Some("LINK-0001"), other)
        .await
        .patient;
    let mut spare_patients = Vec::new();
    let mut spare_records = Vec::new();
    let mut spare_attachments = Vec::new();
    // As many as those who may delete them (admins, clinicians, the front desk, a client).
    for _ in 0..4 {
        spare_patients.push(clinical(&app, own_clinician, None, other).await.patient);
        let spare = clinical(&app, own_clinician, None, other).await;
        spare_records.push(spare.note);
        spare_attachments.push(spare.consent);
    }
    let world = World {
        own_hospital: own,
        other_hospital: other,
        own_client,
        other_client,
        own_target: HashMap::from([
            (Role::PlatformAdmin, (admin_target, Role::HospitalAdmin)),
            (Role::HospitalAdmin, (viewer_target, Role::Viewer)),
        ]),
        other_target: (stranger.id, Role::Clinician),
        own: own_side,
        other: other_side,
        link_patient,
        own_clinician: own_clinician_id,
        spare_patients: RefCell::new(spare_patients),
        spare_records: RefCell::new(spare_records),
        spare_attachments: RefCell::new(spare_attachments),
    };

    let mut n = 0;
    let mut checked = 0;
    let mut call = |key: &'static str, token: Option<String>, role: Option<Role>, side: Side| {
        n += 1;
        let other_side = side != Side::Own;
        let (method, path) = key.split_once(' ').unwrap();
        let target = match side {
            Side::Missing => uuid::Uuid::now_v7(),
            _ => target_for(key, role, &world, other_side),
        };
        let request_id = match side {
            Side::Missing => uuid::Uuid::now_v7(),
            Side::Own => world.own.consent_request,
            Side::Other => world.other.consent_request,
        };
        let (guardian, client) = match side {
            Side::Missing => (uuid::Uuid::now_v7(), uuid::Uuid::now_v7()),
            Side::Own => (world.own.guardian, world.own_client),
            Side::Other => (world.other.guardian, world.other_client),
        };
        let concrete = path
            .replace("{id}", &target.to_string())
            .replace("{rid}", &request_id.to_string())
            .replace("{gid}", &guardian.to_string())
            .replace("{cid}", &client.to_string())
            .replace("{name}", "iit")
            .replace("{measure}", "tx_pvls_d");
        let url = app.url(&concrete);
        let mut request = match method {
            "GET" => app.client.get(url),
            "PUT" => app.client.put(url),
            "DELETE" => app.client.delete(url),
            _ => app.client.post(url),
        };
        if let Some(t) = &token {
            request = request.bearer_auth(t);
        }
        if key == "POST /api/v1/sync/upload" {
            request = request.header("Idempotency-Key", format!("matrix-{n}"));
        }
        request = if path.starts_with("/_fn/") {
            request
                .header("accept", "application/json")
                .form(&form_for(key, role, n, &world, other_side))
        } else if key == "POST /api/v1/patients/{id}/attachments" {
            request.multipart(consent_form())
        } else if let Some(body) = body_for(key, role, &world, n) {
            request.json(&body)
        } else {
            request
        };
        let spares = match key {
            "DELETE /api/v1/patients/{id}" if !other_side => Some(&world.spare_patients),
            "DELETE /api/v1/records/{id}" if !other_side => Some(&world.spare_records),
            "DELETE /api/v1/attachments/{id}" if !other_side => Some(&world.spare_attachments),
            _ => None,
        };
        async move {
            let status = request.send().await.unwrap().status().as_u16();
            if let (204, Some(spares)) = (status, spares) {
                // Consumed: the next successful delete needs another object.
                spares.borrow_mut().pop();
            }
            status
        }
    };

    for (key, rule) in RULES {
        // Anonymous.
        let status = call(key, None, None, Side::Own).await;
        match rule {
            Public => assert_ne!(status, 401, "{key} anonymous"),
            _ => assert_eq!(status, 401, "{key} anonymous"),
        }
        checked += 1;
        for (role, token) in &tokens {
            let status = call(key, Some(token.clone()), Some(*role), Side::Own).await;
            match rule {
                Public | SignedIn => {
                    assert!(![401, 403].contains(&status), "{key} as {role}: {status}")
                }
                PatientOnly => assert_eq!(status, 403, "{key} as {role}"),
                Needs {
                    permissions,
                    scoped,
                } => {
                    if !permissions.iter().any(|p| role.has(*p)) {
                        // Refused: 403, or 404 where the object is outside the caller's view
                        // (a platform admin belongs to no hospital, so sees no patient), which
                        // is then what a missing object answers too.
                        if status == 404 && key.contains("{id}") {
                            let missing =
                                call(key, Some(token.clone()), Some(*role), Side::Missing).await;
                            assert_eq!(missing, 404, "{key} as {role}: absent and out of view");
                        } else if status == 404 {
                            // A server function names the patient in its form.
                            assert_eq!(*role, Role::PlatformAdmin, "{key} as {role}: 404");
                        } else {
                            assert_eq!(status, 403, "{key} as {role}");
                        }
                        if *scoped && *role != Role::PlatformAdmin && key.contains("{id}") {
                            // Another hospital's object answers as a missing one: whether it
                            // exists does not leak.
                            let foreign =
                                call(key, Some(token.clone()), Some(*role), Side::Other).await;
                            let missing =
                                call(key, Some(token.clone()), Some(*role), Side::Missing).await;
                            assert_eq!(
                                foreign, missing,
                                "{key} as {role}: another hospital's object and a missing one"
                            );
                            checked += 1;
                        }
                    } else {
                        assert!(
                            ![401, 403, 404, 500].contains(&status),
                            "{key} as {role}: {status}"
                        );
                        if *scoped && *role != Role::PlatformAdmin {
                            let status =
                                call(key, Some(token.clone()), Some(*role), Side::Other).await;
                            assert_eq!(status, 404, "{key} as {role} on another hospital's object");
                            checked += 1;
                        }
                    }
                }
                Holding {
                    permissions,
                    network,
                } => {
                    let of_network = *role == Role::PlatformAdmin;
                    if permissions.iter().all(|p| role.has(*p)) && of_network == *network {
                        assert!(
                            ![401, 403, 404, 500].contains(&status),
                            "{key} as {role}: {status}"
                        );
                    } else {
                        assert_eq!(status, 403, "{key} as {role}");
                    }
                }
            }
            checked += 1;
        }
        // The hospital's integration client is answered as its scopes say, as a role is by
        // its permissions; nothing of accounts, second factors or anyone's own portal.
        let status = call(key, Some(client_token.clone()), None, Side::Own).await;
        let holds = |ps: &[Permission]| ps.iter().any(|p| CLIENT_SCOPES.contains(p));
        match rule {
            Public | SignedIn => {
                assert!(![401, 500].contains(&status), "{key} as a client: {status}")
            }
            PatientOnly => assert_eq!(status, 403, "{key} as a client"),
            Needs {
                permissions,
                scoped,
            } if holds(permissions) => {
                assert!(
                    ![401, 403, 404, 500].contains(&status),
                    "{key} as a client: {status}"
                );
                if *scoped {
                    let other = call(key, Some(client_token.clone()), None, Side::Other).await;
                    assert_eq!(other, 404, "{key} as a client on another hospital's object");
                    checked += 1;
                }
            }
            Needs { .. } | Holding { .. } => {
                assert!([403, 404].contains(&status), "{key} as a client: {status}")
            }
        }
        checked += 1;
    }
    assert!(checked >= RULES.len() * 10, "{checked} calls");
    app.cleanup().await;
}
