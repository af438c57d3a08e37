//! Single-use and counted secrets under concurrency: many requests race on one token or code,
//! and the database decides (one conditional write each). These matter on PostgreSQL, where a
//! read followed by a write is not atomic; `make test` runs them there too.

use crate::common;

use common::{call, hospital, member, spawn_app_with, TestApp};
use futures_util::future::join_all;
use hospitallink::domain::identity::role::Role;
use hospitallink::entities::{patient, sign_in_code};
use hospitallink::policy::Caller;
use hospitallink::services::clinical::patients;
use hospitallink::services::identity::{mfa, tokens};
use hospitallink::services::platform::outbox;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// How many requests race in each test.
const RACERS: usize = 25;

/// Limits per client address are lifted: every racer comes from 127.0.0.1.
async fn racing_app() -> TestApp {
    spawn_app_with(&[
        ("RATE_LIMIT_OTP_PER_IP", "10000"),
        ("RATE_LIMIT_LOGIN_PER_IP", "10000"),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "10000"),
    ])
    .await
}

/// Sends `bodies` to `path` all at once; the statuses in order.
async fn race(app: &TestApp, path: &str, bodies: Vec<Value>) -> Vec<u16> {
    let tasks = bodies.into_iter().map(|body| {
        let request = app.client.post(app.url(path)).json(&body);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_token_is_traded_once_and_its_replays_revoke_the_sign_in() {
    let app = racing_app().await;
    let h = hospital(&app, "RACE-RT").await;
    let (staff, _) = member(&app, Role::Clinician, h, "rt").await;
    let tokens = app.api_tokens(&staff).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let statuses = race(
        &app,
        "/api/v1/auth/refresh",
        vec![json!({ "refresh_token": refresh }); RACERS],
    )
    .await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 401), RACERS - 1, "{statuses:?}");

    // The replays were reuse: the whole sign-in is revoked, the winner's new token included.
    use hospitallink::entities::refresh_token as rt;
    let first = rt::Entity::find()
        .filter(rt::Column::TokenHash.eq(tokens::token_hash(&refresh[3..])))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let family = rt::Entity::find()
        .filter(rt::Column::FamilyId.eq(first.family_id))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(family.len(), 2, "the first token and the one issued for it");
    assert!(family.iter().all(|t| t.revoked_at.is_some()), "{family:?}");
    app.cleanup().await;
}

/// A patient with an email address and a fresh code sent to it; returns (patient, code).
async fn patient_with_code(app: &TestApp, email: &str) -> (uuid::Uuid, String) {
    let txn = hospitallink::db::begin_write(&app.core.db).await.unwrap();
    let id = patients::insert(
        &app.core,
        &txn,
        &hospitallink::domain::clinical::patient::ValidPatient {
            first_name: "Achieng".into(),
            last_name: "Owino".into(),
            date_of_birth: "1991-03-04".parse().unwrap(),
            sex: "female".into(),
            email: Some(email.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({ "email": email }),
        )
        .await;
    assert_eq!(status, 202);
    let messages = outbox::list(&app.core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .data;
    let body = &messages.last().expect("a code message").body;
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_string();
    (id, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patient_code_signs_in_once() {
    let app = racing_app().await;
    let (_, code) = patient_with_code(&app, "achieng@example.org").await;
    let statuses = race(
        &app,
        "/api/v1/auth/patient/verify-otp",
        vec![json!({ "email": "achieng@example.org", "code": code }); RACERS],
    )
    .await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 401), RACERS - 1, "{statuses:?}");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_five_guesses_of_a_code_are_ever_compared() {
    let app = racing_app().await;
    let (id, code) = patient_with_code(&app, "owino@example.org").await;
    let wrong: Vec<Value> = (0..RACERS)
        .map(|i| {
            let guess = format!(
                "{:06}",
                (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000
            );
            json!({ "email": "owino@example.org", "code": guess })
        })
        .collect();
    let statuses = race(&app, "/api/v1/auth/patient/verify-otp", wrong).await;
    assert_eq!(count(&statuses, 401), RACERS, "{statuses:?}");

    let otp = sign_in_code::Entity::find()
        .filter(sign_in_code::Column::PatientId.eq(id))
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(otp.attempts, 5, "tries granted for the code");
    let p = patient::Entity::find_by_id(id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.otp_failures, 5,
        "every compared guess is counted, none lost"
    );
    let failures = hospitallink::entities::audit_log::Entity::find()
        .filter(hospitallink::entities::audit_log::Column::PatientId.eq(id))
        .filter(hospitallink::entities::audit_log::Column::Action.eq("login_failed"))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(failures.len(), 5);

    // The code is spent: even the right one is refused now.
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/verify-otp",
            None,
            json!({ "email": "owino@example.org", "code": code }),
        )
        .await;
    assert_eq!(status, 401);
    app.cleanup().await;
}

/// `RACERS` second steps of one admin's password sign-ins, each with its own `mfa_token`, all
/// presenting `code`.
async fn second_steps(app: &TestApp, staff: &common::Staff, ver: i64, code: &str) -> Vec<u16> {
    let bodies = (0..RACERS)
        .map(|_| {
            let mfa_token = tokens::mfa_token(&app.core, staff.id, ver).unwrap();
            json!({ "mfa_token": mfa_token, "code": code })
        })
        .collect();
    race(app, "/api/v1/auth/mfa", bodies).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_totp_code_and_a_recovery_code_are_each_accepted_once() {
    let app = racing_app().await;
    let h = hospital(&app, "RACE-MFA").await;
    let admin = app
        .enrolled_staff("race-admin@example.org", Role::HospitalAdmin, Some(h))
        .await;
    let account = hospitallink::entities::staff_account::Entity::find_by_id(admin.id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let ver = account.credentials_version;

    // Enrolment used the current step; the next one is still within the accepted skew.
    let next = mfa::code_at(
        admin.secret.as_deref().unwrap(),
        chrono::Utc::now().timestamp() + 30,
    )
    .unwrap();
    // The others are refused: the code was used (400), or, after three such failures, the
    // account makes the next code wait (429) or is locked (403).
    let refused = |statuses: &[u16]| {
        statuses
            .iter()
            .filter(|s| matches!(s, 400 | 403 | 429))
            .count()
    };
    let statuses = second_steps(&app, &admin, ver, &next).await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(refused(&statuses), RACERS - 1, "{statuses:?}");

    // The failures of that race are forgotten before the next one (an admin's unlock would).
    {
        use hospitallink::entities::staff_account as sa;
        use sea_orm::sea_query::Expr;
        sa::Entity::update_many()
            .col_expr(sa::Column::FailedSecondFactors, Expr::value(0))
            .col_expr(
                sa::Column::SecondFactorWaitUntil,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .col_expr(
                sa::Column::SignInLockedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(sa::Column::Id.eq(admin.id))
            .exec(&app.core.db)
            .await
            .unwrap();
    }
    let recovery = admin.recovery_codes.lock().unwrap().pop().unwrap();
    let statuses = second_steps(&app, &admin, ver, &recovery).await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(refused(&statuses), RACERS - 1, "{statuses:?}");

    // Nine recovery codes are left: the one used is gone, no other was lost.
    let account = hospitallink::entities::staff_account::Entity::find_by_id(admin.id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let left: Vec<String> =
        serde_json::from_str(account.recovery_codes.as_deref().unwrap()).unwrap();
    assert_eq!(left.len(), mfa::RECOVERY_CODES - 1);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_record_writes_for_one_patient_all_land_and_the_summary_is_right() {
    const CLIENTS: usize = 20;
    const EACH: usize = 10;
    let app = racing_app().await;
    let h = hospital(&app, "RACE-REC").await;
    let (_, token) = member(&app, Role::Clinician, h, "rec").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &token,
        Some(json!({
            "first_name": "Nafula", "last_name": "Wekesa",
            "date_of_birth": "1984-07-21", "sex": "female"
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let patient = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/patients/{patient}/records");

    // Client c writes day c*EACH+k of 2025 with c*EACH+k+1 copies: the newest has the most.
    let clients = (0..CLIENTS).map(|c| {
        let (client, url, token) = (app.client.clone(), app.url(&path), token.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for k in 0..EACH {
                let n = c * EACH + k;
                let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
                    + chrono::Duration::days(n as i64);
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({
                        "record_type": "viral_load",
                        "recorded_at": day.to_string(),
                        "payload": { "copies_per_ml": n + 1 }
                    }))
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        })
    });
    let statuses: Vec<u16> = join_all(clients)
        .await
        .into_iter()
        .flat_map(|r| r.unwrap())
        .collect();
    assert_eq!(count(&statuses, 201), CLIENTS * EACH, "{statuses:?}");

    let listed = call(
        &app,
        Method::GET,
        &format!("{path}?per_page=1"),
        &token,
        None,
    )
    .await;
    assert_eq!(listed.body["pagination"]["total"], CLIENTS * EACH);
    let summary = call(
        &app,
        Method::GET,
        &format!("/api/v1/patients/{patient}/summary"),
        &token,
        None,
    )
    .await;
    assert_eq!(summary.status, 200, "{}", summary.body);
    let total = (CLIENTS * EACH) as f64;
    assert_eq!(summary.body["latest_viral_load"]["copies_per_ml"], total);
    assert_eq!(
        summary.body["previous_viral_load"]["copies_per_ml"],
        total - 1.0
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_five_codes_an_hour_go_to_one_address_however_many_ask_at_once() {
    let app = racing_app().await;
    // The first code, then everyone at once.
    let (id, _) = patient_with_code(&app, "auma@example.org").await;
    let statuses = race(
        &app,
        "/api/v1/auth/patient/request-otp",
        vec![json!({ "email": "auma@example.org" }); RACERS],
    )
    .await;
    assert_eq!(count(&statuses, 202), RACERS, "the answer never changes");
    let codes = sign_in_code::Entity::find()
        .filter(sign_in_code::Column::PatientId.eq(id))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(codes.len(), 5);
    app.cleanup().await;
}

/// A patient registered by `token`'s hospital; returns its id.
async fn registered(app: &TestApp, token: &str, national_id: &str) -> String {
    let created = call(
        app,
        Method::POST,
        "/api/v1/patients",
        token,
        Some(json!({
            "first_name": "Zawadi", "last_name": "Mutua", "date_of_birth": "1979-11-02",
            "sex": "female", "national_id": national_id
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

/// Sends the same request `RACERS` times at once; the statuses.
async fn race_same(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> Vec<u16> {
    let tasks = (0..RACERS).map(|_| {
        let mut r = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(token)
            .json(&body);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        tokio::spawn(async move { r.send().await.unwrap().status().as_u16() })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn edits_with_the_same_if_match_succeed_once() {
    let app = racing_app().await;
    let h = hospital(&app, "RACE-IFM").await;
    let (_, token) = member(&app, Role::Clinician, h, "ifm").await;
    let id = registered(&app, &token, "RACE-ID-1").await;
    let statuses = race_same(
        &app,
        Method::PUT,
        &format!("/api/v1/patients/{id}"),
        &token,
        &[("if-match", "\"1\"")],
        json!({
            "first_name": "Zawadi", "last_name": "Mutua", "date_of_birth": "1979-11-02",
            "sex": "female", "national_id": "RACE-ID-1", "phone": "+254 722 000 333"
        }),
    )
    .await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 412), RACERS - 1, "{statuses:?}");
    let now = call(
        &app,
        Method::GET,
        &format!("/api/v1/patients/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(now.etag.as_deref(), Some("\"2\""));
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_record_is_corrected_once() {
    let app = racing_app().await;
    let h = hospital(&app, "RACE-COR").await;
    let (_, token) = member(&app, Role::Clinician, h, "cor").await;
    let id = registered(&app, &token, "RACE-ID-2").await;
    let path = format!("/api/v1/patients/{id}/records");
    let first = call(
        &app,
        Method::POST,
        &path,
        &token,
        Some(json!({"record_type": "cd4", "recorded_at": "2025-03-01", "payload": {"cells_per_ul": 350}})),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let statuses = race_same(
        &app,
        Method::POST,
        &path,
        &token,
        &[],
        json!({
            "record_type": "cd4", "recorded_at": "2025-03-01",
            "payload": {"cells_per_ul": 530}, "supersedes": first.body["id"]
        }),
    )
    .await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), RACERS - 1, "{statuses:?}");
    let listed = call(&app, Method::GET, &path, &token, None).await;
    assert_eq!(
        listed.body["pagination"]["total"], 2,
        "the original and one correction"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_person_registered_at_once_by_many_hands_is_one_patient() {
    let app = racing_app().await;
    let h = hospital(&app, "RACE-REG").await;
    let (_, token) = member(&app, Role::Clinician, h, "reg").await;
    let statuses = race_same(
        &app,
        Method::POST,
        "/api/v1/patients",
        &token,
        &[],
        json!({
            "first_name": "Faith", "last_name": "Chebet", "date_of_birth": "1993-06-09",
            "sex": "female", "national_id": "RACE-ID-3"
        }),
    )
    .await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    // The others are told the person exists (409), or, past the hourly bound on such answers
    // for one account, to wait (429).
    assert_eq!(
        count(&statuses, 409) + count(&statuses, 429),
        RACERS - 1,
        "{statuses:?}"
    );
    app.cleanup().await;
}

/// A consent request of `clinician`'s hospital for a patient with a phone, and its code.
async fn consent_code(app: &TestApp) -> (String, String, String, String) {
    let h = hospital(app, "RACE-CC").await;
    let (_, clinician) = member(app, Role::Clinician, h, "cc").await;
    let (status, patient) = app
        .post_json(
            "/api/v1/patients",
            Some(&clinician),
            json!({"first_name": "Nekesa", "last_name": "Wafula", "date_of_birth": "1994-05-06",
                   "sex": "female", "phone": "+254 733 000 444"}),
        )
        .await;
    assert_eq!(status, 201, "{patient}");
    let patient = patient["id"].as_str().unwrap().to_string();
    let (status, request) = app
        .post_json(
            &format!("/api/v1/patients/{patient}/consent-requests"),
            Some(&clinician),
            json!({"categories": ["labs"], "purpose": "treatment"}),
        )
        .await;
    assert_eq!(status, 201, "{request}");
    let messages = outbox::list(&app.core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .data;
    let body = &messages.last().expect("a code message").body;
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_string();
    let rid = request["id"].as_str().unwrap().to_string();
    (clinician, patient, rid, code)
}

/// Sends `bodies` to `path` all at once as `token`; the statuses in order.
async fn race_as(app: &TestApp, token: &str, path: &str, bodies: Vec<Value>) -> Vec<u16> {
    let tasks = bodies.into_iter().map(|body| {
        let request = app
            .client
            .post(app.url(path))
            .bearer_auth(token)
            .json(&body);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consent_code_creates_one_grant() {
    let app = racing_app().await;
    let (clinician, patient, rid, code) = consent_code(&app).await;
    let path = format!("/api/v1/patients/{patient}/consent-requests/{rid}/confirm");
    let statuses = race_as(
        &app,
        &clinician,
        &path,
        vec![json!({ "code": code }); RACERS],
    )
    .await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 400), RACERS - 1, "{statuses:?}");
    let grants = hospitallink::entities::consent_grant::Entity::find()
        .filter(
            hospitallink::entities::consent_grant::Column::PatientId
                .eq(patient.parse::<uuid::Uuid>().unwrap()),
        )
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(grants.len(), 1);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_five_guesses_of_a_consent_code_are_ever_compared() {
    let app = racing_app().await;
    let (clinician, patient, rid, code) = consent_code(&app).await;
    let path = format!("/api/v1/patients/{patient}/consent-requests/{rid}/confirm");
    let wrong: Vec<Value> = (0..RACERS)
        .map(|i| {
            let guess = (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000;
            json!({ "code": format!("{guess:06}") })
        })
        .collect();
    let statuses = race_as(&app, &clinician, &path, wrong).await;
    assert_eq!(count(&statuses, 400), RACERS, "{statuses:?}");
    let request = hospitallink::entities::consent_request::Entity::find_by_id(
        rid.parse::<uuid::Uuid>().unwrap(),
    )
    .one(&app.core.db)
    .await
    .unwrap()
    .unwrap();
    assert_eq!(request.attempts, 5, "tries granted for the code");
    // Spent: even the right code is refused now.
    let (status, _) = app
        .post_json(&path, Some(&clinician), json!({ "code": code }))
        .await;
    assert_eq!(status, 400);
    app.cleanup().await;
}
