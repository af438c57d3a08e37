//! The error kind: what a client may see of a failure (code, message, field errors).
//!
//! It is serializable so server functions hand it to the hydrated UI unchanged; REST renders it
//! as `{"error", "code", "fields"}`. Causes stay on the server (see `AppError`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Field name -> messages, ordered so responses are stable.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The largest body of a plain form or a server function call (64 KiB).
pub const FORM_BODY_LIMIT: u64 = 64 * 1024;

/// Serialized with a `kind` tag beside the variant's fields. It is read back (in the browser)
/// through `ErrorWire`, one flat struct, instead of serde's internally tagged enum, which
/// buffers the whole object first and costs the bundle several kilobytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "ErrorWire")]
pub enum ErrorKind {
    /// 400: input that does not satisfy a rule; `fields` names what to fix.
    Invalid {
        code: String,
        message: String,
        fields: FieldErrors,
    },
    /// 401
    Unauthenticated { message: String },
    /// 403
    Forbidden { code: String, message: String },
    /// 404: absent or invisible to the caller (existence never leaks).
    NotFound { message: String },
    /// 409
    Conflict {
        code: String,
        message: String,
        fields: FieldErrors,
        /// The existing object the request collided with, when the caller may act on it
        /// (e.g. the patient to link instead of registering a duplicate).
        existing_id: Option<uuid::Uuid>,
    },
    /// 409: a prescription, regimen or dispensing with a severe drug interaction and no
    /// override reason; `warnings` says which WHO rules and what they advise.
    InteractionOverrideRequired {
        message: String,
        warnings: Vec<crate::domain::cds::interactions::InteractionWarning>,
    },
    /// 412: `If-Match` did not match the current version.
    PreconditionFailed { current_version: i64 },
    /// 422: well formed, but cannot be taken as it is (an idempotency key sent again with a
    /// different body).
    Unprocessable {
        code: String,
        message: String,
        fields: FieldErrors,
    },
    /// 413
    PayloadTooLarge { limit_bytes: u64 },
    /// 415
    UnsupportedMediaType { message: String },
    /// 429
    RateLimited { retry_after_secs: u64 },
    /// 503: a dependency (usually the database lock) is busy; retry later.
    Unavailable { retry_after_secs: u64 },
    /// 500: the cause is logged on the server with the request id, never shown.
    Internal,
}

/// The flat shape of every serialized [`ErrorKind`]: the tag and the union of the fields.
#[derive(Deserialize)]
struct ErrorWire {
    kind: String,
    code: Option<String>,
    message: Option<String>,
    fields: Option<FieldErrors>,
    existing_id: Option<uuid::Uuid>,
    current_version: Option<i64>,
    limit_bytes: Option<u64>,
    retry_after_secs: Option<u64>,
    warnings: Option<Vec<crate::domain::cds::interactions::InteractionWarning>>,
}

/// A field the `kind` requires, or the error naming it.
pub(crate) fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

impl TryFrom<ErrorWire> for ErrorKind {
    type Error = String;

    fn try_from(w: ErrorWire) -> Result<Self, String> {
        let retry_after_secs = || required(w.retry_after_secs, "retry_after_secs");
        Ok(match w.kind.as_str() {
            "invalid" => ErrorKind::Invalid {
                code: required(w.code, "code")?,
                message: required(w.message, "message")?,
                fields: required(w.fields, "fields")?,
            },
            "unauthenticated" => ErrorKind::Unauthenticated {
                message: required(w.message, "message")?,
            },
            "forbidden" => ErrorKind::Forbidden {
                code: required(w.code, "code")?,
                message: required(w.message, "message")?,
            },
            "not_found" => ErrorKind::NotFound {
                message: required(w.message, "message")?,
            },
            "conflict" => ErrorKind::Conflict {
                code: required(w.code, "code")?,
                message: required(w.message, "message")?,
                fields: required(w.fields, "fields")?,
                existing_id: w.existing_id,
            },
            "unprocessable" => ErrorKind::Unprocessable {
                code: required(w.code, "code")?,
                message: required(w.message, "message")?,
                fields: required(w.fields, "fields")?,
            },
            "interaction_override_required" => ErrorKind::InteractionOverrideRequired {
                message: required(w.message, "message")?,
                warnings: required(w.warnings, "warnings")?,
            },
            "precondition_failed" => ErrorKind::PreconditionFailed {
                current_version: required(w.current_version, "current_version")?,
            },
            "payload_too_large" => ErrorKind::PayloadTooLarge {
                limit_bytes: required(w.limit_bytes, "limit_bytes")?,
            },
            "unsupported_media_type" => ErrorKind::UnsupportedMediaType {
                message: required(w.message, "message")?,
            },
            "rate_limited" => ErrorKind::RateLimited {
                retry_after_secs: retry_after_secs()?,
            },
            "unavailable" => ErrorKind::Unavailable {
                retry_after_secs: retry_after_secs()?,
            },
            "internal" => ErrorKind::Internal,
            other => return Err(format!("unknown error kind `{other}`")),
        })
    }
}

