//! The notification outbox: messages are written in the same transaction as what caused them,
//! then delivered by a background worker over SMTP (lettre) or the SMS provider's HTTP API,
//! with retries and exponential backoff; after `MAX_ATTEMPTS` a message is a dead letter
//! (`failed`) an admin may retry.
//!
//! Several instances share the work and send each message once: a worker pass claims due
//! messages under its own token in a write transaction (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has one writer), renews its claim on each message by a conditional write
//! just before sending it (so a claim that lapsed and was taken over is never sent twice), and
//! records the outcome under the same condition. A stopping worker finishes the message in hand
//! and releases the rest; a crashed one's claims lapse after `CLAIM_SECONDS` and are taken over,
//! so nothing is lost. (A crash between the provider accepting a message and the outcome being
//! written is the one moment a message can go twice: no SMTP or SMS provider takes part in our
//! transaction.)
//!
//! A notification planned from data carries a `dedupe_key` (unique: planning it twice, or on two
//! instances at once, queues one) and what it is about (`subject_ref`), which is looked at again
//! just before sending: a reminder of a visit that moved, or to a patient who has since opted
//! out, is `dropped`.
//!
//! With no transport configured for a channel (the embedded default) messages are `held`:
//! kept, and shown to admins on the development outbox page, so codes can be read locally.
//! Destination and body are sealed: they may carry a patient's address and a code.

use chrono::Duration;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::audit::{self, Event};
use crate::config::{MailerConfig, MailerTls, SmsConfig};
use crate::db::begin_write;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::platform::outbox::{Delivery, OutboxItem, STATUSES};
use crate::domain::ErrorKind;
use crate::entities::outbox_message;
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::Core;

/// Attempts before a message is marked `failed`.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claim lasts before another worker may take the message over.
const CLAIM_SECONDS: i64 = 120;
const BATCH: u64 = 20;

pub use crate::domain::notifications::Channel;

/// A message to send. Never name HIV, a medicine, a diagnosis or a value in it.
#[derive(Clone, Debug)]
pub struct Message {
    pub channel: Channel,
    pub purpose: &'static str,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
}

fn configured(core: &Core, channel: Channel) -> bool {
    match channel {
        Channel::Email => core.config.mailer.is_some(),
        Channel::Sms => core.config.sms.is_some(),
    }
}

/// Writes a message inside `txn`; the worker is woken once the transaction has committed.
pub async fn enqueue(core: &Core, txn: &impl ConnectionTrait, message: Message) -> AppResult<Uuid> {
    let status = if configured(core, message.channel) {
        "pending"
    } else {
        "held"
    };
    let id = insert_message(core, txn, message, status).await?;
    core.outbox_wake.notify_one();
    Ok(id)
}

/// A notification planned from data: the message, what it concerns, its unique key and when it
/// may go.
#[derive(Clone, Debug)]
pub struct Planned {
    pub message: Message,
    pub hospital_id: Uuid,
    pub patient_id: Uuid,
    pub subject_ref: String,
    pub dedupe_key: String,
    pub not_before: chrono::DateTime<chrono::Utc>,
}

