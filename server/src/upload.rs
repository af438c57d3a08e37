//! Reads a `multipart/form-data` upload (the chart's form and the API alike) into an
//! `UploadInput`, counting bytes as they arrive: a file over the limit is cut off (and marked
//! so) rather than buffered whole.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use hospitallink::domain::clinical::attachment::UploadInput;
use hospitallink::domain::ErrorKind;

/// Longest text field read (kind, description).
const TEXT_LIMIT: usize = 4 * 1024;

fn unreadable(e: impl std::fmt::Display) -> ErrorKind {
    ErrorKind::bad_request(
        "invalid_upload",
        format!("The upload could not be read: {e}"),
    )
}

/// Reads the fields `kind`, `description` and `file`. Other fields are ignored. After
/// `max_bytes` the file is drained up to four times the limit (so a browser gets the error
/// page rather than a reset connection) and then the read stops.
pub async fn read_upload(
    headers: &HeaderMap,
    body: Body,
    max_bytes: u64,
) -> Result<UploadInput, ErrorKind> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| ErrorKind::UnsupportedMediaType {
            message:
                "Send the file as multipart/form-data with the fields kind, description and file."
                    .into(),
        })?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut input = UploadInput::default();
    let max = max_bytes as usize;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            input.filename = field.file_name().map(str::to_string);
            input.content_type = field.content_type().map(|m| m.to_string());
            let mut received = 0usize;
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                received += chunk.len();
                if received > max {
                    input.truncated = true;
                    if received > max.saturating_mul(4) {
                        return Ok(input);
                    }
                } else {
                    input.bytes.extend_from_slice(&chunk);
                }
            }
        } else if name == "kind" || name == "description" {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                if text.len() + chunk.len() > TEXT_LIMIT {
                    return Err(ErrorKind::invalid_field(&name, "is too long"));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| ErrorKind::invalid_field(&name, "must be text"))?;
            if name == "kind" {
                input.kind = Some(text);
            } else {
                input.description = Some(text);
            }
        }
    }
    Ok(input)
}
