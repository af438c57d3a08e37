use sea_orm::entity::prelude::*;

/// Consecutive failed passwords typed for one email address (known or not), by the address's
/// blind index.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub email_index: String,
    pub failures: i32,
    /// No password for this address is checked before this moment.
    pub wait_until: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
