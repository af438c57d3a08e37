//! Consecutive failed sign-ins, counted in the database so every instance sees them.
//!
//! Failed passwords are counted per typed email (`sign_in_failures`, keyed by the email's blind
//! index), so an address that belongs to nobody is throttled exactly like one that does and the
//! answers never tell them apart. Failed second-factor codes are counted on the account (the
//! password was right, so the account is known), with the moment until which the next code
//! waits. Either kind of failure can end in `sign_in_locked_at`, which only an admin lifts.

use sea_orm_migration::prelude::*;

use crate::columns::{index, short_not_null, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    FailedSecondFactors,
    SecondFactorWaitUntil,
    SignInLockedAt,
}

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    EmailIndex,
    Failures,
    WaitUntil,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for mut col in [
            ColumnDef::new(StaffAccounts::FailedSecondFactors)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
            ts_null(StaffAccounts::SecondFactorWaitUntil),
            ts_null(StaffAccounts::SignInLockedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StaffAccounts::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        use SignInFailures as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .if_not_exists()
                    .col(short_not_null(F::EmailIndex, 64).primary_key())
                    .col(ColumnDef::new(F::Failures).integer().not_null())
                    .col(ts_null(F::WaitUntil))
                    .col(ts(F::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_sign_in_failures_updated",
                F::Table,
                vec![F::UpdatedAt.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInFailures::Table).to_owned())
            .await?;
        for col in [
            StaffAccounts::SignInLockedAt,
            StaffAccounts::SecondFactorWaitUntil,
            StaffAccounts::FailedSecondFactors,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StaffAccounts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
