use sea_orm::entity::prelude::*;

/// An invoice for a completed visit (one per appointment).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub appointment_id: Uuid,
    pub cpt_id: Uuid,
    pub hospital_id: Uuid,
    pub patient_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    /// `paid` or `unpaid`.
    pub status: String,
    pub paid_at: Option<ChronoDateTimeUtc>,
    /// When the visit took place.
    pub visit_date: ChronoDateTimeUtc,
    pub created_by: Uuid,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
