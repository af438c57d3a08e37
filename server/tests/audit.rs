//! The audit log: every registry change and every denial is recorded, the hash chain holds
//! under concurrent writers, and tampering in the database is found and named.

use crate::common;

use common::{hospital_json, spawn_app, spawn_app_with, PRODUCTION};
use hospitallink::domain::identity::role::Role;
use hospitallink::policy::Caller;
use hospitallink::services::platform::audit::verify_chain;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

async fn sql(app: &common::TestApp, text: &str) {
    let db = &app.core.db;
    db.execute(Statement::from_string(
        db.get_database_backend(),
        text.to_string(),
    ))
    .await
    .unwrap();
}

async fn create_hospitals(app: &common::TestApp, n: usize) {
    for i in 0..n {
        let r = app
            .client
            .post(app.url("/api/v1/hospitals"))
            .json(&hospital_json(&format!("A{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

#[tokio::test]
async fn registry_changes_are_recorded_with_who_and_from_where() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .header("x-request-id", "req-123")
        .header("user-agent", "ehr-sync/2.1")
        .json(&hospital_json("AUD"))
        .send()
        .await
        .unwrap();
    let hospital: Value = r.json().await.unwrap();
    let page: Value = app
        .client
        .get(app.url("/api/v1/audit?entity=hospital&action=create"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["total"], 1, "{page}");
    let e = &page["data"][0];
    assert_eq!(e["entity_id"], hospital["id"]);
    assert_eq!(e["outcome"], "allowed");
    assert_eq!(e["actor_type"], "staff");
    assert_eq!(e["actor_role"], "platform_admin");
    assert_eq!(e["request_id"], "req-123");
    assert_eq!(e["user_agent"], "ehr-sync/2.1");
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["details"]["code"], "AUD");
    // Reading the log is itself recorded.
    let reads: Value = app
        .client
        .get(app.url("/api/v1/audit?entity=audit_log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(reads["pagination"]["total"].as_u64().unwrap() >= 2);
    // Bad filters are named.
    let r = app
        .client
        .get(app.url("/api/v1/audit?action=peek&from=yesterday&patient_id=7"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    for f in ["action", "from", "patient_id"] {
        assert!(err["fields"][f].is_array(), "{f}: {err}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn denials_are_recorded_and_reading_is_scoped() {
    let app = spawn_app_with(&PRODUCTION).await;
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .json(&hospital_json("DENY"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.client
            .get(app.url("/api/v1/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let core = &app.core;
    let root = app
        .enrolled_staff("root@example.org", Role::PlatformAdmin, None)
        .await;
    let root_token = app.token(&root).await;
    let as_root = |path: &str| app.client.get(app.url(path)).bearer_auth(&root_token);
    let page: Value = as_root("/api/v1/audit?action=create")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Refusals without a sign-in are counted, not chained (a flood must not bury the log).
    let anonymous_denials = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_type"] == "anonymous" && e["outcome"] == "denied")
        .count();
    assert_eq!(anonymous_denials, 0, "{page}");
    // (The registration and the log read above, refused before anything else was read.)
    assert!(core
        .audit_writer
        .anonymous_refusals()
        .contains(&("sign_in_required", 2)));

    // A hospital admin sees their hospital's entries only and cannot verify the network chain.
    let h = hospitallink::services::platform::hospitals::create(
        core,
        &Caller::system(),
        &serde_json::from_value(hospital_json("OWN")).unwrap(),
    )
    .await
    .unwrap();
    let admin = app
        .enrolled_staff("admin@own.example.org", Role::HospitalAdmin, Some(h.id))
        .await;
    let admin_token = app.token(&admin).await;
    let as_admin = |path: &str| app.client.get(app.url(path)).bearer_auth(&admin_token);
    let page: Value = as_admin("/api/v1/audit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["data"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        assert_eq!(e["actor_hospital_id"], h.id.to_string(), "{e}");
    }
    assert_eq!(
        as_admin("/api/v1/audit/verify")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let report: Value = as_root("/api/v1/audit/verify")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["intact"], true, "{report}");
    app.cleanup().await;
}

#[tokio::test]
async fn concurrent_writers_form_one_chain() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    for status in common::register_concurrently(&app, "K", 16).await {
        assert_eq!(status, 201);
    }
    let report = verify_chain(&app.core.db).await.unwrap();
    assert!(report.intact, "{report:?}");
    // 16 registrations after the admin's enrolment and sign-in entries.
    assert!(report.checked >= 16, "{report:?}");
    app.cleanup().await;
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    create_hospitals(&app, 5).await;
    assert!(verify_chain(&app.core.db).await.unwrap().intact);
    sql(
        &app,
        "UPDATE audit_logs SET details = '{\"code\":\"FORGED\"}' WHERE seq = 3",
    )
    .await;
    let report = verify_chain(&app.core.db).await.unwrap();
    assert!(!report.intact);
    assert_eq!(report.first_broken_seq, Some(3));
    assert!(report.problem.unwrap().contains("changed"));
    // Through the API too.
    let r: Value = app
        .client
        .get(app.url("/api/v1/audit/verify"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["first_broken_seq"], 3);
    app.cleanup().await;
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    create_hospitals(&app, 5).await;
    sql(&app, "DELETE FROM audit_logs WHERE seq = 2").await;
    let report = verify_chain(&app.core.db).await.unwrap();
    assert_eq!(report.first_broken_seq, Some(3));
    assert!(report.problem.unwrap().contains("entry 2 is missing"));
    app.cleanup().await;
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    create_hospitals(&app, 5).await;
    sql(&app, "UPDATE audit_logs SET seq = -1 WHERE seq = 2").await;
    sql(&app, "UPDATE audit_logs SET seq = 2 WHERE seq = 3").await;
    sql(&app, "UPDATE audit_logs SET seq = 3 WHERE seq = -1").await;
    let report = verify_chain(&app.core.db).await.unwrap();
    assert!(!report.intact);
    assert_eq!(report.first_broken_seq, Some(2));
    app.cleanup().await;
}

#[tokio::test]
async fn removing_the_newest_entries_is_noticed() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    create_hospitals(&app, 4).await;
    sql(&app, "DELETE FROM audit_logs WHERE seq >= 3").await;
    let report = verify_chain(&app.core.db).await.unwrap();
    assert!(!report.intact);
    assert_eq!(report.first_broken_seq, Some(3));
    assert!(report
        .problem
        .unwrap()
        .contains("newest entries were removed"));
    app.cleanup().await;
}

#[tokio::test]
async fn password_attempts_are_limited_and_failures_recorded() {
    let mut vars = PRODUCTION.to_vec();
    vars.push(("RATE_LIMIT_LOGIN_PER_ACCOUNT", "3"));
    let app = spawn_app_with(&vars).await;
    app.create_staff("root@example.org", Role::Clinician, None)
        .await;
    let attempt = |password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/admin/login"))
            .json(&serde_json::json!({"email": "Root@Example.org", "password": password}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong password!!").await.unwrap().status(), 401);
    }
    let r = attempt("correct horse battery").await.unwrap();
    assert_eq!(
        r.status(),
        429,
        "the limit applies before the password is checked"
    );
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let page = hospitallink::services::platform::audit::list(
        &app.core,
        &Caller::system(),
        &hospitallink::services::platform::audit::AuditFilter {
            action: Some(hospitallink::domain::platform::audit::AuditAction::LoginFailed),
            ..Default::default()
        },
        Default::default(),
    )
    .await
    .unwrap();
    // Wrong passwords without a sign-in are counted, not chained.
    assert_eq!(page.pagination.total, 0);
    assert!(app
        .core
        .audit_writer
        .anonymous_refusals()
        .contains(&("login_failed", 3)));
    app.cleanup().await;
}

#[tokio::test]
async fn admins_export_the_filtered_log_as_csv() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new()
        .get(app.url("/admin/audit.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.sign_in_admin().await;
    create_hospitals(&app, 2).await;
    let r = app
        .client
        .get(app.url("/admin/audit.csv?entity=hospital&action=create"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,occurred_at,actor_type"));
    assert_eq!(lines.len(), 3, "a header and the two registrations: {csv}");
    assert!(lines[1].contains("\"hospital\"") && lines[1].contains("\"create\""));
    // The page renders the same selection, and the export itself is recorded.
    let page = app
        .client
        .get(app.url("/admin/audit?entity=hospital"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"audit-rows\""), "{page}");
    assert!(page.contains("/admin/audit.csv?entity=hospital"));
    let exports = hospitallink::services::platform::audit::list(
        &app.core,
        &Caller::system(),
        &hospitallink::services::platform::audit::AuditFilter {
            action: Some(hospitallink::domain::platform::audit::AuditAction::Export),
            ..Default::default()
        },
        Default::default(),
    )
    .await
    .unwrap();
    let outcomes: Vec<&str> = exports.data.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        vec!["allowed"],
        "the refused anonymous export is counted, not chained"
    );
    assert!(app
        .core
        .audit_writer
        .anonymous_refusals()
        .contains(&("export", 1)));
    let r = app
        .client
        .get(app.url("/admin/audit.csv?from=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.cleanup().await;
}
