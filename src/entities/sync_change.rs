use sea_orm::entity::prelude::*;

/// One change of a patient's profile or of a record, numbered in commit order (the changes
/// feed). `audience` narrows it to one hospital (records a new grant opened to it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// `patient` or `record`.
    pub entity: String,
    pub entity_id: Uuid,
    pub patient_id: Uuid,
    /// The record's hospital; for a profile, the hospital that changed it.
    pub hospital_id: Uuid,
    pub record_type: Option<String>,
    pub audience: Option<Uuid>,
    pub changed_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
