//! Break-glass: a clinician of a linked hospital opens a patient's whole record for an
//! emergency, with a reason, for the hospital's set duration (`hospitals.break_glass_minutes`,
//! three hours unless changed). Each opening is kept for the hospital admin's review; the
//! reason and the review note are sealed.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short, text, text_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BreakGlassSessions {
    Table,
    Id,
    PatientId,
    HospitalId,
    StaffId,
    Reason,
    StartedAt,
    EndsAt,
    ReviewOutcome,
    ReviewNote,
    ReviewedBy,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    BreakGlassMinutes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use BreakGlassSessions as B;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .if_not_exists()
                    .col(id(B::Id))
                    .col(uuid(B::PatientId))
                    .col(uuid(B::HospitalId))
                    .col(uuid(B::StaffId))
                    .col(text(B::Reason))
                    .col(ts(B::StartedAt))
                    .col(ts(B::EndsAt))
                    .col(short(B::ReviewOutcome, 20))
                    .col(text_null(B::ReviewNote))
                    .col(uuid_null(B::ReviewedBy))
                    .col(ts_null(B::ReviewedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_break_glass_patient_staff",
                B::Table,
                vec![B::PatientId.into_iden(), B::StaffId.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_break_glass_hospital_started",
                B::Table,
                vec![B::HospitalId.into_iden(), B::StartedAt.into_iden()],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Hospitals::Table)
                    .add_column(
                        ColumnDef::new(Hospitals::BreakGlassMinutes)
                            .integer()
                            .not_null()
                            .default(180),
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
                    .drop_column(Hospitals::BreakGlassMinutes)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(BreakGlassSessions::Table).to_owned())
            .await
    }
}
