//! Break-glass: a clinician of a hospital linked to the patient opens the whole record for an
//! emergency, with a reason, for the hospital's set duration. The opening, audited as
//! `break_glass`, tells the patient through the outbox in discreet words, and waits in the
//! hospital admin's review queue with what was read while it was open.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::db::{begin_write, changed_one};
use crate::domain::identity::role::Permission;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::sharing::break_glass::{
    is_open, patient_notice, BreakGlass, BreakGlassRequest, ReadDuring, ReviewOutcome,
    ReviewRequest, DEFAULT_MINUTES,
};
use crate::domain::ErrorKind;
use crate::entities::{audit_log, break_glass_session as row, hospital, staff_account};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients::{live_link, notice_address, Linked};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

const TABLE: &str = "break_glass_sessions";

/// The most reads one opening lists for its review.
pub const READS_LIMIT: u64 = 200;

/// Until when `staff_id`'s opening of `patient_id` lasts, if one is open at `now`.
pub(crate) async fn open_until(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    patient_id: Uuid,
    staff_id: Uuid,
) -> AppResult<Option<DateTime<Utc>>> {
    let rows = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::StaffId.eq(staff_id))
        .filter(row::Column::EndsAt.gt(now))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter(|m| is_open(m.started_at, m.ends_at, now))
        .map(|m| m.ends_at)
        .max())
}

fn open_text(core: &Core, column: &str, id: Uuid, sealed: &str) -> AppResult<String> {
    core.keyring
        .open(TABLE, column, id, sealed)
        .map_err(|e| AppError::internal(format!("{TABLE}.{column} of {id}: {e}")))
}

async fn to_view(
    core: &Core,
    db: &impl ConnectionTrait,
    m: &row::Model,
    now: DateTime<Utc>,
    reads: Vec<ReadDuring>,
) -> AppResult<BreakGlass> {
    let staff_name = staff_account::Entity::find_by_id(m.staff_id)
        .one(db)
        .await?
        .map(|s| s.display_name)
        .unwrap_or_default();
    let patient_mrn = live_link(db, m.patient_id, Some(m.hospital_id))
        .await?
        .map(|l| l.mrn);
    Ok(BreakGlass {
        id: m.id,
        patient_id: m.patient_id,
        patient_mrn,
        hospital_id: m.hospital_id,
        staff_id: m.staff_id,
        staff_name,
        reason: open_text(core, "reason", m.id, &m.reason)?,
        started_at: m.started_at,
        ends_at: m.ends_at,
        active: is_open(m.started_at, m.ends_at, now),
        review_outcome: m.review_outcome.as_deref().and_then(ReviewOutcome::parse),
        review_note: m
            .review_note
            .as_deref()
            .map(|n| open_text(core, "review_note", m.id, n))
            .transpose()?,
        reviewed_at: m.reviewed_at,
        reads,
    })
}

