use sea_orm::entity::prelude::*;

/// A patient known to a hospital, with that hospital's MRN. A removed link keeps its MRN
/// reserved and its (sealed) reason.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_hospital_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub mrn: String,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    pub removed_at: Option<ChronoDateTimeUtc>,
    pub removed_by: Option<Uuid>,
    pub removal_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
