//! Integration clients: a hospital's EHR, lab system or data-collection app calling the API
//! with the client-credentials grant. The secret is kept as its SHA-256 only (it is 32 random
//! bytes); rotating or disabling raises the credentials version, which ends every token issued
//! before.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short_not_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
    HospitalId,
    Name,
    Scopes,
    SecretHash,
    CredentialsVersion,
    CreatedBy,
    CreatedAt,
    RotatedAt,
    DisabledAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ApiClients as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(id(C::Id))
                    .col(uuid(C::HospitalId))
                    .col(short_not_null(C::Name, 100))
                    .col(short_not_null(C::Scopes, 400))
                    .col(short_not_null(C::SecretHash, 64).unique_key().to_owned())
                    .col(
                        ColumnDef::new(C::CredentialsVersion)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(uuid_null(C::CreatedBy))
                    .col(ts(C::CreatedAt))
                    .col(ts_null(C::RotatedAt))
                    .col(ts_null(C::DisabledAt))
                    .col(ts_null(C::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, C::HospitalId)
                            .to(Hospitals::Table, Hospitals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_api_clients_hospital",
                C::Table,
                vec![C::HospitalId.into_iden(), C::CreatedAt.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiClients::Table).to_owned())
            .await
    }
}
