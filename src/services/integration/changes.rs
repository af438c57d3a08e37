//! The change log and the changes feed.
//!
//! Every write of a patient's profile or of a record logs a change in its own transaction
//! (`log`). A change's number is taken under the head row's lock, which its transaction holds
//! until it commits: of two writers, the second takes its number only after the first has
//! committed, so numbers follow commit order and a reader that sees change n has seen every
//! change before it. That is what lets a hospital system read on from a cursor with no gap and
//! no repeat however many writers commit at once, on PostgreSQL as on SQLite. The head is
//! locked before the audit chain head (`audit::append` comes last in a transaction).
//!
//! The feed (`feed`) shows each change with the thing as it is now, only as far as the one
//! decision lets the caller's hospital see it now: its own records, other hospitals' per the
//! patient's active grants, profiles of patients linked to it. A revoked grant stops the feed
//! at the next request. Every page's reads are audited, one entry per patient.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::json;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

use crate::db::changed_one;
use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::record::RecordType;
use crate::domain::identity::role::Permission;
use crate::domain::integration::changes::{
    cursor, Change, ChangeEntity, ChangesPage, ChangesQuery,
};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{
    clinical_record as record, patient_hospital_link as link, sync_change as change,
    sync_change_head as head, sync_external_id as external,
};
use crate::error::{AppError, AppResult};
use crate::policy::{decide, record_read_permission, Action, Caller, Decision};
use crate::services::clinical::patients::{self, Linked};
use crate::services::clinical::records;
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// One change to log.
#[derive(Clone, Debug)]
pub struct Logged {
    pub entity: ChangeEntity,
    pub entity_id: Uuid,
    pub patient_id: Uuid,
    /// The record's hospital, or the hospital that changed the profile.
    pub hospital_id: Uuid,
    pub record_type: Option<RecordType>,
    /// Only this hospital reads it (records a grant opened to it).
    pub audience: Option<Uuid>,
}

impl Logged {
    pub fn record(id: Uuid, patient_id: Uuid, hospital_id: Uuid, t: RecordType) -> Self {
        Self {
            entity: ChangeEntity::Record,
            entity_id: id,
            patient_id,
            hospital_id,
            record_type: Some(t),
            audience: None,
        }
    }

    fn of_model(m: &record::Model) -> Self {
        Self {
            record_type: RecordType::parse(&m.record_type),
            ..Self::record(m.id, m.patient_id, m.hospital_id, RecordType::AdherenceNote)
        }
    }

    pub fn patient(patient_id: Uuid, hospital_id: Uuid) -> Self {
        Self {
            entity: ChangeEntity::Patient,
            entity_id: patient_id,
            patient_id,
            hospital_id,
            record_type: None,
            audience: None,
        }
    }
}

/// Logs changes inside a write transaction, numbered after every change committed before it.
pub async fn log(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    changes: &[Logged],
) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let n = changes.len() as i64;
    // The update takes the head's row lock, held until this transaction ends.
    let taken = head::Entity::update_many()
        .col_expr(head::Column::Seq, Expr::col(head::Column::Seq).add(n))
        .filter(head::Column::Id.eq(1))
        .exec(db)
        .await?;
    if !changed_one(&taken) {
        return Err(AppError::internal("the change log has no head row"));
    }
    let last = head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the change log has no head row"))?
        .seq;
    let rows = changes
        .iter()
        .enumerate()
        .map(|(i, c)| change::ActiveModel {
            seq: sea_orm::Set(last - n + 1 + i as i64),
            entity: sea_orm::Set(c.entity.as_str().into()),
            entity_id: sea_orm::Set(c.entity_id),
            patient_id: sea_orm::Set(c.patient_id),
            hospital_id: sea_orm::Set(c.hospital_id),
            record_type: sea_orm::Set(c.record_type.map(|t| t.as_str().to_string())),
            audience: sea_orm::Set(c.audience),
            changed_at: sea_orm::Set(now),
        });
    change::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Logs the patient's live records of `categories` held by other hospitals than `grantee`,
/// for `grantee` alone: a grant (or a link to a patient who granted before) opens them, and a
/// hospital system reading the feed from its cursor gets them without starting over.
pub async fn log_opened(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    patient_id: Uuid,
    grantee: Uuid,
    categories: &BTreeSet<DataCategory>,
) -> AppResult<()> {
    if categories.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    let opened = record::Entity::find()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::HospitalId.ne(grantee))
        .filter(record::Column::Category.is_in(names))
        .filter(record::Column::DeletedAt.is_null())
        .order_by_asc(record::Column::CreatedAt)
        .all(db)
        .await?;
    let changes: Vec<Logged> = opened
        .iter()
        .map(|m| Logged {
            audience: Some(grantee),
            ..Logged::of_model(m)
        })
        .collect();
    log(db, now, &changes).await
}

/// What the caller may be told of one logged change now.
enum Seen {
    Record(Uuid),
    Patient(Uuid),
    Removed,
    Hidden,
}

