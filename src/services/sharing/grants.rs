//! Consent grants: recorded by staff on the patient's behalf with the signed consent form,
//! listed for the hospitals they concern, revoked on the patient's instruction. Every change is
//! audited (`consent_grant`, `consent_revoke`) in its own write transaction. A grant counts
//! only while active at the moment of the request (`Term::status_at`), so an expiry or a
//! revocation takes effect on the very next request.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::db::{begin_write, changed_one, locked};
use crate::domain::clinical::attachment::AttachmentKind;
use crate::domain::clinical::category::DataCategory;
use crate::domain::identity::role::Permission;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::sharing::grant::{
    categories_from_text, categories_text, granted_categories, Grant, GrantInput, GrantSource,
    PatientGrantInput, Purpose, Term, Terms,
};
use crate::domain::ErrorKind;
use crate::entities::{consent_grant as row, hospital, patient_attachment};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Actor, Caller};
use crate::services::clinical::patients::Linked;
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

/// The most grants one list answers (newest first).
pub const LIST_LIMIT: u64 = 200;

fn categories_of(m: &row::Model) -> Vec<DataCategory> {
    categories_from_text(&m.categories)
}

fn term_of(m: &row::Model) -> Term {
    Term {
        starts_at: m.starts_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
    }
}

/// The categories of `patient_id`'s data open to `hospital_id` at `now` through its grants.
pub(crate) async fn granted_to(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    patient_id: Uuid,
    hospital_id: Uuid,
) -> AppResult<BTreeSet<DataCategory>> {
    let rows = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::HospitalId.eq(hospital_id))
        .filter(row::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    let grants: Vec<(Term, Vec<DataCategory>)> = rows
        .iter()
        .map(|m| (term_of(m), categories_of(m)))
        .collect();
    Ok(granted_categories(
        grants.iter().map(|(t, c)| (t, c.as_slice())),
        now,
    ))
}

