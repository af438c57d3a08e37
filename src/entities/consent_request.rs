use sea_orm::entity::prelude::*;

/// A request for the patient's consent, confirmed by the code sent to them (kept as a keyed
/// hash; 5 tries; single use).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The hospital asking, which the grant would open the record to.
    pub hospital_id: Uuid,
    pub categories: String,
    pub purpose: String,
    pub grant_expires_at: Option<ChronoDateTimeUtc>,
    /// `sms` or `email`.
    pub channel: String,
    pub code_hash: String,
    pub code_expires_at: ChronoDateTimeUtc,
    pub attempts: i32,
    pub used_at: Option<ChronoDateTimeUtc>,
    pub requested_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
