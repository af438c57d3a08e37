//! The FHIR R4 API: Mbarara's system reads Amina's Kisumu viral loads only while her grant
//! covers labs, page by page, as valid FHIR (checked by an independent R4 model library); every
//! read is in her access log; errors are OperationOutcomes.

mod common;

use common::{add_record, call, hospital, member, spawn_app_with, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

/// GET with a bearer token; the status, the content type and the body.
async fn fhir_get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, Value) {
    let mut r = app.client.get(app.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let kind = r.headers()["content-type"].to_str().unwrap().to_string();
    (status, kind, r.json().await.unwrap())
}

/// Validates FHIR documents with `fhir.resources` (R4) through `scripts/fhir.sh`.
fn validate(documents: &[&Value]) {
    let dir = std::env::temp_dir().join(format!("fhir-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let path = dir.join(format!("doc-{i}.json"));
        std::fs::write(&path, d.to_string()).unwrap();
        paths.push(path);
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(root.join("scripts/fhir.sh"))
        .args(&paths)
        .output()
        .expect("scripts/fhir.sh runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "invalid FHIR: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.matches(": valid ").count(), documents.len(), "{said}");
}

#[tokio::test]
async fn a_hospital_reads_observations_as_far_as_the_patients_grant_allows() {
    let app = spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let (ksm, mbr) = (hospital(&app, "KSM").await, hospital(&app, "MBR").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(json!({"first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1990-04-12",
                    "sex": "female", "email": "amina.fhir@example.org", "national_id": "KE-FHIR-1"})),
    )
    .await;
    let amina = created.body["id"].as_str().unwrap().to_string();
    for (day, copies) in [(10, 12000), (11, 900), (12, 40)] {
        add_record(
            &app,
            &kisumu,
            &amina,
            json!({"record_type": "viral_load", "recorded_at": format!("2026-0{}-01T09:00:00Z", day - 8),
                   "payload": {"copies_per_ml": copies}}),
        )
        .await;
    }
    add_record(
        &app,
        &kisumu,
        &amina,
        json!({"record_type": "cd4", "payload": {"cells_per_ul": 480}}),
    )
    .await;

    // The CapabilityStatement is open and valid.
    let (status, kind, metadata) = fhir_get(&app, "/fhir/r4/metadata", None).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/fhir+json"), "{kind}");
    assert_eq!(metadata["fhirVersion"], "4.0.1");

    // Kisumu reads its own, page by page.
    let search =
        format!("/fhir/r4/Observation?patient={amina}&code=http://loinc.org|25836-8&_count=2");
    let (status, _, first) = fhir_get(&app, &search, Some(&kisumu)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["type"], "searchset");
    assert_eq!(first["total"], 3);
    assert_eq!(first["entry"].as_array().unwrap().len(), 2);
    let resource = &first["entry"][0]["resource"];
    assert_eq!(resource["code"]["coding"][0]["code"], "25836-8");
    assert_eq!(resource["subject"]["reference"], format!("Patient/{amina}"));
    assert_eq!(resource["meta"]["security"][0]["code"], "V");
    let next = first["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next")
        .expect("a next page")["url"]
        .as_str()
        .unwrap()
        .to_string();
    let next_path = next
        .split_once("/fhir/r4")
        .map(|(_, p)| format!("/fhir/r4{p}"))
        .unwrap();
    let (status, _, second) = fhir_get(&app, &next_path, Some(&kisumu)).await;
    assert_eq!(status, 200);
    assert_eq!(second["entry"].as_array().unwrap().len(), 1);
    assert!(second["link"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["relation"] != "next"));
    let dated = format!("/fhir/r4/Observation?patient={amina}&date=ge2026-03-01&date=lt2026-04-01");
    let (_, _, march) = fhir_get(&app, &dated, Some(&kisumu)).await;
    assert_eq!(march["total"], 1, "{march}");
    let (status, _, patient) =
        fhir_get(&app, &format!("/fhir/r4/Patient/{amina}"), Some(&kisumu)).await;
    assert_eq!(status, 200, "{patient}");
    assert_eq!(patient["resourceType"], "Patient");

    // Mbarara: not linked, nothing (an OperationOutcome); linked, only what a grant allows.
    let (status, kind, outcome) = fhir_get(&app, &search, Some(&mbarara)).await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("application/fhir+json"));
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{amina}/links"),
        &mbarara,
        Some(json!({"national_id": "KE-FHIR-1"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    let (_, _, none) = fhir_get(&app, &search, Some(&mbarara)).await;
    assert_eq!(none["total"], 0, "no grant, nothing of Kisumu's");
    let patient_token = common::patient_token(&app, "amina.fhir@example.org").await;
    let grant = call(
        &app,
        Method::POST,
        "/api/v1/sharing/grant",
        &patient_token,
        Some(json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "treatment"})),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.body);
    let (_, _, shared) = fhir_get(&app, &search, Some(&mbarara)).await;
    assert_eq!(shared["total"], 3, "{shared}");
    assert_eq!(
        shared["entry"][0]["resource"]["performer"][0]["reference"],
        format!("Organization/{ksm}")
    );
    let revoke = format!(
        "/api/v1/sharing/{}/revoke",
        grant.body["id"].as_str().unwrap()
    );
    assert_eq!(
        call(&app, Method::PUT, &revoke, &patient_token, None)
            .await
            .status,
        200
    );
    let (_, _, cut) = fhir_get(&app, &search, Some(&mbarara)).await;
    assert_eq!(cut["total"], 0, "revoked at once");

    // Amina sees Mbarara's FHIR reads.
    let log = call(
        &app,
        Method::GET,
        "/api/v1/me/access-log?per_page=100",
        &patient_token,
        None,
    )
    .await;
    assert!(
        log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["hospital_name"] == "Hospital MBR" && e["what"] == "clinical_record"),
        "{}",
        log.body
    );

    // Bad searches are OperationOutcomes naming the parameter.
    let (status, _, bad) = fhir_get(&app, "/fhir/r4/Observation?code=1234-5", Some(&kisumu)).await;
    assert_eq!(status, 400);
    let said = bad.to_string();
    assert!(said.contains("patient") && said.contains("code"), "{said}");
    let (status, _, _) = fhir_get(&app, &search, None).await;
    assert_eq!(status, 401);

    validate(&[
        &metadata, &first, &second, &patient, &shared, &outcome, &bad,
    ]);
    app.cleanup().await;
}
