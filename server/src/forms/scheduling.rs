//! Plain form posts of the schedule and the billing desk: book, change a visit's status,
//! invoice a visit, mark an invoice paid or unpaid. The same services as the REST API; the
//! answer is a redirect back, or the page re-rendered with the error and what was typed.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::scheduling::appointment::AppointmentUpdate;
use hospitallink::domain::scheduling::billing::{InvoiceInput, InvoiceUpdate};
use hospitallink::domain::scheduling::schedule::LocalBooking;
use hospitallink::domain::ErrorKind;
use hospitallink::services::scheduling::{appointments, billing, schedule};
use hospitallink::AppError;
use std::collections::BTreeMap;

use super::{fail, read_form};
use app::pages::scheduling::BOOK_FORM;
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/schedule/book", post(book))
        .route("/appointments/{id}/status", post(set_status))
        .route("/invoices", post(invoice))
        .route("/invoices/{id}/status", post(set_invoice_status))
        .route("/admin/fees", post(set_fees))
}

/// Where to go back to: a page of the schedule, the billing desk or a chart (never elsewhere).
fn back_to(values: &BTreeMap<String, String>, fallback: &str) -> String {
    match values.get("back") {
        Some(b)
            if ["/schedule", "/invoices", "/patients/"]
                .iter()
                .any(|p| b.starts_with(p))
                && !b.contains("//")
                && !b.contains('\\') =>
        {
            b.clone()
        }
        _ => fallback.to_string(),
    }
}

/// `back` with `done=<what>` added to its query, keeping its fragment.
fn with_done(back: &str, done: &str) -> String {
    let (path, fragment) = match back.split_once('#') {
        Some((p, f)) => (p, format!("#{f}")),
        None => (back, String::new()),
    };
    let joiner = if path.contains('?') { '&' } else { '?' };
    format!("{path}{joiner}done={done}{fragment}")
}

/// The page to re-render with an error: `back` without its fragment.
fn page_of(back: &str) -> &str {
    back.split('#').next().unwrap_or(back)
}

fn id_of(raw: &str, what: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| ErrorKind::not_found(what).into())
}

/// `POST /schedule/book`: a booking on the hospital's clock.
async fn book(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let one = |k: &str| values.get(k).cloned();
    let input = LocalBooking {
        patient_id: one("patient_id"),
        mrn: one("mrn"),
        provider_id: one("provider_id"),
        date: one("date"),
        time: one("time"),
        minutes: one("minutes"),
        visit_type: one("visit_type"),
        reason: one("reason"),
        notes: one("notes"),
    };
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        schedule::book(&state.core, &caller, &input).await
    }
    .await;
    match result {
        Ok(a) => Redirect::to(&format!(
            "/schedule?provider={}&day={}&span=day&done=booked#visit-{}",
            a.provider_user_id,
            input.date.as_deref().unwrap_or_default().trim(),
            a.appointment_id
        ))
        .into_response(),
        Err(e) => {
            let kept = values
                .into_iter()
                .filter(|(k, _)| BOOK_FORM.contains(&k.as_str()))
                .collect();
            fail(&state, parts, "/schedule/book", kept, e).await
        }
    }
}

/// `POST /appointments/{id}/status`: check in, complete, did not attend, back to booked, or
/// cancel.
async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let back = back_to(&values, "/schedule");
    let status = values.get("status").cloned().unwrap_or_default();
    let result = async {
        let id = id_of(&id, "Appointment")?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        if status == "cancelled" {
            appointments::cancel(&state.core, &caller, id).await
        } else {
            let update = AppointmentUpdate {
                status: Some(status.clone()),
                ..Default::default()
            };
            appointments::update(&state.core, &caller, id, &update, None).await
        }
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&with_done(&back, &status)).into_response(),
        Err(e) => fail(&state, parts, page_of(&back), BTreeMap::new(), e).await,
    }
}

/// `POST /invoices`: invoice a completed visit.
async fn invoice(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let back = back_to(&values, "/invoices");
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = InvoiceInput {
            appointment_id: values.get("appointment_id").cloned(),
        };
        billing::create(&state.core, &caller, &input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&with_done(&back, "invoiced")).into_response(),
        Err(e) => fail(&state, parts, page_of(&back), BTreeMap::new(), e).await,
    }
}

/// `POST /invoices/{id}/status`: paid or unpaid.
async fn set_invoice_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let back = back_to(&values, "/invoices");
    let status = values.get("status").cloned();
    let result = async {
        let id = id_of(&id, "Invoice")?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = InvoiceUpdate {
            status: status.clone(),
        };
        billing::update(&state.core, &caller, id, &input).await
    }
    .await;
    match result {
        Ok(i) => Redirect::to(&with_done(&back, i.status.as_str())).into_response(),
        Err(e) => fail(&state, parts, page_of(&back), BTreeMap::new(), e).await,
    }
}

/// `POST /admin/fees`: the whole fee table (`fees[i].visit_type`, `.cpt_code`,
/// `.description`, `.amount`, `.currency`).
async fn set_fees(State(state): State<AppState>, req: Request) -> Response {
    use hospitallink::domain::scheduling::billing::{FeeTableInput, VisitFeeInput};
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let mut rows: BTreeMap<usize, VisitFeeInput> = BTreeMap::new();
    for (key, value) in &values {
        let Some((index, field)) = key
            .strip_prefix("fees[")
            .and_then(|k| k.split_once("]."))
            .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
        else {
            continue;
        };
        if index >= 10 {
            continue;
        }
        let row = rows.entry(index).or_default();
        let slot = match field {
            "visit_type" => &mut row.visit_type,
            "cpt_code" => &mut row.cpt_code,
            "description" => &mut row.description,
            "amount" => &mut row.amount,
            "currency" => &mut row.currency,
            _ => continue,
        };
        *slot = Some(value.clone());
    }
    let input = FeeTableInput {
        fees: rows.into_values().collect(),
    };
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let hospital = caller.actor.hospital_id().unwrap_or_default();
        billing::set_fees(&state.core, &caller, hospital, &input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/fees?done=fees").into_response(),
        Err(e) => {
            let kept = values
                .into_iter()
                .filter(|(k, _)| k.starts_with("fees["))
                .collect();
            fail(&state, parts, "/admin/fees", kept, e).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn going_back_stays_on_our_pages() {
        let back = |b: &str| back_to(&BTreeMap::from([("back".into(), b.into())]), "/x");
        assert_eq!(back("/schedule?day=2026-05-04"), "/schedule?day=2026-05-04");
        assert_eq!(back("/patients/1#visits"), "/patients/1#visits");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/schedule//x",
            "/admin",
        ] {
            assert_eq!(back(bad), "/x", "{bad}");
        }
        assert_eq!(
            with_done("/schedule?day=1#visit-2", "booked"),
            "/schedule?day=1&done=booked#visit-2"
        );
        assert_eq!(with_done("/invoices", "paid"), "/invoices?done=paid");
    }
}
