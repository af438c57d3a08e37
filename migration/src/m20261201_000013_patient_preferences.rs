//! The patient's portal preferences: how reminders reach them, their quiet hours, their
//! language. One row per patient, written when they first change something.

use sea_orm_migration::prelude::*;

use crate::columns::{short, short_not_null, ts, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PatientPreferences {
    Table,
    PatientId,
    ReminderChannel,
    QuietFrom,
    QuietUntil,
    Language,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PatientPreferences as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(uuid(P::PatientId).primary_key().to_owned())
                    .col(short_not_null(P::ReminderChannel, 10))
                    .col(short(P::QuietFrom, 5))
                    .col(short(P::QuietUntil, 5))
                    .col(short(P::Language, 5))
                    .col(ts(P::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PatientPreferences::Table).to_owned())
            .await
    }
}
