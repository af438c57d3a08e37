//! The append-only, hash-chained audit log and its chain head.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    Id,
    Seq,
    OccurredAt,
    ActorType,
    ActorId,
    ActorRole,
    ActorHospitalId,
    PatientId,
    Entity,
    EntityId,
    Action,
    Purpose,
    Outcome,
    Ip,
    UserAgent,
    RequestId,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChainHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLogs::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditLogs::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLogs::Seq)
                            .big_integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLogs::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditLogs::ActorType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLogs::ActorId).uuid())
                    .col(ColumnDef::new(AuditLogs::ActorRole).string_len(32))
                    .col(ColumnDef::new(AuditLogs::ActorHospitalId).uuid())
                    .col(ColumnDef::new(AuditLogs::PatientId).uuid())
                    .col(ColumnDef::new(AuditLogs::Entity).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLogs::EntityId).string_len(64))
                    .col(ColumnDef::new(AuditLogs::Action).string_len(32).not_null())
                    .col(ColumnDef::new(AuditLogs::Purpose).string_len(64))
                    .col(ColumnDef::new(AuditLogs::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(AuditLogs::Ip).string_len(64))
                    .col(ColumnDef::new(AuditLogs::UserAgent).string_len(512))
                    .col(ColumnDef::new(AuditLogs::RequestId).string_len(64))
                    .col(ColumnDef::new(AuditLogs::Details).text().not_null())
                    .col(ColumnDef::new(AuditLogs::PrevHash).char_len(64).not_null())
                    .col(ColumnDef::new(AuditLogs::Hash).char_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_audit_logs_patient", AuditLogs::PatientId),
            ("idx_audit_logs_actor", AuditLogs::ActorId),
            ("idx_audit_logs_occurred", AuditLogs::OccurredAt),
            ("idx_audit_logs_hospital", AuditLogs::ActorHospitalId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLogs::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditChainHead::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditChainHead::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditChainHead::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditChainHead::Hash).char_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        // The genesis anchor: entry 1 links to 64 zeros.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditChainHead::Table)
                    .columns([
                        AuditChainHead::Id,
                        AuditChainHead::Seq,
                        AuditChainHead::Hash,
                    ])
                    .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditChainHead::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuditLogs::Table).to_owned())
            .await
    }
}
