//! Guarantees at the edges: a deactivated hospital is closed, answers that carry patient data
//! are never cached, page numbers cannot overflow a query, metrics need a token outside
//! development, and a patient's sign-in address is not kept in clear in the session row.

use crate::common;

use common::{call, hospital, hospital_json, member, spawn_app, spawn_app_with, PRODUCTION};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::json;

#[tokio::test]
async fn a_deactivated_hospital_is_closed_and_opens_again_with_its_data() {
    let app = spawn_app().await;
    let h = hospital(&app, "SHUT").await;
    let (clinician, token) = member(&app, Role::Clinician, h, "shut").await;
    let refresh = app.api_tokens(&clinician).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &token,
        Some(json!({"first_name": "Atieno", "last_name": "Omondi",
                    "date_of_birth": "1987-05-05", "sex": "female"})),
    )
    .await;
    let patient = format!("/api/v1/patients/{}", created.body["id"].as_str().unwrap());
    // A browser session of the same hospital.
    app.browser_sign_in(&clinician).await;
    let (_, admin) = {
        let admin = app
            .enrolled_staff("network-admin@example.org", Role::PlatformAdmin, None)
            .await;
        let token = app.token(&admin).await;
        (admin, token)
    };
    let set_active = |active: bool| {
        let mut body = hospital_json("SHUT");
        body["active"] = json!(active);
        body
    };

    let closed = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}"),
        &admin,
        Some(set_active(false)),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    // Tokens and sessions stop at once.
    for path in ["/api/v1/auth/me", "/api/v1/patients", patient.as_str()] {
        let r = call(&app, Method::GET, path, &token, None).await;
        assert_eq!(r.status, 401, "{path}: {}", r.body);
    }
    let by_session = app.client.get(app.url(&patient)).send().await.unwrap();
    assert_eq!(by_session.status(), 401);
    // No new sign-in, and no new tokens.
    let (status, body) = app
        .post_json(
            "/api/v1/auth/admin/login",
            None,
            json!({"email": clinician.email, "password": clinician.password}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "hospital_inactive");
    let (status, _) = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(status, 401);

    // Reactivated: a new sign-in sees the data as it was.
    let opened = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}"),
        &admin,
        Some(set_active(true)),
    )
    .await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    let token = app.token(&clinician).await;
    let r = call(&app, Method::GET, &patient, &token, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["first_name"], "Atieno");
    app.cleanup().await;
}

