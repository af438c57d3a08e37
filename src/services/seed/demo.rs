//! The demo network seeded on first start in development (`SEED_DEMO`).

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::synthetic;
use crate::db::begin_write;
use crate::domain::identity::role::Role;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::platform::hospital::HospitalInput;
use crate::entities::hospital;
use crate::error::AppResult;
use crate::policy::Caller;
use crate::services::clinical::patients;
use crate::services::identity::staff;
use crate::services::integration::changes::{self, Logged};
use crate::services::platform::audit::{self, Event};
use crate::services::platform::hospitals;
use crate::services::Core;

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

/// The demo hospitals' time zones (in the order of `DEMO_HOSPITALS`).
const DEMO_ZONES: [&str; 3] = ["Africa/Nairobi", "Africa/Kampala", "Africa/Johannesburg"];

/// The password of every demo staff account (development only; printed at start).
pub const DEMO_PASSWORD: &str = "hospitallink-demo-2026";

/// Demo staff: (email, display name, role, index into `DEMO_HOSPITALS` or none).
pub const DEMO_STAFF: [(&str, &str, Role, Option<usize>); 11] = [
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
        "admin.chb@hospitallink.example",
        "Thandiwe Nkosi",
        Role::HospitalAdmin,
        Some(2),
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

/// Synthetic patients with HIV histories seeded with the demo network (besides the portal
/// patients).
pub const DEMO_SYNTHETIC_PATIENTS: usize = 200;

/// Which demo hospital each portal patient attends (index into `DEMO_HOSPITALS`).
const DEMO_PATIENT_HOSPITAL: [usize; 4] = [0, 0, 2, 0];

/// Amina's MRNs at Mbarara and Soweto, where she is linked as well (the shared patient of the
/// demo: Kisumu's records show there only as far as she consents).
pub const SHARED_MRNS: [&str; 2] = ["MBR-0001001", "CHB-0001001"];

/// A demo patient: (first, last, birth date, sex, email, phone).
pub type DemoPatient = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// Demo patients of the portal: three sign in themselves; Neema, Amina's daughter, is a child
/// whose guardian acts for her.
pub const DEMO_PATIENTS: [DemoPatient; 4] = [
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
    ("Neema", "Odhiambo", "2016-02-20", "female", None, None),
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
    for (id, zone) in hospital_ids.iter().zip(DEMO_ZONES) {
        hospital::Entity::update_many()
            .col_expr(
                hospital::Column::Timezone,
                sea_orm::sea_query::Expr::value(zone),
            )
            .filter(hospital::Column::Id.eq(*id))
            .exec(&core.db)
            .await?;
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
    let mut portal = Vec::new();
    for (first, last, dob, sex, email, phone) in DEMO_PATIENTS {
        let id = patients::insert(
            core,
            &txn,
            &crate::domain::clinical::patient::ValidPatient {
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
        portal.push(id);
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
    let sites = demo_sites(core).await?;
    let txn = begin_write(&core.db).await?;
    for (i, (id, h)) in portal.iter().zip(DEMO_PATIENT_HOSPITAL).enumerate() {
        let mrn = format!("{}-{:07}", sites[h].code, i + 1);
        patients::insert_link(core, &txn, *id, sites[h].hospital_id, Some(mrn), None).await?;
        let registered = Logged::patient(*id, sites[h].hospital_id);
        changes::log(&txn, core.clock.now(), &[registered]).await?;
        synthetic::history_for(core, &txn, *id, &sites[h], 7 + h as u64).await?;
    }
    // Amina is treated at Kisumu, which registered her, and is linked at Mbarara and Soweto
    // too: they see only what she shares (or, at Soweto, what a break-glass opens).
    synthetic::counselling_note(core, &txn, portal[0], &sites[0]).await?;
    for (site, mrn) in [(1, SHARED_MRNS[0]), (2, SHARED_MRNS[1])] {
        patients::insert_link(
            core,
            &txn,
            portal[0],
            sites[site].hospital_id,
            Some(mrn.into()),
            None,
        )
        .await?;
        let linked = Logged::patient(portal[0], sites[site].hospital_id);
        changes::log(&txn, core.clock.now(), &[linked]).await?;
    }
    demo_visits(core, &txn, portal[0], &sites[0]).await?;
    txn.commit().await?;
    synthetic::generate(
        core,
        &sites,
        DEMO_SYNTHETIC_PATIENTS,
        2026,
        10,
        &demo_patient_names(),
    )
    .await?;
    Ok(true)
}

/// Amina's visits at Kisumu: a refill booked for tomorrow at 09:00 (Nairobi) and a follow-up
/// completed two weeks ago that the billing desk has yet to invoice.
async fn demo_visits(
    core: &Core,
    txn: &crate::db::WriteTransaction,
    amina: uuid::Uuid,
    site: &synthetic::Site,
) -> AppResult<()> {
    use crate::domain::scheduling::appointment::{AppointmentStatus, VisitType, Window};
    use crate::services::scheduling::appointments::{seed_visit, SeedVisit};
    use crate::services::scheduling::schedule::{to_local, to_utc};
    let zone: chrono_tz::Tz = DEMO_ZONES[0]
        .parse()
        .map_err(crate::error::AppError::internal)?;
    let today = to_local(zone, core.clock.now()).date();
    let at = |days: i64, hour: u32, minutes: i64| {
        let local = (today + chrono::Duration::days(days))
            .and_hms_opt(hour, 0, 0)
            .unwrap_or_default();
        let start = to_utc(zone, local);
        Window::new(start, start + chrono::Duration::minutes(minutes))
    };
    for (window, status, visit_type, reason) in [
        (
            at(1, 9, 30)?,
            AppointmentStatus::Scheduled,
            VisitType::Refill,
            "Refill",
        ),
        (
            at(-14, 10, 30)?,
            AppointmentStatus::Completed,
            VisitType::FollowUp,
            "Routine follow-up",
        ),
    ] {
        seed_visit(
            core,
            txn,
            SeedVisit {
                hospital_id: site.hospital_id,
                patient_id: amina,
                provider_id: site.clinician,
                window,
                status,
                visit_type,
                reason: Some(reason),
            },
        )
        .await?;
    }
    Ok(())
}

/// How to try the demo network served at `url`: where to sign in, the accounts, and where a
/// patient's code can be read in development (printed by `hospitallink serve`).
pub fn how_to_try(url: &str) -> String {
    let mut out = format!("  Staff sign in at {url}/login with the password {DEMO_PASSWORD}:\n");
    for (email, name, role, hospital) in DEMO_STAFF {
        let place = hospital
            .map(|h| DEMO_HOSPITALS[h].0)
            .unwrap_or("the network");
        out.push_str(&format!(
            "    {email:38} {:15} {name}, {place}\n",
            role.as_str()
        ));
    }
    out.push_str(
        "  Admins set up an authenticator app (TOTP) at their first sign-in; clinicians open Patients.\n",
    );
    out.push_str(&format!(
        "  Patients sign in at {url}/portal/login with a one-time code:\n"
    ));
    for (first, last, _, _, email, phone) in DEMO_PATIENTS {
        let to = [email, phone]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" or ");
        if to.is_empty() {
            out.push_str(&format!(
                "    {first} {last} is a child: on her chart at Kisumu, upload a signed consent form and add Amina as her guardian; Amina then opens her record under Family.\n"
            ));
        } else {
            out.push_str(&format!("    {first} {last}: {to}\n"));
        }
    }
    out.push_str(&format!(
        "  With no SMTP or SMS provider set, codes wait in the outbox: sign in as an admin and open {url}/admin/outbox.\n"
    ));
    out
}

/// The names of the demo patients who sign in to the portal: no synthetic patient gets one.
fn demo_patient_names() -> Vec<(&'static str, &'static str)> {
    DEMO_PATIENTS.iter().map(|p| (p.0, p.1)).collect()
}

/// The demo hospitals as generator sites (their clinician and lab technician as authors).
pub async fn demo_sites(core: &Core) -> AppResult<Vec<synthetic::Site>> {
    use crate::entities::staff_account;
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut sites = Vec::new();
    for (_, code, _, _, country) in DEMO_HOSPITALS {
        let Some(h) = hospital::Entity::find()
            .filter(hospital::Column::Code.eq(code))
            .one(&core.db)
            .await?
        else {
            continue;
        };
        let author = |role: Role| {
            let db = core.db.clone();
            async move {
                staff_account::Entity::find()
                    .filter(staff_account::Column::HospitalId.eq(h.id))
                    .filter(staff_account::Column::Role.eq(role.as_str()))
                    .one(&db)
                    .await
                    .map(|a| a.map(|a| a.id))
            }
        };
        let clinician = author(Role::Clinician).await?.unwrap_or_default();
        let lab = author(Role::LabTechnician).await?.unwrap_or(clinician);
        sites.push(synthetic::Site {
            hospital_id: h.id,
            code: code.to_string(),
            country: country.to_string(),
            clinician,
            lab,
        });
    }
    Ok(sites)
}

/// Adds `n` synthetic patients to the demo hospitals, or to the one whose code is `only`
/// (benchmark data sets). Audited.
pub async fn add_synthetic(
    core: &Core,
    n: usize,
    only: Option<&str>,
) -> AppResult<synthetic::Generated> {
    use crate::entities::patient_hospital_link;
    let sites: Vec<_> = demo_sites(core)
        .await?
        .into_iter()
        .filter(|s| only.is_none_or(|code| s.code.eq_ignore_ascii_case(code)))
        .collect();
    if sites.is_empty() {
        return Err(crate::error::AppError::internal(
            "no such demo hospital; run seed-demo on an empty database, and name KSM, MBR or CHB",
        ));
    }
    let existing = patient_hospital_link::Entity::find()
        .count(&core.db)
        .await? as usize;
    let done = synthetic::generate(
        core,
        &sites,
        n,
        existing as u64,
        existing + 10,
        &demo_patient_names(),
    )
    .await?;
    let event = Event::new("patient", AuditAction::Create).details(serde_json::json!({
        "via": "seed_demo",
        "synthetic_patients": done.patients,
        "records": done.records,
    }));
    audit::record(core, &Caller::system(), &event, Outcome::Allowed).await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_banner_says_how_to_sign_in_as_everyone() {
        let text = how_to_try("http://127.0.0.1:3000");
        assert!(text.contains("http://127.0.0.1:3000/login"));
        assert!(text.contains(DEMO_PASSWORD));
        for (email, ..) in DEMO_STAFF {
            assert!(text.contains(email), "{email}");
        }
        assert!(text.contains("http://127.0.0.1:3000/portal/login"));
        assert!(text.contains("amina.odhiambo@example.org or +254700100001"));
        assert!(text.contains("Neema Odhiambo is a child"));
        assert!(text.contains("http://127.0.0.1:3000/admin/outbox"));
        assert!(!text.contains("without signing in"));
    }
}
