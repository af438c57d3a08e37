//! Staff accounts: password hashing and rules, invitations (emailed, single use, 72 hours),
//! the account list, role changes, disabling and re-enabling, and the bootstrap platform admin.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::db::{begin_write, is_unique_violation, locked};
use crate::domain::identity::auth::{parse_role, StaffMember, StaffUpdate};
use crate::domain::identity::role::Role;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;
use crate::entities::staff_account;
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// argon2id with m = 19456 KiB, t = 2, p = 1 (OWASP minimum, SPEC 2.1).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many hashes run at once, so password work never starves other requests.
fn hashing_permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| Arc::new(Semaphore::new(2))).clone()
}

/// Hashes on a blocking thread behind the concurrency limit.
pub async fn hash_password(password: String) -> AppResult<String> {
    let _permit = hashing_permits()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(e.to_string()))
    })
    .await
    .map_err(AppError::internal)?
}

/// Verifies on a blocking thread behind the concurrency limit. With no stored hash a dummy
/// verification runs so timing does not reveal whether the account exists.
pub async fn verify_password(password: String, stored: Option<String>) -> AppResult<bool> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let _permit = hashing_permits()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let dummy = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()
                .hash_password(b"dummy password for timing", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let (hash, real) = match stored.as_deref() {
            Some(h) => (h, true),
            None => (dummy.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && real
    })
    .await
    .map_err(AppError::internal)
}

/// The 10,000 most common passwords (lower case, one per line).
const COMMON_PASSWORDS: &str = include_str!("data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Whether `password` (compared in lower case) is among the 10,000 most common.
pub fn is_common_password(password: &str) -> bool {
    common_passwords().contains(password.to_lowercase().as_str())
}

/// Password rules of SPEC 2.1: 12-128 characters, any Unicode, no composition rules, not
/// among the 10,000 most common passwords.
pub fn check_password(errors: &mut Errors, field: &str, password: &str) {
    let n = password.chars().count();
    if n < 12 {
        errors.add(field, "must be at least 12 characters");
    } else if n > 128 {
        errors.add(field, "must be at most 128 characters");
    } else if is_common_password(password) {
        errors.add(field, "is one of the most common passwords; choose another");
    }
}

/// An account to create (validated, password already hashed).
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub hospital_id: Option<Uuid>,
    pub password_hash: String,
}

fn email_taken() -> AppError {
    ErrorKind::conflict_on(
        "email_taken",
        "email",
        "a staff account with this email exists",
    )
    .into()
}

/// 409 `email_taken` when a staff account uses `email` (lower case).
pub async fn ensure_email_free(txn: &impl ConnectionTrait, email: &str) -> AppResult<()> {
    let exists = staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(email))
        .one(txn)
        .await?
        .is_some();
    if exists {
        return Err(email_taken());
    }
    Ok(())
}

/// Inserts an account inside `txn`; 409 `email_taken` when the email is in use.
pub async fn insert_account(
    core: &Core,
    txn: &impl ConnectionTrait,
    new: NewAccount,
) -> AppResult<staff_account::Model> {
    ensure_email_free(txn, &new.email).await?;
    let now = core.clock.now();
    staff_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email),
        display_name: Set(new.display_name),
        role: Set(new.role.as_str().to_string()),
        hospital_id: Set(new.hospital_id),
        password_hash: Set(Some(new.password_hash)),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        totp_secret: Set(None),
        totp_pending_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        recovery_codes: Set(None),
        credentials_version: Set(1),
        last_login_at: Set(None),
        failed_second_factors: Set(0),
        second_factor_wait_until: Set(None),
        sign_in_locked_at: Set(None),
    }
    .insert(txn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            email_taken()
        } else {
            err.into()
        }
    })
}

/// Creates a platform admin (the `admin create` command). Fails with 409 if the email exists.
pub async fn create_platform_admin(core: &Core, email: &str, password: &str) -> AppResult<Uuid> {
    let mut e = Errors::new();
    let email = e.email("email", Some(email));
    check_password(&mut e, "password", password);
    e.finish(|| ())?;
    let password_hash = hash_password(password.to_string()).await?;
    let txn = begin_write(&core.db).await?;
    let account = insert_account(
        core,
        &txn,
        NewAccount {
            display_name: email.split('@').next().unwrap_or_default().to_string(),
            email,
            role: Role::PlatformAdmin,
            hospital_id: None,
            password_hash,
        },
    )
    .await?;
    let event = Event::new("staff_account", AuditAction::Create)
        .entity_id(account.id)
        .details(serde_json::json!({"role": "platform_admin", "via": "command_line"}));
    audit::append(
        &txn,
        core.clock.now(),
        &Caller::system(),
        &event,
        Outcome::Allowed,
    )
    .await?;
    txn.commit().await?;
    Ok(account.id)
}

pub(crate) fn view(a: staff_account::Model) -> AppResult<StaffMember> {
    Ok(StaffMember {
        id: a.id,
        role: a.role.parse().map_err(AppError::internal)?,
        email: a.email,
        display_name: a.display_name,
        hospital_id: a.hospital_id,
        active: a.active,
        mfa_enabled: a.totp_enabled_at.is_some(),
        sign_in_locked: a.sign_in_locked_at.is_some(),
        version: a.version,
        created_at: a.created_at,
        last_login_at: a.last_login_at,
    })
}

