//! Every request body is bounded: a body over its route's limit answers 413 (at once when its
//! length is declared, at the limit when it streams), server functions included; uploads take
//! exactly one file part; search terms are bounded before they reach the database.

use crate::common;

use common::{call, hospital, member, spawn_app, spawn_app_with, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

/// A body of `len` bytes that arrives in chunks, without a declared length.
fn streamed(len: usize, prefix: &'static str) -> reqwest::Body {
    let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
    let chunks = len / chunk.len();
    let stream = futures_util::stream::iter(
        std::iter::once(Ok::<_, std::io::Error>(bytes::Bytes::from_static(
            prefix.as_bytes(),
        )))
        .chain((0..chunks).map(move |_| Ok(chunk.clone()))),
    );
    reqwest::Body::wrap_stream(stream)
}

async fn post(app: &TestApp, path: &str, content_type: &str, body: reqwest::Body) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn oversized_bodies_answer_413_everywhere() {
    let app = spawn_app().await;
    let form = "application/x-www-form-urlencoded";
    // A server function (20 MB declared): refused before a byte is read.
    let big = format!("q={}&page=1", "a".repeat(20 * 1024 * 1024));
    let (status, body) = post(&app, "/_fn/patients/search", form, big.clone().into()).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["kind"], "payload_too_large", "{body}");
    // The same streamed, with no length declared: cut off at the limit.
    let (status, body) = post(
        &app,
        "/_fn/hospitals/list",
        form,
        streamed(2 * 1024 * 1024, "page=1&q="),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    // The JSON API: 2 MiB declared, then streamed.
    let json_body = format!("{{\"name\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let (status, body) = post(
        &app,
        "/api/v1/hospitals",
        "application/json",
        json_body.into(),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large", "{body}");
    // Streamed, from someone signed in (an anonymous body is refused before it is read).
    let admin = app
        .enrolled_staff("limits-admin@example.org", Role::PlatformAdmin, None)
        .await;
    let token = app.token(&admin).await;
    let r = app
        .client
        .post(app.url("/api/v1/hospitals"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(streamed(2 * 1024 * 1024, "{\"name\": \""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large", "{body}");
    // A plain form: the sign-in page.
    let (status, _) = post(&app, "/login", form, big.into()).await;
    assert_eq!(status, 413);
    app.cleanup().await;
}

#[tokio::test]
async fn long_search_terms_are_refused_by_name() {
    let app = spawn_app().await;
    // Within the body limit, but longer than any name or code: a field error, not a 500.
    let q = "a".repeat(60_000);
    let (status, body) = post(
        &app,
        "/_fn/hospitals/list",
        "application/x-www-form-urlencoded",
        format!("q={q}&page=1").into(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["fields"]["q"].is_array(), "{body}");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/hospitals?q={}", "b".repeat(5_000))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fields"]["q"][0], "must be at most 100 characters");
    app.cleanup().await;
}

async fn send_upload(app: &TestApp, token: &str, patient: &str, form: Form) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/patients/{patient}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn pdf_part(marker: &str) -> Part {
    Part::bytes(format!("%PDF-1.4\n% {marker}\n%%EOF\n").into_bytes())
        .file_name("consent.pdf")
        .mime_str("application/pdf")
        .unwrap()
}

#[tokio::test]
async fn an_upload_is_one_file_within_the_limit() {
    let app = spawn_app_with(&[("ATTACHMENT_MAX_BYTES", "4096")]).await;
    let h = hospital(&app, "LIM").await;
    let (_, token) = member(&app, Role::Clinician, h, "lim").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &token,
        Some(json!({"first_name": "Mercy", "last_name": "Njoroge",
                    "date_of_birth": "1990-01-01", "sex": "female"})),
    )
    .await;
    let patient = created.body["id"].as_str().unwrap().to_string();

    // Two file parts are refused, not joined into one document.
    let twice = Form::new()
        .text("kind", "consent_form")
        .part("file", pdf_part("first"))
        .part("file", pdf_part("second"));
    let (status, body) = send_upload(&app, &token, &patient, twice).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["fields"]["file"][0], "must be sent only once",
        "{body}"
    );
    // An unknown part names itself.
    let extra = Form::new()
        .text("kind", "consent_form")
        .text("colour", "red")
        .part("file", pdf_part("one"));
    let (status, body) = send_upload(&app, &token, &patient, extra).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["fields"]["colour"].is_array(), "{body}");
    // Far over the limit (4 KiB + framing): 413 before the file is read.
    let huge = Form::new().text("kind", "consent_form").part(
        "file",
        Part::bytes(vec![b'%'; 1024 * 1024])
            .file_name("scan.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let (status, body) = send_upload(&app, &token, &patient, huge).await;
    assert_eq!(status, 413, "{body}");
    // One file within the limit is stored.
    let one = Form::new()
        .text("kind", "consent_form")
        .part("file", pdf_part("fine"));
    let (status, body) = send_upload(&app, &token, &patient, one).await;
    assert_eq!(status, 201, "{body}");
    app.cleanup().await;
}
