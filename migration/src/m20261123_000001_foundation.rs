//! The first tables: the SQLite write-lock row, hospitals and staff accounts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WriteLock {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Id,
    Name,
    Code,
    Address,
    ContactEmail,
    Country,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    Id,
    Email,
    DisplayName,
    Role,
    HospitalId,
    PasswordHash,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Target of the no-op write that makes SQLite write transactions take the lock first.
        manager
            .create_table(
                Table::create()
                    .table(WriteLock::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(WriteLock::Id).integer().not_null().primary_key())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Hospitals::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Hospitals::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Hospitals::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Hospitals::Code).string_len(20).not_null().unique_key())
                    .col(ColumnDef::new(Hospitals::Address).string_len(500))
                    .col(ColumnDef::new(Hospitals::ContactEmail).string_len(254).not_null())
                    .col(ColumnDef::new(Hospitals::Country).char_len(2).not_null())
                    .col(ColumnDef::new(Hospitals::Active).boolean().not_null().default(true))
                    .col(ColumnDef::new(Hospitals::Version).big_integer().not_null().default(1))
                    .col(ColumnDef::new(Hospitals::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Hospitals::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_hospitals_name")
                    .table(Hospitals::Table)
                    .col(Hospitals::Name)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffAccounts::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StaffAccounts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(StaffAccounts::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(StaffAccounts::DisplayName).string_len(200).not_null())
                    .col(ColumnDef::new(StaffAccounts::Role).string_len(32).not_null())
                    .col(ColumnDef::new(StaffAccounts::HospitalId).uuid())
                    .col(ColumnDef::new(StaffAccounts::PasswordHash).text())
                    .col(ColumnDef::new(StaffAccounts::Active).boolean().not_null().default(true))
                    .col(ColumnDef::new(StaffAccounts::Version).big_integer().not_null().default(1))
                    .col(ColumnDef::new(StaffAccounts::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(StaffAccounts::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staff_accounts_hospital")
                            .from(StaffAccounts::Table, StaffAccounts::HospitalId)
                            .to(Hospitals::Table, Hospitals::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_accounts_hospital")
                    .table(StaffAccounts::Table)
                    .col(StaffAccounts::HospitalId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffAccounts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Hospitals::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WriteLock::Table).to_owned())
            .await
    }
}
