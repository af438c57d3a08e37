use sea_orm::entity::prelude::*;

/// A hospital's own CPT code and fee for a visit type (the defaults apply where it has none).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_fees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hospital_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visit_type: String,
    pub cpt_code: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
