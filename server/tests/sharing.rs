//! Consent grants across hospitals: Kisumu registers Amina and writes her records; Mbarara links
//! her and sees Kisumu's records only as far as a grant opens them, from the request after it
//! is recorded until the request after it is revoked or expires.

use crate::common;

use common::{
    add_record, call, code_in, consent_form, hospital, member, patient_token, spawn_app, TestApp,
};
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

/// The allowed audit entry of `action` on `entity_id` (the test fails when there is none).
async fn audit_entry(
    app: &TestApp,
    action: &str,
    entity_id: &str,
) -> hospitallink::entities::audit_log::Model {
    use hospitallink::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::EntityId.eq(entity_id))
        .filter(audit_log::Column::Outcome.eq("allowed"))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {action} entry for {entity_id}"))
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
    let ksm_vl = add_record(&app, &kisumu, &patient, json!({"record_type": "viral_load", "recorded_at": "2026-06-01", "payload": {"copies_per_ml": 12000}})).await;
    let ksm_note = add_record(&app, &kisumu, &patient, json!({"record_type": "adherence_note", "payload": {"text": "Misses doses when travelling"}})).await;
    let ksm_art = add_record(&app, &kisumu, &patient, json!({"record_type": "art_regimen", "recorded_at": "2025-01-10", "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "start"}})).await;

    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &mbarara,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    let mbr_vl = add_record(&app, &mbarara, &patient, json!({"record_type": "viral_load", "recorded_at": "2026-03-01", "payload": {"copies_per_ml": 800}})).await;

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
    let recorded = audit_entry(&app, "consent_grant", &grant_id).await;
    assert_eq!(
        recorded.actor_type, "staff",
        "recorded by staff on the patient's word"
    );
    assert_eq!(recorded.patient_id, Some(patient.parse().unwrap()));

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
    let recorded = audit_entry(&app, "consent_revoke", &grant_id).await;
    assert_eq!(recorded.actor_type, "staff");
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

    // A form supports one grant (a revoked consent is not given again with its old form), and
    // it must be one this hospital stored.
    let consent_path = format!("/api/v1/patients/{patient}/consent");
    for evidence in [form.clone(), consent_form(&app, &kisumu, &patient).await] {
        let refused = call(
            &app,
            Method::POST,
            &consent_path,
            &mbarara,
            Some(
                json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment",
                        "consent_form_id": evidence}),
            ),
        )
        .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body["fields"]["consent_form_id"].is_array());
    }

    // A grant of everything opens notes, treatment and the contact details, until it expires:
    // no job runs, the moment passes.
    let new_form = consent_form(&app, &mbarara, &patient).await;
    let all = call(
        &app,
        Method::POST,
        &consent_path,
        &mbarara,
        Some(
            json!({"hospital_id": mbr, "categories": ["all"], "purpose": "transfer",
                    "consent_form_id": new_form}),
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

#[tokio::test]
async fn break_glass_opens_the_whole_record_to_one_clinician_for_a_time_and_is_reviewed() {
    let app = spawn_app().await;
    let (ksm, chb) = (hospital(&app, "KSM").await, hospital(&app, "CHB").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, ksm_admin) = member(&app, Role::HospitalAdmin, ksm, "ksm").await;
    let (_, soweto) = member(&app, Role::Clinician, chb, "chb").await;
    let (_, soweto_colleague) = member(&app, Role::Clinician, chb, "chb2").await;
    let (_, soweto_viewer) = member(&app, Role::Viewer, chb, "chb").await;
    let (_, soweto_admin) = member(&app, Role::HospitalAdmin, chb, "chb").await;

    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(amina()),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    let note = add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "adherence_note", "payload": {"text": "Missed doses"}}),
    )
    .await;
    let allergy = add_record(&app, &kisumu, &patient, json!({"record_type": "allergy", "payload": {"substance": "Cotrimoxazole", "reaction": "rash", "severity": "severe"}})).await;
    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &soweto,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    assert_eq!(linked.status, 201);
    assert!(visible(&app, &soweto, &patient).await.is_empty());

    let path = format!("/api/v1/patients/{patient}/break-glass");
    let terse = call(
        &app,
        Method::POST,
        &path,
        &soweto,
        Some(json!({"reason": "emergency"})),
    )
    .await;
    assert_eq!(terse.status, 400);
    assert!(terse.body["fields"]["reason"].is_array());
    let reason = "Unconscious on arrival; needs her regimen and allergies now";
    let refused = call(
        &app,
        Method::POST,
        &path,
        &soweto_viewer,
        Some(json!({"reason": reason})),
    )
    .await;
    assert_eq!(refused.status, 403);
    let opened = call(
        &app,
        Method::POST,
        &path,
        &soweto,
        Some(json!({"reason": reason})),
    )
    .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(opened.body["active"], true);
    let started: chrono::DateTime<chrono::Utc> =
        opened.body["started_at"].as_str().unwrap().parse().unwrap();
    let ends: chrono::DateTime<chrono::Utc> =
        opened.body["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        ends - started,
        chrono::Duration::hours(3),
        "the default duration"
    );
    let opening: Uuid = opened.body["id"].as_str().unwrap().parse().unwrap();

    // The opener sees every hospital's part, labelled with its source, and the contact
    // details; a colleague of the same hospital does not.
    assert_eq!(
        visible(&app, &soweto, &patient).await,
        sorted(vec![note.clone(), allergy.clone()])
    );
    let read = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{allergy}"),
        &soweto,
        None,
    )
    .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["hospital_id"], ksm.to_string());
    let profile = call(
        &app,
        Method::GET,
        &format!("/api/v1/patients/{patient}"),
        &soweto,
        None,
    )
    .await;
    assert_eq!(profile.body["contact_withheld"], false);
    assert!(visible(&app, &soweto_colleague, &patient).await.is_empty());
    // Reading, not writing.
    let edit = app
        .client
        .put(app.url(&format!("/api/v1/records/{note}")))
        .bearer_auth(&soweto)
        .json(&json!({"payload": {"text": "changed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 404);

    // The patient is told, discreetly, on the phone the clinic has.
    {
        use hospitallink::entities::outbox_message;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let sent = outbox_message::Entity::find()
            .filter(outbox_message::Column::Purpose.eq("break_glass"))
            .all(&app.core.db)
            .await
            .unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].channel, "sms");
        let body = app
            .core
            .keyring
            .open("outbox_messages", "body", sent[0].id, &sent[0].body)
            .unwrap();
        assert!(body.contains("opened your HospitalLink record"), "{body}");
        assert!(!body.contains(reason) && !body.contains("HIV"), "{body}");
    }

    // The Soweto admin's queue shows who, why and what was read; Kisumu's shows nothing.
    let queue = call(
        &app,
        Method::GET,
        "/api/v1/break-glass",
        &soweto_admin,
        None,
    )
    .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(queue.body["pagination"]["total"], 1);
    let item = &queue.body["data"][0];
    assert_eq!(item["reason"], reason);
    assert_eq!(
        item["patient_mrn"].as_str().map(|m| m.starts_with("CHB-")),
        Some(true)
    );
    assert_eq!(item["staff_name"].as_str().map(str::is_empty), Some(false));
    let reads: Vec<&str> = item["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity"].as_str().unwrap())
        .collect();
    assert!(reads.contains(&"clinical_record"), "{reads:?}");
    assert!(reads.contains(&"patient"), "{reads:?}");
    let elsewhere = call(&app, Method::GET, "/api/v1/break-glass", &ksm_admin, None).await;
    assert_eq!(elsewhere.body["pagination"]["total"], 0);
    let foreign = call(
        &app,
        Method::PUT,
        &format!("/api/v1/break-glass/{opening}"),
        &ksm_admin,
        Some(json!({"outcome": "reviewed"})),
    )
    .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/break-glass", &soweto, None)
            .await
            .status,
        403
    );
    let review = format!("/api/v1/break-glass/{opening}");
    let reviewed = call(
        &app,
        Method::PUT,
        &review,
        &soweto_admin,
        Some(json!({"outcome": "reviewed", "note": "Admitted through emergency; justified"})),
    )
    .await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    assert_eq!(reviewed.body["review_outcome"], "reviewed");
    let again = call(
        &app,
        Method::PUT,
        &review,
        &soweto_admin,
        Some(json!({"outcome": "escalated"})),
    )
    .await;
    assert_eq!(again.status, 409);
    let pending = call(
        &app,
        Method::GET,
        "/api/v1/break-glass",
        &soweto_admin,
        None,
    )
    .await;
    assert_eq!(pending.body["pagination"]["total"], 0);
    let all = call(
        &app,
        Method::GET,
        "/api/v1/break-glass?status=all",
        &soweto_admin,
        None,
    )
    .await;
    assert_eq!(all.body["pagination"]["total"], 1);

    // An admin who breaks the glass does not review their own opening.
    let own = call(
        &app,
        Method::POST,
        &path,
        &soweto_admin,
        Some(json!({"reason": reason})),
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.body);
    let own_review = call(
        &app,
        Method::PUT,
        &format!("/api/v1/break-glass/{}", own.body["id"].as_str().unwrap()),
        &soweto_admin,
        Some(json!({"outcome": "reviewed"})),
    )
    .await;
    assert_eq!(own_review.status, 403);

    // When the time is up, the record closes again with the next request.
    {
        use hospitallink::entities::break_glass_session;
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let row = break_glass_session::Entity::find_by_id(opening)
            .one(&app.core.db)
            .await
            .unwrap()
            .unwrap();
        let mut row: break_glass_session::ActiveModel = row.into();
        row.ends_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
        row.update(&app.core.db).await.unwrap();
    }
    assert!(visible(&app, &soweto, &patient).await.is_empty());
    let read = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{allergy}"),
        &soweto,
        None,
    )
    .await;
    assert_eq!(read.status, 404);
    // Every step is in the audit log.
    {
        use hospitallink::entities::audit_log;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let steps = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("break_glass"))
            .filter(audit_log::Column::Outcome.eq("allowed"))
            .all(&app.core.db)
            .await
            .unwrap();
        let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
        assert!(actions.contains(&"break_glass"), "{actions:?}");
        assert!(actions.contains(&"update"), "{actions:?}");
    }
    app.cleanup().await;
}

