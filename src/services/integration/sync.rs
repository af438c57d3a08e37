//! Sync upload: a hospital system sends patients and records under its own ids; each is
//! created, updated or found unchanged, through the same services (and so the same decision,
//! validation and audit) as one sent alone, in a transaction of its own, so one bad item never
//! loses the others.
//!
//! - **Its own ids.** `sync_external_ids` maps (hospital, kind, external id) to ours, with the
//!   hash of the body last uploaded: the same body again is `unchanged` and writes nothing. The
//!   mapping is written in the item's own transaction: a new id by one insert (a concurrent
//!   upload of the same new id fails on the key and the item is refused, never duplicated), a
//!   change by one update conditional on the id it replaces.
//! - **Changes.** A changed patient replaces the profile. A changed record becomes a
//!   correction that supersedes the one uploaded before (lab values are never edited in place).
//! - **Idempotency.** The key is claimed by one insert; a request that finds it claimed
//!   replays the stored answer when the body is the same and the work is done, answers 409
//!   while the first is still at work, and 422 for a different body. Keys are kept 24 hours; a
//!   request that fails before answering releases its key, and one that never answered (the
//!   server stopped) is taken over by the same request sent again after 10 minutes.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

use crate::db::{begin_write, changed_one};
use crate::domain::clinical::patient::LinkRequest;
use crate::domain::integration::sync::{
    parse_external_id, parse_key, ExternalKind, ItemResult, ItemStatus, PatientItem, PatientRef,
    RecordItem, UploadBatch, UploadResult, ABANDONED_AFTER_MINUTES, KEY_HOURS,
};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;
use crate::entities::{idempotency_key as key_row, sync_external_id as external};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Actor, Caller};
use crate::services::clinical::{patients, records};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// A hospital's own id for what a write stores, with the hash of the body it came with.
#[derive(Clone, Debug)]
pub struct ExternalRef {
    pub kind: ExternalKind,
    pub external_id: String,
    pub body_hash: String,
    /// Ours it stood for until now (`None`: a new id).
    pub replaces: Option<Uuid>,
}

fn in_use() -> AppError {
    ErrorKind::conflict_on(
        "external_id_in_use",
        "external_id",
        "another upload wrote this external id at the same moment; send the item again",
    )
    .into()
}

