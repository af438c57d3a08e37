//! The FHIR R4 API: Mbarara's system reads Amina's Kisumu viral loads only while her grant
//! covers labs, page by page, as valid FHIR (checked by an independent R4 model library); every
//! read is in her access log; errors are OperationOutcomes.

use crate::common;

use common::{add_record, call, consent_form, hospital, member, spawn_app_with, TestApp};
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

/// POST an Observation; the status, the `Location` and the body.
async fn create(
    app: &TestApp,
    token: &str,
    body: &Value,
    if_none_exist: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut r = app
        .client
        .post(app.url("/fhir/r4/Observation"))
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .body(body.to_string());
    if let Some(criteria) = if_none_exist {
        r = r.header("If-None-Exist", criteria);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, r.json().await.unwrap())
}

#[tokio::test]
async fn every_resource_reads_searches_and_creates_as_valid_fhir() {
    let app = spawn_app_with(&[]).await;
    let ksm = hospital(&app, "KSM").await;
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, front_desk) = member(&app, Role::Receptionist, ksm, "ksm").await;
    let created = call(
        &app,
        Method::POST,
        "/api/v1/patients",
        &kisumu,
        Some(
            json!({"first_name": "Baraka", "last_name": "Mwangi", "date_of_birth": "1985-02-01",
                    "sex": "male"}),
        ),
    )
    .await;
    let baraka = created.body["id"].as_str().unwrap().to_string();
    let old_regimen = add_record(
        &app,
        &kisumu,
        &baraka,
        json!({"record_type": "art_regimen", "recorded_at": "2024-01-10",
        "payload": {"regimen": "TDF+3TC+EFV", "line": "first", "action": "start"}}),
    )
    .await;
    let regimen = add_record(
        &app,
        &kisumu,
        &baraka,
        json!({"record_type": "art_regimen", "recorded_at": "2025-06-01",
        "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "switch"}}),
    )
    .await;
    add_record(
        &app,
        &kisumu,
        &baraka,
        json!({"record_type": "prescription",
        "payload": {"drug_name": "Cotrimoxazole", "dose": "960 mg", "frequency": "daily"}}),
    )
    .await;
    let diagnosis = add_record(
        &app,
        &kisumu,
        &baraka,
        json!({"record_type": "diagnosis",
        "payload": {"icd10": "B20", "text": "HIV disease"}}),
    )
    .await;
    let allergy = add_record(
        &app,
        &kisumu,
        &baraka,
        json!({"record_type": "allergy",
        "payload": {"substance": "Sulfonamides", "severity": "moderate"}}),
    )
    .await;
    let form = consent_form(&app, &kisumu, &baraka).await;
    let mbr = hospital(&app, "MBR").await;
    let grant = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{baraka}/consent"),
        &kisumu,
        Some(
            json!({"hospital_id": mbr, "categories": ["labs"], "purpose": "referral",
                    "consent_form_id": form}),
        ),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.body);

    // Treatment orders, paged; the regimen in force is active, the one before it completed.
    let meds = format!("/fhir/r4/MedicationRequest?patient={baraka}&_count=2");
    let (status, _, first) = fhir_get(&app, &meds, Some(&kisumu)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total"], 3);
    assert!(first["link"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["relation"] == "next"));
    let (_, _, current) = fhir_get(
        &app,
        &format!("/fhir/r4/MedicationRequest/{regimen}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(current["status"], "active", "{current}");
    let (_, _, before) = fhir_get(
        &app,
        &format!("/fhir/r4/MedicationRequest/{old_regimen}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(before["status"], "completed");
    let dated = format!("/fhir/r4/MedicationRequest?patient={baraka}&authoredon=lt2025-01-01");
    let (_, _, old) = fhir_get(&app, &dated, Some(&kisumu)).await;
    assert_eq!(old["total"], 1, "{old}");

    let (_, _, conditions) = fhir_get(
        &app,
        &format!("/fhir/r4/Condition?patient={baraka}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(conditions["total"], 1);
    let (_, _, condition) = fhir_get(
        &app,
        &format!("/fhir/r4/Condition/{diagnosis}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(condition["resourceType"], "Condition");
    assert_eq!(condition["meta"]["security"][0]["code"], "V");
    let (_, _, allergies) = fhir_get(
        &app,
        &format!("/fhir/r4/AllergyIntolerance?patient={baraka}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(allergies["total"], 1);
    let (_, _, allergy_read) = fhir_get(
        &app,
        &format!("/fhir/r4/AllergyIntolerance/{allergy}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(allergy_read["resourceType"], "AllergyIntolerance");
    // A record is read only as the resource it is written as.
    let (status, _, wrong) = fhir_get(
        &app,
        &format!("/fhir/r4/Condition/{allergy}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(wrong["resourceType"], "OperationOutcome");
    let (_, _, consents) = fhir_get(
        &app,
        &format!("/fhir/r4/Consent?patient={baraka}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(consents["total"], 1, "{consents}");
    assert_eq!(consents["entry"][0]["resource"]["resourceType"], "Consent");
    let grant_id = grant.body["id"].as_str().unwrap();
    let (status, _, consent) =
        fhir_get(&app, &format!("/fhir/r4/Consent/{grant_id}"), Some(&kisumu)).await;
    assert_eq!(status, 200, "{consent}");
    assert_eq!(consent["id"], grant_id);
    assert_eq!(consent["patient"]["reference"], format!("Patient/{baraka}"));
    // The hospital's patients by name or MRN; one way of finding at a time.
    let (status, _, found) = fhir_get(&app, "/fhir/r4/Patient?name=bar", Some(&kisumu)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1);
    let mrn = found["entry"][0]["resource"]["identifier"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(found["entry"][0]["resource"]["id"], baraka.as_str());
    let (_, _, by_mrn) = fhir_get(
        &app,
        &format!("/fhir/r4/Patient?identifier={mrn}"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(by_mrn["total"], 1, "{by_mrn}");
    let (status, _, two_ways) = fhir_get(
        &app,
        "/fhir/r4/Patient?name=bar&identifier=x",
        Some(&kisumu),
    )
    .await;
    assert_eq!(status, 400, "{two_ways}");
    // The front desk reads no records: refused before the query is read.
    let (status, _, _) = fhir_get(
        &app,
        &format!("/fhir/r4/Condition?patient={baraka}"),
        Some(&front_desk),
    )
    .await;
    assert_eq!(status, 403);

    // A lab result created as an Observation, once however often it is sent.
    let vl = json!({
        "resourceType": "Observation", "status": "final",
        "identifier": [{"system": "https://lab.ksm.example/ids", "value": "VL-0001"}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "25836-8"}]},
        "subject": {"reference": format!("Patient/{baraka}")},
        "effectiveDateTime": "2026-11-02T08:00:00Z",
        "valueQuantity": {"value": 40, "comparator": "<", "unit": "copies/mL"}
    });
    let criteria = "identifier=https://lab.ksm.example/ids|VL-0001";
    let (status, location, made) = create(&app, &kisumu, &vl, Some(criteria)).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    assert!(location
        .unwrap()
        .ends_with(&format!("/fhir/r4/Observation/{id}")));
    assert_eq!(made["valueQuantity"]["comparator"], "<");
    let (status, _, again) = create(&app, &kisumu, &vl, Some(criteria)).await;
    assert_eq!(status, 200, "found, not made twice");
    assert_eq!(again["id"], id.as_str());
    let raced = futures_util::future::join_all((0..20).map(|i| {
        let (app, kisumu) = (&app, &kisumu);
        let mut body = vl.clone();
        body["identifier"][0]["value"] = json!("VL-0002");
        body["valueQuantity"]["value"] = json!(1000 + i);
        async move {
            create(
                app,
                kisumu,
                &body,
                Some("identifier=https://lab.ksm.example/ids|VL-0002"),
            )
            .await
        }
    }))
    .await;
    let made_once: Vec<_> = raced.iter().filter(|(s, _, _)| *s == 201).collect();
    assert_eq!(
        made_once.len(),
        1,
        "{:?}",
        raced.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert!(raced.iter().all(|(s, _, _)| [200, 201, 409].contains(s)));
    let (_, _, vls) = fhir_get(
        &app,
        &format!("/fhir/r4/Observation?patient={baraka}&code=25836-8"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(vls["total"], 2, "one per identifier");
    let (status, _, refused) = create(
        &app,
        &kisumu,
        &json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "25836-8"}]},
        "subject": {"reference": format!("Patient/{baraka}")}, "valueQuantity": {"value": -3}}),
        None,
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("Observation.value"),
        "{refused}"
    );
    let (status, _, _) = create(&app, &front_desk, &vl, None).await;
    assert_eq!(status, 403);

    // Everything the hospital may see of him: the Patient, then every record.
    let (status, _, everything) = fhir_get(
        &app,
        &format!("/fhir/r4/Patient/{baraka}/$everything?_count=100"),
        Some(&kisumu),
    )
    .await;
    assert_eq!(status, 200, "{everything}");
    let kinds: Vec<&str> = everything["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "Patient");
    for kind in [
        "MedicationRequest",
        "Condition",
        "AllergyIntolerance",
        "Observation",
    ] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    assert_eq!(everything["total"], 7);

    validate(&[
        &first,
        &current,
        &before,
        &conditions,
        &condition,
        &allergies,
        &allergy_read,
        &consents,
        &made,
        &everything,
        &refused,
        &wrong,
        &consent,
        &found,
        &by_mrn,
        &two_ways,
    ]);
    app.cleanup().await;
}
