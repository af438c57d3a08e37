//! The FHIR R4 API under `/fhir/r4`: `metadata`; Patient read and `$everything`; read and
//! search of Observation, MedicationRequest, Condition and AllergyIntolerance; the Consent
//! search; and Observation create (conditional with `If-None-Exist`).
//! Answers are `application/fhir+json`; errors are OperationOutcome resources with the status
//! the error model gives them.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hospitallink::domain::fhir::api::{capability_statement, operation_outcome};
use hospitallink::domain::fhir::search::RecordResource;
use hospitallink::domain::fhir::MEDIA_TYPE;
use hospitallink::domain::ErrorKind;
use hospitallink::services::fhir;
use hospitallink::AppError;
use serde_json::Value;

use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/Patient", get(search_patients))
        .route("/Patient/{id}", get(read_patient))
        .route("/Patient/{id}/$everything", get(everything))
        .route(
            "/Observation",
            get(search_observations).post(create_observation),
        )
        .route("/Observation/{id}", get(read_observation))
        .route("/MedicationRequest", get(search_medication_requests))
        .route("/MedicationRequest/{id}", get(read_medication_request))
        .route("/Condition", get(search_conditions))
        .route("/Condition/{id}", get(read_condition))
        .route("/AllergyIntolerance", get(search_allergies))
        .route("/AllergyIntolerance/{id}", get(read_allergy))
        .route("/Consent", get(search_consents))
        .route("/Consent/{id}", get(read_consent))
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
            fhir::patient(&state.core, &caller, parse_id(&id)?).await
        }
        .await,
    )
}

fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| AppError::from(ErrorKind::invalid_field("id", "must be a UUID")))
}

/// The query's pairs, and the search's own address without `_page` (for the paging links).
fn query_of(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<(Vec<(String, String)>, String), AppError> {
    let query = parts.uri.query().unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
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
    let path = parts
        .uri
        .path()
        .strip_prefix("/fhir/r4")
        .unwrap_or(parts.uri.path());
    let self_url = format!(
        "{}{path}?{}",
        fhir::base_url(&state.core),
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    );
    Ok((pairs, self_url))
}

/// A search of records written as `resource`.
async fn search_as(state: AppState, req: Request, resource: RecordResource) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            let (pairs, self_url) = query_of(&state, &parts)?;
            fhir::search(&state.core, &caller, resource, &pairs, &self_url).await
        }
        .await,
    )
}

/// One record written as `resource`.
async fn read_as(state: AppState, id: String, req: Request, resource: RecordResource) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            fhir::read(&state.core, &caller, resource, parse_id(&id)?).await
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
    search_as(state, req, RecordResource::Observation).await
}

