//! The codes drawn for sign-in code requests that send nothing (an address nobody has, or one
//! past its limit): a request writes the same whatever the address, so its answer takes as
//! long. A row holds a keyed hash of the code, never the address, and is removed after a day.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short_not_null, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CodeRequests {
    Table,
    Id,
    CodeHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CodeRequests as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .if_not_exists()
                    .col(id(R::Id))
                    .col(short_not_null(R::CodeHash, 64))
                    .col(ts(R::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_code_requests_created",
                R::Table,
                vec![R::CreatedAt.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CodeRequests::Table).to_owned())
            .await
    }
}
