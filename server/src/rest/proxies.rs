//! Proxies: the people who act for a patient in the portal (`/api/v1/me/proxies`,
//! `/api/v1/me/acting-for`) and the guardians staff add for a minor
//! (`/api/v1/patients/{id}/guardians`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::identity::auth::TokenResponse;
use hospitallink::domain::proxies::{
    ActingFor, ActingForInput, GuardianInput, MyProxies, Proxy, ProxyInput,
};
use hospitallink::domain::ErrorKind;
use hospitallink::services::identity::tokens;
use hospitallink::services::proxies::{guardians, relationships};

use crate::error::ApiResult;
use crate::extract::{parse_id, ApiJson, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/proxies", get(list).post(add))
        .route("/me/proxies/{id}", delete(end))
        .route("/me/proxies/{id}/accept", post(accept))
        .route("/me/acting-for", post(acting_for))
        .route(
            "/patients/{id}/guardians",
            get(guardians_of).post(add_guardian),
        )
        .route("/patients/{id}/guardians/{gid}", delete(end_guardian))
        .route(
            "/patients/{id}/guardians/{gid}/unlock",
            post(unlock_guardian),
        )
}

/// Reopen the sign-in of a guardian or proxy of a patient linked to your hospital after 100
/// consecutive wrong codes locked it (check who they are first). Audited.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/guardians/{gid}/unlock", tag = "sharing",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("gid" = uuid::Uuid, Path, description = "Proxy (relationship) id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Their sign-in is open again"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `consent.record`", body = ErrorBody),
        (status = 404, description = "No such patient, or no such proxy of theirs", body = ErrorBody),
    )
)]
pub async fn unlock_guardian(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, gid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    guardians::unlock(&state.core, &caller, parse_id(&id)?, parse_id(&gid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// As a patient, or someone who acts for one: the people who act for the record you have open
/// (when you may manage them), and the people you act for or were asked to. Audited.
#[utoipa::path(
    get, path = "/api/v1/me/proxies", tag = "portal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your proxies and the people you act for", body = MyProxies),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient or proxy", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    Ok(Json(relationships::list(&state.core, &caller).await?).into_response())
}

/// As a patient (or a proxy who manages the record): let someone act for you. They get a
/// discreet message, sign in with a code sent to that address, and accept; until then the
/// proxy is `pending`. Audited.
#[utoipa::path(
    post, path = "/api/v1/me/proxies", tag = "portal",
    request_body = ProxyInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The proxy, pending until they accept", body = Proxy),
        (status = 400, description = "Invalid input; `fields` names each problem (your own address among them)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient, or a proxy who may only view", body = ErrorBody),
        (status = 409, description = "`proxy_exists`: they already act for you or were asked; `too_many_proxies`", body = ErrorBody),
        (status = 429, description = "Ten people asked in the last day already", body = ErrorBody),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<ProxyInput>,
) -> ApiResult<Response> {
    let proxy = relationships::add(&state.core, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(proxy)).into_response())
}

/// End a proxy: the patient (or a proxy who manages the record) ends someone's access, or the
/// proxy stops acting (or declines). Their next request for the patient is refused. Audited.
#[utoipa::path(
    delete, path = "/api/v1/me/proxies/{id}", tag = "portal",
    params(("id" = uuid::Uuid, Path, description = "Proxy (relationship) id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient or proxy", body = ErrorBody),
        (status = 404, description = "No such proxy of yours", body = ErrorBody),
        (status = 409, description = "`already_ended`", body = ErrorBody),
    )
)]
pub async fn end(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    relationships::end(&state.core, &caller, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// As someone asked to act for a patient: accept. Audited.
#[utoipa::path(
    post, path = "/api/v1/me/proxies/{id}/accept", tag = "portal",
    params(("id" = uuid::Uuid, Path, description = "Proxy (relationship) id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted: you may act for the patient", body = ActingFor),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient or proxy", body = ErrorBody),
        (status = 404, description = "No such request to you", body = ErrorBody),
        (status = 409, description = "`already_answered`", body = ErrorBody),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(relationships::accept(&state.core, &caller, parse_id(&id)?).await?).into_response())
}

/// Choose whose record this sign-in acts on: a patient you act for, or (`null`) your own.
/// Answers new tokens that act so; `/me`, `/me/records`, `/me/access-log`, `/me/export` then
/// answer for that patient, and every call is audited as you on their behalf.
#[utoipa::path(
    post, path = "/api/v1/me/acting-for", tag = "portal",
    request_body = ActingForInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens acting for the chosen record", body = TokenResponse),
        (status = 400, description = "No bearer token, or a proxy asking for a record of their own", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a patient or proxy", body = ErrorBody),
        (status = 404, description = "Nobody you act for", body = ErrorBody),
    )
)]
pub async fn acting_for(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ActingForInput>,
) -> ApiResult<Response> {
    let subject = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| tokens::read_access_token(&state.core, t.trim()))
        .ok_or_else(|| {
            ErrorKind::bad_request(
                "bearer_required",
                "Send the access token of the sign-in to change; the portal's pages have their own form.",
            )
        })?;
    let (subject, _) =
        relationships::choose(&state.core, &caller, subject, input.patient_id).await?;
    Ok(Json(tokens::issue(&state.core, &subject).await?).into_response())
}

/// The guardians and proxies of a patient linked to your hospital. Audited.
#[utoipa::path(
    get, path = "/api/v1/patients/{id}/guardians", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first, ended ones kept", body = Vec<Proxy>),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `consent.record`", body = ErrorBody),
        (status = 404, description = "No such patient linked to your hospital", body = ErrorBody),
    )
)]
pub async fn guardians_of(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(guardians::list(&state.core, &caller, parse_id(&id)?).await?).into_response())
}

/// Add a guardian for a minor linked to your hospital, with the signed consent form (an
/// attachment of kind `consent_form` of the patient). Active at once, with the right to
/// manage; they get a discreet message to sign in. Audited.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/guardians", tag = "sharing",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body = GuardianInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The guardian", body = Proxy),
        (status = 400, description = "Invalid input; `fields` names each problem (a consent form that is not the patient's)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `consent.record`", body = ErrorBody),
        (status = 404, description = "No such patient linked to your hospital", body = ErrorBody),
        (status = 409, description = "`not_a_minor`, `proxy_exists` or `too_many_proxies`", body = ErrorBody),
    )
)]
pub async fn add_guardian(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GuardianInput>,
) -> ApiResult<Response> {
    let proxy = guardians::add(&state.core, &caller, parse_id(&id)?, &input).await?;
    Ok((StatusCode::CREATED, Json(proxy)).into_response())
}

/// End a guardian's or proxy's access to a patient linked to your hospital. Audited.
#[utoipa::path(
    delete, path = "/api/v1/patients/{id}/guardians/{gid}", tag = "sharing",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("gid" = uuid::Uuid, Path, description = "Proxy (relationship) id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `consent.record`", body = ErrorBody),
        (status = 404, description = "No such patient, or no such proxy of theirs", body = ErrorBody),
        (status = 409, description = "`already_ended`", body = ErrorBody),
    )
)]
pub async fn end_guardian(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, gid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    guardians::end(&state.core, &caller, parse_id(&id)?, parse_id(&gid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
