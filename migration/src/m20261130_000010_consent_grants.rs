//! Consent grants: a patient lets a hospital see chosen data categories for a purpose, from a
//! start until an optional expiry or a revocation. Nothing here is a secret of the patient's
//! identity: the categories, purpose and moments stay readable so the decision can read them.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short_not_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentGrants {
    Table,
    Id,
    PatientId,
    HospitalId,
    Categories,
    Purpose,
    StartsAt,
    ExpiresAt,
    Source,
    ConsentFormId,
    CreatedBy,
    CreatedByHospitalId,
    CreatedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Patients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ConsentGrants as G;
        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .if_not_exists()
                    .col(id(G::Id))
                    .col(uuid(G::PatientId))
                    .col(uuid(G::HospitalId))
                    .col(short_not_null(G::Categories, 200))
                    .col(short_not_null(G::Purpose, 40))
                    .col(ts(G::StartsAt))
                    .col(ts_null(G::ExpiresAt))
                    .col(short_not_null(G::Source, 20))
                    .col(uuid_null(G::ConsentFormId))
                    .col(uuid_null(G::CreatedBy))
                    .col(uuid_null(G::CreatedByHospitalId))
                    .col(ts(G::CreatedAt))
                    .col(ts_null(G::RevokedAt))
                    .col(uuid_null(G::RevokedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::PatientId)
                            .to(Patients::Table, Patients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(G::Table, G::HospitalId)
                            .to(Hospitals::Table, Hospitals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_consent_grants_patient_hospital",
                G::Table,
                vec![G::PatientId.into_iden(), G::HospitalId.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsentGrants::Table).to_owned())
            .await
    }
}
