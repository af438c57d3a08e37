//! The portal side of proxies: the people I act for and the people who act for me; add,
//! accept, end; choose whose record this sign-in acts on. Every change is audited as the
//! caller (a patient, or a proxy on behalf of the patient) with the patient named.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::{check_room, insert, invite, live, proxies_of_patient, to_view, LIST_LIMIT};
use crate::db::{begin_write, changed_one, locked};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::proxies::{
    ActingFor, MyProxies, PortalWho, Proxy, ProxyAccess, ProxyInput, ProxyParty, ProxyStatus,
    Relationship, ADDS_PER_DAY,
};
use crate::domain::ErrorKind;
use crate::entities::{patient, proxy, proxy_relationship as row};
use crate::error::{AppError, AppResult};
use crate::policy::{decide, Action, Actor, Caller, Decision};
use crate::services::identity::tokens::{Subject, SubjectKind};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

/// The proxy identities of the caller: a proxy, or a patient through the proxies at their own
/// addresses.
async fn own_proxies(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<Uuid>> {
    match caller.actor {
        Actor::Proxy { id, .. } => Ok(vec![id]),
        Actor::Patient { id } => patient_proxies(db, id).await,
        _ => Ok(Vec::new()),
    }
}

async fn patient_proxies(db: &impl ConnectionTrait, patient_id: Uuid) -> AppResult<Vec<Uuid>> {
    match patient::Entity::find_by_id(patient_id).one(db).await? {
        Some(p) => proxies_of_patient(db, &p).await,
        None => Ok(Vec::new()),
    }
}

/// Who the caller is in the relationship's records.
fn party(caller: &Caller) -> ProxyParty {
    match caller.actor {
        Actor::Proxy { .. } => ProxyParty::Proxy,
        Actor::Patient { .. } => ProxyParty::Patient,
        _ => ProxyParty::Staff,
    }
}

/// `GET /me/proxies`: the proxies of the record acted on (for those who may manage them) and
/// the people the caller acts for, or was asked to.
pub async fn list(core: &Core, caller: &Caller) -> AppResult<MyProxies> {
    let event = Event::new("proxy", AuditAction::Read);
    audit::authorize(core, caller, Action::ChooseRecord, &event).await?;
    let acting_on = caller.actor.portal_patient();
    let may_manage = decide(&caller.actor, Action::ManageOwnProxies) == Decision::Allow;
    let event = match acting_on {
        Some(p) => event.patient(p),
        None => event,
    };
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let mut proxies = Vec::new();
        if let (Some(patient_id), true) = (acting_on, may_manage) {
            proxies = super::of_patient(core, txn, patient_id).await?;
        }
        let mut acting_for = Vec::new();
        let me = own_proxies(txn, caller).await?;
        if !me.is_empty() {
            let rows = row::Entity::find()
                .filter(row::Column::ProxyId.is_in(me))
                .filter(row::Column::EndedAt.is_null())
                .order_by_asc(row::Column::CreatedAt)
                .limit(LIST_LIMIT)
                .all(txn)
                .await?;
            // The patients in one query; a deleted patient's relationship is not listed.
            let patients: HashMap<Uuid, patient::Model> = patient::Entity::find()
                .filter(patient::Column::Id.is_in(rows.iter().map(|r| r.patient_id)))
                .filter(patient::Column::DeletedAt.is_null())
                .all(txn)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            for r in &rows {
                if let Some(p) = patients.get(&r.patient_id) {
                    acting_for.push(acting_view(core, r, p)?);
                }
            }
            // Those waiting for an answer first.
            acting_for.sort_by_key(|a| a.status != ProxyStatus::Pending);
        }
        let details = json!({"proxies": proxies.len(), "acting_for": acting_for.len()});
        Ok((
            MyProxies {
                acting_on,
                own_record: matches!(caller.actor, Actor::Patient { .. })
                    || own_record_behind(txn, caller).await?,
                may_manage,
                proxies,
                acting_for,
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

/// Whether a proxy acting for someone is also a patient, signed in at their own address: they
/// may go back to their own record.
async fn own_record_behind(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<bool> {
    let Actor::Proxy { id, .. } = caller.actor else {
        return Ok(false);
    };
    let Some(p) = proxy::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    let index = &p.destination_index;
    Ok(patient::Entity::find()
        .filter(
            patient::Column::EmailIndex
                .eq(index)
                .or(patient::Column::PhoneIndex.eq(index)),
        )
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// `POST /me/proxies`: the patient (or a proxy who manages) adds someone to act for the
/// patient. Pending until that person signs in with a code sent to the address and accepts;
/// a discreet message tells them so.
pub async fn add(core: &Core, caller: &Caller, input: &ProxyInput) -> AppResult<Proxy> {
    let event = Event::new("proxy", AuditAction::Create);
    audit::authorize(core, caller, Action::ManageOwnProxies, &event).await?;
    let patient_id = caller
        .actor
        .portal_patient()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let new = input.validate()?;
    let txn = begin_write(&core.db).await?;
    // Additions for one patient take turns: the count and the duplicate check hold.
    locked(patient::Entity::find_by_id(patient_id), &txn)
        .one(&*txn)
        .await?;
    check_room(core, &*txn, patient_id, &new).await?;
    // Each addition sends a message: a day's additions are bounded.
    let today = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::CreatedAt.gt(core.clock.now() - chrono::Duration::hours(24)))
        .count(&*txn)
        .await?;
    if today >= ADDS_PER_DAY {
        return Err(ErrorKind::RateLimited {
            retry_after_secs: 3600,
        }
        .into());
    }
    let person = super::proxy_at(core, &*txn, &new.destination).await?;
    let model = insert(
        core,
        &*txn,
        patient_id,
        &person,
        &new,
        (party(caller), caller.actor.id()),
        None,
        false,
    )
    .await?;
    invite(core, &*txn, &new.destination).await?;
    let event = event
        .patient(patient_id)
        .entity_id(model.id)
        .details(json!({"relationship": model.relationship, "access": model.access}));
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    let view = to_view(core, &*txn, &model).await?;
    txn.commit().await?;
    Ok(view)
}

/// `POST /me/proxies/{id}/accept`: the person asked accepts to act for the patient.
pub async fn accept(core: &Core, caller: &Caller, id: Uuid) -> AppResult<ActingFor> {
    let event = Event::new("proxy", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::ChooseRecord, &event).await?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let me = own_proxies(&*txn, caller).await?;
    let found = row::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .filter(|r| me.contains(&r.proxy_id) && r.ended_at.is_none())
        .ok_or_else(|| AppError::from(ErrorKind::not_found("proxy")))?;
    // Accepted once: of two answers at once, one does it.
    let done = row::Entity::update_many()
        .col_expr(row::Column::AcceptedAt, Expr::value(Some(now)))
        .filter(row::Column::Id.eq(id))
        .filter(row::Column::AcceptedAt.is_null())
        .filter(row::Column::EndedAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&done) {
        return Err(ErrorKind::Conflict {
            code: "already_answered".into(),
            message: "This was already accepted or ended.".into(),
            fields: Default::default(),
            existing_id: None,
        }
        .into());
    }
    let event = event
        .patient(found.patient_id)
        .details(json!({"accepted": true}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let p = patient::Entity::find_by_id(found.patient_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("proxy")))?;
    let accepted = row::Model {
        accepted_at: Some(now),
        ..found
    };
    let view = acting_view(core, &accepted, &p)?;
    txn.commit().await?;
    Ok(view)
}

/// A patient's first name, opened.
fn first_name(core: &Core, p: &patient::Model) -> AppResult<String> {
    core.keyring
        .open("patients", "first_name", p.id, &p.first_name)
        .map_err(|e| AppError::internal(format!("patients.first_name of {}: {e}", p.id)))
}

/// Someone the caller acts for, as their side sees it.
fn acting_view(core: &Core, r: &row::Model, p: &patient::Model) -> AppResult<ActingFor> {
    Ok(ActingFor {
        id: r.id,
        patient_id: r.patient_id,
        first_name: first_name(core, p)?,
        relationship: Relationship::parse(&r.relationship).unwrap_or(Relationship::Other),
        access: ProxyAccess::parse(&r.access).unwrap_or(ProxyAccess::View),
        status: ProxyStatus::of(r.accepted_at, r.ended_at),
    })
}

/// `DELETE /me/proxies/{id}`: ends a relationship, from either side: the patient (or a proxy
/// who manages the record) ends someone's access, or the proxy stops (or declines). The
/// proxy's next request for the patient is refused.
pub async fn end(core: &Core, caller: &Caller, id: Uuid) -> AppResult<()> {
    let event = Event::new("proxy", AuditAction::Delete).entity_id(id);
    audit::authorize(core, caller, Action::ChooseRecord, &event).await?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let found = row::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("proxy")))?;
    let manages = caller.actor.portal_patient() == Some(found.patient_id)
        && decide(&caller.actor, Action::ManageOwnProxies) == Decision::Allow;
    let is_the_proxy = own_proxies(&*txn, caller).await?.contains(&found.proxy_id);
    if !manages && !is_the_proxy {
        return Err(ErrorKind::not_found("proxy").into());
    }
    let by = if manages {
        party(caller)
    } else {
        ProxyParty::Proxy
    };
    let done = row::Entity::update_many()
        .col_expr(row::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(row::Column::EndedBy, Expr::value(Some(by.as_str())))
        .filter(row::Column::Id.eq(id))
        .filter(row::Column::EndedAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&done) {
        return Err(ErrorKind::Conflict {
            code: "already_ended".into(),
            message: "This was already ended.".into(),
            fields: Default::default(),
            existing_id: None,
        }
        .into());
    }
    let event = event
        .patient(found.patient_id)
        .details(json!({"ended_by": by.as_str(), "was": ProxyStatus::of(found.accepted_at, None)}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// What the portal's frame shows of `caller` (`acting_for`: the first name kept with the
/// sign-in when the record was chosen). Patients and proxies only.
pub async fn who(core: &Core, caller: &Caller, acting_for: Option<String>) -> AppResult<PortalWho> {
    let event = Event::new("proxy", AuditAction::Read);
    audit::authorize(core, caller, Action::ChooseRecord, &event).await?;
    let allowed = |action| decide(&caller.actor, action) == Decision::Allow;
    let proxy = matches!(caller.actor, Actor::Proxy { .. });
    Ok(PortalWho {
        acting_for: acting_for.filter(|_| proxy && caller.actor.portal_patient().is_some()),
        proxy,
        reads: allowed(Action::ReadOwnRecord),
        manages: allowed(Action::ManageOwnSharing),
    })
}

/// The sign-in that acts on `patient_id`'s record (`None`: the caller's own, for a patient),
/// with the first name of the patient chosen. Audited as the proxy opening the patient's record.
pub async fn choose(
    core: &Core,
    caller: &Caller,
    subject: Subject,
    patient_id: Option<Uuid>,
) -> AppResult<(Subject, Option<String>)> {
    let event = Event::new("proxy", AuditAction::Login);
    audit::authorize(core, caller, Action::ChooseRecord, &event).await?;
    let Some(patient_id) = patient_id else {
        if subject.kind != SubjectKind::Patient {
            return Err(ErrorKind::invalid_field(
                "patient_id",
                "is required: a proxy has no record of their own here",
            )
            .into());
        }
        return Ok((
            Subject {
                acting_for: None,
                ..subject
            },
            None,
        ));
    };
    let me = match subject.kind {
        SubjectKind::Proxy => vec![subject.id],
        SubjectKind::Patient => patient_proxies(&core.db, subject.id).await?,
        SubjectKind::Staff | SubjectKind::Client => Vec::new(),
    };
    let Some(relationship) = live(&core.db, &me, patient_id).await? else {
        return Err(ErrorKind::not_found("patient").into());
    };
    let event = event
        .patient(patient_id)
        .entity_id(relationship.id)
        .details(json!({"acting_for": patient_id, "access": relationship.access}));
    audit::record(core, caller, &event, Outcome::Allowed).await?;
    let name = match patient::Entity::find_by_id(patient_id)
        .one(&core.db)
        .await?
    {
        Some(p) => Some(first_name(core, &p)?),
        None => None,
    };
    Ok((
        Subject {
            acting_for: Some(patient_id),
            ..subject
        },
        name,
    ))
}
