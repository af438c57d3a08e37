//! Staff accounts. Sign-in, invitations and roles arrive with the security spine; what starts
//! here is the account model, password hashing and the bootstrap platform admin.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::Core;
use crate::db::{begin_write, is_unique_violation};
use crate::domain::role::Role;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;
use crate::entities::staff_account;
use crate::error::{AppError, AppResult};
use crate::policy::Actor;

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

/// Length rules of SPEC 2.1 (12-128 characters, any Unicode). The common-password list
/// arrives with invitations.
pub fn check_password(errors: &mut Errors, field: &str, password: &str) {
    let n = password.chars().count();
    if n < 12 {
        errors.add(field, "must be at least 12 characters");
    } else if n > 128 {
        errors.add(field, "must be at most 128 characters");
    }
}

/// Creates a platform admin (the `admin create` command). Fails with 409 if the email exists.
pub async fn create_platform_admin(core: &Core, email: &str, password: &str) -> AppResult<Uuid> {
    let mut e = Errors::new();
    let email = e.email("email", Some(email));
    check_password(&mut e, "password", password);
    e.finish(|| ())?;
    let hash = hash_password(password.to_string()).await?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let exists = staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .is_some();
    let taken = || -> AppError {
        ErrorKind::conflict_on(
            "email_taken",
            "email",
            "a staff account with this email exists",
        )
        .into()
    };
    if exists {
        return Err(taken());
    }
    let id = Uuid::now_v7();
    staff_account::ActiveModel {
        id: Set(id),
        email: Set(email.clone()),
        display_name: Set(email.split('@').next().unwrap_or_default().to_string()),
        role: Set(Role::PlatformAdmin.as_str().to_string()),
        hospital_id: Set(None),
        password_hash: Set(Some(hash)),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            taken()
        } else {
            err.into()
        }
    })?;
    txn.commit().await?;
    Ok(id)
}

/// Resolves email + password to an active staff actor (used by the temporary HTTP Basic
/// mechanism until sign-in sessions exist). Unknown emails cost the same as wrong passwords.
pub async fn authenticate(core: &Core, email: &str, password: &str) -> AppResult<Option<Actor>> {
    let account = staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(email.trim().to_lowercase()))
        .one(&core.db)
        .await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let ok = verify_password(password.to_string(), stored).await?;
    let Some(account) = account.filter(|a| ok && a.active) else {
        return Ok(None);
    };
    let role: Role = account.role.parse().map_err(AppError::internal)?;
    Ok(Some(Actor::Staff {
        id: account.id,
        role,
        hospital_id: account.hospital_id,
    }))
}
