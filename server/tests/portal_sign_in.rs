//! A patient's portal sign-in is protected like a staff member's: the addresses codes go to
//! are unique and their changes are told to the previous address; staff can sign a patient out
//! everywhere; and a sign-in has an absolute end however often its tokens are refreshed.

use crate::common;

use common::{call, hospital, member, spawn_app_with, TestApp};
use hospitallink::clock::FixedClock;
use hospitallink::domain::identity::auth::OtpVerifyRequest;
use hospitallink::domain::identity::role::Role;
use hospitallink::policy::{Actor, Caller, RequestMeta};
use hospitallink::services::identity::access::{self, Credential};
use hospitallink::services::identity::{otp, tokens};
use hospitallink::services::platform::outbox;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

async fn app() -> TestApp {
    spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await
}

/// The newest code sent to `to`.
async fn code_for(app: &TestApp, to: &str) -> String {
    let messages = outbox::list(&app.core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .data;
    let body = &messages
        .iter()
        .find(|m| m.to == to && m.purpose == "otp")
        .expect("a code message")
        .body;
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string()
}

/// Signs the patient with `email` in through the API; the tokens.
async fn portal_tokens(app: &TestApp, email: &str) -> Value {
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({ "email": email }),
        )
        .await;
    assert_eq!(status, 202);
    let code = code_for(app, email).await;
    let (status, tokens) = app
        .post_json(
            "/api/v1/auth/patient/verify-otp",
            None,
            json!({ "email": email, "code": code }),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn me_status(app: &TestApp, tokens: &Value) -> u16 {
    call(
        app,
        Method::GET,
        "/api/v1/auth/me",
        tokens["access_token"].as_str().unwrap(),
        None,
    )
    .await
    .status
}

async fn refresh_status(app: &TestApp, tokens: &Value) -> u16 {
    app.post_json(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": tokens["refresh_token"] }),
    )
    .await
    .0
}

fn person(email: &str, phone: &str) -> Value {
    json!({"first_name": "Akinyi", "last_name": "Otieno", "date_of_birth": "1994-04-04",
           "sex": "female", "email": email, "phone": phone})
}

#[tokio::test]
async fn sign_in_addresses_are_one_patients_and_their_changes_are_told() {
    let app = app().await;
    let h = hospital(&app, "PORT").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "port").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk,
        Some(person("akinyi@example.org", "+254 722 555 001")),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    // The same phone for another patient: refused, naming the field.
    let twin = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk,
        Some(person("someone.else@example.org", "+254722555001")),
    )
    .await;
    assert_eq!(twin.status, 409, "{}", twin.body);
    assert_eq!(twin.body["code"], "patient_phone_taken");
    assert!(twin.body["fields"]["phone"].is_array());

    let signed_in = portal_tokens(&app, "akinyi@example.org").await;
    assert_eq!(me_status(&app, &signed_in).await, 200);
    let changed = call(
        &app,
        Method::PUT,
        &format!("/api/v1/patients/{id}"),
        &desk,
        Some(person("akinyi.new@example.org", "+254 722 555 001")),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    // The previous address is told, discreetly; the sign-ins made with it end.
    let mail = outbox::list(&app.core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .data;
    let notice = mail
        .iter()
        .find(|m| m.purpose == "sign_in_address_changed")
        .expect("a notice");
    assert_eq!(notice.to, "akinyi@example.org");
    assert!(!notice.body.contains("akinyi.new"));
    assert!(!notice.body.to_lowercase().contains("hiv"));
    assert_eq!(me_status(&app, &signed_in).await, 401);
    assert_eq!(refresh_status(&app, &signed_in).await, 401);
    // Audited with the field, never the value.
    let entries = hospitallink::services::platform::audit::list(
        &app.core,
        &Caller::system(),
        &hospitallink::services::platform::audit::AuditFilter {
            entity: Some("patient".into()),
            action: Some(hospitallink::domain::platform::audit::AuditAction::Update),
            ..Default::default()
        },
        Default::default(),
    )
    .await
    .unwrap();
    let details = entries.data[0].details.to_string();
    assert!(
        details.contains("\"sign_in_address_changed\":[\"email\"]"),
        "{details}"
    );
    assert!(!details.contains("akinyi"), "{details}");
    // The new address signs in.
    let again = portal_tokens(&app, "akinyi.new@example.org").await;
    assert_eq!(me_status(&app, &again).await, 200);
    app.cleanup().await;
}

#[tokio::test]
async fn staff_sign_a_patient_out_everywhere() {
    let app = app().await;
    let h = hospital(&app, "SOUT").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "sout").await;
    let (_, billing) = member(&app, Role::BillingClerk, h, "sout").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk,
        Some(person("lost.phone@example.org", "+254 722 555 002")),
    )
    .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let first = portal_tokens(&app, "lost.phone@example.org").await;
    let second = portal_tokens(&app, "lost.phone@example.org").await;
    let path = format!("/api/v1/patients/{id}/sign-out");
    assert_eq!(
        call(&app, Method::POST, &path, &billing, None).await.status,
        403
    );
    assert_eq!(
        call(&app, Method::POST, &path, &desk, None).await.status,
        204
    );
    for tokens in [&first, &second] {
        assert_eq!(me_status(&app, tokens).await, 401);
        assert_eq!(refresh_status(&app, tokens).await, 401);
    }
    let again = portal_tokens(&app, "lost.phone@example.org").await;
    assert_eq!(me_status(&app, &again).await, 200);
    app.cleanup().await;
}

#[tokio::test]
async fn a_patient_sign_in_ends_twelve_hours_after_it_began_however_often_refreshed() {
    let app = app().await;
    let txn = hospitallink::db::begin_write(&app.core.db).await.unwrap();
    hospitallink::services::clinical::patients::insert(
        &app.core,
        &txn,
        &hospitallink::domain::clinical::patient::ValidPatient {
            first_name: "Nafula".into(),
            last_name: "Kibet".into(),
            date_of_birth: "1999-09-09".parse().unwrap(),
            sex: "female".into(),
            email: Some("nafula@example.org".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let clock = FixedClock::new(chrono::Utc::now());
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    let meta = RequestMeta::default();
    otp::request(
        &core,
        &meta,
        &hospitallink::domain::identity::auth::OtpRequest {
            email: Some("nafula@example.org".into()),
            phone: None,
        },
    )
    .await
    .unwrap();
    let code = code_for(&app, "nafula@example.org").await;
    let mut pair = otp::verify_for_tokens(
        &core,
        &meta,
        &OtpVerifyRequest {
            email: Some("nafula@example.org".into()),
            phone: None,
            code: Some(code),
        },
    )
    .await
    .unwrap();
    // Refreshed every 5 hours: fine twice, refused past 12 hours from the sign-in.
    for _ in 0..2 {
        clock.advance(chrono::Duration::hours(5));
        pair = tokens::refresh(&core, &meta, &pair.refresh_token)
            .await
            .unwrap();
        let actor = access::resolve(&core, Credential::Bearer(&pair.access_token))
            .await
            .unwrap();
        assert!(matches!(actor, Actor::Patient { .. }));
    }
    clock.advance(chrono::Duration::hours(2) + chrono::Duration::minutes(1));
    let err = tokens::refresh(&core, &meta, &pair.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(err.kind.status(), 401);
    assert!(
        access::resolve(&core, Credential::Bearer(&pair.access_token))
            .await
            .is_err()
    );
    app.cleanup().await;
}
