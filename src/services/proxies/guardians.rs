//! Staff of a hospital linked to a minor add a guardian (a parent, a relative) who acts for the
//! child in the portal, with the signed consent form as the evidence: accepted at once, with
//! the right to manage. Staff see and end the patient's proxies too. Decided as recording
//! consent (`consent.record`) for a linked patient, audited in the same transaction.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::{check_room, insert, proxy_at, to_view};
use crate::db::{begin_write, changed_one, locked};
use crate::domain::clinical::attachment::AttachmentKind;
use crate::domain::identity::auth::OtpDestination;
use crate::domain::identity::role::Permission;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::proxies::{guardian_message, is_minor, GuardianInput, Proxy, ProxyParty};
use crate::domain::ErrorKind;
use crate::entities::{patient, patient_attachment, proxy, proxy_relationship as row};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients::Linked;
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

fn action(linked: &Linked) -> Action {
    Action::Patient {
        permission: Permission::ConsentRecord,
        linked: linked.is_linked(),
    }
}

/// `POST /patients/{id}/guardians`: a guardian for a minor, with the signed consent form.
pub async fn add(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &GuardianInput,
) -> AppResult<Proxy> {
    let event = Event::new("proxy", AuditAction::Create).patient(patient_id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let txn = audit::authorize_in(core, caller, txn, action(&linked), &event).await?;
    let (new, form_id) = input.validate()?;
    let Some(hospital_id) = caller.actor.hospital_id() else {
        return Err(ErrorKind::forbidden().into());
    };
    let p = locked(patient::Entity::find_by_id(patient_id), &txn)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("patient")))?;
    let dob = core
        .keyring
        .open("patients", "date_of_birth", p.id, &p.date_of_birth)
        .map_err(|e| AppError::internal(format!("patients.date_of_birth: {e}")))?;
    let dob = NaiveDate::parse_from_str(&dob, "%Y-%m-%d")
        .map_err(|e| AppError::internal(format!("patients.date_of_birth: {e}")))?;
    if !is_minor(dob, now.date_naive()) {
        return Err(ErrorKind::Conflict {
            code: "not_a_minor".into(),
            message: "An adult patient adds the people who act for them in the portal.".into(),
            fields: [(
                "date_of_birth".to_string(),
                vec!["the patient is 18 or older".to_string()],
            )]
            .into_iter()
            .collect(),
            existing_id: None,
        }
        .into());
    }
    let form = patient_attachment::Entity::find_by_id(form_id)
        .filter(patient_attachment::Column::PatientId.eq(patient_id))
        .filter(patient_attachment::Column::Kind.eq(AttachmentKind::ConsentForm.as_str()))
        .filter(patient_attachment::Column::DeletedAt.is_null())
        .one(&*txn)
        .await?;
    if form.is_none() {
        return Err(ErrorKind::invalid_field(
            "consent_form_id",
            "is not a consent form in this patient's documents",
        )
        .into());
    }
    check_room(core, &*txn, patient_id, &new).await?;
    let person = proxy_at(core, &*txn, &new.destination).await?;
    let model = insert(
        core,
        &*txn,
        patient_id,
        &person,
        &new,
        (ProxyParty::Staff, caller.actor.id()),
        Some((hospital_id, form_id)),
        true,
    )
    .await?;
    let (channel, subject) = match new.destination {
        OtpDestination::Email(_) => (Channel::Email, Some("You can now sign in".to_string())),
        OtpDestination::Phone(_) => (Channel::Sms, None),
    };
    let url = format!("{}/portal/login", core.config.app_url.trim_end_matches('/'));
    let message = Message {
        channel,
        purpose: "proxy_invitation",
        to: new.destination.value().to_string(),
        subject,
        body: guardian_message(&url),
    };
    outbox::enqueue(core, &*txn, message).await?;
    let event = event.entity_id(model.id).details(json!({
        "relationship": model.relationship,
        "access": model.access,
        "consent_form_id": form_id,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let view = to_view(core, &*txn, &model).await?;
    txn.commit().await?;
    Ok(view)
}

/// `GET /patients/{id}/guardians`: the patient's guardians and proxies, newest first.
pub async fn list(core: &Core, caller: &Caller, patient_id: Uuid) -> AppResult<Vec<Proxy>> {
    let event = Event::new("proxy", AuditAction::Read).patient(patient_id);
    let now = core.clock.now();
    let linked = Linked::load(&core.db, now, caller, patient_id).await?;
    audit::authorize(core, caller, action(&linked), &event).await?;
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let out = super::of_patient(core, read.txn(), patient_id).await?;
        let details = json!({"count": out.len()});
        Ok((out, details))
    }
    .await;
    read.finish(result).await
}

/// `POST /patients/{id}/guardians/{gid}/unlock`: reopens the sign-in of a proxy of the patient
/// after 100 consecutive wrong codes locked it (staff checked who they are). Audited.
pub async fn unlock(core: &Core, caller: &Caller, patient_id: Uuid, id: Uuid) -> AppResult<()> {
    let event = Event::new("proxy", AuditAction::Update)
        .patient(patient_id)
        .entity_id(id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let txn = audit::authorize_in(core, caller, txn, action(&linked), &event).await?;
    let found = row::Entity::find_by_id(id)
        .filter(row::Column::PatientId.eq(patient_id))
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("proxy")))?;
    proxy::Entity::update_many()
        .col_expr(
            proxy::Column::LockedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(proxy::Column::OtpFailures, Expr::value(0))
        .filter(proxy::Column::Id.eq(found.proxy_id))
        .exec(&*txn)
        .await?;
    let event = event.details(json!({"sign_in_unlocked": true}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// `DELETE /patients/{id}/guardians/{gid}`: staff end a guardian's or proxy's access (custody
/// changed, the form withdrawn).
pub async fn end(core: &Core, caller: &Caller, patient_id: Uuid, id: Uuid) -> AppResult<()> {
    let event = Event::new("proxy", AuditAction::Delete)
        .patient(patient_id)
        .entity_id(id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let txn = audit::authorize_in(core, caller, txn, action(&linked), &event).await?;
    let done = row::Entity::update_many()
        .col_expr(row::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(
            row::Column::EndedBy,
            Expr::value(Some(ProxyParty::Staff.as_str())),
        )
        .filter(row::Column::Id.eq(id))
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::EndedAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&done) {
        let ended = row::Entity::find_by_id(id)
            .filter(row::Column::PatientId.eq(patient_id))
            .one(&*txn)
            .await?
            .is_some();
        return Err(if ended {
            ErrorKind::Conflict {
                code: "already_ended".into(),
                message: "This was already ended.".into(),
                fields: Default::default(),
                existing_id: None,
            }
        } else {
            ErrorKind::not_found("proxy")
        }
        .into());
    }
    let event = event.details(json!({"ended_by": "staff"}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}
