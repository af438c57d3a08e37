use sea_orm::entity::prelude::*;

/// A person who acts for patients in the portal, known by the phone or email they sign in
/// with (sealed; looked up by its blind index).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proxies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The sealed address: `email:<address>` or `phone:<+digits>`.
    pub destination: String,
    #[sea_orm(unique)]
    pub destination_index: String,
    /// Consecutive failed sign-in codes; 100 locks the sign-in.
    pub otp_failures: i32,
    pub locked_at: Option<ChronoDateTimeUtc>,
    pub credentials_version: i64,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
