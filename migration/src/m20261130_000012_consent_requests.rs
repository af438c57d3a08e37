//! Consent at the point of care: staff ask the patient in front of them to share with their
//! hospital; a one-time code goes to the patient's phone or email and the patient reads it
//! back. A request keeps the code as a keyed hash only, with its tries and its single use; the
//! grant it creates names it as its evidence.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short_not_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentRequests {
    Table,
    Id,
    PatientId,
    HospitalId,
    Categories,
    Purpose,
    GrantExpiresAt,
    Channel,
    CodeHash,
    CodeExpiresAt,
    Attempts,
    UsedAt,
    RequestedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConsentGrants {
    Table,
    ConsentRequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ConsentRequests as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .if_not_exists()
                    .col(id(R::Id))
                    .col(uuid(R::PatientId))
                    .col(uuid(R::HospitalId))
                    .col(short_not_null(R::Categories, 200))
                    .col(short_not_null(R::Purpose, 40))
                    .col(ts_null(R::GrantExpiresAt))
                    .col(short_not_null(R::Channel, 10))
                    .col(short_not_null(R::CodeHash, 64))
                    .col(ts(R::CodeExpiresAt))
                    .col(ColumnDef::new(R::Attempts).integer().not_null().default(0))
                    .col(ts_null(R::UsedAt))
                    .col(uuid_null(R::RequestedBy))
                    .col(ts(R::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_consent_requests_patient_created",
                R::Table,
                vec![R::PatientId.into_iden(), R::CreatedAt.into_iden()],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConsentGrants::Table)
                    .add_column(uuid_null(ConsentGrants::ConsentRequestId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConsentGrants::Table)
                    .drop_column(ConsentGrants::ConsentRequestId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ConsentRequests::Table).to_owned())
            .await
    }
}
