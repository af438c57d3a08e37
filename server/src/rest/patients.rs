//! `/api/v1/patients`, `/api/v1/records` and `/api/v1/hospitals/{id}/patients`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hospitallink::domain::clinical::patient::{
    DeleteRequest, LinkRequest, Patient, PatientInput, PatientListItem,
};
use hospitallink::domain::clinical::record::{
    ClinicalRecord, PatientSummary, RecordFilter, RecordInput, RecordUpdate,
};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::{PageRequest, Pagination};
use hospitallink::services::clinical::{patients, records};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{optional_json, versioned};
use crate::error::ApiResult;
use crate::extract::{if_match, parse_id, ApiJson, ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients", get(search).post(register))
        .route(
            "/patients/{id}",
            get(get_one).put(update).delete(delete_patient),
        )
        .route("/patients/{id}/links", post(link))
        .route("/patients/{id}/sign-out", post(sign_out))
        .route("/patients/{id}/unlock", post(unlock))
        .route("/patients/{id}/summary", get(summary))
        .route("/patients/{id}/records", get(list_records).post(add_record))
        .route(
            "/records/{id}",
            get(get_record).put(update_record).delete(delete_record),
        )
        .route("/hospitals/{id}/patients", get(hospital_patients))
}

/// A page of patients.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PatientList {
    data: Vec<PatientListItem>,
    pagination: Pagination,
}

/// A page of records.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RecordList {
    data: Vec<ClinicalRecord>,
    pagination: Pagination,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Name prefix (every word must start a first- or last-name word), MRN prefix, phone
    /// number in international format, or email. Empty lists everyone.
    q: Option<String>,
    /// Page number, from 1.
    page: Option<String>,
    /// Items per page, 1-100 (default 20).
    per_page: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    /// Record types, comma-separated (e.g. `viral_load,cd4`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    record_type: Option<String>,
    /// From this clinical time (date or RFC 3339), inclusive.
    from: Option<String>,
    /// Up to this clinical time, exclusive.
    to: Option<String>,
    /// Only records written by this hospital.
    hospital_id: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// Register a patient at your hospital. A known national identifier answers 409
/// `patient_exists` with `existing_id`: link that patient instead.
#[utoipa::path(
    post, path = "/api/v1/patients", tag = "patients",
    request_body = PatientInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered and linked with an MRN", body = Patient),
        (status = 400, description = "Invalid input; `fields` names each problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not register patients", body = ErrorBody),
        (status = 409, description = "`patient_exists` (see `existing_id`), `patient_email_taken` or `mrn_taken`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many registrations, edits or links matched a patient known elsewhere this hour", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<PatientInput>,
) -> ApiResult<Response> {
    let patient = patients::register(&state.core, &caller, &input).await?;
    let location = format!("/api/v1/patients/{}", patient.id);
    Ok(versioned(
        StatusCode::CREATED,
        patient.version,
        Some(&location),
        &patient,
    ))
}

/// Search your hospital's patients.
#[utoipa::path(
    get, path = "/api/v1/patients", tag = "patients",
    params(SearchParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, ordered by MRN", body = PatientList),
        (status = 400, description = "Bad paging values", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read patients", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let hospital = caller.actor.hospital_id().unwrap_or_default();
    let page = patients::search(&state.core, &caller, hospital, params.q.as_deref(), page).await?;
    Ok(Json(page).into_response())
}

/// Patients linked to a hospital (your own).
#[utoipa::path(
    get, path = "/api/v1/hospitals/{id}/patients", tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Hospital id"), SearchParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, ordered by MRN", body = PatientList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read patients", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn hospital_patients(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let page = patients::search(&state.core, &caller, id, params.q.as_deref(), page).await?;
    Ok(Json(page).into_response())
}

/// A patient's profile. The `ETag` is its version.
#[utoipa::path(
    get, path = "/api/v1/patients/{id}", tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Patient),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read patients", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let patient = patients::get(&state.core, &caller, id).await?;
    Ok(versioned(StatusCode::OK, patient.version, None, &patient))
}

