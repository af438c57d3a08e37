//! Staff sign-in (password, then the second factor) and `/auth/me`. Rate limits run before
//! any password hashing; every outcome is audited without the typed email or password.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::tokens::{self, Stage, Subject, SubjectKind};
use super::{lockout, mfa, staff};
use crate::db::begin_write;
use crate::domain::identity::auth::{LoginRequest, Me};
use crate::domain::identity::role::Role;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;
use crate::entities::{hospital, patient, staff_account};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Actor, Caller, RequestMeta};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// Where a correct password leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffLogin {
    /// Signed in (fully, or restricted to enrolment for an admin without a second factor).
    SignedIn(Subject),
    /// The account has a second factor: send the code with this token.
    MfaRequired { mfa_token: String },
}

fn bad_credentials() -> AppError {
    ErrorKind::Unauthenticated {
        message: "The email or password is not correct.".into(),
    }
    .into()
}

/// Applies the per-address and per-account limits (before any expensive work).
pub fn limit_login(core: &Core, meta: &RequestMeta, account: &str) -> AppResult<()> {
    let now = core.clock.now();
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    core.limits.login_per_ip.hit(&format!("ip:{ip}"), now)?;
    core.limits
        .login_per_account
        .hit(&format!("account:{account}"), now)?;
    Ok(())
}

async fn record_failure(core: &Core, meta: &RequestMeta, step: &str) -> AppResult<()> {
    let caller = Caller::new(Actor::Anonymous, meta.clone());
    let event = Event::new("staff_account", AuditAction::LoginFailed)
        .details(serde_json::json!({"step": step}));
    audit::record(core, &caller, &event, Outcome::Denied).await?;
    Ok(())
}

async fn record_login(
    core: &Core,
    txn: &sea_orm::DatabaseTransaction,
    meta: &RequestMeta,
    account: &staff_account::Model,
    method: &str,
) -> AppResult<()> {
    let role: Role = account.role.parse().map_err(AppError::internal)?;
    let caller = Caller::new(
        Actor::Staff {
            id: account.id,
            role,
            hospital_id: account.hospital_id,
        },
        meta.clone(),
    );
    let now = core.clock.now();
    let event = Event::new("staff_account", AuditAction::Login)
        .entity_id(account.id)
        .details(serde_json::json!({"method": method}));
    // The account row before the audit chain head: every write transaction locks the head last.
    let mut active: staff_account::ActiveModel = account.clone().into();
    active.last_login_at = Set(Some(now));
    active.update(txn).await?;
    audit::append(txn, now, &caller, &event, Outcome::Allowed).await?;
    Ok(())
}

fn subject(core: &Core, account: &staff_account::Model, stage: Stage) -> Subject {
    Subject {
        kind: SubjectKind::Staff,
        id: account.id,
        ver: account.credentials_version,
        stage,
        auth_at: core.clock.now(),
        acting_for: None,
        scopes: None,
    }
}

/// Email + password. Unknown emails cost the same as wrong passwords.
pub async fn staff_login(
    core: &Core,
    meta: &RequestMeta,
    input: &LoginRequest,
) -> AppResult<StaffLogin> {
    let mut e = Errors::new();
    let email = e.email("email", input.email.as_deref());
    let password = input.password.clone().unwrap_or_default();
    if password.is_empty() {
        e.add("password", "is required");
    }
    e.finish(|| ())?;
    limit_login(core, meta, &email)?;
    // After repeated failures the address waits, whether an account has it or not.
    let failures_counted = lockout::password_wait(core, &email).await?;
    let account = staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(&email))
        .one(&core.db)
        .await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let ok = staff::verify_password(password, stored).await?;
    let Some(account) = account.as_ref().filter(|a| ok && a.active).cloned() else {
        if !ok {
            lockout::password_failed(core, meta, &email, account.as_ref()).await?;
        }
        record_failure(core, meta, "password").await?;
        return Err(bad_credentials());
    };
    lockout::ensure_unlocked(&account)?;
    ensure_hospital_open(&core.db, &account).await?;
    if account.totp_enabled_at.is_some() {
        // The password was right: its count starts again; the second factor counts its own.
        if failures_counted {
            let txn = begin_write(&core.db).await?;
            lockout::password_succeeded(core, &txn, &email).await?;
            txn.commit().await?;
        }
        return Ok(StaffLogin::MfaRequired {
            mfa_token: tokens::mfa_token(core, account.id, account.credentials_version)?,
        });
    }
    let role: Role = account.role.parse().map_err(AppError::internal)?;
    let stage = if role.requires_mfa() {
        Stage::MfaEnrollment
    } else {
        Stage::Full
    };
    let txn = begin_write(&core.db).await?;
    if failures_counted {
        lockout::password_succeeded(core, &txn, &email).await?;
    }
    record_login(core, &txn, meta, &account, "password").await?;
    txn.commit().await?;
    Ok(StaffLogin::SignedIn(subject(core, &account, stage)))
}

