use sea_orm::entity::prelude::*;

/// A consent grant: `hospital_id` may see `categories` (comma-separated names) of the
/// patient's data from `starts_at` until `expires_at` or `revoked_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub categories: String,
    pub purpose: String,
    pub starts_at: ChronoDateTimeUtc,
    pub expires_at: Option<ChronoDateTimeUtc>,
    /// `patient`, `signed_form` or `code_confirmed`.
    pub source: String,
    pub consent_form_id: Option<Uuid>,
    /// The staff member who recorded it (the patient's id when they granted it themselves).
    pub created_by: Option<Uuid>,
    /// The hospital of the staff member who recorded it.
    pub created_by_hospital_id: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    /// The consent request whose code the patient read back (`code_confirmed` grants).
    pub consent_request_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
