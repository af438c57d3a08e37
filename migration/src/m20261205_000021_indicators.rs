//! Indicators: a patient's month of birth in plain (`yyyymm`), so the indicators disaggregate
//! by MER age band in the database without opening the sealed date of birth. The day of birth
//! stays sealed. Rows written before this migration are filled in at startup
//! (`services::indicators::fill_birth_months`).
//!
//! An index of live records by hospital and patient holding every column the indicators'
//! grouped query reads, so it is answered from the index in patient order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patients {
    Table,
    BirthMonth,
}

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
        // A partial index (both databases take the same statement).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_records_live_indicators ON clinical_records \
                 (hospital_id, patient_id, recorded_at, record_type, art_action, supply_until) \
                 WHERE deleted_at IS NULL AND superseded_by IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_records_live_indicators")
            .await?;
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
