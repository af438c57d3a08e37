//! Attachments on a patient: consent forms and scans. The content is checked (size, type by
//! its first bytes), sealed with the field-encryption keyring for its own row and stored in the
//! object store (`storage`); the row holds the metadata with the file name and description
//! sealed. Every upload, list, download and deletion is authorized and audited.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::patients::{patient_access, Linked};
use crate::db::{begin_write, locked, WriteTransaction};
use crate::domain::clinical::attachment::{Attachment, AttachmentKind, FileType, UploadInput};
use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::patient::DeleteRequest;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::patient_attachment as row;
use crate::error::{AppError, AppResult};
use crate::policy::{
    held_permission, readable_attachment_kinds, writable_attachment_kinds, Action, Caller,
};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

pub(crate) const TABLE: &str = "patient_attachments";
const CONTENT: &str = "content";

/// The object-store key of an attachment's content.
fn storage_key(id: Uuid) -> String {
    id.simple().to_string()
}

fn kind_of(m: &row::Model) -> AppResult<AttachmentKind> {
    AttachmentKind::parse(&m.kind)
        .ok_or_else(|| AppError::internal(format!("attachment {}: unknown kind {}", m.id, m.kind)))
}

fn open_text(core: &Core, column: &str, id: Uuid, sealed: &str) -> AppResult<String> {
    core.keyring
        .open(TABLE, column, id, sealed)
        .map_err(|e| AppError::internal(format!("{TABLE}.{column} of {id}: {e}")))
}

fn to_view(core: &Core, m: &row::Model) -> AppResult<Attachment> {
    Ok(Attachment {
        id: m.id,
        patient_id: m.patient_id,
        hospital_id: m.hospital_id,
        kind: kind_of(m)?,
        filename: open_text(core, "filename", m.id, &m.filename)?,
        content_type: FileType::parse_mime(&m.content_type).ok_or_else(|| {
            AppError::internal(format!("attachment {}: type {}", m.id, m.content_type))
        })?,
        size_bytes: m.size_bytes.max(0) as u64,
        sha256: m.sha256.clone(),
        description: m
            .description
            .as_deref()
            .map(|d| open_text(core, "description", m.id, d))
            .transpose()?,
        created_by: m.created_by,
        created_at: m.created_at,
        download_url: format!("/api/v1/attachments/{}", m.id),
    })
}

/// Whether the caller may store attachments on this patient at all: asked before an upload
/// is read, so nobody streams megabytes to be refused afterwards. Denials are audited.
pub async fn may_upload(core: &Core, caller: &Caller, patient_id: Uuid) -> AppResult<()> {
    let event = Event::new("attachment", AuditAction::Create).patient(patient_id);
    audit::authorize(core, caller, Action::WriteAttachments, &event).await?;
    let kinds = match caller.actor.permissions() {
        Some(held) => writable_attachment_kinds(held),
        None => AttachmentKind::ALL.to_vec(),
    };
    let kind = kinds.first().copied().unwrap_or(AttachmentKind::Scan);
    let access = patient_access(
        &core.db,
        core.clock.now(),
        caller,
        patient_id,
        None,
        kind.category(),
    )
    .await?;
    let action = Action::WritePatientData {
        permission: held_permission(&caller.actor, kind.write_permissions()),
        access,
    };
    audit::authorize(core, caller, action, &event).await
}

/// Stores a document on a linked patient. The content is sealed and written to the object
/// store first; if the row cannot be written afterwards, the content is removed again.
pub async fn upload(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: UploadInput,
) -> AppResult<Attachment> {
    let event = Event::new("attachment", AuditAction::Create).patient(patient_id);
    audit::authorize(core, caller, Action::WriteAttachments, &event).await?;
    let valid = input.validate(core.config.attachment_max_bytes)?;
    let permission = held_permission(&caller.actor, valid.kind.write_permissions());
    // Decide before anything is stored (a read-only look at the link), then again with the
    // row written, in one transaction.
    let category = valid.kind.category();
    let access_now = patient_access(
        &core.db,
        core.clock.now(),
        caller,
        patient_id,
        None,
        category,
    )
    .await?;
    let action = Action::WritePatientData {
        permission,
        access: access_now,
    };
    audit::authorize(core, caller, action, &event).await?;
    let (hospital_id, author) = match (caller.actor.hospital_id(), caller.actor.id()) {
        (Some(h), Some(a)) => (h, a),
        _ => return Err(ErrorKind::forbidden().into()),
    };
    let id = Uuid::now_v7();
    let key = storage_key(id);
    let sha256 = hex::encode(Sha256::digest(&valid.bytes));
    let size = valid.bytes.len() as i64;
    let sealed = core.keyring.seal_bytes(TABLE, CONTENT, id, &valid.bytes);
    core.storage.put(&key, sealed).await?;
    let now = core.clock.now();
    let written = async {
        let txn = begin_write(&core.db).await?;
        let access = patient_access(&txn, now, caller, patient_id, None, category).await?;
        let action = Action::WritePatientData { permission, access };
        let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
        let model = row::ActiveModel {
            id: Set(id),
            patient_id: Set(patient_id),
            hospital_id: Set(hospital_id),
            kind: Set(valid.kind.as_str().into()),
            content_type: Set(valid.file_type.mime().into()),
            size_bytes: Set(size),
            sha256: Set(sha256),
            filename: Set(core.keyring.seal(TABLE, "filename", id, &valid.filename)),
            description: Set(valid
                .description
                .as_deref()
                .map(|d| core.keyring.seal(TABLE, "description", id, d))),
            storage_key: Set(key.clone()),
            key_id: Set(core.keyring.primary_id().to_string()),
            created_by: Set(author),
            created_at: Set(now),
            deleted_at: Set(None),
            deleted_by: Set(None),
            delete_reason: Set(None),
        }
        .insert(&txn)
        .await?;
        let event = event.clone().entity_id(id).details(json!({
            "kind": valid.kind.as_str(),
            "content_type": valid.file_type.mime(),
            "size_bytes": size,
        }));
        audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
        txn.commit().await?;
        Ok::<_, AppError>(model)
    }
    .await;
    match written {
        Ok(model) => to_view(core, &model),
        Err(e) => {
            if let Err(cleanup) = core.storage.delete(&key).await {
                tracing::warn!(error = %cleanup, "could not remove the content of a failed upload");
            }
            Err(e)
        }
    }
}

