//! `/api/v1/patients/{id}/attachments` and `/api/v1/attachments/{id}`: consent forms and
//! scans, uploaded as `multipart/form-data`, downloaded through the authorization decision.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::clinical::attachment::Attachment;
use hospitallink::domain::clinical::patient::DeleteRequest;
use hospitallink::domain::error::ErrorBody;
use hospitallink::services::clinical::attachments;
use utoipa::ToSchema;

use super::optional_json;
use crate::error::ApiResult;
use crate::extract::{parse_id, SignedIn};
use crate::upload::read_upload;
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/attachments", get(list).post(upload))
        .route("/attachments/{id}", get(download).delete(delete_attachment))
}

/// A patient's attachments.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentList {
    data: Vec<Attachment>,
}

/// The multipart form of an upload.
// `Deserialize` only for `deny_unknown_fields`, which marks the form closed in the document
// (the upload reader refuses other parts).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// `consent_form` or `scan`.
    kind: hospitallink::domain::clinical::attachment::AttachmentKind,
    /// Optional, at most 200 characters.
    #[schema(schema_with = hospitallink::domain::schema::document_description)]
    description: Option<String>,
    /// PDF, PNG or JPEG, at most `ATTACHMENT_MAX_BYTES` (10 MB by default).
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Store a consent form or a scan on a patient. The type is recognised from the content.
#[utoipa::path(
    post, path = "/api/v1/patients/{id}/attachments", tag = "attachments",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored, encrypted", body = Attachment),
        (status = 400, description = "Kind, description or file refused (type, size)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not store this kind", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    attachments::may_upload(&state.core, &caller, id).await?;
    let input = read_upload(&headers, body, state.core.config.attachment_max_bytes).await?;
    let stored = attachments::upload(&state.core, &caller, id, input).await?;
    let mut response = (StatusCode::CREATED, Json(&stored)).into_response();
    if let Ok(location) = HeaderValue::from_str(&stored.download_url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A patient's consent forms and scans that your role reads, newest first.
#[utoipa::path(
    get, path = "/api/v1/patients/{id}/attachments", tag = "attachments",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The attachments", body = AttachmentList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role reads no attachments", body = ErrorBody),
        (status = 404, description = "Absent or not linked to your hospital", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let data = attachments::list(&state.core, &caller, id).await?;
    Ok(Json(serde_json::json!({ "data": data })).into_response())
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII fallback and the exact name.
fn disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Download an attachment. The download is audited.
#[utoipa::path(
    get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = uuid::Uuid, Path, description = "Attachment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, as the type recognised when it was stored", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
        )),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role does not read this kind", body = ErrorBody),
        (status = 404, description = "Absent or invisible", body = ErrorBody),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let (attachment, content) = attachments::download(&state.core, &caller, id).await?;
    let mut response = Body::from(content).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(attachment.content_type.mime()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition(&attachment.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

/// Soft-delete an attachment with a justification.
#[utoipa::path(
    delete, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = uuid::Uuid, Path, description = "Attachment id")),
    request_body = DeleteRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Justification missing or too short", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not delete this kind", body = ErrorBody),
        (status = 404, description = "Absent or invisible", body = ErrorBody),
    )
)]
pub async fn delete_attachment(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let request: DeleteRequest = optional_json(&body)?;
    attachments::delete(&state.core, &caller, id, &request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn download_names_are_quoted_safely() {
        assert_eq!(
            disposition("consent form.pdf"),
            "attachment; filename=\"consent form.pdf\"; filename*=UTF-8''consent%20form.pdf"
        );
        assert_eq!(
            disposition("résumé \"x\".pdf"),
            "attachment; filename=\"r_sum_ _x_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.pdf"
        );
    }
}
