//! Domain-core services against the real database (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`).

use crate::common;

use hospitallink::clock::{Clock, FixedClock};
use hospitallink::domain::identity::auth::LoginRequest;
use hospitallink::domain::identity::role::Role;
use hospitallink::domain::platform::hospital::HospitalInput;
use hospitallink::policy::{Actor, Caller, RequestMeta};
use hospitallink::services::identity::auth::{self, StaffLogin};
use hospitallink::services::identity::staff;
use hospitallink::services::identity::tokens::Stage;
use hospitallink::services::platform::hospitals;
use std::sync::Arc;

#[tokio::test]
async fn platform_admins_authenticate_by_password() {
    let app = common::spawn_app().await;
    let core = &app.core;
    let err = staff::create_platform_admin(core, "not-an-email", "short")
        .await
        .unwrap_err()
        .into_kind();
    assert_eq!(err.field("email").len(), 1);
    assert_eq!(
        err.field("password"),
        vec!["must be at least 12 characters"]
    );

    let id = staff::create_platform_admin(core, "Admin@Example.org", "pässwörd with ümlauts")
        .await
        .unwrap();
    let dup = staff::create_platform_admin(core, "admin@example.org", "another long password")
        .await
        .unwrap_err();
    assert_eq!(dup.kind.code(), "email_taken");

    let common_password = staff::create_platform_admin(core, "other@example.org", "Password1234")
        .await
        .unwrap_err()
        .into_kind();
    assert_eq!(
        common_password.field("password"),
        vec!["is one of the most common passwords; choose another"]
    );

    let meta = RequestMeta::default();
    let login = |email: &str, password: &str| LoginRequest {
        email: Some(email.into()),
        password: Some(password.into()),
    };
    // A platform admin without a second factor gets a session that may only enrol.
    let signed = auth::staff_login(
        core,
        &meta,
        &login("ADMIN@example.org", "pässwörd with ümlauts"),
    )
    .await
    .unwrap();
    let StaffLogin::SignedIn(subject) = signed else {
        panic!("no second factor yet: {signed:?}")
    };
    assert_eq!(subject.id, id);
    assert_eq!(subject.stage, Stage::MfaEnrollment);
    for (email, password) in [
        ("admin@example.org", "wrong password!!"),
        ("nobody@example.org", "pässwörd with ümlauts"),
    ] {
        let err = auth::staff_login(core, &meta, &login(email, password))
            .await
            .unwrap_err();
        assert_eq!(err.kind.status(), 401);
        assert_eq!(err.kind.message(), "The email or password is not correct.");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn registry_changes_are_authorized_and_versioned() {
    let app = common::spawn_app().await;
    let clock = FixedClock::new("2026-01-05T08:00:00Z".parse().unwrap());
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    let input = HospitalInput {
        name: Some("Jinja Regional".into()),
        code: Some("JIN".into()),
        address: None,
        contact_email: Some("art@jinja.example.org".into()),
        country: Some("UG".into()),
        active: None,
    };
    let clinician = Actor::Staff {
        id: uuid::Uuid::now_v7(),
        role: Role::Clinician,
        hospital_id: None,
    };
    let denied = hospitals::create(
        &core,
        &Caller::new(clinician, RequestMeta::default()),
        &input,
    )
    .await
    .unwrap_err();
    assert_eq!(denied.kind.status(), 403);
    let denied = hospitals::create(
        &core,
        &Caller::new(Actor::Anonymous, RequestMeta::default()),
        &input,
    )
    .await
    .unwrap_err();
    assert_eq!(denied.kind.status(), 401);

    let h = hospitals::create(&core, &Caller::system(), &input)
        .await
        .unwrap();
    assert_eq!(h.created_at, clock.now());
    clock.advance(chrono::Duration::hours(2));
    let mut changed = input.clone();
    changed.active = Some(false);
    let h2 = hospitals::update(&core, &Caller::system(), h.id, &changed, Some(1))
        .await
        .unwrap();
    assert_eq!(h2.version, 2);
    assert!(!h2.active);
    assert_eq!(h2.updated_at - h2.created_at, chrono::Duration::hours(2));
    let stale = hospitals::update(&core, &Caller::system(), h.id, &changed, Some(1))
        .await
        .unwrap_err();
    assert_eq!(stale.kind.status(), 412);
    let missing = hospitals::get(
        &core,
        &Caller::new(Actor::Anonymous, RequestMeta::default()),
        uuid::Uuid::now_v7(),
    )
    .await
    .unwrap_err();
    assert_eq!(missing.kind.status(), 404);
    app.cleanup().await;
}

#[tokio::test]
async fn sqlite_runs_durable_and_strict() {
    if common::backend() != "sqlite" {
        return; // PostgreSQL has no pragmas; this run checks the SQLite settings only.
    }
    use sea_orm::{ConnectionTrait, Statement};
    let app = common::spawn_app().await;
    let db = &app.core.db;
    for (pragma, expected) in [
        ("journal_mode", "wal"),
        ("foreign_keys", "1"),
        ("synchronous", "2"),
        ("busy_timeout", "5000"),
    ] {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                format!("PRAGMA {pragma}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let value: String = row
            .try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
            .unwrap();
        assert_eq!(value, expected, "PRAGMA {pragma}");
    }
    app.cleanup().await;
}
