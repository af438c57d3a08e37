//! Identity: second factor on staff accounts, invitations, browser sessions, refresh tokens,
//! the notification outbox, patients (PII sealed, blind indexes) and their one-time codes.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, text, text_null, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffAccounts {
    Table,
    TotpSecret,
    TotpPendingSecret,
    TotpEnabledAt,
    TotpLastStep,
    RecoveryCodes,
    CredentialsVersion,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum StaffInvitations {
    Table,
    Id,
    TokenHash,
    Email,
    DisplayName,
    Role,
    HospitalId,
    InvitedBy,
    ExpiresAt,
    AcceptedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    FamilyId,
    SubjectKind,
    SubjectId,
    TokenHash,
    Stage,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutboxMessages {
    Table,
    Id,
    Channel,
    Purpose,
    Destination,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Patients {
    Table,
    Id,
    FirstName,
    LastName,
    DateOfBirth,
    Sex,
    Email,
    EmailIndex,
    Phone,
    PhoneIndex,
    Address,
    EmergencyContactName,
    EmergencyContactPhone,
    NationalId,
    IdentifierHash,
    OtpFailures,
    LockedAt,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
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

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for col in [
            text_null(StaffAccounts::TotpSecret),
            text_null(StaffAccounts::TotpPendingSecret),
            ts_null(StaffAccounts::TotpEnabledAt),
            ColumnDef::new(StaffAccounts::TotpLastStep)
                .big_integer()
                .to_owned(),
            text_null(StaffAccounts::RecoveryCodes),
            ColumnDef::new(StaffAccounts::CredentialsVersion)
                .big_integer()
                .not_null()
                .default(1)
                .to_owned(),
            ts_null(StaffAccounts::LastLoginAt),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(StaffAccounts::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(StaffInvitations::Table)
                    .if_not_exists()
                    .col(id(StaffInvitations::Id))
                    .col(
                        ColumnDef::new(StaffInvitations::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(StaffInvitations::Email)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StaffInvitations::DisplayName)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StaffInvitations::Role)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(ColumnDef::new(StaffInvitations::HospitalId).uuid())
                    .col(ColumnDef::new(StaffInvitations::InvitedBy).uuid())
                    .col(ts(StaffInvitations::ExpiresAt))
                    .col(ts_null(StaffInvitations::AcceptedAt))
                    .col(ts(StaffInvitations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffInvitations::Table, StaffInvitations::HospitalId)
                            .to(Hospitals::Table, Hospitals::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Sessions::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(Sessions::Data))
                    .col(ts(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_sessions_expires_at",
                Sessions::Table,
                vec![Sessions::ExpiresAt.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(id(RefreshTokens::Id))
                    .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshTokens::SubjectKind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RefreshTokens::SubjectId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::Stage)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ts(RefreshTokens::ExpiresAt))
                    .col(ts_null(RefreshTokens::UsedAt))
                    .col(ts_null(RefreshTokens::RevokedAt))
                    .col(ts(RefreshTokens::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_refresh_tokens_family",
                RefreshTokens::Table,
                vec![RefreshTokens::FamilyId.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_refresh_tokens_subject",
                RefreshTokens::Table,
                vec![RefreshTokens::SubjectId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxMessages::Table)
                    .if_not_exists()
                    .col(id(OutboxMessages::Id))
                    .col(
                        ColumnDef::new(OutboxMessages::Channel)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxMessages::Purpose)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(text(OutboxMessages::Destination))
                    .col(text_null(OutboxMessages::Subject))
                    .col(text(OutboxMessages::Body))
                    .col(
                        ColumnDef::new(OutboxMessages::Status)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxMessages::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts(OutboxMessages::NextAttemptAt))
                    .col(ts_null(OutboxMessages::ClaimedUntil))
                    .col(text_null(OutboxMessages::LastError))
                    .col(ts(OutboxMessages::CreatedAt))
                    .col(ts_null(OutboxMessages::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_outbox_due",
                OutboxMessages::Table,
                vec![
                    OutboxMessages::Status.into_iden(),
                    OutboxMessages::NextAttemptAt.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Patients::Table)
                    .if_not_exists()
                    .col(id(Patients::Id))
                    .col(text(Patients::FirstName))
                    .col(text(Patients::LastName))
                    .col(text(Patients::DateOfBirth))
                    .col(ColumnDef::new(Patients::Sex).string_len(20).not_null())
                    .col(text_null(Patients::Email))
                    .col(
                        ColumnDef::new(Patients::EmailIndex)
                            .string_len(64)
                            .unique_key(),
                    )
                    .col(text_null(Patients::Phone))
                    .col(ColumnDef::new(Patients::PhoneIndex).string_len(64))
                    .col(text_null(Patients::Address))
                    .col(text_null(Patients::EmergencyContactName))
                    .col(text_null(Patients::EmergencyContactPhone))
                    .col(text_null(Patients::NationalId))
                    .col(
                        ColumnDef::new(Patients::IdentifierHash)
                            .string_len(64)
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Patients::OtpFailures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(Patients::LockedAt))
                    .col(
                        ColumnDef::new(Patients::Version)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(ts(Patients::CreatedAt))
                    .col(ts(Patients::UpdatedAt))
                    .col(ts_null(Patients::DeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_patients_phone_index",
                Patients::Table,
                vec![Patients::PhoneIndex.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PatientOtps::Table)
                    .if_not_exists()
                    .col(id(PatientOtps::Id))
                    .col(ColumnDef::new(PatientOtps::PatientId).uuid().not_null())
                    .col(
                        ColumnDef::new(PatientOtps::DestinationIndex)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PatientOtps::CodeHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ts(PatientOtps::ExpiresAt))
                    .col(
                        ColumnDef::new(PatientOtps::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(PatientOtps::UsedAt))
                    .col(ts(PatientOtps::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatientOtps::Table, PatientOtps::PatientId)
                            .to(Patients::Table, Patients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_patient_otps_destination",
                PatientOtps::Table,
                vec![
                    PatientOtps::DestinationIndex.into_iden(),
                    PatientOtps::CreatedAt.into_iden(),
                ],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PatientOtps::Table.into_iden(),
            Patients::Table.into_iden(),
            OutboxMessages::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            StaffInvitations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for col in [
            StaffAccounts::TotpSecret,
            StaffAccounts::TotpPendingSecret,
            StaffAccounts::TotpEnabledAt,
            StaffAccounts::TotpLastStep,
            StaffAccounts::RecoveryCodes,
            StaffAccounts::CredentialsVersion,
            StaffAccounts::LastLoginAt,
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
