//! The patient portal's API (`/api/v1/me`, `/api/v1/me/records`, `/api/v1/me/export`): the
//! signed-in patient's own profile and preferences, records and FHIR export.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::portal::{MyProfile, MyRecords, PortalHome, PreferencesInput};
use hospitallink::services::portal::{export, mine, preferences};

use crate::error::ApiResult;
use crate::extract::{ApiJson, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me).put(update_me))
        .route("/me/home", get(home))
        .route("/me/appointments", get(appointments))
        .route("/me/records", get(records))
        .route("/me/export", get(export_bundle))
}

/// As a signed-in patient: your profile as your record holds it, the hospitals you are
/// registered at with their record numbers, and your preferences. Audited.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "portal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your profile and preferences", body = MyProfile),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, SignedIn(caller): SignedIn) -> ApiResult<Response> {
    Ok(Json(preferences::me(&state.core, &caller).await?).into_response())
}

/// As a signed-in patient: change your preferences (reminder channel, quiet hours, language).
/// A field left out keeps its value; blank quiet hours remove them. Your contact details are
/// changed at a clinic, where your identity is checked. Audited.
#[utoipa::path(
    put, path = "/api/v1/me", tag = "portal",
    request_body = PreferencesInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your profile with the new preferences", body = MyProfile),
        (status = 400, description = "Invalid input; `fields` names each problem (a channel your record cannot reach, one end of the quiet hours, an unknown language)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<PreferencesInput>,
) -> ApiResult<Response> {
    Ok(Json(preferences::update(&state.core, &caller, &input).await?).into_response())
}

/// As a signed-in patient: the portal's home: your last viral-load test read in plain terms,
/// your current treatment, your next visit. Audited.
#[utoipa::path(
    get, path = "/api/v1/me/home", tag = "portal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The home page's news", body = PortalHome),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn home(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    Ok(Json(mine::home(&state.core, &caller).await?).into_response())
}

/// As a signed-in patient: your visits at every hospital, those to come (soonest first) and
/// those gone by (latest first), each on its hospital's clock. Audited.
#[utoipa::path(
    get, path = "/api/v1/me/appointments", tag = "portal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your visits", body = hospitallink::domain::portal::MyVisits),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
    )
)]
pub async fn appointments(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    Ok(Json(mine::visits(&state.core, &caller).await?).into_response())
}

/// As a signed-in patient: every record your hospitals hold, by category and hospital, newest
/// first, with your viral-load and CD4 series. Audited.
#[utoipa::path(
    get, path = "/api/v1/me/records", tag = "portal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your records", body = MyRecords),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
        (status = 409, description = "More records than one answer holds (`record_too_large`)", body = ErrorBody),
    )
)]
pub async fn records(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    Ok(Json(mine::records(&state.core, &caller).await?).into_response())
}

/// As a signed-in patient: your whole record as a FHIR R4 Bundle (`collection`): you, your
/// hospitals, every record (viral load LOINC 25836-8, CD4 24467-3, vitals, medicines,
/// diagnoses, allergies), your consents and your documents' metadata, each labelled
/// confidentiality `V`. Downloaded as a file; audited as an export.
#[utoipa::path(
    get, path = "/api/v1/me/export", tag = "portal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The Bundle", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient", body = ErrorBody),
        (status = 409, description = "More records than one answer holds (`record_too_large`)", body = ErrorBody),
    )
)]
pub async fn export_bundle(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    let bundle = export::bundle(&state.core, &caller).await?;
    let mut response = Json(bundle).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(hospitallink::domain::fhir::MEDIA_TYPE),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"my-health-record.fhir.json\""),
    );
    Ok(response)
}
