//! Attachments on a patient (SPEC 2.10): consent forms and scanned documents. The rules that
//! decide what may be stored: kinds and who handles them, the accepted file types (recognised
//! from the content, never from the name), the size limit and the file name shown later.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::category::DataCategory;
use crate::domain::error::ErrorKind;
use crate::domain::identity::role::Permission;
use crate::domain::validate::Errors;

/// The default upload limit (`ATTACHMENT_MAX_BYTES`): 10 MiB, enough for a multi-page scan.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// What a document is, which decides who may store and read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A signed consent form: handled by the front desk and clinical staff.
    ConsentForm,
    /// A scanned clinical document (referral letter, outside lab report): clinical staff only.
    Scan,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 2] = [AttachmentKind::ConsentForm, AttachmentKind::Scan];

    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::ConsentForm => "consent_form",
            AttachmentKind::Scan => "scan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttachmentKind::ConsentForm => "Consent form",
            AttachmentKind::Scan => "Scanned document",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The consent category the document belongs to.
    pub fn category(self) -> DataCategory {
        match self {
            AttachmentKind::ConsentForm => DataCategory::Demographics,
            AttachmentKind::Scan => DataCategory::ClinicalNotes,
        }
    }

    /// Any of these permissions stores the kind (the first is the main one).
    pub fn write_permissions(self) -> &'static [Permission] {
        match self {
            AttachmentKind::ConsentForm => &[Permission::ConsentRecord, Permission::PatientsWrite],
            AttachmentKind::Scan => &[Permission::RecordsWrite],
        }
    }

    /// Any of these permissions reads the kind: whoever may store it, and clinical readers.
    /// Billing clerks, pharmacists and lab technicians never read consent forms; the front
    /// desk never reads scans.
    pub fn read_permissions(self) -> &'static [Permission] {
        match self {
            AttachmentKind::ConsentForm => &[
                Permission::ConsentRecord,
                Permission::PatientsWrite,
                Permission::RecordsRead,
            ],
            AttachmentKind::Scan => &[Permission::RecordsRead],
        }
    }
}

/// The file types accepted: what scanners and phones produce and browsers display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum FileType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Png, FileType::Jpeg];

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
        }
    }

    pub fn parse_mime(raw: &str) -> Option<Self> {
        let raw = raw.split(';').next().unwrap_or_default().trim();
        Self::ALL
            .into_iter()
            .find(|t| t.mime().eq_ignore_ascii_case(raw))
    }

    /// Recognises a file by its first bytes (the name and the declared type can lie).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else {
            None
        }
    }
}

/// An upload as received (multipart form or API), before validation.
#[derive(Clone, Debug, Default)]
pub struct UploadInput {
    pub kind: Option<String>,
    pub description: Option<String>,
    /// The name the client gave the file.
    pub filename: Option<String>,
    /// The type the client declared for the file part.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    /// The upload was cut off at the limit (more bytes followed).
    pub truncated: bool,
}

/// A checked upload.
#[derive(Clone, Debug)]
pub struct ValidUpload {
    pub kind: AttachmentKind,
    pub description: Option<String>,
    pub filename: String,
    pub file_type: FileType,
    pub bytes: Vec<u8>,
}

/// A file name safe to show and to offer for download: the last path component, control
/// characters and quotes removed, at most 120 characters, with the extension of its real type.
pub fn clean_filename(raw: Option<&str>, file_type: FileType) -> String {
    let last = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let mut name: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_string();
    let ext = file_type.extension();
    let stem = match name.rsplit_once('.') {
        Some((stem, e))
            if FileType::ALL
                .iter()
                .any(|t| t.extension() == e.to_lowercase())
                || e.eq_ignore_ascii_case("jpeg") =>
        {
            stem.to_string()
        }
        _ => name.clone(),
    };
    name = stem
        .chars()
        .take(115)
        .collect::<String>()
        .trim()
        .to_string();
    if name.is_empty() {
        name = "document".into();
    }
    format!("{name}.{ext}")
}

/// Human size: `812 B`, `14.2 KB`, `3.1 MB`.
pub fn format_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}

impl UploadInput {
    /// Checks kind, description, size and type. The type is recognised from the content; a
    /// declared type that contradicts it is refused too.
    pub fn validate(self, max_bytes: u64) -> Result<ValidUpload, ErrorKind> {
        let mut e = Errors::new();
        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") => {
                e.add("kind", "is required");
                None
            }
            Some(raw) => {
                let kind = AttachmentKind::parse(raw);
                if kind.is_none() {
                    e.add("kind", "must be consent_form or scan");
                }
                kind
            }
        };
        let description = e.optional_text("description", self.description.as_deref(), 200);
        let limit = format_size(max_bytes);
        let mut file_type = None;
        if self.truncated || self.bytes.len() as u64 > max_bytes {
            e.add("file", format!("is larger than the {limit} limit"));
        } else if self.bytes.is_empty() {
            e.add("file", "is required (an empty file was sent)");
        } else {
            match FileType::sniff(&self.bytes) {
                None => e.add("file", "must be a PDF, PNG or JPEG file"),
                Some(sniffed) => {
                    let declared = self
                        .content_type
                        .as_deref()
                        .filter(|t| !t.trim().is_empty() && !is_generic(t));
                    match declared.map(FileType::parse_mime) {
                        Some(Some(d)) if d != sniffed => e.add(
                            "file",
                            format!(
                                "was sent as {} but its content is {}",
                                d.mime(),
                                sniffed.mime()
                            ),
                        ),
                        Some(None) => e.add("file", "must be a PDF, PNG or JPEG file"),
                        _ => file_type = Some(sniffed),
                    }
                }
            }
        }
        e.finish(|| ())?;
        let (Some(kind), Some(file_type)) = (kind, file_type) else {
            return Err(ErrorKind::invalid_field("file", "could not be read"));
        };
        Ok(ValidUpload {
            kind,
            description,
            filename: clean_filename(self.filename.as_deref(), file_type),
            file_type,
            bytes: self.bytes,
        })
    }
}