/// Maps the hospital's id to `entity_id` inside the write transaction that stores it.
pub(crate) async fn remember(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    now: DateTime<Utc>,
    r: &ExternalRef,
    entity_id: Uuid,
) -> AppResult<()> {
    match r.replaces {
        None => {
            let row = external::ActiveModel {
                hospital_id: Set(hospital_id),
                kind: Set(r.kind.as_str().into()),
                external_id: Set(r.external_id.clone()),
                entity_id: Set(entity_id),
                body_hash: Set(r.body_hash.clone()),
                updated_at: Set(now),
            };
            match external::Entity::insert(row)
                .exec_without_returning(db)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = AppError::from(e);
                    Err(if e.is_unique_violation() { in_use() } else { e })
                }
            }
        }
        Some(previous) => {
            let moved = external::Entity::update_many()
                .col_expr(external::Column::EntityId, Expr::value(entity_id))
                .col_expr(external::Column::BodyHash, Expr::value(r.body_hash.clone()))
                .col_expr(external::Column::UpdatedAt, Expr::value(now))
                .filter(external::Column::HospitalId.eq(hospital_id))
                .filter(external::Column::Kind.eq(r.kind.as_str()))
                .filter(external::Column::ExternalId.eq(r.external_id.as_str()))
                .filter(external::Column::EntityId.eq(previous))
                .exec(db)
                .await?;
            if changed_one(&moved) {
                Ok(())
            } else {
                Err(in_use())
            }
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What an idempotency key is bound to: the SHA-256 of the body as sent.
pub fn request_hash(body: &[u8]) -> String {
    sha256_hex(body)
}

/// The hash an item's body is compared by (its canonical JSON).
fn body_hash(value: &impl serde::Serialize) -> AppResult<String> {
    Ok(sha256_hex(
        serde_json::to_string(value)
            .map_err(AppError::internal)?
            .as_bytes(),
    ))
}

/// Who a key belongs to: keys of different callers never meet.
fn key_owner(actor: &Actor) -> AppResult<String> {
    match actor {
        Actor::Client { id, .. } => Ok(format!("client:{id}")),
        Actor::Staff { id, .. } => Ok(format!("staff:{id}")),
        _ => Err(ErrorKind::forbidden().into()),
    }
}

/// What a key's claim found.
enum Claim {
    /// This request does the work.
    Mine,
    /// Done before: the stored answer.
    Replay(String),
}

async fn claim(core: &Core, owner: &str, key: &str, hash: &str) -> AppResult<Claim> {
    let now = core.clock.now();
    // Twice at most: an expired key is cleared, then claimed afresh.
    for _ in 0..2 {
        let txn = begin_write(&core.db).await?;
        let inserted = key_row::Entity::insert(key_row::ActiveModel {
            owner: Set(owner.into()),
            key: Set(key.into()),
            request_hash: Set(hash.into()),
            status: Set(None),
            response: Set(None),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([key_row::Column::Owner, key_row::Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&*txn)
        .await?;
        if inserted == 1 {
            txn.commit().await?;
            return Ok(Claim::Mine);
        }
        let found = key_row::Entity::find_by_id((owner.to_string(), key.to_string()))
            .one(&*txn)
            .await?;
        let Some(found) = found else {
            txn.rollback().await?;
            continue;
        };
        if found.created_at < now - Duration::hours(KEY_HOURS) {
            key_row::Entity::delete_many()
                .filter(key_row::Column::Owner.eq(owner))
                .filter(key_row::Column::Key.eq(key))
                .filter(key_row::Column::CreatedAt.eq(found.created_at))
                .exec(&*txn)
                .await?;
            txn.commit().await?;
            continue;
        }
        let abandoned = found.response.is_none()
            && found.request_hash == hash
            && found.created_at < now - Duration::minutes(ABANDONED_AFTER_MINUTES);
        if abandoned {
            // The request that claimed it stopped before answering (the server went down):
            // this one takes the batch over; items already written are found unchanged.
            let taken = key_row::Entity::update_many()
                .col_expr(key_row::Column::CreatedAt, Expr::value(now))
                .filter(key_row::Column::Owner.eq(owner))
                .filter(key_row::Column::Key.eq(key))
                .filter(key_row::Column::CreatedAt.eq(found.created_at))
                .filter(key_row::Column::Response.is_null())
                .exec(&*txn)
                .await?;
            if changed_one(&taken) {
                txn.commit().await?;
                return Ok(Claim::Mine);
            }
            txn.rollback().await?;
            continue;
        }
        txn.rollback().await?;
        if found.request_hash != hash {
            return Err(ErrorKind::Unprocessable {
                code: "idempotency_key_reused".into(),
                message: "This Idempotency-Key came with a different body. Use a new key for a \
                          new batch."
                    .into(),
                fields: Default::default(),
            }
            .into());
        }
        return match found.response {
            Some(body) => Ok(Claim::Replay(body)),
            None => Err(ErrorKind::Conflict {
                code: "idempotency_in_progress".into(),
                message: "A request with this Idempotency-Key is still being worked on; send it \
                          again in a moment to get its answer."
                    .into(),
                fields: Default::default(),
                existing_id: None,
            }
            .into()),
        };
    }
    Err(ErrorKind::Unavailable {
        retry_after_secs: 1,
    }
    .into())
}

/// Stores the answer under the claimed key.
async fn settle(core: &Core, owner: &str, key: &str, body: &str) -> AppResult<()> {
    let txn = begin_write(&core.db).await?;
    key_row::Entity::update_many()
        .col_expr(key_row::Column::Status, Expr::value(200))
        .col_expr(key_row::Column::Response, Expr::value(body.to_string()))
        .filter(key_row::Column::Owner.eq(owner))
        .filter(key_row::Column::Key.eq(key))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Lets the key go after a failure, so the same request may be sent again.
async fn release(core: &Core, owner: &str, key: &str) -> AppResult<()> {
    let txn = begin_write(&core.db).await?;
    key_row::Entity::delete_many()
        .filter(key_row::Column::Owner.eq(owner))
        .filter(key_row::Column::Key.eq(key))
        .filter(key_row::Column::Response.is_null())
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Forgets keys older than a day (each upload sweeps).
async fn forget_expired(core: &Core) -> AppResult<()> {
    let before = core.clock.now() - Duration::hours(KEY_HOURS);
    let txn = begin_write(&core.db).await?;
    key_row::Entity::delete_many()
        .filter(key_row::Column::CreatedAt.lt(before))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// An upload's answer: the JSON body, and whether it is a replay of the first.
#[derive(Debug)]
pub struct Uploaded {
    pub body: String,
    pub replayed: bool,
}

/// Takes `batch` under an idempotency key. `body` is the request body as sent, which the key
/// is bound to byte for byte.
pub async fn upload(
    core: &Core,
    caller: &Caller,
    key: Option<&str>,
    body: &[u8],
    batch: &UploadBatch,
) -> AppResult<Uploaded> {
    let event = Event::new("sync_upload", AuditAction::Create);
    audit::authorize(core, caller, Action::Sync, &event).await?;
    let hospital = caller
        .actor
        .hospital_id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let key = parse_key(key)?;
    batch.check_size()?;
    let owner = key_owner(&caller.actor)?;
    forget_expired(core).await?;
    match claim(core, &owner, &key, &request_hash(body)).await? {
        Claim::Replay(body) => {
            return Ok(Uploaded {
                body,
                replayed: true,
            })
        }
        Claim::Mine => {}
    }
    match take(core, caller, hospital, batch).await {
        Ok(result) => {
            let text = serde_json::to_string(&result).map_err(AppError::internal)?;
            let event = event.details(json!({
                "idempotency_key_hash": sha256_hex(key.as_bytes()),
                "counts": result.counts,
            }));
            audit::record(core, caller, &event, Outcome::Allowed).await?;
            settle(core, &owner, &key, &text).await?;
            Ok(Uploaded {
                body: text,
                replayed: false,
            })
        }
        Err(e) => {
            release(core, &owner, &key).await?;
            Err(e)
        }
    }
}

/// Every item of the batch: patients first, then records (which may name them).
async fn take(
    core: &Core,
    caller: &Caller,
    hospital: Uuid,
    batch: &UploadBatch,
) -> AppResult<UploadResult> {
    let mut patients_out = Vec::new();
    let mut known: HashMap<String, Uuid> = HashMap::new();
    for (i, item) in batch.patients.iter().flatten().enumerate() {
        let external = item.external_id.clone();
        match take_patient(core, caller, hospital, item).await {
            Ok((ext, status, id)) => {
                known.insert(ext.clone(), id);
                patients_out.push(ItemResult::done(i, ext, status, id));
            }
            Err(e) if e.kind.status() >= 500 => return Err(e),
            Err(e) => patients_out.push(ItemResult::refused(i, external, &e.kind, "patient")),
        }
    }
    let mut records_out = Vec::new();
    for (i, item) in batch.records.iter().flatten().enumerate() {
        let external = item.external_id.clone();
        match take_record(core, caller, hospital, item, &mut known).await {
            Ok((ext, status, id)) => records_out.push(ItemResult::done(i, ext, status, id)),
            Err(e) if e.kind.status() >= 500 => return Err(e),
            Err(e) => records_out.push(ItemResult::refused(i, external, &e.kind, "record")),
        }
    }
    Ok(UploadResult::new(patients_out, records_out))
}

async fn mapped(
    db: &impl ConnectionTrait,
    hospital: Uuid,
    kind: ExternalKind,
    external_id: &str,
) -> AppResult<Option<external::Model>> {
    Ok(
        external::Entity::find_by_id((
            hospital,
            kind.as_str().to_string(),
            external_id.to_string(),
        ))
        .one(db)
        .await?,
    )
}

async fn take_patient(
    core: &Core,
    caller: &Caller,
    hospital: Uuid,
    item: &PatientItem,
) -> AppResult<(String, ItemStatus, Uuid)> {
    let mut e = Errors::new();
    let ext = parse_external_id(&mut e, "external_id", item.external_id.as_deref());
    if item.patient.is_none() {
        e.add("patient", "is required");
    }
    e.finish(|| ())?;
    let (Some(ext), Some(input)) = (ext, item.patient.as_ref()) else {
        return Err(ErrorKind::invalid_field("external_id", "is required").into());
    };
    let hash = body_hash(input)?;
    let reference = |replaces| ExternalRef {
        kind: ExternalKind::Patient,
        external_id: ext.clone(),
        body_hash: hash.clone(),
        replaces,
    };
    if let Some(m) = mapped(&core.db, hospital, ExternalKind::Patient, &ext).await? {
        if m.body_hash == hash {
            return Ok((ext, ItemStatus::Unchanged, m.entity_id));
        }
        let r = reference(Some(m.entity_id));
        patients::update_as(core, caller, m.entity_id, input, None, Some(&r)).await?;
        return Ok((ext, ItemStatus::Updated, m.entity_id));
    }
    match patients::register_as(core, caller, input, Some(&reference(None))).await {
        Ok(p) => Ok((ext, ItemStatus::Created, p.id)),
        // Registered elsewhere in the network: linked when the item asks for it (the national
        // identifier it carries is the link flow's proof).
        Err(err) => {
            let existing = match &err.kind {
                ErrorKind::Conflict {
                    code, existing_id, ..
                } if code == "patient_exists" => *existing_id,
                _ => None,
            };
            match existing {
                Some(id) if item.link_existing == Some(true) => {
                    let request = LinkRequest {
                        national_id: input.national_id.clone(),
                        mrn: input.mrn.clone(),
                    };
                    patients::link_as(core, caller, id, &request, Some(&reference(None))).await?;
                    Ok((ext, ItemStatus::Linked, id))
                }
                _ => Err(err),
            }
        }
    }
}

async fn take_record(
    core: &Core,
    caller: &Caller,
    hospital: Uuid,
    item: &RecordItem,
    known: &mut HashMap<String, Uuid>,
) -> AppResult<(String, ItemStatus, Uuid)> {
    let (ext, patient) = item.keys()?;
    let Some(input) = item.record.as_ref() else {
        return Err(ErrorKind::invalid_field("record", "is required").into());
    };
    let patient_id = match patient {
        PatientRef::Ours(id) => id,
        PatientRef::External(p) => match known.get(&p) {
            Some(id) => *id,
            None => {
                let found = mapped(&core.db, hospital, ExternalKind::Patient, &p)
                    .await?
                    .ok_or_else(|| {
                        AppError::from(ErrorKind::invalid_field(
                            "patient_external_id",
                            "is not a patient your hospital uploaded; send the patient first",
                        ))
                    })?;
                known.insert(p, found.entity_id);
                found.entity_id
            }
        },
    };
    // The patient is part of what the record is: the same record for another patient is a
    // change.
    let hash = body_hash(&json!([patient_id, input]))?;
    let previous = mapped(&core.db, hospital, ExternalKind::Record, &ext).await?;
    if let Some(m) = &previous {
        if m.body_hash == hash {
            return Ok((ext, ItemStatus::Unchanged, m.entity_id));
        }
    }
    let replaces = previous.as_ref().map(|m| m.entity_id);
    let r = ExternalRef {
        kind: ExternalKind::Record,
        external_id: ext.clone(),
        body_hash: hash,
        replaces,
    };
    let mut input = input.clone();
    input.supersedes = replaces.map(|id| id.to_string());
    let created = records::create_as(core, caller, patient_id, &input, Some(&r)).await?;
    let status = match replaces {
        Some(_) => ItemStatus::Updated,
        None => ItemStatus::Created,
    };
    Ok((ext, status, created.id))
}
