//! Spawns the real application on port 0 against a fresh database: a SQLite file in a temp
//! directory, or, when `TEST_DATABASE_URL` is set, a new PostgreSQL database created for the
//! test and dropped after it.

#![allow(dead_code)]

use hospitallink::config::Config;
use sea_orm::{ConnectionTrait, Database};
use server::Application;
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Settings for a production-mode instance.
pub const PRODUCTION: [(&str, &str); 4] = [
    ("APP_ENV", "production"),
    ("APP_URL", "https://hospitallink.example.org"),
    ("JWT_SECRET", "6b1f0c2e9d8a7b3c4e5f60718293a4b5c6d7e8f9"),
    (
        "ENCRYPTION_KEY",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
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
        self.core.db.clone().close().await.ok();
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
