//! The patient portal's API: Amina, registered at Kisumu and linked at Mbarara, reads her own
//! record from both hospitals, downloads it as a FHIR Bundle, sets her preferences and sees
//! who looked at her labs; another patient sees none of it.

use crate::common;

use common::{add_record, audit_count, call, hospital, member, patient_token, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    app: TestApp,
    patient: String,
    kisumu: String,
    mbarara: String,
    amina: String,
    baraka: String,
}

/// Amina at Kisumu (results, treatment, an allergy, a prescription filled) and at Mbarara (a
/// later viral load); Baraka, another patient, at Kisumu.
async fn world() -> World {
    let app = common::spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let (_, pharmacy) = member(&app, Role::Pharmacist, ksm, "ksm").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(json!({
            "first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1990-04-12",
            "sex": "female", "phone": "+254 700 555 001", "email": "amina.me@example.org",
            "national_id": "KE-3344-5566",
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let patient = created.body["id"].as_str().unwrap().to_string();
    let at = |day: u32| format!("2026-0{}-{:02}T09:00:00Z", 1 + day / 28, 1 + day % 28);
    add_record(&app, &kisumu, &patient, json!({"record_type": "art_regimen", "recorded_at": at(1),
        "payload": {"regimen": "TDF+3TC+DTG", "drugs": ["J05AF07", "J05AF05", "J05AJ03"], "line": "first", "action": "start"}})).await;
    add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "viral_load", "recorded_at": at(30),
        "payload": {"copies_per_ml": 1200}}),
    )
    .await;
    add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "cd4", "recorded_at": at(30),
        "payload": {"cells_per_ul": 480, "percent": 26}}),
    )
    .await;
    add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "allergy", "recorded_at": at(2),
        "payload": {"substance": "Cotrimoxazole", "reaction": "Rash", "severity": "moderate"}}),
    )
    .await;
    let rx = add_record(&app, &kisumu, &patient, json!({"record_type": "prescription", "recorded_at": at(3),
        "payload": {"drug_name": "TDF/3TC/DTG", "atc": "J05AR27", "dose": "1 tablet", "frequency": "once daily", "duration_days": 90, "quantity": 90}})).await;
    add_record(
        &app,
        &pharmacy,
        &patient,
        json!({"record_type": "dispensing", "recorded_at": at(3),
        "payload": {"prescription_id": rx, "quantity": 90, "days_supplied": 90}}),
    )
    .await;
    add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "vital_signs", "recorded_at": at(30),
        "payload": {"weight_kg": 61.5, "bp_systolic": 118, "bp_diastolic": 76}}),
    )
    .await;
    add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "diagnosis", "recorded_at": at(1),
        "payload": {"icd10": "B20", "text": "HIV disease"}}),
    )
    .await;
    // A counsellor's note Kisumu keeps from her own view.
    add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "adherence_note", "recorded_at": at(31), "clinician_only": true,
            "payload": {"text": "Partner not yet told; discuss disclosure"}}),
    )
    .await;
    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &mbarara,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    add_record(
        &app,
        &mbarara,
        &patient,
        json!({"record_type": "viral_load", "recorded_at": at(60),
        "payload": {"copies_per_ml": 40, "comparator": "<"}}),
    )
    .await;
    let other = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(
            json!({"first_name": "Baraka", "last_name": "Otieno", "date_of_birth": "1985-01-01",
            "sex": "male", "email": "baraka.me@example.org"}),
        ),
    )
    .await;
    assert_eq!(other.status, 201);
    let amina = patient_token(&app, "amina.me@example.org").await;
    let baraka = patient_token(&app, "baraka.me@example.org").await;
    World {
        app,
        patient,
        kisumu,
        mbarara,
        amina,
        baraka,
    }
}

