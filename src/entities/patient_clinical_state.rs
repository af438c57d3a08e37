use sea_orm::entity::prelude::*;

/// What the summary shows of a patient's records written by one hospital, kept up to date on
/// every record write so the chart never scans history.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "patient_clinical_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub patient_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub hospital_id: Uuid,
    pub art_start: Option<ChronoDateTimeUtc>,
    pub art_status: Option<String>,
    pub regimen: Option<String>,
    pub regimen_line: Option<String>,
    pub regimen_since: Option<ChronoDateTimeUtc>,
    pub latest_vl_id: Option<Uuid>,
    pub latest_vl_at: Option<ChronoDateTimeUtc>,
    pub latest_vl_copies: Option<f64>,
    pub latest_vl_comparator: Option<String>,
    pub latest_vl_qualitative: Option<String>,
    pub latest_vl_lower_limit: Option<f64>,
    pub previous_vl_id: Option<Uuid>,
    pub previous_vl_at: Option<ChronoDateTimeUtc>,
    pub previous_vl_copies: Option<f64>,
    pub previous_vl_comparator: Option<String>,
    pub previous_vl_qualitative: Option<String>,
    pub previous_vl_lower_limit: Option<f64>,
    pub latest_cd4_id: Option<Uuid>,
    pub latest_cd4_at: Option<ChronoDateTimeUtc>,
    pub latest_cd4_cells: Option<i64>,
    pub latest_cd4_percent: Option<f64>,
    pub last_record_at: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
