//! The schedule and the billing desk as a browser without JavaScript uses them: plain form
//! posts answered with a redirect, or with the page and the error; times on the hospital's
//! clock (Africa/Nairobi, UTC+3).

use crate::common;

use common::{call, hospital, member, spawn_app, TestApp};
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::json;

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let r = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

#[tokio::test]
async fn the_front_desk_books_from_the_schedule_and_the_billing_desk_is_paid() {
    let app = spawn_app().await;
    let h = hospital(&app, "SCHED").await;
    let (admin, admin_token) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}/settings"),
        &admin_token,
        Some(json!({"break_glass_minutes": 180, "timezone": "Africa/Nairobi"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["timezone"], "Africa/Nairobi");
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/v1/hospitals/{h}/settings"),
        &admin_token,
        Some(json!({"break_glass_minutes": 180, "timezone": "Mars/Olympus"})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["timezone"].is_array());

    let (desk_account, desk_token) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, _) = member(&app, Role::Clinician, h, "doc").await;
    let (clerk_account, _) = member(&app, Role::BillingClerk, h, "clerk").await;
    let (_, amina) = app
        .post_json(
            "/api/v1/patients",
            Some(&desk_token),
            json!({"first_name": "Amina", "last_name": "Odhiambo", "date_of_birth": "1988-02-14",
                   "sex": "female", "mrn": "SCH-0001", "email": "amina.sched@example.org"}),
        )
        .await;
    let amina_id = amina["id"].as_str().unwrap().to_string();
    let desk = app.browser(&desk_account).await;
    let clinician = app.browser(&doctor).await;
    let clerk = app.browser(&clerk_account).await;
    let doc = doctor.id.to_string();

    // The week view offers the free slots of the clinician's week.
    let week = format!("/schedule?provider={doc}&day=2030-05-06&span=week");
    let (status, html) = page(&desk, &app, &week).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("week of Mon 6 May"),
        "the week starts on Monday"
    );
    assert!(
        html.contains("/schedule/book?provider="),
        "free slots are links"
    );
    assert!(html.contains("Africa/Nairobi"));

    // Booking a slot by record number on the hospital's clock (09:00 in Nairobi is 06:00 UTC).
    let book = [
        ("mrn", "sch-0001"),
        ("provider_id", doc.as_str()),
        ("date", "2030-05-07"),
        ("time", "09:00"),
        ("minutes", "30"),
        ("visit_type", "refill"),
        ("reason", "Refill visit"),
    ];
    let (status, location, _) = post(&desk, &app, "/schedule/book", &book).await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("done=booked"), "{location}");
    let list = call(
        &app,
        Method::GET,
        &format!("/api/v1/appointments?patient_id={amina_id}"),
        &desk_token,
        None,
    )
    .await;
    let visit = &list.body["appointments"][0];
    assert_eq!(visit["scheduled_start"], "2030-05-07T06:00:00Z");
    assert_eq!(visit["local_start"], "2030-05-07T09:00:00");
    assert_eq!(visit["timezone"], "Africa/Nairobi");
    assert_eq!(visit["visit_type"], "refill");
    let id = visit["appointment_id"].as_str().unwrap().to_string();
    let (_, html) = page(&desk, &app, &week).await;
    assert!(html.contains("Amina Odhiambo"), "the visit is on the week");
    // Amina sees it in her portal: when and where, on the hospital's clock, nothing of why.
    let patient = common::patient_token(&app, "amina.sched@example.org").await;
    let home = call(&app, Method::GET, "/api/v1/me/home", &patient, None).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert_eq!(home.body["visits"][0]["local_start"], "2030-05-07T09:00:00");
    assert_eq!(home.body["visits"][0]["hospital_name"], "Hospital SCHED");
    assert_eq!(home.body["next_appointment"], "2030-05-07T06:00:00Z");
    let mine = call(&app, Method::GET, "/api/v1/me/appointments", &patient, None).await;
    assert_eq!(mine.body["upcoming"].as_array().unwrap().len(), 1);
    assert!(
        !mine.body.to_string().contains("Refill visit"),
        "no reason in the portal"
    );

    // The same slot again: the form comes back with the visit in the way and what was typed.
    let (status, _, html) = post(&desk, &app, "/schedule/book", &book).await;
    assert_eq!(status, 409);
    assert!(html.contains(&id), "names the appointment in the way");
    assert!(html.contains("Refill visit"), "what was typed is kept");
    // An unknown record number is a field error.
    let mut unknown = book;
    unknown[0] = ("mrn", "SCH-9999");
    unknown[3] = ("time", "11:00");
    let (status, _, html) = post(&desk, &app, "/schedule/book", &unknown).await;
    assert_eq!(status, 400);
    assert!(html.contains("no patient of this hospital has this record number"));

    // The day view; check in at the front desk; the clinician completes.
    let day = format!("/schedule?provider={doc}&day=2030-05-07&span=day");
    let (_, html) = page(&desk, &app, &day).await;
    assert!(html.contains(&format!("visit-{id}")) && html.contains("Check in"));
    let back = day.as_str();
    let status_path = format!("/appointments/{id}/status");
    let (status, location, _) = post(
        &desk,
        &app,
        &status_path,
        &[("status", "completed"), ("back", back)],
    )
    .await;
    assert_eq!(
        status, 403,
        "the front desk does not complete visits: {location}"
    );
    let (status, location, _) = post(
        &desk,
        &app,
        &status_path,
        &[("status", "checked_in"), ("back", back)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("done=checked_in"), "{location}");
    let (status, _, _) = post(
        &clinician,
        &app,
        &status_path,
        &[("status", "completed"), ("back", back)],
    )
    .await;
    assert_eq!(status, 303);

    // The billing desk invoices it and marks it paid.
    let (status, html) = page(&clerk, &app, "/invoices").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("data-appointment=\"{id}\"")),
        "waiting to invoice"
    );
    assert!(
        !html.contains("Refill visit"),
        "nothing clinical at the billing desk"
    );
    let (status, location, _) = post(
        &clerk,
        &app,
        "/invoices",
        &[("appointment_id", id.as_str()), ("back", "/invoices")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/invoices?done=invoiced");
    let (_, html) = page(&clerk, &app, "/invoices?status=unpaid").await;
    let invoice = html
        .split("data-invoice=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(html.contains("USD 15.00"), "the refill fee");
    let (status, location, _) = post(
        &clerk,
        &app,
        &format!("/invoices/{invoice}/status"),
        &[("status", "paid"), ("back", "/invoices?status=unpaid")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/invoices?status=unpaid&done=paid");
    let (_, html) = page(&clerk, &app, "/invoices?status=paid").await;
    assert!(html.contains(&format!("data-invoice=\"{invoice}\"")));
    assert!(html.contains("data-status=\"paid\""));
    // The hospital admin sets the fee table by a plain form: a bad amount comes back named,
    // with what was typed; a good table is kept.
    let admin_browser = app.browser(&admin).await;
    let (status, html) = page(&admin_browser, &app, "/admin/fees").await;
    assert_eq!(status, 200);
    assert!(html.contains("99212") && html.contains("data-visit-type=\"refill\""));
    let mut fees: Vec<(String, String)> = Vec::new();
    for (i, (visit, code)) in [
        ("new_patient", "99203"),
        ("follow_up", "99213"),
        ("refill", "99212"),
        ("counselling", "99401"),
        ("lab_only", "36415"),
    ]
    .into_iter()
    .enumerate()
    {
        for (field, value) in [
            ("visit_type", visit.to_string()),
            ("cpt_code", code.to_string()),
            ("description", format!("Visit {code}")),
            ("amount", "1500".to_string()),
            ("currency", "KES".to_string()),
        ] {
            fees.push((format!("fees[{i}].{field}"), value));
        }
    }
    let mut bad = fees.clone();
    bad[3].1 = "15,00".into();
    let r = admin_browser
        .post(app.url("/admin/fees"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("fees[0].amount") && html.contains("15,00"),
        "named and kept"
    );
    let r = admin_browser
        .post(app.url("/admin/fees"))
        .form(&fees)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&admin_browser, &app, "/admin/fees").await;
    assert!(html.contains("KES 1,500.00"));
    // The front desk has no billing page; the clerk no schedule.
    let (_, html) = page(&desk, &app, "/invoices").await;
    assert!(html.contains("permission"), "refused");
    let (_, html) = page(&clerk, &app, "/schedule").await;
    assert!(html.contains("permission"), "refused");
    app.cleanup().await;
}
