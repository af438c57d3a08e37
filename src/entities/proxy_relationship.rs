use sea_orm::entity::prelude::*;

/// Whom a proxy acts for, and how far.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proxy_relationships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The patient acted for.
    pub patient_id: Uuid,
    pub proxy_id: Uuid,
    /// The proxy's name as the patient or staff gave it (sealed).
    pub name: String,
    /// `parent`, `guardian`, `partner`, `child`, `sibling`, `other`.
    pub relationship: String,
    /// `view` or `manage`.
    pub access: String,
    /// `patient`, `proxy` or `staff`.
    pub added_by_kind: String,
    pub added_by: Option<Uuid>,
    /// The hospital whose staff added a guardian.
    pub hospital_id: Option<Uuid>,
    /// The signed consent form (an attachment of the patient) for a guardian added by staff.
    pub consent_form_id: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    /// When the proxy accepted (a guardian added by staff is accepted at once).
    pub accepted_at: Option<ChronoDateTimeUtc>,
    pub ended_at: Option<ChronoDateTimeUtc>,
    /// `patient`, `proxy` or `staff`.
    pub ended_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
