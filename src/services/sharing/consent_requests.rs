//! Consent at the point of care, for patients without a smartphone: staff of a hospital linked
//! to the patient ask to see chosen categories; a one-time code goes to the patient's phone by
//! SMS (or to their email); the patient reads it to the clinician, who enters it; the grant is
//! then the patient's, with the confirmed request as its evidence.
//!
//! The code follows the portal sign-in's rules: 6 digits from the OS CSPRNG, kept only as a
//! keyed hash, valid 10 minutes, single use, at most 5 tries (each granted by one conditional
//! write before the code is compared), at most 5 codes per patient per hour.

use chrono::Duration;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::grants::{self, Evidence};
use crate::crypto::constant_time_eq;
use crate::db::{begin_write, changed_one, locked};
use crate::domain::identity::auth::parse_otp_code;
use crate::domain::identity::role::Permission;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::sharing::grant::{
    categories_from_text, categories_text, consent_code_message, ConfirmInput, ConsentRequest,
    ConsentRequestInput, Grant, Purpose, Terms,
};
use crate::domain::ErrorKind;
use crate::entities::{consent_request as row, hospital, patient};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients::{notice_address, Linked};
use crate::services::platform::audit::{self, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

pub const CODE_MINUTES: i64 = 10;
pub const TRIES_PER_CODE: i32 = 5;
pub const CODES_PER_HOUR: u64 = 5;

fn code_hash(core: &Core, request_id: Uuid, code: &str) -> String {
    core.keyring
        .blind_index("consent_code", &format!("{request_id}:{code}"))
}

fn to_view(m: &row::Model, terms: &Terms) -> ConsentRequest {
    ConsentRequest {
        id: m.id,
        patient_id: m.patient_id,
        hospital_id: m.hospital_id,
        categories: terms.categories.clone(),
        purpose: terms.purpose,
        expires_at: terms.expires_at,
        sent_by: m.channel.clone(),
        code_expires_at: m.code_expires_at,
    }
}

/// Asks the patient for consent to share with the caller's hospital: sends them a code.
/// 409 `no_contact` when the patient has neither phone nor email on file; 429 past
/// `CODES_PER_HOUR`.
pub async fn request(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &ConsentRequestInput,
) -> AppResult<ConsentRequest> {
    let event = Event::new("consent_request", AuditAction::Create).patient(patient_id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let action = Action::Patient {
        permission: Permission::ConsentRecord,
        linked: linked.is_linked(),
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let terms = input.validate(now)?;
    let Some(hospital_id) = caller.actor.hospital_id() else {
        return Err(ErrorKind::forbidden().into());
    };
    // The patient's row is locked before the codes are counted: requests arriving together
    // count one after another.
    locked(patient::Entity::find_by_id(patient_id), &txn)
        .one(&*txn)
        .await?;
    let recent = row::Entity::find()
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&*txn)
        .await?;
    if recent >= CODES_PER_HOUR {
        txn.rollback().await?;
        let event = event.details(json!({"refused": "rate_limited"}));
        audit::record(core, caller, &event, Outcome::Denied).await?;
        return Err(ErrorKind::RateLimited {
            retry_after_secs: 3600,
        }
        .into());
    }
    let Some((channel, to)) = notice_address(core, &*txn, patient_id).await? else {
        return Err(ErrorKind::Conflict {
            code: "no_contact".into(),
            message: "The patient has no phone or email on file to send a code to; record \
                      their signed consent form instead."
                .into(),
            fields: Default::default(),
            existing_id: None,
        }
        .into());
    };
    let hospital_name = hospital::Entity::find_by_id(hospital_id)
        .one(&*txn)
        .await?
        .map(|h| h.name)
        .unwrap_or_default();
    let id = Uuid::now_v7();
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let model = row::ActiveModel {
        id: Set(id),
        patient_id: Set(patient_id),
        hospital_id: Set(hospital_id),
        categories: Set(categories_text(&terms.categories)),
        purpose: Set(terms.purpose.as_str().into()),
        grant_expires_at: Set(terms.expires_at),
        channel: Set(channel.as_str().into()),
        code_hash: Set(code_hash(core, id, &code)),
        code_expires_at: Set(now + Duration::minutes(CODE_MINUTES)),
        attempts: Set(0),
        used_at: Set(None),
        requested_by: Set(caller.actor.id()),
        created_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    let message = Message {
        channel,
        purpose: "consent_code",
        to,
        subject: (channel == Channel::Email).then(|| "Your code to share your record".into()),
        body: consent_code_message(&hospital_name, &code, CODE_MINUTES),
    };
    outbox::enqueue(core, &*txn, message).await?;
    let event = event.entity_id(id).details(json!({
        "hospital_id": hospital_id,
        "categories": model.categories,
        "purpose": model.purpose,
        "channel": model.channel,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(to_view(&model, &terms))
}

fn wrong_code() -> AppError {
    ErrorKind::invalid_field(
        "code",
        "is not correct or has expired; ask the patient for the newest code or send a new one",
    )
    .into()
}

/// Confirms a request with the code the patient read out: the grant is created as the
/// patient's (`code_confirmed`). Exactly one confirmation of a request succeeds; at most
/// `TRIES_PER_CODE` codes are ever compared.
pub async fn confirm(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    request_id: Uuid,
    input: &ConfirmInput,
) -> AppResult<Grant> {
    let event = Event::new("consent_grant", AuditAction::ConsentGrant).patient(patient_id);
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let linked = Linked::load(&*txn, now, caller, patient_id).await?;
    let action = Action::Patient {
        permission: Permission::ConsentRecord,
        linked: linked.is_linked(),
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let code = parse_otp_code("code", input.code.as_deref())?;
    // Another hospital's request answers as a missing one.
    let found = row::Entity::find_by_id(request_id)
        .filter(row::Column::PatientId.eq(patient_id))
        .filter(row::Column::HospitalId.eq(caller.actor.hospital_id().unwrap_or_default()))
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("consent request")))?;
    // A try is granted before the code is compared, by one conditional write.
    let granted = row::Entity::update_many()
        .col_expr(
            row::Column::Attempts,
            Expr::col(row::Column::Attempts).add(1),
        )
        .filter(row::Column::Id.eq(request_id))
        .filter(row::Column::Attempts.lt(TRIES_PER_CODE))
        .filter(row::Column::UsedAt.is_null())
        .filter(row::Column::CodeExpiresAt.gt(now))
        .exec(&*txn)
        .await?;
    if !changed_one(&granted) {
        // Spent, used or expired: refused, and recorded as a refusal.
        txn.rollback().await?;
        let event = Event::new("consent_request", AuditAction::Update)
            .entity_id(request_id)
            .patient(patient_id)
            .details(json!({"code": "spent"}));
        audit::record(core, caller, &event, Outcome::Denied).await?;
        return Err(wrong_code());
    }
    let matches = constant_time_eq(
        code_hash(core, request_id, &code).as_bytes(),
        found.code_hash.as_bytes(),
    );
    if !matches {
        // The try stays counted.
        let event = Event::new("consent_request", AuditAction::Update)
            .entity_id(request_id)
            .patient(patient_id)
            .details(json!({"code": "wrong"}));
        audit::append(&txn, now, caller, &event, Outcome::Denied).await?;
        txn.commit().await?;
        return Err(wrong_code());
    }
    // Single use: exactly one of the confirmations presenting the right code consumes it.
    let consumed = row::Entity::update_many()
        .col_expr(row::Column::UsedAt, Expr::value(Some(now)))
        .filter(row::Column::Id.eq(request_id))
        .filter(row::Column::UsedAt.is_null())
        .exec(&*txn)
        .await?;
    if !changed_one(&consumed) {
        return Err(wrong_code());
    }
    let terms = Terms {
        categories: categories_from_text(&found.categories),
        purpose: Purpose::parse(&found.purpose)
            .ok_or_else(|| AppError::internal(format!("consent request {request_id}: purpose")))?,
        starts_at: now,
        expires_at: found.grant_expires_at,
    };
    let model = grants::insert(
        &*txn,
        caller,
        patient_id,
        found.hospital_id,
        &terms,
        Evidence::Code(request_id),
        now,
    )
    .await?;
    let event = event
        .entity_id(model.id)
        .details(grants::grant_details(&model));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let view = grants::to_view(&*txn, &model, now).await?;
    txn.commit().await?;
    Ok(view)
}