/// Types a client sends when it does not know better; the content decides then.
fn is_generic(content_type: &str) -> bool {
    let t = content_type.split(';').next().unwrap_or_default().trim();
    t.eq_ignore_ascii_case("application/octet-stream")
}

/// A stored attachment as staff see it (the content is a separate download).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub kind: AttachmentKind,
    pub filename: String,
    pub content_type: FileType,
    pub size_bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub description: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// Where to download it: `/api/v1/attachments/{id}`.
    pub download_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn input(kind: &str, bytes: &[u8], content_type: Option<&str>) -> UploadInput {
        UploadInput {
            kind: Some(kind.into()),
            description: None,
            filename: Some("consent.pdf".into()),
            content_type: content_type.map(str::to_string),
            bytes: bytes.to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn the_content_decides_the_type() {
        let ok = input("consent_form", PDF, Some("application/pdf"))
            .validate(1000)
            .unwrap();
        assert_eq!(ok.file_type, FileType::Pdf);
        assert_eq!(ok.kind, AttachmentKind::ConsentForm);
        // A PNG named .pdf keeps its real type and gets the matching extension.
        let png = input("scan", PNG, Some("application/octet-stream"))
            .validate(1000)
            .unwrap();
        assert_eq!(png.file_type, FileType::Png);
        assert_eq!(png.filename, "consent.png");
        // Declared as a PDF but is a PNG: refused.
        let e = input("scan", PNG, Some("application/pdf"))
            .validate(1000)
            .unwrap_err();
        assert_eq!(
            e.field("file"),
            vec!["was sent as application/pdf but its content is image/png"]
        );
        // A script or an executable is refused whatever it is called.
        for bad in [&b"<html><script>"[..], b"MZ\x90\0", b"#!/bin/sh"] {
            let e = input("scan", bad, None).validate(1000).unwrap_err();
            assert_eq!(e.field("file"), vec!["must be a PDF, PNG or JPEG file"]);
        }
        let e = input("scan", PDF, Some("text/html"))
            .validate(1000)
            .unwrap_err();
        assert_eq!(e.field("file"), vec!["must be a PDF, PNG or JPEG file"]);
    }

    #[test]
    fn size_kind_and_description_are_checked() {
        let e = input("scan", PDF, None).validate(10).unwrap_err();
        assert_eq!(e.field("file"), vec!["is larger than the 10 B limit"]);
        let mut cut = input("scan", PDF, None);
        cut.truncated = true;
        assert!(!cut.validate(10_000).unwrap_err().field("file").is_empty());
        let e = input("scan", b"", None).validate(10).unwrap_err();
        assert_eq!(
            e.field("file"),
            vec!["is required (an empty file was sent)"]
        );
        let e = input("photo", PDF, None).validate(1000).unwrap_err();
        assert_eq!(e.field("kind"), vec!["must be consent_form or scan"]);
        let mut long = input("scan", PDF, None);
        long.description = Some("x".repeat(201));
        assert_eq!(
            long.validate(1000).unwrap_err().field("description"),
            vec!["must be at most 200 characters"]
        );
        assert_eq!(format_size(DEFAULT_MAX_BYTES), "10.0 MB");
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(
            clean_filename(Some("C:\\scans\\referral letter.PDF"), FileType::Pdf),
            "referral letter.pdf"
        );
        assert_eq!(
            clean_filename(Some("../../etc/passwd"), FileType::Png),
            "passwd.png"
        );
        assert_eq!(
            clean_filename(Some("a\"b<c>\n.jpeg"), FileType::Jpeg),
            "abc.jpg"
        );
        assert_eq!(clean_filename(Some(".hidden"), FileType::Pdf), "hidden.pdf");
        assert_eq!(clean_filename(None, FileType::Pdf), "document.pdf");
        assert_eq!(
            clean_filename(Some(&"n".repeat(300)), FileType::Pdf).len(),
            119
        );
    }

    #[test]
    fn front_desk_and_billing_see_what_they_handle() {
        use crate::domain::identity::role::Role;
        let reads =
            |role: Role, kind: AttachmentKind| kind.read_permissions().iter().any(|p| role.has(*p));
        assert!(reads(Role::Receptionist, AttachmentKind::ConsentForm));
        assert!(!reads(Role::Receptionist, AttachmentKind::Scan));
        assert!(!reads(Role::BillingClerk, AttachmentKind::ConsentForm));
        assert!(!reads(Role::Pharmacist, AttachmentKind::Scan));
        assert!(reads(Role::Viewer, AttachmentKind::Scan));
        // Whoever stores a kind can read it back.
        for kind in AttachmentKind::ALL {
            for role in Role::ALL {
                if kind.write_permissions().iter().any(|p| role.has(*p)) {
                    assert!(reads(role, kind), "{role} {kind:?}");
                }
            }
        }
    }
}
