//! The notification outbox: messages are written in the same transaction as what caused them,
//! then delivered by a background worker over SMTP (lettre) or the SMS provider's HTTP API,
//! with retries and exponential backoff. Several instances share the work: a message is
//! claimed in a write transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL) before it is sent.
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
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{self, Event};
use crate::config::{MailerConfig, MailerTls, SmsConfig};
use crate::db::begin_write;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::platform::outbox::OutboxItem;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

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

/// Writes a message with `status`, its address and text sealed for its row.
async fn insert_message(
    core: &Core,
    txn: &impl ConnectionTrait,
    message: Message,
    status: &str,
) -> AppResult<Uuid> {
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
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(id)
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

/// Claims due messages so no other worker sends them.
async fn claim(core: &Core) -> AppResult<Vec<outbox_message::Model>> {
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

/// One delivery pass: claims what is due, sends it, records the outcome. Returns how many
/// were sent.
pub async fn deliver_due(core: &Core) -> AppResult<usize> {
    let due = claim(core).await?;
    let mut sent = 0;
    for m in due {
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
        let mut active: outbox_message::ActiveModel = m.into();
        active.attempts = Set(attempts);
        active.claimed_until = Set(None);
        match result {
            Ok(()) => {
                active.status = Set("sent".into());
                active.sent_at = Set(Some(now));
                active.last_error = Set(None);
                sent += 1;
            }
            Err(error) => {
                // Transports may echo the recipient in their errors; it is personal data.
                let error = error.replace(&to, "<recipient>");
                tracing::warn!(attempts, %error, "outbox delivery failed");
                active.last_error = Set(Some(error.chars().take(500).collect()));
                if attempts >= MAX_ATTEMPTS {
                    active.status = Set("failed".into());
                } else {
                    active.next_attempt_at = Set(now + backoff(attempts));
                }
            }
        }
        let txn = begin_write(&core.db).await?;
        active.update(&txn).await?;
        txn.commit().await?;
    }
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

/// Runs delivery passes until the process stops: woken by new messages, and every 5 seconds
/// for retries.
pub fn spawn_worker(core: Core) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&core).await {
                tracing::warn!(error = %e, "outbox pass failed");
            }
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                core.outbox_wake.notified(),
            )
            .await;
        }
    })
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
