//! REST rendering of errors: `{"error", "code", "fields"}` with the matching status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hospitallink::domain::ErrorKind;
use hospitallink::AppError;

/// An error on its way out of a REST handler.
#[derive(Debug)]
pub struct ApiError(pub ErrorKind);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err.into_kind())
    }
}

impl From<ErrorKind> for ApiError {
    fn from(kind: ErrorKind) -> Self {
        ApiError(kind)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.0.body())).into_response();
        let retry_after = match self.0 {
            ErrorKind::RateLimited { retry_after_secs }
            | ErrorKind::Unavailable { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"HospitalLink\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
