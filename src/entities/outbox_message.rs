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
    /// `pending`, `sent`, `failed` (a dead letter, after the last attempt), `held` (no transport
    /// configured), `dropped` (no longer wanted when its time came) or `withheld`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    pub claimed_until: Option<ChronoDateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub sent_at: Option<ChronoDateTimeUtc>,
    /// The hospital and the patient a notification concerns (none for codes and invitations).
    pub hospital_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    /// What a notification is about (`appointment:<id>`, `dispensing:<id>`, ...), looked at
    /// again just before it is sent.
    pub subject_ref: Option<String>,
    /// Unique: a trigger seen twice (or by two instances) queues one message.
    pub dedupe_key: Option<String>,
    /// The worker pass that holds the message; it renews its claim just before sending.
    pub claim_token: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