/// The categories each patient shares with `hospital_id` now, for every patient with a grant
/// to it (one query: a hospital's lists).
pub(crate) async fn granted_by_patient(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    hospital_id: Uuid,
) -> AppResult<std::collections::HashMap<Uuid, BTreeSet<DataCategory>>> {
    let rows = row::Entity::find()
        .filter(row::Column::HospitalId.eq(hospital_id))
        .filter(row::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    let mut by_patient: std::collections::HashMap<Uuid, Vec<&row::Model>> = Default::default();
    for m in &rows {
        by_patient.entry(m.patient_id).or_default().push(m);
    }
    Ok(by_patient
        .into_iter()
        .map(|(patient, rows)| {
            let grants: Vec<(Term, Vec<DataCategory>)> = rows
                .iter()
                .map(|m| (term_of(m), categories_of(m)))
                .collect();
            let open = granted_categories(grants.iter().map(|(t, c)| (t, c.as_slice())), now);
            (patient, open)
        })
        .filter(|(_, open)| !open.is_empty())
        .collect())
}

pub(crate) async fn to_view(
    db: &impl ConnectionTrait,
    m: &row::Model,
    now: DateTime<Utc>,
) -> AppResult<Grant> {
    Ok(views(db, std::slice::from_ref(m), now).await?.remove(0))
}

/// The views of `rows`, their grantee hospitals' names read in one query.
async fn views(
    db: &impl ConnectionTrait,
    rows: &[row::Model],
    now: DateTime<Utc>,
) -> AppResult<Vec<Grant>> {
    let names: std::collections::HashMap<Uuid, String> = hospital::Entity::find()
        .filter(hospital::Column::Id.is_in(rows.iter().map(|m| m.hospital_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    rows.iter()
        .map(|m| {
            view_of(
                m,
                names.get(&m.hospital_id).cloned().unwrap_or_default(),
                now,
            )
        })
        .collect()
}

fn view_of(m: &row::Model, hospital_name: String, now: DateTime<Utc>) -> AppResult<Grant> {
    Ok(Grant {
        id: m.id,
        patient_id: m.patient_id,
        hospital_id: m.hospital_id,
        hospital_name,
        categories: categories_of(m),
        purpose: Purpose::parse(&m.purpose)
            .ok_or_else(|| AppError::internal(format!("grant {}: purpose", m.id)))?,
        starts_at: m.starts_at,
        expires_at: m.expires_at,
        status: term_of(m).status_at(now),
        source: GrantSource::parse(&m.source)
            .ok_or_else(|| AppError::internal(format!("grant {}: source", m.id)))?,
        consent_form_id: m.consent_form_id,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    })
}

/// What shows the patient consented.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Evidence {
    /// Their signed consent form (an attachment).
    SignedForm(Uuid),
    /// The consent request whose code they read back.
    Code(Uuid),
    /// The patient granted it themselves, signed in.
    Patient,
}

/// Writes a grant to `hospital_id` recorded by `caller`.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
    hospital_id: Uuid,
    terms: &Terms,
    evidence: Evidence,
    now: DateTime<Utc>,
) -> AppResult<row::Model> {
    let (source, form, request) = match evidence {
        Evidence::SignedForm(form) => (GrantSource::SignedForm, Some(form), None),
        Evidence::Code(request) => (GrantSource::CodeConfirmed, None, Some(request)),
        Evidence::Patient => (GrantSource::Patient, None, None),
    };
    let model = row::ActiveModel {
        id: Set(Uuid::now_v7()),
        patient_id: Set(patient_id),
        hospital_id: Set(hospital_id),
        categories: Set(categories_text(&terms.categories)),
        purpose: Set(terms.purpose.as_str().into()),
        starts_at: Set(terms.starts_at),
        expires_at: Set(terms.expires_at),
        source: Set(source.as_str().into()),
        consent_form_id: Set(form),
        created_by: Set(caller.actor.id()),
        created_by_hospital_id: Set(caller.actor.hospital_id()),
        created_at: Set(now),
        revoked_at: Set(None),
        revoked_by: Set(None),
        consent_request_id: Set(request),
    }
    .insert(db)
    .await?;
    // What it opens now reaches the hospital's changes feed. (One that starts later opens
    // what changes after its start.)
    if terms.starts_at <= now {
        let opened: BTreeSet<DataCategory> = terms.categories.iter().copied().collect();
        crate::services::integration::changes::log_opened(
            db,
            now,
            patient_id,
            hospital_id,
            &opened,
        )
        .await?;
    }
    Ok(model)
}

/// The audit details of a new grant (identifiers and terms, no personal data).
pub(crate) fn grant_details(model: &row::Model) -> serde_json::Value {
    json!({
        "hospital_id": model.hospital_id,
        "categories": model.categories,
        "purpose": model.purpose,
        "starts_at": model.starts_at,
        "expires_at": model.expires_at,
        "source": model.source,
        "consent_form_id": model.consent_form_id,
        "consent_request_id": model.consent_request_id,
    })
}

/// Records a grant on the patient's behalf with their signed consent form (`consent.record`,
/// staff of a hospital linked to the patient).
pub async fn record(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &GrantInput,
) -> AppResult<Grant> {
    let event = Event::new("consent_grant", AuditAction::ConsentGrant).patient(patient_id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let action = Action::Patient {
        permission: Permission::ConsentRecord,
        linked: linked.is_linked() || caller.actor == Actor::System,
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let valid = input.validate(now)?;
    let grantee = hospital::Entity::find_by_id(valid.hospital_id)
        .one(&*txn)
        .await?
        .filter(|h| h.active);
    if grantee.is_none() {
        return Err(ErrorKind::invalid_field(
            "hospital_id",
            "is not an active hospital of the network",
        )
        .into());
    }
    // The evidence: a signed form this hospital stored for this patient, not yet cited by
    // another grant (a revoked consent is not given again with its old form). The form's row
    // stays locked until the commit, so two grants citing it at once take turns and the
    // second finds the first.
    let form = locked(
        patient_attachment::Entity::find_by_id(valid.consent_form_id)
            .filter(patient_attachment::Column::PatientId.eq(patient_id))
            .filter(patient_attachment::Column::DeletedAt.is_null())
            .filter(
                patient_attachment::Column::HospitalId
                    .eq(caller.actor.hospital_id().unwrap_or_default()),
            ),
        &txn,
    )
    .one(&*txn)
    .await?
    .filter(|a| a.kind == AttachmentKind::ConsentForm.as_str());
    if form.is_none() {
        return Err(ErrorKind::invalid_field(
            "consent_form_id",
            "is not a consent form your hospital stored for this patient: upload the signed \
             form first",
        )
        .into());
    }
    let cited = row::Entity::find()
        .filter(row::Column::ConsentFormId.eq(valid.consent_form_id))
        .count(&*txn)
        .await?;
    if cited > 0 {
        return Err(ErrorKind::invalid_field(
            "consent_form_id",
            "already supports another grant: upload the patient's new signed form",
        )
        .into());
    }
    let terms = Terms {
        categories: valid.categories,
        purpose: valid.purpose,
        starts_at: valid.starts_at,
        expires_at: valid.expires_at,
    };
    let evidence = Evidence::SignedForm(valid.consent_form_id);
    let model = insert(
        &*txn,
        caller,
        patient_id,
        valid.hospital_id,
        &terms,
        evidence,
        now,
    )
    .await?;
    let event = event.entity_id(model.id).details(grant_details(&model));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let view = to_view(&*txn, &model, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// Which grants a hospital's staff see: those that give it access and those its staff
/// recorded (every grant for the application itself).
fn concerning(caller: &Caller) -> Condition {
    match caller.actor.hospital_id() {
        None if caller.actor == Actor::System => Condition::all(),
        None => Condition::any().add(row::Column::Id.is_null()),
        Some(h) => Condition::any()
            .add(row::Column::HospitalId.eq(h))
            .add(row::Column::CreatedByHospitalId.eq(h)),
    }
}

/// The patient's grants that concern the caller's hospital, newest first (at most
/// `LIST_LIMIT`), with their status now. The read is audited.
pub async fn list(core: &Core, caller: &Caller, patient_id: Uuid) -> AppResult<Vec<Grant>> {
    let event = Event::new("consent_grant", AuditAction::Read).patient(patient_id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let linked = Linked::load(txn, core.clock.now(), caller, patient_id).await?;
        let action = Action::Patient {
            permission: Permission::PatientsRead,
            linked: linked.is_linked() || caller.actor == Actor::System,
        };
        crate::policy::authorize(&caller.actor, action)?;
        list_in(core, caller, txn, patient_id).await
    }
    .await;
    read.finish(result).await
}

/// `list` inside a read the caller was already authorized for (the chart); also returns the
/// details to record.
pub(crate) async fn list_in(
    core: &Core,
    caller: &Caller,
    txn: &impl ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<(Vec<Grant>, serde_json::Value)> {
    let now = core.clock.now();
    let rows = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(concerning(caller))
        .order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .limit(LIST_LIMIT)
        .all(txn)
        .await?;
    let grants = views(txn, &rows, now).await?;
    let details = json!({"grant_ids": rows.iter().map(|m| m.id).collect::<Vec<_>>()});
    Ok((grants, details))
}

/// One grant that concerns the caller's hospital, of a patient linked to it: read as a part
/// of the patient's grants (audited for the patient). Any other is 404.
pub async fn get(core: &Core, caller: &Caller, grant_id: Uuid) -> AppResult<Grant> {
    let event = Event::new("consent_grant", AuditAction::Read).entity_id(grant_id);
    // Who may read patients at all is decided before anything is looked up.
    let action = Action::Patient {
        permission: Permission::PatientsRead,
        linked: true,
    };
    audit::authorize(core, caller, action, &event).await?;
    let patient = row::Entity::find_by_id(grant_id)
        .filter(concerning(caller))
        .one(&core.db)
        .await?
        .map(|m| m.patient_id);
    let Some(patient_id) = patient else {
        audit::record(core, caller, &event, Outcome::Denied).await?;
        return Err(ErrorKind::not_found("grant").into());
    };
    list(core, caller, patient_id)
        .await?
        .into_iter()
        .find(|g| g.id == grant_id)
        .ok_or_else(|| ErrorKind::not_found("grant").into())
}

/// Revokes a grant on the patient's instruction (`consent.record`, staff of the hospital it
/// gives access to or of the one that recorded it). It stops counting at once; revoking twice
/// is 409.
pub async fn revoke(core: &Core, caller: &Caller, grant_id: Uuid) -> AppResult<Grant> {
    let event = Event::new("consent_grant", AuditAction::ConsentRevoke).entity_id(grant_id);
    let txn = begin_write(&core.db).await?;
    let found = row::Entity::find_by_id(grant_id)
        .filter(concerning(caller))
        .one(&*txn)
        .await?;
    let (linked, patient_id) = match &found {
        Some(m) => (
            Linked::load(&*txn, core.clock.now(), caller, m.patient_id)
                .await?
                .is_linked(),
            Some(m.patient_id),
        ),
        None => (false, None),
    };
    let event = match patient_id {
        Some(p) => event.patient(p),
        None => event,
    };
    let action = Action::Patient {
        permission: Permission::ConsentRecord,
        linked: found.is_some() && (linked || caller.actor == Actor::System),
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let grant = found.ok_or_else(|| AppError::from(ErrorKind::not_found("grant")))?;
    let now = core.clock.now();
    let result = row::Entity::update_many()
        .col_expr(row::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(
            row::Column::RevokedBy,
            sea_orm::sea_query::Expr::value(caller.actor.id()),
        )
        .filter(row::Column::Id.eq(grant_id))
        .filter(row::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&result) {
        return Err(ErrorKind::conflict_on(
            "grant_revoked",
            "id",
            "this grant was already revoked",
        )
        .into());
    }
    let event = event.details(json!({"hospital_id": grant.hospital_id}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let model = row::Model {
        revoked_at: Some(now),
        revoked_by: caller.actor.id(),
        ..grant
    };
    let view = to_view(&*txn, &model, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// The signed-in patient's own id, or the patient a proxy acts for (`ManageOwnSharing` is
/// decided first).
fn own_id(caller: &Caller) -> AppResult<Uuid> {
    caller
        .actor
        .portal_patient()
        .ok_or_else(|| ErrorKind::forbidden().into())
}

/// The signed-in patient lets a hospital of the network see categories of their record.
/// Audited as the patient (`consent_grant`).
pub async fn grant_by_patient(
    core: &Core,
    caller: &Caller,
    input: &PatientGrantInput,
) -> AppResult<Grant> {
    let event = Event::new("consent_grant", AuditAction::ConsentGrant);
    audit::authorize(core, caller, Action::ManageOwnSharing, &event).await?;
    let patient_id = own_id(caller)?;
    let now = core.clock.now();
    let (hospital_id, terms) = input.validate(now)?;
    let txn = begin_write(&core.db).await?;
    let grantee = hospital::Entity::find_by_id(hospital_id)
        .one(&*txn)
        .await?
        .filter(|h| h.active);
    if grantee.is_none() {
        return Err(ErrorKind::invalid_field(
            "hospital_id",
            "is not an active hospital of the network",
        )
        .into());
    }
    let model = insert(
        &*txn,
        caller,
        patient_id,
        hospital_id,
        &terms,
        Evidence::Patient,
        now,
    )
    .await?;
    let event = event
        .patient(patient_id)
        .entity_id(model.id)
        .details(grant_details(&model));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let view = to_view(&*txn, &model, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// The signed-in patient revokes one of their grants: it stops counting with the next
/// request. Another patient's grant answers 404; revoking twice, 409. Audited.
pub async fn revoke_by_patient(core: &Core, caller: &Caller, grant_id: Uuid) -> AppResult<Grant> {
    let event = Event::new("consent_grant", AuditAction::ConsentRevoke).entity_id(grant_id);
    audit::authorize(core, caller, Action::ManageOwnSharing, &event).await?;
    let patient_id = own_id(caller)?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let grant = row::Entity::find_by_id(grant_id)
        .filter(row::Column::PatientId.eq(patient_id))
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("grant")))?;
    let result = row::Entity::update_many()
        .col_expr(row::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(
            row::Column::RevokedBy,
            sea_orm::sea_query::Expr::value(Some(patient_id)),
        )
        .filter(row::Column::Id.eq(grant_id))
        .filter(row::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&result) {
        return Err(ErrorKind::conflict_on(
            "grant_revoked",
            "id",
            "this grant was already revoked",
        )
        .into());
    }
    let event = event
        .patient(patient_id)
        .details(json!({"hospital_id": grant.hospital_id}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let model = row::Model {
        revoked_at: Some(now),
        revoked_by: Some(patient_id),
        ..grant
    };
    let view = to_view(&*txn, &model, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// The signed-in patient's grants, active and past, newest first (at most `LIST_LIMIT`).
/// Audited.
pub async fn permissions(core: &Core, caller: &Caller) -> AppResult<Vec<Grant>> {
    let event = Event::new("consent_grant", AuditAction::Read);
    audit::authorize(core, caller, Action::ManageOwnSharing, &event).await?;
    let patient_id = own_id(caller)?;
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let grants = own_grants(read.txn(), patient_id, core.clock.now()).await?;
        let details = json!({"grant_ids": grants.iter().map(|g| g.id).collect::<Vec<_>>()});
        Ok((grants, details))
    }
    .await;
    read.finish(result).await
}

/// The patient's grants, newest first, at most `LIST_LIMIT`, each with its status at `now`
/// (the caller has decided the patient may read them).
pub(crate) async fn own_grants(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Vec<Grant>> {
    let rows = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .limit(LIST_LIMIT)
        .all(db)
        .await?;
    views(db, &rows, now).await
}
