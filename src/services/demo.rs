//! The demo network seeded on first start in development (`SEED_DEMO`).

use sea_orm::{EntityTrait, PaginatorTrait};

use super::audit::{self, Event};
use super::{hospitals, patients, staff, Core};
use crate::db::begin_write;
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::hospital::HospitalInput;
use crate::domain::role::Role;
use crate::entities::hospital;
use crate::error::AppResult;
use crate::policy::Caller;

/// The demo hospitals: (name, code, address, contact email, country).
pub const DEMO_HOSPITALS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "Kisumu County Referral Hospital",
        "KSM",
        "Off Kisumu-Kakamega Road, Kisumu",
        "ccc@kisumu-referral.example.org",
        "KE",
    ),
    (
        "Mbarara Regional Hospital",
        "MBR",
        "Mbarara-Kabale Road, Mbarara",
        "art-clinic@mbarara.example.org",
        "UG",
    ),
    (
        "Chris Hani Baragwanath Clinic",
        "CHB",
        "26 Chris Hani Road, Soweto",
        "hiv-clinic@baragwanath.example.org",
        "ZA",
    ),
];

/// The password of every demo staff account (development only; printed at start).
pub const DEMO_PASSWORD: &str = "hospitallink-demo-2026";

/// Demo staff: (email, display name, role, index into `DEMO_HOSPITALS` or none).
pub const DEMO_STAFF: [(&str, &str, Role, Option<usize>); 10] = [
    (
        "admin@hospitallink.example",
        "Network Admin",
        Role::PlatformAdmin,
        None,
    ),
    (
        "admin.ksm@hospitallink.example",
        "Grace Achieng",
        Role::HospitalAdmin,
        Some(0),
    ),
    (
        "clinician.ksm@hospitallink.example",
        "Dr. Otieno Ouma",
        Role::Clinician,
        Some(0),
    ),
    (
        "lab.ksm@hospitallink.example",
        "Peter Njoroge",
        Role::LabTechnician,
        Some(0),
    ),
    (
        "pharmacist.ksm@hospitallink.example",
        "Mary Wanjiku",
        Role::Pharmacist,
        Some(0),
    ),
    (
        "reception.ksm@hospitallink.example",
        "Janet Akinyi",
        Role::Receptionist,
        Some(0),
    ),
    (
        "billing.ksm@hospitallink.example",
        "Samuel Kiprop",
        Role::BillingClerk,
        Some(0),
    ),
    (
        "viewer.ksm@hospitallink.example",
        "Ruth Chebet",
        Role::Viewer,
        Some(0),
    ),
    (
        "clinician.mbr@hospitallink.example",
        "Dr. Sarah Namutebi",
        Role::Clinician,
        Some(1),
    ),
    (
        "clinician.chb@hospitallink.example",
        "Dr. Thabo Nkosi",
        Role::Clinician,
        Some(2),
    ),
];

/// A demo patient: (first, last, birth date, sex, email, phone).
pub type DemoPatient = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// Demo patients who can sign in to the portal.
pub const DEMO_PATIENTS: [DemoPatient; 3] = [
    (
        "Amina",
        "Odhiambo",
        "1988-04-12",
        "female",
        Some("amina.odhiambo@example.org"),
        Some("+254700100001"),
    ),
    (
        "Joseph",
        "Mwangi",
        "1975-09-30",
        "male",
        None,
        Some("+254700100002"),
    ),
    (
        "Lindiwe",
        "Dlamini",
        "1992-01-05",
        "female",
        Some("lindiwe.dlamini@example.org"),
        None,
    ),
];

/// Seeds the demo network when the database has no hospital yet. Returns whether it seeded.
pub async fn seed_if_empty(core: &Core) -> AppResult<bool> {
    if hospital::Entity::find().count(&core.db).await? > 0 {
        return Ok(false);
    }
    let mut hospital_ids = Vec::new();
    for (name, code, address, email, country) in DEMO_HOSPITALS {
        let input = HospitalInput {
            name: Some(name.into()),
            code: Some(code.into()),
            address: Some(address.into()),
            contact_email: Some(email.into()),
            country: Some(country.into()),
            active: Some(true),
        };
        hospital_ids.push(hospitals::create(core, &Caller::system(), &input).await?.id);
    }
    let password_hash = staff::hash_password(DEMO_PASSWORD.to_string()).await?;
    let txn = begin_write(&core.db).await?;
    for (email, name, role, hospital) in DEMO_STAFF {
        let account = staff::insert_account(
            core,
            &txn,
            staff::NewAccount {
                email: email.into(),
                display_name: name.into(),
                role,
                hospital_id: hospital.map(|i| hospital_ids[i]),
                password_hash: password_hash.clone(),
            },
        )
        .await?;
        let event = Event::new("staff_account", AuditAction::Create)
            .entity_id(account.id)
            .details(serde_json::json!({"via": "demo_seed", "role": role.as_str()}));
        audit::append(
            &txn,
            core.clock.now(),
            &Caller::system(),
            &event,
            Outcome::Allowed,
        )
        .await?;
    }
    for (first, last, dob, sex, email, phone) in DEMO_PATIENTS {
        let id = patients::insert(
            core,
            &txn,
            &crate::domain::patient::ValidPatient {
                first_name: first.into(),
                last_name: last.into(),
                date_of_birth: dob.parse().map_err(crate::error::AppError::internal)?,
                sex: sex.into(),
                email: email.map(str::to_string),
                phone: phone.map(str::to_string),
                national_id: None,
                ..Default::default()
            },
        )
        .await?;
        let event = Event::new("patient", AuditAction::Create)
            .entity_id(id)
            .patient(id)
            .details(serde_json::json!({"via": "demo_seed"}));
        audit::append(
            &txn,
            core.clock.now(),
            &Caller::system(),
            &event,
            Outcome::Allowed,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}
