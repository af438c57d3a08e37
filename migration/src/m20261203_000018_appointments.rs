//! Appointments and billing (SPEC 2.7): bookings with their status, each hospital's table of
//! visit fees (a CPT code and a fee per visit type, the defaults apply where it has no row),
//! the CPT record a completed visit leaves (one per appointment) and invoices (one per
//! appointment, guarded by a unique index, so two clerks invoicing at once get one invoice and
//! one conflict). A booking's reason and notes are sealed. Hospitals get a time zone, for the
//! day and week schedule and the hour reminders go out.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short_not_null, text_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Appointments {
    Table,
    Id,
    HospitalId,
    PatientId,
    ProviderId,
    ScheduledStart,
    ScheduledEnd,
    Status,
    VisitType,
    Reason,
    Notes,
    CptId,
    CheckedInAt,
    CompletedAt,
    CancelledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum VisitFees {
    Table,
    HospitalId,
    VisitType,
    CptCode,
    Description,
    AmountMinor,
    Currency,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CptRecords {
    Table,
    Id,
    AppointmentId,
    HospitalId,
    PatientId,
    CptCode,
    Description,
    AmountMinor,
    Currency,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    AppointmentId,
    CptId,
    HospitalId,
    PatientId,
    AmountMinor,
    Currency,
    Status,
    PaidAt,
    VisitDate,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Timezone,
}

fn big(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn unique(name: &str, table: impl IntoIden + 'static, col: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(col)
        .unique()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Appointments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .if_not_exists()
                    .col(id(A::Id))
                    .col(uuid(A::HospitalId))
                    .col(uuid(A::PatientId))
                    .col(uuid(A::ProviderId))
                    .col(ts(A::ScheduledStart))
                    .col(ts(A::ScheduledEnd))
                    .col(short_not_null(A::Status, 16))
                    .col(short_not_null(A::VisitType, 16))
                    .col(text_null(A::Reason))
                    .col(text_null(A::Notes))
                    .col(uuid_null(A::CptId))
                    .col(ts_null(A::CheckedInAt))
                    .col(ts_null(A::CompletedAt))
                    .col(ts_null(A::CancelledAt))
                    .col(uuid(A::CreatedBy))
                    .col(ts(A::CreatedAt))
                    .col(ts(A::UpdatedAt))
                    .col(big(A::Version))
                    .to_owned(),
            )
            .await?;
        for (name, first) in [
            ("ix_appointments_provider_start", A::ProviderId),
            ("ix_appointments_patient_start", A::PatientId),
            ("ix_appointments_hospital_start", A::HospitalId),
        ] {
            manager
                .create_index(index(
                    name,
                    A::Table,
                    vec![first.into_iden(), A::ScheduledStart.into_iden()],
                ))
                .await?;
        }

        use VisitFees as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .if_not_exists()
                    .col(uuid(F::HospitalId))
                    .col(short_not_null(F::VisitType, 16))
                    .col(short_not_null(F::CptCode, 5))
                    .col(short_not_null(F::Description, 120))
                    .col(big(F::AmountMinor))
                    .col(short_not_null(F::Currency, 3))
                    .col(ts(F::UpdatedAt))
                    .primary_key(Index::create().col(F::HospitalId).col(F::VisitType))
                    .to_owned(),
            )
            .await?;

        use CptRecords as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(id(C::Id))
                    .col(uuid(C::AppointmentId))
                    .col(uuid(C::HospitalId))
                    .col(uuid(C::PatientId))
                    .col(short_not_null(C::CptCode, 5))
                    .col(short_not_null(C::Description, 120))
                    .col(big(C::AmountMinor))
                    .col(short_not_null(C::Currency, 3))
                    .col(ts(C::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_cpt_records_appointment",
                C::Table,
                C::AppointmentId,
            ))
            .await?;

        use Invoices as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .if_not_exists()
                    .col(id(I::Id))
                    .col(uuid(I::AppointmentId))
                    .col(uuid(I::CptId))
                    .col(uuid(I::HospitalId))
                    .col(uuid(I::PatientId))
                    .col(big(I::AmountMinor))
                    .col(short_not_null(I::Currency, 3))
                    .col(short_not_null(I::Status, 8))
                    .col(ts_null(I::PaidAt))
                    .col(ts(I::VisitDate))
                    .col(uuid(I::CreatedBy))
                    .col(ts(I::CreatedAt))
                    .col(ts(I::UpdatedAt))
                    .col(big(I::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_invoices_appointment",
                I::Table,
                I::AppointmentId,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_invoices_hospital_visit",
                I::Table,
                vec![I::HospitalId.into_iden(), I::VisitDate.into_iden()],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Hospitals::Table)
                    .add_column(
                        ColumnDef::new(Hospitals::Timezone)
                            .string_len(64)
                            .not_null()
                            .default("UTC"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Hospitals::Table)
                    .drop_column(Hospitals::Timezone)
                    .to_owned(),
            )
            .await?;
        for table in [
            Invoices::Table.into_iden(),
            CptRecords::Table.into_iden(),
            VisitFees::Table.into_iden(),
            Appointments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
