//! The HTTP surface, driven with a real client against the real app and database.

use crate::common;

use common::{hospital_json, spawn_app, spawn_app_with, PRODUCTION};
use futures_util::StreamExt;
use hospitallink::domain::identity::role::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let r = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ready");
    app.client
        .get(app.url("/api/v1/hospitals"))
        .send()
        .await
        .unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/hospitals",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\""));
    app.cleanup().await;
}

#[tokio::test]
async fn hospital_registry_round_trip() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .json(&hospital_json("ksm-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(r.headers()["etag"], "\"1\"");
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["code"], "KSM-1");
    assert_eq!(
        location,
        format!("/api/v1/hospitals/{}", created["id"].as_str().unwrap())
    );

    let got: Value = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, created);

    // Update with the right version, then with a stale one.
    let mut body = hospital_json("KSM-1");
    body["name"] = json!("Kisumu County Referral");
    body["active"] = json!(false);
    let r = app
        .client
        .put(app.url(&location))
        .header("If-Match", "\"1\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["active"], false);
    assert_eq!(updated["name"], "Kisumu County Referral");
    let r = app
        .client
        .put(app.url(&location))
        .header("If-Match", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "version_mismatch");

    // The code is unique across the network.
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .json(&hospital_json("KSM-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["code"], "hospital_code_taken");
    assert!(err["fields"]["code"].is_array());

    // Listing and searching.
    for code in ["MBR", "CHB"] {
        let r = app
            .client
            .post(app.url("/api/v1/hospitals"))
            .json(&hospital_json(code))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let page: Value = app
        .client
        .get(app.url("/api/v1/hospitals?per_page=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["pagination"],
        json!({"total": 3, "page": 1, "per_page": 2, "has_next": true, "has_prev": false})
    );
    let found: Value = app
        .client
        .get(app.url("/api/v1/hospitals?q=mbr"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["pagination"]["total"], 1);
    assert_eq!(found["data"][0]["code"], "MBR");
    app.cleanup().await;
}

async fn expect_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["error"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(body["fields"].is_object());
    body
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_never_a_500() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let post = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/hospitals"))
            .header("content-type", "application/json")
            .body(body)
    };
    let b = expect_error(
        post("{\"name\": \"x\",").send().await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    assert!(b["error"].as_str().unwrap().contains("line 1"));
    let b = expect_error(
        post(r#"{"name": 5}"#).send().await.unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert!(b["fields"]["name"][0]
        .as_str()
        .unwrap()
        .contains("expected a string"));
    let b = expect_error(
        post(r#"{"beds": 5}"#).send().await.unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert!(b["fields"]["beds"].is_array());
    let b = expect_error(post("{}").send().await.unwrap(), 400, "validation_failed").await;
    for f in ["name", "code", "contact_email", "country"] {
        assert_eq!(b["fields"][f][0], "is required", "{f}");
    }
    expect_error(
        app.client
            .post(app.url("/api/v1/hospitals"))
            .body("name=x")
            .send()
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    expect_error(
        app.client
            .post(app.url("/api/v1/hospitals"))
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    let b = expect_error(
        app.client
            .get(app.url("/api/v1/hospitals/not-a-uuid"))
            .send()
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert!(b["fields"]["id"].is_array());
    expect_error(
        app.client
            .get(app.url(&format!("/api/v1/hospitals/{}", uuid::Uuid::now_v7())))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    expect_error(
        app.client
            .get(app.url("/api/v1/nothing/here"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    expect_error(
        app.client
            .delete(app.url("/api/v1/hospitals"))
            .send()
            .await
            .unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    let b = expect_error(
        app.client
            .get(app.url("/api/v1/hospitals?per_page=500&page=0"))
            .send()
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert!(b["fields"]["per_page"].is_array() && b["fields"]["page"].is_array());
    let b = expect_error(
        app.client
            .put(app.url(&format!("/api/v1/hospitals/{}", uuid::Uuid::now_v7())))
            .header("If-Match", "yesterday")
            .json(&hospital_json("X1"))
            .send()
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert!(b["fields"]["If-Match"].is_array());
    app.cleanup().await;
}

#[tokio::test]
async fn production_requires_a_platform_admin_to_change_the_registry() {
    let app = spawn_app_with(&PRODUCTION).await;
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .json(&hospital_json("P1"))
        .send()
        .await
        .unwrap();
    let _ = expect_error(r, 401, "unauthenticated").await;

    // A wrong token is refused; a platform admin's token (second factor included) works.
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .bearer_auth("not-a-token")
        .json(&hospital_json("P1"))
        .send()
        .await
        .unwrap();
    expect_error(r, 401, "unauthenticated").await;
    let admin = app
        .enrolled_staff("root@example.org", Role::PlatformAdmin, None)
        .await;
    let token = app.token(&admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .bearer_auth(&token)
        .json(&hospital_json("P1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    // Reading the directory needs no account.
    let page: Value = app
        .client
        .get(app.url("/api/v1/hospitals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["total"], 1);
    // The no-JS form and the server function refuse anonymous changes too.
    let r = app
        .client
        .post(app.url("/hospitals"))
        .form(&[
            ("name", "Anon"),
            ("code", "ANON"),
            ("contact_email", "a@b.org"),
            ("country", "KE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/_fn/hospitals/create"))
        .header("accept", "application/json")
        .form(&[
            ("input[name]", "Anon"),
            ("input[code]", "ANON"),
            ("input[contact_email]", "a@b.org"),
            ("input[country]", "KE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.cleanup().await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_matching_nonce() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/hospitals")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    assert!(
        !r.headers().contains_key("strict-transport-security"),
        "no HSTS in development"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the header's nonce"
    );
    assert!(
        !html.contains("<script>"),
        "no inline script without a nonce"
    );
    let second = app.client.get(app.url("/hospitals")).send().await.unwrap();
    assert!(
        !second.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&nonce),
        "nonce is per request"
    );
    let r = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    app.cleanup().await;
}

#[tokio::test]
async fn the_registration_form_works_as_a_plain_post() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let r = app
        .client
        .post(app.url("/hospitals"))
        .form(&[
            ("name", "Lira Regional"),
            ("code", "LIRA"),
            ("contact_email", "bad"),
            ("country", "UG"),
            ("address", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Lira Regional\""),
        "typed values survive"
    );
    assert!(html.contains("must be an email address"));
    let r = app
        .client
        .post(app.url("/hospitals"))
        .form(&[
            ("name", "Lira Regional"),
            ("code", "LIRA"),
            ("contact_email", "art@lira.example.org"),
            ("country", "UG"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/hospitals?created=LIRA");
    let r = app
        .client
        .post(app.url("/hospitals"))
        .body("%%%")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an unreadable form is a 400, not a 500");
    app.cleanup().await;
}

#[tokio::test]
async fn server_functions_answer_with_the_error_kind_and_status() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let form = |code: &'static str, email: &'static str| {
        vec![
            ("input[name]", "Arua Regional"),
            ("input[code]", code),
            ("input[contact_email]", email),
            ("input[country]", "UG"),
        ]
    };
    let r = app
        .client
        .post(app.url("/_fn/hospitals/create"))
        .header("accept", "application/json")
        .form(&form("ARUA", "nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["kind"], "invalid");
    assert!(err["fields"]["contact_email"].is_array());
    let r = app
        .client
        .post(app.url("/_fn/hospitals/create"))
        .header("accept", "application/json")
        .form(&form("ARUA", "art@arua.example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "ARUA");
    let r = app
        .client
        .get(app.url("/_fn/hospitals/create"))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_client_error(),
        "no GET encoding for a mutating server function"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn concurrent_writers_all_land() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    for status in common::register_concurrently(&app, "C", 24).await {
        assert_eq!(status, StatusCode::CREATED);
    }
    let page: Value = app
        .client
        .get(app.url("/api/v1/hospitals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["pagination"]["total"],
        24,
        "backend {}",
        common::backend()
    );
    app.cleanup().await;
}

#[tokio::test]
async fn openapi_documents_every_operation_and_the_docs_page_is_local() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-encoding"],
        "gzip",
        "dynamic responses are compressed, with gzip even when brotli is offered (cheaper)"
    );
    let r = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    for (path, methods) in [
        ("/api/v1/hospitals", vec!["get", "post"]),
        ("/api/v1/hospitals/{id}", vec!["get", "put"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} missing");
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // A parameter is in the path only where the path names it; every other one is a query
    // parameter a client may leave out (a list's filters and page, a report's period).
    let mut misplaced = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                if param["in"] == "path" && !in_path {
                    misplaced.push(format!("{method} {path}: {name}"));
                }
            }
        }
    }
    assert!(misplaced.is_empty(), "{misplaced:#?}");
    let html = app
        .client
        .get(app.url("/api/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("/api/docs/assets/swagger-ui-bundle.js"));
    assert!(
        !html.contains("https://"),
        "nothing fetched from the internet"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn demo_seed_runs_once() {
    let app = spawn_app_with(&[("SEED_DEMO", "true")]).await;
    let seeded_again = hospitallink::services::seed::demo::seed_if_empty(&app.core)
        .await
        .unwrap();
    assert!(!seeded_again, "a second start does not seed again");
    let page: Value = app
        .client
        .get(app.url("/api/v1/hospitals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["total"], 3);
    let codes: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["CHB", "KSM", "MBR"], "ordered by name");

    // About 200 patients with histories, every one linked, in a mix of clinical situations.
    use hospitallink::entities::{patient, patient_clinical_state as state, patient_hospital_link};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = &app.core.db;
    let patients = patient::Entity::find().count(db).await.unwrap();
    let named = hospitallink::services::seed::demo::DEMO_PATIENTS.len() as u64;
    assert_eq!(patients, 200 + named);
    // Amina, the shared patient, is linked at Mbarara and Soweto as well as at Kisumu.
    assert_eq!(
        patient_hospital_link::Entity::find()
            .count(db)
            .await
            .unwrap(),
        200 + named + 2
    );
    // Her Kisumu record holds an adherence note, which a labs grant keeps at Kisumu.
    let amina = patient_hospital_link::Entity::find()
        .filter(patient_hospital_link::Column::Mrn.eq("KSM-0000001"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    use hospitallink::entities::clinical_record;
    let notes = clinical_record::Entity::find()
        .filter(clinical_record::Column::PatientId.eq(amina.patient_id))
        .filter(clinical_record::Column::RecordType.eq("adherence_note"))
        .count(db)
        .await
        .unwrap();
    assert!(notes >= 1, "Amina has an adherence note at Kisumu");
    let states = state::Entity::find().all(db).await.unwrap();
    assert_eq!(
        states.len() as u64,
        200 + named,
        "every patient has a maintained summary"
    );
    let unsuppressed = states
        .iter()
        .filter(|s| s.latest_vl_copies.is_some_and(|c| c > 1000.0))
        .count();
    assert!(
        (5..60).contains(&unsuppressed),
        "{unsuppressed} unsuppressed"
    );
    let stopped = state::Entity::find()
        .filter(state::Column::ArtStatus.eq("stopped"))
        .count(db)
        .await
        .unwrap();
    assert!(stopped >= 1, "some interrupted treatment");
    // Synthetic patients are numbered around the MRNs already in use (Amina's MBR-0001001).
    let mbr: Vec<_> = hospitallink::services::seed::demo::demo_sites(&app.core)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.code == "MBR")
        .collect();
    hospitallink::services::seed::synthetic::generate(&app.core, &mbr, 2, 1, 999, &[])
        .await
        .unwrap();
    for mrn in ["MBR-0001000", "MBR-0001002"] {
        let found = patient_hospital_link::Entity::find()
            .filter(patient_hospital_link::Column::Mrn.eq(mrn))
            .count(db)
            .await
            .unwrap();
        assert_eq!(found, 1, "{mrn}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn shutdown_finishes_the_requests_in_flight() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    // A registration whose body arrives slowly: half now, half after shutdown was requested.
    let body = serde_json::to_vec(&hospital_json("SLOW")).unwrap();
    let (first, second) = body.split_at(body.len() / 2);
    let (first, second) = (
        bytes::Bytes::copy_from_slice(first),
        bytes::Bytes::copy_from_slice(second),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(
        futures_util::stream::once(async move {
            let _ = rx.await;
            Ok::<_, std::io::Error>(second)
        }),
    );
    let request = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let core = app.core.clone();
    let stopping = tokio::spawn(app.cleanup_keeping_database());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    tx.send(()).unwrap();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the in-flight request completed"
    );
    let app = stopping.await.unwrap();
    let page = hospitallink::services::platform::hospitals::list(
        &core,
        &hospitallink::policy::Caller::system(),
        Some("SLOW"),
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.pagination.total, 1, "and its write landed");
    app.cleanup().await;
}

#[tokio::test]
async fn static_assets_are_served_precompressed() {
    let app = spawn_app().await;
    let pkg = app.data_dir.join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("hospitallink.js"), "console.log('plain')").unwrap();
    std::fs::write(pkg.join("hospitallink.js.br"), "brotli bytes").unwrap();
    let r = app
        .client
        .get(app.url("/pkg/hospitallink.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.text().await.unwrap(), "brotli bytes");
    let r = app
        .client
        .get(app.url("/pkg/hospitallink.js"))
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("content-encoding"));
    assert_eq!(r.text().await.unwrap(), "console.log('plain')");
    app.cleanup().await;
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let post = |extra: (&'static str, String)| {
        app.client
            .post(app.url("/api/v1/hospitals"))
            .header(extra.0, extra.1)
            .json(&hospital_json("CSRF"))
    };
    let r = post(("sec-fetch-site", "cross-site".into()))
        .send()
        .await
        .unwrap();
    expect_error(r, 403, "cross_site_request").await;
    let r = post(("origin", "https://evil.example".into()))
        .send()
        .await
        .unwrap();
    expect_error(r, 403, "cross_site_request").await;
    let r = app
        .client
        .post(app.url("/hospitals"))
        .header("origin", "https://evil.example")
        .form(&[
            ("name", "Evil"),
            ("code", "EVIL"),
            ("contact_email", "e@evil.example"),
            ("country", "KE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let page: Value = app
        .client
        .get(app.url("/api/v1/hospitals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["total"], 0, "nothing was written");
    // The same request from this site goes through.
    let r = post(("origin", app.base.clone())).send().await.unwrap();
    assert_eq!(r.status(), 201);
    app.cleanup().await;
}

#[test]
fn every_server_function_is_a_post_under_its_own_prefix() {
    let paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        paths.len() >= 2,
        "server functions are registered: {paths:?}"
    );
    for (path, method) in paths {
        assert!(path.starts_with("/_fn/"), "{path} lives under /_fn/");
        assert_eq!(
            method,
            axum::http::Method::POST,
            "{path} must not have a GET encoding"
        );
    }
}
