//! Integration clients: a hospital admin's `/api/v1/hospitals/{id}/api-clients`, and the
//! client-credentials grant `/api/v1/auth/token` the clients sign in with.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::integration::{
    ApiClient, ApiClientSecret, ClientInput, ClientToken, ClientUpdate, TokenRequest,
};
use hospitallink::domain::ErrorKind;
use hospitallink::services::integration::clients;

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_id, parse_json, ApiJson, Meta, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/token", post(token))
        .route("/hospitals/{id}/api-clients", get(list).post(create))
        .route("/hospitals/{id}/api-clients/{cid}", put(update))
        .route("/hospitals/{id}/api-clients/{cid}/rotate", post(rotate))
}

/// The token request from a form body (RFC 6749) or JSON, with the id and secret in the body or
/// as HTTP Basic credentials.
fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, ApiError> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let mut request: TokenRequest = match mime.as_str() {
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body).map_err(|e| {
            ErrorKind::bad_request("invalid_form", format!("The form could not be read: {e}"))
        })?,
        "application/json" => parse_json(body)?,
        _ => {
            return Err(ErrorKind::UnsupportedMediaType {
                message: "Send the token request as application/x-www-form-urlencoded (or JSON)."
                    .into(),
            }
            .into())
        }
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok());
    if let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) {
        request.client_id = Some(id.to_string());
        request.client_secret = Some(secret.to_string());
    }
    Ok(request)
}

/// The client-credentials grant: an integration client trades its id and secret (in the body
/// or as HTTP Basic) for a short-lived access token that acts for its hospital within its
/// scopes, or the fewer named in `scope`. No refresh token: ask again. Audited as the client.
#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "An access token", body = ClientToken),
        (status = 400, description = "`unsupported_grant_type`, `invalid_scope`, or a malformed body", body = ErrorBody),
        (status = 401, description = "Unknown client, wrong secret, or a disabled client", body = ErrorBody),
        (status = 415, description = "Neither a form nor JSON", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    )
)]
pub async fn token(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ClientToken>> {
    let request = token_request(&headers, &body)?;
    Ok(Json(clients::token(&state.core, &meta, &request).await?))
}

/// As a hospital admin: your hospital's integration clients, newest first, with when each last
/// got a token. Audited.
#[utoipa::path(
    get, path = "/api/v1/hospitals/{id}/api-clients", tag = "hospitals",
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clients (never their secrets)", body = Vec<ApiClient>),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(clients::list(&state.core, &caller, parse_id(&id)?).await?).into_response())
}

/// As a hospital admin: create an integration client for your hospital with scopes (permission
/// names a client may hold, and you hold). The secret is in this answer only. Audited.
#[utoipa::path(
    post, path = "/api/v1/hospitals/{id}/api-clients", tag = "hospitals",
    params(("id" = uuid::Uuid, Path, description = "Hospital id")),
    request_body = ClientInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The client and its secret, shown once", body = ApiClientSecret),
        (status = 400, description = "Invalid input; `fields` names each problem (a scope a client may not hold, or you do not)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital", body = ErrorBody),
        (status = 409, description = "`too_many_clients`", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<Response> {
    let created = clients::create(&state.core, &caller, parse_id(&id)?, &input).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// As a hospital admin: disable a client (its tokens stop at once) or enable it again. Audited.
#[utoipa::path(
    put, path = "/api/v1/hospitals/{id}/api-clients/{cid}", tag = "hospitals",
    params(
        ("id" = uuid::Uuid, Path, description = "Hospital id"),
        ("cid" = uuid::Uuid, Path, description = "Client id"),
    ),
    request_body = ClientUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The client", body = ApiClient),
        (status = 400, description = "Malformed id or body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital, or no such client", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, cid)): Path<(String, String)>,
    ApiJson(input): ApiJson<ClientUpdate>,
) -> ApiResult<Response> {
    let client = clients::update(
        &state.core,
        &caller,
        parse_id(&id)?,
        parse_id(&cid)?,
        &input,
    )
    .await?;
    Ok(Json(client).into_response())
}

/// As a hospital admin: a new secret for a client, shown once; the old secret and every token
/// issued with it stop working at once. Audited.
#[utoipa::path(
    post, path = "/api/v1/hospitals/{id}/api-clients/{cid}/rotate", tag = "hospitals",
    params(
        ("id" = uuid::Uuid, Path, description = "Hospital id"),
        ("cid" = uuid::Uuid, Path, description = "Client id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The client and its new secret, shown once", body = ApiClientSecret),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `settings.manage`", body = ErrorBody),
        (status = 404, description = "Not your hospital, or no such client", body = ErrorBody),
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, cid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let rotated = clients::rotate(&state.core, &caller, parse_id(&id)?, parse_id(&cid)?).await?;
    Ok(Json(rotated).into_response())
}
