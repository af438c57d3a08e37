//! Consent grants across hospitals: Kisumu registers Amina and writes her records; Mbarara links
//! her and sees Kisumu's records only as far as a grant opens them, from the request after it
//! is recorded until the request after it is revoked or expires.

mod common;

use common::{call, hospital, member, spawn_app, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

fn amina() -> Value {
    json!({
        "first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1990-04-12",
        "sex": "female", "phone": "+254 700 555 001", "national_id": "KE-3344-5566",
    })
}

async fn add(app: &TestApp, token: &str, patient: &str, record: Value) -> String {
    let r = call(
        app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/records"),
        token,
        Some(record),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn consent_form(app: &TestApp, token: &str, patient: &str) -> String {
    let pdf = b"%PDF-1.4\n% signed consent\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("kind", "consent_form")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("consent.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/patients/{patient}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

/// The ids of the records `token` sees on the patient.
async fn visible(app: &TestApp, token: &str, patient: &str) -> Vec<String> {
    let r = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{patient}/records?per_page=100"),
        token,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut ids: Vec<String> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn another_hospital_sees_what_the_patient_granted_while_the_grant_lasts() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let (_, mbarara_viewer) = member(&app, Role::Viewer, mbr, "mbr").await;

    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(amina()),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    let ksm_vl = add(&app, &kisumu, &patient, json!({"record_type": "viral_load", "recorded_at": "2026-06-01", "payload": {"copies_per_ml": 12000}})).await;
    let ksm_note = add(&app, &kisumu, &patient, json!({"record_type": "adherence_note", "payload": {"text": "Misses doses when travelling"}})).await;
    let ksm_art = add(&app, &kisumu, &patient, json!({"record_type": "art_regimen", "recorded_at": "2025-01-10", "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "start"}})).await;

    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &mbarara,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    let mbr_vl = add(&app, &mbarara, &patient, json!({"record_type": "viral_load", "recorded_at": "2026-03-01", "payload": {"copies_per_ml": 800}})).await;

    // Without a grant: its own records only; Kisumu's answer as missing ones.
    assert_eq!(
        visible(&app, &mbarara, &patient).await,
        vec![mbr_vl.clone()]
    );
    for id in [&ksm_vl, &ksm_note] {
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/records/{id}"),
            &mbarara,
            None,
        )
        .await;
        assert_eq!(r.status, 404, "{id}");
    }
    let summary_path = format!("/api/v1/patients/{patient}/summary");
    let summary = call(&app, Method::GET, &summary_path, &mbarara, None).await;
    assert_eq!(summary.body["latest_viral_load"]["copies_per_ml"], 800.0);
    assert_eq!(summary.body["current_regimen"], Value::Null);
    assert_eq!(summary.body["hospitals_withheld"], 1, "{}", summary.body);

    // Amina signs a form letting Mbarara see her labs.
    let form = consent_form(&app, &mbarara, &patient).await;
    let grant = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/consent"),
        &mbarara,
        Some(
            json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment",
                    "consent_form_id": form, "expires_at": "2027-06-30"}),
        ),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.body);
    assert_eq!(grant.body["status"], "active");
    assert_eq!(grant.body["source"], "signed_form");
    let grant_id = grant.body["id"].as_str().unwrap().to_string();

    // Labs from Kisumu now show, for every role of Mbarara that reads them; notes and the
    // regimen do not.
    for token in [&mbarara, &mbarara_viewer] {
        assert_eq!(
            visible(&app, token, &patient).await,
            sorted(vec![mbr_vl.clone(), ksm_vl.clone()])
        );
    }
    let vl = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{ksm_vl}"),
        &mbarara,
        None,
    )
    .await;
    assert_eq!(vl.status, 200);
    assert_eq!(
        vl.body["hospital_id"],
        ksm.to_string(),
        "labelled with its source"
    );
    for id in [&ksm_note, &ksm_art] {
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/records/{id}"),
            &mbarara,
            None,
        )
        .await;
        assert_eq!(r.status, 404, "{id}");
    }
    let summary = call(&app, Method::GET, &summary_path, &mbarara, None).await;
    assert_eq!(summary.body["latest_viral_load"]["copies_per_ml"], 12000.0);
    assert_eq!(
        summary.body["latest_viral_load"]["record_id"],
        ksm_vl.as_str()
    );
    assert_eq!(summary.body["current_regimen"], Value::Null);
    assert_eq!(
        summary.body["hospitals_withheld"], 1,
        "notes and treatment still hidden"
    );
    // Labs grant nothing else: the contact details wait for `demographics`; no writes.
    let profile = call(
        &app,
        Method::GET,
        &format!("/api/v1/patients/{patient}"),
        &mbarara,
        None,
    )
    .await;
    assert_eq!(profile.body["contact_withheld"], true);
    let edit = app
        .client
        .put(app.url(&format!("/api/v1/records/{ksm_note}")))
        .bearer_auth(&mbarara)
        .json(&json!({"payload": {"text": "changed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 404);

    // Both hospitals' staff see the grant; the patient's other hospitals do not need to.
    let grants_path = format!("/api/v1/patients/{patient}/grants");
    let listed = call(&app, Method::GET, &grants_path, &mbarara, None).await;
    assert_eq!(listed.body["data"][0]["id"], grant_id.as_str());
    assert_eq!(listed.body["data"][0]["hospital_name"], "Hospital MBR");

    // Revoked: gone with the next request; a second revocation is 409.
    let revoke = format!("/api/v1/grants/{grant_id}/revoke");
    let revoked = call(&app, Method::PUT, &revoke, &mbarara, None).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(
        visible(&app, &mbarara, &patient).await,
        vec![mbr_vl.clone()]
    );
    let vl = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{ksm_vl}"),
        &mbarara,
        None,
    )
    .await;
    assert_eq!(vl.status, 404);
    assert_eq!(
        call(&app, Method::PUT, &revoke, &mbarara, None)
            .await
            .status,
        409
    );

    // A grant of everything opens notes, treatment and the contact details, until it expires:
    // no job runs, the moment passes.
    let all = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/consent"),
        &mbarara,
        Some(
            json!({"hospital_id": mbr, "categories": ["all"], "purpose": "transfer",
                    "consent_form_id": form}),
        ),
    )
    .await;
    assert_eq!(all.status, 201, "{}", all.body);
    assert!(!all.body["categories"]
        .as_array()
        .unwrap()
        .contains(&json!("sensitive")));
    assert_eq!(
        visible(&app, &mbarara, &patient).await,
        sorted(vec![
            mbr_vl.clone(),
            ksm_vl.clone(),
            ksm_note.clone(),
            ksm_art.clone()
        ])
    );
    let summary = call(&app, Method::GET, &summary_path, &mbarara, None).await;
    assert_eq!(summary.body["current_regimen"]["regimen"], "TDF+3TC+DTG");
    assert_eq!(summary.body["hospitals_withheld"], 0);
    let profile = call(
        &app,
        Method::GET,
        &format!("/api/v1/patients/{patient}"),
        &mbarara,
        None,
    )
    .await;
    assert_eq!(profile.body["contact_withheld"], false);
    assert_eq!(profile.body["phone"], "+254700555001");
    {
        use hospitallink::entities::consent_grant;
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let id: Uuid = all.body["id"].as_str().unwrap().parse().unwrap();
        let row = consent_grant::Entity::find_by_id(id)
            .one(&app.core.db)
            .await
            .unwrap()
            .unwrap();
        let mut row: consent_grant::ActiveModel = row.into();
        row.expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
        row.update(&app.core.db).await.unwrap();
    }
    assert_eq!(
        visible(&app, &mbarara, &patient).await,
        vec![mbr_vl.clone()]
    );
    let profile = call(
        &app,
        Method::GET,
        &format!("/api/v1/patients/{patient}"),
        &mbarara,
        None,
    )
    .await;
    assert_eq!(profile.body["contact_withheld"], true);
    let listed = call(&app, Method::GET, &grants_path, &mbarara, None).await;
    let statuses: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["expired", "revoked"]);

    // Kisumu still sees everything it wrote, grants or not.
    assert_eq!(
        visible(&app, &kisumu, &patient).await,
        sorted(vec![ksm_vl, ksm_note, ksm_art])
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_grant_needs_the_patients_signed_form_and_a_hospital_of_the_network() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, desk) = member(&app, Role::BillingClerk, ksm, "ksm").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(amina()),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    let other = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(json!({"first_name": "Baraka", "last_name": "Otieno", "date_of_birth": "1985-01-01", "sex": "male"})),
    )
    .await;
    let other_form = consent_form(&app, &kisumu, other.body["id"].as_str().unwrap()).await;
    let path = format!("/api/v1/patients/{patient}/consent");

    let bad = call(
        &app,
        Method::POST,
        &path,
        &kisumu,
        Some(
            json!({"hospital_id": Uuid::now_v7(), "categories": ["labs"], "purpose": "treatment",
                    "consent_form_id": other_form}),
        ),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body["fields"]["hospital_id"].is_array(), "{}", bad.body);
    let bad = call(
        &app,
        Method::POST,
        &path,
        &kisumu,
        Some(
            json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment",
                    "consent_form_id": other_form}),
        ),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body["fields"]["consent_form_id"].is_array(),
        "another patient's form is no evidence: {}",
        bad.body
    );
    // A billing clerk does not record consent.
    let form = consent_form(&app, &kisumu, &patient).await;
    let refused = call(
        &app,
        Method::POST,
        &path,
        &desk,
        Some(
            json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment",
                    "consent_form_id": form}),
        ),
    )
    .await;
    assert_eq!(refused.status, 403);
    app.cleanup().await;
}
