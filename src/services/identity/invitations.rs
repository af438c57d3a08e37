//! Staff invitations: an admin invites an email into a role (and hospital); the invitee gets
//! a single-use link `{APP_URL}/invite/{token}` valid 72 hours and sets a password there.
//! Only the token's SHA-256 is stored.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::staff::{self, check_password, hash_password, NewAccount};
use super::tokens::{random_token, token_hash};
use crate::db::begin_write;
use crate::domain::identity::auth::{
    parse_role, AcceptInvitationRequest, Invitation, InvitationRequest, StaffMember,
};
use crate::domain::identity::role::Role;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;
use crate::entities::{hospital, staff_invitation};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Actor, Caller, RequestMeta};
use crate::services::platform::audit::{self, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

pub const VALID_HOURS: i64 = 72;

/// The invitation email. It names the role, never anything clinical.
fn invitation_message(core: &Core, name: &str, role: Role, token: &str) -> String {
    format!(
        "Hello {name},\n\nYou have been invited to HospitalLink as {role}.\n\
         Set your password here (the link works once, for {VALID_HOURS} hours):\n\n\
         {}/invite/{token}\n\nIf you did not expect this, ignore this email.\n",
        core.config.app_url,
        role = role.as_str().replace('_', " "),
    )
}

/// Invites someone. Hospital admins invite into their own hospital (the default); platform
/// admins invite platform admins and hospital admins.
pub async fn invite(
    core: &Core,
    caller: &Caller,
    input: &InvitationRequest,
) -> AppResult<Invitation> {
    let event = Event::new("staff_invitation", AuditAction::Create);
    audit::authorize(core, caller, Action::ManageStaff, &event).await?;
    let mut e = Errors::new();
    let email = e.email("email", input.email.as_deref());
    let display_name = e.required_text("display_name", input.display_name.as_deref(), 1, 200);
    let role = parse_role(&mut e, "role", input.role.as_deref());
    let hospital_id = input.hospital_id.or(match caller.actor.role() {
        Some(Role::HospitalAdmin) => caller.actor.hospital_id(),
        _ => None,
    });
    if let Some(role) = role {
        match (role, hospital_id) {
            (Role::PlatformAdmin, Some(_)) => {
                e.add("hospital_id", "platform admins belong to no hospital")
            }
            (r, None) if r != Role::PlatformAdmin => {
                e.add("hospital_id", "is required for this role")
            }
            _ => {}
        }
    }
    let role = e
        .finish(|| role)?
        .ok_or_else(|| ErrorKind::invalid_field("role", "is required"))?;
    audit::authorize(
        core,
        caller,
        Action::InviteStaff { role, hospital_id },
        &event,
    )
    .await
    .map_err(|err| match err.kind {
        ErrorKind::NotFound { .. } => {
            ErrorKind::invalid_field("hospital_id", "no such hospital").into()
        }
        _ => err,
    })?;
    if let Some(h) = hospital_id {
        if hospital::Entity::find_by_id(h)
            .one(&core.db)
            .await?
            .is_none()
        {
            return Err(ErrorKind::invalid_field("hospital_id", "no such hospital").into());
        }
    }
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    staff::ensure_email_free(&txn, &email).await?;
    let token = random_token();
    let id = Uuid::now_v7();
    let expires_at = now + Duration::hours(VALID_HOURS);
    staff_invitation::ActiveModel {
        id: Set(id),
        token_hash: Set(token_hash(&token)),
        email: Set(email.clone()),
        display_name: Set(display_name.clone()),
        role: Set(role.as_str().into()),
        hospital_id: Set(hospital_id),
        invited_by: Set(caller.actor.id()),
        expires_at: Set(expires_at),
        accepted_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    outbox::enqueue(
        core,
        &txn,
        Message {
            channel: Channel::Email,
            purpose: "invitation",
            to: email.clone(),
            subject: Some("Your HospitalLink account".into()),
            body: invitation_message(core, &display_name, role, &token),
        },
    )
    .await?;
    let event = event
        .entity_id(id)
        .details(serde_json::json!({"role": role.as_str(), "hospital_id": hospital_id}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(Invitation {
        id,
        email,
        display_name,
        role,
        hospital_id,
        expires_at,
    })
}

fn invalid_link() -> AppError {
    ErrorKind::invalid_field(
        "token",
        "this invitation link is not valid: it was used already or has expired. Ask your administrator for a new one.",
    )
    .into()
}

async fn open_invitation(
    core: &Core,
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
) -> AppResult<staff_invitation::Model> {
    let now = core.clock.now();
    staff_invitation::Entity::find()
        .filter(staff_invitation::Column::TokenHash.eq(token_hash(token.trim())))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > now)
        .ok_or_else(invalid_link)
}

/// What the invitation page shows before the password is set.
pub async fn preview(core: &Core, token: &str) -> AppResult<Invitation> {
    let i = open_invitation(core, &core.db, token).await?;
    Ok(Invitation {
        id: i.id,
        role: i.role.parse().map_err(AppError::internal)?,
        email: i.email,
        display_name: i.display_name,
        hospital_id: i.hospital_id,
        expires_at: i.expires_at,
    })
}

/// Accepts an invitation with a password: the account is created, the link is spent.
pub async fn accept(
    core: &Core,
    meta: &RequestMeta,
    input: &AcceptInvitationRequest,
) -> AppResult<StaffMember> {
    let now = core.clock.now();
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    core.limits
        .invitation_per_ip
        .hit(&format!("ip:{ip}"), now)?;
    let token = input
        .token
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_string();
    let password = input.password.clone().unwrap_or_default();
    let mut e = Errors::new();
    if token.is_empty() {
        e.add("token", "is required");
    }
    check_password(&mut e, "password", &password);
    e.finish(|| ())?;
    // Check the link before the expensive hash.
    open_invitation(core, &core.db, &token).await?;
    let password_hash = hash_password(password).await?;
    let txn = begin_write(&core.db).await?;
    let invitation = open_invitation(core, &txn, &token).await?;
    let spent = staff_invitation::Entity::update_many()
        .col_expr(staff_invitation::Column::AcceptedAt, Expr::value(Some(now)))
        .filter(staff_invitation::Column::Id.eq(invitation.id))
        .filter(staff_invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid_link());
    }
    let role: Role = invitation.role.parse().map_err(AppError::internal)?;
    let account = staff::insert_account(
        core,
        &txn,
        NewAccount {
            email: invitation.email.clone(),
            display_name: invitation.display_name.clone(),
            role,
            hospital_id: invitation.hospital_id,
            password_hash,
        },
    )
    .await?;
    let caller = Caller::new(
        Actor::Staff {
            id: account.id,
            role,
            hospital_id: account.hospital_id,
        },
        meta.clone(),
    );
    let event = Event::new("staff_account", AuditAction::Create)
        .entity_id(account.id)
        .details(serde_json::json!({"via": "invitation", "invitation_id": invitation.id, "role": role.as_str()}));
    audit::append(&txn, now, &caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    staff::view(account)
}
