//! Sign-in load run against a running server (see `scripts/bench.sh`): patient one-time-code
//! verifications per second, staff password sign-ins per second, the p99 of a cheap endpoint
//! with and without a flood of 50 sign-ins a second, and the medians of code requests for
//! known and unknown addresses (which must not differ).
//!
//! It shares the server's environment (`DATA_DIR`, `DATABASE_URL`, secrets) to prepare the
//! data through the domain core: patients, their codes (read back from the outbox) and a staff
//! account. Then it only talks HTTP to `BENCH_URL`.

use hospitallink::config::Config;
use hospitallink::domain::identity::auth::OtpRequest;
use hospitallink::domain::identity::role::Role;
use hospitallink::domain::page::PageRequest;
use hospitallink::policy::{Caller, RequestMeta};
use hospitallink::services::clinical::patients;
use hospitallink::services::identity::{otp, staff};
use hospitallink::services::platform::outbox;
use hospitallink::services::Core;
use sea_orm::EntityTrait;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench sign-in passphrase";

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(name: &str, mut latencies: Vec<Duration>, elapsed: Duration, ok: usize) {
    latencies.sort();
    println!(
        "{name:34} {:8.0} /s   p50 {:7.2} ms   p99 {:7.2} ms   ok {ok}/{}",
        ok as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.len()
    );
}

