//! Prescribing safety through the API: every prescription, regimen and dispensing is checked
//! against the patient's current medicines with the WHO interaction table (HIV.D21.2.DT); a
//! severe interaction is refused without an override reason, which is then kept with the
//! record and audited by rule id; a pharmacist dispensing is stopped the same way unless the
//! prescriber already overrode the same rules.

use crate::common;

use common::{add_record, call, hospital, member, spawn_app, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

async fn patient(app: &TestApp, token: &str, first: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/patients",
            Some(token),
            json!({"first_name": first, "last_name": "Otieno", "date_of_birth": "1988-02-14",
                   "sex": "female"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn regimen(name: &str) -> Value {
    json!({"record_type": "art_regimen", "recorded_at": "2026-01-10",
           "payload": {"regimen": name, "drugs": [], "line": "first", "action": "start"}})
}

fn prescription(drug: &str, atc: Option<&str>) -> Value {
    json!({"record_type": "prescription",
           "payload": {"drug_name": drug, "atc": atc, "dose": "600 mg", "frequency": "daily",
                       "duration_days": 180, "quantity": 180}})
}

async fn post(app: &TestApp, token: &str, patient: &str, body: Value) -> common::Call {
    call(
        app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/records"),
        token,
        Some(body),
    )
    .await
}

async fn records_of(app: &TestApp, token: &str, patient: &str, kind: &str) -> usize {
    let r = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{patient}/records?type={kind}"),
        token,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().len()
}

/// The details of the newest audit entry for a clinical record created for the patient.
async fn last_create_details(app: &TestApp, patient: &str) -> Value {
    use hospitallink::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("clinical_record"))
        .filter(audit_log::Column::Action.eq("create"))
        .filter(audit_log::Column::PatientId.eq(uuid::Uuid::parse_str(patient).unwrap()))
        .order_by_desc(audit_log::Column::Seq)
        .one(&app.core.db)
        .await
        .unwrap()
        .expect("an audit entry");
    serde_json::from_str(&entry.details).unwrap_or(Value::Null)
}

#[tokio::test]
async fn rifampicin_for_a_patient_on_dolutegravir_is_stopped_with_the_who_rule() {
    let app = spawn_app().await;
    let h = hospital(&app, "RX").await;
    let (_, doctor) = member(&app, Role::Clinician, h, "doc").await;
    let (_, pharmacist) = member(&app, Role::Pharmacist, h, "pharm").await;
    let amina = patient(&app, &doctor, "Amina").await;
    add_record(&app, &doctor, &amina, regimen("TDF+3TC+DTG")).await;

    // Refused, with the rule, its guidance and its reference; nothing saved.
    let refused = post(
        &app,
        &doctor,
        &amina,
        prescription("Rifampicin", Some("J04AB02")),
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["code"], "interaction_override_required");
    assert!(
        refused.body["fields"]["override_reason"].is_array(),
        "{}",
        refused.body
    );
    let w = &refused.body["warnings"][0];
    assert_eq!(w["rule_id"], "HIV.D21.2.DT.41");
    assert_eq!(w["severity"], "severe");
    assert_eq!(w["arv"], "DTG");
    assert_eq!(w["medicine"], "Rifampicin");
    assert!(w["guidance"]
        .as_str()
        .unwrap()
        .contains("Adjust the dose of DTG"));
    assert!(w["reference"].as_str().unwrap().contains("Table 4.14"));
    assert!(refused.body["error"]
        .as_str()
        .unwrap()
        .contains("HIV.D21.2.DT.41"));
    assert_eq!(records_of(&app, &doctor, &amina, "prescription").await, 0);

    // The check alone says the same without saving.
    let check = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{amina}/records/interaction-check"),
        &doctor,
        Some(prescription("rifampicin 150 mg", None)),
    )
    .await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["warnings"][0]["rule_id"], "HIV.D21.2.DT.41");

    // With a reason it is saved, and says what it overrode; the audit names the rule, never
    // the reason's words.
    let mut with_reason = prescription("Rifampicin", Some("J04AB02"));
    with_reason["override_reason"] = json!("TB meningitis; DTG 50 mg twice daily from today");
    let saved = post(&app, &doctor, &amina, with_reason).await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    assert_eq!(saved.body["interactions"][0]["rule_id"], "HIV.D21.2.DT.41");
    assert_eq!(
        saved.body["override_reason"],
        "TB meningitis; DTG 50 mg twice daily from today"
    );
    let details = last_create_details(&app, &amina).await;
    assert_eq!(details["interactions"], json!(["HIV.D21.2.DT.41"]));
    assert_eq!(details["override"], true);
    assert!(!details.to_string().contains("meningitis"));
    // Read back, the record keeps both.
    let id = saved.body["id"].as_str().unwrap().to_string();
    let read = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{id}"),
        &doctor,
        None,
    )
    .await;
    assert_eq!(read.body["interactions"][0]["rule_id"], "HIV.D21.2.DT.41");
    assert!(read.body["override_reason"]
        .as_str()
        .unwrap()
        .contains("twice daily"));

    // The pharmacist dispenses what the prescriber already overrode: saved, with the warning.
    let dispensed = post(
        &app,
        &pharmacist,
        &amina,
        json!({"record_type": "dispensing",
               "payload": {"prescription_id": id, "quantity": 30, "days_supplied": 30}}),
    )
    .await;
    assert_eq!(dispensed.status, 201, "{}", dispensed.body);
    assert_eq!(
        dispensed.body["interactions"][0]["rule_id"],
        "HIV.D21.2.DT.41"
    );

    // A caution needs no reason: metformin with DTG.
    let metformin = post(
        &app,
        &doctor,
        &amina,
        prescription("Metformin 500 mg", None),
    )
    .await;
    assert_eq!(metformin.status, 201, "{}", metformin.body);
    assert_eq!(
        metformin.body["interactions"][0]["rule_id"],
        "HIV.D21.2.DT.48"
    );
    assert_eq!(metformin.body["interactions"][0]["severity"], "caution");
    // Nothing to say about paracetamol.
    let plain = post(
        &app,
        &doctor,
        &amina,
        prescription("Paracetamol", Some("N02BE01")),
    )
    .await;
    assert_eq!(plain.status, 201, "{}", plain.body);
    assert!(plain.body.get("interactions").is_none(), "{}", plain.body);
    // An override reason belongs to checked types only.
    let vl = post(
        &app,
        &doctor,
        &amina,
        json!({"record_type": "viral_load", "override_reason": "x",
               "payload": {"copies_per_ml": 40, "comparator": "<"}}),
    )
    .await;
    assert_eq!(vl.status, 400, "{}", vl.body);
    assert!(
        vl.body["fields"]["override_reason"].is_array(),
        "{}",
        vl.body
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_new_regimen_meets_the_medicines_already_taken_and_the_pharmacist_is_stopped_too() {
    let app = spawn_app().await;
    let h = hospital(&app, "RX2").await;
    let (_, doctor) = member(&app, Role::Clinician, h, "doc").await;
    let (_, pharmacist) = member(&app, Role::Pharmacist, h, "pharm").await;
    let baraka = patient(&app, &doctor, "Baraka").await;
    // Carbamazepine before any ART: nothing to check against.
    let rx = post(
        &app,
        &doctor,
        &baraka,
        prescription("Carbamazepine 200 mg", None),
    )
    .await;
    assert_eq!(rx.status, 201, "{}", rx.body);
    let rx_id = rx.body["id"].as_str().unwrap().to_string();
    // Starting DTG meets it (HIV.D21.2.DT.42).
    let start = post(&app, &doctor, &baraka, regimen("TDF+3TC+DTG")).await;
    assert_eq!(start.status, 409, "{}", start.body);
    assert_eq!(start.body["warnings"][0]["rule_id"], "HIV.D21.2.DT.42");
    let mut start = regimen("TDF+3TC+DTG");
    start["override_reason"] = json!("Switching to valproate next week");
    assert_eq!(post(&app, &doctor, &baraka, start).await.status, 201);
    // The pharmacist dispensing the carbamazepine: its prescription overrode nothing, so the
    // pharmacist is stopped with the same rule and goes ahead only with a reason.
    let dispense = json!({"record_type": "dispensing",
                          "payload": {"prescription_id": rx_id, "quantity": 30, "days_supplied": 30}});
    let stopped = post(&app, &pharmacist, &baraka, dispense.clone()).await;
    assert_eq!(stopped.status, 409, "{}", stopped.body);
    assert_eq!(stopped.body["warnings"][0]["rule_id"], "HIV.D21.2.DT.42");
    let mut confirmed = dispense;
    confirmed["override_reason"] = json!("Prescriber confirmed by phone; last supply");
    let done = post(&app, &pharmacist, &baraka, confirmed).await;
    assert_eq!(done.status, 201, "{}", done.body);
    // Stopping ART checks nothing.
    let mut stop = regimen("TDF+3TC+DTG");
    stop["payload"]["action"] = json!("stop");
    assert_eq!(post(&app, &doctor, &baraka, stop).await.status, 201);
    app.cleanup().await;
}