/// Queues a planned notification unless one with its key exists; whether it was queued.
pub async fn enqueue_once(
    core: &Core,
    txn: &impl ConnectionTrait,
    planned: Planned,
) -> AppResult<bool> {
    let status = if configured(core, planned.message.channel) {
        "pending"
    } else {
        "held"
    };
    let extras = Extras {
        hospital_id: Some(planned.hospital_id),
        patient_id: Some(planned.patient_id),
        subject_ref: Some(planned.subject_ref),
        dedupe_key: Some(planned.dedupe_key),
        not_before: Some(planned.not_before),
    };
    // One statement that does nothing on a key already queued (a failed insert would end a
    // PostgreSQL transaction).
    let inserted = outbox_message::Entity::insert(model_of(core, planned.message, status, extras))
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(outbox_message::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted > 0 {
        core.outbox_wake.notify_one();
    }
    Ok(inserted > 0)
}

/// What a message may carry besides its text.
#[derive(Default)]
struct Extras {
    hospital_id: Option<Uuid>,
    patient_id: Option<Uuid>,
    subject_ref: Option<String>,
    dedupe_key: Option<String>,
    not_before: Option<chrono::DateTime<chrono::Utc>>,
}

/// Writes a message with `status`, its address and text sealed for its row.
async fn insert_message(
    core: &Core,
    txn: &impl ConnectionTrait,
    message: Message,
    status: &str,
) -> AppResult<Uuid> {
    insert_with(core, txn, message, status, Extras::default()).await
}

async fn insert_with(
    core: &Core,
    txn: &impl ConnectionTrait,
    message: Message,
    status: &str,
    extras: Extras,
) -> AppResult<Uuid> {
    let model = model_of(core, message, status, extras);
    let id = model.id.clone().unwrap();
    model.insert(txn).await?;
    Ok(id)
}

/// A new message's row, its address and text sealed.
fn model_of(
    core: &Core,
    message: Message,
    status: &str,
    extras: Extras,
) -> outbox_message::ActiveModel {
    let id = Uuid::now_v7();
    let now = core.clock.now();
    let table = "outbox_messages";
    outbox_message::ActiveModel {
        id: Set(id),
        channel: Set(message.channel.as_str().into()),
        purpose: Set(message.purpose.into()),
        destination: Set(core.keyring.seal(table, "destination", id, &message.to)),
        subject: Set(message.subject),
        body: Set(core.keyring.seal(table, "body", id, &message.body)),
        status: Set(status.into()),
        attempts: Set(0),
        next_attempt_at: Set(extras.not_before.unwrap_or(now).max(now)),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        hospital_id: Set(extras.hospital_id),
        patient_id: Set(extras.patient_id),
        subject_ref: Set(extras.subject_ref),
        dedupe_key: Set(extras.dedupe_key),
        claim_token: Set(None),
    }
}

/// Writes a message that is never sent (`withheld`), as the same work as `enqueue`: a sign-in
/// code request for an address nobody has costs what a real one costs. Its fields are
/// placeholders; it is not listed and is forgotten after a day (`forget_withheld`).
pub async fn enqueue_withheld(
    core: &Core,
    txn: &impl ConnectionTrait,
    message: Message,
) -> AppResult<Uuid> {
    let id = insert_message(core, txn, message, WITHHELD).await?;
    // The worker wakes as for a real message (and finds nothing to send), so what follows a
    // request costs the same too.
    core.outbox_wake.notify_one();
    Ok(id)
}

/// The status of a message written only to cost what a real one costs.
const WITHHELD: &str = "withheld";

/// Removes withheld messages written before `before`.
pub async fn forget_withheld(
    txn: &impl ConnectionTrait,
    before: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::Status.eq(WITHHELD))
        .filter(outbox_message::Column::CreatedAt.lt(before))
        .exec(txn)
        .await?;
    Ok(())
}

