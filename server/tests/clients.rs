//! Integration clients: Kisumu's admin creates one for the hospital's EHR with scopes; the EHR
//! trades its id and secret for a short-lived token (form or JSON, body or HTTP Basic) and works
//! for Kisumu within those scopes only; every call is audited as the client and shows in the
//! patient's access log; rotating or disabling ends its tokens at once.

use crate::common;

use common::{add_record, call, hospital, member, spawn_app_with, TestApp};
use hospitallink::domain::identity::role::Role;
use hospitallink::entities::audit_log;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// A token request as a form; the status and the answer.
async fn token(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn access(answer: &Value) -> String {
    answer["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_client_works_for_its_hospital_within_its_scopes_until_rotated_or_disabled() {
    let app = spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, admin) = member(&app, Role::HospitalAdmin, ksm, "ksm").await;
    let (_, clinician) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, other_admin) = member(&app, Role::HospitalAdmin, mbr, "mbr").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &clinician,
        Some(
            json!({"first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1990-04-12",
                    "sex": "female", "email": "amina.ehr@example.org"}),
        ),
    )
    .await;
    let amina = created.body["id"].as_str().unwrap().to_string();
    add_record(
        &app,
        &clinician,
        &amina,
        json!({"record_type": "viral_load", "payload": {"copies_per_ml": 40}}),
    )
    .await;

    // The admin creates the EHR's client: clinical scopes she holds, nothing else.
    let clients = format!("/api/v1/hospitals/{ksm}/api-clients");
    let refused = call(
        &app,
        Method::POST,
        &clients,
        &admin,
        Some(json!({"name": "Kisumu EHR", "scopes": ["records.read", "staff.manage"]})),
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body["fields"]["scopes"].is_array());
    let made = call(
        &app,
        Method::POST,
        &clients,
        &admin,
        Some(json!({"name": "Kisumu EHR", "scopes": ["patients.read", "records.read"]})),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["client_id"].as_str().unwrap().to_string();
    let secret = made.body["client_secret"].as_str().unwrap().to_string();
    assert_eq!(
        call(&app, Method::GET, &clients, &other_admin, None)
            .await
            .status,
        404,
        "another hospital's admin sees none of it"
    );

    // Its token, from a form; HTTP Basic works too; wrong secrets and grants do not.
    let (status, answer) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["scope"], "patients.read records.read");
    let ehr = access(&answer);
    let basic = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "patients.read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    let narrow: Value = basic.json().await.unwrap();
    assert_eq!(narrow["scope"], "patients.read");
    let (status, _) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", "hlcs_wrong"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    let (status, answer) = token(&app, &[("grant_type", "password"), ("client_id", &id)]).await;
    assert_eq!(status, 400);
    assert_eq!(answer["code"], "unsupported_grant_type");

    // It reads Kisumu's records, writes nothing, and sees nothing of accounts or Mbarara.
    let records = format!("/api/v1/patients/{amina}/records");
    let read = call(&app, Method::GET, &records, &ehr, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let note = json!({"record_type": "adherence_note", "payload": {"text": "from the EHR"}});
    assert_eq!(
        call(&app, Method::POST, &records, &ehr, Some(note))
            .await
            .status,
        403
    );
    for path in [
        "/api/v1/staff".to_string(),
        format!("/api/v1/hospitals/{ksm}/api-clients"),
        "/api/v1/auth/me".to_string(),
        "/api/v1/audit".to_string(),
    ] {
        assert_eq!(
            call(&app, Method::GET, &path, &ehr, None).await.status,
            403,
            "{path}"
        );
    }
    // The narrower token reads patients, not records.
    assert_eq!(
        call(&app, Method::GET, &records, &access(&narrow), None)
            .await
            .status,
        403
    );

    // Audited as the client, and Amina sees a hospital system looked.
    let by_client = audit_log::Entity::find()
        .filter(audit_log::Column::ActorType.eq("client"))
        .filter(audit_log::Column::PatientId.eq(uuid::Uuid::parse_str(&amina).unwrap()))
        .all(&app.core.db)
        .await
        .unwrap();
    assert!(!by_client.is_empty());
    assert!(by_client
        .iter()
        .all(|e| e.actor_id.map(|a| a.to_string()) == Some(id.clone())
            && e.actor_hospital_id == Some(ksm)));
    let patient = common::patient_token(&app, "amina.ehr@example.org").await;
    let log = call(&app, Method::GET, "/api/v1/me/access-log", &patient, None).await;
    assert!(
        log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["by_system"] == true && e["hospital_name"] == "Hospital KSM"),
        "{}",
        log.body
    );
    let listed = call(&app, Method::GET, &clients, &admin, None).await;
    assert!(
        listed.body[0]["last_used_at"].is_string(),
        "{}",
        listed.body
    );
    assert!(
        !listed.body.to_string().contains(&secret),
        "the secret is never shown again"
    );

    // Rotation: the old secret and its tokens stop at once; the new secret works.
    let rotated = call(
        &app,
        Method::POST,
        &format!("{clients}/{id}/rotate"),
        &admin,
        None,
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let fresh = rotated.body["client_secret"].as_str().unwrap().to_string();
    assert_ne!(fresh, secret);
    assert_eq!(
        call(&app, Method::GET, &records, &ehr, None).await.status,
        401
    );
    let old = [
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ];
    assert_eq!(token(&app, &old).await.0, 401);
    let new = [
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &fresh),
    ];
    let (status, answer) = token(&app, &new).await;
    assert_eq!(status, 200);
    let ehr = access(&answer);

    // Disabled: its token stops at once, and it gets no new one until enabled again.
    let client = format!("{clients}/{id}");
    let off = call(
        &app,
        Method::PUT,
        &client,
        &admin,
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert!(off.body["disabled_at"].is_string());
    assert_eq!(
        call(&app, Method::GET, &records, &ehr, None).await.status,
        401
    );
    assert_eq!(token(&app, &new).await.0, 401);
    let on = call(
        &app,
        Method::PUT,
        &client,
        &admin,
        Some(json!({"disabled": false})),
    )
    .await;
    assert_eq!(on.status, 200);
    assert_eq!(token(&app, &new).await.0, 200);
    app.cleanup().await;
}

