//! Sync upload (`POST /sync/upload`): a batch of patients and records keyed by the hospital's
//! own ids, each created, updated or left unchanged, with one result per item so that one bad
//! item never loses the others. An `Idempotency-Key` makes a repeated batch harmless.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::clinical::patient::PatientInput;
use crate::domain::clinical::record::RecordInput;
use crate::domain::error::ErrorBody;
use crate::domain::validate::Errors;
use crate::domain::{ErrorKind, FieldErrors};

/// The most items (patients and records together) one batch carries.
pub const MAX_ITEMS: usize = 1000;
/// How long an idempotency key is remembered.
pub const KEY_HOURS: i64 = 24;
/// After how long a key whose request never answered (the server stopped mid-batch) is taken
/// over by the same request sent again.
pub const ABANDONED_AFTER_MINUTES: i64 = 10;
/// The longest idempotency key.
pub const MAX_KEY_LEN: usize = 255;
/// The longest external id.
pub const MAX_EXTERNAL_ID_LEN: usize = 100;

/// What the hospital's ids name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalKind {
    Patient,
    Record,
}

impl ExternalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalKind::Patient => "patient",
            ExternalKind::Record => "record",
        }
    }
}

/// An `Idempotency-Key`: 1-255 visible ASCII characters.
pub fn parse_key(raw: Option<&str>) -> Result<String, ErrorKind> {
    let key = raw.map(str::trim).unwrap_or_default();
    if key.is_empty() {
        return Err(ErrorKind::invalid_field(
            "Idempotency-Key",
            "is required: a unique value per batch, e.g. a UUID, sent again with a retry",
        ));
    }
    if key.len() > MAX_KEY_LEN || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ErrorKind::invalid_field(
            "Idempotency-Key",
            format!("must be 1-{MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(key.to_string())
}

/// An external id: 1-100 letters, digits or `.-_:/`.
pub fn parse_external_id(e: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    let id = raw.map(str::trim).unwrap_or_default();
    if id.is_empty() {
        e.add(field, "is required: your system's id for it");
        return None;
    }
    if id.len() > MAX_EXTERNAL_ID_LEN
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:/".contains(c))
    {
        e.add(
            field,
            format!("must be 1-{MAX_EXTERNAL_ID_LEN} letters, digits or . - _ : /"),
        );
        return None;
    }
    Some(id.to_string())
}

/// The body of `POST /sync/upload`. Patients are taken first, so a record may name a patient
/// of the same batch by its external id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadBatch {
    #[cfg_attr(feature = "server", schema(max_items = 1000))]
    pub patients: Option<Vec<PatientItem>>,
    #[cfg_attr(feature = "server", schema(max_items = 1000))]
    pub records: Option<Vec<RecordItem>>,
}

impl UploadBatch {
    /// The batch's size rule: at least one item, at most [`MAX_ITEMS`].
    pub fn check_size(&self) -> Result<(), ErrorKind> {
        let patients = self.patients.as_ref().map_or(0, Vec::len);
        let records = self.records.as_ref().map_or(0, Vec::len);
        match patients + records {
            0 => Err(ErrorKind::invalid_field(
                "records",
                "send at least one patient or record",
            )),
            n if n > MAX_ITEMS => Err(ErrorKind::invalid_field(
                "records",
                format!("a batch carries at most {MAX_ITEMS} items (patients and records); this one has {n}"),
            )),
            _ => Ok(()),
        }
    }
}

/// A patient by the hospital's id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientItem {
    /// Your system's id for the patient, 1-100 letters, digits or `.-_:/`.
    #[cfg_attr(
        feature = "server",
        schema(required = true, min_length = 1, max_length = 100)
    )]
    pub external_id: Option<String>,
    /// The profile, as for registration.
    #[cfg_attr(feature = "server", schema(required = true))]
    pub patient: Option<PatientInput>,
    /// When the national identifier matches a patient registered at another hospital, link
    /// them to yours (the link flow) instead of refusing the item with `patient_exists`.
    pub link_existing: Option<bool>,
}

