use sea_orm::entity::prelude::*;

/// A hospital's own id for a patient or record it uploaded, the one it stands for now (a
/// corrected lab value moves it to the correction), and the hash of the body last uploaded.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_external_ids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hospital_id: Uuid,
    /// `patient` or `record`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_id: String,
    pub entity_id: Uuid,
    /// SHA-256 hex of the item as last uploaded.
    pub body_hash: String,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
