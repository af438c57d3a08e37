//! The sharing matrix: every read path of a patient's data, for the hospital that wrote it and
//! for another hospital linked to the patient, in every sharing state (no grant, a grant of
//! each category, an expired or revoked grant, break-glass open or over), asserting exactly
//! which records, documents and fields come back. Runs on SQLite and, with
//! `TEST_DATABASE_URL`, on PostgreSQL.

use crate::common;

use std::collections::BTreeSet;

use common::{call, hospital, member, spawn_app, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    NoGrant,
    Grant(&'static str),
    GrantExpired,
    GrantRevoked,
    BreakGlass,
    BreakGlassOver,
}

impl State {
    /// The categories of Kisumu's data Mbarara's clinician may read in this state.
    fn open(self) -> BTreeSet<&'static str> {
        match self {
            State::Grant(c) => BTreeSet::from([c]),
            State::BreakGlass => BTreeSet::from(["labs", "art", "clinical_notes", "demographics"]),
            _ => BTreeSet::new(),
        }
    }
}

/// What Kisumu wrote about one patient, by category.
struct Written {
    patient: String,
    /// (record id, category)
    records: Vec<(String, &'static str)>,
    /// (document id, category)
    documents: Vec<(String, &'static str)>,
    ksm_vl: String,
    mbr_vl: String,
    mbr_form: String,
}

async fn upload(app: &TestApp, token: &str, patient: &str, kind: &str) -> String {
    let pdf = format!("%PDF-1.4\n% {kind} {}\n%%EOF\n", Uuid::now_v7()).into_bytes();
    let form = reqwest::multipart::Form::new()
        .text("kind", kind.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("doc.pdf")
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
    let body: Value = r.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn add(app: &TestApp, token: &str, patient: &str, record: Value) -> String {
    let r = call(
        app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/records"),
        token,
        Some(record),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// A patient registered at Kisumu with a record of every category and two documents, linked
/// at Mbarara, which wrote an older viral load and uploaded the patient's signed form.
async fn written(app: &TestApp, kisumu: &str, mbarara: &str, n: usize) -> Written {
    let national = format!("KE-MATRIX-{n:04}");
    let r = call(
        app,
        Method::POST,
        "/api/v1/patients",
        kisumu,
        Some(
            json!({"first_name": "Matrix", "last_name": format!("Patient{n}"),
                    "date_of_birth": "1988-08-08", "sex": "female",
                    "phone": format!("+2547119{n:05}"), "national_id": national}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let patient = r.body["id"].as_str().unwrap().to_string();
    let ksm_vl = add(app, kisumu, &patient, json!({"record_type": "viral_load", "recorded_at": "2026-06-01", "payload": {"copies_per_ml": 5000}})).await;
    let art = add(app, kisumu, &patient, json!({"record_type": "art_regimen", "recorded_at": "2024-01-01", "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "start"}})).await;
    let note = add(
        app,
        kisumu,
        &patient,
        json!({"record_type": "adherence_note", "payload": {"text": "Matrix note"}}),
    )
    .await;
    let allergy = add(
        app,
        kisumu,
        &patient,
        json!({"record_type": "allergy", "payload": {"substance": "Nevirapine"}}),
    )
    .await;
    let scan = upload(app, kisumu, &patient, "scan").await;
    let form = upload(app, kisumu, &patient, "consent_form").await;
    let link = call(
        app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        mbarara,
        Some(json!({"national_id": national})),
    )
    .await;
    assert_eq!(link.status, 201, "{}", link.body);
    let mbr_vl = add(app, mbarara, &patient, json!({"record_type": "viral_load", "recorded_at": "2026-01-01", "payload": {"copies_per_ml": 900}})).await;
    let mbr_form = upload(app, mbarara, &patient, "consent_form").await;
    Written {
        patient,
        records: vec![
            (ksm_vl.clone(), "labs"),
            (art, "art"),
            (note, "clinical_notes"),
            (allergy, "clinical_notes"),
        ],
        documents: vec![(scan, "clinical_notes"), (form, "demographics")],
        ksm_vl,
        mbr_vl,
        mbr_form,
    }
}

async fn grant(app: &TestApp, mbarara: &str, mbr: Uuid, w: &Written, category: &str) -> String {
    let r = call(
        app,
        Method::POST,
        &format!("/api/v1/patients/{}/consent", w.patient),
        mbarara,
        Some(
            json!({"hospital_id": mbr, "categories": [category], "purpose": "treatment",
                    "consent_form_id": w.mbr_form}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn put_in_state(app: &TestApp, mbarara: &str, mbr: Uuid, w: &Written, state: State) {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    match state {
        State::NoGrant => {}
        State::Grant(c) => {
            grant(app, mbarara, mbr, w, c).await;
        }
        State::GrantExpired => {
            let id: Uuid = grant(app, mbarara, mbr, w, "labs").await.parse().unwrap();
            use hospitallink::entities::consent_grant as g;
            let mut row: g::ActiveModel = g::Entity::find_by_id(id)
                .one(&app.core.db)
                .await
                .unwrap()
                .unwrap()
                .into();
            row.expires_at = Set(Some(past));
            row.update(&app.core.db).await.unwrap();
        }
        State::GrantRevoked => {
            let id = grant(app, mbarara, mbr, w, "labs").await;
            let r = call(
                app,
                Method::PUT,
                &format!("/api/v1/grants/{id}/revoke"),
                mbarara,
                None,
            )
            .await;
            assert_eq!(r.status, 200);
        }
        State::BreakGlass | State::BreakGlassOver => {
            let r = call(
                app,
                Method::POST,
                &format!("/api/v1/patients/{}/break-glass", w.patient),
                mbarara,
                Some(json!({"reason": "Matrix emergency needs the whole record"})),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            if state == State::BreakGlassOver {
                use hospitallink::entities::break_glass_session as b;
                let id: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
                let mut row: b::ActiveModel = b::Entity::find_by_id(id)
                    .one(&app.core.db)
                    .await
                    .unwrap()
                    .unwrap()
                    .into();
                row.ends_at = Set(past);
                row.update(&app.core.db).await.unwrap();
            }
        }
    }
}

fn ids(body: &Value) -> BTreeSet<String> {
    body["data"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every read path as `token`, checked against the categories `open` to it of Kisumu's part
/// (`None`: Kisumu itself, which sees all it wrote).
async fn check(
    app: &TestApp,
    token: &str,
    w: &Written,
    open: Option<&BTreeSet<&str>>,
    label: &str,
) {
    let sees = |category: &str| open.is_none_or(|o| o.contains(category));
    let kisumu = open.is_none();
    // Records: the list and each one.
    let list = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{}/records?per_page=100", w.patient),
        token,
        None,
    )
    .await;
    assert_eq!(list.status, 200, "{label}");
    let mut expected: BTreeSet<String> = w
        .records
        .iter()
        .filter(|(_, c)| sees(c))
        .map(|(id, _)| id.clone())
        .collect();
    // Mbarara always sees its own viral load; Kisumu never does (no grant to Kisumu here).
    if !kisumu {
        expected.insert(w.mbr_vl.clone());
    }
    assert_eq!(ids(&list.body), expected, "{label}: the records list");
    for (id, c) in &w.records {
        let one = call(
            app,
            Method::GET,
            &format!("/api/v1/records/{id}"),
            token,
            None,
        )
        .await;
        assert_eq!(
            one.status,
            if sees(c) { 200 } else { 404 },
            "{label}: record {c}"
        );
    }
    // The summary: the newest visible viral load, the regimen with `art`, the count withheld.
    let summary = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{}/summary", w.patient),
        token,
        None,
    )
    .await;
    assert_eq!(summary.status, 200, "{label}");
    let latest = if sees("labs") { &w.ksm_vl } else { &w.mbr_vl };
    assert_eq!(
        summary.body["latest_viral_load"]["record_id"],
        latest.as_str(),
        "{label}: latest VL"
    );
    assert_eq!(
        summary.body["current_regimen"].is_object(),
        sees("art"),
        "{label}: regimen"
    );
    let all_open = ["labs", "art", "clinical_notes"].iter().all(|c| sees(c));
    // Kisumu cannot see Mbarara's viral load: one hospital withheld from it too.
    let withheld = if kisumu { 1 } else { u64::from(!all_open) };
    assert_eq!(
        summary.body["hospitals_withheld"].as_u64(),
        Some(withheld),
        "{label}: withheld"
    );
    // Documents: the list and each download.
    let docs = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{}/attachments", w.patient),
        token,
        None,
    )
    .await;
    assert_eq!(docs.status, 200, "{label}");
    let mut expected: BTreeSet<String> = w
        .documents
        .iter()
        .filter(|(_, c)| sees(c))
        .map(|(id, _)| id.clone())
        .collect();
    if !kisumu {
        expected.insert(w.mbr_form.clone());
    }
    assert_eq!(ids(&docs.body), expected, "{label}: the documents list");
    for (id, c) in &w.documents {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/attachments/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            if sees(c) { 200 } else { 404 },
            "{label}: document {c}"
        );
    }
    // The profile's contact details.
    let profile = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{}", w.patient),
        token,
        None,
    )
    .await;
    assert_eq!(
        profile.body["contact_withheld"],
        !sees("demographics"),
        "{label}: contact"
    );
    assert_eq!(
        profile.body["phone"].is_string(),
        sees("demographics"),
        "{label}: phone"
    );
    // The chart (server function): the same records and the same contact rule.
    let chart = app
        .client
        .post(app.url("/_fn/patients/chart"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .form(&[("id", w.patient.as_str()), ("types", ""), ("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(chart.status(), 200, "{label}: chart");
    let chart: Value = chart.json().await.unwrap();
    let shown: BTreeSet<String> = chart["records"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown, ids(&list.body), "{label}: the chart's records");
    for row in chart["records"]["data"].as_array().unwrap() {
        let from_kisumu = w.records.iter().any(|(id, _)| row["id"] == id.as_str());
        assert_eq!(
            row["source"].is_string(),
            from_kisumu && !kisumu,
            "{label}: a record is labelled with its source exactly when written elsewhere"
        );
    }
    assert_eq!(
        chart["patient"]["contact_withheld"],
        !sees("demographics"),
        "{label}: chart contact"
    );
}

#[tokio::test]
async fn every_read_path_shows_exactly_what_the_sharing_state_opens() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let states = [
        State::NoGrant,
        State::Grant("labs"),
        State::Grant("art"),
        State::Grant("clinical_notes"),
        State::Grant("demographics"),
        State::GrantExpired,
        State::GrantRevoked,
        State::BreakGlass,
        State::BreakGlassOver,
    ];
    for (n, state) in states.into_iter().enumerate() {
        let w = written(&app, &kisumu, &mbarara, n).await;
        put_in_state(&app, &mbarara, mbr, &w, state).await;
        let label = format!("{state:?}");
        check(
            &app,
            &mbarara,
            &w,
            Some(&state.open()),
            &format!("Mbarara, {label}"),
        )
        .await;
        check(&app, &kisumu, &w, None, &format!("Kisumu, {label}")).await;
    }
    app.cleanup().await;
}
