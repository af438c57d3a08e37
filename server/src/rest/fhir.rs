//! The FHIR R4 API under `/fhir/r4`: `metadata`, `Patient/{id}` and the Observation search.
//! Answers are `application/fhir+json`; errors are OperationOutcome resources with the status
//! the error model gives them.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hospitallink::domain::fhir::api::{capability_statement, operation_outcome};
use hospitallink::domain::fhir::MEDIA_TYPE;
use hospitallink::domain::ErrorKind;
use hospitallink::services::fhir;
use hospitallink::AppError;
use serde_json::Value;

use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/Patient/{id}", get(read_patient))
        .route("/Observation", get(search_observations))
}

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

/// An error as an OperationOutcome (a 500's cause is logged, never shown).
fn outcome(error: AppError) -> Response {
    let kind = error.into_kind();
    let status = StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = fhir_json(status, &operation_outcome(&kind));
    if let ErrorKind::RateLimited { retry_after_secs }
    | ErrorKind::Unavailable { retry_after_secs } = kind
    {
        if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

fn answer(result: Result<Value, AppError>) -> Response {
    match result {
        Ok(body) => fhir_json(StatusCode::OK, &body),
        Err(e) => outcome(e),
    }
}

/// What this FHIR server offers (a CapabilityStatement). Open to all.
#[utoipa::path(
    get, path = "/fhir/r4/metadata", tag = "fhir",
    responses(
        (status = 200, description = "The CapabilityStatement", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn metadata(State(state): State<AppState>) -> Response {
    let core = &state.core;
    let body = capability_statement(
        &fhir::base_url(core),
        env!("CARGO_PKG_VERSION"),
        core.clock.now(),
    );
    fhir_json(StatusCode::OK, &body)
}

/// A patient linked to your hospital as a FHIR Patient: contact details only where the
/// patient's consent or your hospital's registration allows. Audited.
#[utoipa::path(
    get, path = "/fhir/r4/Patient/{id}", tag = "fhir",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The Patient", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "Malformed id (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such patient linked to your hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn read_patient(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            let id = uuid::Uuid::parse_str(id.trim())
                .map_err(|_| AppError::from(ErrorKind::invalid_field("id", "must be a UUID")))?;
            fhir::patient(&state.core, &caller, id).await
        }
        .await,
    )
}

/// The codes an Observation search takes.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum FhirObservationCode {
    #[schema(rename = "25836-8")]
    ViralLoad,
    #[schema(rename = "24467-3")]
    Cd4,
    #[schema(rename = "85353-1")]
    VitalSigns,
    #[schema(rename = "http://loinc.org|25836-8")]
    LoincViralLoad,
    #[schema(rename = "http://loinc.org|24467-3")]
    LoincCd4,
    #[schema(rename = "http://loinc.org|85353-1")]
    LoincVitalSigns,
}

/// A patient's observations your hospital may see (its own, and other hospitals' per the
/// patient's grants): viral load, CD4, vital signs, other results, adherence, newest first.
/// `patient` is required; `code` (LOINC 25836-8, 24467-3 or 85353-1), `date` (with `ge`,
/// `gt`, `le`, `lt`, `eq`), `_count` (at most 100) and `_page`. A searchset with `next` and
/// `previous` links. Audited, and in the patient's access log.
#[utoipa::path(
    get, path = "/fhir/r4/Observation", tag = "fhir",
    params(
        ("patient" = String, Query, description = "Patient id or Patient/{id}",
            pattern = r"^(Patient/)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
        ("code" = Option<FhirObservationCode>, Query, description = "LOINC code, optionally `http://loinc.org|`"),
        ("date" = Option<String>, Query, description = "A day (or an instant) with an optional prefix ge, gt, le, lt, eq",
            pattern = r"^(ge|gt|le|lt|eq)?[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        ("_count" = Option<u64>, Query, description = "Entries a page (default 25)", minimum = 1, maximum = 100),
        ("_page" = Option<u64>, Query, description = "Page number", minimum = 1, maximum = 1000000),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A searchset Bundle", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "A parameter that is missing or wrong (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "A role or scope that reads no records (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such patient linked to your hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn search_observations(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let query = parts.uri.query().unwrap_or_default().to_string();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(&query).map_err(|_| {
                    AppError::from(ErrorKind::bad_request(
                        "invalid_query",
                        "The query could not be read.",
                    ))
                })?;
            let kept: Vec<(String, String)> = pairs
                .iter()
                .filter(|(k, _)| k != "_page")
                .cloned()
                .collect();
            let self_url = format!(
                "{}/Observation?{}",
                fhir::base_url(&state.core),
                serde_urlencoded::to_string(&kept).unwrap_or_default()
            );
            fhir::observations(&state.core, &caller, &pairs, &self_url).await
        }
        .await,
    )
}