#[tokio::test]
async fn a_patient_reads_her_whole_record_from_every_hospital() {
    let w = world().await;
    let home = call(&w.app, Method::GET, "/api/v1/me/home", &w.amina, None).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert_eq!(home.body["first_name"], "Amina");
    // The latest result is Mbarara's, below the limit: undetectable, said plainly.
    assert_eq!(home.body["last_viral_load"]["news"], "undetectable");
    assert_eq!(home.body["last_viral_load"]["on"], "2026-03-05");
    assert_eq!(home.body["treatment"]["regimen"], "TDF+3TC+DTG");

    let records = call(&w.app, Method::GET, "/api/v1/me/records", &w.amina, None).await;
    assert_eq!(records.status, 200, "{}", records.body);
    let groups: Vec<(String, String, usize)> = records.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["category"].as_str().unwrap().to_string(),
                g["hospital_name"].as_str().unwrap().to_string(),
                g["records"].as_array().unwrap().len(),
            )
        })
        .collect();
    let lab_hospitals: Vec<&str> = groups
        .iter()
        .filter(|g| g.0 == "labs")
        .map(|g| g.1.as_str())
        .collect();
    assert_eq!(
        lab_hospitals.len(),
        2,
        "labs from both hospitals: {groups:?}"
    );
    let total: usize = groups.iter().map(|g| g.2).sum();
    assert_eq!(total, 9, "the clinician-only note stays out: {groups:?}");
    assert!(!records.body.to_string().contains("disclosure"));
    let first_vl = &records.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["category"] == "labs" && g["records"][0]["record_type"] == "viral_load")
        .unwrap()["records"][0]["reading"];
    assert!(first_vl["value"].as_f64().is_some(), "{first_vl}");
    assert_eq!(records.body["viral_loads"].as_array().unwrap().len(), 2);
    assert_eq!(records.body["cd4"].as_array().unwrap().len(), 1);
    assert!(
        audit_count(
            &w.app,
            "clinical_record",
            "read",
            w.patient.parse().unwrap()
        )
        .await
            >= 1
    );

    // Baraka's portal holds nothing of Amina's.
    let his = call(&w.app, Method::GET, "/api/v1/me/records", &w.baraka, None).await;
    assert_eq!(his.status, 200);
    assert!(his.body["groups"].as_array().unwrap().is_empty());
    assert!(his.body["viral_loads"].as_array().unwrap().is_empty());
    let his_home = call(&w.app, Method::GET, "/api/v1/me/home", &w.baraka, None).await;
    assert_eq!(his_home.body["first_name"], "Baraka");
    assert!(his_home.body["last_viral_load"].is_null());

    // Staff use the patient routes, never these.
    let staff = call(&w.app, Method::GET, "/api/v1/me/records", &w.kisumu, None).await;
    assert_eq!(staff.status, 403);
    w.app.cleanup().await;
}

#[tokio::test]
async fn the_export_is_a_fhir_bundle_of_everything_labelled_very_restricted() {
    let w = world().await;
    let r = w
        .app
        .client
        .get(w.app.url("/api/v1/me/export"))
        .bearer_auth(&w.amina)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/fhir+json"),
        "{content_type}"
    );
    assert_eq!(
        r.headers()["cache-control"],
        "no-store",
        "patient data is never cached"
    );
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let bundle: Value = r.json().await.unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let resources: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let of = |kind: &str| -> Vec<&Value> {
        resources
            .iter()
            .copied()
            .filter(|r| r["resourceType"] == kind)
            .collect()
    };
    assert_eq!(of("Patient").len(), 1);
    assert_eq!(of("Patient")[0]["id"], w.patient.as_str());
    assert_eq!(of("Organization").len(), 2, "Kisumu and Mbarara");
    let codes: Vec<&str> = of("Observation")
        .iter()
        .filter_map(|o| o["code"]["coding"][0]["code"].as_str())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "25836-8").count(),
        2,
        "{codes:?}"
    );
    assert!(codes.contains(&"24467-3"));
    assert!(codes.contains(&"85353-1"), "vital signs");
    assert_eq!(
        of("MedicationRequest").len(),
        2,
        "the regimen and the prescription"
    );
    let dispense = of("MedicationDispense");
    assert_eq!(dispense.len(), 1);
    let prescription = dispense[0]["authorizingPrescription"][0]["reference"]
        .as_str()
        .unwrap();
    assert!(
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["fullUrl"] == prescription),
        "the dispensing points at its prescription in the Bundle"
    );
    assert_eq!(of("Condition").len(), 1);
    assert_eq!(of("AllergyIntolerance").len(), 1);
    assert!(
        !bundle.to_string().contains("disclosure"),
        "no clinician-only note"
    );
    for r in &resources {
        if r["resourceType"] != "Organization" {
            assert_eq!(r["meta"]["security"][0]["code"], "V", "{r}");
        }
    }
    // Audited as the patient's export, with what went out.
    {
        use hospitallink::entities::audit_log;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let entry = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("export"))
            .filter(audit_log::Column::PatientId.eq(w.patient.parse::<Uuid>().unwrap()))
            .one(&w.app.core.db)
            .await
            .unwrap()
            .expect("an export entry");
        assert_eq!(entry.actor_type, "patient");
        let details: Value = serde_json::from_str(&entry.details).unwrap();
        assert_eq!(details["resources"]["Observation"], json!(4));
    }
    w.app.cleanup().await;
}

