//! Notes a hospital keeps from the patient's own view (the portal and the patient's export):
//! clinicians still see them; other hospitals see them as any record, by the patient's consent.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClinicalRecords {
    Table,
    ClinicianOnly,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClinicalRecords::Table)
                    .add_column(
                        ColumnDef::new(ClinicalRecords::ClinicianOnly)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClinicalRecords::Table)
                    .drop_column(ClinicalRecords::ClinicianOnly)
                    .to_owned(),
            )
            .await
    }
}
