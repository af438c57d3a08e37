//! Consecutive failed sign-ins, counted in the database so every instance sees them (the rules
//! and numbers: `domain::identity::lockout`).
//!
//! Failed passwords are counted per typed email, by the email's blind index, whether an
//! account has it or not: both get the same writes, the same waits and the same answers, so
//! the count tells nobody which addresses exist. At the lock threshold an existing account is
//! locked as well; the lock is audited and its holder gets an email. Failed second-factor codes
//! are counted on the account itself (the password was right). Each count is one conditional
//! write (`failures = failures + 1`), read back under the row's lock.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::db::{begin_write, changed_one, WriteTransaction};
use crate::domain::identity::lockout::{after_failure, AfterFailure, SignInStep};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{sign_in_failure, staff_account};
use crate::error::{AppError, AppResult};
use crate::policy::{Actor, Caller, RequestMeta};
use crate::services::platform::audit::{self, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

/// A typed address's failures are forgotten after a day without a new one.
const FORGET_AFTER_HOURS: i64 = 24;
/// After the lock threshold, the address waits this long between attempts.
const WAIT_WHEN_LOCKED_MINUTES: i64 = 32;

fn email_index(core: &Core, email: &str) -> String {
    core.keyring
        .blind_index("sign_in_email", &email.trim().to_lowercase())
}

fn wait_error(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    ErrorKind::RateLimited {
        retry_after_secs: (until - now).num_seconds().max(1) as u64,
    }
    .into()
}

/// 429 while the typed address must wait after its failures (before the password is hashed).
/// Otherwise whether failures are counted for it (a right password then clears them).
pub async fn password_wait(core: &Core, email: &str) -> AppResult<bool> {
    let now = core.clock.now();
    let row = sign_in_failure::Entity::find_by_id(email_index(core, email))
        .one(&core.db)
        .await?;
    match row
        .as_ref()
        .and_then(|r| r.wait_until)
        .filter(|until| *until > now)
    {
        Some(until) => Err(wait_error(until, now)),
        None => Ok(row.is_some()),
    }
}

/// Counts a wrong password typed for `email`; locks `account` (the account with that email,
/// if any) at the threshold.
pub async fn password_failed(
    core: &Core,
    meta: &RequestMeta,
    email: &str,
    account: Option<&staff_account::Model>,
) -> AppResult<()> {
    let now = core.clock.now();
    let index = email_index(core, email);
    let txn = begin_write(&core.db).await?;
    sign_in_failure::Entity::insert(sign_in_failure::ActiveModel {
        email_index: Set(index.clone()),
        failures: Set(1),
        wait_until: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(sign_in_failure::Column::EmailIndex)
            .value(
                sign_in_failure::Column::Failures,
                Expr::col((sign_in_failure::Entity, sign_in_failure::Column::Failures)).add(1),
            )
            .update_column(sign_in_failure::Column::UpdatedAt)
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let failures = sign_in_failure::Entity::find_by_id(index.clone())
        .one(&txn)
        .await?
        .map(|r| r.failures)
        .unwrap_or(1);
    let consequence = after_failure(SignInStep::Password, failures);
    let wait = match consequence {
        AfterFailure::Retry => None,
        AfterFailure::Wait(d) => Some(d),
        AfterFailure::Lock => Some(Duration::minutes(WAIT_WHEN_LOCKED_MINUTES)),
    };
    if let Some(wait) = wait {
        sign_in_failure::Entity::update_many()
            .col_expr(
                sign_in_failure::Column::WaitUntil,
                Expr::value(Some(now + wait)),
            )
            .filter(sign_in_failure::Column::EmailIndex.eq(&index))
            .exec(&txn)
            .await?;
    }
    sign_in_failure::Entity::delete_many()
        .filter(sign_in_failure::Column::UpdatedAt.lt(now - Duration::hours(FORGET_AFTER_HOURS)))
        .exec(&txn)
        .await?;
    if let (AfterFailure::Lock, Some(account)) = (consequence, account) {
        lock(core, &txn, meta, account, SignInStep::Password, failures).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A right password: the address's count starts again.
pub async fn password_succeeded(
    core: &Core,
    txn: &impl ConnectionTrait,
    email: &str,
) -> AppResult<()> {
    sign_in_failure::Entity::delete_by_id(email_index(core, email))
        .exec(txn)
        .await?;
    Ok(())
}

/// 403 for a locked account (said only once its password was right).
pub fn ensure_unlocked(account: &staff_account::Model) -> AppResult<()> {
    match account.sign_in_locked_at {
        Some(_) => Err(ErrorKind::Forbidden {
            code: "account_locked".into(),
            message: "This account is locked after repeated failed sign-ins. An administrator \
                      of your hospital can unlock it."
                .into(),
        }
        .into()),
        None => Ok(()),
    }
}

/// 429 while the account must wait after failed second-factor codes.
pub fn second_factor_wait(account: &staff_account::Model, now: DateTime<Utc>) -> AppResult<()> {
    match account
        .second_factor_wait_until
        .filter(|until| *until > now)
    {
        Some(until) => Err(wait_error(until, now)),
        None => Ok(()),
    }
}

/// Counts a wrong second-factor code inside the sign-in's transaction; locks at the threshold.
pub async fn second_factor_failed(
    core: &Core,
    txn: &WriteTransaction,
    meta: &RequestMeta,
    account: &staff_account::Model,
) -> AppResult<()> {
    let now = core.clock.now();
    staff_account::Entity::update_many()
        .col_expr(
            staff_account::Column::FailedSecondFactors,
            Expr::col(staff_account::Column::FailedSecondFactors).add(1),
        )
        .filter(staff_account::Column::Id.eq(account.id))
        .exec(txn)
        .await?;
    let failures = staff_account::Entity::find_by_id(account.id)
        .one(txn)
        .await?
        .map(|a| a.failed_second_factors)
        .unwrap_or(1);
    match after_failure(SignInStep::SecondFactor, failures) {
        AfterFailure::Retry => {}
        AfterFailure::Wait(wait) => {
            staff_account::Entity::update_many()
                .col_expr(
                    staff_account::Column::SecondFactorWaitUntil,
                    Expr::value(Some(now + wait)),
                )
                .filter(staff_account::Column::Id.eq(account.id))
                .exec(txn)
                .await?;
        }
        AfterFailure::Lock => {
            lock(core, txn, meta, account, SignInStep::SecondFactor, failures).await?;
        }
    }
    Ok(())
}

/// A right second-factor code: the account's count starts again.
pub async fn second_factor_succeeded(
    txn: &impl ConnectionTrait,
    account: &staff_account::Model,
) -> AppResult<()> {
    // Judged by the database, not by the account as read (failures may have been counted
    // since); a write only when there is something to reset.
    staff_account::Entity::update_many()
        .col_expr(staff_account::Column::FailedSecondFactors, Expr::value(0))
        .col_expr(
            staff_account::Column::SecondFactorWaitUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(staff_account::Column::Id.eq(account.id))
        .filter(
            sea_orm::Condition::any()
                .add(staff_account::Column::FailedSecondFactors.gt(0))
                .add(staff_account::Column::SecondFactorWaitUntil.is_not_null()),
        )
        .exec(txn)
        .await?;
    Ok(())
}

/// Locks the account (once: a lock already in place is left as it was), records it and tells
/// the account holder.
async fn lock(
    core: &Core,
    txn: &WriteTransaction,
    meta: &RequestMeta,
    account: &staff_account::Model,
    step: SignInStep,
    failures: i32,
) -> AppResult<()> {
    let now = core.clock.now();
    let locked = staff_account::Entity::update_many()
        .col_expr(
            staff_account::Column::SignInLockedAt,
            Expr::value(Some(now)),
        )
        .filter(staff_account::Column::Id.eq(account.id))
        .filter(staff_account::Column::SignInLockedAt.is_null())
        .exec(txn)
        .await?;
    if !changed_one(&locked) {
        return Ok(());
    }
    outbox::enqueue(
        core,
        txn,
        Message {
            channel: Channel::Email,
            purpose: "sign_in_locked",
            to: account.email.clone(),
            subject: Some("Your HospitalLink sign-in is locked".into()),
            body: "Someone tried to sign in to your HospitalLink account several times without \
                   success, so sign-in is locked. An administrator of your hospital can unlock \
                   it. If this was not you, tell them."
                .into(),
        },
    )
    .await?;
    let event = Event::new("staff_account", AuditAction::Update)
        .entity_id(account.id)
        .details(serde_json::json!({
            "sign_in_locked": true,
            "after": step.as_str(),
            "consecutive_failures": failures,
        }));
    let caller = Caller::new(Actor::System, meta.clone());
    audit::append(txn, now, &caller, &event, Outcome::Denied).await?;
    Ok(())
}

/// Lifts a lock and every count of the account (an admin's unlock, inside its transaction).
pub async fn unlock(
    core: &Core,
    txn: &impl ConnectionTrait,
    account: &staff_account::Model,
) -> AppResult<()> {
    staff_account::Entity::update_many()
        .col_expr(
            staff_account::Column::SignInLockedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(staff_account::Column::FailedSecondFactors, Expr::value(0))
        .col_expr(
            staff_account::Column::SecondFactorWaitUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(staff_account::Column::Id.eq(account.id))
        .exec(txn)
        .await?;
    password_succeeded(core, txn, &account.email).await
}
