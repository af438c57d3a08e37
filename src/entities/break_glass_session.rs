use sea_orm::entity::prelude::*;

/// A break-glass opening: `staff_id` of `hospital_id` reads the whole record of `patient_id`
/// from `started_at` until `ends_at`. `reason` and `review_note` are sealed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "break_glass_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub staff_id: Uuid,
    pub reason: String,
    pub started_at: ChronoDateTimeUtc,
    pub ends_at: ChronoDateTimeUtc,
    /// `reviewed` or `escalated`; none while waiting for review.
    pub review_outcome: Option<String>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
