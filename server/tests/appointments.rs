//! Appointments and billing through the API, with ClinicHub's rules and response shapes:
//! booking and its conflicts, the list's filters and pagination, rescheduling, check-in,
//! completion (the CPT record), cancellation, invoices and payments, the fee table; and the
//! races for one slot and one invoice, which matter on PostgreSQL.

use crate::common;

use common::{call, hospital, member, spawn_app, TestApp};
use futures_util::future::join_all;
use hospitallink::domain::identity::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

/// Registers a patient at `token`'s hospital; their id.
async fn patient(app: &TestApp, token: &str, first: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/patients",
            Some(token),
            json!({"first_name": first, "last_name": "Mwangi", "date_of_birth": "1990-05-10",
                   "sex": "female"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn booking(patient: &str, provider: &str, start: &str, end: &str) -> Value {
    json!({"patient_id": patient, "provider_user_id": provider, "scheduled_start": start,
           "scheduled_end": end, "status": "scheduled", "reason": "General checkup",
           "notes": "First visit"})
}

async fn book(app: &TestApp, token: &str, body: Value) -> common::Call {
    call(app, Method::POST, "/api/v1/appointments", token, Some(body)).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> common::Call {
    call(app, Method::PUT, path, token, Some(body)).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> common::Call {
    call(app, Method::GET, path, token, None).await
}

#[tokio::test]
async fn booking_follows_the_clinichub_rules_and_shapes() {
    let app = spawn_app().await;
    let h = hospital(&app, "APPT").await;
    let other = hospital(&app, "APPT-O").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, clinician) = member(&app, Role::Clinician, h, "doc").await;
    let (doctor2, _) = member(&app, Role::Clinician, h, "doc2").await;
    let (stranger, _) = member(&app, Role::Clinician, other, "far").await;
    let (desk_account, _) = member(&app, Role::Receptionist, h, "desk2").await;
    let amina = patient(&app, &desk, "Amina").await;
    let baraka = patient(&app, &desk, "Baraka").await;
    let doc = doctor.id.to_string();
    let doc2 = doctor2.id.to_string();

    // ClinicHub's example request: 201 with `message` and `appointment`.
    let first = book(
        &app,
        &desk,
        booking(&amina, &doc, "2026-04-15T10:00:00", "2026-04-15T10:30:00"),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["message"], "Appointment created successfully");
    let a = &first.body["appointment"];
    for key in ["appointment_id", "patient_id", "provider_user_id", "status"] {
        assert!(!a[key].is_null(), "{key} in {a}");
    }
    assert_eq!(a["patient_id"], amina.as_str());
    assert_eq!(a["provider_user_id"], doc.as_str());
    assert_eq!(a["scheduled_start"], "2026-04-15T10:00:00Z");
    assert_eq!(a["scheduled_end"], "2026-04-15T10:30:00Z");
    assert_eq!(a["status"], "scheduled");
    assert_eq!(a["reason"], "General checkup");
    let first_id = a["appointment_id"].as_str().unwrap().to_string();

    // The same provider, overlapping: 409 naming the appointment in the way.
    let clash = book(
        &app,
        &desk,
        booking(
            &baraka,
            &doc,
            "2026-04-15T10:15:00Z",
            "2026-04-15T10:45:00Z",
        ),
    )
    .await;
    assert_eq!(clash.status, 409, "{}", clash.body);
    assert_eq!(clash.body["code"], "appointment_conflict");
    assert_eq!(clash.body["existing_id"], first_id.as_str());
    assert!(clash.body["error"].as_str().unwrap().contains(&first_id));
    // The same patient with another provider: 409 too.
    let clash = book(
        &app,
        &desk,
        booking(&amina, &doc2, "2026-04-15T10:20:00", "2026-04-15T10:40:00"),
    )
    .await;
    assert_eq!(clash.status, 409, "{}", clash.body);
    assert_eq!(clash.body["existing_id"], first_id.as_str());
    // Back to back is fine; an offset is converted to UTC.
    let next = book(
        &app,
        &desk,
        booking(&baraka, &doc, "2026-04-15T10:30:00", "2026-04-15T11:00:00"),
    )
    .await;
    assert_eq!(next.status, 201, "{}", next.body);
    let next_id = next.body["appointment"]["appointment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let offset = book(
        &app,
        &desk,
        booking(
            &amina,
            &doc,
            "2026-04-15T14:00:00+03:00",
            "2026-04-15T14:30:00+03:00",
        ),
    )
    .await;
    assert_eq!(offset.status, 201, "{}", offset.body);
    assert_eq!(
        offset.body["appointment"]["scheduled_start"],
        "2026-04-15T11:00:00Z"
    );
    let offset_id = offset.body["appointment"]["appointment_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Bad input names the field; never a 500.
    let r = book(
        &app,
        &desk,
        booking(&amina, &doc, "2026-04-16T10:00:00", "2026-04-16T09:00:00"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["scheduled_end"].is_array(), "{}", r.body);
    let r = book(
        &app,
        &desk,
        booking(&amina, &doc, "16/04/2026 10:00", "2026-04-16T11:00:00"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["scheduled_start"].is_array(), "{}", r.body);
    let r = book(&app, &desk, json!({})).await;
    assert_eq!(r.status, 400);
    for field in [
        "patient_id",
        "provider_user_id",
        "scheduled_start",
        "scheduled_end",
    ] {
        assert!(r.body["fields"][field].is_array(), "{field}: {}", r.body);
    }
    // Only an active clinician of the hospital sees patients there.
    for provider in [desk_account.id, stranger.id] {
        let r = book(
            &app,
            &desk,
            booking(
                &amina,
                &provider.to_string(),
                "2026-04-16T10:00:00",
                "2026-04-16T10:30:00",
            ),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            r.body["fields"]["provider_user_id"].is_array(),
            "{}",
            r.body
        );
    }
    // Another hospital's patient is not there to book.
    let (_, far_desk) = member(&app, Role::Receptionist, other, "far-desk").await;
    let far_patient = patient(&app, &far_desk, "Chausiku").await;
    let r = book(
        &app,
        &desk,
        booking(
            &far_patient,
            &doc,
            "2026-04-16T10:00:00",
            "2026-04-16T10:30:00",
        ),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // The list: ClinicHub's shape, filters and pagination.
    let list = get(
        &app,
        &desk,
        "/api/v1/appointments?page=1&per_page=10&status=scheduled",
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["appointments"].as_array().unwrap().len(), 3);
    assert_eq!(
        list.body["pagination"],
        json!({"total": 3, "page": 1, "per_page": 10, "has_next": false, "has_prev": false})
    );
    assert_eq!(
        list.body["appointments"][0]["appointment_id"],
        first_id.as_str()
    );
    assert_eq!(list.body["appointments"][0]["patient_name"], "Amina Mwangi");
    let paged = get(&app, &desk, "/api/v1/appointments?per_page=1&page=2").await;
    assert_eq!(paged.body["pagination"]["has_next"], true);
    assert_eq!(paged.body["pagination"]["has_prev"], true);
    assert_eq!(
        paged.body["appointments"][0]["appointment_id"],
        next_id.as_str()
    );
    let mine = get(
        &app,
        &desk,
        &format!("/api/v1/appointments?patient_id={baraka}"),
    )
    .await;
    assert_eq!(mine.body["pagination"]["total"], 1);
    let window = get(
        &app,
        &desk,
        &format!(
            "/api/v1/appointments?provider_user_id={doc}&from=2026-04-15T10:30:00&to=2026-04-15"
        ),
    )
    .await;
    assert_eq!(window.body["pagination"]["total"], 2, "{}", window.body);
    let none = get(&app, &desk, "/api/v1/appointments?from=2026-04-16").await;
    assert_eq!(none.body["pagination"]["total"], 0);
    let bad = get(&app, &desk, "/api/v1/appointments?status=late&from=soon").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["fields"]["status"].is_array() && bad.body["fields"]["from"].is_array());
    // Another hospital sees none of them.
    let (_, far_clinician) = member(&app, Role::Clinician, other, "far-c").await;
    let theirs = get(&app, &far_clinician, "/api/v1/appointments").await;
    assert_eq!(theirs.body["pagination"]["total"], 0);
    let r = get(
        &app,
        &far_clinician,
        &format!("/api/v1/appointments/{first_id}"),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "Appointment not found");

    // A new start alone keeps the length; the old slot is then free.
    let path = format!("/api/v1/appointments/{first_id}");
    let moved = put(
        &app,
        &desk,
        &path,
        json!({"scheduled_start": "2026-04-15T09:00:00"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["message"], "Appointment updated successfully");
    assert_eq!(
        moved.body["appointment"]["scheduled_end"],
        "2026-04-15T09:30:00Z"
    );
    // Moving onto another booking is a conflict.
    let r = put(
        &app,
        &desk,
        &path,
        json!({"scheduled_start": "2026-04-15T10:45:00"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["existing_id"], next_id.as_str());
    let r = put(&app, &desk, &path, json!({"status": "finished"})).await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["status"].is_array());
    let r = put(&app, &desk, &path, json!({})).await;
    assert_eq!(r.status, 400);

    // Check-in at the front desk; completing is the clinician's (it is a clinical act).
    let r = put(&app, &desk, &path, json!({"status": "checked_in"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["appointment"]["status"], "checked_in");
    assert!(!r.body["appointment"]["checked_in_at"].is_null());
    let r = put(&app, &desk, &path, json!({"status": "completed"})).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let done = put(&app, &clinician, &path, json!({"status": "completed"})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["appointment"]["status"], "completed");
    let cpt = done.body["appointment"]["cpt_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Completing again changes nothing and makes no second CPT record.
    let again = put(&app, &clinician, &path, json!({"status": "completed"})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["appointment"]["cpt_id"], cpt.as_str());
    // Completed: not rescheduled, not cancelled.
    let r = put(
        &app,
        &desk,
        &path,
        json!({"scheduled_start": "2026-04-17T09:00:00"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = call(&app, Method::DELETE, &path, &desk, None).await;
    assert_eq!(r.status, 409, "{}", r.body);

    // DELETE cancels softly; a cancelled visit cannot be rescheduled and frees its slot.
    let offset_path = format!("/api/v1/appointments/{offset_id}");
    let r = call(&app, Method::DELETE, &offset_path, &desk, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"message": "Appointment cancelled successfully", "appointment_id": offset_id})
    );
    let kept = get(&app, &desk, &offset_path).await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.body["status"], "cancelled");
    let r = put(
        &app,
        &desk,
        &offset_path,
        json!({"scheduled_start": "2026-04-17T09:00:00"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = put(&app, &desk, &offset_path, json!({"status": "checked_in"})).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let rebook = book(
        &app,
        &desk,
        booking(&baraka, &doc, "2026-04-15T11:00:00", "2026-04-15T11:30:00"),
    )
    .await;
    assert_eq!(rebook.status, 201, "{}", rebook.body);

    // A visit not yet due cannot be marked missed.
    let r = put(
        &app,
        &desk,
        &format!("/api/v1/appointments/{next_id}"),
        json!({"status": "no_show"}),
    )
    .await;
    assert_eq!(r.status, 200, "2026-04-15 has passed: {}", r.body);
    let future = book(
        &app,
        &desk,
        booking(&amina, &doc2, "2099-01-05T09:00:00", "2099-01-05T09:30:00"),
    )
    .await;
    let future_id = future.body["appointment"]["appointment_id"]
        .as_str()
        .unwrap();
    let r = put(
        &app,
        &desk,
        &format!("/api/v1/appointments/{future_id}"),
        json!({"status": "no_show"}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Every read and change is in the audit log.
    let amina_id: uuid::Uuid = amina.parse().unwrap();
    assert!(common::audit_count(&app, "appointment", "create", amina_id).await >= 2);
    assert!(common::audit_count(&app, "appointment", "update", amina_id).await >= 3);
    assert!(common::audit_count(&app, "appointment", "delete", amina_id).await >= 1);
    app.cleanup().await;
}

/// Books and completes a visit of `patient` with `provider`; the appointment id.
async fn completed_visit(app: &TestApp, desk: &str, clinician: &str, body: Value) -> String {
    let r = book(app, desk, body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["appointment"]["appointment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = put(
        app,
        clinician,
        &format!("/api/v1/appointments/{id}"),
        json!({"status": "completed"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

#[tokio::test]
async fn invoices_follow_the_clinichub_rules_and_the_fee_table() {
    let app = spawn_app().await;
    let h = hospital(&app, "BILL").await;
    let other = hospital(&app, "BILL-O").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, clinician) = member(&app, Role::Clinician, h, "doc").await;
    let (_, clerk) = member(&app, Role::BillingClerk, h, "clerk").await;
    let (_, admin) = member(&app, Role::HospitalAdmin, h, "admin").await;
    let (_, far_clerk) = member(&app, Role::BillingClerk, other, "far").await;
    let amina = patient(&app, &desk, "Amina").await;
    let doc = doctor.id.to_string();

    // The hospital bills refills in shillings.
    let fees = format!("/api/v1/hospitals/{h}/visit-fees");
    let r = put(
        &app,
        &admin,
        &fees,
        json!({"fees": [{"visit_type": "refill", "cpt_code": "99212",
        "description": "Brief visit, established patient", "amount": "1500", "currency": "KES"}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = put(
        &app,
        &admin,
        &fees,
        json!({"fees": [{"visit_type": "refill", "cpt_code": "x",
        "amount": "-1", "currency": "shilling"}]}),
    )
    .await;
    assert_eq!(r.status, 400);
    for f in ["cpt_code", "description", "amount", "currency"] {
        assert!(
            r.body["fields"][format!("fees[0].{f}")].is_array(),
            "{f}: {}",
            r.body
        );
    }
    let table = get(&app, &clerk, &fees).await;
    assert_eq!(table.status, 200);
    let refill = table.body["fees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["visit_type"] == "refill")
        .unwrap();
    assert_eq!(refill["amount_minor"], 150_000);
    assert_eq!(refill["currency"], "KES");
    assert_eq!(
        put(&app, &clerk, &fees, json!({"fees": []})).await.status,
        403
    );

    // Not completed yet: 400 "Appointment must be completed".
    let r = book(
        &app,
        &desk,
        json!({"patient_id": amina, "provider_user_id": doc, "visit_type": "refill",
               "scheduled_start": "2026-04-15T10:00:00", "scheduled_end": "2026-04-15T10:20:00"}),
    )
    .await;
    let visit = r.body["appointment"]["appointment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = call(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        Some(json!({"appointment_id": visit})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"], "Appointment must be completed");
    let r = call(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["appointment_id"].is_array());
    let r = call(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        Some(json!({"appointment_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "Appointment not found");

    // Completed: ClinicHub's invoice shape, the amount from the fee table.
    let r = put(
        &app,
        &clinician,
        &format!("/api/v1/appointments/{visit}"),
        json!({"status": "completed"}),
    )
    .await;
    let cpt = r.body["appointment"]["cpt_id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = call(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        Some(json!({"appointment_id": visit})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["message"], "Invoice created successfully");
    let inv = &created.body["invoice"];
    assert_eq!(inv["appointment_id"], visit.as_str());
    assert_eq!(inv["patient_id"], amina.as_str());
    assert_eq!(inv["cpt_id"], cpt.as_str());
    assert_eq!(inv["status"], "unpaid");
    assert_eq!(inv["cpt_code"], "99212");
    assert_eq!(inv["amount_minor"], 150_000);
    assert_eq!(inv["currency"], "KES");
    // Nothing clinical reaches the billing desk.
    let text = created.body.to_string();
    assert!(
        !text.contains("reason") && !text.contains("notes"),
        "{text}"
    );
    let invoice = inv["invoice_id"].as_str().unwrap().to_string();
    let r = call(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        Some(json!({"appointment_id": visit})),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["error"], "Invoice already exists");
    // The billing clerk reads no appointment.
    let r = get(&app, &clerk, &format!("/api/v1/appointments/{visit}")).await;
    assert_eq!(r.status, 403);

    // Paid sets paid_at; unpaid clears it; anything else is 400.
    let path = format!("/api/v1/invoices/{invoice}");
    let paid = put(&app, &clerk, &path, json!({"status": "paid"})).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["message"], "Invoice updated");
    assert_eq!(paid.body["invoice"]["status"], "paid");
    assert!(paid.body["invoice"]["paid_at"].is_string());
    let unpaid = put(&app, &clerk, &path, json!({"status": "unpaid"})).await;
    assert_eq!(unpaid.body["invoice"]["status"], "unpaid");
    assert!(unpaid.body["invoice"]["paid_at"].is_null());
    let r = put(&app, &clerk, &path, json!({"status": "refunded"})).await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["status"].is_array());
    assert_eq!(get(&app, &far_clerk, &path).await.status, 404);
    assert_eq!(
        put(&app, &far_clerk, &path, json!({"status": "paid"}))
            .await
            .status,
        404
    );

    // A second visit at the default fee; the list's filters and totals.
    let second = completed_visit(
        &app,
        &desk,
        &clinician,
        json!({"patient_id": amina, "provider_user_id": doc,
               "scheduled_start": "2026-04-16T10:00:00", "scheduled_end": "2026-04-16T10:20:00"}),
    )
    .await;
    let r = call(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        Some(json!({"appointment_id": second})),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["invoice"]["currency"], "USD");
    let second_invoice = r.body["invoice"]["invoice_id"]
        .as_str()
        .unwrap()
        .to_string();
    put(
        &app,
        &clerk,
        &format!("/api/v1/invoices/{second_invoice}"),
        json!({"status": "paid"}),
    )
    .await;
    let all = get(&app, &clerk, "/api/v1/invoices").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["pagination"]["total"], 2);
    assert_eq!(
        all.body["invoices"][0]["invoice_id"],
        second_invoice.as_str(),
        "newest visit first"
    );
    assert_eq!(all.body["invoices"][0]["patient_name"], "Amina Mwangi");
    assert_eq!(
        all.body["totals"],
        json!([
            {"currency": "KES", "count": 1, "invoiced_minor": 150000, "paid_minor": 0, "outstanding_minor": 150000},
            {"currency": "USD", "count": 1, "invoiced_minor": 2500, "paid_minor": 2500, "outstanding_minor": 0},
        ])
    );
    let unpaid = get(&app, &clerk, "/api/v1/invoices?status=unpaid").await;
    assert_eq!(unpaid.body["pagination"]["total"], 1);
    assert_eq!(unpaid.body["invoices"][0]["invoice_id"], invoice.as_str());
    let day = get(
        &app,
        &clerk,
        "/api/v1/invoices?from=2026-04-16&to=2026-04-16",
    )
    .await;
    assert_eq!(day.body["pagination"]["total"], 1);
    let r = get(&app, &clerk, "/api/v1/invoices?status=void").await;
    assert_eq!(r.status, 400);
    let theirs = get(&app, &far_clerk, "/api/v1/invoices").await;
    assert_eq!(theirs.body["pagination"]["total"], 0);
    assert!(theirs.body["totals"].as_array().unwrap().is_empty());
    app.cleanup().await;
}

/// How many requests race.
const RACERS: usize = 24;

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn race(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    bodies: Vec<Value>,
) -> Vec<u16> {
    let tasks = bodies.into_iter().map(|body| {
        let request = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(token)
            .json(&body);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_slot_one_booking_one_completion_one_invoice() {
    let app = spawn_app().await;
    let h = hospital(&app, "RACE-AP").await;
    let (_, desk) = member(&app, Role::Receptionist, h, "desk").await;
    let (doctor, clinician) = member(&app, Role::Clinician, h, "doc").await;
    let (_, clerk) = member(&app, Role::BillingClerk, h, "clerk").await;
    let doc = doctor.id.to_string();

    // Many patients, one provider, one slot: one booking wins.
    let mut patients = Vec::new();
    for n in 0..RACERS {
        patients.push(patient(&app, &desk, &format!("Racer{n}")).await);
    }
    let bodies = patients
        .iter()
        .map(|p| booking(p, &doc, "2026-05-04T09:00:00", "2026-05-04T09:30:00"))
        .collect();
    let statuses = race(&app, Method::POST, "/api/v1/appointments", &desk, bodies).await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), RACERS - 1, "{statuses:?}");

    // One patient, many providers, overlapping slots: one booking wins.
    let mut providers = Vec::new();
    for n in 0..6 {
        let staff = app
            .create_staff(&format!("racer{n}@example.org"), Role::Clinician, Some(h))
            .await;
        providers.push(staff.id.to_string());
    }
    let bodies = (0..RACERS)
        .map(|n| {
            let minute = n % 20;
            booking(
                &patients[0],
                &providers[n % providers.len()],
                &format!("2026-05-05T09:{minute:02}:00"),
                &format!("2026-05-05T10:{minute:02}:00"),
            )
        })
        .collect();
    let statuses = race(&app, Method::POST, "/api/v1/appointments", &desk, bodies).await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), RACERS - 1, "{statuses:?}");
    let booked = get(
        &app,
        &desk,
        &format!(
            "/api/v1/appointments?patient_id={}&from=2026-05-05&to=2026-05-05",
            patients[0]
        ),
    )
    .await;
    assert_eq!(booked.body["pagination"]["total"], 1, "{}", booked.body);

    // Many completions of one visit: one CPT record.
    let list = get(
        &app,
        &desk,
        &format!("/api/v1/appointments?provider_user_id={doc}"),
    )
    .await;
    let visit = list.body["appointments"][0]["appointment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/appointments/{visit}");
    let statuses = race(
        &app,
        Method::PUT,
        &path,
        &clinician,
        vec![json!({"status": "completed"}); RACERS],
    )
    .await;
    assert_eq!(count(&statuses, 200), RACERS, "{statuses:?}");
    use hospitallink::entities::cpt_record;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let cpts = cpt_record::Entity::find()
        .filter(cpt_record::Column::AppointmentId.eq(visit.parse::<uuid::Uuid>().unwrap()))
        .count(&app.core.db)
        .await
        .unwrap();
    assert_eq!(cpts, 1);

    // Many clerks invoicing one visit: one invoice.
    let statuses = race(
        &app,
        Method::POST,
        "/api/v1/invoices",
        &clerk,
        vec![json!({"appointment_id": visit}); RACERS],
    )
    .await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), RACERS - 1, "{statuses:?}");
    app.cleanup().await;
}