/// A record by the hospital's id, for a patient named by your id or by ours.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordItem {
    /// Your system's id for the record, 1-100 letters, digits or `.-_:/`.
    #[cfg_attr(
        feature = "server",
        schema(required = true, min_length = 1, max_length = 100)
    )]
    pub external_id: Option<String>,
    /// Your id of the patient (uploaded before, or earlier in this batch).
    pub patient_external_id: Option<String>,
    /// Or our id of the patient.
    #[cfg_attr(feature = "server", schema(value_type = Option<String>, format = Uuid))]
    pub patient_id: Option<String>,
    /// The record, as for `POST /patients/{id}/records` (without `supersedes`: a changed
    /// record becomes a correction of the one uploaded before).
    #[cfg_attr(feature = "server", schema(required = true))]
    pub record: Option<RecordInput>,
}

/// How the patient of a record item is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatientRef {
    External(String),
    Ours(Uuid),
}

impl RecordItem {
    /// The external id and the patient it names, or the field errors.
    pub fn keys(&self) -> Result<(String, PatientRef), ErrorKind> {
        let mut e = Errors::new();
        let external = parse_external_id(&mut e, "external_id", self.external_id.as_deref());
        let patient = match (
            self.patient_external_id.as_deref(),
            self.patient_id.as_deref(),
        ) {
            (Some(ext), None) => parse_external_id(&mut e, "patient_external_id", Some(ext))
                .map(PatientRef::External),
            (None, Some(ours)) => match Uuid::parse_str(ours.trim()) {
                Ok(id) => Some(PatientRef::Ours(id)),
                Err(_) => {
                    e.add("patient_id", "must be a UUID");
                    None
                }
            },
            _ => {
                e.add(
                    "patient_external_id",
                    "give exactly one of patient_external_id and patient_id",
                );
                None
            }
        };
        if self.record.is_none() {
            e.add("record", "is required");
        }
        if self.record.as_ref().is_some_and(|r| r.supersedes.is_some()) {
            e.add(
                "record.supersedes",
                "is not sent in a sync upload: send the record again under its external id",
            );
        }
        e.finish(|| ())?;
        match (external, patient) {
            (Some(x), Some(p)) => Ok((x, p)),
            _ => Err(ErrorKind::invalid_field("external_id", "is required")),
        }
    }
}

/// What became of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Created,
    /// A patient's profile replaced, or a record corrected (the correction supersedes the
    /// record uploaded before; `id` is the correction's).
    Updated,
    /// The same as uploaded before: nothing written.
    Unchanged,
    /// A patient registered elsewhere, linked to your hospital.
    Linked,
    /// Not written; `error` says why.
    Refused,
}

/// The result of one item, in the order sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ItemResult {
    /// The item's place in its list, from 0.
    pub index: usize,
    pub external_id: Option<String>,
    pub status: ItemStatus,
    /// Our id of the patient or record.
    pub id: Option<Uuid>,
    /// For a refused item: the HTTP status the same request alone would get, and its error,
    /// with field names as sent in the item (`patient.first_name`, `record.payload.copies_per_ml`).
    pub error_status: Option<u16>,
    pub error: Option<ErrorBody>,
}

impl ItemResult {
    pub fn done(index: usize, external_id: String, status: ItemStatus, id: Uuid) -> Self {
        Self {
            index,
            external_id: Some(external_id),
            status,
            id: Some(id),
            error_status: None,
            error: None,
        }
    }

