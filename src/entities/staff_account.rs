use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Staff emails stay clear (they are work addresses); stored lower case.
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// `None` for platform admins; every other role belongs to exactly one hospital.
    pub hospital_id: Option<Uuid>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
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
