//! Spawns the real application on port 0 against a fresh database: a SQLite file in a temp
//! directory, or, when `TEST_DATABASE_URL` is set, a new PostgreSQL database created for the
//! test and dropped after it.

#![allow(dead_code)]

use hospitallink::config::Config;
use sea_orm::{ConnectionTrait, Database};
use server::Application;
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use uuid::Uuid;

/// Settings for a production-mode instance.
pub const PRODUCTION: [(&str, &str); 5] = [
    ("APP_ENV", "production"),
    ("APP_URL", "https://hospitallink.example.org"),
    ("JWT_SECRET", "6b1f0c2e9d8a7b3c4e5f60718293a4b5c6d7e8f9"),
    (
        "ENCRYPTION_KEY",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    ),
    (
        "BLIND_INDEX_KEY",
        "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
    ),
];

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub core: hospitallink::services::Core,
    pub data_dir: PathBuf,
    pg: Option<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Which backend this run uses, for messages.
pub fn backend() -> &'static str {
    if postgres_admin_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

fn with_database(admin: &str, name: &str) -> String {
    let (base, _) = admin
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    format!("{base}/{name}")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawns with extra environment values (e.g. `APP_ENV=production`).
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let id = Uuid::now_v7().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("hl-test-{id}"));
    std::fs::create_dir_all(data_dir.join("site")).unwrap();
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATA_DIR".into(), data_dir.display().to_string()),
        ("APP_PORT".into(), "0".into()),
        ("SEED_DEMO".into(), "false".into()),
        (
            "LEPTOS_SITE_ROOT".into(),
            data_dir.join("site").display().to_string(),
        ),
    ]);
    let mut pg = None;
    if let Some(admin) = postgres_admin_url() {
        let name = format!("hl_test_{id}");
        let conn = Database::connect(&admin)
            .await
            .expect("connect to TEST_DATABASE_URL");
        conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        conn.close().await.ok();
        env.insert("DATABASE_URL".into(), with_database(&admin, &name));
        pg = Some((admin, name));
    }
    for (k, v) in vars {
        env.insert(k.to_string(), v.to_string());
    }
    let config = Config::load(|k| env.get(k).cloned()).expect("test config");
    let app = Application::build(config).await.expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let core = app.core.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        base,
        client,
        core,
        data_dir,
        pg,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops the server (letting in-flight requests finish) and removes the database.
    pub async fn cleanup(self) {
        self.cleanup_keeping_database()
            .await
            .remove_database()
            .await;
    }

    /// Stops the server, letting in-flight requests finish; the database stays.
    pub async fn cleanup_keeping_database(mut self) -> Self {
        // Close our pooled connections first, then ask the server to stop.
        self.client = reqwest::Client::new();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(std::time::Duration::from_secs(10), server)
                .await
                .expect("the server stops within 10 s of a shutdown request")
                .expect("server task")
                .expect("server ran cleanly");
        }
        self
    }

    async fn remove_database(mut self) {
        // Closing waits for every pooled connection to come back; a background task of the
        // stopped server (the outbox worker, the audit writer) may keep one, so it waits a
        // while, not forever (a test once hung here).
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            self.core.db.clone().close(),
        )
        .await;
        if let Some((admin, name)) = self.pg.take() {
            let conn = Database::connect(&admin).await.expect("connect admin");
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop test database");
            conn.close().await.ok();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub fn hospital_json(code: &str) -> serde_json::Value {
    serde_json::json!({
        "name": format!("Hospital {code}"),
        "code": code,
        "address": "1 Clinic Road",
        "contact_email": format!("{}@example.org", code.to_lowercase()),
        "country": "KE"
    })
}

/// Registers `n` hospitals at once (codes `{prefix}0`...) and returns each response status.
pub async fn register_concurrently(
    app: &TestApp,
    prefix: &str,
    n: usize,
) -> Vec<reqwest::StatusCode> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let request = app
                .client
                .post(app.url("/api/v1/hospitals"))
                .json(&hospital_json(&format!("{prefix}{i}")));
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

/// A staff account made for a test, with what it takes to sign in.
pub struct Staff {
    pub id: Uuid,
    pub email: String,
    pub password: String,
    /// Base32 TOTP secret when enrolled.
    pub secret: Option<String>,
    /// Unused recovery codes; a second TOTP sign-in within 30 s would reuse a step.
    pub recovery_codes: std::sync::Mutex<Vec<String>>,
    totp_used: std::sync::atomic::AtomicBool,
}

pub const TEST_PASSWORD: &str = "correct horse battery staple";

impl Staff {
    /// A second-factor code that has not been used yet.
    pub fn next_code(&self) -> String {
        let secret = self.secret.as_deref().expect("enrolled account");
        if !self
            .totp_used
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            // Enrolment consumed the current step; the next one is accepted (one step of skew).
            let t = chrono::Utc::now().timestamp() + 30;
            return hospitallink::services::identity::mfa::code_at(secret, t).unwrap();
        }
        self.recovery_codes
            .lock()
            .unwrap()
            .pop()
            .expect("a recovery code left")
    }
}