#[tokio::test]
async fn a_json_token_request_is_answered_the_same() {
    let app = spawn_app_with(&[]).await;
    let ksm = hospital(&app, "KSM").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, ksm, "ksm").await;
    let made = call(
        &app,
        Method::POST,
        &format!("/api/v1/hospitals/{ksm}/api-clients"),
        &admin,
        Some(json!({"name": "Lab system", "scopes": ["labs.write", "patients.read"]})),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let (status, answer) = app
        .post_json(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": made.body["client_id"],
                   "client_secret": made.body["client_secret"]}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["scope"], "patients.read labs.write");
    let plain = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "text/plain")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415);
    app.cleanup().await;
}

#[tokio::test]
async fn the_admin_page_works_as_plain_form_posts_and_shows_a_secret_once() {
    let app = spawn_app_with(&[]).await;
    let ksm = hospital(&app, "KSM").await;
    let admin = app
        .enrolled_staff("admin-page@example.org", Role::HospitalAdmin, Some(ksm))
        .await;
    app.browser_sign_in(&admin).await;
    let post = |path: &'static str, form: Vec<(&'static str, &'static str)>| {
        let request = app.client.post(app.url(path)).form(&form);
        async move { request.send().await.unwrap() }
    };
    // No scope ticked: the page again, with the error and the name kept.
    let r = post("/admin/clients", vec![("name", "Kisumu EHR")]).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("give at least one"), "{html}");
    assert!(html.contains("value=\"Kisumu EHR\""));
    let r = post(
        "/admin/clients",
        vec![
            ("name", "Kisumu EHR"),
            ("scopes", "patients.read"),
            ("scopes", "records.write"),
        ],
    )
    .await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    assert!(html.contains("Copy the secret now"));
    let start = html.find("hlcs_").expect("the secret on the page");
    let secret: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(secret.starts_with("hlcs_"), "{secret}");
    let listed = app
        .client
        .get(app.url("/admin/clients"))
        .send()
        .await
        .unwrap();
    let html = listed.text().await.unwrap();
    assert!(html.contains("patients.read · records.write"), "{html}");
    assert!(!html.contains(&secret), "shown once");
    let id = html
        .split("data-client=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let r = app
        .client
        .post(app.url(&format!("/admin/clients/{id}/rotate")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains(&secret), "a new secret");
    let r = app
        .client
        .post(app.url(&format!("/admin/clients/{id}/disable")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = app
        .client
        .get(app.url("/admin/clients"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Kisumu EHR (disabled)"), "{html}");
    app.cleanup().await;
}

#[tokio::test]
async fn the_command_line_creates_a_client_of_a_hospital_named_by_its_code() {
    let app = spawn_app_with(&[]).await;
    hospital(&app, "KSM").await;
    let created = server::cli::create_client(&app.core, "ksm", "Lab system", "sync, labs.write")
        .await
        .unwrap();
    let (status, answer) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &created.client_id.to_string()),
            ("client_secret", &created.client_secret),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["scope"], "labs.write sync");
    let unknown = server::cli::create_client(&app.core, "XYZ", "Lab system", "sync")
        .await
        .unwrap_err()
        .into_kind();
    assert!(!unknown.field("hospital").is_empty());
    let too_much = server::cli::create_client(&app.core, "KSM", "Lab system", "staff.manage")
        .await
        .unwrap_err()
        .into_kind();
    assert!(!too_much.field("scopes").is_empty());
    app.cleanup().await;
}