async fn prepare(core: &Core, n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let txn = hospitallink::db::begin_write(&core.db).await?;
    for i in 0..n {
        patients::insert(
            core,
            &txn,
            &hospitallink::domain::clinical::patient::ValidPatient {
                first_name: format!("Bench{i}"),
                last_name: "Patient".into(),
                date_of_birth: "1990-01-01".parse()?,
                sex: "other".into(),
                email: Some(format!("bench{i}@example.org")),
                phone: None,
                national_id: None,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    txn.commit().await?;
    let meta = RequestMeta {
        ip: Some("10.0.0.1".into()),
        ..Default::default()
    };
    for i in 0..n {
        let request = OtpRequest {
            email: Some(format!("bench{i}@example.org")),
            phone: None,
        };
        otp::request(core, &meta, &request)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut codes = Vec::new();
    for page in 1.. {
        let items = outbox::list(
            core,
            &Caller::system(),
            PageRequest {
                page,
                per_page: 100,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        for m in &items.data {
            if m.purpose == "otp" && m.to.starts_with("bench") {
                let code = m
                    .body
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .unwrap_or_default()
                    .to_string();
                codes.push((m.to.clone(), code));
            }
        }
        if !items.pagination.has_next {
            break;
        }
    }
    Ok(codes)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hospitallink::config::load_dotenv();
    let url = std::env::var("BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:3200".into());
    let patients_n: usize = std::env::var("BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let config = Config::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let (core, _) = server::prepare_core(Config {
        seed_demo: false,
        ..config
    })
    .await?;
    let codes = prepare(&core, patients_n).await?;
    let email = format!("bench-{}@example.org", uuid::Uuid::now_v7().simple());
    let hash = staff::hash_password(PASSWORD.into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = hospitallink::db::begin_write(&core.db).await?;
    let hospital = hospitallink::entities::hospital::Entity::find()
        .one(&txn)
        .await?
        .map(|h| h.id);
    staff::insert_account(
        &core,
        &txn,
        staff::NewAccount {
            email: email.clone(),
            display_name: "Bench".into(),
            role: Role::Clinician,
            hospital_id: hospital,
            password_hash: hash,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let concurrency = 50;
    println!(
        "HospitalLink sign-in load run: {} cores, {concurrency} concurrent clients, release build, SQLite",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );

    // 1. One-time-code verifications: every patient signs in once with their code.
    let codes = Arc::new(codes);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, codes, next, url) = (client.clone(), codes.clone(), next.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut ok = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((email, code)) = codes.get(i) else {
                    break;
                };
                let t = Instant::now();
                let r = client
                    .post(format!("{url}/api/v1/auth/patient/verify-otp"))
                    .json(&serde_json::json!({"email": email, "code": code}))
                    .send()
                    .await;
                out.push(t.elapsed());
                if r.map(|r| r.status().is_success()).unwrap_or(false) {
                    ok += 1;
                }
            }
            (out, ok)
        }));
    }
    let (mut all, mut ok) = (Vec::new(), 0);
    for t in tasks {
        let (l, k) = t.await?;
        all.extend(l);
        ok += k;
    }
    summary("OTP verifications", all, started.elapsed(), ok);

    // 2. Password sign-ins for 10 s.
    let login = {
        let (client, url, email) = (client.clone(), url.clone(), email.clone());
        move || {
            let (client, url, email) = (client.clone(), url.clone(), email.clone());
            async move {
                let t = Instant::now();
                let r = client
                    .post(format!("{url}/api/v1/auth/admin/login"))
                    .json(&serde_json::json!({"email": email, "password": PASSWORD}))
                    .send()
                    .await;
                (
                    t.elapsed(),
                    r.map(|r| r.status().is_success()).unwrap_or(false),
                )
            }
        }
    };
    let window = Duration::from_secs(10);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let login = login.clone();
        tasks.push(tokio::spawn(async move {
            let (mut out, mut ok) = (Vec::new(), 0);
            while started.elapsed() < window {
                let (d, success) = login().await;
                out.push(d);
                ok += success as usize;
            }
            (out, ok)
        }));
    }
    let (mut all, mut ok) = (Vec::new(), 0);
    for t in tasks {
        let (l, k) = t.await?;
        all.extend(l);
        ok += k;
    }
    summary("password sign-ins", all, started.elapsed(), ok);

    // 3. A cheap endpoint, alone and under a flood of 50 sign-ins a second.
    let cheap = |flood: bool| {
        let (client, url, login) = (client.clone(), url.clone(), login.clone());
        async move {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flood_task = flood.then(|| {
                let (stop, login) = (stop.clone(), login.clone());
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(20));
                    while !stop.load(Ordering::Relaxed) {
                        tick.tick().await;
                        tokio::spawn(login());
                    }
                })
            });
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..10 {
                let (client, url) = (client.clone(), url.clone());
                tasks.push(tokio::spawn(async move {
                    let (mut out, mut ok) = (Vec::new(), 0);
                    while started.elapsed() < Duration::from_secs(10) {
                        let t = Instant::now();
                        let r = client
                            .get(format!("{url}/api/v1/hospitals?per_page=5"))
                            .send()
                            .await;
                        out.push(t.elapsed());
                        ok += r.map(|r| r.status().is_success()).unwrap_or(false) as usize;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    (out, ok)
                }));
            }
            let (mut all, mut ok) = (Vec::new(), 0);
            for t in tasks {
                let (l, k) = t.await.unwrap();
                all.extend(l);
                ok += k;
            }
            stop.store(true, Ordering::Relaxed);
            if let Some(f) = flood_task {
                let _ = f.await;
            }
            (all, started.elapsed(), ok)
        }
    };
    let (l, e, ok) = cheap(false).await;
    summary("GET /api/v1/hospitals alone", l, e, ok);
    let (l, e, ok) = cheap(true).await;
    summary("GET /api/v1/hospitals + 50 logins/s", l, e, ok);

    // 4. Code requests for addresses a patient has and for addresses nobody has, one at a
    //    time and interleaved: the answer must not take longer for either.
    let pairs = codes.len().min(1000);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..pairs {
        for (to, out) in [
            (codes[i].0.clone(), &mut known),
            (format!("nobody{i}@example.org"), &mut unknown),
        ] {
            let t = Instant::now();
            let r = client
                .post(format!("{url}/api/v1/auth/patient/request-otp"))
                .json(&serde_json::json!({ "email": to }))
                .send()
                .await?;
            out.push(t.elapsed());
            anyhow::ensure!(r.status() == 202, "a code request answered {}", r.status());
        }
    }
    known.sort();
    unknown.sort();
    println!(
        "code requests, one at a time ({pairs} each): known address p50 {:.3} ms p90 {:.3} ms; unknown address p50 {:.3} ms p90 {:.3} ms",
        percentile(&known, 0.5),
        percentile(&known, 0.9),
        percentile(&unknown, 0.5),
        percentile(&unknown, 0.9),
    );
    Ok(())
}
