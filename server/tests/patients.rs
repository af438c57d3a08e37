//! Patients and clinical records through the REST API, on the real database: registration
//! rules, the link flow, search over encrypted data, versions, soft deletion, record rules,
//! the summary, per-role access and the audit trail.

use crate::common;

use common::{audit_count, call, hospital, member, spawn_app, Call, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

async fn put_if_match(app: &TestApp, path: &str, token: &str, version: &str, body: Value) -> Call {
    let r = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .header("if-match", version)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    Call {
        status,
        body: r.json().await.unwrap_or(Value::Null),
        etag,
    }
}

fn amina() -> Value {
    json!({
        "first_name": "Amina",
        "last_name": "Odhiambo",
        "date_of_birth": "1990-04-12",
        "sex": "female",
        "email": "amina.odhiambo@example.org",
        "phone": "+254 700 555 001",
        "address": "Nyalenda B, Kisumu",
        "emergency_contact_name": "Otieno Odhiambo",
        "emergency_contact_phone": "+254 700 555 002",
        "national_id": "KE-3344-5566",
    })
}

#[tokio::test]
async fn registration_rules_duplicates_and_the_link_flow() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let (_, other_desk) = member(&app, Role::Receptionist, mbr, "mbr").await;
    let (_, clerk) = member(&app, Role::BillingClerk, ksm, "ksm").await;

    // Every problem is named.
    let bad = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk,
        Some(json!({"first_name": "", "date_of_birth": "2999-01-01", "sex": "f", "phone": "0700"})),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    for field in ["first_name", "last_name", "date_of_birth", "sex", "phone"] {
        assert!(
            bad.body["fields"][field].is_array(),
            "{field}: {}",
            bad.body
        );
    }
    let unknown = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk,
        Some(json!({"first_name": "A", "hiv_status": "positive"})),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body["fields"]["hiv_status"].is_array(),
        "{}",
        unknown.body
    );

    // Billing clerks read demographics but do not register.
    let r = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &clerk,
        Some(amina()),
    )
    .await;
    assert_eq!(r.status, 403);

    let created = call(&app, Method::POST, "/api/v1/patients", &desk, Some(amina())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.etag.as_deref(), Some("\"1\""));
    let id: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    let mrn = created.body["mrn"].as_str().unwrap().to_string();
    assert!(mrn.starts_with("KSM-"), "{mrn}");
    assert_eq!(created.body["phone"], "+254700555001");
    assert_eq!(created.body["national_id"], "KE33445566");
    assert_eq!(audit_count(&app, "patient", "create", id).await, 1);

    // The same identifier, written differently, elsewhere: 409 with the id to link.
    let mut again = amina();
    again["national_id"] = json!("ke 3344 5566");
    again["email"] = Value::Null;
    let dup = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &other_desk,
        Some(again.clone()),
    )
    .await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    assert_eq!(dup.body["code"], "patient_exists");
    assert_eq!(dup.body["existing_id"], id.to_string());
    // At the registering hospital the message names the MRN.
    let here = call(&app, Method::POST, "/api/v1/patients", &desk, Some(again)).await;
    assert_eq!(here.status, 409);
    assert!(
        here.body["error"].as_str().unwrap().contains(&mrn),
        "{}",
        here.body
    );

    // Another patient with Amina's email.
    let mut twin = amina();
    twin["national_id"] = Value::Null;
    twin["first_name"] = json!("Other");
    let taken = call(&app, Method::POST, "/api/v1/patients", &desk, Some(twin)).await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["code"], "patient_email_taken");
    assert!(taken.body["fields"]["email"].is_array());

    // Before linking, the other hospital cannot see her.
    let path = format!("/api/v1/patients/{id}");
    assert_eq!(
        call(&app, Method::GET, &path, &other_desk, None)
            .await
            .status,
        404
    );

    // Linking needs the identifier: a wrong one is indistinguishable from an unknown id.
    let links = format!("/api/v1/patients/{id}/links");
    let wrong = call(
        &app,
        Method::POST,
        &links,
        &other_desk,
        Some(json!({"national_id": "KE-0000-0000"})),
    )
    .await;
    assert_eq!(wrong.status, 404);
    let missing = call(&app, Method::POST, &links, &other_desk, Some(json!({}))).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body["fields"]["national_id"].is_array());
    let linked = call(
        &app,
        Method::POST,
        &links,
        &other_desk,
        Some(json!({"national_id": "KE-3344-5566", "mrn": "mbr/2026/17"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    assert_eq!(linked.body["mrn"], "MBR/2026/17");
    assert_eq!(linked.body["first_name"], "Amina");
    let twice = call(
        &app,
        Method::POST,
        &links,
        &other_desk,
        Some(json!({"national_id": "KE33445566"})),
    )
    .await;
    assert_eq!(twice.status, 409);
    assert_eq!(twice.body["code"], "already_linked");
    // Each hospital sees its own MRN.
    let seen = call(&app, Method::GET, &path, &other_desk, None).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["mrn"], "MBR/2026/17");
    let seen = call(&app, Method::GET, &path, &desk, None).await;
    assert_eq!(seen.body["mrn"], mrn.as_str());

    // An MRN is unique within a hospital.
    let mut second = json!({"first_name": "Baraka", "last_name": "Otieno", "date_of_birth": "1985-01-01", "sex": "male", "mrn": mrn});
    let clash = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &desk,
        Some(second.clone()),
    )
    .await;
    assert_eq!(clash.status, 409);
    assert_eq!(clash.body["code"], "mrn_taken");
    second["mrn"] = Value::Null;
    assert_eq!(
        call(&app, Method::POST, "/api/v1/patients", &desk, Some(second))
            .await
            .status,
        201
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_linking_hospital_sees_the_identity_and_its_mrn_not_the_contact_details() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let (_, other_desk) = member(&app, Role::Receptionist, mbr, "mbr").await;
    let created = call(&app, Method::POST, "/api/v1/patients", &desk, Some(amina())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["contact_withheld"], false);
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/patients/{id}");
    let contact = [
        "email",
        "phone",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
    ];

    let linked = call(
        &app,
        Method::POST,
        &format!("{path}/links"),
        &other_desk,
        Some(json!({"national_id": "KE-3344-5566", "mrn": "MBR-17"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    // The identity it matched and its own MRN; the contact details wait for consent.
    assert_eq!(linked.body["first_name"], "Amina");
    assert_eq!(linked.body["national_id"], "KE33445566");
    assert_eq!(linked.body["mrn"], "MBR-17");
    assert_eq!(linked.body["contact_withheld"], true);
    for field in contact {
        assert_eq!(linked.body[field], Value::Null, "{field}: {}", linked.body);
    }
    let seen = call(&app, Method::GET, &path, &other_desk, None).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["contact_withheld"], true);
    for field in contact {
        assert_eq!(seen.body[field], Value::Null, "{field}: {}", seen.body);
    }
    // Nor does a search by phone or email confirm them.
    for q in ["%2B254700555001", "amina.odhiambo%40example.org"] {
        let found = call(
            &app,
            Method::GET,
            &format!("/api/v1/patients?q={q}"),
            &other_desk,
            None,
        )
        .await;
        assert_eq!(found.status, 200);
        assert_eq!(found.body["pagination"]["total"], 0, "{q}: {}", found.body);
        let found = call(
            &app,
            Method::GET,
            &format!("/api/v1/patients?q={q}"),
            &desk,
            None,
        )
        .await;
        assert_eq!(found.body["pagination"]["total"], 1, "{q}: {}", found.body);
    }
    // The registering hospital still sees them.
    let own = call(&app, Method::GET, &path, &desk, None).await;
    assert_eq!(own.body["contact_withheld"], false);
    assert_eq!(own.body["phone"], "+254700555001");

    // The linking hospital cannot change them: refused and audited ...
    let mut edit = amina();
    edit["phone"] = json!("+254 711 999 999");
    let refused = put_if_match(&app, &path, &other_desk, "\"1\"", edit).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body["code"], "contact_details_withheld");
    let denied = {
        use hospitallink::entities::audit_log;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("update"))
            .filter(audit_log::Column::Outcome.eq("denied"))
            .filter(audit_log::Column::PatientId.eq(id.parse::<Uuid>().unwrap()))
            .all(&app.core.db)
            .await
            .unwrap()
    };
    assert_eq!(denied.len(), 1);
    // Which fields were refused, never their values.
    assert!(
        denied[0].details.contains("\"phone\""),
        "{}",
        denied[0].details
    );
    assert!(!denied[0].details.contains("999"), "{}", denied[0].details);
    // ... and an edit that leaves them empty keeps them as they were.
    let mut edit = amina();
    for field in contact {
        edit[field] = Value::Null;
    }
    edit["first_name"] = json!("Aminah");
    let kept = put_if_match(&app, &path, &other_desk, "\"1\"", edit).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(kept.body["first_name"], "Aminah");
    assert_eq!(kept.body["contact_withheld"], true);
    let own = call(&app, Method::GET, &path, &desk, None).await;
    assert_eq!(own.body["first_name"], "Aminah");
    assert_eq!(own.body["phone"], "+254700555001");
    assert_eq!(own.body["email"], "amina.odhiambo@example.org");
    assert_eq!(own.body["emergency_contact_name"], "Otieno Odhiambo");
    app.cleanup().await;
}

#[tokio::test]
async fn profiles_have_versions_and_deletion_is_soft_and_justified() {
    let app = spawn_app().await;
    let ksm = hospital(&app, "KSM").await;
    let (_, desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let (_, clinician) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, ksm, "ksm").await;
    let created = call(&app, Method::POST, "/api/v1/patients", &desk, Some(amina())).await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/patients/{id}");

    let mut edit = amina();
    edit["phone"] = json!("+254 711 000 111");
    let ok = put_if_match(&app, &path, &desk, "\"1\"", edit.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.etag.as_deref(), Some("\"2\""));
    assert_eq!(ok.body["phone"], "+254711000111");
    let stale = put_if_match(&app, &path, &desk, "\"1\"", edit.clone()).await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.body["code"], "version_mismatch");
    // A malformed body is named first, whatever the version.
    let mut malformed = edit.clone();
    malformed["sex"] = json!("AAA");
    let bad = put_if_match(&app, &path, &desk, "\"1\"", malformed).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body["fields"]["sex"].is_array());
    // The old phone no longer finds her; the new one does.
    let by_old = call(
        &app,
        Method::GET,
        "/api/v1/patients?q=%2B254700555001",
        &desk,
        None,
    )
    .await;
    assert_eq!(by_old.body["pagination"]["total"], 0, "{}", by_old.body);
    let by_new = call(
        &app,
        Method::GET,
        "/api/v1/patients?q=%2B254711000111",
        &desk,
        None,
    )
    .await;
    assert_eq!(by_new.body["pagination"]["total"], 1);

    // Only hospital admins delete, and only with a justification.
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &path,
            &clinician,
            Some(json!({"justification": "Registered twice by mistake"}))
        )
        .await
        .status,
        403
    );
    let empty = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    let body: Value = empty.json().await.unwrap();
    assert!(body["fields"]["justification"].is_array(), "{body}");
    let short = call(
        &app,
        Method::DELETE,
        &path,
        &admin,
        Some(json!({"justification": "dup"})),
    )
    .await;
    assert_eq!(short.status, 400);
    let gone = call(
        &app,
        Method::DELETE,
        &path,
        &admin,
        Some(json!({"justification": "Registered twice by mistake"})),
    )
    .await;
    assert_eq!(gone.status, 204);
    assert_eq!(
        call(&app, Method::GET, &path, &desk, None).await.status,
        404
    );
    let list = call(&app, Method::GET, "/api/v1/patients?q=amina", &desk, None).await;
    assert_eq!(list.body["pagination"]["total"], 0);
    // Nothing was erased.
    use hospitallink::entities::patient;
    use sea_orm::EntityTrait;
    let row = patient::Entity::find_by_id(id.parse::<Uuid>().unwrap())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.deleted_at.is_some());
    assert_eq!(audit_count(&app, "patient", "delete", row.id).await, 1);
    assert_eq!(audit_count(&app, "patient", "update", row.id).await, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn search_finds_names_mrns_phones_and_emails_within_the_hospital() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let (_, other) = member(&app, Role::Clinician, mbr, "mbr").await;
    let people = [
        ("Amina", "Odhiambo", "KSM-100"),
        ("Aminata", "Diallo", "KSM-101"),
        ("Joseph", "Mwangi", "KSM-102"),
        ("Mary-Anne", "O'Neil", "KSM-200"),
    ];
    for (first, last, mrn) in people {
        let r = call(
            &app,
            Method::POST,
            "/api/v1/patients",
            &desk,
            Some(json!({"first_name": first, "last_name": last, "date_of_birth": "1988-08-08", "sex": "female", "mrn": mrn,
                "email": format!("{}@example.org", first.to_lowercase()), "phone": format!("+2547005{}", &mrn[4..])})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let names = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["first_name"].as_str().unwrap().to_string())
            .collect()
    };
    let q = |query: &str| format!("/api/v1/patients?q={}", urlencode(query));
    let r = call(&app, Method::GET, &q("ami"), &desk, None).await;
    assert_eq!(names(&r.body), vec!["Amina", "Aminata"]);
    let r = call(&app, Method::GET, &q("AMINA odh"), &desk, None).await;
    assert_eq!(names(&r.body), vec!["Amina"]);
    let r = call(&app, Method::GET, &q("neil"), &desk, None).await;
    assert_eq!(names(&r.body), vec!["Mary-Anne"]);
    let r = call(&app, Method::GET, &q("ksm-10"), &desk, None).await;
    assert_eq!(r.body["pagination"]["total"], 3);
    let r = call(&app, Method::GET, &q("+254 7005 102"), &desk, None).await;
    assert_eq!(names(&r.body), vec!["Joseph"]);
    let r = call(&app, Method::GET, &q("Joseph@Example.org"), &desk, None).await;
    assert_eq!(names(&r.body), vec!["Joseph"]);
    let r = call(&app, Method::GET, &q("zz"), &desk, None).await;
    assert_eq!(r.body["pagination"]["total"], 0);
    let r = call(
        &app,
        Method::GET,
        "/api/v1/patients?per_page=2&page=2",
        &desk,
        None,
    )
    .await;
    assert_eq!(
        r.body["pagination"],
        json!({"total": 4, "page": 2, "per_page": 2, "has_next": false, "has_prev": true})
    );
    assert_eq!(
        names(&r.body),
        vec!["Joseph", "Mary-Anne"],
        "ordered by MRN"
    );

    // Another hospital finds nobody, and cannot list this hospital's patients.
    let r = call(&app, Method::GET, &q("ami"), &other, None).await;
    assert_eq!(r.body["pagination"]["total"], 0);
    let r = call(
        &app,
        Method::GET,
        &format!("/api/v1/hospitals/{ksm}/patients"),
        &other,
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call(
        &app,
        Method::GET,
        &format!("/api/v1/hospitals/{ksm}/patients"),
        &desk,
        None,
    )
    .await;
    assert_eq!(r.body["pagination"]["total"], 4);
    app.cleanup().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn records_are_typed_immutable_versioned_and_summarised() {
    let app = spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let (_, lab) = member(&app, Role::LabTechnician, ksm, "ksm").await;
    let (_, doctor) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, pharmacist) = member(&app, Role::Pharmacist, ksm, "ksm").await;
    let (_, clerk) = member(&app, Role::BillingClerk, ksm, "ksm").await;
    let (_, viewer) = member(&app, Role::Viewer, ksm, "ksm").await;
    let (_, stranger) = member(&app, Role::Clinician, mbr, "mbr").await;
    let created = call(&app, Method::POST, "/api/v1/patients", &desk, Some(amina())).await;
    let pid: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    let records = format!("/api/v1/patients/{pid}/records");
    let add = |token: &str, body: Value| {
        let (records, token) = (records.clone(), token.to_string());
        let app = &app;
        async move { call(app, Method::POST, &records, &token, Some(body)).await }
    };

    // Validation names payload fields; unknown fields are rejected.
    let r = add(
        &lab,
        json!({"record_type": "viral_load", "payload": {"copies_per_ml": -3, "units": "x"}}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["fields"]["payload.copies_per_ml"].is_array());
    assert!(r.body["fields"]["payload.units"].is_array());
    let r = add(&lab, json!({"record_type": "cd4", "recorded_at": "2999-01-01", "payload": {"cells_per_ul": 300}})).await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["recorded_at"].is_array());

    // Who writes what.
    let regimen = json!({"record_type": "art_regimen", "recorded_at": "2024-01-10", "payload": {"regimen": "TDF+3TC+EFV", "line": "first", "action": "start"}});
    assert_eq!(
        add(&lab, regimen.clone()).await.status,
        403,
        "lab technicians do not prescribe"
    );
    assert_eq!(add(&desk, regimen.clone()).await.status, 403);
    assert_eq!(add(&doctor, regimen).await.status, 201);
    let switch = add(&doctor, json!({"record_type": "art_regimen", "recorded_at": "2025-03-01", "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "switch", "reason_code": "LA6531-3"}})).await;
    assert_eq!(switch.status, 201, "{}", switch.body);
    let vl1 = add(&lab, json!({"record_type": "viral_load", "recorded_at": "2025-09-01", "payload": {"copies_per_ml": 15000}})).await;
    assert_eq!(vl1.status, 201, "{}", vl1.body);
    let vl2 = add(&lab, json!({"record_type": "viral_load", "recorded_at": "2025-12-01T08:00:00Z", "payload": {"copies_per_ml": 400}})).await;
    let vl2_id = vl2.body["id"].as_str().unwrap().to_string();
    assert_eq!(add(&lab, json!({"record_type": "cd4", "recorded_at": "2025-12-01", "payload": {"cells_per_ul": 420, "percent": 24}})).await.status, 201);
    assert_eq!(
        add(
            &stranger,
            json!({"record_type": "cd4", "payload": {"cells_per_ul": 1}})
        )
        .await
        .status,
        404
    );

    let summary_path = format!("/api/v1/patients/{pid}/summary");
    let s = call(&app, Method::GET, &summary_path, &doctor, None).await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["art_status"], "on_art");
    assert_eq!(s.body["current_regimen"]["regimen"], "TDF+3TC+DTG");
    assert!(s.body["art_start"]
        .as_str()
        .unwrap()
        .starts_with("2024-01-10"));
    assert_eq!(s.body["latest_viral_load"]["copies_per_ml"], 400.0);
    assert_eq!(s.body["latest_viral_load"]["interpretation"], "low_level");
    assert_eq!(
        s.body["previous_viral_load"]["interpretation"],
        "unsuppressed"
    );
    assert_eq!(s.body["latest_cd4"]["cells_per_ul"], 420);
    assert_eq!(s.body["thresholds"]["unsuppressed_above"], 1000.0);

    // Lab values are immutable; a correction supersedes and both are kept.
    let vl2_path = format!("/api/v1/records/{vl2_id}");
    let r = put_if_match(
        &app,
        &vl2_path,
        &doctor,
        "\"1\"",
        json!({"payload": {"copies_per_ml": 40}}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "record_immutable");
    let fix = add(&lab, json!({"record_type": "viral_load", "recorded_at": "2025-12-01T08:00:00Z", "supersedes": vl2_id, "payload": {"copies_per_ml": 40, "comparator": "<"}})).await;
    assert_eq!(fix.status, 201, "{}", fix.body);
    let again = add(&lab, json!({"record_type": "viral_load", "supersedes": vl2_id, "payload": {"copies_per_ml": 41}})).await;
    assert_eq!(again.status, 409);
    let old = call(&app, Method::GET, &vl2_path, &doctor, None).await;
    assert_eq!(old.body["superseded_by"], fix.body["id"]);
    let s = call(&app, Method::GET, &summary_path, &doctor, None).await;
    assert_eq!(
        s.body["latest_viral_load"]["interpretation"],
        "undetectable"
    );
    assert_eq!(s.body["latest_viral_load"]["record_id"], fix.body["id"]);

    // Notes are editable with versions; the previous text is kept.
    let note = add(&doctor, json!({"record_type": "adherence_note", "payload": {"text": "Missed doses during travel", "adherence_percent": 80, "method": "self_report"}})).await;
    assert_eq!(note.status, 201);
    let note_path = format!("/api/v1/records/{}", note.body["id"].as_str().unwrap());
    let edited = put_if_match(
        &app,
        &note_path,
        &doctor,
        "\"1\"",
        json!({"payload": {"text": "Missed 3 doses during travel", "adherence_percent": 90}}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["version"], 2);
    let stale = put_if_match(
        &app,
        &note_path,
        &doctor,
        "\"1\"",
        json!({"payload": {"text": "x"}}),
    )
    .await;
    assert_eq!(stale.status, 412);
    use hospitallink::entities::clinical_record_revision as revision;
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        revision::Entity::find().count(&app.core.db).await.unwrap(),
        1
    );

    // Filters and paging.
    let r = call(
        &app,
        Method::GET,
        &format!("{records}?type=viral_load"),
        &doctor,
        None,
    )
    .await;
    assert_eq!(
        r.body["pagination"]["total"], 3,
        "both versions are kept: {}",
        r.body
    );
    let r = call(
        &app,
        Method::GET,
        &format!("{records}?type=viral_load,cd4&from=2025-11-01&to=2026-01-01"),
        &doctor,
        None,
    )
    .await;
    assert_eq!(r.body["pagination"]["total"], 3);
    let r = call(
        &app,
        Method::GET,
        &format!("{records}?type=xray"),
        &doctor,
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["type"].is_array());

    // Per role: front desk and billing never see clinical records; pharmacists see ART only.
    for token in [&desk, &clerk] {
        assert_eq!(
            call(&app, Method::GET, &records, token, None).await.status,
            403
        );
        assert_eq!(
            call(&app, Method::GET, &summary_path, token, None)
                .await
                .status,
            403
        );
        assert_eq!(
            call(&app, Method::GET, &vl2_path, token, None).await.status,
            403
        );
    }
    let r = call(&app, Method::GET, &records, &pharmacist, None).await;
    assert_eq!(r.status, 200);
    let types: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["record_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["art_regimen", "art_regimen"]);
    assert_eq!(
        call(&app, Method::GET, &vl2_path, &pharmacist, None)
            .await
            .status,
        403
    );
    let r = call(&app, Method::GET, &records, &viewer, None).await;
    assert_eq!(r.body["pagination"]["total"], 7);
    // Every page tells the same total: full pages, the short last page (whose rows tell it)
    // and an empty page past the end.
    for (page, per_page, rows, has_next) in [
        (1, 3, 3, true),
        (3, 3, 1, false),
        (4, 3, 0, false),
        (1, 7, 7, false),
    ] {
        let path = format!("{records}?page={page}&per_page={per_page}");
        let r = call(&app, Method::GET, &path, &viewer, None).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), rows, "{path}");
        assert_eq!(
            r.body["pagination"],
            json!({"total": 7, "page": page, "per_page": per_page, "has_next": has_next, "has_prev": page > 1}),
            "{path}"
        );
    }
    assert_eq!(
        put_if_match(
            &app,
            &note_path,
            &viewer,
            "\"2\"",
            json!({"payload": {"text": "x"}})
        )
        .await
        .status,
        403
    );
    // Another hospital: absent, not forbidden.
    assert_eq!(
        call(&app, Method::GET, &records, &stranger, None)
            .await
            .status,
        404
    );
    assert_eq!(
        call(&app, Method::GET, &vl2_path, &stranger, None)
            .await
            .status,
        404
    );
    assert_eq!(
        call(&app, Method::GET, &summary_path, &stranger, None)
            .await
            .status,
        404
    );

    // Soft delete with a justification; a deleted correction hands the value back.
    let fix_path = format!("/api/v1/records/{}", fix.body["id"].as_str().unwrap());
    assert_eq!(
        call(&app, Method::DELETE, &fix_path, &doctor, Some(json!({})))
            .await
            .status,
        400
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &fix_path,
            &lab,
            Some(json!({"justification": "Entered against the wrong sample"}))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &fix_path,
            &doctor,
            Some(json!({"justification": "Entered against the wrong sample"}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        call(&app, Method::GET, &fix_path, &doctor, None)
            .await
            .status,
        404
    );
    let s = call(&app, Method::GET, &summary_path, &doctor, None).await;
    assert_eq!(s.body["latest_viral_load"]["record_id"], vl2_id.as_str());
    assert_eq!(s.body["latest_viral_load"]["interpretation"], "low_level");

    // Every write and read left an entry.
    assert_eq!(audit_count(&app, "clinical_record", "create", pid).await, 7);
    assert_eq!(audit_count(&app, "clinical_record", "update", pid).await, 1);
    assert_eq!(audit_count(&app, "clinical_record", "delete", pid).await, 1);
    // Five reads, and the four pages above.
    assert_eq!(audit_count(&app, "clinical_record", "read", pid).await, 9);
    assert_eq!(audit_count(&app, "patient_summary", "read", pid).await, 3);
    app.cleanup().await;
}

#[tokio::test]
async fn no_clear_demographics_or_notes_reach_the_database_files() {
    let app = spawn_app().await;
    if common::backend() != "sqlite" {
        app.cleanup().await;
        return;
    }
    let ksm = hospital(&app, "KSM").await;
    let (_, doctor) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, ksm, "ksm").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &doctor,
        Some(amina()),
    )
    .await;
    let pid = created.body["id"].as_str().unwrap();
    let note = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{pid}/records"),
        &doctor,
        Some(json!({"record_type": "adherence_note", "payload": {"text": "Disclosed status to partner Zawadiseventeen"}})),
    )
    .await;
    assert_eq!(note.status, 201);
    let note_path = format!("/api/v1/records/{}", note.body["id"].as_str().unwrap());
    let r = put_if_match(
        &app,
        &note_path,
        &doctor,
        "\"1\"",
        json!({"payload": {"text": "Edited note Kipchumbaeleven"}}),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/patients/{pid}"),
        &admin,
        Some(json!({"justification": "Patient Nasimiyunine asked to leave"})),
    )
    .await;
    assert_eq!(r.status, 204);
    let data_dir = app.data_dir.clone();
    let app = app.cleanup_keeping_database().await;
    common::assert_not_in_sqlite_files(
        &data_dir,
        &[
            "Amina",
            "Odhiambo",
            "amina.odhiambo",
            "700555001",
            "Nyalenda",
            "Otieno",
            "33445566",
            "1990-04-12",
            "Zawadiseventeen",
            "Kipchumbaeleven",
            "Nasimiyunine",
        ],
    );
    app.cleanup().await;
}
