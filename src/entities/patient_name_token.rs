use sea_orm::entity::prelude::*;

/// Blind index of one name prefix of a patient (`Keyring::blind_index("name_prefix", ..)`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_name_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub patient_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