/// Staff of a deactivated hospital cannot sign in (their data stays for a reactivation). Said
/// only after the password proved who is asking.
async fn ensure_hospital_open(
    db: &impl sea_orm::ConnectionTrait,
    account: &staff_account::Model,
) -> AppResult<()> {
    let Some(h) = account.hospital_id else {
        return Ok(());
    };
    let open = hospital::Entity::find_by_id(h)
        .one(db)
        .await?
        .is_some_and(|h| h.active);
    if open {
        Ok(())
    } else {
        Err(ErrorKind::Forbidden {
            code: "hospital_inactive".into(),
            message: "Your hospital is not active in HospitalLink at the moment; ask the network's administrator.".into(),
        }
        .into())
    }
}

/// Completes a sign-in with a TOTP or recovery code.
pub async fn complete_mfa(
    core: &Core,
    meta: &RequestMeta,
    mfa_token: Option<&str>,
    code: Option<&str>,
) -> AppResult<Subject> {
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::from(ErrorKind::invalid_field("code", "is required")))?;
    let expired = || -> AppError {
        ErrorKind::Unauthenticated {
            message: "The sign-in has expired. Enter your email and password again.".into(),
        }
        .into()
    };
    let (staff_id, ver) = mfa_token
        .and_then(|t| tokens::read_mfa_token(core, t))
        .ok_or_else(expired)?;
    limit_login(core, meta, &format!("mfa:{staff_id}"))?;
    let txn = begin_write(&core.db).await?;
    let account = staff_account::Entity::find_by_id(staff_id)
        .one(&txn)
        .await?
        .filter(|a| a.active && a.credentials_version == ver)
        .ok_or_else(expired)?;
    lockout::ensure_unlocked(&account)?;
    ensure_hospital_open(&txn, &account).await?;
    lockout::second_factor_wait(&account, core.clock.now())?;
    let Some(factor) = mfa::consume_code(core, &txn, &account, code).await? else {
        lockout::second_factor_failed(core, &txn, meta, &account).await?;
        let caller = Caller::new(Actor::Anonymous, meta.clone());
        let event = Event::new("staff_account", AuditAction::LoginFailed)
            .entity_id(staff_id)
            .details(serde_json::json!({"step": "second_factor"}));
        audit::append(&txn, core.clock.now(), &caller, &event, Outcome::Denied).await?;
        txn.commit().await?;
        return Err(ErrorKind::invalid_field("code", "is not correct or was already used").into());
    };
    lockout::second_factor_succeeded(&txn, &account).await?;
    record_login(core, &txn, meta, &account, factor.as_str()).await?;
    txn.commit().await?;
    Ok(subject(core, &account, Stage::Full))
}

/// The caller's identity.
pub async fn me(core: &Core, caller: &Caller) -> AppResult<Me> {
    audit::authorize(
        core,
        caller,
        Action::ReadSelf,
        &Event::new("session", AuditAction::Read),
    )
    .await?;
    match &caller.actor {
        Actor::Staff { id, .. } | Actor::EnrollingStaff { id, .. } => {
            let a = staff_account::Entity::find_by_id(*id)
                .one(&core.db)
                .await?
                .ok_or_else(ErrorKind::unauthenticated)?;
            let role: Role = a.role.parse().map_err(AppError::internal)?;
            Ok(Me::Staff {
                id: a.id,
                email: a.email,
                display_name: a.display_name,
                role,
                hospital_id: a.hospital_id,
                mfa_enabled: a.totp_enabled_at.is_some(),
                mfa_enrollment_required: matches!(caller.actor, Actor::EnrollingStaff { .. }),
                permissions: role
                    .permissions()
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            })
        }
        Actor::Patient { id } => {
            let p = patient::Entity::find_by_id(*id)
                .one(&core.db)
                .await?
                .ok_or_else(ErrorKind::unauthenticated)?;
            let first_name = core
                .keyring
                .open("patients", "first_name", p.id, &p.first_name)
                .map_err(AppError::internal)?;
            Ok(Me::Patient {
                id: p.id,
                first_name,
            })
        }
        Actor::Proxy { id, acting_for } => Ok(Me::Proxy {
            id: *id,
            acting_for: acting_for.map(|f| f.patient),
        }),
        Actor::Client { .. } => Err(ErrorKind::forbidden().into()),
        Actor::System | Actor::Anonymous => Err(ErrorKind::unauthenticated().into()),
    }
}
