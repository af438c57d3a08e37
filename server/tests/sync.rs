//! Sync across hospitals: Kisumu's EHR uploads a day's patients and results by its own ids
//! (twice, without duplicates); Mbarara's system reads through the changes feed exactly what
//! Amina's grant allows, and nothing once it is revoked; the feed misses nothing and repeats
//! nothing while writers commit at once; idempotency keys hold under concurrent retries.

use crate::common;

use common::{call, consent_form, hospital, member, spawn_app, TestApp};
use hospitallink::domain::identity::role::Role;
use hospitallink::policy::Caller;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// An integration client of `hospital` holding `scopes`, with its secret.
async fn client(
    app: &TestApp,
    hospital: Uuid,
    scopes: &[&str],
) -> hospitallink::domain::integration::ApiClientSecret {
    let input = hospitallink::domain::integration::ClientInput {
        name: Some("Hospital system".into()),
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
    };
    hospitallink::services::integration::clients::create(
        &app.core,
        &Caller::system(),
        hospital,
        &input,
    )
    .await
    .unwrap()
}

/// A token of an integration client of `hospital` holding `scopes`.
async fn client_token(app: &TestApp, hospital: Uuid, scopes: &[&str]) -> String {
    let client = client(app, hospital, scopes).await;
    let (status, answer) = app
        .post_json(
            "/api/v1/auth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": client.client_id,
                   "client_secret": client.client_secret}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["access_token"].as_str().unwrap().to_string()
}

const EHR_SCOPES: [&str; 6] = [
    "sync",
    "patients.read",
    "patients.write",
    "records.read",
    "records.write",
    "labs.write",
];

struct Upload {
    status: u16,
    replayed: bool,
    body: Value,
}

