//! Proxies: Amina lets her sister Zawadi see her record; staff add Amina as guardian of her
//! daughter Neema with the signed consent form; each signs in with their own code, chooses
//! whose record to open, does only what their access allows, and is audited as the proxy on
//! behalf of the patient. Ending a proxy closes their access at the next request.

use crate::common;

use common::{
    add_record, call, hospital, last_message, member, portal_sign_in, spawn_app_with, TestApp,
};
use futures_util::future::join_all;
use hospitallink::domain::identity::role::Role;
use hospitallink::entities::audit_log;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

const ZAWADI: &str = "+255700111222";

struct World {
    app: TestApp,
    clinician: String,
    amina: String,
    neema: String,
}

async fn register(app: &TestApp, token: &str, body: Value) -> String {
    let created = call(app, Method::POST, "/api/v1/patients", token, Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

/// Amina (adult) and her daughter Neema (born 2016) at Kisumu, each with a viral load.
async fn world() -> World {
    let app = spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let ksm = hospital(&app, "KSM").await;
    let (_, clinician) = member(&app, Role::Clinician, ksm, "ksm").await;
    let amina = register(
        &app,
        &clinician,
        json!({"first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1990-04-12",
               "sex": "female", "email": "amina.family@example.org"}),
    )
    .await;
    let neema = register(
        &app,
        &clinician,
        json!({"first_name": "Neema", "last_name": "Odhiambo", "date_of_birth": "2016-02-20",
               "sex": "female"}),
    )
    .await;
    for (patient, copies) in [(&amina, 40), (&neema, 900)] {
        add_record(
            &app,
            &clinician,
            patient,
            json!({"record_type": "viral_load", "payload": {"copies_per_ml": copies}}),
        )
        .await;
    }
    World {
        app,
        clinician,
        amina,
        neema,
    }
}

fn token(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_string()
}

async fn act_for(app: &TestApp, as_token: &str, patient: Option<&str>) -> (u16, Value) {
    let r = call(
        app,
        Method::POST,
        "/api/v1/me/acting-for",
        as_token,
        Some(json!({ "patient_id": patient })),
    )
    .await;
    (r.status, r.body)
}

/// The audit entries of `actor_type` about `patient`.
async fn entries_by(app: &TestApp, actor_type: &str, patient: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::ActorType.eq(actor_type))
        .filter(audit_log::Column::PatientId.eq(uuid::Uuid::parse_str(patient).unwrap()))
        .all(&app.core.db)
        .await
        .unwrap()
}

/// Uploads a document of `kind` to the patient's record; its id.
async fn upload(app: &TestApp, token: &str, patient: &str, kind: &str) -> String {
    let pdf = b"%PDF-1.4\n% guardian consent\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("kind", kind.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("form.pdf")
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
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_patient_adds_a_proxy_who_accepts_and_acts_only_as_far_as_allowed() {
    let w = world().await;
    let app = &w.app;
    let amina = common::patient_token(app, "amina.family@example.org").await;

    // Amina asks her sister, by phone.
    let ask = |body: Value| call(app, Method::POST, "/api/v1/me/proxies", &amina, Some(body));
    let added =
        ask(json!({"name": "Zawadi", "relationship": "sibling", "phone": "+255 700 111 222"}))
            .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.body["status"], "pending");
    assert_eq!(added.body["access"], "view", "view unless asked otherwise");
    assert_eq!(added.body["address"], "+••• ••• 222");
    let relationship = added.body["id"].as_str().unwrap().to_string();
    let invitation = last_message(app, ZAWADI, "proxy_invitation")
        .await
        .expect("Zawadi is told");
    for word in ["Amina", "HIV", "viral"] {
        assert!(!invitation.body.contains(word), "{}", invitation.body);
    }
    // Not twice, not herself, not without a way to reach them.
    let again = ask(json!({"name": "Zawadi", "relationship": "sibling", "phone": ZAWADI})).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["code"], "proxy_exists");
    let herself =
        ask(json!({"name": "Me", "relationship": "other", "email": "amina.family@example.org"}))
            .await;
    assert_eq!(herself.status, 400, "{}", herself.body);
    assert!(
        herself.body["fields"]["email"].is_array(),
        "{}",
        herself.body
    );
    let unreachable = ask(json!({"name": "X", "relationship": "cousin"})).await;
    assert_eq!(unreachable.status, 400);
    for field in ["relationship", "email"] {
        assert!(
            unreachable.body["fields"][field].is_array(),
            "{}",
            unreachable.body
        );
    }

    // Zawadi signs in with her own code; nothing is open until she accepts and chooses.
    let zawadi = token(&portal_sign_in(app, "phone", ZAWADI).await);
    let mine = call(app, Method::GET, "/api/v1/me/proxies", &zawadi, None).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.body["acting_on"], Value::Null);
    assert_eq!(mine.body["own_record"], false);
    assert_eq!(mine.body["acting_for"][0]["status"], "pending");
    assert_eq!(mine.body["acting_for"][0]["first_name"], "Amina");
    let records = call(app, Method::GET, "/api/v1/me/records", &zawadi, None).await;
    assert_eq!(records.status, 403, "no record is open yet");
    assert_eq!(
        act_for(app, &zawadi, Some(&w.amina)).await.0,
        404,
        "not accepted yet"
    );
    let accept = format!("/api/v1/me/proxies/{relationship}/accept");
    let accepted = call(app, Method::POST, &accept, &zawadi, None).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(
        call(app, Method::POST, &accept, &zawadi, None).await.status,
        409
    );
    let (status, tokens) = act_for(app, &zawadi, Some(&w.amina)).await;
    assert_eq!(status, 200, "{tokens}");
    let acting = token(&tokens);

    // She sees Amina's record, access log and export...
    let records = call(app, Method::GET, "/api/v1/me/records", &acting, None).await;
    assert_eq!(records.status, 200, "{}", records.body);
    assert!(records.body.to_string().contains("viral_load"));
    for path in [
        "/api/v1/me/home",
        "/api/v1/me/access-log",
        "/api/v1/me/export",
    ] {
        assert_eq!(
            call(app, Method::GET, path, &acting, None).await.status,
            200,
            "{path}"
        );
    }
    // ...and changes nothing: she may only view.
    let share = json!({"hospital_id": uuid::Uuid::now_v7(), "categories": ["labs"], "purpose": "treatment"});
    for (method, path, body) in [
        (Method::POST, "/api/v1/sharing/grant", Some(share)),
        (Method::PUT, "/api/v1/me", Some(json!({"language": "sw"}))),
        (
            Method::POST,
            "/api/v1/me/proxies",
            Some(json!({"name": "Juma", "relationship": "other", "phone": "+255700999888"})),
        ),
        (Method::GET, "/api/v1/sharing/permissions", None),
    ] {
        let r = call(app, method, path, &acting, body).await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    // Every read is audited as Zawadi, on Amina's behalf, and Amina sees it.
    let by_proxy = entries_by(app, "proxy", &w.amina).await;
    assert!(
        by_proxy
            .iter()
            .any(|e| e.entity == "clinical_record" || e.entity == "portal_records"),
        "{:?}",
        by_proxy
            .iter()
            .map(|e| (&e.entity, &e.action))
            .collect::<Vec<_>>()
    );
    assert!(by_proxy.iter().any(|e| e.action == "export"));
    let zawadi_id = by_proxy[0].actor_id;
    assert!(by_proxy.iter().all(|e| e.actor_id == zawadi_id));
    let log = call(app, Method::GET, "/api/v1/me/access-log", &amina, None).await;
    assert!(
        log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["by_proxy"] == true && e["action"] == "export"),
        "{}",
        log.body
    );

    // Amina sees her and ends it: the very next request is refused, and no code goes out.
    let list = call(app, Method::GET, "/api/v1/me/proxies", &amina, None).await;
    assert_eq!(list.body["proxies"][0]["status"], "active", "{}", list.body);
    let end = format!("/api/v1/me/proxies/{relationship}");
    assert_eq!(
        call(app, Method::DELETE, &end, &amina, None).await.status,
        204
    );
    assert_eq!(
        call(app, Method::DELETE, &end, &amina, None).await.status,
        409
    );
    let after = call(app, Method::GET, "/api/v1/me/records", &acting, None).await;
    assert_eq!(after.status, 401, "{}", after.body);
    let codes_before = last_message(app, ZAWADI, "otp").await.map(|m| m.id);
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"phone": ZAWADI}),
        )
        .await;
    assert_eq!(status, 202, "the same answer");
    assert_eq!(
        last_message(app, ZAWADI, "otp").await.map(|m| m.id),
        codes_before,
        "no code for someone who acts for nobody"
    );
    w.app.cleanup().await;
}

