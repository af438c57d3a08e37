//! Notifications scheduled from data: each outbox message may say which hospital and patient it
//! concerns (the admin's message list is per hospital), what it is about (`subject_ref`, looked
//! at again just before sending: a reminder of a visit that moved is dropped), and a
//! `dedupe_key` unique across the table, so a trigger seen by two instances at once queues one
//! message. `claim_token` names the worker pass that holds a message: a worker renews its claim
//! just before sending, by a conditional write, so two instances never send one message.
//! Hospitals keep their own wording of each message (`notification_templates`), per kind,
//! language and channel. A dispensing's supply end is a plain column (`supply_until`), for refill
//! reminders.

use sea_orm_migration::prelude::*;

use crate::columns::{index, short, short_not_null, text, text_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxMessages {
    Table,
    HospitalId,
    PatientId,
    SubjectRef,
    DedupeKey,
    ClaimToken,
}

#[derive(DeriveIden)]
enum NotificationTemplates {
    Table,
    HospitalId,
    Kind,
    Language,
    Channel,
    Subject,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ClinicalRecords {
    Table,
    SupplyUntil,
    RecordType,
    PatientId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use OutboxMessages as O;
        for col in [
            uuid_null(O::HospitalId),
            uuid_null(O::PatientId),
            short(O::SubjectRef, 120),
            short(O::DedupeKey, 160),
            uuid_null(O::ClaimToken),
        ] {
            manager
                .alter_table(Table::alter().table(O::Table).add_column(col).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_outbox_dedupe")
                    .table(O::Table)
                    .col(O::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_outbox_hospital_created",
                O::Table,
                vec![O::HospitalId.into_iden()],
            ))
            .await?;

        use NotificationTemplates as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(uuid(T::HospitalId))
                    .col(short_not_null(T::Kind, 32))
                    .col(short_not_null(T::Language, 8))
                    .col(short_not_null(T::Channel, 8))
                    .col(text_null(T::Subject))
                    .col(text(T::Body))
                    .col(uuid(T::UpdatedBy))
                    .col(ts(T::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(T::HospitalId)
                            .col(T::Kind)
                            .col(T::Language)
                            .col(T::Channel),
                    )
                    .to_owned(),
            )
            .await?;

        use ClinicalRecords as C;
        manager
            .alter_table(
                Table::alter()
                    .table(C::Table)
                    .add_column(ts_null(C::SupplyUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_records_supply",
                C::Table,
                vec![
                    C::RecordType.into_iden(),
                    C::SupplyUntil.into_iden(),
                    C::PatientId.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_records_supply").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ClinicalRecords::Table)
                    .drop_column(ClinicalRecords::SupplyUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(NotificationTemplates::Table).to_owned())
            .await?;
        for name in ["ux_outbox_dedupe", "ix_outbox_hospital_created"] {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        for col in [
            OutboxMessages::ClaimToken,
            OutboxMessages::DedupeKey,
            OutboxMessages::SubjectRef,
            OutboxMessages::PatientId,
            OutboxMessages::HospitalId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OutboxMessages::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
