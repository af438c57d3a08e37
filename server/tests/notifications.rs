//! Notifications planned from the data, with an injected clock on the hospital's clock
//! (Africa/Nairobi, UTC+3): the reminder the day before by SMS in the patient's language, the
//! missed visit the next day, a result, a come-back before the supply ends; quiet hours and a
//! day boundary; dropped when no longer wanted; dead letters retried; and two instances on one
//! database sending each message once over real SMTP.

use crate::common;

use common::{
    call, hospital, member, sms_provider, smtp_server, spawn_app_with, wait_for, TestApp,
};
use hospitallink::clock::FixedClock;
use hospitallink::domain::clinical::record::RecordInput;
use hospitallink::domain::identity::role::Role;
use hospitallink::domain::notifications::templates::clinical_words;
use hospitallink::domain::scheduling::appointment::AppointmentUpdate;
use hospitallink::entities::{outbox_message, patient_preference};
use hospitallink::policy::{Actor, Caller, RequestMeta};
use hospitallink::services::notifications::planner::plan_due;
use hospitallink::services::platform::outbox;
use hospitallink::services::scheduling::appointments;
use hospitallink::services::Core;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::sync::Arc;

const SMS_KEY: &str = "sms-test-key-0123456789";

async fn messages_for(core: &Core, patient: uuid::Uuid) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::PatientId.eq(patient))
        .all(&core.db)
        .await
        .unwrap()
}

async fn set_preferences(
    core: &Core,
    patient: uuid::Uuid,
    channel: &str,
    quiet: Option<(&str, &str)>,
    language: &str,
) {
    patient_preference::Entity::delete_by_id(patient)
        .exec(&core.db)
        .await
        .unwrap();
    patient_preference::ActiveModel {
        patient_id: Set(patient),
        reminder_channel: Set(channel.into()),
        quiet_from: Set(quiet.map(|q| q.0.into())),
        quiet_until: Set(quiet.map(|q| q.1.into())),
        language: Set(Some(language.into())),
        updated_at: Set(chrono::Utc::now()),
    }
    .insert(&core.db)
    .await
    .unwrap();
}