/// Staff accounts in the caller's scope: all for platform admins, their hospital's for
/// hospital admins.
pub async fn list(core: &Core, caller: &Caller, page: PageRequest) -> AppResult<Page<StaffMember>> {
    let event = Event::new("staff_account", AuditAction::Read);
    audit::authorize(core, caller, Action::ListStaff, &event).await?;
    let mut query = staff_account::Entity::find().order_by_asc(staff_account::Column::Email);
    if caller.actor.role() != Some(Role::PlatformAdmin) {
        query = query.filter(staff_account::Column::HospitalId.eq(caller.actor.hospital_id()));
    }
    let total = query.clone().count(&core.db).await?;
    let rows = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(&core.db)
        .await?;
    Ok(Page {
        data: rows.into_iter().map(view).collect::<AppResult<_>>()?,
        pagination: Pagination::new(page, total),
    })
}

async fn find_visible(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    event: &Event,
) -> AppResult<staff_account::Model> {
    let Some(account) = staff_account::Entity::find_by_id(id).one(&core.db).await? else {
        // Absent: the same answer as invisible.
        audit::authorize(core, caller, Action::ListStaff, event).await?;
        return Err(ErrorKind::not_found("staff account").into());
    };
    let role: Role = account.role.parse().map_err(AppError::internal)?;
    audit::authorize(
        core,
        caller,
        Action::ReadStaff {
            target: id,
            hospital_id: account.hospital_id,
            role,
        },
        event,
    )
    .await
    .map_err(|e| match e.kind {
        ErrorKind::NotFound { .. } => ErrorKind::not_found("staff account").into(),
        _ => e,
    })?;
    Ok(account)
}

/// One account.
pub async fn get(core: &Core, caller: &Caller, id: Uuid) -> AppResult<StaffMember> {
    let event = Event::new("staff_account", AuditAction::Read).entity_id(id);
    view(find_visible(core, caller, id, &event).await?)
}

/// Changes the role or the active flag. A change ends the account's sessions and tokens.
pub async fn update(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &StaffUpdate,
    if_match: Option<i64>,
) -> AppResult<StaffMember> {
    let event = Event::new("staff_account", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::ManageStaff, &event).await?;
    let mut e = Errors::new();
    let new_role = match input.role.as_deref() {
        Some(_) => parse_role(&mut e, "role", input.role.as_deref()),
        None => None,
    };
    if input.role.is_none() && input.active.is_none() && input.unlock.is_none() {
        e.add("role", "give a new role, an active flag or unlock");
    }
    if input.unlock == Some(false) {
        e.add(
            "unlock",
            "can only be true (a lock comes from failed sign-ins)",
        );
    }
    e.finish(|| ())?;
    let account = find_visible(core, caller, id, &event).await?;
    let role: Role = account.role.parse().map_err(AppError::internal)?;
    let new_role = new_role.unwrap_or(role);
    audit::authorize(
        core,
        caller,
        Action::UpdateStaff {
            target: id,
            hospital_id: account.hospital_id,
            role,
            new_role,
        },
        &event,
    )
    .await?;
    if let Some(expected) = if_match {
        if expected != account.version {
            return Err(ErrorKind::PreconditionFailed {
                current_version: account.version,
            }
            .into());
        }
    }
    let active = input.active.unwrap_or(account.active);
    let mut changed = Vec::new();
    if new_role != role {
        changed.push("role");
    }
    if active != account.active {
        changed.push("active");
    }
    let unlock = input.unlock == Some(true) && account.sign_in_locked_at.is_some();
    if unlock {
        changed.push("sign_in_unlocked");
    }
    if changed.is_empty() {
        return view(account);
    }
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    // Locked until the commit: a concurrent change waits and then gets a 412.
    let current = locked(staff_account::Entity::find_by_id(id), &txn)
        .one(&txn)
        .await?
        .ok_or_else(|| ErrorKind::not_found("staff account"))?;
    if current.version != account.version {
        return Err(ErrorKind::PreconditionFailed {
            current_version: current.version,
        }
        .into());
    }
    let mut model: staff_account::ActiveModel = current.clone().into();
    model.role = Set(new_role.as_str().to_string());
    model.active = Set(active);
    model.version = Set(current.version + 1);
    model.updated_at = Set(now);
    let credentials_changed = new_role != role || active != account.active;
    if credentials_changed {
        // Older sessions and tokens stop working.
        model.credentials_version = Set(current.credentials_version + 1);
    }
    model.update(&txn).await?;
    if credentials_changed {
        super::tokens::revoke_subject(&txn, id, now).await?;
    }
    if unlock {
        super::lockout::unlock(core, &txn, &current).await?;
    }
    let updated = staff_account::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("updated account vanished"))?;
    let event = event.details(serde_json::json!({
        "changed": changed,
        "role": new_role.as_str(),
        "active": active,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    view(updated)
}