#[tokio::test]
async fn answers_with_patient_data_are_never_stored_by_caches() {
    let app = spawn_app().await;
    let h = hospital(&app, "NOST").await;
    let (clinician, token) = member(&app, Role::Clinician, h, "nost").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &token,
        Some(json!({"first_name": "Njeri", "last_name": "Kariuki",
                    "date_of_birth": "1996-02-02", "sex": "female"})),
    )
    .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let api = app
        .client
        .get(app.url(&format!("/api/v1/patients/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    app.browser_sign_in(&clinician).await;
    for page in [format!("/patients/{id}"), "/patients?q=Njeri".to_string()] {
        let r = app.client.get(app.url(&page)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{page}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{page}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn page_numbers_that_would_overflow_answer_400() {
    let app = spawn_app().await;
    for query in [
        "page=9223372036854775807",
        "page=18446744073709551615",
        "page=1000001",
        "per_page=99999999999999999999",
    ] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/hospitals?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["fields"].as_object().unwrap().len() == 1,
            "{query}: {body}"
        );
    }
    let last = app
        .client
        .get(app.url("/api/v1/hospitals?page=1000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(last.status(), 200);
    app.cleanup().await;
}

#[tokio::test]
async fn metrics_need_a_token_outside_development_and_keep_their_labels_few() {
    let dev = spawn_app().await;
    let odd = reqwest::Method::from_bytes(b"BREW").unwrap();
    let _ = dev
        .client
        .request(odd, dev.url("/health"))
        .send()
        .await
        .unwrap();
    let text = dev
        .client
        .get(dev.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("BREW"));
    dev.cleanup().await;

    let closed = spawn_app_with(&PRODUCTION).await;
    let r = closed
        .client
        .get(closed.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    closed.cleanup().await;

    let mut vars = PRODUCTION.to_vec();
    vars.push(("METRICS_TOKEN", "scrape-me-7f3a9c2e5b1d"));
    let prod = spawn_app_with(&vars).await;
    let r = prod.client.get(prod.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = prod
        .client
        .get(prod.url("/metrics"))
        .bearer_auth("scrape-me-7f3a9c2e5b1e")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a near miss is a miss");
    let r = prod
        .client
        .get(prod.url("/metrics"))
        .bearer_auth("scrape-me-7f3a9c2e5b1d")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    prod.cleanup().await;
}

#[tokio::test]
async fn the_address_a_patient_asked_a_code_for_is_sealed_in_the_session() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/portal/login"))
        .form(&[("email", "sealed.address@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let rows = hospitallink::entities::session::Entity::find()
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].data.contains("otp_destination"), "{}", rows[0].data);
    assert!(!rows[0].data.contains("sealed.address"), "{}", rows[0].data);
    app.cleanup().await;
}

#[tokio::test]
async fn anonymous_refusals_are_counted_not_chained_and_signed_in_ones_are_recorded() {
    use hospitallink::entities::audit_log;
    use sea_orm::PaginatorTrait;
    let app = spawn_app().await;
    let h = hospital(&app, "FLOOD").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "flood").await;
    let entries = || async { audit_log::Entity::find().count(&app.core.db).await.unwrap() };
    let before = entries().await;
    for _ in 0..40 {
        let r = app
            .client
            .get(app.url("/api/v1/patients"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    for _ in 0..5 {
        let (status, _) = app
            .post_json(
                "/api/v1/auth/admin/login",
                None,
                json!({"email": "nobody@example.org", "password": "not the password"}),
            )
            .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        entries().await,
        before,
        "no chain entry for anonymous refusals"
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hospitallink_anonymous_refusals_total{action=\"sign_in_required\"} 40"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hospitallink_anonymous_refusals_total{action=\"login_failed\"} 5"),
        "{metrics}"
    );
    // A signed-in caller refused: one entry per refusal.
    for _ in 0..3 {
        let r = call(&app, Method::GET, "/api/v1/audit", &desk, None).await;
        assert_eq!(r.status, 403);
    }
    assert_eq!(entries().await, before + 3);
    app.cleanup().await;
}

/// The client address the audit log gives a sign-in made with `forwarded_for`.
async fn audited_ip(app: &common::TestApp, forwarded_for: &str) -> String {
    use hospitallink::entities::audit_log;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let h = hospital(app, &format!("IP{}", forwarded_for.len())).await;
    let staff = app
        .create_staff(
            &format!("ip-{}@example.org", forwarded_for.len()),
            Role::Clinician,
            Some(h),
        )
        .await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/admin/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": staff.email, "password": staff.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login"))
        .filter(audit_log::Column::EntityId.eq(staff.id.to_string()))
        .order_by_desc(audit_log::Column::Seq)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap()
        .ip
        .unwrap()
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    // Nobody trusted: a client cannot choose its own address.
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_IP", "2")]).await;
    assert_eq!(audited_ip(&app, "198.51.100.9").await, "127.0.0.1");
    app.cleanup().await;

    // Behind a trusted balancer: each client is itself, for the log and for the limits.
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ("RATE_LIMIT_LOGIN_PER_IP", "2"),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "100"),
    ])
    .await;
    assert_eq!(
        audited_ip(&app, "203.0.113.50, 198.51.100.9, 10.2.3.4").await,
        "198.51.100.9"
    );
    let attempt = |from: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/admin/login"))
            .header("x-forwarded-for", from)
            .json(&json!({"email": "someone@example.org", "password": "wrong password"}))
            .send()
    };
    assert_eq!(attempt("198.51.100.20").await.unwrap().status(), 401);
    assert_eq!(attempt("198.51.100.20").await.unwrap().status(), 401);
    assert_eq!(attempt("198.51.100.20").await.unwrap().status(), 429);
    assert_eq!(attempt("198.51.100.21").await.unwrap().status(), 401);
    app.cleanup().await;
}

#[tokio::test]
async fn a_code_request_writes_the_same_for_an_address_nobody_has() {
    use hospitallink::entities::code_request;
    use sea_orm::PaginatorTrait;
    let app = spawn_app().await;
    let txn = hospitallink::db::begin_write(&app.core.db).await.unwrap();
    hospitallink::services::clinical::patients::insert(
        &app.core,
        &txn,
        &hospitallink::domain::clinical::patient::ValidPatient {
            first_name: "Wambui".into(),
            last_name: "Owino".into(),
            date_of_birth: "1985-08-08".parse().unwrap(),
            sex: "female".into(),
            email: Some("wambui@example.org".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    use hospitallink::entities::{outbox_message, sign_in_code};
    let rows = || async {
        (
            sign_in_code::Entity::find()
                .count(&app.core.db)
                .await
                .unwrap(),
            code_request::Entity::find()
                .count(&app.core.db)
                .await
                .unwrap(),
            outbox_message::Entity::find()
                .count(&app.core.db)
                .await
                .unwrap(),
        )
    };
    let mut answers = Vec::new();
    for email in ["wambui@example.org", "nobody@example.org"] {
        answers.push(
            app.post_json(
                "/api/v1/auth/patient/request-otp",
                None,
                json!({ "email": email }),
            )
            .await,
        );
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 202);
    // A code and a message each: the patient's sent, the stranger's kept as placeholders.
    assert_eq!(rows().await, (1, 1, 2));
    let listed = hospitallink::services::platform::outbox::list(
        &app.core,
        &hospitallink::policy::Caller::system(),
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(listed.data.len(), 1, "withheld messages are not listed");
    assert_eq!(listed.data[0].to, "wambui@example.org");
    app.cleanup().await;
}

#[tokio::test]
async fn another_hospitals_record_or_document_answers_as_a_missing_one() {
    let app = spawn_app().await;
    let (a, b) = (hospital(&app, "OWNA").await, hospital(&app, "OWNB").await);
    let (_, clinician_a) = member(&app, Role::Clinician, a, "owna").await;
    let (_, pharmacist_b) = member(&app, Role::Pharmacist, b, "ownb").await;
    let (_, desk_b) = member(&app, Role::Receptionist, b, "ownb").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &clinician_a,
        Some(json!({"first_name": "Chebet", "last_name": "Mutua",
                    "date_of_birth": "1992-12-12", "sex": "female"})),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();
    let vl = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/records"),
        &clinician_a,
        Some(json!({"record_type": "viral_load", "payload": {"copies_per_ml": 40}})),
    )
    .await;
    assert_eq!(vl.status, 201, "{}", vl.body);
    let scan = app
        .client
        .post(app.url(&format!("/api/v1/patients/{patient}/attachments")))
        .bearer_auth(&clinician_a)
        .multipart(
            reqwest::multipart::Form::new().text("kind", "scan").part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4\n% scan\n%%EOF\n".to_vec())
                    .file_name("scan.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(scan.status(), 201);
    let scan: serde_json::Value = scan.json().await.unwrap();
    let missing = uuid::Uuid::now_v7();
    // A pharmacist reads regimens, not viral loads; a receptionist reads consent forms, not
    // scans: at their own hospital that is 403, but another hospital's is simply absent.
    for (token, path, absent) in [
        (
            &pharmacist_b,
            format!("/api/v1/records/{}", vl.body["id"].as_str().unwrap()),
            format!("/api/v1/records/{missing}"),
        ),
        (
            &desk_b,
            format!("/api/v1/attachments/{}", scan["id"].as_str().unwrap()),
            format!("/api/v1/attachments/{missing}"),
        ),
    ] {
        let foreign = call(&app, Method::GET, &path, token, None).await;
        let none = call(&app, Method::GET, &absent, token, None).await;
        assert_eq!(foreign.status, 404, "{path}: {}", foreign.body);
        assert_eq!(foreign.body, none.body, "{path}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn registering_someone_known_elsewhere_is_recorded_and_bounded() {
    use hospitallink::entities::audit_log;
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = spawn_app().await;
    let (a, b) = (hospital(&app, "KNOWA").await, hospital(&app, "KNOWB").await);
    let (_, desk_a) = member(&app, Role::Receptionist, a, "knowa").await;
    let (probe, desk_b) = member(&app, Role::Receptionist, b, "knowb").await;
    let person = |national_id: &str| {
        json!({"first_name": "Kamau", "last_name": "Wekesa", "date_of_birth": "1970-01-01",
               "sex": "male", "national_id": national_id})
    };
    let first = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk_a,
        Some(person("KE-77-12345")),
    )
    .await;
    assert_eq!(first.status, 201);
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(
            call(
                &app,
                Method::POST,
                "/api/v1/patients",
                &desk_b,
                Some(person("KE-77-12345")),
            )
            .await
            .status,
        );
    }
    assert_eq!(statuses[..20], [409; 20]);
    assert_eq!(statuses[20], 429, "the 21st match within the hour waits");
    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::ActorId.eq(probe.id))
        .filter(audit_log::Column::Outcome.eq("denied"))
        .all(&app.core.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 21);
    assert!(
        entries[0]
            .details
            .contains("\"identity_match\":\"national_id\""),
        "{}",
        entries[0].details
    );
    assert_eq!(
        entries[0].patient_id.map(|p| p.to_string()),
        first.body["id"].as_str().map(str::to_string)
    );
    assert!(
        entries.iter().all(|e| !e.details.contains("12345")),
        "never the value"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_api_document_lists_the_answers_every_layer_can_give() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let answers = op["responses"].as_object().unwrap();
            let has = |s: &str| answers.contains_key(s);
            let name = format!("{method} {path}");
            assert!(has("503"), "{name}");
            if path.contains('{') {
                assert!(has("400") && has("404"), "{name}: a malformed or absent id");
            }
            if op.get("requestBody").is_some() {
                assert!(
                    has("413") && has("415"),
                    "{name}: a body too large or of another type"
                );
            }
            if op.get("security").is_some() {
                assert!(
                    has("401") && has("403"),
                    "{name}: not signed in, not allowed"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 38, "{checked} operations");
    app.cleanup().await;
}

#[tokio::test]
async fn without_a_sign_in_a_secured_route_answers_401_before_reading_anything() {
    let app = spawn_app().await;
    let id = uuid::Uuid::now_v7();
    for (method, path) in [
        (Method::PUT, format!("/api/v1/hospitals/{id}")),
        (Method::PUT, format!("/api/v1/patients/{id}")),
        (Method::PUT, format!("/api/v1/records/{id}")),
        (Method::PUT, format!("/api/v1/staff/{id}")),
        (Method::POST, "/api/v1/patients".to_string()),
    ] {
        // A malformed If-Match and a body of nulls would each be a 400 for someone signed in.
        let r = app
            .client
            .request(method.clone(), app.url(&path))
            .header("if-match", "")
            .json(&json!({"name": null, "first_name": null}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
    }
    app.cleanup().await;
}
