//! The notification outbox as admins see it: every message's delivery status (never its text
//! or address), and in development mode the messages whole.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A message as the development outbox page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: Uuid,
    pub channel: String,
    pub purpose: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message as the admins' message list shows it: what it is for, how it travels and how its
/// delivery goes. Never its text or its address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    pub channel: String,
    pub purpose: String,
    /// `pending`, `sent`, `failed` (a dead letter: retry it), `held`, `dropped`.
    pub status: String,
    pub attempts: i32,
    /// Why the last attempt failed, or why the message was dropped.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it goes (or went) out.
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub hospital_id: Option<Uuid>,
}

/// The statuses a message may have.
pub const STATUSES: [&str; 5] = ["pending", "sent", "failed", "held", "dropped"];
