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

/// The fields of an upload, each sent once.
const FIELDS: [&str; 3] = ["kind", "description", "file"];

/// Whether the body stopped because it grew past the request's limit (`limit_body`).
fn over_the_limit(e: &multer::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Reads the fields `kind`, `description` and `file`, each at most once; any other field, or
/// a field sent twice, is refused and names the field. A file over `max_bytes` is read no
/// further than the request's body limit and comes back marked `truncated` (the caller names
/// the limit); a body that ends at that limit before the file began answers 413.
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
    let constraints = multer::Constraints::new().allowed_fields(FIELDS.to_vec());
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut input = UploadInput::default();
    let max = max_bytes as usize;
    let mut seen = Vec::new();
    let failed = |e: multer::Error, input: &UploadInput| -> Result<(), ErrorKind> {
        match e {
            multer::Error::UnknownField { field_name } => Err(ErrorKind::invalid_field(
                field_name.as_deref().unwrap_or("field"),
                "is not a field of an upload; send kind, description and file",
            )),
            e if over_the_limit(&e) && input.truncated => Ok(()),
            e if over_the_limit(&e) => Err(ErrorKind::PayloadTooLarge {
                limit_bytes: max_bytes + crate::middleware::UPLOAD_FRAMING_BYTES as u64,
            }),
            e => Err(unreadable(e)),
        }
    };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                failed(e, &input)?;
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if seen.contains(&name) {
            return Err(ErrorKind::invalid_field(&name, "must be sent only once"));
        }
        seen.push(name.clone());
        if name == "file" {
            input.filename = field.file_name().map(str::to_string);
            input.content_type = field.content_type().map(|m| m.to_string());
            let mut received = 0usize;
            loop {
                let chunk = match field.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(e) => {
                        failed(e, &input)?;
                        return Ok(input);
                    }
                };
                received += chunk.len();
                if received > max {
                    input.truncated = true;
                } else {
                    input.bytes.extend_from_slice(&chunk);
                }
            }
        } else {
            let mut text = Vec::new();
            loop {
                let chunk = match field.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(e) => {
                        failed(e, &input)?;
                        return Ok(input);
                    }
                };
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
