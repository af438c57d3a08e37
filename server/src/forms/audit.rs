//! The audit log's CSV export for the admin page (`/admin/audit.csv`, a plain GET with the
//! page's filters).

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hospitallink::domain::ErrorKind;

use super::status_of;
use app::state::{resolve_caller, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/admin/audit.csv", get(audit_csv))
}

/// `GET /admin/audit.csv`: the audit log export for the signed-in admin, with the page's
/// filters.
async fn audit_csv(State(state): State<AppState>, req: Request) -> Response {
    use axum::http::header;
    let (parts, _) = req.into_parts();
    let result = async {
        let query: hospitallink::domain::platform::audit::AuditQuery =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).map_err(|e| {
                ErrorKind::bad_request(
                    "invalid_query",
                    format!("The filters could not be read: {e}"),
                )
            })?;
        let (filter, _) = query.parse()?;
        let caller = resolve_caller(&state.core, &parts).await?;
        hospitallink::services::platform::audit::export_csv(&state.core, &caller, &filter).await
    }
    .await;
    match result {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"hospitallink-audit.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response(),
        Err(e) => {
            let kind = e.into_kind();
            (status_of(Some(&kind)), kind.message()).into_response()
        }
    }
}