/// Claims due messages under `token` so no other worker sends them.
async fn claim(core: &Core, token: Uuid) -> AppResult<Vec<outbox_message::Model>> {
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let mut query = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq("pending"))
        .filter(outbox_message::Column::NextAttemptAt.lte(now))
        .filter(
            outbox_message::Column::ClaimedUntil
                .is_null()
                .or(outbox_message::Column::ClaimedUntil.lt(now)),
        )
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .limit(BATCH);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let due = query.all(&txn).await?;
    if !due.is_empty() {
        outbox_message::Entity::update_many()
            .col_expr(
                outbox_message::Column::ClaimedUntil,
                Expr::value(Some(now + Duration::seconds(CLAIM_SECONDS))),
            )
            .col_expr(outbox_message::Column::ClaimToken, Expr::value(Some(token)))
            .filter(outbox_message::Column::Id.is_in(due.iter().map(|m| m.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(due)
}

fn backoff(attempts: i32) -> Duration {
    Duration::seconds(30 * 2i64.pow(attempts.clamp(0, 10) as u32))
}

/// Renews `token`'s claim on message `id` just before it is sent: false when the claim lapsed
/// and another worker took the message over (or it was settled meanwhile).
async fn renew(core: &Core, id: Uuid, token: Uuid) -> AppResult<bool> {
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let renewed = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(Some(now + Duration::seconds(CLAIM_SECONDS))),
        )
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::ClaimToken.eq(token))
        .filter(outbox_message::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(crate::db::changed_one(&renewed))
}

/// Writes a message's outcome, if `token` still holds it.
async fn settle(
    core: &Core,
    id: Uuid,
    token: Uuid,
    changes: Vec<(outbox_message::Column, sea_orm::sea_query::SimpleExpr)>,
) -> AppResult<()> {
    let txn = begin_write(&core.db).await?;
    let mut update = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .col_expr(
            outbox_message::Column::ClaimToken,
            Expr::value(None::<Uuid>),
        );
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    update
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::ClaimToken.eq(token))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Lets go of what `token` still holds (a stopping worker), for another pass to take at once.
async fn release(core: &Core, token: Uuid) -> AppResult<()> {
    let txn = begin_write(&core.db).await?;
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::ClaimedUntil,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .col_expr(
            outbox_message::Column::ClaimToken,
            Expr::value(None::<Uuid>),
        )
        .filter(outbox_message::Column::ClaimToken.eq(token))
        .filter(outbox_message::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// One delivery pass: claims what is due, sends it, records the outcome. Returns how many
/// were sent.
pub async fn deliver_due(core: &Core) -> AppResult<usize> {
    deliver_until(core, &std::sync::atomic::AtomicBool::new(false)).await
}

/// A delivery pass that stops between two messages once `stop` is set, releasing the rest.
async fn deliver_until(core: &Core, stop: &std::sync::atomic::AtomicBool) -> AppResult<usize> {
    let token = Uuid::now_v7();
    let due = claim(core, token).await?;
    let mut sent = 0;
    for m in due {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        if !renew(core, m.id, token).await? {
            continue;
        }
        if m.subject_ref.is_some() {
            if let Some(reason) = crate::services::notifications::no_longer_wanted(core, &m).await?
            {
                settle(
                    core,
                    m.id,
                    token,
                    vec![
                        (outbox_message::Column::Status, Expr::value("dropped")),
                        (outbox_message::Column::LastError, Expr::value(Some(reason))),
                    ],
                )
                .await?;
                continue;
            }
        }
        let to = core
            .keyring
            .open("outbox_messages", "destination", m.id, &m.destination)
            .map_err(AppError::internal)?;
        let body = core
            .keyring
            .open("outbox_messages", "body", m.id, &m.body)
            .map_err(AppError::internal)?;
        let result = match m.channel.as_str() {
            "email" => match &core.config.mailer {
                Some(cfg) => {
                    send_email(
                        cfg,
                        &to,
                        m.subject.as_deref().unwrap_or("HospitalLink"),
                        &body,
                    )
                    .await
                }
                None => Err("no mailer configured".into()),
            },
            "sms" => match &core.config.sms {
                Some(cfg) => send_sms(cfg, &to, &body).await,
                None => Err("no SMS provider configured".into()),
            },
            other => Err(format!("unknown channel {other}")),
        };
        let now = core.clock.now();
        let attempts = m.attempts + 1;
        let mut changes = vec![(outbox_message::Column::Attempts, Expr::value(attempts))];
        match result {
            Ok(()) => {
                changes.push((outbox_message::Column::Status, Expr::value("sent")));
                changes.push((outbox_message::Column::SentAt, Expr::value(Some(now))));
                changes.push((
                    outbox_message::Column::LastError,
                    Expr::value(None::<String>),
                ));
                sent += 1;
            }
            Err(error) => {
                // Transports may echo the recipient in their errors; it is personal data.
                let error = error.replace(&to, "<recipient>");
                tracing::warn!(attempts, %error, "outbox delivery failed");
                let error: String = error.chars().take(500).collect();
                changes.push((outbox_message::Column::LastError, Expr::value(Some(error))));
                if attempts >= MAX_ATTEMPTS {
                    changes.push((outbox_message::Column::Status, Expr::value("failed")));
                } else {
                    changes.push((
                        outbox_message::Column::NextAttemptAt,
                        Expr::value(now + backoff(attempts)),
                    ));
                }
            }
        }
        settle(core, m.id, token, changes).await?;
    }
    release(core, token).await?;
    Ok(sent)
}

async fn send_email(cfg: &MailerConfig, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let email = lettre::Message::builder()
        .from(cfg.from.parse().map_err(|e| format!("MAILER_FROM: {e}"))?)
        .to(to.parse().map_err(|e| format!("recipient: {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| e.to_string())?;
    let builder = match cfg.tls {
        MailerTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
        MailerTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host)
            .map_err(|e| e.to_string())?,
        MailerTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host).map_err(|e| e.to_string())?
        }
    };
    let mut builder = builder
        .port(cfg.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if let (Some(user), Some(pass)) = (&cfg.user, &cfg.pass) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.expose().clone()));
    }
    builder
        .build()
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn send_sms(cfg: &SmsConfig, to: &str, body: &str) -> Result<(), String> {
    let response = reqwest::Client::new()
        .post(&cfg.url)
        .bearer_auth(cfg.api_key.expose())
        .timeout(std::time::Duration::from_secs(20))
        .json(&serde_json::json!({"to": to, "body": body}))
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("SMS provider answered {}", response.status()))
    }
}

/// The delivery worker: passes until `stop` is set (woken by new messages, and every 5 seconds
/// for retries and planned messages); the message in hand is finished and the rest released.
pub struct Worker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Worker {
    pub(crate) fn new(
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
        handle: tokio::task::JoinHandle<()>,
    ) -> Self {
        Worker { stop, handle }
    }

    /// Stops after the message in hand, releasing the rest of its pass.
    pub async fn stop(self, core: &Core) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        core.outbox_wake.notify_one();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), self.handle).await;
    }
}