async fn register(app: &TestApp, token: &str, first: &str, phone: &str) -> uuid::Uuid {
    let (status, body) = app
        .post_json(
            "/api/v1/patients",
            Some(token),
            json!({"first_name": first, "last_name": "Otieno", "date_of_birth": "1990-05-10",
                   "sex": "female", "phone": phone}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

async fn book(
    app: &TestApp,
    token: &str,
    patient: uuid::Uuid,
    provider: uuid::Uuid,
    start: &str,
    end: &str,
) -> uuid::Uuid {
    let r = call(
        app,
        Method::POST,
        "/api/v1/appointments",
        token,
        Some(
            json!({"patient_id": patient, "provider_user_id": provider, "scheduled_start": start,
                    "scheduled_end": end, "visit_type": "refill", "reason": "ART refill"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["appointment"]["appointment_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn reminders_missed_visits_results_and_refills_go_when_they_should_and_say_nothing_clinical()
{
    let (sms_url, sms) = sms_provider().await;
    let app = spawn_app_with(&[
        ("SMS_PROVIDER_URL", sms_url.as_str()),
        ("SMS_PROVIDER_API_KEY", SMS_KEY),
    ])
    .await;
    let h = hospital(&app, "NOTE").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}/settings"),
        &admin,
        Some(json!({"break_glass_minutes": 180, "timezone": "Africa/Nairobi"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (desk_account, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, clinician) = member(&app, Role::Clinician, h, "doc").await;
    let amina = register(&app, &desk, "Amina", "+254700111222").await;
    let baraka = register(&app, &desk, "Baraka", "+254700111333").await;
    let chausiku = register(&app, &desk, "Chausiku", "+254700111444").await;
    set_preferences(&app.core, amina, "sms", None, "sw").await;
    set_preferences(&app.core, baraka, "sms", Some(("09:00", "12:00")), "en").await;
    set_preferences(&app.core, chausiku, "none", None, "en").await;

    // Visits far in the future of the real clock, so the running workers leave them alone;
    // this test's clock is set by hand.
    let amina_visit = book(
        &app,
        &desk,
        amina,
        doctor.id,
        "2030-05-07T09:30:00+03:00",
        "2030-05-07T10:00:00+03:00",
    )
    .await;
    // Just after midnight on the 7th: the reminder is still the day before, the 6th.
    book(
        &app,
        &desk,
        baraka,
        doctor.id,
        "2030-05-07T00:30:00+03:00",
        "2030-05-07T01:00:00+03:00",
    )
    .await;
    // Opted out: no message at all.
    book(
        &app,
        &desk,
        chausiku,
        doctor.id,
        "2030-05-07T11:00:00+03:00",
        "2030-05-07T11:30:00+03:00",
    )
    .await;

    let clock = FixedClock::new(at("2030-05-05T09:00:00Z"));
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    let report = plan_due(&core).await.unwrap();
    assert_eq!(report.reminders, 2, "{report:?}");
    assert_eq!(plan_due(&core).await.unwrap().reminders, 0, "planned once");
    assert!(messages_for(&core, chausiku).await.is_empty(), "opted out");
    let reminder = &messages_for(&core, amina).await[0];
    assert_eq!(reminder.purpose, "appointment_reminder");
    assert_eq!(reminder.channel, "sms");
    assert_eq!(reminder.hospital_id, Some(h));
    // The day before at 10:00 in Nairobi.
    assert_eq!(reminder.next_attempt_at, at("2030-05-06T07:00:00Z"));
    // Baraka's quiet hours (09:00-12:00) move his to noon.
    assert_eq!(
        messages_for(&core, baraka).await[0].next_attempt_at,
        at("2030-05-06T09:00:00Z")
    );

    // Not before its time; then once, by SMS, in Kiswahili, saying nothing clinical.
    clock.advance(chrono::Duration::hours(21) + chrono::Duration::minutes(59));
    assert_eq!(outbox::deliver_due(&core).await.unwrap(), 0);
    clock.advance(chrono::Duration::minutes(1));
    assert_eq!(outbox::deliver_due(&core).await.unwrap(), 1);
    let (auth, sent) = sms.lock().unwrap()[0].clone();
    assert_eq!(auth, format!("Bearer {SMS_KEY}"));
    assert_eq!(sent["to"], "+254700111222");
    let text = sent["body"].as_str().unwrap();
    assert!(text.starts_with("Habari Amina, tunakukumbusha miadi yako katika Hospital NOTE tarehe 7 Mei 2030, 09:30."), "{text}");
    assert!(
        clinical_words(text).is_empty() && !text.contains("ART") && !text.contains("refill"),
        "{text}"
    );
    assert_eq!(outbox::deliver_due(&core).await.unwrap(), 0, "sent once");

    // Baraka's visit moves before his reminder goes: the old one is dropped, a new one planned.
    let caller = Caller::new(
        Actor::Staff {
            id: desk_account.id,
            role: Role::Receptionist,
            hospital_id: Some(h),
        },
        RequestMeta::default(),
    );
    let baraka_visit = appointments::list(
        &core,
        &caller,
        &hospitallink::domain::scheduling::appointment::AppointmentFilter {
            patient_id: Some(baraka),
            ..Default::default()
        },
        Default::default(),
    )
    .await
    .unwrap()
    .data[0]
        .appointment_id;
    let moved = AppointmentUpdate {
        scheduled_start: Some("2030-05-08T14:00:00+03:00".into()),
        ..Default::default()
    };
    appointments::update(&core, &caller, baraka_visit, &moved, None)
        .await
        .unwrap();
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(outbox::deliver_due(&core).await.unwrap(), 0);
    let old = &messages_for(&core, baraka).await[0];
    assert_eq!(old.status, "dropped");
    assert_eq!(old.last_error.as_deref(), Some("the visit moved"));
    assert_eq!(
        plan_due(&core).await.unwrap().reminders,
        1,
        "the new time is reminded"
    );

    // Amina does not come: marked missed once due, and told the next day at 10:00.
    clock.advance(chrono::Duration::hours(22)); // 2030-05-07 10:00 in Nairobi
    let missed = AppointmentUpdate {
        status: Some("no_show".into()),
        ..Default::default()
    };
    appointments::update(&core, &caller, amina_visit, &missed, None)
        .await
        .unwrap();
    assert_eq!(plan_due(&core).await.unwrap().missed, 1);
    let note = messages_for(&core, amina)
        .await
        .into_iter()
        .find(|m| m.purpose == "missed_appointment")
        .unwrap();
    assert_eq!(note.next_attempt_at, at("2030-05-08T07:00:00Z"));
    clock.advance(chrono::Duration::hours(24)); // 2030-05-08 10:00 in Nairobi
                                                // Baraka's reminder of his new time (due the 7th at 10:00) and Amina's missed visit.
    assert_eq!(outbox::deliver_due(&core).await.unwrap(), 2);
    let seen = sms.lock().unwrap().clone();
    let to_amina: Vec<&str> = seen
        .iter()
        .filter(|(_, m)| m["to"] == "+254700111222")
        .map(|(_, m)| m["body"].as_str().unwrap())
        .collect();
    let text = to_amina.last().unwrap();
    assert!(
        text.contains("hatukukuona") && text.contains("7 Mei 2030"),
        "{text}"
    );
    let to_baraka = seen
        .iter()
        .find(|(_, m)| m["to"] == "+254700111333")
        .unwrap();
    assert!(to_baraka.1["body"]
        .as_str()
        .unwrap()
        .contains("8 May 2030 at 14:00"));

    // A result recorded in the evening: "a result is ready", the next morning at 08:00.
    clock.advance(chrono::Duration::hours(10)); // 2030-05-08 20:00 in Nairobi
    let lab = Caller::new(
        Actor::Staff {
            id: doctor.id,
            role: Role::Clinician,
            hospital_id: Some(h),
        },
        RequestMeta::default(),
    );
    let vl: RecordInput = serde_json::from_value(
        json!({"record_type": "viral_load", "payload": {"copies_per_ml": 40, "comparator": "<"}}),
    )
    .unwrap();
    hospitallink::services::clinical::records::create(&core, &lab, amina, &vl)
        .await
        .unwrap();
    assert_eq!(plan_due(&core).await.unwrap().results, 1);
    let result = messages_for(&core, amina)
        .await
        .into_iter()
        .find(|m| m.purpose == "result_ready")
        .unwrap();
    assert_eq!(result.next_attempt_at, at("2030-05-09T05:00:00Z"));
    let _ = clinician;

    // A dispensing of 30 days: the come-back message two days before it runs out, at 10:00.
    let rx: RecordInput = serde_json::from_value(json!({"record_type": "prescription", "payload": {"drug_name": "Cotrimoxazole", "dose": "960 mg", "frequency": "daily"}})).unwrap();
    let rx = hospitallink::services::clinical::records::create(&core, &lab, amina, &rx)
        .await
        .unwrap();
    let pharmacist = app
        .create_staff("pharm@example.org", Role::Pharmacist, Some(h))
        .await;
    let pharmacy = Caller::new(
        Actor::Staff {
            id: pharmacist.id,
            role: Role::Pharmacist,
            hospital_id: Some(h),
        },
        RequestMeta::default(),
    );
    let dispensing: RecordInput = serde_json::from_value(json!({"record_type": "dispensing", "payload": {"prescription_id": rx.id, "quantity": 30, "days_supplied": 30}})).unwrap();
    hospitallink::services::clinical::records::create(&core, &pharmacy, amina, &dispensing)
        .await
        .unwrap();
    assert_eq!(plan_due(&core).await.unwrap().refills, 0, "not yet");
    clock.advance(chrono::Duration::days(28));
    assert_eq!(plan_due(&core).await.unwrap().refills, 1);
    let refill = messages_for(&core, amina)
        .await
        .into_iter()
        .find(|m| m.purpose == "refill_due")
        .unwrap();
    // Supply ends 2030-06-07 20:00 in Nairobi: the message is planned for 5 June at 10:00, already
    // past when it is planned (5 June 20:00, evening), so it goes the next morning at 08:00.
    assert_eq!(refill.next_attempt_at, at("2030-06-06T05:00:00Z"));
    app.cleanup().await;
}

#[tokio::test]
async fn dead_letters_are_kept_and_sent_again_on_request_and_the_admins_see_no_text() {
    let app = spawn_app_with(&[
        ("SMS_PROVIDER_URL", "http://127.0.0.1:9/unreachable"),
        ("SMS_PROVIDER_API_KEY", SMS_KEY),
    ])
    .await;
    let h = hospital(&app, "DEAD").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, _) = member(&app, Role::Clinician, h, "doc").await;
    let amina = register(&app, &desk, "Amina", "+254700999111").await;
    book(
        &app,
        &desk,
        amina,
        doctor.id,
        "2030-05-07T09:30:00Z",
        "2030-05-07T10:00:00Z",
    )
    .await;
    let clock = FixedClock::new(at("2030-05-06T12:00:00Z"));
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    assert_eq!(plan_due(&core).await.unwrap().reminders, 1);
    for _ in 0..outbox::MAX_ATTEMPTS {
        assert_eq!(outbox::deliver_due(&core).await.unwrap(), 0);
        clock.advance(chrono::Duration::days(1));
    }
    let m = &messages_for(&core, amina).await[0];
    assert_eq!(m.status, "failed");
    assert_eq!(m.attempts, outbox::MAX_ATTEMPTS);

    // The admin's list: status and the error, never the text or the address.
    let list = call(
        &app,
        Method::GET,
        "/api/v1/messages?status=failed",
        &admin,
        None,
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["data"][0]["id"], m.id.to_string());
    let text = list.body.to_string();
    assert!(
        !text.contains("Amina") && !text.contains("+254700999111"),
        "{text}"
    );
    let retry = format!("/api/v1/messages/{}/retry", m.id);
    assert_eq!(
        call(&app, Method::POST, &retry, &admin, None).await.status,
        204
    );
    assert_eq!(
        call(&app, Method::POST, &retry, &admin, None).await.status,
        409,
        "not failed now"
    );
    let m = outbox_message::Entity::find_by_id(m.id)
        .one(&core.db)
        .await
        .unwrap()
        .unwrap();
    // Pending again, its count restarted; the retry wakes the worker, which may already have
    // tried once more (the provider is still unreachable).
    assert_eq!(m.status, "pending");
    assert!(m.attempts <= 1, "attempts restarted: {}", m.attempts);
    // Another hospital's admin does not see it.
    let other = hospital(&app, "DEAD-O").await;
    let (_, stranger) = member(&app, Role::HospitalAdmin, other, "far").await;
    let theirs = call(&app, Method::GET, "/api/v1/messages", &stranger, None).await;
    assert_eq!(theirs.body["pagination"]["total"], 0);
    assert_eq!(
        call(&app, Method::POST, &retry, &stranger, None)
            .await
            .status,
        404
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_send_each_message_once() {
    let (smtp_port, mails) = smtp_server().await;
    let port = smtp_port.to_string();
    let mailer = [
        ("MAILER_HOST", "127.0.0.1"),
        ("MAILER_PORT", port.as_str()),
        ("MAILER_TLS", "none"),
        (
            "MAILER_FROM",
            "HospitalLink <no-reply@hospitallink.example>",
        ),
    ];
    // The same keys on both instances, as behind a load balancer.
    let mut vars = mailer.to_vec();
    vars.extend(common::PRODUCTION.iter().skip(2).copied());
    let first = spawn_app_with(&vars).await;
    let url = first.core.config.database_url.clone();
    let mut second_vars = vars.clone();
    second_vars.push(("DATABASE_URL", url.as_str()));
    let second = spawn_app_with(&second_vars).await;
    const N: usize = 60;
    let txn = hospitallink::db::begin_write(&first.core.db).await.unwrap();
    for n in 0..N {
        outbox::enqueue(
            &first.core,
            &txn,
            outbox::Message {
                channel: outbox::Channel::Email,
                purpose: "test",
                to: format!("person{n}@example.org"),
                subject: Some("A message".into()),
                body: format!("Message number {n:03}."),
            },
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    // Both instances' workers deliver; extra passes from both race with them.
    let (a, b) = (first.core.clone(), second.core.clone());
    let racers = (0..4).map(|i| {
        let core = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            for _ in 0..10 {
                outbox::deliver_due(&core).await.unwrap();
            }
        })
    });
    futures_util::future::join_all(racers).await;
    wait_for(|| (mails.lock().unwrap().len() >= N).then_some(())).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mails = mails.lock().unwrap().clone();
    let mut numbers: Vec<String> = mails
        .iter()
        .map(|m| m.split("Message number ").nth(1).unwrap()[..3].to_string())
        .collect();
    numbers.sort();
    let unique = numbers.len();
    numbers.dedup();
    assert_eq!((unique, numbers.len()), (N, N), "each message once");
    let sent = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq("sent"))
        .all(&first.core.db)
        .await
        .unwrap();
    assert_eq!(sent.len(), N);
    second.cleanup().await;
    first.cleanup().await;
}

#[tokio::test]
async fn a_crashed_workers_claims_lapse_and_another_sends_them_once() {
    let (smtp_port, mails) = smtp_server().await;
    let port = smtp_port.to_string();
    let app = spawn_app_with(&[
        ("MAILER_HOST", "127.0.0.1"),
        ("MAILER_PORT", port.as_str()),
        ("MAILER_TLS", "none"),
        (
            "MAILER_FROM",
            "HospitalLink <no-reply@hospitallink.example>",
        ),
    ])
    .await;
    // A worker claimed these, then its process died: the claims last two minutes.
    let clock = FixedClock::new(at("2031-01-01T08:00:00Z"));
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    let txn = hospitallink::db::begin_write(&core.db).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            outbox::enqueue(
                &core,
                &txn,
                outbox::Message {
                    channel: outbox::Channel::Email,
                    purpose: "test",
                    to: format!("crash{n}@example.org"),
                    subject: Some("A message".into()),
                    body: format!("After a crash {n}."),
                },
            )
            .await
            .unwrap(),
        );
    }
    txn.commit().await.unwrap();
    let dead_worker = uuid::Uuid::now_v7();
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::ClaimToken,
            sea_orm::sea_query::Expr::value(Some(dead_worker)),
        )
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            sea_orm::sea_query::Expr::value(Some(at("2031-01-01T08:02:00Z"))),
        )
        .col_expr(
            outbox_message::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(at("2031-01-01T08:00:00Z")),
        )
        .filter(outbox_message::Column::Id.is_in(ids.clone()))
        .exec(&core.db)
        .await
        .unwrap();
    assert_eq!(
        outbox::deliver_due(&core).await.unwrap(),
        0,
        "still claimed"
    );
    clock.advance(chrono::Duration::minutes(3));
    assert_eq!(
        outbox::deliver_due(&core).await.unwrap(),
        3,
        "taken over, none lost"
    );
    assert_eq!(outbox::deliver_due(&core).await.unwrap(), 0, "none twice");
    let got = mails
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains("After a crash"))
        .count();
    assert_eq!(got, 3);
    app.cleanup().await;
}

#[tokio::test]
async fn the_admin_pages_show_deliveries_without_text_and_keep_only_discreet_wording() {
    let app = spawn_app_with(&[
        ("SMS_PROVIDER_URL", "http://127.0.0.1:9/unreachable"),
        ("SMS_PROVIDER_API_KEY", SMS_KEY),
    ])
    .await;
    let h = hospital(&app, "PAGES").await;
    let (admin_account, _) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, _) = member(&app, Role::Clinician, h, "doc").await;
    let amina = register(&app, &desk, "Amina", "+254700555111").await;
    book(
        &app,
        &desk,
        amina,
        doctor.id,
        "2030-05-07T09:30:00Z",
        "2030-05-07T10:00:00Z",
    )
    .await;
    let clock = FixedClock::new(at("2030-05-06T12:00:00Z"));
    let core = app.core.clone().with_clock(Arc::new(clock.clone()));
    plan_due(&core).await.unwrap();
    for _ in 0..outbox::MAX_ATTEMPTS {
        outbox::deliver_due(&core).await.unwrap();
        clock.advance(chrono::Duration::days(1));
    }
    let browser = app.browser(&admin_account).await;
    let get = |path: &str| {
        let r = browser.get(app.url(path)).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = get("/admin/messages?status=failed").await;
    assert_eq!(status, 200);
    assert!(html.contains("Visit reminder (the day before)") && html.contains("Send again"));
    assert!(
        !html.contains("Amina") && !html.contains("+254700555111"),
        "no text, no address"
    );
    assert!(
        !html.contains("hospitallink.js"),
        "rendered by the server alone"
    );
    let id = html
        .split("data-message=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = browser
        .post(app.url(&format!("/admin/messages/{id}/retry")))
        .form(&[("back", "/admin/messages?status=failed")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/admin/messages?status=failed&done=retry"
    );

    // The wording: a preview of what was typed, nothing kept; a clinical word refused, the
    // text kept on the page; a discreet one saved and used.
    let (status, html) =
        get("/admin/templates?kind=appointment_reminder&language=sw&channel=sms").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("tunakukumbusha miadi yako"),
        "the default, previewed"
    );
    let form = |action: &'static str, body: &'static str| {
        browser
            .post(app.url("/admin/templates"))
            .form(&[
                ("kind", "appointment_reminder"),
                ("language", "sw"),
                ("channel", "sms"),
                ("body", body),
                ("action", action),
            ])
            .send()
    };
    let r = form(
        "preview",
        "Habari {{ first_name }}, karibu {{ clinic }} tarehe {{ date }}.",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Habari Amina, karibu Kisumu County Referral Hospital tarehe 7 Mei 2026."),
        "previewed with sample values"
    );
    let r = form(
        "save",
        "Habari {{ first_name }}, dawa zako za ARV ziko tayari.",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("must not name what the clinic treats") && html.contains("dawa zako za ARV")
    );
    let r = form(
        "save",
        "Habari {{ first_name }}, tukutane {{ clinic }} tarehe {{ date }} {{ time }}.",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = get("/admin/templates?kind=appointment_reminder&language=sw&channel=sms").await;
    assert!(html.contains("Your own"));
    set_preferences(&app.core, amina, "sms", None, "sw").await;
    let other = book(
        &app,
        &desk,
        amina,
        doctor.id,
        "2030-05-09T09:30:00Z",
        "2030-05-09T10:00:00Z",
    )
    .await;
    let _ = other;
    clock.advance(chrono::Duration::days(-8));
    assert_eq!(plan_due(&core).await.unwrap().reminders, 1);
    let planned = messages_for(&core, amina).await;
    let newest = planned.iter().max_by_key(|m| m.created_at).unwrap();
    let text = core
        .keyring
        .open("outbox_messages", "body", newest.id, &newest.body)
        .unwrap();
    assert!(
        text.starts_with("Habari Amina, tukutane Hospital PAGES tarehe 9 Mei 2030"),
        "{text}"
    );
    app.cleanup().await;
}
