use sea_orm::entity::prelude::*;

/// An integration client of a hospital (client-credentials grant).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub name: String,
    /// Permission names, space-separated.
    pub scopes: String,
    /// SHA-256 hex of the secret.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// Raised by a rotation or a disable: older tokens stop working.
    pub credentials_version: i64,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    pub rotated_at: Option<ChronoDateTimeUtc>,
    pub disabled_at: Option<ChronoDateTimeUtc>,
    /// When it last got a token.
    pub last_used_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::hospital::Entity",
        from = "Column::HospitalId",
        to = "super::hospital::Column::Id"
    )]
    Hospital,
}

impl Related<super::hospital::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Hospital.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