/// The 6-digit code in a message.
#[tokio::test]
async fn the_patient_confirms_sharing_with_a_code_sent_by_sms_or_email() {
    let (smtp_port, mails) = common::smtp_server().await;
    let (sms_url, texts) = common::sms_provider().await;
    let port = smtp_port.to_string();
    let app = common::spawn_app_with(&[
        ("MAILER_HOST", "127.0.0.1"),
        ("MAILER_PORT", port.as_str()),
        ("MAILER_TLS", "none"),
        (
            "MAILER_FROM",
            "HospitalLink <no-reply@hospitallink.example>",
        ),
        ("SMS_PROVIDER_URL", sms_url.as_str()),
        ("SMS_PROVIDER_API_KEY", "sms-test-key-0123456789"),
    ])
    .await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(amina()),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    let ksm_vl = add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "viral_load", "payload": {"copies_per_ml": 40, "comparator": "<"}}),
    )
    .await;
    let ksm_note = add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "adherence_note", "payload": {"text": "Good adherence"}}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &mbarara,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;

    // Mbarara asks for her labs; the code goes to her phone by SMS.
    let requests = format!("/api/v1/patients/{patient}/consent-requests");
    let asked = call(
        &app,
        Method::POST,
        &requests,
        &mbarara,
        Some(json!({"categories": ["labs"], "purpose": "treatment", "expires_at": "2027-05-31"})),
    )
    .await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    assert_eq!(asked.body["sent_by"], "sms");
    let rid = asked.body["id"].as_str().unwrap().to_string();
    let (auth, sms) = common::wait_for(|| texts.lock().unwrap().first().cloned()).await;
    assert_eq!(auth, "Bearer sms-test-key-0123456789");
    assert_eq!(sms["to"], "+254700555001");
    let text = sms["body"].as_str().unwrap().to_string();
    assert!(text.contains("Hospital MBR"), "{sms}");
    assert!(
        !text.contains("HIV") && !text.contains("labs"),
        "discreet: {sms}"
    );
    let code = code_in(&text);

    // A wrong code is a field error and counts; the right one creates her grant, once.
    let confirm = format!("{requests}/{rid}/confirm");
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = call(
        &app,
        Method::POST,
        &confirm,
        &mbarara,
        Some(json!({"code": wrong})),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body["fields"]["code"].is_array());
    // Kisumu cannot confirm Mbarara's request.
    let foreign = call(
        &app,
        Method::POST,
        &confirm,
        &kisumu,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(foreign.status, 404);
    let grant = call(
        &app,
        Method::POST,
        &confirm,
        &mbarara,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.body);
    assert_eq!(grant.body["source"], "code_confirmed");
    let confirmed = grant.body["id"].as_str().unwrap();
    assert_eq!(
        audit_entry(&app, "consent_grant", confirmed)
            .await
            .actor_type,
        "staff"
    );
    assert_eq!(grant.body["hospital_id"], mbr.to_string());
    assert_eq!(grant.body["categories"], json!(["labs"]));
    let again = call(
        &app,
        Method::POST,
        &confirm,
        &mbarara,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(again.status, 400, "a code works once");
    assert!(visible(&app, &mbarara, &patient).await.contains(&ksm_vl));
    assert!(!visible(&app, &mbarara, &patient).await.contains(&ksm_note));

    // A patient with an email only gets the code by email, over SMTP.
    let baraka = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &mbarara,
        Some(
            json!({"first_name": "Baraka", "last_name": "Otieno", "date_of_birth": "1985-01-01",
                    "sex": "male", "email": "baraka@example.org"}),
        ),
    )
    .await;
    let baraka = baraka.body["id"].as_str().unwrap().to_string();
    let asked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{baraka}/consent-requests"),
        &mbarara,
        Some(json!({"categories": ["all"], "purpose": "referral"})),
    )
    .await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    assert_eq!(asked.body["sent_by"], "email");
    let mail = common::wait_for(|| mails.lock().unwrap().first().cloned()).await;
    assert!(mail.contains("RCPT TO:<baraka@example.org>"), "{mail}");
    assert!(
        mail.contains("Subject: Your code to share your record"),
        "{mail}"
    );
    let body = mail.split("\n\n").nth(1).unwrap_or(&mail).to_string();
    assert!(!body.contains("HIV"), "{body}");

    // No phone or email on file: ask for the signed form instead. Five codes an hour at most.
    let nobody = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &mbarara,
        Some(json!({"first_name": "Zawadi", "last_name": "Achieng", "date_of_birth": "2001-02-03", "sex": "female"})),
    )
    .await;
    let nobody = nobody.body["id"].as_str().unwrap().to_string();
    let none = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{nobody}/consent-requests"),
        &mbarara,
        Some(json!({"categories": ["labs"], "purpose": "treatment"})),
    )
    .await;
    assert_eq!(none.status, 409);
    assert_eq!(none.body["code"], "no_contact");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = call(
            &app,
            Method::POST,
            &requests,
            &mbarara,
            Some(json!({"categories": ["labs"], "purpose": "treatment"})),
        )
        .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses,
        vec![201, 201, 201, 201, 429],
        "one code was sent already"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_hospitals_admins_set_how_long_its_break_glass_lasts() {
    let app = spawn_app().await;
    let (ksm, chb) = (hospital(&app, "KSM").await, hospital(&app, "CHB").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, soweto) = member(&app, Role::Clinician, chb, "chb").await;
    let (_, soweto_admin) = member(&app, Role::HospitalAdmin, chb, "chb").await;
    let path = format!("/api/v1/hospitals/{chb}/settings");
    let refused = call(
        &app,
        Method::PUT,
        &path,
        &soweto,
        Some(json!({"break_glass_minutes": 60})),
    )
    .await;
    assert_eq!(refused.status, 403);
    let foreign = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{ksm}/settings"),
        &soweto_admin,
        Some(json!({"break_glass_minutes": 60})),
    )
    .await;
    assert_eq!(foreign.status, 404, "another hospital's settings");
    let bad = call(
        &app,
        Method::PUT,
        &path,
        &soweto_admin,
        Some(json!({"break_glass_minutes": 5})),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["fields"]["break_glass_minutes"].is_array());
    let saved = call(
        &app,
        Method::PUT,
        &path,
        &soweto_admin,
        Some(json!({"break_glass_minutes": 60})),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["break_glass_minutes"], 60);

    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(amina()),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &soweto,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    let opened = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/break-glass"),
        &soweto,
        Some(json!({"reason": "Seizure on arrival and needs the medication history"})),
    )
    .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let started: chrono::DateTime<chrono::Utc> =
        opened.body["started_at"].as_str().unwrap().parse().unwrap();
    let ends: chrono::DateTime<chrono::Utc> =
        opened.body["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends - started, chrono::Duration::minutes(60));
    app.cleanup().await;
}