/// Opens the whole record of a linked patient to the calling clinician (`break_glass`) for
/// the hospital's set duration, tells the patient, and audits it.
pub async fn open(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    request: &BreakGlassRequest,
) -> AppResult<BreakGlass> {
    let event = Event::new("break_glass", AuditAction::BreakGlass).patient(patient_id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let action = Action::Patient {
        permission: Permission::BreakGlass,
        linked: linked.is_linked(),
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let reason = request.validate()?;
    let (Some(staff_id), Some(hospital_id)) = (caller.actor.id(), caller.actor.hospital_id())
    else {
        return Err(ErrorKind::forbidden().into());
    };
    let minutes = hospital::Entity::find_by_id(hospital_id)
        .one(&*txn)
        .await?
        .map_or(DEFAULT_MINUTES, |h| h.break_glass_minutes);
    let id = Uuid::now_v7();
    let model = row::ActiveModel {
        id: Set(id),
        patient_id: Set(patient_id),
        hospital_id: Set(hospital_id),
        staff_id: Set(staff_id),
        reason: Set(core.keyring.seal(TABLE, "reason", id, &reason)),
        started_at: Set(now),
        ends_at: Set(now + Duration::minutes(i64::from(minutes))),
        review_outcome: Set(None),
        review_note: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
    }
    .insert(&*txn)
    .await?;
    let notified = match notice_address(core, &*txn, patient_id).await? {
        Some((channel, to)) => {
            let message = Message {
                channel,
                purpose: "break_glass",
                to,
                subject: (channel == Channel::Email)
                    .then(|| "Your record was opened in an emergency".to_string()),
                body: patient_notice(now),
            };
            outbox::enqueue(core, &*txn, message).await?;
            true
        }
        None => false,
    };
    let event = event.entity_id(id).details(json!({
        "ends_at": model.ends_at,
        "patient_notified": notified,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let view = to_view(core, &*txn, &model, now, Vec::new()).await?;
    txn.commit().await?;
    tracing::info!(break_glass_id = %id, patient_id = %patient_id, "break-glass opened");
    Ok(view)
}

/// What `m`'s clinician read of the patient while the opening lasted (from the audit log).
async fn reads_during(db: &impl ConnectionTrait, m: &row::Model) -> AppResult<Vec<ReadDuring>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::ActorId.eq(m.staff_id))
        .filter(audit_log::Column::PatientId.eq(m.patient_id))
        .filter(audit_log::Column::Outcome.eq("allowed"))
        .filter(audit_log::Column::OccurredAt.gte(m.started_at))
        .filter(audit_log::Column::OccurredAt.lt(m.ends_at))
        .filter(audit_log::Column::Action.eq(AuditAction::Read.as_str()))
        .order_by_asc(audit_log::Column::Seq)
        .limit(READS_LIMIT)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReadDuring {
            at: r.occurred_at,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
        })
        .collect())
}

/// The hospital admin's review queue: the openings at their hospital, newest first (only
/// those waiting for review with `pending`), each with what was read during it. Audited.
pub async fn queue(
    core: &Core,
    caller: &Caller,
    pending: bool,
    page: PageRequest,
) -> AppResult<Page<BreakGlass>> {
    let event = Event::new("break_glass", AuditAction::Read);
    let hospital_id = caller.actor.hospital_id();
    let action = Action::ReviewBreakGlass {
        hospital_id,
        opened_by: None,
    };
    audit::authorize(core, caller, action, &event).await?;
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let now = core.clock.now();
        let mut select = row::Entity::find();
        if let Some(h) = hospital_id {
            select = select.filter(row::Column::HospitalId.eq(h));
        }
        if pending {
            select = select.filter(row::Column::ReviewOutcome.is_null());
        }
        let total = select.clone().count(txn).await?;
        let rows = select
            .order_by_desc(row::Column::StartedAt)
            .order_by_desc(row::Column::Id)
            .offset(page.offset())
            .limit(page.per_page)
            .all(txn)
            .await?;
        let mut data = Vec::with_capacity(rows.len());
        for m in &rows {
            let reads = reads_during(txn, m).await?;
            data.push(to_view(core, txn, m, now, reads).await?);
        }
        let details = json!({"break_glass_ids": rows.iter().map(|m| m.id).collect::<Vec<_>>()});
        Ok((
            Page {
                data,
                pagination: Pagination::new(page, total),
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

/// Records the hospital admin's review of an opening (once; 409 after). Audited.
pub async fn review(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    request: &ReviewRequest,
) -> AppResult<BreakGlass> {
    let event = Event::new("break_glass", AuditAction::Update).entity_id(id);
    let txn = begin_write(&core.db).await?;
    let found = row::Entity::find_by_id(id).one(&*txn).await?;
    let event = match &found {
        Some(m) => event.patient(m.patient_id),
        None => event,
    };
    // An opening at another hospital, or none, answers alike.
    let action = Action::ReviewBreakGlass {
        hospital_id: found.as_ref().map(|m| m.hospital_id),
        opened_by: found.as_ref().map(|m| m.staff_id),
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let found = found.ok_or_else(|| AppError::from(ErrorKind::not_found("break-glass")))?;
    let (outcome, note) = request.validate()?;
    let now = core.clock.now();
    let sealed_note = note
        .as_deref()
        .map(|n| core.keyring.seal(TABLE, "review_note", id, n));
    let updated = row::Entity::update_many()
        .col_expr(row::Column::ReviewOutcome, Expr::value(outcome.as_str()))
        .col_expr(row::Column::ReviewNote, Expr::value(sealed_note.clone()))
        .col_expr(row::Column::ReviewedBy, Expr::value(caller.actor.id()))
        .col_expr(row::Column::ReviewedAt, Expr::value(Some(now)))
        .filter(row::Column::Id.eq(id))
        .filter(row::Column::ReviewOutcome.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&updated) {
        return Err(ErrorKind::conflict_on(
            "already_reviewed",
            "outcome",
            "this opening was already reviewed",
        )
        .into());
    }
    let event = event.details(json!({"outcome": outcome.as_str()}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let model = row::Model {
        review_outcome: Some(outcome.as_str().into()),
        review_note: sealed_note,
        reviewed_by: caller.actor.id(),
        reviewed_at: Some(now),
        ..found
    };
    let reads = reads_during(&*txn, &model).await?;
    let view = to_view(core, &*txn, &model, now, reads).await?;
    txn.commit().await?;
    Ok(view)
}
