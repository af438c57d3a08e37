//! Sync across hospitals for a hospital's systems: `POST /api/v1/sync/upload` (a batch by the
//! hospital's own ids, under an `Idempotency-Key`) and `GET /api/v1/sync/changes` (what the
//! hospital may see that changed since a cursor).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::integration::changes::{ChangesPage, ChangesQuery};
use hospitallink::domain::integration::sync::{UploadBatch, UploadResult};
use hospitallink::domain::ErrorKind;
use hospitallink::services::integration::{changes, sync};

use crate::error::ApiResult;
use crate::extract::{is_json, parse_json, ApiQuery, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync/upload", post(upload))
        .route("/sync/changes", get(changes_since))
}

/// The largest upload body: a thousand items with room to spare.
pub const UPLOAD_LIMIT: usize = 8 * 1024 * 1024;

/// Uploads patients and records under your hospital's own ids (`sync`, plus what each item
/// needs: `patients.write`, the record type's write permission). Patients are taken first; a
/// record names its patient by your id or ours. Each item is created, updated (a changed
/// record becomes a correction of the one uploaded before), found unchanged, linked (a patient
/// registered elsewhere, with `link_existing`) or refused with its error, and audited as one
/// request alone would be. The same `Idempotency-Key` with the same body answers the first
/// answer again (`Idempotent-Replayed: true`) without doing the work twice; keys are kept 24
/// hours.
#[utoipa::path(
    post, path = "/api/v1/sync/upload", tag = "sync",
    request_body = UploadBatch,
    params(("Idempotency-Key" = String, Header, description = "A unique value per batch (1-255 visible ASCII characters), sent again with a retry")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per item, in the order sent", body = UploadResult,
         headers(("Idempotent-Replayed" = String, description = "`true` on a replay of the first answer"))),
        (status = 400, description = "No or a malformed `Idempotency-Key`, a malformed body, or more than 1,000 items; `fields` names the problem", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `sync`, or not acting for a hospital", body = ErrorBody),
        (status = 409, description = "`idempotency_in_progress`: the first request with this key is still at work", body = ErrorBody),
        (status = 413, description = "Body over 8 MiB", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this key came with a different body", body = ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    if !is_json(&headers) {
        return Err(ErrorKind::UnsupportedMediaType {
            message: "Send the batch as JSON with Content-Type: application/json.".into(),
        }
        .into());
    }
    let batch: UploadBatch = parse_json(&body)?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let done = sync::upload(&state.core, &caller, key, &body, &batch).await?;
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        done.body,
    )
        .into_response();
    if done.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// What changed since `since` that your hospital may see now, oldest first (`sync`): its own
/// records, other hospitals' records as far as the patient's active grants open them, and the
/// profiles of patients linked to it, each as it is now, or a tombstone (`deleted`) for a
/// deleted record or a patient removed from your hospital. Numbered in commit order: reading
/// on from `next_cursor` misses nothing and repeats nothing, however many writers commit at
/// once. A revoked grant stops the feed at once. Every read is audited for its patient.
#[utoipa::path(
    get, path = "/api/v1/sync/changes", tag = "sync",
    params(ChangesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The page and the cursor to read on from", body = ChangesPage),
        (status = 400, description = "A cursor this server did not give, or a bad `limit`; `fields` names it", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Without `sync`, or not acting for a hospital", body = ErrorBody),
    )
)]
pub async fn changes_since(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> ApiResult<Json<ChangesPage>> {
    Ok(Json(changes::feed(&state.core, &caller, &query).await?))
}
