//! Decision support: the rule set a hospital chose (`who` or `kenya`), the interactions a
//! prescription, regimen or dispensing was saved with (`interaction_rules`, the DAK rule ids)
//! and the prescriber's override reason (sealed, like every free text), and the tracing
//! outcomes recorded from the worklists (WHO HIV DAK follow-up codes), which feed the
//! indicators.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short, short_not_null, text_null, ts, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    RuleSet,
}

#[derive(DeriveIden)]
enum ClinicalRecords {
    Table,
    InteractionRules,
    OverrideReason,
}

#[derive(DeriveIden)]
enum TracingOutcomes {
    Table,
    Id,
    PatientId,
    HospitalId,
    Worklist,
    Outcome,
    OutcomeDate,
    ContactMethod,
    Note,
    RecordedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Hospitals::Table)
                    .add_column(
                        ColumnDef::new(Hospitals::RuleSet)
                            .string_len(16)
                            .not_null()
                            .default("who"),
                    )
                    .to_owned(),
            )
            .await?;
        for col in [
            short(ClinicalRecords::InteractionRules, 400),
            text_null(ClinicalRecords::OverrideReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClinicalRecords::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        use TracingOutcomes as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(id(T::Id))
                    .col(uuid(T::PatientId))
                    .col(uuid(T::HospitalId))
                    .col(short_not_null(T::Worklist, 16))
                    .col(short_not_null(T::Outcome, 32))
                    .col(ts(T::OutcomeDate))
                    .col(short(T::ContactMethod, 16))
                    .col(text_null(T::Note))
                    .col(uuid(T::RecordedBy))
                    .col(ts(T::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_tracing_hospital_patient",
                T::Table,
                vec![
                    T::HospitalId.into_iden(),
                    T::PatientId.into_iden(),
                    T::OutcomeDate.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TracingOutcomes::Table).to_owned())
            .await?;
        for col in [
            ClinicalRecords::OverrideReason,
            ClinicalRecords::InteractionRules,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClinicalRecords::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Hospitals::Table)
                    .drop_column(Hospitals::RuleSet)
                    .to_owned(),
            )
            .await
    }
}
