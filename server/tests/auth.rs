//! Identity end to end: staff sign-in with the second factor, refresh rotation and reuse,
//! invitations, disabling, patient one-time codes (with an injected clock), a real SMTP
//! conversation and the SMS provider call, browser session cookies.

use crate::common;

use common::{
    code_in, sms_provider, smtp_server, spawn_app, spawn_app_with, wait_for, PRODUCTION,
    TEST_PASSWORD,
};
use hospitallink::clock::FixedClock;
use hospitallink::domain::identity::auth::{
    AcceptInvitationRequest, InvitationRequest, OtpRequest, OtpVerifyRequest,
};
use hospitallink::domain::identity::role::Role;
use hospitallink::policy::{Caller, RequestMeta};
use hospitallink::services::clinical::patients;
use hospitallink::services::identity::{invitations, otp};
use hospitallink::services::platform::outbox;
use serde_json::{json, Value};
use std::sync::Arc;

async fn get(app: &common::TestApp, path: &str, token: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn hospital(app: &common::TestApp, code: &str) -> uuid::Uuid {
    hospitallink::services::platform::hospitals::create(
        &app.core,
        &Caller::system(),
        &serde_json::from_value(common::hospital_json(code)).unwrap(),
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn admins_enrol_a_second_factor_before_anything_else() {
    let app = spawn_app().await;
    let admin = app
        .create_staff("root@example.org", Role::PlatformAdmin, None)
        .await;
    let (status, tokens) = app
        .post_json(
            "/api/v1/auth/admin/login",
            None,
            json!({"email": "root@example.org", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let restricted = tokens["access_token"].as_str().unwrap();
    // The restricted session: /auth/me yes, anything else 403 mfa_enrollment_required.
    let (status, me) = get(&app, "/api/v1/auth/me", restricted).await;
    assert_eq!(status, 200);
    assert_eq!(me["mfa_enrollment_required"], true);
    let (status, err) = get(&app, "/api/v1/audit", restricted).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (403, Some("mfa_enrollment_required"))
    );
    let (status, err) = app
        .post_json(
            "/api/v1/hospitals",
            Some(restricted),
            common::hospital_json("X1"),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (403, Some("mfa_enrollment_required"))
    );

    let (status, setup) = app
        .post_json("/api/v1/auth/mfa/setup", Some(restricted), json!({}))
        .await;
    assert_eq!(status, 200);
    let secret = setup["secret"].as_str().unwrap();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/HospitalLink:root%40example.org?"),
        "{uri}"
    );
    assert!(
        uri.contains("algorithm=SHA1") && uri.contains("digits=6") && uri.contains("period=30"),
        "{uri}"
    );
    let (status, err) = app
        .post_json(
            "/api/v1/auth/mfa/confirm",
            Some(restricted),
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(err["fields"]["code"].is_array());
    let now = chrono::Utc::now().timestamp();
    let code = hospitallink::services::identity::mfa::code_at(secret, now).unwrap();
    let (status, codes) = app
        .post_json(
            "/api/v1/auth/mfa/confirm",
            Some(restricted),
            json!({"code": code}),
        )
        .await;
    assert_eq!(status, 200);
    let recovery: Vec<String> = serde_json::from_value(codes["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), 10);

    // From now on the password leads to the second step.
    let (status, step) = app
        .post_json(
            "/api/v1/auth/admin/login",
            None,
            json!({"email": "root@example.org", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(step["mfa_required"], true);
    assert!(step.get("access_token").is_none());
    let mfa_token = step["mfa_token"].as_str().unwrap();
    // The code used for enrolment cannot be replayed.
    let (status, _) = app
        .post_json(
            "/api/v1/auth/mfa",
            None,
            json!({"mfa_token": mfa_token, "code": code}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .post_json(
            "/api/v1/auth/mfa",
            None,
            json!({"mfa_token": "forged", "code": code}),
        )
        .await;
    assert_eq!(status, 401);
    // A recovery code works once.
    let (status, tokens) = app
        .post_json(
            "/api/v1/auth/mfa",
            None,
            json!({"mfa_token": mfa_token, "code": recovery[0]}),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let full = tokens["access_token"].as_str().unwrap();
    let (status, _) = get(&app, "/api/v1/audit", full).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post_json(
            "/api/v1/auth/mfa",
            None,
            json!({"mfa_token": mfa_token, "code": recovery[0]}),
        )
        .await;
    assert_eq!(status, 400, "a recovery code is single use");
    let _ = admin;
    app.cleanup().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let h = hospital(&app, "RT").await;
    let clinician = app
        .create_staff("clin@example.org", Role::Clinician, Some(h))
        .await;
    let first = app.api_tokens(&clinician).await;
    assert!(first["refresh_token"].as_str().unwrap().starts_with("rt_"));
    let (status, second) = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (status, me) = get(
        &app,
        "/api/v1/auth/me",
        second["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!((status, me["role"].as_str()), (200, Some("clinician")));
    // Presenting the used token again: someone has a copy. The whole family is revoked.
    let (status, _) = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": second["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 401, "the newer token of the family is revoked too");
    let entries = hospitallink::services::platform::audit::list(
        &app.core,
        &Caller::system(),
        &hospitallink::services::platform::audit::AuditFilter {
            entity: Some("refresh_token".into()),
            ..Default::default()
        },
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(entries.data[0].details["reason"], "refresh_token_reuse");

    // Logout revokes.
    let third = app.api_tokens(&clinician).await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .json(&json!({"refresh_token": third["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": third["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, err) = app.post_json("/api/v1/auth/refresh", None, json!({})).await;
    assert_eq!(status, 400);
    assert!(err["fields"]["refresh_token"].is_array());
    app.cleanup().await;
}

#[tokio::test]
async fn invitations_are_single_use_and_scoped() {
    let app = spawn_app().await;
    let own = hospital(&app, "OWN").await;
    let other = hospital(&app, "OTH").await;
    let admin = app
        .enrolled_staff("admin@own.example.org", Role::HospitalAdmin, Some(own))
        .await;
    let token = app.token(&admin).await;
    // Field errors, scope, and roles a hospital admin may not give.
    let (status, err) = app
        .post_json(
            "/api/v1/staff/invitations",
            Some(&token),
            json!({"email": "x", "role": "wizard"}),
        )
        .await;
    assert_eq!(status, 400);
    for f in ["email", "display_name", "role"] {
        assert!(err["fields"][f].is_array(), "{f}: {err}");
    }
    let (status, _) = app
        .post_json(
            "/api/v1/staff/invitations",
            Some(&token),
            json!({"email": "n@example.org", "display_name": "N", "role": "clinician", "hospital_id": other}),
        )
        .await;
    assert_eq!(status, 400, "another hospital is not the admin's to staff");
    let (status, _) = app
        .post_json(
            "/api/v1/staff/invitations",
            Some(&token),
            json!({"email": "n@example.org", "display_name": "N", "role": "platform_admin"}),
        )
        .await;
    assert_eq!(status, 400, "platform admins belong to no hospital");
    let (status, invitation) = app
        .post_json(
            "/api/v1/staff/invitations",
            Some(&token),
            json!({"email": "New.Nurse@Example.org", "display_name": "New Nurse", "role": "clinician"}),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["hospital_id"], own.to_string());
    assert_eq!(invitation["email"], "new.nurse@example.org");

    // No SMTP configured: the email is held in the outbox with the link.
    let messages = outbox::list(&app.core, &Caller::system(), Default::default())
        .await
        .unwrap();
    let mail = &messages.data[0];
    assert_eq!(
        (mail.status.as_str(), mail.to.as_str()),
        ("held", "new.nurse@example.org")
    );
    let link_start = mail.body.find("/invite/").unwrap() + "/invite/".len();
    let invite_token: String = mail.body[link_start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(mail
        .body
        .contains(&format!("{}/invite/", app.core.config.app_url)));

    let accept = |password: &str| json!({"token": invite_token, "password": password});
    let (status, err) = app
        .post_json(
            "/api/v1/staff/invitations/accept",
            None,
            accept("password1234"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(err["fields"]["password"][0]
        .as_str()
        .unwrap()
        .contains("common"));
    let (status, member) = app
        .post_json(
            "/api/v1/staff/invitations/accept",
            None,
            accept("a long new passphrase"),
        )
        .await;
    assert_eq!(status, 201, "{member}");
    assert_eq!(member["role"], "clinician");
    let (status, err) = app
        .post_json(
            "/api/v1/staff/invitations/accept",
            None,
            accept("a long new passphrase"),
        )
        .await;
    assert_eq!(status, 400, "single use");
    assert!(err["fields"]["token"].is_array());
    let (status, tokens) = app
        .post_json(
            "/api/v1/auth/admin/login",
            None,
            json!({"email": "new.nurse@example.org", "password": "a long new passphrase"}),
        )
        .await;
    assert_eq!(status, 200, "a clinician signs in without a second factor");
    let nurse_token = tokens["access_token"].as_str().unwrap().to_string();

    // The admin lists their hospital's staff, disables the new account, and its tokens stop.
    let (status, page) = get(&app, "/api/v1/staff", &token).await;
    assert_eq!(status, 200);
    assert!(page["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["hospital_id"] == own.to_string()));
    let id = member["id"].as_str().unwrap();
    let r = app
        .client
        .put(app.url(&format!("/api/v1/staff/{id}")))
        .bearer_auth(&token)
        .header("if-match", "\"1\"")
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = get(&app, "/api/v1/auth/me", &nurse_token).await;
    assert_eq!(status, 401, "disabling ends the account's tokens at once");
    let (status, _) = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 401);
    // Admins cannot change themselves; other hospitals' accounts are invisible.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/staff/{}", admin.id)))
        .bearer_auth(&token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let stranger = app
        .create_staff("someone@oth.example.org", Role::Clinician, Some(other))
        .await;
    let (status, _) = get(&app, &format!("/api/v1/staff/{}", stranger.id), &token).await;
    assert_eq!(status, 404);
    app.cleanup().await;
}

#[tokio::test]
async fn invitations_expire_after_72_hours() {
    let app = spawn_app().await;
    let clock = FixedClock::new("2026-03-02T09:00:00Z".parse().unwrap());
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    let h = hospital(&app, "EXP").await;
    let invitation = invitations::invite(
        &core,
        &Caller::system(),
        &InvitationRequest {
            email: Some("late@example.org".into()),
            display_name: Some("Late".into()),
            role: Some("viewer".into()),
            hospital_id: Some(h),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        invitation.expires_at,
        hospitallink::clock::Clock::now(&clock) + chrono::Duration::hours(72)
    );
    let body = outbox::list(&core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .data[0]
        .body
        .clone();
    let token: String = body[body.find("/invite/").unwrap() + 8..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    clock.advance(chrono::Duration::hours(72) + chrono::Duration::seconds(1));
    let err = invitations::accept(
        &core,
        &RequestMeta::default(),
        &AcceptInvitationRequest {
            token: Some(token),
            password: Some("a long new passphrase".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind.field("token").len(), 1);
    app.cleanup().await;
}

async fn demo_patient(
    app: &common::TestApp,
    email: Option<&str>,
    phone: Option<&str>,
) -> uuid::Uuid {
    let txn = hospitallink::db::begin_write(&app.core.db).await.unwrap();
    let id = patients::insert(
        &app.core,
        &txn,
        &hospitallink::domain::clinical::patient::ValidPatient {
            first_name: "Wanjiru".into(),
            last_name: "Kamau".into(),
            date_of_birth: "1990-02-03".parse().unwrap(),
            sex: "female".into(),
            email: email.map(str::to_string),
            phone: phone.map(str::to_string),
            national_id: Some(format!("ID-{}", email.or(phone).unwrap_or("none"))),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    id
}

#[tokio::test]
async fn patient_codes_follow_the_rules() {
    let app = spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let clock = FixedClock::new("2026-05-01T10:00:00Z".parse().unwrap());
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    let patient = demo_patient(&app, Some("wanjiru@example.org"), Some("+254 711 000 111")).await;
    let meta = RequestMeta::default();
    let by_email = OtpRequest {
        email: Some("Wanjiru@Example.org".into()),
        phone: None,
    };
    let messages = |core| async move {
        outbox::list(core, &Caller::system(), Default::default())
            .await
            .unwrap()
            .data
    };

    // Unknown address: the same answer, no message.
    otp::request(
        &core,
        &meta,
        &OtpRequest {
            email: Some("nobody@example.org".into()),
            phone: None,
        },
    )
    .await
    .unwrap();
    assert!(messages(&core).await.is_empty());

    otp::request(&core, &meta, &by_email).await.unwrap();
    let sent = messages(&core).await;
    assert_eq!(sent.len(), 1);
    let body = sent[0].body.to_lowercase();
    for word in [
        "hiv",
        "arv",
        "viral",
        "clinic for",
        "antiretroviral",
        "result",
    ] {
        assert!(!body.contains(word), "discreet: {body}");
    }
    let code = code_in(&sent[0].body);
    let verify = |code: &str| OtpVerifyRequest {
        email: Some("wanjiru@example.org".into()),
        phone: None,
        code: Some(code.into()),
    };
    // Five wrong tries kill the code, even for the right one afterwards.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            otp::verify(&core, &meta, &verify(wrong))
                .await
                .unwrap_err()
                .kind
                .status(),
            401
        );
    }
    assert_eq!(
        otp::verify(&core, &meta, &verify(&code))
            .await
            .unwrap_err()
            .kind
            .status(),
        401
    );

    // A new code works once; it expires after 10 minutes.
    otp::request(&core, &meta, &by_email).await.unwrap();
    let code = code_in(&messages(&core).await[0].body);
    let subject = otp::verify(&core, &meta, &verify(&code)).await.unwrap();
    assert_eq!(subject.id, patient);
    assert_eq!(
        otp::verify(&core, &meta, &verify(&code))
            .await
            .unwrap_err()
            .kind
            .status(),
        401
    );
    otp::request(&core, &meta, &by_email).await.unwrap();
    let code = code_in(&messages(&core).await[0].body);
    clock.advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    assert_eq!(
        otp::verify(&core, &meta, &verify(&code))
            .await
            .unwrap_err()
            .kind
            .status(),
        401
    );

    // At most 5 sends per destination per hour; the answer stays the same.
    for _ in 0..5 {
        otp::request(&core, &meta, &by_email).await.unwrap();
    }
    let count = messages(&core).await.len();
    assert_eq!(
        count, 5,
        "3 earlier sends + 2 more reach the hourly limit; the rest are dropped"
    );
    clock.advance(chrono::Duration::hours(1));
    otp::request(&core, &meta, &by_email).await.unwrap();
    assert_eq!(messages(&core).await.len(), count + 1);

    // The phone works the same way; the address is normalised.
    otp::request(
        &core,
        &meta,
        &OtpRequest {
            email: None,
            phone: Some("+254711000111".into()),
        },
    )
    .await
    .unwrap();
    let sms = &messages(&core).await[0];
    assert_eq!(
        (sms.channel.as_str(), sms.to.as_str()),
        ("sms", "+254711000111")
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_hundred_failures_lock_the_portal_sign_in() {
    let app = spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "100000")]).await;
    let clock = FixedClock::new("2026-05-01T10:00:00Z".parse().unwrap());
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    demo_patient(&app, Some("lock@example.org"), None).await;
    let meta = RequestMeta::default();
    let request = OtpRequest {
        email: Some("lock@example.org".into()),
        phone: None,
    };
    let verify = |code: &str| OtpVerifyRequest {
        email: Some("lock@example.org".into()),
        phone: None,
        code: Some(code.into()),
    };
    for round in 0..20 {
        otp::request(&core, &meta, &request).await.unwrap();
        let code = code_in(
            &outbox::list(&core, &Caller::system(), Default::default())
                .await
                .unwrap()
                .data[0]
                .body,
        );
        let wrong = if code == "999999" { "888888" } else { "999999" };
        for _ in 0..5 {
            let _ = otp::verify(&core, &meta, &verify(wrong)).await;
        }
        if round < 19 {
            // A new code never resets the count.
            clock.advance(chrono::Duration::minutes(13));
        }
    }
    otp::request(&core, &meta, &request).await.unwrap();
    let before = outbox::list(&core, &Caller::system(), Default::default())
        .await
        .unwrap()
        .pagination
        .total;
    assert_eq!(before, 20, "a locked account gets no more codes");
    app.cleanup().await;
}

#[tokio::test]
async fn codes_travel_by_real_smtp_and_the_sms_provider() {
    let (smtp_port, mails) = smtp_server().await;
    let (sms_url, sms_seen) = sms_provider().await;

    let port = smtp_port.to_string();
    let app = spawn_app_with(&[
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
    demo_patient(&app, Some("mail@example.org"), Some("+254722000333")).await;
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"email": "mail@example.org"}),
        )
        .await;
    assert_eq!(status, 202);
    let mail = wait_for(|| mails.lock().unwrap().first().cloned()).await;
    assert!(
        mail.contains("MAIL FROM:<no-reply@hospitallink.example>"),
        "{mail}"
    );
    assert!(mail.contains("RCPT TO:<mail@example.org>"), "{mail}");
    assert!(mail.contains("Subject: Your sign-in code"), "{mail}");
    let code = code_in(mail.split("\n\n").nth(1).unwrap_or(&mail));
    let (status, tokens) = app
        .post_json(
            "/api/v1/auth/patient/verify-otp",
            None,
            json!({"email": "mail@example.org", "code": code}),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let (status, me) = get(
        &app,
        "/api/v1/auth/me",
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        (status, me["kind"].as_str(), me["first_name"].as_str()),
        (200, Some("patient"), Some("Wanjiru"))
    );

    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"phone": "+254 722 000 333"}),
        )
        .await;
    assert_eq!(status, 202);
    let (auth, body) = wait_for(|| sms_seen.lock().unwrap().first().cloned()).await;
    assert_eq!(auth, "Bearer sms-test-key-0123456789");
    assert_eq!(body["to"], "+254722000333");
    assert_eq!(code_in(body["body"].as_str().unwrap()).len(), 6);
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let items = outbox::list(&app.core, &Caller::system(), Default::default())
            .await
            .unwrap()
            .data;
        statuses = items.iter().map(|m| m.status.clone()).collect();
        if statuses.iter().all(|s| s == "sent") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(statuses, vec!["sent", "sent"]);

    // A refused recipient: retried later, and the error kept without the address.
    demo_patient(&app, Some("reject-me@example.org"), None).await;
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"email": "reject-me@example.org"}),
        )
        .await;
    assert_eq!(status, 202);
    let mut failed = None;
    for _ in 0..100 {
        let items = outbox::list(&app.core, &Caller::system(), Default::default())
            .await
            .unwrap()
            .data;
        if let Some(m) = items
            .into_iter()
            .find(|m| m.attempts > 0 && m.status == "pending")
        {
            failed = Some(m);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let failed = failed.expect("the refused message is kept for a retry");
    let error = failed.last_error.unwrap();
    assert!(
        error.contains("<recipient>") && !error.contains("reject-me@"),
        "{error}"
    );

    app.cleanup().await;
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answer() {
    let app = spawn_app().await;
    demo_patient(&app, Some("known@example.org"), None).await;
    let mut bodies = Vec::new();
    for email in ["known@example.org", "unknown@example.org"] {
        let r = app
            .client
            .post(app.url("/api/v1/auth/patient/request-otp"))
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        bodies.push(r.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
    let (status, err) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"email": "a@b.org", "phone": "+254700000000"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(err["fields"]["email"].is_array());
    app.cleanup().await;
}

fn set_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("hl_session="))
        .unwrap_or_default()
}

#[tokio::test]
async fn browser_sessions_use_hardened_cookies_and_cycle_at_sign_in() {
    for production in [false, true] {
        let app = if production {
            spawn_app_with(&PRODUCTION).await
        } else {
            spawn_app().await
        };
        let h = hospital(&app, "SES").await;
        let staff = app
            .create_staff("viewer@example.org", Role::Viewer, Some(h))
            .await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // A pre-sign-in session (the portal keeps the address there).
        let r = client
            .post(app.url("/portal/login"))
            .form(&[("email", "someone@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let before = set_cookie(&r);
        let cookie_pair = before.split(';').next().unwrap().to_string();
        let r = client
            .post(app.url("/login"))
            .header("cookie", &cookie_pair)
            .form(&[("email", staff.email.as_str()), ("password", TEST_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let after = set_cookie(&r);
        let name = if production {
            "__Host-hl_session="
        } else {
            "hl_session="
        };
        assert!(after.starts_with(name), "{after}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(after.contains(attr), "{attr} in {after}");
        }
        assert_eq!(after.contains("Secure"), production, "{after}");
        let session_pair = after.split(';').next().unwrap().to_string();
        assert_ne!(session_pair, cookie_pair, "the id changes at sign-in");
        // The session is the caller; logout ends it.
        let me = |pair: String| {
            client
                .post(app.url("/_fn/auth/me"))
                .header("cookie", pair)
                .header("accept", "application/json")
                .send()
        };
        let body: Value = me(session_pair.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["role"], "viewer", "{body}");
        let r = client
            .post(app.url("/logout"))
            .header("cookie", &session_pair)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let body: Value = me(session_pair).await.unwrap().json().await.unwrap();
        assert_eq!(body, Value::Null, "signed out");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn no_clear_pii_reaches_the_database_files() {
    let app = spawn_app().await;
    if common::backend() != "sqlite" {
        // The PostgreSQL run stores the same sealed values; the file check is SQLite's.
        app.cleanup().await;
        return;
    }
    let (name, email, phone) = (
        "Nyokabithirteen",
        "nyokabi.pii-check@example.org",
        "+254799887766",
    );
    let txn = hospitallink::db::begin_write(&app.core.db).await.unwrap();
    patients::insert(
        &app.core,
        &txn,
        &hospitallink::domain::clinical::patient::ValidPatient {
            first_name: name.into(),
            last_name: "Wambuithirteen".into(),
            date_of_birth: "1984-07-09".parse().unwrap(),
            sex: "female".into(),
            email: Some(email.into()),
            phone: Some(phone.into()),
            national_id: Some("PII-998877".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    // Codes to both addresses: the outbox holds them sealed.
    for body in [json!({"email": email}), json!({"phone": phone})] {
        let (status, _) = app
            .post_json("/api/v1/auth/patient/request-otp", None, body)
            .await;
        assert_eq!(status, 202);
    }
    let data_dir = app.data_dir.clone();
    let app = app.cleanup_keeping_database().await;
    common::assert_not_in_sqlite_files(
        &data_dir,
        &[
            name,
            "Wambuithirteen",
            email,
            phone,
            "799887766",
            "PII-998877",
            "PII998877",
        ],
    );
    app.cleanup().await;
}

#[tokio::test]
async fn key_rotation_reseals_everything_and_keeps_lookups() {
    let app = spawn_app().await;
    let patient = demo_patient(&app, Some("rotate@example.org"), Some("+254733000444")).await;
    app.enrolled_staff("admin@rotate.example.org", Role::PlatformAdmin, None)
        .await;
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"email": "rotate@example.org"}),
        )
        .await;
    assert_eq!(status, 202);

    // The operator moves the key to the retired list and sets a new one.
    let mut config = (*app.core.config).clone();
    let old_key = *config.encryption_key.expose();
    config.retired_encryption_keys = vec![config.encryption_key.clone()];
    let mut new_key = [7u8; 32];
    new_key[31] = 9;
    config.encryption_key = hospitallink::config::Secret::new(new_key);
    let rotated = hospitallink::services::Core::new(app.core.db.clone(), config.clone());
    let report = hospitallink::services::platform::keys::rotate(&rotated, 2)
        .await
        .unwrap();
    // 6 patient values (names, birth date, email, phone, national id) + the TOTP secret +
    // the code message's address and text, over 3 rows.
    assert_eq!(
        (report.rows_checked, report.values_resealed),
        (3, 9),
        "{report:?}"
    );
    assert_eq!(
        report.primary_key_id,
        hospitallink::crypto::key_id(config.encryption_key.expose())
    );
    let again = hospitallink::services::platform::keys::rotate(&rotated, 500)
        .await
        .unwrap();
    assert_eq!(again.values_resealed, 0, "nothing left on the retired key");

    // Without the old key at all, everything still opens and lookups still find the patient.
    config.retired_encryption_keys.clear();
    let new_only = hospitallink::services::Core::new(app.core.db.clone(), config);
    let found = patients::find_by_destination(
        &new_only,
        &new_only.db,
        &hospitallink::domain::identity::auth::OtpDestination::Email("rotate@example.org".into()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(found.id, patient);
    let name = new_only
        .keyring
        .open("patients", "first_name", found.id, &found.first_name)
        .unwrap();
    assert_eq!(name, "Wanjiru");
    let items = outbox::list(&new_only, &Caller::system(), Default::default())
        .await
        .unwrap();
    assert!(items.data.iter().all(|m| !m.body.is_empty()));
    assert_ne!(old_key, *new_only.config.encryption_key.expose());
    app.cleanup().await;
}
