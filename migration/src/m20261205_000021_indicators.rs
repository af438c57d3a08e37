//! Indicators: a patient's month of birth in plain (`yyyymm`), so the indicators disaggregate
//! by MER age band in the database without opening the sealed date of birth. The day of birth
//! stays sealed. Rows written before this migration are filled in at startup
//! (`services::indicators::fill_birth_months`).
//!
//! Indexes that answer the indicators' queries without reading the tables' rows (SQLite uses
//! an index as covering only when it holds every column the query names, the partial index's
//! own condition included):
//! - live records by hospital, patient and time: each patient's last contact, one seek;
//! - live ART and dispensing records by hospital and patient: the per-patient treatment facts,
//!   grouped in patient order from a small part of all records;
//! - live viral-load results by hospital and time: the latest result and the monthly series;
//! - a hospital's links with their MRN and removal, and patients' plain month of birth and sex.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patients {
    Table,
    BirthMonth,
}

const INDEXES: [&str; 5] = [
    "CREATE INDEX idx_records_live_contacts ON clinical_records \
     (hospital_id, patient_id, recorded_at, deleted_at, superseded_by) \
     WHERE deleted_at IS NULL AND superseded_by IS NULL",
    "CREATE INDEX idx_records_live_treatment ON clinical_records \
     (hospital_id, patient_id, recorded_at, record_type, art_action, supply_until, \
     deleted_at, superseded_by) \
     WHERE record_type IN ('art_regimen', 'dispensing') \
     AND deleted_at IS NULL AND superseded_by IS NULL",
    "CREATE INDEX idx_records_live_viral_loads ON clinical_records \
     (hospital_id, recorded_at, patient_id, id, vl_copies, vl_comparator, vl_qualitative, \
     vl_lower_limit, record_type, deleted_at, superseded_by) \
     WHERE record_type = 'viral_load' AND deleted_at IS NULL AND superseded_by IS NULL",
    "CREATE INDEX idx_links_hospital_live ON patient_hospital_links \
     (hospital_id, removed_at, patient_id, mrn)",
    "CREATE INDEX idx_patients_indicators ON patients (id, deleted_at, birth_month, sex)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Patients::Table)
                    .add_column(ColumnDef::new(Patients::BirthMonth).integer())
                    .to_owned(),
            )
            .await?;
        // Partial indexes: both databases take the same statements.
        for statement in INDEXES {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_records_live_contacts",
            "idx_records_live_treatment",
            "idx_records_live_viral_loads",
            "idx_links_hospital_live",
            "idx_patients_indicators",
        ] {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX {name}"))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Patients::Table)
                    .drop_column(Patients::BirthMonth)
                    .to_owned(),
            )
            .await
    }
}