/// The documents on a patient the caller may read, newest first. The read is audited.
pub async fn list(core: &Core, caller: &Caller, patient_id: Uuid) -> AppResult<Vec<Attachment>> {
    let event = Event::new("attachment", AuditAction::Read).patient(patient_id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let txn = read.txn();
    let result = async {
        let linked = Linked::load(txn, core.clock.now(), caller, patient_id).await?;
        list_in(core, caller, txn, patient_id, &linked).await
    }
    .await;
    read.finish(result).await
}

/// The patient's documents (metadata), newest first, for the patient themselves: the portal
/// decides `ReadOwnRecord` before calling. At most 500.
pub(crate) async fn own_attachments(
    core: &Core,
    db: &impl sea_orm::ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<Vec<Attachment>> {
    row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::DeletedAt.is_null())
        .order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .limit(500)
        .all(db)
        .await?
        .iter()
        .map(|m| to_view(core, m))
        .collect()
}

/// `list` inside an audited read; also returns the details to record (kinds, ids).
pub(crate) async fn list_in(
    core: &Core,
    caller: &Caller,
    txn: &DatabaseTransaction,
    patient_id: Uuid,
    linked: &Linked,
) -> AppResult<(Vec<Attachment>, serde_json::Value)> {
    crate::policy::authorize(&caller.actor, Action::ReadAttachments)?;
    let (kinds, hospital) = match caller.actor.permissions() {
        Some(held) => (readable_attachment_kinds(held), caller.actor.hospital_id()),
        None => (AttachmentKind::ALL.to_vec(), None),
    };
    let first = kinds.first().copied();
    let access = linked.access(
        caller,
        None,
        first.map_or(DataCategory::ClinicalNotes, AttachmentKind::category),
    );
    let permission = first
        .map(|k| held_permission(&caller.actor, k.read_permissions()))
        .unwrap_or(crate::domain::identity::role::Permission::RecordsRead);
    crate::policy::authorize(
        &caller.actor,
        Action::ReadPatientData { permission, access },
    )?;
    let mut query = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::DeletedAt.is_null())
        .filter(row::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    if let Some(h) = hospital {
        // Its own documents, and the kinds of other hospitals' the policy opens with the
        // patient's consent.
        let elsewhere = Some(Uuid::nil());
        let shared: Vec<&str> = kinds
            .iter()
            .filter(|k| {
                let action = Action::ReadPatientData {
                    permission: held_permission(&caller.actor, k.read_permissions()),
                    access: linked.access(caller, elsewhere, k.category()),
                };
                crate::policy::decide(&caller.actor, action) == crate::policy::Decision::Allow
            })
            .map(|k| k.as_str())
            .collect();
        let mut visible = Condition::any().add(row::Column::HospitalId.eq(h));
        if !shared.is_empty() {
            visible = visible.add(row::Column::Kind.is_in(shared));
        }
        query = query.filter(visible);
    }
    let rows = query
        .order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .all(txn)
        .await?;
    let details = json!({
        "kinds": kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "attachment_ids": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
    });
    let list = rows
        .iter()
        .map(|m| to_view(core, m))
        .collect::<AppResult<Vec<_>>>()?;
    Ok((list, details))
}

/// Loads a live attachment inside a write transaction and decides the caller's access to it
/// (`write`: delete; else read). An invisible attachment is 404, and the attempt is audited.
async fn authorized(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    write: bool,
    event: &Event,
) -> AppResult<(WriteTransaction, row::Model, Event)> {
    let txn = begin_write(&core.db).await?;
    let query = row::Entity::find_by_id(id).filter(row::Column::DeletedAt.is_null());
    // A deletion holds the row until it commits: a second one then finds nothing (404).
    let query = if write { locked(query, &txn) } else { query };
    let found = query.one(&txn).await?;
    let Some(m) = found else {
        txn.rollback().await?;
        audit::record(core, caller, event, Outcome::Denied).await?;
        return Err(ErrorKind::not_found("attachment").into());
    };
    let kind = kind_of(&m)?;
    let access = patient_access(
        &txn,
        core.clock.now(),
        caller,
        m.patient_id,
        Some(m.hospital_id),
        kind.category(),
    )
    .await?;
    let action = if write {
        Action::WritePatientData {
            permission: held_permission(&caller.actor, kind.write_permissions()),
            access,
        }
    } else {
        Action::ReadPatientData {
            permission: held_permission(&caller.actor, kind.read_permissions()),
            access,
        }
    };
    let event = event
        .clone()
        .patient(m.patient_id)
        .details(json!({"kind": kind.as_str()}));
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    Ok((txn, m, event))
}

/// An attachment's metadata and its clear content. The download is audited before the content
/// is read; content that does not match its recorded digest is refused.
pub async fn download(core: &Core, caller: &Caller, id: Uuid) -> AppResult<(Attachment, Vec<u8>)> {
    let event = Event::new("attachment", AuditAction::Read).entity_id(id);
    let (txn, m, event) = authorized(core, caller, id, false, &event).await?;
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    let view = to_view(core, &m)?;
    let sealed = core.storage.get(&m.storage_key).await?;
    let clear = core
        .keyring
        .open_bytes(TABLE, CONTENT, m.id, &sealed)
        .map_err(|e| AppError::internal(format!("attachment {id}: {e}")))?;
    if hex::encode(Sha256::digest(&clear)) != m.sha256 {
        return Err(AppError::internal(format!(
            "attachment {id}: content does not match its digest"
        )));
    }
    Ok((view, clear))
}

/// Soft-deletes an attachment with a justification (kept sealed). The content stays until the
/// retention purge, so a mistaken deletion can be investigated.
pub async fn delete(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    request: &DeleteRequest,
) -> AppResult<()> {
    let event = Event::new("attachment", AuditAction::Delete).entity_id(id);
    audit::authorize(core, caller, Action::WriteAttachments, &event).await?;
    let (txn, m, event) = authorized(core, caller, id, true, &event).await?;
    let justification = match request.validate() {
        Ok(j) => j,
        Err(e) => {
            txn.rollback().await?;
            return Err(e.into());
        }
    };
    let now = core.clock.now();
    let mut active: row::ActiveModel = m.into();
    active.deleted_at = Set(Some(now));
    active.deleted_by = Set(caller.actor.id());
    active.delete_reason = Set(Some(core.keyring.seal(
        TABLE,
        "delete_reason",
        id,
        &justification,
    )));
    active.update(&txn).await?;
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// Re-seals the contents still under a retired key (key rotation), `batch` rows at a time:
/// each is opened, sealed with the primary key and replaced atomically in the store, then its
/// row records the new key. Returns (rows checked, contents re-sealed).
pub async fn reseal_contents(core: &Core, batch: u64) -> AppResult<(u64, u64)> {
    let primary = core.keyring.primary_id().to_string();
    let (mut checked, mut resealed) = (0, 0);
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = row::Entity::find()
            .filter(row::Column::KeyId.ne(primary.as_str()))
            .order_by_asc(row::Column::Id);
        if let Some(a) = after {
            query = query.filter(row::Column::Id.gt(a));
        }
        let rows = sea_orm::QuerySelect::limit(query, batch)
            .all(&core.db)
            .await?;
        let Some(last) = rows.last().map(|m| m.id) else {
            return Ok((checked, resealed));
        };
        for m in rows {
            checked += 1;
            let sealed = core.storage.get(&m.storage_key).await?;
            if crate::crypto::Keyring::blob_key_id(&sealed) != Some(primary.as_str()) {
                let clear = core
                    .keyring
                    .open_bytes(TABLE, CONTENT, m.id, &sealed)
                    .map_err(|e| AppError::internal(format!("attachment {}: {e}", m.id)))?;
                let again = core.keyring.seal_bytes(TABLE, CONTENT, m.id, &clear);
                core.storage.put(&m.storage_key, again).await?;
                resealed += 1;
            }
            row::Entity::update_many()
                .col_expr(
                    row::Column::KeyId,
                    sea_orm::sea_query::Expr::value(primary.clone()),
                )
                .filter(row::Column::Id.eq(m.id))
                .exec(&core.db)
                .await?;
        }
        after = Some(last);
    }
}
