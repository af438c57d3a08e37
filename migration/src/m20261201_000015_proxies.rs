//! Proxies: family members and guardians who act for a patient in the portal.
//!
//! A proxy is a person known only by the phone or email they sign in with (`proxies`: the
//! sealed address, its blind index, and the sign-in failure count and lock, as a patient's).
//! Sign-in codes go to an address, for the patient or else the proxy who has it: one table,
//! `sign_in_codes`, replaces `patient_otps` (codes live ten minutes; outstanding ones are
//! simply asked for again). A `proxy_relationships` row
//! says whom a proxy acts for and how far (`view` or `manage`): added by the patient (pending
//! until the proxy accepts after signing in with a code sent to that address) or by staff for a
//! minor with a signed consent form; ended by either side. Tokens and sessions name the patient
//! a proxy acts for (`refresh_tokens.acting_for`).

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short, short_not_null, text, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Proxies {
    Table,
    Id,
    Destination,
    DestinationIndex,
    OtpFailures,
    LockedAt,
    CredentialsVersion,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SignInCodes {
    Table,
    Id,
    PatientId,
    ProxyId,
    DestinationIndex,
    CodeHash,
    ExpiresAt,
    Attempts,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProxyRelationships {
    Table,
    Id,
    PatientId,
    ProxyId,
    Name,
    Relationship,
    Access,
    AddedByKind,
    AddedBy,
    HospitalId,
    ConsentFormId,
    CreatedAt,
    AcceptedAt,
    EndedAt,
    EndedBy,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    ActingFor,
}

#[derive(DeriveIden)]
enum Patients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PatientOtps {
    Table,
    Id,
    PatientId,
    DestinationIndex,
    CodeHash,
    ExpiresAt,
    Attempts,
    UsedAt,
    CreatedAt,
}

/// A code table: `owners` are its account columns (nullable when there are several).
fn code_table(
    table: impl IntoIden + 'static,
    owners: &[(DynIden, bool, DynIden)],
    rest: [DynIden; 7],
) -> TableCreateStatement {
    let [id_col, destination, code_hash, expires_at, attempts, used_at, created_at] = rest;
    let table = table.into_iden();
    let mut t = Table::create();
    t.table(table.clone()).if_not_exists().col(id(id_col));
    for (column, required, target) in owners {
        let mut c = ColumnDef::new(column.clone());
        c.uuid();
        if *required {
            c.not_null();
        }
        t.col(c);
        t.foreign_key(
            ForeignKey::create()
                .from(table.clone(), column.clone())
                .to(target.clone(), Alias::new("id")),
        );
    }
    t.col(short_not_null(destination, 64))
        .col(short_not_null(code_hash, 64))
        .col(ts(expires_at))
        .col(ColumnDef::new(attempts).integer().not_null().default(0))
        .col(ts_null(used_at))
        .col(ts(created_at));
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Proxies::Table)
                    .if_not_exists()
                    .col(id(Proxies::Id))
                    .col(text(Proxies::Destination))
                    .col(
                        short_not_null(Proxies::DestinationIndex, 64)
                            .unique_key()
                            .to_owned(),
                    )
                    .col(
                        ColumnDef::new(Proxies::OtpFailures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(Proxies::LockedAt))
                    .col(
                        ColumnDef::new(Proxies::CredentialsVersion)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(ts(Proxies::CreatedAt))
                    .to_owned(),
            )
            .await?;
        use SignInCodes as C;
        manager
            .create_table(code_table(
                C::Table,
                &[
                    (C::PatientId.into_iden(), false, Patients::Table.into_iden()),
                    (C::ProxyId.into_iden(), false, Proxies::Table.into_iden()),
                ],
                [
                    C::Id.into_iden(),
                    C::DestinationIndex.into_iden(),
                    C::CodeHash.into_iden(),
                    C::ExpiresAt.into_iden(),
                    C::Attempts.into_iden(),
                    C::UsedAt.into_iden(),
                    C::CreatedAt.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_sign_in_codes_destination_created",
                C::Table,
                vec![C::DestinationIndex.into_iden(), C::CreatedAt.into_iden()],
            ))
            .await?;
        manager
            .drop_table(Table::drop().table(PatientOtps::Table).to_owned())
            .await?;
        use ProxyRelationships as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .if_not_exists()
                    .col(id(R::Id))
                    .col(uuid(R::PatientId))
                    .col(uuid(R::ProxyId))
                    .col(text(R::Name))
                    .col(short_not_null(R::Relationship, 20))
                    .col(short_not_null(R::Access, 10))
                    .col(short_not_null(R::AddedByKind, 10))
                    .col(uuid_null(R::AddedBy))
                    .col(uuid_null(R::HospitalId))
                    .col(uuid_null(R::ConsentFormId))
                    .col(ts(R::CreatedAt))
                    .col(ts_null(R::AcceptedAt))
                    .col(ts_null(R::EndedAt))
                    .col(short(R::EndedBy, 10))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::PatientId)
                            .to(Patients::Table, Patients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::ProxyId)
                            .to(Proxies::Table, Proxies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_proxy_relationships_patient",
                R::Table,
                vec![R::PatientId.into_iden(), R::CreatedAt.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_proxy_relationships_proxy",
                R::Table,
                vec![R::ProxyId.into_iden(), R::CreatedAt.into_iden()],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(uuid_null(RefreshTokens::ActingFor))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .drop_column(RefreshTokens::ActingFor)
                    .to_owned(),
            )
            .await?;
        use PatientOtps as O;
        manager
            .create_table(code_table(
                O::Table,
                &[(O::PatientId.into_iden(), true, Patients::Table.into_iden())],
                [
                    O::Id.into_iden(),
                    O::DestinationIndex.into_iden(),
                    O::CodeHash.into_iden(),
                    O::ExpiresAt.into_iden(),
                    O::Attempts.into_iden(),
                    O::UsedAt.into_iden(),
                    O::CreatedAt.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_patient_otps_destination",
                O::Table,
                vec![O::DestinationIndex.into_iden(), O::CreatedAt.into_iden()],
            ))
            .await?;
        for table in [
            ProxyRelationships::Table.into_iden(),
            SignInCodes::Table.into_iden(),
            Proxies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
