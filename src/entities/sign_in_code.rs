use sea_orm::entity::prelude::*;

/// A one-time sign-in code sent to an address, kept only as a keyed hash: for the patient who
/// has the address, or else the proxy who does (exactly one of the two is set).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Option<Uuid>,
    pub proxy_id: Option<Uuid>,
    /// The blind index of the email or phone the code went to.
    pub destination_index: String,
    pub code_hash: String,
    pub expires_at: ChronoDateTimeUtc,
    pub attempts: i32,
    pub used_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
