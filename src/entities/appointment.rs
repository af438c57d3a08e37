use sea_orm::entity::prelude::*;

/// A booking of a patient with a clinician of a hospital. `reason` and `notes` are sealed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub patient_id: Uuid,
    /// The clinician's staff account.
    pub provider_id: Uuid,
    pub scheduled_start: ChronoDateTimeUtc,
    pub scheduled_end: ChronoDateTimeUtc,
    pub status: String,
    pub visit_type: String,
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub cpt_id: Option<Uuid>,
    pub checked_in_at: Option<ChronoDateTimeUtc>,
    pub completed_at: Option<ChronoDateTimeUtc>,
    pub cancelled_at: Option<ChronoDateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
