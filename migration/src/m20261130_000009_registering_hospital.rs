//! The hospital that registered each patient: it typed the contact details (email, phone,
//! address, emergency contact) and holds them. Other hospitals linked to the patient see them
//! only with the patient's consent. Existing patients take the hospital of their first link.

use sea_orm_migration::prelude::*;

use crate::columns::uuid_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patients {
    Table,
    RegisteringHospitalId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Patients::Table)
                    .add_column(uuid_null(Patients::RegisteringHospitalId))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE patients SET registering_hospital_id = (
                    SELECT l.hospital_id FROM patient_hospital_links l
                    WHERE l.patient_id = patients.id
                    ORDER BY l.created_at, l.id LIMIT 1)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Patients::Table)
                    .drop_column(Patients::RegisteringHospitalId)
                    .to_owned(),
            )
            .await
    }
}
