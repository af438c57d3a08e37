use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hospitals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub code: String,
    pub address: Option<String>,
    pub contact_email: String,
    pub country: String,
    pub active: bool,
    pub version: i64,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Rule-set override of the WHO viral-load thresholds (copies/mL).
    pub vl_low_level_above: Option<f64>,
    pub vl_unsuppressed_above: Option<f64>,
    /// How long a break-glass opening lasts at this hospital.
    pub break_glass_minutes: i32,
    /// IANA time zone (`Africa/Nairobi`): the schedule's days and the hour reminders go out.
    pub timezone: String,
    /// The decision-support rule set the hospital chose (`who`, `kenya`).
    pub rule_set: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::staff_account::Entity")]
    StaffAccount,
}

impl Related<super::staff_account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StaffAccount.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