/// Starts the delivery worker.
pub fn spawn_worker(core: Core) -> Worker {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let handle = tokio::spawn(async move {
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            if let Err(e) = deliver_until(&core, &flag).await {
                tracing::warn!(error = %e, "outbox pass failed");
            }
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                core.outbox_wake.notified(),
            )
            .await;
        }
    });
    Worker { stop, handle }
}

/// The outbox for the development page: only in development mode, only for admins.
pub async fn list(core: &Core, caller: &Caller, page: PageRequest) -> AppResult<Page<OutboxItem>> {
    let event = Event::new("outbox_message", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOutbox, &event).await?;
    if !core.config.env.is_development() {
        return Err(ErrorKind::not_found("outbox").into());
    }
    let query = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.ne(WITHHELD))
        .order_by_desc(outbox_message::Column::CreatedAt)
        .order_by_desc(outbox_message::Column::Id);
    let total = query.clone().count(&core.db).await?;
    let rows = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(&core.db)
        .await?;
    audit::record(
        core,
        caller,
        &event.details(serde_json::json!({"count": rows.len()})),
        Outcome::Allowed,
    )
    .await?;
    let mut data = Vec::with_capacity(rows.len());
    for m in rows {
        let open = |column: &str, value: &str| {
            core.keyring
                .open("outbox_messages", column, m.id, value)
                .map_err(AppError::internal)
        };
        data.push(OutboxItem {
            id: m.id,
            to: open("destination", &m.destination)?,
            body: open("body", &m.body)?,
            channel: m.channel,
            purpose: m.purpose,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        });
    }
    Ok(Page {
        data,
        pagination: Pagination::new(page, total),
    })
}

/// The messages of the caller's hospital (platform admins: every message), newest first,
/// with their delivery status and never their text or address; `status` filters. Audited.
pub async fn deliveries(
    core: &Core,
    caller: &Caller,
    status: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<Delivery>> {
    let event = Event::new("outbox_message", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOutbox, &event).await?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if STATUSES.contains(&s) => Some(s.to_string()),
        Some(_) => {
            return Err(ErrorKind::invalid_field(
                "status",
                "must be pending, sent, failed, held or dropped",
            )
            .into())
        }
    };
    let mut query = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.ne(WITHHELD))
        .order_by_desc(outbox_message::Column::CreatedAt)
        .order_by_desc(outbox_message::Column::Id);
    if let Some(h) = caller.actor.hospital_id() {
        query = query.filter(outbox_message::Column::HospitalId.eq(h));
    }
    if let Some(s) = &status {
        query = query.filter(outbox_message::Column::Status.eq(s.as_str()));
    }
    let total = query.clone().count(&core.db).await?;
    let rows = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(&core.db)
        .await?;
    audit::record(
        core,
        caller,
        &event.details(serde_json::json!({"count": rows.len(), "status": status})),
        Outcome::Allowed,
    )
    .await?;
    Ok(Page {
        data: rows
            .into_iter()
            .map(|m| Delivery {
                id: m.id,
                channel: m.channel,
                purpose: m.purpose,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error,
                created_at: m.created_at,
                next_attempt_at: m.next_attempt_at,
                sent_at: m.sent_at,
                hospital_id: m.hospital_id,
            })
            .collect(),
        pagination: Pagination::new(page, total),
    })
}

/// Sends a dead letter again: back to `pending`, its attempts counted afresh. Only a `failed`
/// message of the caller's hospital (platform admins: any); 409 `not_failed` otherwise.
/// Audited.
pub async fn retry(core: &Core, caller: &Caller, id: Uuid) -> AppResult<()> {
    let event = Event::new("outbox_message", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::ReadOutbox, &event).await?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let found = outbox_message::Entity::find_by_id(id).one(&txn).await?;
    let visible = found.as_ref().is_some_and(|m| {
        m.status != WITHHELD
            && caller
                .actor
                .hospital_id()
                .is_none_or(|h| m.hospital_id == Some(h))
    });
    if !visible {
        return Err(ErrorKind::not_found("message").into());
    }
    let retried = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value("pending"))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::Status.eq("failed"))
        .exec(&txn)
        .await?;
    if !crate::db::changed_one(&retried) {
        return Err(ErrorKind::conflict_on(
            "not_failed",
            "status",
            "Only a message whose delivery failed is sent again.",
        )
        .into());
    }
    audit::append(
        &txn,
        now,
        caller,
        &event.details(serde_json::json!({"retry": true})),
        Outcome::Allowed,
    )
    .await?;
    txn.commit().await?;
    core.outbox_wake.notify_one();
    Ok(())
}