#[tokio::test]
async fn staff_add_a_guardian_for_a_minor_who_manages_the_childs_record() {
    let w = world().await;
    let app = &w.app;
    let guardians = format!("/api/v1/patients/{}/guardians", w.neema);
    let form = upload(app, &w.clinician, &w.neema, "consent_form").await;
    let scan = upload(app, &w.clinician, &w.neema, "scan").await;
    let amina_form = upload(app, &w.clinician, &w.amina, "consent_form").await;
    let guardian = |form: &str| {
        json!({"name": "Amina Odhiambo", "relationship": "parent",
               "email": "amina.family@example.org", "consent_form_id": form})
    };
    // Only for a minor, only with the child's own signed form.
    let adult = call(
        app,
        Method::POST,
        &format!("/api/v1/patients/{}/guardians", w.amina),
        &w.clinician,
        Some(guardian(&amina_form)),
    )
    .await;
    assert_eq!(adult.status, 409, "{}", adult.body);
    assert_eq!(adult.body["code"], "not_a_minor");
    for wrong in [scan.as_str(), amina_form.as_str()] {
        let r = call(
            app,
            Method::POST,
            &guardians,
            &w.clinician,
            Some(guardian(wrong)),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body["fields"]["consent_form_id"].is_array());
    }
    let added = call(
        app,
        Method::POST,
        &guardians,
        &w.clinician,
        Some(guardian(&form)),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(
        added.body["status"], "active",
        "the signed form is the evidence"
    );
    assert_eq!(added.body["access"], "manage");
    assert_eq!(added.body["added_by"], "staff");
    let amina_as_guardian = added.body["id"].as_str().unwrap().to_string();
    // Another hospital sees nothing of it.
    let mbr = hospital(app, "MBR").await;
    let (_, stranger) = member(app, Role::Clinician, mbr, "mbr").await;
    assert_eq!(
        call(app, Method::GET, &guardians, &stranger, None)
            .await
            .status,
        404
    );

    // Amina signs in as herself and opens her daughter's record.
    let amina = common::patient_token(app, "amina.family@example.org").await;
    let mine = call(app, Method::GET, "/api/v1/me/proxies", &amina, None).await;
    assert_eq!(mine.body["own_record"], true, "{}", mine.body);
    assert_eq!(mine.body["acting_for"][0]["first_name"], "Neema");
    let (status, tokens) = act_for(app, &amina, Some(&w.neema)).await;
    assert_eq!(status, 200, "{tokens}");
    let for_neema = token(&tokens);
    let me = call(app, Method::GET, "/api/v1/me", &for_neema, None).await;
    assert_eq!(me.body["patient"]["first_name"], "Neema", "{}", me.body);
    // As guardian she manages: preferences, and a proxy for Neema (her sister).
    let prefs = call(
        app,
        Method::PUT,
        "/api/v1/me",
        &for_neema,
        Some(json!({"language": "sw"})),
    )
    .await;
    assert_eq!(prefs.status, 200, "{}", prefs.body);
    let aunt = call(
        app,
        Method::POST,
        "/api/v1/me/proxies",
        &for_neema,
        Some(json!({"name": "Zawadi", "relationship": "other", "phone": ZAWADI})),
    )
    .await;
    assert_eq!(aunt.status, 201, "{}", aunt.body);
    assert_eq!(aunt.body["added_by"], "proxy");
    // Back to her own record.
    let (status, tokens) = act_for(app, &for_neema, None).await;
    assert_eq!(status, 200);
    let me = call(app, Method::GET, "/api/v1/me", &token(&tokens), None).await;
    assert_eq!(me.body["patient"]["first_name"], "Amina");

    // The aunt signs in with her own code, accepts, and sees Neema's record.
    let zawadi = token(&portal_sign_in(app, "phone", ZAWADI).await);
    let mine = call(app, Method::GET, "/api/v1/me/proxies", &zawadi, None).await;
    let asked = mine.body["acting_for"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let accept = format!("/api/v1/me/proxies/{asked}/accept");
    assert_eq!(
        call(app, Method::POST, &accept, &zawadi, None).await.status,
        200
    );
    let (status, tokens) = act_for(app, &zawadi, Some(&w.neema)).await;
    assert_eq!(status, 200, "{tokens}");
    let records = call(
        app,
        Method::GET,
        "/api/v1/me/records",
        &token(&tokens),
        None,
    )
    .await;
    assert_eq!(records.status, 200);
    assert!(records.body.to_string().contains("900"), "{}", records.body);
    // But not Amina's.
    assert_eq!(act_for(app, &zawadi, Some(&w.amina)).await.0, 404);

    // Staff see both and end the guardian's access: the next request is refused.
    let list = call(app, Method::GET, &guardians, &w.clinician, None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2, "{}", list.body);
    let end = format!("{guardians}/{amina_as_guardian}");
    assert_eq!(
        call(app, Method::DELETE, &end, &w.clinician, None)
            .await
            .status,
        204
    );
    let after = call(app, Method::GET, "/api/v1/me", &for_neema, None).await;
    assert_eq!(after.status, 401, "{}", after.body);
    let by_proxy = entries_by(app, "proxy", &w.neema).await;
    assert!(by_proxy
        .iter()
        .any(|e| e.entity == "proxy" && e.action == "create"));
    w.app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn proxy_codes_and_answers_hold_under_concurrency() {
    const RACERS: usize = 20;
    let w = world().await;
    let app = &w.app;
    let amina = common::patient_token(app, "amina.family@example.org").await;
    // Twenty additions at once: at most ten people act for one patient.
    let tasks = (0..RACERS).map(|i| {
        let request = app
            .client
            .post(app.url("/api/v1/me/proxies"))
            .bearer_auth(&amina)
            .json(
                &json!({"name": format!("Helper {i}"), "relationship": "other",
                          "phone": format!("+2557001{i:05}")}),
            );
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    let statuses: Vec<u16> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), RACERS - 10);
    // Ending one makes room, but a day's additions are spent: each sent a message.
    let list = call(app, Method::GET, "/api/v1/me/proxies", &amina, None).await;
    let first = list.body["proxies"][0]["id"].as_str().unwrap().to_string();
    let end = format!("/api/v1/me/proxies/{first}");
    assert_eq!(
        call(app, Method::DELETE, &end, &amina, None).await.status,
        204
    );
    let more = call(
        app,
        Method::POST,
        "/api/v1/me/proxies",
        &amina,
        Some(json!({"name": "One more", "relationship": "other", "phone": "+255700199999"})),
    )
    .await;
    assert_eq!(more.status, 429, "{}", more.body);

    // A helper's code: of many guesses at once at most five are compared; the right code then
    // signs in once.
    let added = statuses.iter().position(|s| *s == 201).unwrap();
    let phone = &format!("+2557001{added:05}");
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"phone": phone}),
        )
        .await;
    assert_eq!(status, 202);
    let code = common::code_in(&last_message(app, phone, "otp").await.unwrap().body);
    let guesses = (0..RACERS).map(|i| {
        let guess = format!(
            "{:06}",
            (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000
        );
        let request = app
            .client
            .post(app.url("/api/v1/auth/patient/verify-otp"))
            .json(&json!({"phone": phone, "code": guess}));
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    let statuses: Vec<u16> = join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let code_row = hospitallink::entities::sign_in_code::Entity::find()
        .filter(hospitallink::entities::sign_in_code::Column::ProxyId.is_not_null())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code_row.attempts, 5, "tries granted");
    let proxy = hospitallink::entities::proxy::Entity::find_by_id(code_row.proxy_id.unwrap())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        proxy.otp_failures, 5,
        "every compared guess counted, none lost"
    );
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({"phone": phone}),
        )
        .await;
    assert_eq!(status, 202);
    let code = common::code_in(&last_message(app, phone, "otp").await.unwrap().body);
    let tries = (0..RACERS).map(|_| {
        let request = app
            .client
            .post(app.url("/api/v1/auth/patient/verify-otp"))
            .json(&json!({"phone": phone, "code": code}));
        tokio::spawn(async move { request.send().await.unwrap() })
    });
    let mut signed_in = Vec::new();
    for r in join_all(tries).await {
        let r = r.unwrap();
        if r.status() == 200 {
            signed_in.push(r.json::<Value>().await.unwrap());
        }
    }
    assert_eq!(signed_in.len(), 1, "the code signs in once");

    // Accepting, many times at once: once.
    let helper = token(&signed_in[0]);
    let mine = call(app, Method::GET, "/api/v1/me/proxies", &helper, None).await;
    let asked = mine.body["acting_for"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let accepts = (0..RACERS).map(|_| {
        let request = app
            .client
            .post(app.url(&format!("/api/v1/me/proxies/{asked}/accept")))
            .bearer_auth(&helper);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    let statuses: Vec<u16> = join_all(accepts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), RACERS - 1);
    let accepted = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("proxy"))
        .filter(audit_log::Column::Action.eq("update"))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(accepted.len(), 1, "one acceptance audited");
    w.app.cleanup().await;
}

#[tokio::test]
async fn staff_reopen_a_locked_portal_sign_in_of_a_patient_and_of_a_proxy() {
    use hospitallink::entities::{patient, proxy};
    use sea_orm::sea_query::Expr;
    let w = world().await;
    let app = &w.app;
    let form = upload(app, &w.clinician, &w.neema, "consent_form").await;
    let guardians = format!("/api/v1/patients/{}/guardians", w.neema);
    let added = call(
        app,
        Method::POST,
        &guardians,
        &w.clinician,
        Some(
            json!({"name": "Zawadi", "relationship": "guardian", "phone": ZAWADI,
                    "consent_form_id": form}),
        ),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let relationship = added.body["id"].as_str().unwrap().to_string();
    // Both at 99 consecutive failures; one more wrong code each locks them.
    patient::Entity::update_many()
        .col_expr(patient::Column::OtpFailures, Expr::value(99))
        .exec(&app.core.db)
        .await
        .unwrap();
    proxy::Entity::update_many()
        .col_expr(proxy::Column::OtpFailures, Expr::value(99))
        .exec(&app.core.db)
        .await
        .unwrap();
    let lock = |field: &'static str, address: &'static str| async move {
        let (status, _) = app
            .post_json(
                "/api/v1/auth/patient/request-otp",
                None,
                json!({ field: address }),
            )
            .await;
        assert_eq!(status, 202);
        let code = common::code_in(&last_message(app, address, "otp").await.unwrap().body);
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        let (status, _) = app
            .post_json(
                "/api/v1/auth/patient/verify-otp",
                None,
                json!({ field: address, "code": wrong }),
            )
            .await;
        assert_eq!(status, 401);
        // Locked: no code goes out any more.
        let before = last_message(app, address, "otp").await.map(|m| m.id);
        app.post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            json!({ field: address }),
        )
        .await;
        assert_eq!(
            last_message(app, address, "otp").await.map(|m| m.id),
            before,
            "{address}"
        );
    };
    lock("email", "amina.family@example.org").await;
    lock("phone", ZAWADI).await;

    // The clinic checks who they are and reopens each sign-in; codes work again.
    let unlock = format!("/api/v1/patients/{}/unlock", w.amina);
    assert_eq!(
        call(app, Method::POST, &unlock, &w.clinician, None)
            .await
            .status,
        204
    );
    let unlock = format!("{guardians}/{relationship}/unlock");
    assert_eq!(
        call(app, Method::POST, &unlock, &w.clinician, None)
            .await
            .status,
        204
    );
    portal_sign_in(app, "email", "amina.family@example.org").await;
    portal_sign_in(app, "phone", ZAWADI).await;
    let unlocks = entries_by(app, "staff", &w.neema)
        .await
        .into_iter()
        .filter(|e| e.entity == "proxy" && e.details.contains("sign_in_unlocked"))
        .count();
    assert_eq!(unlocks, 1);
    w.app.cleanup().await;
}

#[tokio::test]
async fn key_rotation_reseals_the_proxies_names_and_addresses() {
    let w = world().await;
    let app = &w.app;
    let amina = common::patient_token(app, "amina.family@example.org").await;
    let added = call(
        app,
        Method::POST,
        "/api/v1/me/proxies",
        &amina,
        Some(json!({"name": "Zawadi", "relationship": "sibling", "phone": ZAWADI})),
    )
    .await;
    assert_eq!(added.status, 201);
    let mut config = (*app.core.config).clone();
    config.retired_encryption_keys = vec![config.encryption_key.clone()];
    config.encryption_key = hospitallink::config::Secret::new([5u8; 32]);
    let rotated = hospitallink::services::Core::new(app.core.db.clone(), config.clone());
    hospitallink::services::platform::keys::rotate(&rotated, 100)
        .await
        .unwrap();
    // Without the old key, the proxy is still named and reachable.
    config.retired_encryption_keys.clear();
    let new_only = hospitallink::services::Core::new(app.core.db.clone(), config);
    let caller = hospitallink::policy::Caller::new(
        hospitallink::policy::Actor::Patient {
            id: w.amina.parse().unwrap(),
        },
        Default::default(),
    );
    let mine = hospitallink::services::proxies::relationships::list(&new_only, &caller)
        .await
        .unwrap();
    assert_eq!(mine.proxies[0].name, "Zawadi");
    assert_eq!(mine.proxies[0].address, "+••• ••• 222");
    w.app.cleanup().await;
}