/// Replace a patient's profile. Send `If-Match` with the version you read.
#[utoipa::path(
    put, path = "/api/v1/patients/{id}", tag = "patients",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "Expected version, e.g. \"3\"", pattern = r#"^[\t ]*(?:W/)?"?[0-9]{1,18}"?[\t ]*$"#),
    ),
    request_body = PatientInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Patient),
        (status = 400, description = "Invalid input", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not edit patients, or `contact_details_withheld`: the contact details are held by the registering hospital", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
        (status = 409, description = "Identifier, email or MRN belongs to someone else", body = ErrorBody),
        (status = 412, description = "Version mismatch", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many registrations, edits or links matched a patient known elsewhere this hour", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PatientInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let patient = patients::update(&state.core, &caller, id, &input, expected).await?;
    Ok(versioned(StatusCode::OK, patient.version, None, &patient))
}

/// Remove a patient from your hospital (hospital admins), with a justification. The patient
/// is soft-deleted when no hospital is linked any more.
#[utoipa::path(
    delete, path = "/api/v1/patients/{id}", tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = DeleteRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Justification missing or too short", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a hospital admin", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn delete_patient(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let request: DeleteRequest = optional_json(&body)?;
    patients::delete(&state.core, &caller, id, &request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sign a patient out of the portal everywhere: every session and token of theirs stops
/// working (for a lost phone, say). Audited.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/sign-out", tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out everywhere"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change patients", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    patients::sign_out_everywhere(&state.core, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reopen a patient's portal sign-in after 100 consecutive wrong codes locked it (check who
/// they are first). Audited.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/unlock", tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The portal sign-in is open again"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change patients", body = ErrorBody),
        (status = 404, description = "No such patient at your hospital", body = ErrorBody),
    )
)]
pub async fn unlock(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    patients::unlock_portal(&state.core, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Link a patient registered elsewhere to your hospital; the national identifier must match.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/links", tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id (from `existing_id`)")),
    request_body = LinkRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Linked; the profile with your MRN", body = Patient),
        (status = 400, description = "Identifier missing or bad MRN", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not register patients", body = ErrorBody),
        (status = 404, description = "No patient with this id and identifier", body = ErrorBody),
        (status = 409, description = "`already_linked` or `mrn_taken`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many registrations, edits or links matched a patient known elsewhere this hour", body = ErrorBody),
    )
)]
pub async fn link(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<LinkRequest>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let patient = patients::link(&state.core, &caller, id, &request).await?;
    Ok(versioned(
        StatusCode::CREATED,
        patient.version,
        None,
        &patient,
    ))
}

/// The HIV summary: regimen, ART start, latest viral load with its interpretation, CD4, flags.
#[utoipa::path(
    get, path = "/api/v1/patients/{id}/summary", tag = "records",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The summary", body = PatientSummary),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role does not read clinical records", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let summary = records::summary(&state.core, &caller, id).await?;
    Ok(Json(summary).into_response())
}

/// Add a clinical record. Corrections of lab values name the record they supersede.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/records", tag = "records",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = RecordInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = ClinicalRecord),
        (status = 400, description = "Invalid record; `fields` names each problem (`payload.<field>`)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not write this record type", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
        (status = 409, description = "`already_superseded`: the superseded record was already corrected; `interaction_override_required`: a severe WHO drug interaction (HIV.D21.2.DT) and no `override_reason` (`warnings` names the rules and their guidance)", body = ErrorBody),
    )
)]
pub async fn add_record(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RecordInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let record = records::create(&state.core, &caller, id, &input).await?;
    let location = format!("/api/v1/records/{}", record.id);
    Ok(versioned(
        StatusCode::CREATED,
        record.version,
        Some(&location),
        &record,
    ))
}

/// A patient's records, newest clinical time first.
#[utoipa::path(
    get, path = "/api/v1/patients/{id}/records", tag = "records",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), RecordParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = RecordList),
        (status = 400, description = "Bad filter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role does not read clinical records", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn list_records(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<RecordParams>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let filter = RecordFilter::parse(
        params.record_type.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
        params.hospital_id.as_deref(),
    )?;
    let page = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())?;
    let page = records::list(&state.core, &caller, id, &filter, page).await?;
    Ok(Json(page).into_response())
}

/// One record.
#[utoipa::path(
    get, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = uuid::Uuid, Path, description = "Record id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record", body = ClinicalRecord),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role does not read this record type", body = ErrorBody),
        (status = 404, description = "Absent or invisible", body = ErrorBody),
    )
)]
pub async fn get_record(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let record = records::get(&state.core, &caller, id).await?;
    Ok(versioned(StatusCode::OK, record.version, None, &record))
}

/// Edit a note (adherence note, diagnosis text). Lab values and other records are immutable:
/// add a correction that supersedes them.
#[utoipa::path(
    put, path = "/api/v1/records/{id}", tag = "records",
    params(
        ("id" = uuid::Uuid, Path, description = "Record id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "Expected version, e.g. \"1\"", pattern = r#"^[\t ]*(?:W/)?"?[0-9]{1,18}"?[\t ]*$"#),
    ),
    request_body = RecordUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited; the previous text is kept", body = ClinicalRecord),
        (status = 400, description = "Invalid payload or `record_immutable`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not edit records", body = ErrorBody),
        (status = 404, description = "Absent or invisible", body = ErrorBody),
        (status = 412, description = "Version mismatch", body = ErrorBody),
    )
)]
pub async fn update_record(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RecordUpdate>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let record = records::update(&state.core, &caller, id, &input, expected).await?;
    Ok(versioned(StatusCode::OK, record.version, None, &record))
}

/// Soft-delete a record with a justification.
#[utoipa::path(
    delete, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = uuid::Uuid, Path, description = "Record id")),
    request_body = DeleteRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Justification missing or too short", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not delete records", body = ErrorBody),
        (status = 404, description = "Absent or invisible", body = ErrorBody),
    )
)]
pub async fn delete_record(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let request: DeleteRequest = optional_json(&body)?;
    records::delete(&state.core, &caller, id, &request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