impl ErrorKind {
    /// Field errors collected by validation.
    pub fn validation(fields: FieldErrors) -> Self {
        ErrorKind::Invalid {
            code: "validation_failed".into(),
            message: "Some fields need attention.".into(),
            fields,
        }
    }

    /// One invalid field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), vec![message.into()]);
        Self::validation(fields)
    }

    /// A bad request that is not about one field (e.g. malformed JSON).
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ErrorKind::Invalid {
            code: code.into(),
            message: message.into(),
            fields: FieldErrors::new(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        ErrorKind::NotFound {
            message: format!("{what} not found"),
        }
    }

    pub fn conflict_on(code: &str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), vec![message.clone()]);
        ErrorKind::Conflict {
            code: code.into(),
            message,
            fields,
            existing_id: None,
        }
    }

    pub fn unauthenticated() -> Self {
        ErrorKind::Unauthenticated {
            message: "Sign in to continue.".into(),
        }
    }

    pub fn forbidden() -> Self {
        ErrorKind::Forbidden {
            code: "forbidden".into(),
            message: "You do not have permission to do this.".into(),
        }
    }

    /// HTTP status code for this kind.
    pub fn status(&self) -> u16 {
        match self {
            ErrorKind::Invalid { .. } => 400,
            ErrorKind::Unauthenticated { .. } => 401,
            ErrorKind::Forbidden { .. } => 403,
            ErrorKind::NotFound { .. } => 404,
            ErrorKind::Conflict { .. } | ErrorKind::InteractionOverrideRequired { .. } => 409,
            ErrorKind::PreconditionFailed { .. } => 412,
            ErrorKind::Unprocessable { .. } => 422,
            ErrorKind::PayloadTooLarge { .. } => 413,
            ErrorKind::UnsupportedMediaType { .. } => 415,
            ErrorKind::RateLimited { .. } => 429,
            ErrorKind::Unavailable { .. } => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// Stable snake_case code for clients.
    pub fn code(&self) -> &str {
        match self {
            ErrorKind::Invalid { code, .. }
            | ErrorKind::Forbidden { code, .. }
            | ErrorKind::Conflict { code, .. }
            | ErrorKind::Unprocessable { code, .. } => code,
            ErrorKind::Unauthenticated { .. } => "unauthenticated",
            ErrorKind::NotFound { .. } => "not_found",
            ErrorKind::InteractionOverrideRequired { .. } => "interaction_override_required",
            ErrorKind::PreconditionFailed { .. } => "version_mismatch",
            ErrorKind::PayloadTooLarge { .. } => "payload_too_large",
            ErrorKind::UnsupportedMediaType { .. } => "unsupported_media_type",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::Unavailable { .. } => "unavailable",
            ErrorKind::Internal => "internal_error",
        }
    }

    /// Human message, safe to show.
    pub fn message(&self) -> String {
        match self {
            ErrorKind::Invalid { message, .. }
            | ErrorKind::Unauthenticated { message }
            | ErrorKind::Forbidden { message, .. }
            | ErrorKind::NotFound { message }
            | ErrorKind::Conflict { message, .. }
            | ErrorKind::Unprocessable { message, .. }
            | ErrorKind::UnsupportedMediaType { message }
            | ErrorKind::InteractionOverrideRequired { message, .. } => message.clone(),
            ErrorKind::PreconditionFailed { current_version } => format!(
                "The record changed since you loaded it (current version {current_version}); reload and try again."
            ),
            ErrorKind::PayloadTooLarge { limit_bytes } => {
                format!("The request body is larger than {limit_bytes} bytes.")
            }
            ErrorKind::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} s.")
            }
            ErrorKind::Unavailable { retry_after_secs } => {
                format!("The service is busy; try again in {retry_after_secs} s.")
            }
            ErrorKind::Internal => "Something went wrong on our side. It has been logged.".into(),
        }
    }

    /// Field errors, empty when the error is not about fields.
    pub fn fields(&self) -> FieldErrors {
        match self {
            ErrorKind::Invalid { fields, .. }
            | ErrorKind::Conflict { fields, .. }
            | ErrorKind::Unprocessable { fields, .. } => fields.clone(),
            ErrorKind::InteractionOverrideRequired { .. } => {
                let mut fields = FieldErrors::new();
                fields.insert(
                    "override_reason".into(),
                    vec!["is required to go ahead despite a severe interaction".into()],
                );
                fields
            }
            _ => FieldErrors::new(),
        }
    }

    /// The error in one line for a page: each field's problems (`consent form id: is not ...`,
    /// joined by `; `), or the message when it names no field.
    pub fn explained(&self) -> String {
        let fields: Vec<String> = self
            .fields()
            .iter()
            .flat_map(|(f, ms)| {
                ms.iter()
                    .map(move |m| format!("{}: {m}", f.replace('_', " ")))
            })
            .collect();
        if fields.is_empty() {
            self.message()
        } else {
            fields.join("; ")
        }
    }

    /// Messages for one field (empty when none).
    pub fn field(&self, name: &str) -> Vec<String> {
        match self {
            ErrorKind::Invalid { fields, .. }
            | ErrorKind::Conflict { fields, .. }
            | ErrorKind::Unprocessable { fields, .. } => {
                fields.get(name).cloned().unwrap_or_default()
            }
            ErrorKind::InteractionOverrideRequired { .. } => {
                self.fields().get(name).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// The REST wire body: `{"error", "code", "fields"}` (plus `existing_id` on some
    /// conflicts).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message(),
            code: self.code().to_string(),
            fields: self.fields(),
            existing_id: match self {
                ErrorKind::Conflict { existing_id, .. } => *existing_id,
                _ => None,
            },
            warnings: match self {
                ErrorKind::InteractionOverrideRequired { warnings, .. } => warnings.clone(),
                _ => Vec::new(),
            },
        }
    }

    /// The interaction warnings of a refused prescription (empty for any other error).
    pub fn warnings(&self) -> &[crate::domain::cds::interactions::InteractionWarning] {
        match self {
            ErrorKind::InteractionOverrideRequired { warnings, .. } => warnings,
            _ => &[],
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

impl std::error::Error for ErrorKind {}

/// The JSON body of every REST error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Human-readable message.
    pub error: String,
    /// Stable snake_case code.
    pub code: String,
    /// Field name -> messages.
    pub fields: FieldErrors,
    /// On a `patient_exists` conflict: the patient to link instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
    /// On `interaction_override_required`: the WHO interaction rules that stopped it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::domain::cds::interactions::InteractionWarning>,
}

/// Server functions return `ErrorKind` directly, so the hydrated UI sees the same codes and
/// field errors as REST clients.
impl server_fn::error::FromServerFnError for ErrorKind {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(m) | E::MissingArg(m) => ErrorKind::bad_request("invalid_arguments", m),
            // The body grew past the limit while it was read (no `Content-Length` declared).
            E::Deserialization(m) if m.contains("length limit exceeded") => {
                ErrorKind::PayloadTooLarge {
                    limit_bytes: FORM_BODY_LIMIT,
                }
            }
            E::Request(_) => ErrorKind::Unavailable {
                retry_after_secs: 5,
            },
            _ => ErrorKind::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape_names_the_field() {
        let err = ErrorKind::invalid_field("name", "is required");
        let json = serde_json::to_value(err.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "error": "Some fields need attention.",
                "code": "validation_failed",
                "fields": {"name": ["is required"]}
            })
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn every_kind_round_trips_and_a_broken_one_is_refused() {
        let id = uuid::Uuid::nil();
        let kinds = [
            ErrorKind::invalid_field("name", "is required"),
            ErrorKind::unauthenticated(),
            ErrorKind::forbidden(),
            ErrorKind::not_found("record"),
            ErrorKind::Conflict {
                code: "patient_exists".into(),
                message: "known".into(),
                fields: FieldErrors::new(),
                existing_id: Some(id),
            },
            ErrorKind::PreconditionFailed { current_version: 3 },
            ErrorKind::PayloadTooLarge { limit_bytes: 10 },
            ErrorKind::UnsupportedMediaType {
                message: "no".into(),
            },
            ErrorKind::RateLimited {
                retry_after_secs: 7,
            },
            ErrorKind::Unavailable {
                retry_after_secs: 5,
            },
            ErrorKind::Internal,
        ];
        for kind in kinds {
            let text = serde_json::to_string(&kind).unwrap();
            let back: ErrorKind = serde_json::from_slice(text.as_bytes()).unwrap();
            assert_eq!(back, kind, "{text}");
        }
        let missing = serde_json::from_str::<ErrorKind>(r#"{"kind":"not_found"}"#);
        assert!(missing.unwrap_err().to_string().contains("`message`"));
        let unknown = serde_json::from_str::<ErrorKind>(r#"{"kind":"teapot"}"#);
        assert!(unknown.unwrap_err().to_string().contains("teapot"));
    }

    #[test]
    fn kinds_round_trip_for_the_ui() {
        let err = ErrorKind::conflict_on("hospital_code_taken", "code", "already used");
        let back: ErrorKind = serde_json::from_str(&serde_json::to_string(&err).unwrap()).unwrap();
        assert_eq!(back, err);
        assert_eq!(back.status(), 409);
        assert_eq!(back.field("code"), vec!["already used".to_string()]);
    }
}
