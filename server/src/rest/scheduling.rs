//! Appointments and invoices (`/api/v1/appointments`, `/api/v1/invoices`) with ClinicHub's
//! request and response shapes, and the hospital's fee table
//! (`/api/v1/hospitals/{id}/visit-fees`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::{PageRequest, Pagination};
use hospitallink::domain::scheduling::appointment::{
    Appointment, AppointmentInput, AppointmentQuery, AppointmentUpdate,
};
use hospitallink::domain::scheduling::billing::{
    FeeTableInput, Invoice, InvoiceInput, InvoiceQuery, InvoiceTotals, InvoiceUpdate, VisitFee,
};
use hospitallink::services::scheduling::{appointments, billing};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{if_match, parse_id, ApiJson, ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/appointments", get(list).post(create))
        .route(
            "/appointments/{id}",
            get(get_one).put(update).delete(cancel),
        )
        .route("/invoices", get(list_invoices).post(create_invoice))
        .route("/invoices/{id}", get(get_invoice).put(update_invoice))
        .route("/hospitals/{id}/visit-fees", get(fees).put(set_fees))
}

/// `{message, appointment}`, as ClinicHub answers a booking or a change.
#[derive(Serialize, ToSchema)]
pub struct AppointmentAnswer {
    #[schema(example = "Appointment created successfully")]
    message: &'static str,
    appointment: Appointment,
}

/// A page of appointments: `{appointments, pagination}`.
#[derive(Serialize, ToSchema)]
pub struct AppointmentList {
    appointments: Vec<Appointment>,
    pagination: Pagination,
}

/// `{message, appointment_id}`, as ClinicHub answers a cancellation.
#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    #[schema(example = "Appointment cancelled successfully")]
    message: &'static str,
    appointment_id: Uuid,
}

/// `{message, invoice}`.
#[derive(Serialize, ToSchema)]
pub struct InvoiceAnswer {
    #[schema(example = "Invoice created successfully")]
    message: &'static str,
    invoice: Invoice,
}

/// A page of invoices with the totals of all the filters match: `{invoices, pagination,
/// totals}`.
#[derive(Serialize, ToSchema)]
pub struct InvoiceList {
    invoices: Vec<Invoice>,
    pagination: Pagination,
    totals: Vec<InvoiceTotals>,
}

/// The fee table: every visit type with its CPT code and fee.
#[derive(Serialize, ToSchema)]
pub struct FeeTable {
    fees: Vec<VisitFee>,
}

