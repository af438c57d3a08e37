use sea_orm::entity::prelude::*;

/// The outcome of tracing a patient from a worklist (WHO HIV DAK follow-up codes). The note is
/// sealed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tracing_outcomes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    /// The worklist it was recorded from (`iit`, `vl_due`, `unsuppressed`, `ahd`).
    pub worklist: String,
    pub outcome: String,
    pub outcome_date: ChronoDateTimeUtc,
    /// `phone`, `sms`, `home_visit`.
    pub contact_method: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
