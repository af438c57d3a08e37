//! Attachments (consent forms and scans) through the REST API, on the real database and the
//! real object stores: the local directory by default, and an S3-compatible server (moto,
//! started by this test from the environment `scripts/setup.sh` prepares).

use crate::common;

use common::{audit_count, call, hospital, member, spawn_app, spawn_app_with, Call, TestApp};
use hospitallink::domain::clinical::attachment::AttachmentKind;
use hospitallink::domain::identity::role::Role;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

/// A small but real PDF with a marker that must never reach the disk or the bucket in clear.
fn pdf(marker: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(b"\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0 scan of referral");
    bytes
}

struct Upload<'a> {
    kind: Option<&'a str>,
    description: Option<&'a str>,
    filename: &'a str,
    mime: &'a str,
    bytes: Vec<u8>,
}

impl<'a> Upload<'a> {
    fn new(kind: &'a str, filename: &'a str, mime: &'a str, bytes: Vec<u8>) -> Self {
        Self {
            kind: Some(kind),
            description: None,
            filename,
            mime,
            bytes,
        }
    }
}

async fn upload(app: &TestApp, token: &str, patient: Uuid, u: Upload<'_>) -> Call {
    let mut form = Form::new().part(
        "file",
        Part::bytes(u.bytes)
            .file_name(u.filename.to_string())
            .mime_str(u.mime)
            .unwrap(),
    );
    if let Some(k) = u.kind {
        form = form.text("kind", k.to_string());
    }
    if let Some(d) = u.description {
        form = form.text("description", d.to_string());
    }
    let mut r = app
        .client
        .post(app.url(&format!("/api/v1/patients/{patient}/attachments")))
        .multipart(form);
    if !token.is_empty() {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    Call {
        status,
        body: r.json().await.unwrap_or_default(),
        etag,
    }
}

/// (status, headers, body) of a download.
async fn download(
    app: &TestApp,
    token: &str,
    id: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn register(app: &TestApp, token: &str, national_id: &str) -> Uuid {
    let r = call(
        app,
        Method::POST,
        "/api/v1/patients",
        token,
        Some(json!({
            "first_name": "Grace",
            "last_name": "Achieng",
            "date_of_birth": "1987-02-03",
            "sex": "female",
            "national_id": national_id,
        })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn uploads_are_checked_encrypted_authorized_and_audited() {
    let app = spawn_app_with(&[("ATTACHMENT_MAX_BYTES", "4096")]).await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (doctor_account, doctor) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (desk_account, desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let (billing_account, billing) = member(&app, Role::BillingClerk, ksm, "ksm").await;
    let (_, pharmacy) = member(&app, Role::Pharmacist, ksm, "ksm").await;
    let (elsewhere_account, elsewhere) = member(&app, Role::Clinician, mbr, "mbr").await;
    let patient = register(&app, &doctor, "KE-7001-0001").await;

    // The front desk stores the signed consent form.
    let marker = "SIGNED-BY-GRACE-ACHIENG";
    let consent = pdf(marker);
    let mut u = Upload::new(
        "consent_form",
        "C:\\scans\\consent 2026.pdf",
        "application/pdf",
        consent.clone(),
    );
    u.description = Some("Consent to share with MBR");
    let r = upload(&app, &desk, patient, u).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let consent_id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.etag.as_deref(),
        Some(format!("/api/v1/attachments/{consent_id}").as_str())
    );
    assert_eq!(r.body["kind"], "consent_form");
    assert_eq!(r.body["filename"], "consent 2026.pdf");
    assert_eq!(r.body["content_type"], "application/pdf");
    assert_eq!(r.body["size_bytes"], consent.len());
    assert_eq!(r.body["description"], "Consent to share with MBR");

    // The clinician stores a scan; the PNG sent as a generic type is recognised.
    let r = upload(
        &app,
        &doctor,
        patient,
        Upload::new("scan", "referral", "application/octet-stream", png()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["content_type"], "image/png");
    assert_eq!(r.body["filename"], "referral.png");
    let scan_id = r.body["id"].as_str().unwrap().to_string();

    // Refused uploads name the field.
    let refusals = [
        (
            Upload::new(
                "scan",
                "x.exe",
                "application/pdf",
                b"MZ\x90\0program".to_vec(),
            ),
            "file",
            "must be a PDF, PNG or JPEG file",
        ),
        (
            Upload::new("scan", "x.pdf", "application/pdf", png()),
            "file",
            "was sent as application/pdf but its content is image/png",
        ),
        (
            Upload::new("scan", "big.pdf", "application/pdf", pdf(&"x".repeat(5000))),
            "file",
            "is larger than the 4.0 KB limit",
        ),
        (
            Upload::new("scan", "empty.pdf", "application/pdf", Vec::new()),
            "file",
            "is required (an empty file was sent)",
        ),
        (
            Upload::new("photo", "x.pdf", "application/pdf", pdf("x")),
            "kind",
            "must be consent_form or scan",
        ),
        (
            Upload {
                kind: None,
                ..Upload::new("", "x.pdf", "application/pdf", pdf("x"))
            },
            "kind",
            "is required",
        ),
    ];
    for (u, field, message) in refusals {
        let r = upload(&app, &doctor, patient, u).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["fields"][field], json!([message]), "{}", r.body);
    }
    let not_multipart = app
        .client
        .post(app.url(&format!("/api/v1/patients/{patient}/attachments")))
        .bearer_auth(&doctor)
        .json(&json!({"kind": "scan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_multipart.status(), 415);

    // Who may store what.
    let scan = || Upload::new("scan", "s.pdf", "application/pdf", pdf("s"));
    assert_eq!(
        upload(&app, &desk, patient, scan()).await.status,
        403,
        "the front desk stores no scans"
    );
    assert_eq!(upload(&app, &billing, patient, scan()).await.status, 403);
    assert_eq!(
        upload(&app, &elsewhere, patient, scan()).await.status,
        404,
        "not linked there"
    );
    assert_eq!(upload(&app, "", patient, scan()).await.status, 401);
    assert_eq!(
        upload(&app, &doctor, Uuid::now_v7(), scan()).await.status,
        404
    );

    // Who sees what.
    let list = |token: String| {
        let app = &app;
        async move {
            call(
                app,
                Method::GET,
                &format!("/api/v1/patients/{patient}/attachments"),
                &token,
                None,
            )
            .await
        }
    };
    let all = list(doctor.clone()).await;
    assert_eq!(all.status, 200);
    let ids: Vec<&str> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![scan_id.as_str(), consent_id.as_str()],
        "newest first"
    );
    let front = list(desk.clone()).await;
    assert_eq!(front.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(front.body["data"][0]["kind"], "consent_form");
    assert_eq!(list(billing.clone()).await.status, 403);
    assert_eq!(list(pharmacy.clone()).await.status, 403);
    assert_eq!(list(elsewhere.clone()).await.status, 404);

    // Downloads give back exactly what was stored, as a download that is never sniffed.
    let (status, headers, body) = download(&app, &doctor, &consent_id).await;
    assert_eq!(status, 200);
    assert_eq!(body, consent);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"consent 2026.pdf\"; filename*=UTF-8''consent%202026.pdf"
    );
    assert_eq!(download(&app, &desk, &consent_id).await.0, 200);
    assert_eq!(download(&app, &desk, &scan_id).await.0, 403);
    assert_eq!(download(&app, &billing, &consent_id).await.0, 403);
    assert_eq!(download(&app, &elsewhere, &scan_id).await.0, 404);
    assert_eq!(
        download(&app, &doctor, &Uuid::now_v7().to_string()).await.0,
        404
    );
    assert_eq!(download(&app, &doctor, "not-an-id").await.0, 400);

    // Nothing readable at rest: not in the stored files, not in the database.
    let stored = files_under(&app.data_dir.join("attachments"));
    assert_eq!(stored.len(), 2);
    for file in &stored {
        let bytes = std::fs::read(file).unwrap();
        assert!(!contains(&bytes, marker.as_bytes()));
        assert!(!contains(&bytes, b"%PDF") && !contains(&bytes, b"PNG"));
    }
    if common::backend() == "sqlite" {
        common::assert_not_in_sqlite_files(
            &app.data_dir,
            &["consent 2026", "Consent to share with MBR", "referral.png"],
        );
    }

    // Deleting needs the kind's permission and a justification; the document disappears.
    let path = format!("/api/v1/attachments/{scan_id}");
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &path,
            &desk,
            Some(json!({"justification": "uploaded by mistake"}))
        )
        .await
        .status,
        403
    );
    let r = call(&app, Method::DELETE, &path, &doctor, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["fields"]["justification"], json!(["is required"]));
    let r = call(
        &app,
        Method::DELETE,
        &path,
        &doctor,
        Some(json!({"justification": "scanned the wrong patient's letter"})),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(download(&app, &doctor, &scan_id).await.0, 404);
    assert_eq!(
        list(doctor.clone()).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &path,
            &doctor,
            Some(json!({"justification": "scanned the wrong patient's letter"}))
        )
        .await
        .status,
        404
    );

    // Every access is in the audit log: 2 uploads, 3 lists and 2 downloads allowed, 1 deletion.
    assert_eq!(audit_count(&app, "attachment", "create", patient).await, 2);
    assert_eq!(audit_count(&app, "attachment", "read", patient).await, 5);
    assert_eq!(audit_count(&app, "attachment", "delete", patient).await, 1);

    // The chart shows each role the documents it reads, and the upload kinds it may use; the
    // whole chart is one audited read.
    let as_staff = |id: Uuid, role: Role, hospital: Uuid| {
        hospitallink::policy::Caller::new(
            hospitallink::policy::Actor::Staff {
                id,
                role,
                hospital_id: Some(hospital),
            },
            Default::default(),
        )
    };
    let open = |caller: hospitallink::policy::Caller| {
        let core = app.core.clone();
        async move {
            let page = hospitallink::domain::page::PageRequest::parse(None, None).unwrap();
            hospitallink::services::clinical::chart::open(
                &core,
                &caller,
                patient,
                &Default::default(),
                page,
            )
            .await
        }
    };
    let chart = open(as_staff(doctor_account.id, Role::Clinician, ksm))
        .await
        .unwrap();
    assert_eq!(chart.attachments.unwrap().len(), 1);
    assert_eq!(chart.attachable, AttachmentKind::ALL.to_vec());
    assert!(chart.summary.is_some() && chart.records.is_some());
    let front = open(as_staff(desk_account.id, Role::Receptionist, ksm))
        .await
        .unwrap();
    assert_eq!(
        front.attachments.unwrap()[0].kind,
        AttachmentKind::ConsentForm
    );
    assert_eq!(front.attachable, vec![AttachmentKind::ConsentForm]);
    assert!(front.summary.is_none() && front.records.is_none());
    let till = open(as_staff(billing_account.id, Role::BillingClerk, ksm))
        .await
        .unwrap();
    assert!(till.attachments.is_none() && till.attachable.is_empty());
    let refused = open(as_staff(elsewhere_account.id, Role::Clinician, mbr)).await;
    assert_eq!(refused.unwrap_err().kind.status(), 404);
    assert_eq!(audit_count(&app, "patient_chart", "read", patient).await, 3);
    assert_eq!(
        audit_count(&app, "attachment", "read", patient).await,
        5,
        "the chart's reads are in its own entry"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn key_rotation_reseals_stored_documents() {
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let (_, doctor) = member(&app, Role::Clinician, ksm, "ksm").await;
    let patient = register(&app, &doctor, "KE-7002-0002").await;
    let content = pdf("ROTATION-CHECK");
    let mut u = Upload::new("scan", "lab.pdf", "application/pdf", content.clone());
    u.description = Some("Outside lab report");
    let r = upload(&app, &doctor, patient, u).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();

    let mut config = (*app.core.config).clone();
    config.retired_encryption_keys = vec![config.encryption_key.clone()];
    config.encryption_key = hospitallink::config::Secret::new([42u8; 32]);
    let rotated = hospitallink::services::Core::new(app.core.db.clone(), config.clone());
    let report = hospitallink::services::platform::keys::rotate(&rotated, 10)
        .await
        .unwrap();
    // The file name, the description and the content; plus the patient's three values.
    assert!(report.values_resealed >= 3, "{report:?}");
    let again = hospitallink::services::platform::keys::rotate(&rotated, 10)
        .await
        .unwrap();
    assert_eq!(again.values_resealed, 0, "nothing left on the retired key");

    config.retired_encryption_keys.clear();
    let new_only = hospitallink::services::Core::new(app.core.db.clone(), config);
    let caller = hospitallink::policy::Caller::system();
    let (meta, clear) =
        hospitallink::services::clinical::attachments::download(&new_only, &caller, id)
            .await
            .unwrap();
    assert_eq!(clear, content);
    assert_eq!(meta.filename, "lab.pdf");
    assert_eq!(meta.description.as_deref(), Some("Outside lab report"));
    app.cleanup().await;
}

/// An S3-compatible server (moto) on a free port, stopped when dropped.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_s3() -> S3Server {
    let binary = std::env::var("HOSPITALLINK_S3_SERVER").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/hospitallink/s3-venv/bin/moto_server")
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(&binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start the S3-compatible test server {binary} ({e}); run scripts/setup.sh"
            )
        });
    let server = S3Server {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if reqwest::get(&server.endpoint).await.is_ok() {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the S3-compatible test server did not answer on {}",
        server.endpoint
    );
}

#[tokio::test]
async fn s3_compatible_storage_holds_only_sealed_documents() {
    let s3 = start_s3().await;
    let client = reqwest::Client::new();
    let bucket = format!("{}/hl-test", s3.endpoint);
    assert!(client
        .put(&bucket)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let url = format!(
        "s3://hl-test/documents?endpoint={}&region=us-east-1&allow_http=true",
        s3.endpoint
    );
    let app = spawn_app_with(&[
        ("STORAGE_URL", url.as_str()),
        ("STORAGE_ACCESS_KEY_ID", "hospitallink-test"),
        ("STORAGE_SECRET_ACCESS_KEY", "not-a-real-secret"),
    ])
    .await;
    let ksm = hospital(&app, "KSM").await;
    let (_, doctor) = member(&app, Role::Clinician, ksm, "ksm").await;
    let patient = register(&app, &doctor, "KE-7003-0003").await;
    let content = pdf("S3-MARKER-OF-A-PATIENT");
    let r = upload(
        &app,
        &doctor,
        patient,
        Upload::new("consent_form", "c.pdf", "application/pdf", content.clone()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();

    // The object is in the bucket under the prefix, sealed (read with a signed request of
    // our own, as any S3 client would).
    let bucket_only = hospitallink::storage::Storage::new(
        &format!(
            "s3://hl-test?endpoint={}&region=us-east-1&allow_http=true",
            s3.endpoint
        ),
        Some(&hospitallink::storage::Credentials {
            access_key_id: "hospitallink-test".into(),
            secret_access_key: "not-a-real-secret".into(),
        }),
    );
    let sealed = bucket_only
        .get(&format!("documents/{}", id.replace('-', "")))
        .await
        .unwrap();
    assert!(sealed.starts_with(b"hlb1"));
    assert!(!contains(&sealed, b"S3-MARKER-OF-A-PATIENT"));
    assert!(
        !app.data_dir.join("attachments").exists(),
        "nothing on the local disk"
    );

    let (status, _, body) = download(&app, &doctor, &id).await;
    assert_eq!(status, 200);
    assert_eq!(body, content);
    app.cleanup().await;
}