/// Book an appointment with a clinician of your hospital. Times are ISO-8601; without an
/// offset they are UTC.
#[utoipa::path(
    post, path = "/api/v1/appointments", tag = "appointments",
    security(("bearer" = [])),
    request_body = AppointmentInput,
    responses(
        (status = 201, description = "Booked", body = AppointmentAnswer),
        (status = 400, description = "A field is missing or invalid (named in `fields`), the end is not after the start, or the provider is not an active clinician of the hospital", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `appointments.write`", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
        (status = 409, description = "Overlaps an appointment of the same provider or patient (`appointment_conflict`; `existing_id` names it)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<AppointmentInput>,
) -> ApiResult<Response> {
    let appointment = appointments::create(&state.core, &caller, &input).await?;
    let answer = AppointmentAnswer {
        message: "Appointment created successfully",
        appointment,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Your hospital's appointments, soonest first, filtered by status, provider, patient and
/// date range.
#[utoipa::path(
    get, path = "/api/v1/appointments", tag = "appointments",
    security(("bearer" = [])),
    params(AppointmentQuery),
    responses(
        (status = 200, description = "A page of appointments", body = AppointmentList),
        (status = 400, description = "A filter is invalid (named in `fields`)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `appointments.read`", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<AppointmentQuery>,
) -> ApiResult<Response> {
    let filter = query.parse()?;
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let found = appointments::list(&state.core, &caller, &filter, page).await?;
    Ok(Json(AppointmentList {
        appointments: found.data,
        pagination: found.pagination,
    })
    .into_response())
}

/// One appointment.
#[utoipa::path(
    get, path = "/api/v1/appointments/{id}", tag = "appointments",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The appointment (ETag: version)", body = Appointment),
        (status = 404, description = "Absent or outside your view", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let appointment = appointments::get(&state.core, &caller, id).await?;
    Ok(super::versioned(
        StatusCode::OK,
        appointment.version,
        None,
        &appointment,
    ))
}

/// Reschedule (new times or provider), change the status (`checked_in`, `completed` which
/// returns `cpt_id`, `no_show`, back to `scheduled`), or edit the reason and notes.
#[utoipa::path(
    put, path = "/api/v1/appointments/{id}", tag = "appointments",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Appointment id"), ("If-Match" = Option<String>, Header, nullable = false, description = "Expected version (optional)", pattern = r#"^[\t ]*(?:W/)?"?[0-9]{1,18}"?[\t ]*$"#)),
    request_body = AppointmentUpdate,
    responses(
        (status = 200, description = "Updated", body = AppointmentAnswer),
        (status = 400, description = "A field is invalid (named in `fields`)", body = ErrorBody),
        (status = 403, description = "Without `appointments.write` (completing needs `records.write`)", body = ErrorBody),
        (status = 404, description = "Absent or outside your view", body = ErrorBody),
        (status = 409, description = "Completed or cancelled (cannot be rescheduled), a change of status that is not allowed, or an overlap", body = ErrorBody),
        (status = 412, description = "Version mismatch", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AppointmentUpdate>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let appointment = appointments::update(&state.core, &caller, id, &input, expected).await?;
    let version = appointment.version;
    let answer = AppointmentAnswer {
        message: "Appointment updated successfully",
        appointment,
    };
    Ok(super::versioned(StatusCode::OK, version, None, &answer))
}

/// Cancel (soft: the appointment is kept with status `cancelled`).
#[utoipa::path(
    delete, path = "/api/v1/appointments/{id}", tag = "appointments",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "Cancelled", body = Cancelled),
        (status = 403, description = "Without `appointments.write`", body = ErrorBody),
        (status = 404, description = "Absent or outside your view", body = ErrorBody),
        (status = 409, description = "Completed: a billed visit is not cancelled", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let cancelled = appointments::cancel(&state.core, &caller, id).await?;
    Ok(Json(Cancelled {
        message: "Appointment cancelled successfully",
        appointment_id: cancelled.appointment_id,
    })
    .into_response())
}

/// Invoice a completed visit from its CPT record.
#[utoipa::path(
    post, path = "/api/v1/invoices", tag = "billing",
    security(("bearer" = [])),
    request_body = InvoiceInput,
    responses(
        (status = 201, description = "Invoiced, unpaid", body = InvoiceAnswer),
        (status = 400, description = "`appointment_id` missing or invalid; the appointment is not completed (`appointment_not_completed`) or has no CPT record (`cpt_missing`)", body = ErrorBody),
        (status = 403, description = "Without `billing.write`", body = ErrorBody),
        (status = 404, description = "No such appointment at your hospital", body = ErrorBody),
        (status = 409, description = "The appointment already has an invoice (`invoice_exists`)", body = ErrorBody),
    )
)]
pub async fn create_invoice(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<InvoiceInput>,
) -> ApiResult<Response> {
    let invoice = billing::create(&state.core, &caller, &input).await?;
    let answer = InvoiceAnswer {
        message: "Invoice created successfully",
        invoice,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Your hospital's invoices, newest visit first, with the totals of all that match.
#[utoipa::path(
    get, path = "/api/v1/invoices", tag = "billing",
    security(("bearer" = [])),
    params(InvoiceQuery),
    responses(
        (status = 200, description = "A page of invoices and the totals", body = InvoiceList),
        (status = 400, description = "A filter is invalid (named in `fields`)", body = ErrorBody),
        (status = 403, description = "Without `billing.read`", body = ErrorBody),
    )
)]
pub async fn list_invoices(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<InvoiceQuery>,
) -> ApiResult<Response> {
    let filter = query.parse()?;
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let found = billing::list(&state.core, &caller, &filter, page).await?;
    Ok(Json(InvoiceList {
        invoices: found.invoices,
        pagination: found.pagination,
        totals: found.totals,
    })
    .into_response())
}

/// One invoice.
#[utoipa::path(
    get, path = "/api/v1/invoices/{id}", tag = "billing",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice", body = Invoice),
        (status = 404, description = "Absent or outside your view", body = ErrorBody),
    )
)]
pub async fn get_invoice(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(Json(billing::get(&state.core, &caller, id).await?).into_response())
}

/// Mark an invoice `paid` (sets `paid_at`) or `unpaid` (clears it).
#[utoipa::path(
    put, path = "/api/v1/invoices/{id}", tag = "billing",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    request_body = InvoiceUpdate,
    responses(
        (status = 200, description = "Updated", body = InvoiceAnswer),
        (status = 400, description = "`status` is neither `paid` nor `unpaid`", body = ErrorBody),
        (status = 403, description = "Without `billing.write`", body = ErrorBody),
        (status = 404, description = "Absent or outside your view", body = ErrorBody),
    )
)]
pub async fn update_invoice(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<InvoiceUpdate>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let invoice = billing::update(&state.core, &caller, id, &input).await?;
    Ok(Json(InvoiceAnswer {
        message: "Invoice updated",
        invoice,
    })
    .into_response())
}

/// The hospital's fee table: the CPT code and fee of every visit type.
#[utoipa::path(
    get, path = "/api/v1/hospitals/{id}/visit-fees", tag = "billing",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    responses(
        (status = 200, description = "The fee table", body = FeeTable),
        (status = 403, description = "Without `billing.read` or `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn fees(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let fees = billing::fees(&state.core, &caller, id).await?;
    Ok(Json(FeeTable { fees }).into_response())
}

/// Set the hospital's own CPT codes and fees (visit types left out bill at the defaults);
/// visits completed before keep their fee.
#[utoipa::path(
    put, path = "/api/v1/hospitals/{id}/visit-fees", tag = "billing",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    request_body = FeeTableInput,
    responses(
        (status = 200, description = "The fee table now", body = FeeTable),
        (status = 400, description = "A row is invalid (`fees[i].field`)", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn set_fees(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FeeTableInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let fees = billing::set_fees(&state.core, &caller, id, &input).await?;
    Ok(Json(FeeTable { fees }).into_response())
}