/// A page of the feed after the query's cursor. The reads are audited, one entry per patient.
pub async fn feed(core: &Core, caller: &Caller, query: &ChangesQuery) -> AppResult<ChangesPage> {
    let event = Event::new("sync_changes", AuditAction::Read);
    audit::authorize(core, caller, Action::Sync, &event).await?;
    let hospital = caller
        .actor
        .hospital_id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let (since, limit) = query.parse()?;
    let now = core.clock.now();
    // One consistent view for the whole page.
    let txn = core.db.begin().await?;
    let linked_here = Query::select()
        .column(link::Column::PatientId)
        .from(link::Entity)
        .and_where(link::Column::HospitalId.eq(hospital))
        .and_where(link::Column::RemovedAt.is_null())
        .to_owned();
    let mut rows = change::Entity::find()
        .filter(change::Column::Seq.gt(since))
        .filter(
            Condition::any()
                .add(change::Column::Audience.is_null())
                .add(change::Column::Audience.eq(hospital)),
        )
        .filter(
            Condition::any()
                .add(change::Column::HospitalId.eq(hospital))
                .add(change::Column::PatientId.in_subquery(linked_here)),
        )
        .order_by_asc(change::Column::Seq)
        .limit(limit + 1)
        .all(&txn)
        .await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = cursor(rows.last().map_or(since, |r| r.seq));

    let mut standing: HashMap<Uuid, Linked> = HashMap::new();
    for r in &rows {
        if let Entry::Vacant(slot) = standing.entry(r.patient_id) {
            slot.insert(Linked::load(&txn, now, caller, r.patient_id).await?);
        }
    }
    // Profiles only for callers that read patients (a client may hold records.read alone).
    let reads_profiles = decide(
        &caller.actor,
        Action::Patient {
            permission: Permission::PatientsRead,
            linked: true,
        },
    ) == Decision::Allow;
    let seen: Vec<Seen> = rows
        .iter()
        .map(|r| {
            let linked = &standing[&r.patient_id];
            match ChangeEntity::parse(&r.entity) {
                Some(ChangeEntity::Record) => {
                    let Some(t) = r.record_type.as_deref().and_then(RecordType::parse) else {
                        return Seen::Hidden;
                    };
                    let action = Action::ReadPatientData {
                        permission: record_read_permission(&caller.actor, t),
                        access: linked.access(caller, Some(r.hospital_id), t.category()),
                    };
                    if decide(&caller.actor, action) == Decision::Allow {
                        Seen::Record(r.entity_id)
                    } else {
                        Seen::Hidden
                    }
                }
                Some(ChangeEntity::Patient) if linked.is_linked() => {
                    if reads_profiles {
                        Seen::Patient(r.entity_id)
                    } else {
                        Seen::Hidden
                    }
                }
                Some(ChangeEntity::Patient) if r.hospital_id == hospital => Seen::Removed,
                _ => Seen::Hidden,
            }
        })
        .collect();

    let record_ids: Vec<Uuid> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Record(id) => Some(*id),
            _ => None,
        })
        .collect();
    let found = records::views_by_id(core, &txn, &record_ids).await?;
    let mut profiles = HashMap::new();
    for s in &seen {
        if let Seen::Patient(id) = s {
            if let Entry::Vacant(slot) = profiles.entry(*id) {
                slot.insert(match patients::get_in(core, caller, &txn, *id).await {
                    Ok((view, _)) => Some(view),
                    // Removed or deleted since: a tombstone.
                    Err(e) if e.kind.status() == 404 => None,
                    Err(e) => return Err(e),
                });
            }
        }
    }
    let entity_ids: Vec<Uuid> = rows.iter().map(|r| r.entity_id).collect();
    let ours: HashMap<Uuid, String> = external::Entity::find()
        .filter(external::Column::HospitalId.eq(hospital))
        .filter(external::Column::EntityId.is_in(entity_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|x| (x.entity_id, x.external_id))
        .collect();
    txn.rollback().await?;

    // What each patient's entry records: the records and whether the profile was read.
    let mut read: BTreeMap<Uuid, (Vec<Uuid>, BTreeSet<&'static str>, bool)> = BTreeMap::new();
    let mut changes = Vec::new();
    for (r, s) in rows.iter().zip(&seen) {
        let base = Change {
            entity: ChangeEntity::parse(&r.entity).unwrap_or(ChangeEntity::Record),
            id: r.entity_id,
            patient_id: r.patient_id,
            hospital_id: r.hospital_id,
            changed_at: r.changed_at,
            deleted: false,
            external_id: ours.get(&r.entity_id).cloned(),
            record: None,
            patient: None,
        };
        let change = match s {
            Seen::Hidden => continue,
            Seen::Removed => Change {
                deleted: true,
                ..base
            },
            Seen::Record(id) => match found.get(id).cloned().flatten() {
                Some(view) => {
                    let entry = read.entry(r.patient_id).or_default();
                    entry.0.push(*id);
                    entry.1.insert(view.record_type.as_str());
                    Change {
                        record: Some(view),
                        ..base
                    }
                }
                None => Change {
                    deleted: true,
                    ..base
                },
            },
            Seen::Patient(id) => match profiles.get(id).cloned().flatten() {
                Some(view) => {
                    read.entry(r.patient_id).or_default().2 = true;
                    Change {
                        patient: Some(view),
                        ..base
                    }
                }
                None => Change {
                    deleted: true,
                    ..base
                },
            },
        };
        changes.push(change);
    }
    // Nothing is shown unrecorded: every patient's entry is committed first.
    let entries = read.into_iter().map(|(patient, (ids, types, profile))| {
        let event = event.clone().patient(patient).details(json!({
            "record_ids": ids,
            "types": types,
            "profile": profile,
            "hospital_id": hospital,
        }));
        async move { audit::record(core, caller, &event, Outcome::Allowed).await }
    });
    for done in futures_util::future::join_all(entries).await {
        done?;
    }
    Ok(ChangesPage {
        changes,
        next_cursor,
        has_more,
    })
}