    /// A refused item; field names get `prefix` (`patient`, `record`) unless they already
    /// name the item's own fields.
    pub fn refused(index: usize, external_id: Option<String>, e: &ErrorKind, prefix: &str) -> Self {
        let mut body = e.body();
        let own = [
            "external_id",
            "patient_external_id",
            "patient_id",
            "record",
            "patient",
            "link_existing",
        ];
        body.fields = body
            .fields
            .into_iter()
            .map(|(field, messages)| {
                let top = field.split(['.', '[']).next().unwrap_or_default();
                if own.contains(&top) {
                    (field, messages)
                } else {
                    (format!("{prefix}.{field}"), messages)
                }
            })
            .collect::<FieldErrors>();
        Self {
            index,
            external_id,
            status: ItemStatus::Refused,
            id: None,
            error_status: Some(e.status()),
            error: Some(body),
        }
    }
}

/// How many items ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UploadCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub linked: usize,
    pub refused: usize,
}

/// The answer to an upload (and to each replay of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UploadResult {
    pub patients: Vec<ItemResult>,
    pub records: Vec<ItemResult>,
    pub counts: UploadCounts,
}

impl UploadResult {
    pub fn new(patients: Vec<ItemResult>, records: Vec<ItemResult>) -> Self {
        let mut counts = UploadCounts::default();
        for r in patients.iter().chain(&records) {
            match r.status {
                ItemStatus::Created => counts.created += 1,
                ItemStatus::Updated => counts.updated += 1,
                ItemStatus::Unchanged => counts.unchanged += 1,
                ItemStatus::Linked => counts.linked += 1,
                ItemStatus::Refused => counts.refused += 1,
            }
        }
        Self {
            patients,
            records,
            counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_external_ids_are_bounded_and_named() {
        assert!(parse_key(Some("7d0c0a52-batch-1")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("has space"),
            Some(&"k".repeat(256)[..]),
        ] {
            let e = parse_key(bad).unwrap_err();
            assert!(!e.field("Idempotency-Key").is_empty(), "{bad:?}");
        }
        let mut e = Errors::new();
        assert_eq!(
            parse_external_id(&mut e, "external_id", Some("LAB/2026:0001")),
            Some("LAB/2026:0001".into())
        );
        assert_eq!(parse_external_id(&mut e, "external_id", Some("a b")), None);
        assert!(e.finish(|| ()).is_err());
    }

    #[test]
    fn a_record_item_names_its_patient_once() {
        let record = Some(RecordInput::default());
        let both = RecordItem {
            external_id: Some("R1".into()),
            patient_external_id: Some("P1".into()),
            patient_id: Some(Uuid::nil().to_string()),
            record: record.clone(),
        };
        assert!(!both
            .keys()
            .unwrap_err()
            .field("patient_external_id")
            .is_empty());
        let ours = RecordItem {
            external_id: Some("R1".into()),
            patient_id: Some(Uuid::nil().to_string()),
            record,
            ..Default::default()
        };
        assert_eq!(
            ours.keys().unwrap(),
            ("R1".into(), PatientRef::Ours(Uuid::nil()))
        );
    }

    #[test]
    fn refused_items_name_fields_as_sent() {
        let e = ErrorKind::invalid_field("first_name", "is required");
        let r = ItemResult::refused(3, Some("P3".into()), &e, "patient");
        let fields = r.error.unwrap().fields;
        assert!(fields.contains_key("patient.first_name"));
        assert_eq!(r.error_status, Some(400));
        let e = ErrorKind::invalid_field("external_id", "is required");
        let r = ItemResult::refused(0, None, &e, "patient");
        assert!(r.error.unwrap().fields.contains_key("external_id"));
    }

    #[test]
    fn a_batch_holds_one_to_a_thousand_items() {
        assert!(UploadBatch::default().check_size().is_err());
        let many = UploadBatch {
            records: Some(vec![RecordItem::default(); MAX_ITEMS + 1]),
            ..Default::default()
        };
        assert!(many.check_size().is_err());
        let one = UploadBatch {
            patients: Some(vec![PatientItem::default()]),
            ..Default::default()
        };
        assert!(one.check_size().is_ok());
    }
}
