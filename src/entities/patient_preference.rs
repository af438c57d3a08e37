use sea_orm::entity::prelude::*;

/// A patient's portal preferences (absent until they first change one).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub patient_id: Uuid,
    /// `sms`, `email` or `none`.
    pub reminder_channel: String,
    /// `HH:MM`, local clock time.
    pub quiet_from: Option<String>,
    pub quiet_until: Option<String>,
    /// `en`, `sw`, `fr` or `pt`; none for the browser's.
    pub language: Option<String>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