#[tokio::test]
async fn a_patient_grants_and_revokes_their_own_sharing() {
    let app = common::spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let mut body = amina();
    body["email"] = json!("amina.portal@example.org");
    let created = call(&app, Method::POST, "/api/v1/patients", &kisumu, Some(body)).await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    let ksm_vl = add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "viral_load", "payload": {"copies_per_ml": 40, "comparator": "<"}}),
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &mbarara,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    let other = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(
            json!({"first_name": "Baraka", "last_name": "Otieno", "date_of_birth": "1985-01-01",
                    "sex": "male", "email": "baraka.portal@example.org"}),
        ),
    )
    .await;
    assert_eq!(other.status, 201);
    let amina_token = patient_token(&app, "amina.portal@example.org").await;
    let baraka_token = patient_token(&app, "baraka.portal@example.org").await;

    // Staff cannot use the patient's own routes.
    let staff = call(
        &app,
        Method::GET,
        "/api/v1/sharing/permissions",
        &kisumu,
        None,
    )
    .await;
    assert_eq!(staff.status, 403);

    // Amina lets Mbarara see her labs: it shows there at once, audited as her.
    let bad = call(
        &app,
        Method::POST,
        "/api/v1/sharing/grant",
        &amina_token,
        Some(json!({"hospital_id": mbr, "categories": ["everything"], "purpose": "treatment"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["fields"]["categories"].is_array());
    let granted = call(&app, Method::POST, "/api/v1/sharing/grant", &amina_token, Some(json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment", "expires_at": "2027-01-31"}))).await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    assert_eq!(granted.body["source"], "patient");
    assert!(visible(&app, &mbarara, &patient).await.contains(&ksm_vl));
    let grant = granted.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        audit_entry(&app, "consent_grant", &grant).await.actor_type,
        "patient"
    );
    let mine = call(
        &app,
        Method::GET,
        "/api/v1/sharing/permissions",
        &amina_token,
        None,
    )
    .await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["data"][0]["id"], grant.as_str());
    assert_eq!(mine.body["data"][0]["status"], "active");
    // Another patient sees none of it and cannot revoke it.
    let theirs = call(
        &app,
        Method::GET,
        "/api/v1/sharing/permissions",
        &baraka_token,
        None,
    )
    .await;
    assert_eq!(theirs.body["data"], json!([]));
    let revoke = format!("/api/v1/sharing/{grant}/revoke");
    assert_eq!(
        call(&app, Method::PUT, &revoke, &baraka_token, None)
            .await
            .status,
        404
    );

    // She sees who looked: Mbarara's clinician read her records (hospital and role, never a
    // name or email); a break-glass at Soweto shows with its reason.
    let chb = hospital(&app, "CHB").await;
    let (_, soweto) = member(&app, Role::Clinician, chb, "chb").await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &soweto,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    let reason = "Brought in unconscious; needs her treatment history";
    let opened = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/break-glass"),
        &soweto,
        Some(json!({"reason": reason})),
    )
    .await;
    assert_eq!(opened.status, 201);
    call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{ksm_vl}"),
        &soweto,
        None,
    )
    .await;
    let log = call(
        &app,
        Method::GET,
        "/api/v1/me/access-log?per_page=100",
        &amina_token,
        None,
    )
    .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let entries = log.body["data"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["hospital_name"] == "Hospital MBR"
        && e["role"] == "clinician"
        && e["what"] == "clinical_record"
        && e["action"] == "read"));
    let opening = entries
        .iter()
        .find(|e| e["action"] == "break_glass")
        .expect("the break-glass opening");
    assert_eq!(opening["reason"], reason);
    assert_eq!(opening["hospital_name"], "Hospital CHB");
    assert!(entries.iter().any(|e| e["hospital_name"] == "Hospital CHB"
        && e["what"] == "clinical_record"
        && e["break_glass"] == true));
    let text = log.body.to_string();
    assert!(!text.contains("@example.org"), "no staff email: {text}");
    assert_eq!(
        call(&app, Method::GET, "/api/v1/me/access-log", &kisumu, None)
            .await
            .status,
        403
    );
    let theirs = call(
        &app,
        Method::GET,
        "/api/v1/me/access-log",
        &baraka_token,
        None,
    )
    .await;
    assert!(!theirs.body.to_string().contains("Hospital MBR"));

    // Amina revokes it: gone with the next request; twice is 409.
    let revoked = call(&app, Method::PUT, &revoke, &amina_token, None).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(
        audit_entry(&app, "consent_revoke", &grant).await.actor_type,
        "patient"
    );
    assert!(!visible(&app, &mbarara, &patient).await.contains(&ksm_vl));
    assert_eq!(
        call(&app, Method::PUT, &revoke, &amina_token, None)
            .await
            .status,
        409
    );
    app.cleanup().await;
}