/// The paging parameters every search takes, and a search's common answers.
macro_rules! record_routes {
    ($search:ident, $read:ident, $resource:expr, $name:literal, $what:literal, $date:literal) => {
        #[doc = concat!("A patient's ", $what, " your hospital may see (its own, and other hospitals' per the patient's grants), newest first. `patient` is required; `", $date, "` (with `ge`, `gt`, `le`, `lt`, `eq`), `_count` (at most 100) and `_page`. A searchset with `next` and `previous` links. Audited, and in the patient's access log.")]
        #[utoipa::path(
            get, path = concat!("/fhir/r4/", $name), tag = "fhir",
            params(
                ("patient" = String, Query, description = "Patient id or Patient/{id}",
                    pattern = r"^(Patient/)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
                ($date = Option<String>, Query, description = "A day (or an instant) with an optional prefix ge, gt, le, lt, eq",
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
        pub async fn $search(State(state): State<AppState>, req: Request) -> Response {
            search_as(state, req, $resource).await
        }

        #[doc = concat!("One of a patient's ", $what, " your hospital may see, by id. Audited.")]
        #[utoipa::path(
            get, path = concat!("/fhir/r4/", $name, "/{id}"), tag = "fhir",
            params(("id" = uuid::Uuid, Path, description = "Record id")),
            security(("bearer" = [])),
            responses(
                (status = 200, description = concat!("The ", $name), content_type = "application/fhir+json", body = Object),
                (status = 400, description = "Malformed id (OperationOutcome)", content_type = "application/fhir+json", body = Object),
                (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
                (status = 403, description = "A role or scope that reads no records (OperationOutcome)", content_type = "application/fhir+json", body = Object),
                (status = 404, description = concat!("No such ", $name, " your hospital may see (OperationOutcome)"), content_type = "application/fhir+json", body = Object),
            )
        )]
        pub async fn $read(
            State(state): State<AppState>,
            Path(id): Path<String>,
            req: Request,
        ) -> Response {
            read_as(state, id, req, $resource).await
        }
    };
}

record_routes!(
    search_medication_requests,
    read_medication_request,
    RecordResource::MedicationRequest,
    "MedicationRequest",
    "treatment orders (ART regimens and prescriptions)",
    "authoredon"
);
record_routes!(
    search_conditions,
    read_condition,
    RecordResource::Condition,
    "Condition",
    "diagnoses",
    "recorded-date"
);
record_routes!(
    search_allergies,
    read_allergy,
    RecordResource::AllergyIntolerance,
    "AllergyIntolerance",
    "allergies",
    "date"
);

/// One of a patient's observations your hospital may see, by id. Audited.
#[utoipa::path(
    get, path = "/fhir/r4/Observation/{id}", tag = "fhir",
    params(("id" = uuid::Uuid, Path, description = "Record id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The Observation", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "Malformed id (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "A role or scope that reads no records (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such Observation your hospital may see (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn read_observation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    read_as(state, id, req, RecordResource::Observation).await
}

/// The consents of a patient that concern your hospital (given to it, or recorded by its
/// staff), newest first, each with its state now. `patient` is required; `_count`, `_page`.
/// Audited.
#[utoipa::path(
    get, path = "/fhir/r4/Consent", tag = "fhir",
    params(
        ("patient" = String, Query, description = "Patient id or Patient/{id}",
            pattern = r"^(Patient/)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
        ("_count" = Option<u64>, Query, description = "Entries a page (default 25)", minimum = 1, maximum = 100),
        ("_page" = Option<u64>, Query, description = "Page number", minimum = 1, maximum = 1000000),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A searchset Bundle of Consent", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "A parameter that is missing or wrong (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "Without `patients.read` (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such patient linked to your hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn search_consents(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            let (pairs, self_url) = query_of(&state, &parts)?;
            fhir::consents(&state.core, &caller, &pairs, &self_url).await
        }
        .await,
    )
}

/// Everything of a patient your hospital may see: the Patient (first page), then every record
/// written as its resource, newest first, paged with `_count` and `_page`. Audited.
#[utoipa::path(
    get, path = "/fhir/r4/Patient/{id}/$everything", tag = "fhir",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("_count" = Option<u64>, Query, description = "Records a page (default 25)", minimum = 1, maximum = 100),
        ("_page" = Option<u64>, Query, description = "Page number", minimum = 1, maximum = 1000000),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A searchset Bundle", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "A malformed id or parameter (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "A role or scope that reads no records (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such patient linked to your hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn everything(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            let (pairs, self_url) = query_of(&state, &parts)?;
            fhir::everything(&state.core, &caller, parse_id(&id)?, &pairs, &self_url).await
        }
        .await,
    )
}

/// Records a viral load (LOINC 25836-8) or a CD4 count (24467-3) as an Observation of a patient
/// linked to your hospital: status `final`, `subject` `Patient/{id}`, `valueQuantity`,
/// `effectiveDateTime`. With `If-None-Exist: identifier=[system|]value`, an Observation your
/// hospital created with that identifier is answered (200) instead of a second one; without
/// it, the body's first identifier is remembered. Audited like any record.
#[utoipa::path(
    post, path = "/fhir/r4/Observation", tag = "fhir",
    request_body(content = Object, content_type = "application/fhir+json"),
    params(("If-None-Exist" = Option<String>, Header, description = "identifier=[system|]value")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", content_type = "application/fhir+json", body = Object),
        (status = 200, description = "The Observation `If-None-Exist` names, which already exists", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "Not an Observation this server records, or a bad `If-None-Exist` (OperationOutcome naming the element)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "Without a lab-writing permission (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such patient linked to your hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 409, description = "Another create with this identifier won the race (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 415, description = "Not JSON (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn create_observation(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        if !crate::extract::is_json(&parts.headers) {
            return Err(AppError::from(ErrorKind::UnsupportedMediaType {
                message: "Send the Observation as application/fhir+json.".into(),
            }));
        }
        let bytes = axum::body::to_bytes(body, crate::extract::JSON_LIMIT)
            .await
            .map_err(|_| {
                AppError::from(ErrorKind::PayloadTooLarge {
                    limit_bytes: crate::extract::JSON_LIMIT as u64,
                })
            })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::from(ErrorKind::bad_request(
                "malformed_json",
                format!("The body is not valid JSON: {e}"),
            ))
        })?;
        // The header is a search query: `identifier=https%3A%2F%2F...%7CVL-1` or unencoded.
        let if_none: Option<Vec<(String, String)>> = parts
            .headers
            .get("if-none-exist")
            .map(|v| {
                v.to_str()
                    .ok()
                    .and_then(|q| serde_urlencoded::from_str(q.trim()).ok())
                    .ok_or_else(|| {
                        AppError::from(ErrorKind::invalid_field(
                            "If-None-Exist",
                            "must be a search query, identifier=[system|]value",
                        ))
                    })
            })
            .transpose()?;
        fhir::create_observation(&state.core, &caller, &value, if_none.as_deref()).await
    }
    .await;
    match result {
        Ok(done) => {
            let status = if done.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let mut response = fhir_json(status, &done.resource);
            let location = format!("{}/Observation/{}", fhir::base_url(&state.core), done.id);
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => outcome(e),
    }
}

/// Your hospital's patients found by one of `name` (a prefix of each word), `identifier` (your
/// MRN, `[system|]value`), `phone` or `email`, or all of them; `_count`, `_page`. Each is a
/// Patient with who they are and your MRN; read the Patient for its contact details. Audited.
#[utoipa::path(
    get, path = "/fhir/r4/Patient", tag = "fhir",
    params(
        ("name" = Option<String>, Query, description = "A prefix of each word of the name", max_length = 100),
        ("identifier" = Option<String>, Query, description = "Your MRN, optionally `system|`", max_length = 100),
        ("phone" = Option<String>, Query, description = "A phone number with its country code", max_length = 100),
        ("email" = Option<String>, Query, description = "An email address", max_length = 100),
        ("_count" = Option<u64>, Query, description = "Entries a page (default 25)", minimum = 1, maximum = 100),
        ("_page" = Option<u64>, Query, description = "Page number", minimum = 1, maximum = 1000000),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A searchset Bundle of Patient", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "A parameter that is wrong, or more than one way of finding (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "Without `patients.read`, or not of a hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 429, description = "Too many searches (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn search_patients(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            let (pairs, self_url) = query_of(&state, &parts)?;
            fhir::patients(&state.core, &caller, &pairs, &self_url).await
        }
        .await,
    )
}

/// One consent that concerns your hospital (given to it, or recorded by its staff), of a
/// patient linked to it, with its state now. Audited.
#[utoipa::path(
    get, path = "/fhir/r4/Consent/{id}", tag = "fhir",
    params(("id" = uuid::Uuid, Path, description = "Grant id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The Consent", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "Malformed id (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "Not signed in (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "Without `patients.read` (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such consent of your hospital (OperationOutcome)", content_type = "application/fhir+json", body = Object),
    )
)]
pub async fn read_consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    answer(
        async {
            let caller = app::state::resolve_caller(&state.core, &parts).await?;
            fhir::consent(&state.core, &caller, parse_id(&id)?).await
        }
        .await,
    )
}
