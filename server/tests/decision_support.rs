//! Decision support through the API: the summary's flags explain themselves (rule, why, the
//! inputs with dates, what to do), follow the hospital's rule set, stop while a result is
//! pending, read interruption in treatment across the hospitals the caller may see, and reach
//! the patient's portal in plain words.

use crate::common;

use chrono::{Duration, Months, NaiveDate, Utc};
use common::{add_record, call, consent_form, hospital, member, patient_token, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn months_ago(n: u32) -> NaiveDate {
    today().checked_sub_months(Months::new(n)).unwrap()
}

async fn register(app: &TestApp, token: &str, first: &str, extra: Value) -> String {
    let mut body = json!({"first_name": first, "last_name": "Achieng",
        "date_of_birth": "1988-03-03", "sex": "female"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = call(app, Method::POST, "/api/v1/patients", token, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn start_art(app: &TestApp, token: &str, patient: &str, on: NaiveDate) {
    add_record(
        app,
        token,
        patient,
        json!({"record_type": "art_regimen", "recorded_at": on.to_string(),
        "payload": {"regimen": "TDF+3TC+DTG", "line": "first", "action": "start"}}),
    )
    .await;
}

async fn flags(app: &TestApp, token: &str, patient: &str) -> Vec<Value> {
    let r = call(
        app,
        Method::GET,
        &format!("/api/v1/patients/{patient}/summary"),
        token,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["flags"].as_array().unwrap().clone()
}

fn find<'a>(flags: &'a [Value], rule: &str) -> Option<&'a Value> {
    flags.iter().find(|f| f["rule_id"] == rule)
}

#[tokio::test]
async fn an_overdue_viral_load_is_explained_and_the_rule_set_decides_the_thresholds() {
    let app = common::spawn_app_with(&[("RATE_LIMIT_OTP_PER_IP", "1000")]).await;
    let h = hospital(&app, "CDS").await;
    let (_, doctor) = member(&app, Role::Clinician, h, "doc").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let amina = register(
        &app,
        &doctor,
        "Amina",
        json!({"email": "amina.cds@example.org"}),
    )
    .await;
    start_art(&app, &doctor, &amina, months_ago(36)).await;
    let last = months_ago(14);
    add_record(
        &app,
        &doctor,
        &amina,
        json!({"record_type": "viral_load",
        "recorded_at": last.to_string(), "payload": {"copies_per_ml": 40, "comparator": "<"}}),
    )
    .await;

    let all = flags(&app, &doctor, &amina).await;
    let overdue = find(&all, "HIV.S.2.3").unwrap_or_else(|| panic!("{all:#?}"));
    let due = last.checked_add_months(Months::new(12)).unwrap();
    assert_eq!(overdue["kind"], "viral_load_overdue");
    assert_eq!(overdue["since"], (due + Duration::days(28)).to_string());
    assert_eq!(overdue["why"], "12 months after the last suppressed result");
    assert_eq!(overdue["evidence"][0]["date"], last.to_string());
    assert!(overdue["action"]
        .as_str()
        .unwrap()
        .contains("viral-load sample"));
    assert!(overdue["reference"].as_str().unwrap().contains("HIV.S.2"));
    assert_eq!(overdue["rule_set"], "WHO 2021");
    // TDF without a creatinine: renal monitoring (HIV.D12.DT.13).
    assert!(find(&all, "HIV.D12.DT.13").is_some(), "{all:#?}");

    // The patient reads it in plain words, behind their own sign-in.
    let token = patient_token(&app, "amina.cds@example.org").await;
    let home = call(&app, Method::GET, "/api/v1/me/home", &token, None).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let care = home.body["care"].as_array().unwrap();
    assert!(care.contains(&json!("test_due")), "{}", home.body);
    assert!(care.contains(&json!("kidney_test")), "{}", home.body);

    // A sample taken and not yet back: nothing is due.
    add_record(
        &app,
        &doctor,
        &amina,
        json!({"record_type": "viral_load",
        "payload": {"copies_per_ml": null, "qualitative": "pending"}}),
    )
    .await;
    let all = flags(&app, &doctor, &amina).await;
    assert!(find(&all, "HIV.S.2.3").is_none(), "{all:#?}");

    // 300 copies/mL: low-level viraemia by WHO, unsuppressed by the Kenya set.
    let baraka = register(&app, &doctor, "Baraka", json!({})).await;
    start_art(&app, &doctor, &baraka, months_ago(24)).await;
    add_record(
        &app,
        &doctor,
        &baraka,
        json!({"record_type": "viral_load",
        "recorded_at": months_ago(1).to_string(), "payload": {"copies_per_ml": 300}}),
    )
    .await;
    let who = flags(&app, &doctor, &baraka).await;
    assert_eq!(
        find(&who, "HIV.S.2.4").map(|f| &f["kind"]),
        Some(&json!("low_level_viraemia"))
    );
    assert!(find(&who, "HIV.S.2.6").is_none());
    let set = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}/settings"),
        &admin,
        Some(json!({"break_glass_minutes": 180, "rule_set": "kenya"})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["rule_set"], "kenya");
    let kenya = flags(&app, &doctor, &baraka).await;
    let unsuppressed = find(&kenya, "HIV.S.2.6").unwrap_or_else(|| panic!("{kenya:#?}"));
    assert_eq!(unsuppressed["severity"], "urgent");
    assert_eq!(unsuppressed["rule_set"], "Kenya 2022");
    let bad = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}/settings"),
        &admin,
        Some(json!({"break_glass_minutes": 180, "rule_set": "atlantis"})),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body["fields"]["rule_set"].is_array());
    app.cleanup().await;
}

/// The hospital admin chooses the rule set (and the break-glass length and time zone) on the
/// settings page, a plain form: a refused value comes back named with what was typed and
/// changes nothing; other roles are refused.
#[tokio::test]
async fn the_hospital_admin_chooses_the_rule_set_on_the_settings_page() {
    let app = common::spawn_app().await;
    let h = hospital(&app, "SET").await;
    let (admin, admin_token) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let (doctor, _) = member(&app, Role::Clinician, h, "doc").await;
    let browser = app.browser(&admin).await;
    let page = |client: reqwest::Client, path: &'static str| {
        let url = app.url(path);
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let radio = |html: &str, id: &str| -> String {
        let at = html.find(&format!("id=\"rule_set-{id}\"")).unwrap();
        let start = html[..at].rfind('<').unwrap();
        html[start..at + html[at..].find('>').unwrap()].to_string()
    };
    let (status, html) = page(browser.clone(), "/admin/settings").await;
    assert_eq!(status, 200);
    assert!(radio(&html, "who").contains("checked"), "WHO by default");
    assert!(!radio(&html, "kenya").contains("checked"));
    assert!(
        html.contains("Unsuppressed above 200 copies/mL"),
        "what Kenya changes"
    );

    let form = |zone: &str| {
        vec![
            ("break_glass_minutes", "120".to_string()),
            ("timezone", zone.to_string()),
            ("rule_set", "kenya".to_string()),
        ]
    };
    let r = browser
        .post(app.url("/admin/settings"))
        .form(&form("Mars/Olympus"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("timezone") && html.contains("Mars/Olympus"),
        "named and kept"
    );
    assert!(radio(&html, "kenya").contains("checked"), "the choice kept");
    let kept = call(
        &app,
        Method::GET,
        &format!("/api/v1/hospitals/{h}"),
        &admin_token,
        None,
    )
    .await;
    assert_eq!(kept.body["rule_set"], "who", "nothing changed");

    let r = browser
        .post(app.url("/admin/settings"))
        .form(&form("Africa/Nairobi"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/settings?done=settings");
    let saved = call(
        &app,
        Method::GET,
        &format!("/api/v1/hospitals/{h}"),
        &admin_token,
        None,
    )
    .await;
    assert_eq!(saved.body["rule_set"], "kenya");
    assert_eq!(saved.body["break_glass_minutes"], 120);
    assert_eq!(saved.body["timezone"], "Africa/Nairobi");
    let (_, html) = page(browser.clone(), "/admin/settings?done=settings").await;
    assert!(html.contains("Settings saved."));
    assert!(radio(&html, "kenya").contains("checked"));

    let clinician = app.browser(&doctor).await;
    let (_, html) = page(clinician.clone(), "/admin/settings").await;
    assert!(html.contains("permission"), "refused");
    let r = clinician
        .post(app.url("/admin/settings"))
        .form(&form("Africa/Nairobi"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.cleanup().await;
}

#[tokio::test]
async fn an_interruption_is_a_transfer_when_another_hospital_the_caller_may_see_saw_the_patient() {
    let app = common::spawn_app().await;
    let (ksm, mbr) = (hospital(&app, "IIT-K").await, hospital(&app, "IIT-M").await);
    let (_, kisumu) = member(&app, Role::Clinician, ksm, "ksm").await;
    let (_, pharmacy) = member(&app, Role::Pharmacist, ksm, "ksm").await;
    let (_, mbarara) = member(&app, Role::Clinician, mbr, "mbr").await;
    let patient = register(
        &app,
        &kisumu,
        "Neema",
        json!({"national_id": "KE-IIT-0001"}),
    )
    .await;
    start_art(&app, &kisumu, &patient, months_ago(24)).await;
    // A month's supply dispensed three months ago, nothing since.
    let given = today() - Duration::days(90);
    let rx = add_record(
        &app,
        &kisumu,
        &patient,
        json!({"record_type": "prescription",
        "recorded_at": given.to_string(), "payload": {"drug_name": "TDF/3TC/DTG", "atc": "J05AR27",
        "dose": "1 tablet", "frequency": "once daily", "duration_days": 30}}),
    )
    .await;
    add_record(
        &app,
        &pharmacy,
        &patient,
        json!({"record_type": "dispensing",
        "recorded_at": given.to_string(),
        "payload": {"prescription_id": rx, "quantity": 30, "days_supplied": 30}}),
    )
    .await;
    let all = flags(&app, &kisumu, &patient).await;
    let iit = find(&all, "HIV.H.DE42").unwrap_or_else(|| panic!("{all:#?}"));
    let ran_out = given + Duration::days(30);
    assert_eq!(iit["kind"], "interruption_in_treatment");
    assert_eq!(iit["since"], (ran_out + Duration::days(28)).to_string());
    assert!(
        iit["why"].as_str().unwrap().contains("medicine supply"),
        "{iit}"
    );

    // Seen at Mbarara last week: Kisumu cannot know without the patient's consent.
    let linked = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/links"),
        &mbarara,
        Some(json!({"national_id": "KE-IIT-0001"})),
    )
    .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    add_record(
        &app,
        &mbarara,
        &patient,
        json!({"record_type": "vital_signs",
        "recorded_at": (today() - Duration::days(7)).to_string(), "payload": {"weight_kg": 61}}),
    )
    .await;
    assert!(find(&flags(&app, &kisumu, &patient).await, "HIV.H.DE42").is_some());
    // With the patient's consent to share notes with Kisumu, the visit is a transfer.
    let form = consent_form(&app, &kisumu, &patient).await;
    let grant = call(
        &app,
        Method::POST,
        &format!("/api/v1/patients/{patient}/consent"),
        &kisumu,
        Some(json!({"hospital_id": ksm, "categories": ["clinical_notes"],
            "purpose": "treatment", "consent_form_id": form})),
    )
    .await;
    assert_eq!(grant.status, 201, "{}", grant.body);
    let all = flags(&app, &kisumu, &patient).await;
    assert!(find(&all, "HIV.H.DE42").is_none(), "{all:#?}");
    let elsewhere = find(&all, "HIV.H.DE25").unwrap_or_else(|| panic!("{all:#?}"));
    assert_eq!(elsewhere["kind"], "seen_elsewhere");
    assert!(
        elsewhere["why"]
            .as_str()
            .unwrap()
            .contains("Hospital IIT-M"),
        "{elsewhere}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn worklists_hold_the_flagged_patients_most_urgent_first_and_tracing_outcomes_close_them() {
    let app = common::spawn_app().await;
    let h = hospital(&app, "WL").await;
    let (_, doctor) = member(&app, Role::Clinician, h, "doc").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (_, pharmacy) = member(&app, Role::Pharmacist, h, "pharm").await;
    // Overdue for a viral load, long since.
    let old = register(&app, &doctor, "Old", json!({})).await;
    start_art(&app, &doctor, &old, months_ago(48)).await;
    add_record(
        &app,
        &doctor,
        &old,
        json!({"record_type": "viral_load",
        "recorded_at": months_ago(20).to_string(), "payload": {"copies_per_ml": 0}}),
    )
    .await;
    // Overdue more recently.
    let recent = register(&app, &doctor, "Recent", json!({})).await;
    start_art(&app, &doctor, &recent, months_ago(48)).await;
    add_record(
        &app,
        &doctor,
        &recent,
        json!({"record_type": "viral_load",
        "recorded_at": months_ago(14).to_string(), "payload": {"copies_per_ml": 0}}),
    )
    .await;
    // Suppressed last month: on no list.
    let fine = register(&app, &doctor, "Fine", json!({})).await;
    start_art(&app, &doctor, &fine, months_ago(48)).await;
    add_record(
        &app,
        &doctor,
        &fine,
        json!({"record_type": "viral_load",
        "recorded_at": months_ago(1).to_string(), "payload": {"copies_per_ml": 0}}),
    )
    .await;
    // Unsuppressed and advanced disease.
    let sick = register(&app, &doctor, "Sick", json!({})).await;
    start_art(&app, &doctor, &sick, months_ago(48)).await;
    add_record(
        &app,
        &doctor,
        &sick,
        json!({"record_type": "viral_load",
        "recorded_at": months_ago(1).to_string(), "payload": {"copies_per_ml": 54000}}),
    )
    .await;
    add_record(
        &app,
        &doctor,
        &sick,
        json!({"record_type": "cd4",
        "recorded_at": months_ago(1).to_string(), "payload": {"cells_per_ul": 120}}),
    )
    .await;
    // Ran out of medicine two months ago.
    let gone = register(&app, &doctor, "Gone", json!({})).await;
    start_art(&app, &doctor, &gone, months_ago(30)).await;
    add_record(
        &app,
        &doctor,
        &gone,
        json!({"record_type": "viral_load",
        "recorded_at": months_ago(3).to_string(), "payload": {"copies_per_ml": 0}}),
    )
    .await;
    let given = today() - Duration::days(90);
    let rx = add_record(
        &app,
        &doctor,
        &gone,
        json!({"record_type": "prescription",
        "recorded_at": given.to_string(), "payload": {"drug_name": "TLD", "atc": "J05AR27",
        "dose": "1 tablet", "frequency": "daily", "duration_days": 30}}),
    )
    .await;
    add_record(
        &app,
        &pharmacy,
        &gone,
        json!({"record_type": "dispensing",
        "recorded_at": given.to_string(),
        "payload": {"prescription_id": rx, "quantity": 30, "days_supplied": 30}}),
    )
    .await;

    let list = |name: &'static str| {
        let app = &app;
        let doctor = doctor.clone();
        async move {
            let r = call(
                app,
                Method::GET,
                &format!("/api/v1/worklists/{name}"),
                &doctor,
                None,
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        }
    };
    let vl = list("vl_due").await;
    let ids: Vec<&str> = vl["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["patient_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [old.as_str(), recent.as_str()], "{vl:#}");
    assert_eq!(vl["data"][0]["rule_id"], "HIV.S.2.3");
    assert_eq!(vl["data"][0]["name"], "Old Achieng");
    assert_eq!(vl["counts"]["vl_due"], 2);
    assert_eq!(vl["counts"]["unsuppressed"], 1);
    assert_eq!(vl["counts"]["ahd"], 1);
    assert_eq!(vl["counts"]["iit"], 1);
    let unsuppressed = list("unsuppressed").await;
    assert_eq!(unsuppressed["data"][0]["patient_id"], sick.as_str());
    assert_eq!(unsuppressed["data"][0]["severity"], "urgent");
    let ahd = list("ahd").await;
    assert_eq!(ahd["data"][0]["rule_id"], "HIV.D12.DT.05");
    let iit = list("iit").await;
    assert_eq!(iit["data"][0]["patient_id"], gone.as_str());
    assert_eq!(iit["data"][0]["last_contact"], given.to_string());
    // The list is a read of patient data: audited with the patients shown.
    let counts = call(&app, Method::GET, "/api/v1/worklists", &doctor, None).await;
    assert_eq!(counts.body["iit"], 1);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/worklists/iit", &desk, None)
            .await
            .status,
        403
    );
    assert_eq!(
        call(&app, Method::GET, "/api/v1/worklists/lost", &doctor, None)
            .await
            .status,
        404
    );

    // Traced: not located keeps them on the list with the outcome shown; a transfer out
    // closes the episode.
    let path = format!("/api/v1/patients/{gone}/tracing-outcomes");
    let first = call(
        &app,
        Method::POST,
        &path,
        &doctor,
        Some(
            json!({"outcome": "not_located", "contact_method": "phone", "note": "No answer twice"}),
        ),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["outcome"]["code"], "HIV.H.DE28");
    assert_eq!(first.body["note"], "No answer twice");
    let iit = list("iit").await;
    assert_eq!(iit["data"][0]["last_outcome"]["outcome"], "not_located");
    let bad = call(
        &app,
        Method::POST,
        &path,
        &doctor,
        Some(json!({"outcome": "vanished"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["fields"]["outcome"].is_array());
    let moved = call(
        &app,
        Method::POST,
        &path,
        &doctor,
        Some(json!({"outcome": "transferred_out"})),
    )
    .await;
    assert_eq!(moved.status, 201, "{}", moved.body);
    assert_eq!(list("iit").await["pagination"]["total"], 0);
    app.cleanup().await;
}
