//! Portal sign-in with a one-time code by email or SMS (SPEC 2.1): patients, and the family
//! members and guardians who act for them (proxies). A code goes to an address and signs in
//! the patient who has it, or else the proxy who does; each counts its own failures.
//!
//! Codes: 6 digits from the OS CSPRNG, stored only as a keyed hash, valid 10 minutes, single
//! use, at most 5 wrong tries per code, at most 5 sends per address per hour. Failures also
//! count per account across codes (a new code never resets them); 100 consecutive failures lock
//! the portal sign-in until staff unlock it. The answer to a request never reveals whether the
//! address is known: unknown addresses get the same 202 and no message, and every request logs
//! itself (`code_requests`) in one committed write, so both take about as long.

use chrono::Duration;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::tokens::{self, Stage, Subject, SubjectKind};
use crate::crypto::constant_time_eq;
use crate::db::{begin_write, changed_one, locked};
use crate::domain::identity::auth::{
    otp_destination, parse_otp_code, OtpDestination, OtpRequest, OtpVerifyRequest, TokenResponse,
};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{code_request, patient, proxy, proxy_relationship, sign_in_code};
use crate::error::{AppError, AppResult};
use crate::policy::{Actor, Caller, RequestMeta};
use crate::services::clinical::patients::{destination_index, find_by_destination};
use crate::services::platform::audit::{self, Event};
use crate::services::platform::outbox::{self, Channel, Message};
use crate::services::Core;

pub const CODE_MINUTES: i64 = 10;
pub const TRIES_PER_CODE: i32 = 5;
pub const SENDS_PER_HOUR: u64 = 5;
pub const LOCK_AFTER_FAILURES: i32 = 100;

/// Who an address signs in: the patient who has it, or else a proxy who acts (or was asked to
/// act) for someone.
enum Account {
    Patient(Box<patient::Model>),
    Proxy(proxy::Model),
}

impl Account {
    fn id(&self) -> Uuid {
        match self {
            Account::Patient(p) => p.id,
            Account::Proxy(p) => p.id,
        }
    }

    fn locked(&self) -> bool {
        match self {
            Account::Patient(p) => p.locked_at.is_some(),
            Account::Proxy(p) => p.locked_at.is_some(),
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Account::Patient(p) => Actor::Patient { id: p.id },
            Account::Proxy(p) => Actor::Proxy {
                id: p.id,
                acting_for: None,
            },
        }
    }

    /// The code column naming this account.
    fn code_owner(&self) -> sea_orm::sea_query::SimpleExpr {
        match self {
            Account::Patient(p) => sign_in_code::Column::PatientId.eq(p.id),
            Account::Proxy(p) => sign_in_code::Column::ProxyId.eq(p.id),
        }
    }
}

/// The account `destination` signs in, its row locked when `lock` (sends and failures of one
/// account then take turns). The same reads whatever the address.
async fn account_at(
    core: &Core,
    txn: &sea_orm::DatabaseTransaction,
    destination: &OtpDestination,
    lock: bool,
) -> AppResult<Option<Account>> {
    let found = find_by_destination(core, txn, destination).await?;
    let select = patient::Entity::find_by_id(found.map(|p| p.id).unwrap_or_default());
    let patient = if lock { locked(select, txn) } else { select }
        .one(txn)
        .await?;
    if let Some(p) = patient {
        return Ok(Some(Account::Patient(Box::new(p))));
    }
    let select = proxy::Entity::find()
        .filter(proxy::Column::DestinationIndex.eq(destination_index(core, destination)));
    let Some(proxy) = if lock { locked(select, txn) } else { select }
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    // Only someone who acts for a patient, or was asked to, signs in.
    let open = proxy_relationship::Entity::find()
        .filter(proxy_relationship::Column::ProxyId.eq(proxy.id))
        .filter(proxy_relationship::Column::EndedAt.is_null())
        .count(txn)
        .await?;
    Ok((open > 0).then_some(Account::Proxy(proxy)))
}

fn code_hash(core: &Core, otp_id: Uuid, code: &str) -> String {
    core.keyring.blind_index("otp", &format!("{otp_id}:{code}"))
}

/// The discreet text of a code message: no clinic type, no condition, no value.
pub fn code_message(code: &str) -> String {
    format!(
        "Your HospitalLink sign-in code is {code}. It expires in {CODE_MINUTES} minutes. \
         If you did not ask for it, you can ignore this message."
    )
}