#[tokio::test]
async fn preferences_are_checked_named_and_kept() {
    let w = world().await;
    let me = call(&w.app, Method::GET, "/api/v1/me", &w.amina, None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["patient"]["first_name"], "Amina");
    assert_eq!(
        me.body["preferences"]["reminder_channel"], "sms",
        "a phone is on file"
    );
    let numbers: Vec<&str> = me.body["hospitals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["mrn"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "registered at both hospitals");

    let bad = call(
        &w.app,
        Method::PUT,
        "/api/v1/me",
        &w.amina,
        Some(json!({"reminder_channel": "pigeon", "quiet_from": "21:00", "language": "de"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    for field in ["reminder_channel", "quiet_until", "language"] {
        assert!(
            bad.body["fields"][field].is_array(),
            "{field}: {}",
            bad.body
        );
    }
    // Baraka has no phone: no SMS reminders for him.
    let no_phone = call(
        &w.app,
        Method::PUT,
        "/api/v1/me",
        &w.baraka,
        Some(json!({"reminder_channel": "sms"})),
    )
    .await;
    assert_eq!(no_phone.status, 400);
    assert!(no_phone.body["fields"]["reminder_channel"].is_array());

    let good = call(
        &w.app,
        Method::PUT,
        "/api/v1/me",
        &w.amina,
        Some(json!({"reminder_channel": "email", "quiet_from": "21:00", "quiet_until": "07:00", "language": "sw"})),
    )
    .await;
    assert_eq!(good.status, 200, "{}", good.body);
    // A second change keeps what it does not name (one upsert, no duplicate row).
    let again = call(
        &w.app,
        Method::PUT,
        "/api/v1/me",
        &w.amina,
        Some(json!({"language": "fr"})),
    )
    .await;
    assert_eq!(again.status, 200);
    let me = call(&w.app, Method::GET, "/api/v1/me", &w.amina, None).await;
    let p = &me.body["preferences"];
    assert_eq!(p["reminder_channel"], "email");
    assert_eq!(p["quiet_from"], "21:00");
    assert_eq!(p["quiet_until"], "07:00");
    assert_eq!(p["language"], "fr");
    assert_eq!(
        audit_count(
            &w.app,
            "patient_preferences",
            "update",
            w.patient.parse().unwrap()
        )
        .await,
        2
    );
    w.app.cleanup().await;
}

#[tokio::test]
async fn the_access_log_says_which_hospital_read_which_kind_of_record() {
    let w = world().await;
    let read = call(
        &w.app,
        Method::GET,
        &format!("/api/v1/patients/{}/records?type=viral_load,cd4", w.patient),
        &w.mbarara,
        None,
    )
    .await;
    assert_eq!(read.status, 200);
    let log = call(&w.app, Method::GET, "/api/v1/me/access-log", &w.amina, None).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let entry = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["what"] == "clinical_record" && e["action"] == "read")
        .expect("Mbarara's read");
    assert_eq!(entry["role"], "clinician");
    assert_eq!(entry["categories"], json!(["labs"]));
    assert!(
        entry["hospital_name"].as_str().unwrap().contains("MBR"),
        "{entry}"
    );
    assert!(entry.get("actor_id").is_none() && !entry.to_string().contains("@example.org"));
    // Her own reads are not "who looked".
    assert!(log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["role"].is_string()));
    w.app.cleanup().await;
}

#[tokio::test]
async fn only_notes_can_be_kept_from_the_patient_and_staff_still_see_them() {
    let w = world().await;
    let refused = call(
        &w.app,
        Method::POST,
        &format!("/api/v1/patients/{}/records", w.patient),
        &w.kisumu,
        Some(json!({"record_type": "viral_load", "clinician_only": true, "payload": {"copies_per_ml": 200}})),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body["fields"]["clinician_only"].is_array(),
        "{}",
        refused.body
    );
    let notes = call(
        &w.app,
        Method::GET,
        &format!("/api/v1/patients/{}/records?type=adherence_note", w.patient),
        &w.kisumu,
        None,
    )
    .await;
    assert_eq!(notes.status, 200);
    assert_eq!(
        notes.body["data"][0]["clinician_only"], true,
        "{}",
        notes.body
    );
    assert!(notes.body["data"][0]["payload"]["text"]
        .as_str()
        .unwrap()
        .contains("disclosure"));
    w.app.cleanup().await;
}

#[tokio::test]
async fn preference_changes_sent_together_are_all_kept() {
    let w = world().await;
    // Pairs of changes to different preferences race; each reads what is stored before writing
    // the whole row, so without taking turns one would put back the other's old value.
    for round in 0..10 {
        let language = if round % 2 == 0 { "sw" } else { "pt" };
        let channel = if round % 2 == 0 { "email" } else { "sms" };
        let (a, b) = tokio::join!(
            call(
                &w.app,
                Method::PUT,
                "/api/v1/me",
                &w.amina,
                Some(json!({"language": language}))
            ),
            call(
                &w.app,
                Method::PUT,
                "/api/v1/me",
                &w.amina,
                Some(json!({"reminder_channel": channel}))
            ),
        );
        assert_eq!((a.status, b.status), (200, 200), "{} {}", a.body, b.body);
        let me = call(&w.app, Method::GET, "/api/v1/me", &w.amina, None).await;
        assert_eq!(
            me.body["preferences"]["language"], language,
            "round {round}"
        );
        assert_eq!(
            me.body["preferences"]["reminder_channel"], channel,
            "round {round}"
        );
    }
    w.app.cleanup().await;
}