async fn upload(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> Upload {
    let mut r = app
        .client
        .post(app.url("/api/v1/sync/upload"))
        .bearer_auth(token)
        .json(body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    Upload {
        status,
        replayed,
        body: r.json().await.unwrap_or(Value::Null),
    }
}

fn day(vl: f64) -> Value {
    json!({
        "patients": [
            {"external_id": "EHR-P-1", "patient": {"first_name": "Amina", "last_name": "Odhiambo",
             "date_of_birth": "1990-04-12", "sex": "female", "phone": "+254700555101",
             "national_id": "KE-7001"}},
            {"external_id": "EHR-P-2", "patient": {"first_name": "Baraka", "last_name": "Mwangi",
             "date_of_birth": "1985-02-01", "sex": "male"}}
        ],
        "records": [
            {"external_id": "LAB-1", "patient_external_id": "EHR-P-1",
             "record": {"record_type": "viral_load", "recorded_at": "2026-11-02",
                        "payload": {"copies_per_ml": vl}}},
            {"external_id": "LAB-2", "patient_external_id": "EHR-P-1",
             "record": {"record_type": "cd4", "recorded_at": "2026-11-02",
                        "payload": {"cells_per_ul": 512}}},
            {"external_id": "NOTE-1", "patient_external_id": "EHR-P-1",
             "record": {"record_type": "adherence_note", "recorded_at": "2026-11-02",
                        "payload": {"text": "Takes doses with the evening meal."}}},
            {"external_id": "LAB-3", "patient_external_id": "EHR-P-2",
             "record": {"record_type": "viral_load", "recorded_at": "2026-11-02",
                        "payload": {"copies_per_ml": 40, "comparator": "<"}}}
        ]
    })
}

fn statuses(result: &Value, list: &str) -> Vec<String> {
    result[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

async fn count_records(app: &TestApp) -> u64 {
    use hospitallink::entities::clinical_record;
    use sea_orm::{EntityTrait, PaginatorTrait};
    clinical_record::Entity::find()
        .count(&app.core.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hospital_system_uploads_a_day_twice_without_duplicates() {
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let mbr = hospital(&app, "MBR").await;
    let ehr = client_token(&app, ksm, &EHR_SCOPES).await;

    // First upload: everything created, patients before the records that name them.
    let first = upload(&app, &ehr, Some("day-2026-11-02"), &day(12000.0)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!first.replayed);
    assert_eq!(statuses(&first.body, "patients"), ["created", "created"]);
    assert_eq!(
        statuses(&first.body, "records"),
        ["created", "created", "created", "created"]
    );
    assert_eq!(first.body["counts"]["created"], 6);
    let before = count_records(&app).await;
    assert_eq!(before, 4);
    let amina = first.body["patients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let vl = first.body["records"][0]["id"].as_str().unwrap().to_string();

    // The same key and body: the first answer again, nothing done twice.
    let again = upload(&app, &ehr, Some("day-2026-11-02"), &day(12000.0)).await;
    assert_eq!(again.status, 200);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(count_records(&app).await, before);
    // The same key with another body: refused.
    let other = upload(&app, &ehr, Some("day-2026-11-02"), &day(9000.0)).await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.body["code"], "idempotency_key_reused");
    // A new key with the same items: each found unchanged, nothing written.
    let resent = upload(&app, &ehr, Some("day-2026-11-02-resent"), &day(12000.0)).await;
    assert_eq!(resent.body["counts"]["unchanged"], 6, "{}", resent.body);
    assert_eq!(count_records(&app).await, before);

    // The lab corrects the viral load: a correction superseding the first, never an edit.
    let corrected = upload(&app, &ehr, Some("day-2026-11-02-fix"), &day(9000.0)).await;
    assert_eq!(
        statuses(&corrected.body, "records"),
        ["updated", "unchanged", "unchanged", "unchanged"]
    );
    let fix = corrected.body["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fix, vl);
    let old = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{vl}"),
        &ehr,
        None,
    )
    .await;
    assert_eq!(old.body["superseded_by"], fix.as_str());
    assert_eq!(old.body["payload"]["copies_per_ml"], 12000.0);
    let new = call(
        &app,
        Method::GET,
        &format!("/api/v1/records/{fix}"),
        &ehr,
        None,
    )
    .await;
    assert_eq!(new.body["supersedes"], vl.as_str());

    // One bad item never loses the others; each refusal names its fields as sent.
    let mixed = json!({"records": [
        {"external_id": "LAB-4", "patient_external_id": "EHR-P-1",
         "record": {"record_type": "viral_load", "payload": {"copies_per_ml": -5}}},
        {"external_id": "LAB-5", "patient_external_id": "EHR-P-404",
         "record": {"record_type": "cd4", "payload": {"cells_per_ul": 300}}},
        {"external_id": "bad id", "patient_external_id": "EHR-P-1",
         "record": {"record_type": "cd4", "payload": {"cells_per_ul": 300}}},
        {"external_id": "LAB-6", "patient_id": amina,
         "record": {"record_type": "cd4", "recorded_at": "2026-11-03", "payload": {"cells_per_ul": 530}}}
    ]});
    let mixed = upload(&app, &ehr, Some("mixed"), &mixed).await;
    assert_eq!(mixed.status, 200, "{}", mixed.body);
    assert_eq!(
        statuses(&mixed.body, "records"),
        ["refused", "refused", "refused", "created"]
    );
    let records = &mixed.body["records"];
    assert_eq!(records[0]["error_status"], 400);
    assert!(
        records[0]["error"]["fields"]["record.payload.copies_per_ml"].is_array(),
        "{}",
        records[0]
    );
    assert!(records[1]["error"]["fields"]["patient_external_id"].is_array());
    assert!(records[2]["error"]["fields"]["external_id"].is_array());
    assert_eq!(mixed.body["counts"]["refused"], 3);

    // A patient registered at another hospital is refused with the link flow, or linked when
    // the item asks for it (the national identifier it carries is the proof).
    let mbr_ehr = client_token(&app, mbr, &EHR_SCOPES).await;
    let amina_at_mbr = json!({"patients": [{"external_id": "MBR-77", "patient": {
        "first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1990-04-12",
        "sex": "female", "national_id": "KE-7001"}}]});
    let refused = upload(&app, &mbr_ehr, Some("mbr-1"), &amina_at_mbr).await;
    assert_eq!(refused.body["patients"][0]["status"], "refused");
    assert_eq!(
        refused.body["patients"][0]["error"]["code"],
        "patient_exists"
    );
    assert_eq!(refused.body["patients"][0]["error_status"], 409);
    let mut linking = amina_at_mbr.clone();
    linking["patients"][0]["link_existing"] = json!(true);
    let linked = upload(&app, &mbr_ehr, Some("mbr-2"), &linking).await;
    assert_eq!(
        linked.body["patients"][0]["status"], "linked",
        "{}",
        linked.body
    );
    assert_eq!(linked.body["patients"][0]["id"], amina.as_str());

    // The envelope's own problems are 400s naming the field; a sync scope is needed.
    assert_eq!(upload(&app, &ehr, None, &day(1.0)).await.status, 400);
    let blank = upload(&app, &ehr, Some("has space"), &day(1.0)).await;
    assert!(blank.body["fields"]["Idempotency-Key"].is_array());
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"external_id": format!("R{i}"), "patient_id": amina, "record": {}}))
        .collect();
    let too_many = upload(&app, &ehr, Some("many"), &json!({"records": many})).await;
    assert_eq!(too_many.status, 400);
    assert!(too_many.body["fields"]["records"].is_array());
    let no_sync = client_token(&app, ksm, &["records.write", "labs.write"]).await;
    assert_eq!(
        upload(&app, &no_sync, Some("k"), &day(1.0)).await.status,
        403
    );
    let unknown = upload(&app, &ehr, Some("u"), &json!({"items": []})).await;
    assert_eq!(unknown.status, 400);
    app.cleanup().await;
}

/// Every page of the feed from `since` to its end, with the cursor it ends at.
async fn read_feed(app: &TestApp, token: &str, since: &str) -> (Vec<Value>, String) {
    let mut changes = Vec::new();
    let mut cursor = since.to_string();
    loop {
        let page = call(
            app,
            Method::GET,
            &format!("/api/v1/sync/changes?since={cursor}&limit=50"),
            token,
            None,
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.body);
        changes.extend(page.body["changes"].as_array().unwrap().iter().cloned());
        cursor = page.body["next_cursor"].as_str().unwrap().to_string();
        if page.body["has_more"] == false {
            return (changes, cursor);
        }
    }
}

fn record_ids(changes: &[Value]) -> BTreeSet<String> {
    changes
        .iter()
        .filter(|c| c["entity"] == "record" && c["deleted"] == false)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_changes_feed_carries_what_the_hospital_may_see_now() {
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let mbr = hospital(&app, "MBR").await;
    let kisumu_ehr = client_token(&app, ksm, &EHR_SCOPES).await;
    let mbarara_system = client_token(&app, mbr, &["sync", "patients.read", "records.read"]).await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;

    let first = upload(&app, &kisumu_ehr, Some("day-1"), &day(12000.0)).await;
    let amina = first.body["patients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ksm_vl = first.body["records"][0]["id"].as_str().unwrap().to_string();
    let ksm_cd4 = first.body["records"][1]["id"].as_str().unwrap().to_string();
    let ksm_note = first.body["records"][2]["id"].as_str().unwrap().to_string();

    // Kisumu's own feed: its patients and records, with its own ids.
    let (own, _) = read_feed(&app, &kisumu_ehr, "").await;
    assert_eq!(record_ids(&own).len(), 4);
    assert!(own.iter().any(|c| c["entity"] == "patient"));
    // A system that reads records but not patients gets the records and no profile.
    let lab_reader = client_token(&app, ksm, &["sync", "records.read"]).await;
    let (records_only, _) = read_feed(&app, &lab_reader, "").await;
    assert_eq!(record_ids(&records_only).len(), 4);
    assert!(
        records_only.iter().all(|c| c["entity"] == "record"),
        "{records_only:?}"
    );
    let vl_change = own.iter().find(|c| c["id"] == ksm_vl.as_str()).unwrap();
    assert_eq!(vl_change["external_id"], "LAB-1");
    assert_eq!(vl_change["record"]["payload"]["copies_per_ml"], 12000.0);

    // Mbarara links Amina: her profile reaches its feed without the contact details; none of
    // Kisumu's records do.
    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{amina}/links"),
        &mbarara,
        Some(json!({"national_id": "KE-7001"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    let (seen, cursor) = read_feed(&app, &mbarara_system, "").await;
    assert!(record_ids(&seen).is_empty(), "{seen:?}");
    let profile = seen.iter().find(|c| c["entity"] == "patient").unwrap();
    assert_eq!(profile["id"], amina.as_str());
    assert_eq!(profile["patient"]["contact_withheld"], true);
    assert_eq!(profile["patient"]["phone"], Value::Null);

    // Amina lets Mbarara see her labs: read on from the cursor, the labs come, the note not.
    let form = consent_form(&app, &mbarara, &amina).await;
    let grant = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{amina}/consent"),
        &mbarara,
        Some(
            json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment",
                    "consent_form_id": form}),
        ),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.body);
    let (opened, cursor) = read_feed(&app, &mbarara_system, &cursor).await;
    assert_eq!(
        record_ids(&opened),
        BTreeSet::from([ksm_vl.clone(), ksm_cd4.clone()]),
        "the labs the grant opens, not the note"
    );
    let vl_there = opened.iter().find(|c| c["id"] == ksm_vl.as_str()).unwrap();
    assert_eq!(
        vl_there["hospital_id"],
        ksm.to_string(),
        "labelled with its source"
    );
    assert_eq!(
        vl_there["external_id"],
        Value::Null,
        "Kisumu's ids stay Kisumu's"
    );
    // A new Kisumu result arrives through the feed as it is written; the note never does.
    let later = json!({"records": [
        {"external_id": "LAB-9", "patient_external_id": "EHR-P-1",
         "record": {"record_type": "viral_load", "recorded_at": "2026-11-20", "payload": {"copies_per_ml": 400}}},
        {"external_id": "NOTE-9", "patient_external_id": "EHR-P-1",
         "record": {"record_type": "adherence_note", "recorded_at": "2026-11-20", "payload": {"text": "Missed two doses."}}}
    ]});
    let later = upload(&app, &kisumu_ehr, Some("day-2"), &later).await;
    let new_vl = later.body["records"][0]["id"].as_str().unwrap().to_string();
    let (next, cursor) = read_feed(&app, &mbarara_system, &cursor).await;
    assert_eq!(record_ids(&next), BTreeSet::from([new_vl.clone()]));
    assert!(!next.iter().any(|c| c["id"] == ksm_note.as_str()));

    // Every feed read is in Amina's access log, as a hospital system.
    let log = app
        .client
        .get(app.url("/api/v1/audit"))
        .query(&[("patient_id", amina.as_str()), ("entity", "sync_changes")])
        .bearer_auth(member(&app, Role::HospitalAdmin, mbr, "mbr-admin").await.1)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(log["data"].as_array().unwrap().len() >= 3, "{log}");
    assert!(log["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_type"] == "client"));

    // Revoked: the feed stops at once, from the start as from the cursor.
    let grant_id = grant.body["id"].as_str().unwrap();
    let revoked = call(
        &app,
        Method::PUT,
        &format!("/api/v1/grants/{grant_id}/revoke"),
        &mbarara,
        None,
    )
    .await;
    assert_eq!(revoked.status, 200);
    let (all, _) = read_feed(&app, &mbarara_system, "").await;
    assert!(record_ids(&all).is_empty(), "{all:?}");
    let after = json!({"records": [{"external_id": "LAB-10", "patient_external_id": "EHR-P-1",
         "record": {"record_type": "cd4", "recorded_at": "2026-11-21", "payload": {"cells_per_ul": 480}}}]});
    upload(&app, &kisumu_ehr, Some("day-3"), &after).await;
    let (nothing, _) = read_feed(&app, &mbarara_system, &cursor).await;
    assert!(record_ids(&nothing).is_empty());

    // A deleted record comes to its hospital's feed as a tombstone, with nothing of it.
    let (_, ksm_cursor) = read_feed(&app, &kisumu_ehr, "").await;
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/records/{ksm_note}")))
        .bearer_auth(&kisumu)
        .json(&json!({"justification": "Entered for the wrong patient"}))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let (tombstones, _) = read_feed(&app, &kisumu_ehr, &ksm_cursor).await;
    assert_eq!(tombstones.len(), 1, "{tombstones:?}");
    assert_eq!(tombstones[0]["id"], ksm_note.as_str());
    assert_eq!(tombstones[0]["deleted"], true);
    assert_eq!(tombstones[0]["record"], Value::Null);

    // A cursor this server did not give is named.
    let bad = call(
        &app,
        Method::GET,
        "/api/v1/sync/changes?since=yesterday",
        &kisumu_ehr,
        None,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["fields"]["since"].is_array());
    // Without the sync scope: 403.
    let (_, clinician) = member(&app, Role::Clinician, ksm, "ksm-2").await;
    assert_eq!(
        call(&app, Method::GET, "/api/v1/sync/changes", &clinician, None)
            .await
            .status,
        403
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_feed_misses_nothing_and_repeats_nothing_while_writers_commit_at_once() {
    const WRITERS: usize = 8;
    const EACH: usize = 15;
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let ehr = client_token(&app, ksm, &EHR_SCOPES).await;
    let (_, clinician) = member(&app, Role::Clinician, ksm, "ksm").await;
    let mut patients = Vec::new();
    for w in 0..WRITERS {
        let p = call(
            &app,
            Method::POST,
            "/api/v1/patients",
            &clinician,
            Some(
                json!({"first_name": format!("Writer{w}"), "last_name": "Feed",
                        "date_of_birth": "1980-01-01", "sex": "other"}),
            ),
        )
        .await;
        patients.push(p.body["id"].as_str().unwrap().to_string());
    }
    let (_, start) = read_feed(&app, &ehr, "").await;

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers = patients.iter().map(|p| {
        let (app, clinician, p) = (&app, &clinician, p.clone());
        async move {
            let mut ids = Vec::new();
            for i in 0..EACH {
                let r = call(
                    app,
                    Method::POST,
                    &format!("/api/v1/patients/{p}/records"),
                    clinician,
                    Some(json!({"record_type": "cd4", "payload": {"cells_per_ul": 300 + i}})),
                )
                .await;
                assert_eq!(r.status, 201, "{}", r.body);
                ids.push(r.body["id"].as_str().unwrap().to_string());
            }
            ids
        }
    });
    // A reader polls the feed all along, reading on from each cursor it is given.
    let reader = {
        let (app, ehr, done, start) = (&app, &ehr, done.clone(), start.clone());
        async move {
            let mut seen: Vec<String> = Vec::new();
            let mut cursor = start;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (page, next) = read_feed(app, ehr, &cursor).await;
                seen.extend(
                    page.iter()
                        .filter(|c| c["entity"] == "record")
                        .map(|c| c["id"].as_str().unwrap().to_string()),
                );
                cursor = next;
                if finished {
                    return seen;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    };
    let writing = async {
        let ids = futures_util::future::join_all(writers).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        ids
    };
    let (written, seen) = tokio::join!(writing, reader);
    let written: Vec<String> = written.into_iter().flatten().collect();
    assert_eq!(written.len(), WRITERS * EACH);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &seen {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "seen more than once: {repeated:?}");
    let missing: Vec<_> = written
        .iter()
        .filter(|id| !counts.contains_key(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "never seen: {missing:?}");
    assert_eq!(seen.len(), WRITERS * EACH);
    app.cleanup().await;
}

#[tokio::test]
async fn one_idempotency_key_sent_at_once_does_the_work_once() {
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let ehr = client_token(&app, ksm, &EHR_SCOPES).await;
    let batch = day(12000.0);
    let answers = futures_util::future::join_all(
        (0..20).map(|_| upload(&app, &ehr, Some("retried-batch"), &batch)),
    )
    .await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let busy = answers.iter().filter(|a| a.status == 409).count();
    assert!(ok >= 1, "one does the work");
    assert_eq!(ok + busy, 20, "the rest are told it is at work or replayed");
    assert!(answers
        .iter()
        .filter(|a| a.status == 409)
        .all(|a| a.body["code"] == "idempotency_in_progress"));
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == 200 && !a.replayed)
            .count(),
        1,
        "exactly one did the work"
    );
    assert_eq!(count_records(&app).await, 4);
    let after = upload(&app, &ehr, Some("retried-batch"), &batch).await;
    assert!(after.replayed);

    // Two batches under different keys racing on the same new external ids: each record is
    // created once; the loser's items are refused or found unchanged, never duplicated.
    let same = json!({"records": [{"external_id": "RACE-1", "patient_external_id": "EHR-P-1",
        "record": {"record_type": "cd4", "recorded_at": "2026-11-05", "payload": {"cells_per_ul": 400}}}]});
    let raced = futures_util::future::join_all((0..20).map(|i| {
        let (app, ehr, same) = (&app, &ehr, &same);
        async move { upload(app, ehr, Some(&format!("race-{i}")), same).await }
    }))
    .await;
    let created = raced
        .iter()
        .filter(|a| a.body["records"][0]["status"] == "created")
        .count();
    assert_eq!(
        created,
        1,
        "{:?}",
        raced.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert!(raced.iter().all(|a| a.status == 200));
    assert_eq!(count_records(&app).await, 5);
    app.cleanup().await;
}

#[tokio::test]
async fn the_documented_polling_client_reads_the_feed_and_keeps_its_place() {
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let client = client(&app, ksm, &EHR_SCOPES).await;
    let ehr = client_token(&app, ksm, &EHR_SCOPES).await;
    let first = upload(&app, &ehr, Some("day-1"), &day(12000.0)).await;
    let cursor_file = std::env::temp_dir().join(format!("hl-cursor-{}", Uuid::now_v7()));
    let base = app.url("");
    let (file, id, secret) = (
        cursor_file.clone(),
        client.client_id.to_string(),
        client.client_secret.clone(),
    );
    let run = move || {
        std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../docs/examples/poll_changes.py"
            ))
            .arg("--once")
            .arg("--cursor-file")
            .arg(&file)
            .env("HOSPITALLINK_URL", base.trim_end_matches('/'))
            .env("CLIENT_ID", &id)
            .env("CLIENT_SECRET", &secret)
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let printed = record_ids(&lines);
    let uploaded: BTreeSet<String> = first.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(printed, uploaded);
    // Run again: it reads on from its stored cursor, so only what changed since.
    let later = json!({"records": [{"external_id": "LAB-9", "patient_external_id": "EHR-P-1",
        "record": {"record_type": "cd4", "recorded_at": "2026-11-20", "payload": {"cells_per_ul": 610}}}]});
    let later = upload(&app, &ehr, Some("day-2"), &later).await;
    let out = tokio::task::spawn_blocking(run).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["id"], later.body["records"][0]["id"]);
    let _ = std::fs::remove_file(&cursor_file);
    app.cleanup().await;
}

#[tokio::test]
async fn an_idempotency_key_is_kept_for_a_day_then_forgotten() {
    use hospitallink::clock::FixedClock;
    use hospitallink::domain::identity::role::{Permission, Permissions};
    use hospitallink::domain::integration::sync::UploadBatch;
    use hospitallink::policy::{Actor, RequestMeta};
    use hospitallink::services::integration::sync;
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let clock = FixedClock::new("2026-11-02T09:00:00Z".parse().unwrap());
    let core = app
        .core
        .clone()
        .with_clock(std::sync::Arc::new(clock.clone()));
    let ehr = Caller::new(
        Actor::Client {
            id: Uuid::now_v7(),
            hospital_id: ksm,
            scopes: Permissions::of(&[Permission::Sync, Permission::PatientsWrite]),
        },
        RequestMeta::default(),
    );
    let batch = |name: &str| {
        let body = json!({"patients": [{"external_id": name, "patient": {"first_name": name,
            "last_name": "Keys", "date_of_birth": "1990-01-01", "sex": "other"}}]});
        let parsed: UploadBatch = serde_json::from_value(body.clone()).unwrap();
        (body.to_string().into_bytes(), parsed)
    };
    let (first, parsed) = batch("First");
    let done = sync::upload(&core, &ehr, Some("monday"), &first, &parsed)
        .await
        .unwrap();
    assert!(!done.replayed);
    let (other, other_parsed) = batch("Other");
    let reused = sync::upload(&core, &ehr, Some("monday"), &other, &other_parsed)
        .await
        .unwrap_err()
        .into_kind();
    assert_eq!(reused.status(), 422);
    // Just inside the day the first answer is replayed; a day later the key is free again.
    clock.advance(chrono::Duration::hours(24) - chrono::Duration::seconds(1));
    assert!(
        sync::upload(&core, &ehr, Some("monday"), &first, &parsed)
            .await
            .unwrap()
            .replayed
    );
    clock.advance(chrono::Duration::seconds(2));
    let fresh = sync::upload(&core, &ehr, Some("monday"), &other, &other_parsed)
        .await
        .unwrap();
    assert!(!fresh.replayed, "a new batch under the forgotten key");
    assert!(fresh.body.contains("\"created\""), "{}", fresh.body);

    // A claim that never answered (the server stopped mid-batch) answers 409 for a while,
    // then the same request sent again takes it over.
    use hospitallink::entities::idempotency_key as key_row;
    use sea_orm::{ActiveModelTrait, Set};
    let (third, third_parsed) = batch("Third");
    let hash = sync::request_hash(&third);
    let owner = match &ehr.actor {
        Actor::Client { id, .. } => format!("client:{id}"),
        _ => unreachable!(),
    };
    key_row::ActiveModel {
        owner: Set(owner),
        key: Set("tuesday".into()),
        request_hash: Set(hash),
        status: Set(None),
        response: Set(None),
        created_at: Set(hospitallink::clock::Clock::now(&clock)),
    }
    .insert(&core.db)
    .await
    .unwrap();
    let busy = sync::upload(&core, &ehr, Some("tuesday"), &third, &third_parsed)
        .await
        .unwrap_err()
        .into_kind();
    assert_eq!(busy.code(), "idempotency_in_progress");
    clock.advance(chrono::Duration::minutes(11));
    let taken = sync::upload(&core, &ehr, Some("tuesday"), &third, &third_parsed)
        .await
        .unwrap();
    assert!(
        !taken.replayed && taken.body.contains("\"created\""),
        "{}",
        taken.body
    );
    app.cleanup().await;
}
