//! A patient's portal sign-in, bounded like a staff member's: a credentials version (raised
//! when staff sign the patient out everywhere or change the address the codes go to, which ends
//! every session and token) and, on each refresh token, the moment its sign-in began, so a
//! refresh never carries a sign-in past its absolute lifetime.

use sea_orm_migration::prelude::*;

use crate::columns::ts_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patients {
    Table,
    CredentialsVersion,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    SignedInAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Patients::Table)
                    .add_column(
                        ColumnDef::new(Patients::CredentialsVersion)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(ts_null(RefreshTokens::SignedInAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .drop_column(RefreshTokens::SignedInAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Patients::Table)
                    .drop_column(Patients::CredentialsVersion)
                    .to_owned(),
            )
            .await
    }
}
