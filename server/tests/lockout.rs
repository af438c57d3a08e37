//! Password and second-factor guessing have an end: consecutive failures are counted in the
//! database, sign-in slows down with growing waits, and finally locks until an admin unlocks
//! it (audited, with an email to the account holder). An address that belongs to nobody is
//! answered exactly like one that does.

use crate::common;

use common::{call, hospital, member, spawn_app_with, TestApp, TEST_PASSWORD};
use hospitallink::clock::FixedClock;
use hospitallink::domain::identity::auth::LoginRequest;
use hospitallink::domain::identity::role::Role;
use hospitallink::entities::{audit_log, staff_account};
use hospitallink::policy::{Caller, RequestMeta};
use hospitallink::services::identity::{auth, tokens};
use hospitallink::services::platform::outbox;
use hospitallink::services::Core;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::sync::Arc;

/// The per-address limits are lifted: these tests are about the per-account counts.
async fn app() -> TestApp {
    spawn_app_with(&[
        ("RATE_LIMIT_LOGIN_PER_IP", "10000"),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "10000"),
    ])
    .await
}

fn clocked(app: &TestApp) -> (Core, FixedClock) {
    let clock = FixedClock::new("2026-06-01T08:00:00Z".parse().unwrap());
    (app.core.clone().with_clock(Arc::new(clock.clone())), clock)
}

/// The HTTP status a password sign-in answers, through the service.
async fn password(core: &Core, email: &str, password: &str) -> u16 {
    let input = LoginRequest {
        email: Some(email.into()),
        password: Some(password.into()),
    };
    match auth::staff_login(core, &RequestMeta::default(), &input).await {
        Ok(_) => 200,
        Err(e) => e.kind.status(),
    }
}

#[tokio::test]
async fn failed_passwords_slow_sign_in_down_then_lock_it_until_an_admin_unlocks() {
    let app = app().await;
    let h = hospital(&app, "LOCK").await;
    let staff = app
        .create_staff("guessed@example.org", Role::Clinician, Some(h))
        .await;
    let (core, clock) = clocked(&app);

    // The same answers for an account and for an address nobody has.
    let mut answers = Vec::new();
    for email in ["guessed@example.org", "nobody-here@example.org"] {
        let mut seen = Vec::new();
        for n in 1..=10 {
            seen.push(password(&core, email, "wrong guess 123").await);
            if n >= 5 {
                // Waiting: refused before the password is looked at, even the right one.
                seen.push(password(&core, email, TEST_PASSWORD).await);
                clock.advance(
                    chrono::Duration::minutes(1 << (n - 5)) + chrono::Duration::seconds(1),
                );
            }
        }
        answers.push(seen);
    }
    let expected: Vec<u16> = [401, 401, 401, 401]
        .into_iter()
        .chain((5..=10).flat_map(|_| [401, 429]))
        .collect();
    assert_eq!(answers[0], expected);
    assert_eq!(answers[1], expected);

    // Locked: after the wait, the right password says so; a wrong one learns nothing.
    clock.advance(chrono::Duration::minutes(40));
    assert_eq!(password(&core, &staff.email, "wrong guess 123").await, 401);
    clock.advance(chrono::Duration::minutes(40));
    let input = LoginRequest {
        email: Some(staff.email.clone()),
        password: Some(TEST_PASSWORD.into()),
    };
    let err = auth::staff_login(&core, &RequestMeta::default(), &input)
        .await
        .unwrap_err();
    assert_eq!(err.kind.status(), 403);
    assert_eq!(err.kind.code(), "account_locked");
    let account = staff_account::Entity::find_by_id(staff.id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(account.sign_in_locked_at.is_some());
    // Recorded once, and the holder is told.
    let locks = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(staff.id.to_string()))
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.details.contains("sign_in_locked"))
        .count();
    assert_eq!(locks, 1);
    let mail = outbox::list(&app.core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .data;
    let notices: Vec<_> = mail
        .iter()
        .filter(|m| m.purpose == "sign_in_locked")
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].to, "guessed@example.org");
    assert!(!notices[0].body.contains("HIV"));

    // An admin of the hospital unlocks it; the unlock is recorded; the password works again.
    let (_, admin) = member(&app, Role::HospitalAdmin, h, "lock").await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/v1/staff/{}", staff.id),
        &admin,
        Some(json!({"unlock": true})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["sign_in_locked"], false);
    let unlocks = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(staff.id.to_string()))
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.details.contains("sign_in_unlocked"))
        .count();
    assert_eq!(unlocks, 1);
    assert_eq!(password(&core, &staff.email, TEST_PASSWORD).await, 200);
    app.cleanup().await;
}

#[tokio::test]
async fn failed_second_factor_codes_slow_down_then_lock() {
    let app = app().await;
    let h = hospital(&app, "LOCK2").await;
    let admin = app
        .enrolled_staff("second-step@example.org", Role::HospitalAdmin, Some(h))
        .await;
    let (core, clock) = clocked(&app);
    let ver = staff_account::Entity::find_by_id(admin.id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap()
        .credentials_version;
    let second_step = |code: &str| {
        let core = core.clone();
        let code = code.to_string();
        async move {
            let token = tokens::mfa_token(&core, admin.id, ver).unwrap();
            match auth::complete_mfa(&core, &RequestMeta::default(), Some(&token), Some(&code))
                .await
            {
                Ok(_) => 200,
                Err(e) => e.kind.status(),
            }
        }
    };
    let mut seen = Vec::new();
    for n in 1..=6 {
        seen.push(second_step("000000").await);
        if (3..6).contains(&n) {
            seen.push(second_step("000000").await);
            clock.advance(chrono::Duration::minutes(1 << (n - 3)) + chrono::Duration::seconds(1));
        }
    }
    assert_eq!(seen, [400, 400, 400, 429, 400, 429, 400, 429, 400]);
    // Locked now: even a right recovery code is refused, saying why.
    let code = admin.recovery_codes.lock().unwrap().pop().unwrap();
    assert_eq!(second_step(&code).await, 403);
    app.cleanup().await;
}
