//! The server-side error: a client-visible `ErrorKind` plus the cause, which is logged and
//! never sent.

use crate::domain::ErrorKind;

#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct AppError {
    pub kind: ErrorKind,
    #[source]
    pub source: Option<BoxError>,
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl AppError {
    /// An unexpected failure: the client sees a 500 with no detail; the cause is logged.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        AppError {
            kind: ErrorKind::Internal,
            source: Some(source.into()),
        }
    }

    /// Whether the cause is a unique-constraint violation of the database (a concurrent
    /// request wrote the same key first).
    pub fn is_unique_violation(&self) -> bool {
        self.source
            .as_ref()
            .and_then(|s| s.downcast_ref::<sea_orm::DbErr>())
            .is_some_and(crate::db::is_unique_violation)
    }

    /// Logs the cause (for 5xx) and returns what the client may see.
    pub fn into_kind(self) -> ErrorKind {
        if self.kind.status() >= 500 {
            match &self.source {
                Some(cause) => {
                    tracing::error!(error = %cause, code = self.kind.code(), "request failed")
                }
                None => tracing::error!(code = self.kind.code(), "request failed"),
            }
        }
        self.kind
    }
}

impl From<ErrorKind> for AppError {
    fn from(kind: ErrorKind) -> Self {
        AppError { kind, source: None }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_busy(&err) {
            return AppError {
                kind: ErrorKind::Unavailable {
                    retry_after_secs: 1,
                },
                source: Some(Box::new(err)),
            };
        }
        AppError::internal(err)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
