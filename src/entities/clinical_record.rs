use sea_orm::entity::prelude::*;

/// One clinical record. The payload is sealed (it may hold free text); the values cohorts and
/// charts query are plain columns.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clinical_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub record_type: String,
    pub category: String,
    pub recorded_at: ChronoDateTimeUtc,
    pub payload: String,
    pub vl_copies: Option<f64>,
    pub vl_comparator: Option<String>,
    pub vl_qualitative: Option<String>,
    pub vl_lower_limit: Option<f64>,
    pub cd4_cells: Option<i64>,
    pub cd4_percent: Option<f64>,
    pub art_regimen: Option<String>,
    pub art_line: Option<String>,
    pub art_action: Option<String>,
    pub created_by: Uuid,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub version: i64,
    pub supersedes: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
    /// Kept from the patient's own view (notes only).
    pub clinician_only: bool,
    pub deleted_at: Option<ChronoDateTimeUtc>,
    pub deleted_by: Option<Uuid>,
    pub delete_reason: Option<String>,
    /// A dispensing's supply end (`recorded_at` plus the days supplied).
    pub supply_until: Option<ChronoDateTimeUtc>,
    /// The DAK interaction rules (HIV.D21.2.DT ids, comma-separated) the record was saved with.
    pub interaction_rules: Option<String>,
    /// The prescriber's reason for going ahead despite a severe interaction (sealed).
    pub override_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