/// Sends a code when the address belongs to a patient who may sign in. Always `Ok(())` for a
/// well-formed request (the handler answers 202), whatever the address.
pub async fn request(core: &Core, meta: &RequestMeta, input: &OtpRequest) -> AppResult<()> {
    let destination = otp_destination(input.email.as_deref(), input.phone.as_deref())?;
    let now = core.clock.now();
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    core.limits
        .otp_request_per_ip
        .hit(&format!("ip:{ip}"), now)?;
    let index = destination_index(core, &destination);
    let txn = begin_write(&core.db).await?;
    // The account's row is locked before the sends are counted, so requests arriving together
    // count one after another and at most `SENDS_PER_HOUR` codes go out.
    let account = account_at(core, &txn, &destination, true).await?;
    // Codes sent to this address in the last hour (requests past the limit send none and so
    // do not keep it closed).
    let recent = sign_in_code::Entity::find()
        .filter(sign_in_code::Column::DestinationIndex.eq(&index))
        .filter(sign_in_code::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&txn)
        .await?;
    // The same writes whatever the address, so the answer takes as long for an address nobody
    // has (or one past its limit): a code row and a message row. Where no code goes out, the
    // code is logged in `code_requests` and the message is kept `withheld` (its address and
    // text are placeholders, never the typed address); both are forgotten after a day.
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let (channel, subject) = match destination {
        OtpDestination::Email(_) => (Channel::Email, Some("Your sign-in code".to_string())),
        OtpDestination::Phone(_) => (Channel::Sms, None),
    };
    let forget_before = now - Duration::hours(24);
    code_request::Entity::delete_many()
        .filter(code_request::Column::CreatedAt.lt(forget_before))
        .exec(&txn)
        .await?;
    outbox::forget_withheld(&txn, forget_before).await?;
    let id = Uuid::now_v7();
    match account.filter(|a| recent < SENDS_PER_HOUR && !a.locked()) {
        Some(account) => {
            let (patient_id, proxy_id) = match &account {
                Account::Patient(p) => (Some(p.id), None),
                Account::Proxy(p) => (None, Some(p.id)),
            };
            sign_in_code::ActiveModel {
                id: Set(id),
                patient_id: Set(patient_id),
                proxy_id: Set(proxy_id),
                destination_index: Set(index),
                code_hash: Set(code_hash(core, id, &code)),
                expires_at: Set(now + Duration::minutes(CODE_MINUTES)),
                attempts: Set(0),
                used_at: Set(None),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            let message = Message {
                channel,
                purpose: "otp",
                to: destination.value().to_string(),
                subject,
                body: code_message(&code),
            };
            outbox::enqueue(core, &txn, message).await?;
        }
        None => {
            code_request::ActiveModel {
                id: Set(id),
                code_hash: Set(code_hash(core, id, &code)),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            let placeholder = Message {
                channel,
                purpose: "otp",
                to: "-".repeat(destination.value().len()),
                subject,
                body: code_message(&code),
            };
            outbox::enqueue_withheld(core, &txn, placeholder).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

fn invalid_code() -> AppError {
    ErrorKind::Unauthenticated {
        message: "The code is not correct or has expired. Ask for a new code.".into(),
    }
    .into()
}

/// Checks a code; on success the patient is signed in (a browser session follows).
pub async fn verify(
    core: &Core,
    meta: &RequestMeta,
    input: &OtpVerifyRequest,
) -> AppResult<Subject> {
    Ok(check(core, meta, input, false).await?.0)
}

/// Checks a code and issues API tokens in the same transaction.
pub async fn verify_for_tokens(
    core: &Core,
    meta: &RequestMeta,
    input: &OtpVerifyRequest,
) -> AppResult<TokenResponse> {
    check(core, meta, input, true)
        .await?
        .1
        .ok_or_else(|| AppError::internal("tokens were asked for"))
}

async fn check(
    core: &Core,
    meta: &RequestMeta,
    input: &OtpVerifyRequest,
    with_tokens: bool,
) -> AppResult<(Subject, Option<TokenResponse>)> {
    let destination = otp_destination(input.email.as_deref(), input.phone.as_deref())?;
    let code = parse_otp_code("code", input.code.as_deref())?;
    let now = core.clock.now();
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    core.limits
        .otp_verify_per_ip
        .hit(&format!("ip:{ip}"), now)?;
    let index = destination_index(core, &destination);
    let txn = begin_write(&core.db).await?;
    let account = account_at(core, &txn, &destination, false).await?;
    let otp = match &account {
        Some(a) => {
            sign_in_code::Entity::find()
                .filter(a.code_owner())
                .filter(sign_in_code::Column::DestinationIndex.eq(&index))
                .filter(sign_in_code::Column::UsedAt.is_null())
                .filter(sign_in_code::Column::ExpiresAt.gt(now))
                .filter(sign_in_code::Column::Attempts.lt(TRIES_PER_CODE))
                .order_by_desc(sign_in_code::Column::CreatedAt)
                .one(&txn)
                .await?
        }
        None => None,
    };
    let (Some(account), Some(otp)) = (account.filter(|a| !a.locked()), otp) else {
        txn.commit().await?;
        return Err(invalid_code());
    };
    // A try is granted before the code is compared, by one conditional write: of guesses
    // arriving together at most `TRIES_PER_CODE` are ever compared.
    let granted = sign_in_code::Entity::update_many()
        .col_expr(
            sign_in_code::Column::Attempts,
            Expr::col(sign_in_code::Column::Attempts).add(1),
        )
        .filter(sign_in_code::Column::Id.eq(otp.id))
        .filter(sign_in_code::Column::Attempts.lt(TRIES_PER_CODE))
        .filter(sign_in_code::Column::UsedAt.is_null())
        .filter(sign_in_code::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if !changed_one(&granted) {
        return Err(invalid_code());
    }
    let caller = Caller::new(account.actor(), meta.clone());
    let entity = caller.actor.kind();
    let on_behalf = match &account {
        Account::Patient(p) => Some(p.id),
        Account::Proxy(_) => None,
    };
    let matches = constant_time_eq(
        code_hash(core, otp.id, &code).as_bytes(),
        otp.code_hash.as_bytes(),
    );
    if !matches {
        let locked_now = count_failure(&txn, &account, now).await?;
        let mut event = Event::new(entity, AuditAction::LoginFailed)
            .entity_id(account.id())
            .details(serde_json::json!({"method": "otp", "locked": locked_now}));
        if let Some(p) = on_behalf {
            event = event.patient(p);
        }
        audit::append(&txn, now, &caller, &event, Outcome::Denied).await?;
        txn.commit().await?;
        return Err(invalid_code());
    }
    // Single use: exactly one of the requests presenting the right code consumes it.
    let consumed = sign_in_code::Entity::update_many()
        .col_expr(sign_in_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(sign_in_code::Column::Id.eq(otp.id))
        .filter(sign_in_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if !changed_one(&consumed) || !reset_failures(&txn, &account).await? {
        return Err(invalid_code());
    }
    let mut event = Event::new(entity, AuditAction::Login)
        .entity_id(account.id())
        .details(serde_json::json!({"method": "otp", "channel": destination.kind()}));
    if let Some(p) = on_behalf {
        event = event.patient(p);
    }
    audit::append(&txn, now, &caller, &event, Outcome::Allowed).await?;
    let (kind, ver) = match &account {
        Account::Patient(p) => (SubjectKind::Patient, p.credentials_version),
        Account::Proxy(p) => (SubjectKind::Proxy, p.credentials_version),
    };
    let subject = Subject {
        kind,
        id: account.id(),
        ver,
        stage: Stage::Full,
        auth_at: now,
        acting_for: None,
        scopes: None,
    };
    let tokens = if with_tokens {
        Some(tokens::issue_in(&txn, core, &subject).await?)
    } else {
        None
    };
    txn.commit().await?;
    Ok((subject, tokens))
}

/// Counts a wrong code against the account, in the database (never read, added to and written
/// back), then locks it at `LOCK_AFTER_FAILURES`. Whether this failure locked it.
async fn count_failure(
    txn: &sea_orm::DatabaseTransaction,
    account: &Account,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<bool> {
    let locked_now = match account {
        Account::Patient(p) => {
            patient::Entity::update_many()
                .col_expr(
                    patient::Column::OtpFailures,
                    Expr::col(patient::Column::OtpFailures).add(1),
                )
                .filter(patient::Column::Id.eq(p.id))
                .exec(txn)
                .await?;
            patient::Entity::update_many()
                .col_expr(patient::Column::LockedAt, Expr::value(Some(now)))
                .filter(patient::Column::Id.eq(p.id))
                .filter(patient::Column::LockedAt.is_null())
                .filter(patient::Column::OtpFailures.gte(LOCK_AFTER_FAILURES))
                .exec(txn)
                .await?
        }
        Account::Proxy(p) => {
            proxy::Entity::update_many()
                .col_expr(
                    proxy::Column::OtpFailures,
                    Expr::col(proxy::Column::OtpFailures).add(1),
                )
                .filter(proxy::Column::Id.eq(p.id))
                .exec(txn)
                .await?;
            proxy::Entity::update_many()
                .col_expr(proxy::Column::LockedAt, Expr::value(Some(now)))
                .filter(proxy::Column::Id.eq(p.id))
                .filter(proxy::Column::LockedAt.is_null())
                .filter(proxy::Column::OtpFailures.gte(LOCK_AFTER_FAILURES))
                .exec(txn)
                .await?
        }
    };
    Ok(changed_one(&locked_now))
}

/// After a right code the failure count starts again; an account locked (or a patient deleted)
/// meanwhile stays closed (`false`).
async fn reset_failures(txn: &sea_orm::DatabaseTransaction, account: &Account) -> AppResult<bool> {
    let open = match account {
        Account::Patient(p) => {
            patient::Entity::update_many()
                .col_expr(patient::Column::OtpFailures, Expr::value(0))
                .filter(patient::Column::Id.eq(p.id))
                .filter(patient::Column::LockedAt.is_null())
                .filter(patient::Column::DeletedAt.is_null())
                .exec(txn)
                .await?
        }
        Account::Proxy(p) => {
            proxy::Entity::update_many()
                .col_expr(proxy::Column::OtpFailures, Expr::value(0))
                .filter(proxy::Column::Id.eq(p.id))
                .filter(proxy::Column::LockedAt.is_null())
                .exec(txn)
                .await?
        }
    };
    Ok(changed_one(&open))
}
