use sea_orm::entity::prelude::*;

/// A message waiting to be (or already) delivered. Destination and body are sealed: they may
/// hold a patient's address and a one-time code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `email` or `sms`.
    pub channel: String,
    /// `otp`, `invitation`, ...
    pub purpose: String,
    pub destination: String,
    pub subject: Option<String>,
    pub body: String,
    /// `pending`, `sent`, `failed`, or `held` (no transport configured).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    pub claimed_until: Option<ChronoDateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub sent_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
