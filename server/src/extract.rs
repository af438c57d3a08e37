//! Extractors that turn bad input into clear 4xx errors naming the problem.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use hospitallink::domain::ErrorKind;
use hospitallink::policy::Caller;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::ApiError;
use app::state::AppState;

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// Whether the body is declared JSON (`application/json` or any `+json` type).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// JSON body: 415 without a JSON content type, 413 when too large, 400 naming the line and
/// column of a syntax error or the field whose value has the wrong type.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ErrorKind::UnsupportedMediaType {
                message: "Send the body as JSON with Content-Type: application/json.".into(),
            }
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(ErrorKind::PayloadTooLarge {
                    limit_bytes: JSON_LIMIT as u64,
                })
            } else {
                ApiError(ErrorKind::bad_request(
                    "unreadable_body",
                    "The request body could not be read.",
                ))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserializes JSON, naming the offending field when the shape is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError(ErrorKind::bad_request(
                "malformed_json",
                format!(
                    "The body is not valid JSON (line {}, column {}).",
                    inner.line(),
                    inner.column()
                ),
            )),
            Category::Data => {
                let message = strip_position(&inner.to_string());
                let field = unknown_field(&message).unwrap_or(if path == "." {
                    "body".to_string()
                } else {
                    path
                });
                ApiError(ErrorKind::invalid_field(&field, message))
            }
        }
    })
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Query string: a value of the wrong shape is a 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError(ErrorKind::bad_request("invalid_query", e.body_text())))
    }
}

/// Parses a path id, answering 400 naming `id` when it is not a UUID.
pub fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError(ErrorKind::invalid_field("id", "must be a UUID")))
}

/// `If-Match: "3"` (or `3`, or `W/"3"`) -> `Some(3)`.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError(ErrorKind::invalid_field(
                "If-Match",
                "must be the record's version, e.g. \"3\"",
            ))
        })
}

/// Where the request came from (address, user agent, request id), for limits and the audit
/// log, without resolving who is asking.
pub struct Meta(pub hospitallink::policy::RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(app::state::request_meta(parts)))
    }
}

/// The caller: who is asking (see `hospitallink::services::identity::access`) and from where.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Auth(app::state::resolve_caller(&state.core, parts).await?))
    }
}

/// The caller of a route that needs a sign-in: without a valid one the answer is 401 before
/// anything else of the request is read (its id, headers or body), as the policy would decide
/// for an anonymous caller. The refusal is counted, not chained (`audit::record`).
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = app::state::resolve_caller(&state.core, parts).await?;
        if caller.actor == hospitallink::policy::Actor::Anonymous {
            state
                .core
                .audit_writer
                .count_anonymous_refusal_of("sign_in_required");
            return Err(ErrorKind::unauthenticated().into());
        }
        Ok(SignedIn(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hospitallink::domain::platform::hospital::HospitalInput;

    #[test]
    fn json_errors_name_the_problem() {
        let e = parse_json::<HospitalInput>(b"{\"name\": ").unwrap_err().0;
        assert_eq!(e.code(), "malformed_json");
        assert!(e.message().contains("line 1"));
        let e = parse_json::<HospitalInput>(br#"{"name": 5}"#)
            .unwrap_err()
            .0;
        assert_eq!(e.field("name").len(), 1, "{e:?}");
        let e = parse_json::<HospitalInput>(br#"{"beds": 5}"#)
            .unwrap_err()
            .0;
        assert_eq!(e.field("beds").len(), 1, "{e:?}");
        let e = parse_json::<HospitalInput>(b"\"text\"").unwrap_err().0;
        assert_eq!(e.field("body").len(), 1, "{e:?}");
    }

    #[test]
    fn if_match_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(if_match(&h).unwrap(), None);
        h.insert(header::IF_MATCH, "\"3\"".parse().unwrap());
        assert_eq!(if_match(&h).unwrap(), Some(3));
        h.insert(header::IF_MATCH, "W/\"4\"".parse().unwrap());
        assert_eq!(if_match(&h).unwrap(), Some(4));
        h.insert(header::IF_MATCH, "abc".parse().unwrap());
        assert!(if_match(&h).is_err());
    }
}