impl TestApp {
    /// Creates an active account directly (as an accepted invitation would).
    pub async fn create_staff(
        &self,
        email: &str,
        role: hospitallink::domain::identity::role::Role,
        hospital_id: Option<Uuid>,
    ) -> Staff {
        use hospitallink::services::identity::staff;
        let hash = staff::hash_password(TEST_PASSWORD.into()).await.unwrap();
        let txn = hospitallink::db::begin_write(&self.core.db).await.unwrap();
        let account = staff::insert_account(
            &self.core,
            &txn,
            staff::NewAccount {
                email: email.to_lowercase(),
                display_name: email.split('@').next().unwrap().to_string(),
                role,
                hospital_id,
                password_hash: hash,
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        Staff {
            id: account.id,
            email: email.to_lowercase(),
            password: TEST_PASSWORD.into(),
            secret: None,
            recovery_codes: Default::default(),
            totp_used: Default::default(),
        }
    }

    /// POST JSON, returning status and body.
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut r = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Creates an account and, for admin roles, enrols TOTP through the API.
    pub async fn enrolled_staff(
        &self,
        email: &str,
        role: hospitallink::domain::identity::role::Role,
        hospital_id: Option<Uuid>,
    ) -> Staff {
        let mut staff = self.create_staff(email, role, hospital_id).await;
        if !role.requires_mfa() {
            return staff;
        }
        let (status, tokens) = self
            .post_json(
                "/api/v1/auth/admin/login",
                None,
                serde_json::json!({"email": email, "password": TEST_PASSWORD}),
            )
            .await;
        assert_eq!(status, 200, "{tokens}");
        let restricted = tokens["access_token"].as_str().unwrap().to_string();
        let (status, setup) = self
            .post_json(
                "/api/v1/auth/mfa/setup",
                Some(&restricted),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 200, "{setup}");
        let secret = setup["secret"].as_str().unwrap().to_string();
        let code =
            hospitallink::services::identity::mfa::code_at(&secret, chrono::Utc::now().timestamp())
                .unwrap();
        let (status, codes) = self
            .post_json(
                "/api/v1/auth/mfa/confirm",
                Some(&restricted),
                serde_json::json!({"code": code}),
            )
            .await;
        assert_eq!(status, 200, "{codes}");
        staff.secret = Some(secret);
        *staff.recovery_codes.lock().unwrap() = codes["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        staff
    }

    /// Signs in through the API (with the second factor when enrolled); returns the tokens.
    pub async fn api_tokens(&self, staff: &Staff) -> serde_json::Value {
        let (status, body) = self
            .post_json(
                "/api/v1/auth/admin/login",
                None,
                serde_json::json!({"email": staff.email, "password": staff.password}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        if body["mfa_required"] != true {
            return body;
        }
        let (status, tokens) = self
            .post_json(
                "/api/v1/auth/mfa",
                None,
                serde_json::json!({"mfa_token": body["mfa_token"], "code": staff.next_code()}),
            )
            .await;
        assert_eq!(status, 200, "{tokens}");
        tokens
    }

    /// An access token for `staff`.
    pub async fn token(&self, staff: &Staff) -> String {
        self.api_tokens(staff).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs `self.client` in with a browser session (form posts), second factor included.
    pub async fn browser_sign_in(&self, staff: &Staff) {
        self.sign_in_with(&self.client, staff).await
    }

    /// A browser of its own (its own cookies), signed in as `staff`.
    pub async fn browser(&self, staff: &Staff) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        self.sign_in_with(&client, staff).await;
        client
    }

    /// Signs `client` in with a browser session (form posts), second factor included.
    pub async fn sign_in_with(&self, client: &reqwest::Client, staff: &Staff) {
        let r = client
            .post(self.url("/login"))
            .form(&[
                ("email", staff.email.as_str()),
                ("password", staff.password.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "password step");
        if r.headers()["location"] == "/login/mfa" {
            let code = staff.next_code();
            let r = client
                .post(self.url("/login/mfa"))
                .form(&[("code", code.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "second factor");
            assert_eq!(r.headers()["location"], "/hospitals");
        }
    }

    /// Signs the test client in as a new, enrolled platform admin (browser session).
    pub async fn sign_in_admin(&self) -> Staff {
        let admin = self
            .enrolled_staff(
                &format!(
                    "root-{}@example.org",
                    &Uuid::now_v7().simple().to_string()[20..]
                ),
                hospitallink::domain::identity::role::Role::PlatformAdmin,
                None,
            )
            .await;
        self.browser_sign_in(&admin).await;
        admin
    }
}

/// Fails when any needle appears in the SQLite database files under `data_dir` (the main file,
/// the WAL and the shared-memory file).
pub fn assert_not_in_sqlite_files(data_dir: &std::path::Path, needles: &[&str]) {
    let mut checked = 0;
    for entry in std::fs::read_dir(data_dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if !file.starts_with("hospitallink.db") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in {file}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "the SQLite files were read");
}

/// A JSON answer of the API.
pub struct Call {
    pub status: u16,
    pub body: serde_json::Value,
    pub etag: Option<String>,
}

pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> Call {
    let mut r = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    Call { status, body, etag }
}

pub async fn hospital(app: &TestApp, code: &str) -> Uuid {
    let input = serde_json::from_value(hospital_json(code)).unwrap();
    hospitallink::services::platform::hospitals::create(
        &app.core,
        &hospitallink::policy::Caller::system(),
        &input,
    )
    .await
    .unwrap()
    .id
}

/// A signed-in member of staff: (account, access token).
pub async fn member(
    app: &TestApp,
    role: hospitallink::domain::identity::role::Role,
    hospital: Uuid,
    tag: &str,
) -> (Staff, String) {
    let staff = app
        .enrolled_staff(
            &format!("{}-{tag}@example.org", role.as_str()),
            role,
            Some(hospital),
        )
        .await;
    let token = app.token(&staff).await;
    (staff, token)
}

/// Allowed audit entries about `patient` for `entity` and `action`.
pub async fn audit_count(app: &TestApp, entity: &str, action: &str, patient: Uuid) -> usize {
    use hospitallink::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq(entity))
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::PatientId.eq(patient))
        .filter(audit_log::Column::Outcome.eq("allowed"))
        .count(&app.core.db)
        .await
        .unwrap() as usize
}

/// A minimal SMTP server: accepts one conversation and hands back the DATA it received.
pub async fn smtp_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = tokio::io::BufReader::new(read).lines();
                write.write_all(b"220 test.local ESMTP\r\n").await.unwrap();
                let mut transcript = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    transcript.push_str(&line);
                    transcript.push('\n');
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(transcript.clone());
                            write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("RCPT") && upper.contains("REJECT") {
                        b"550 5.1.1 <reject-me@example.org> unknown user\r\n"
                    } else if upper.starts_with("EHLO") {
                        b"250-test.local\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 end with .\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

/// Waits up to 10 s for `probe` to give a value.
pub async fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = probe() {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting");
}

/// A stand-in for the SMS provider's HTTP API: its URL, and each call's bearer key and JSON.
pub async fn sms_provider() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = seen.clone();
    let provider = axum::Router::new().route(
        "/send",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
                let store = store.clone();
                async move {
                    let auth = headers["authorization"].to_str().unwrap().to_string();
                    store.lock().unwrap().push((auth, body.0));
                    axum::http::StatusCode::ACCEPTED
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, provider).await.unwrap() });
    (url, seen)
}

/// The 6-digit code in a message.
pub fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_string()
}

/// Signs the patient with `email` in through the API; the access token.
pub async fn patient_token(app: &TestApp, email: &str) -> String {
    portal_sign_in(app, "email", email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The newest message of `purpose` to `to` in the outbox, if any.
pub async fn last_message(
    app: &TestApp,
    to: &str,
    purpose: &str,
) -> Option<hospitallink::domain::platform::outbox::OutboxItem> {
    hospitallink::services::platform::outbox::list(
        &app.core,
        &hospitallink::policy::Caller::system(),
        Default::default(),
    )
    .await
    .unwrap()
    .data
    .into_iter()
    .find(|m| m.to == to && m.purpose == purpose)
}

/// Signs a patient or proxy in through the API with the code sent to their `field` (`email` or
/// `phone`, written as the outbox addresses it); the token response.
pub async fn portal_sign_in(app: &TestApp, field: &str, address: &str) -> serde_json::Value {
    let (status, _) = app
        .post_json(
            "/api/v1/auth/patient/request-otp",
            None,
            serde_json::json!({ field: address }),
        )
        .await;
    assert_eq!(status, 202);
    let body = last_message(app, address, "otp")
        .await
        .expect("a code message")
        .body;
    let (status, tokens) = app
        .post_json(
            "/api/v1/auth/patient/verify-otp",
            None,
            serde_json::json!({ field: address, "code": code_in(&body) }),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// Adds a record through the API as `token`; its id.
pub async fn add_record(
    app: &TestApp,
    token: &str,
    patient: &str,
    record: serde_json::Value,
) -> String {
    let r = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/patients/{patient}/records"),
        token,
        Some(record),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// Uploads a signed consent form (a small PDF) on the patient as `token`; its id.
pub async fn consent_form(app: &TestApp, token: &str, patient: &str) -> String {
    let pdf = b"%PDF-1.4\n% signed consent\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("kind", "consent_form")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("consent.pdf")
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
    let body: serde_json::Value = r.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}
