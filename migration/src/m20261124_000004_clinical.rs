//! Clinical data: patients' links to hospitals (one MRN each), the blind name-token index,
//! clinical records with their queried values as columns, note revisions, the per-patient
//! clinical state the summary reads, and hospitals' viral-load thresholds.

use sea_orm_migration::prelude::*;

use crate::columns::{
    double_null, id, index, short, short_not_null, text, text_null, ts, ts_null, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Id,
    VlLowLevelAbove,
    VlUnsuppressedAbove,
}

#[derive(DeriveIden)]
enum Patients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PatientHospitalLinks {
    Table,
    Id,
    PatientId,
    HospitalId,
    Mrn,
    CreatedBy,
    CreatedAt,
    RemovedAt,
    RemovedBy,
    RemovalReason,
}

#[derive(DeriveIden)]
enum PatientNameTokens {
    Table,
    Token,
    PatientId,
}

#[derive(DeriveIden)]
enum ClinicalRecords {
    Table,
    Id,
    PatientId,
    HospitalId,
    RecordType,
    Category,
    RecordedAt,
    Payload,
    VlCopies,
    VlComparator,
    VlQualitative,
    VlLowerLimit,
    Cd4Cells,
    ArtRegimen,
    ArtLine,
    ArtAction,
    Cd4Percent,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
    Supersedes,
    SupersededBy,
    DeletedAt,
    DeletedBy,
    DeleteReason,
}

#[derive(DeriveIden)]
enum ClinicalRecordRevisions {
    Table,
    Id,
    RecordId,
    Version,
    Payload,
    EditedBy,
    EditedAt,
}

#[derive(DeriveIden)]
enum PatientClinicalState {
    Table,
    PatientId,
    HospitalId,
    ArtStart,
    ArtStatus,
    Regimen,
    RegimenLine,
    RegimenSince,
    LatestVlId,
    LatestVlAt,
    LatestVlCopies,
    LatestVlComparator,
    LatestVlQualitative,
    LatestVlLowerLimit,
    PreviousVlId,
    PreviousVlAt,
    PreviousVlCopies,
    PreviousVlComparator,
    PreviousVlQualitative,
    PreviousVlLowerLimit,
    LatestCd4Id,
    LatestCd4At,
    LatestCd4Cells,
    LatestCd4Percent,
    LastRecordAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Hospitals::VlLowLevelAbove, Hospitals::VlUnsuppressedAbove] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Hospitals::Table)
                        .add_column(double_null(col))
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PatientHospitalLinks::Table)
                    .if_not_exists()
                    .col(id(PatientHospitalLinks::Id))
                    .col(uuid(PatientHospitalLinks::PatientId))
                    .col(uuid(PatientHospitalLinks::HospitalId))
                    .col(short_not_null(PatientHospitalLinks::Mrn, 40))
                    .col(uuid_null(PatientHospitalLinks::CreatedBy))
                    .col(ts(PatientHospitalLinks::CreatedAt))
                    .col(ts_null(PatientHospitalLinks::RemovedAt))
                    .col(uuid_null(PatientHospitalLinks::RemovedBy))
                    .col(text_null(PatientHospitalLinks::RemovalReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatientHospitalLinks::Table, PatientHospitalLinks::PatientId)
                            .to(Patients::Table, Patients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PatientHospitalLinks::Table,
                                PatientHospitalLinks::HospitalId,
                            )
                            .to(Hospitals::Table, Hospitals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_links_hospital_mrn",
                    PatientHospitalLinks::Table,
                    vec![
                        PatientHospitalLinks::HospitalId.into_iden(),
                        PatientHospitalLinks::Mrn.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_links_patient_hospital",
                    PatientHospitalLinks::Table,
                    vec![
                        PatientHospitalLinks::PatientId.into_iden(),
                        PatientHospitalLinks::HospitalId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_links_hospital_patient",
                PatientHospitalLinks::Table,
                vec![
                    PatientHospitalLinks::HospitalId.into_iden(),
                    PatientHospitalLinks::PatientId.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PatientNameTokens::Table)
                    .if_not_exists()
                    .col(short_not_null(PatientNameTokens::Token, 64))
                    .col(uuid(PatientNameTokens::PatientId))
                    .primary_key(
                        Index::create()
                            .col(PatientNameTokens::Token)
                            .col(PatientNameTokens::PatientId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_name_tokens_patient",
                PatientNameTokens::Table,
                vec![PatientNameTokens::PatientId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClinicalRecords::Table)
                    .if_not_exists()
                    .col(id(ClinicalRecords::Id))
                    .col(uuid(ClinicalRecords::PatientId))
                    .col(uuid(ClinicalRecords::HospitalId))
                    .col(short_not_null(ClinicalRecords::RecordType, 20))
                    .col(short_not_null(ClinicalRecords::Category, 20))
                    .col(ts(ClinicalRecords::RecordedAt))
                    .col(text(ClinicalRecords::Payload))
                    .col(double_null(ClinicalRecords::VlCopies))
                    .col(short(ClinicalRecords::VlComparator, 1))
                    .col(short(ClinicalRecords::VlQualitative, 20))
                    .col(double_null(ClinicalRecords::VlLowerLimit))
                    .col(ColumnDef::new(ClinicalRecords::Cd4Cells).big_integer())
                    .col(double_null(ClinicalRecords::Cd4Percent))
                    .col(short(ClinicalRecords::ArtRegimen, 60))
                    .col(short(ClinicalRecords::ArtLine, 10))
                    .col(short(ClinicalRecords::ArtAction, 12))
                    .col(uuid(ClinicalRecords::CreatedBy))
                    .col(ts(ClinicalRecords::CreatedAt))
                    .col(ts(ClinicalRecords::UpdatedAt))
                    .col(
                        ColumnDef::new(ClinicalRecords::Version)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(uuid_null(ClinicalRecords::Supersedes))
                    .col(uuid_null(ClinicalRecords::SupersededBy))
                    .col(ts_null(ClinicalRecords::DeletedAt))
                    .col(uuid_null(ClinicalRecords::DeletedBy))
                    .col(text_null(ClinicalRecords::DeleteReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClinicalRecords::Table, ClinicalRecords::PatientId)
                            .to(Patients::Table, Patients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClinicalRecords::Table, ClinicalRecords::HospitalId)
                            .to(Hospitals::Table, Hospitals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_records_patient_time",
                vec![
                    ClinicalRecords::PatientId.into_iden(),
                    ClinicalRecords::RecordedAt.into_iden(),
                ],
            ),
            (
                "idx_records_patient_type_time",
                vec![
                    ClinicalRecords::PatientId.into_iden(),
                    ClinicalRecords::RecordType.into_iden(),
                    ClinicalRecords::RecordedAt.into_iden(),
                ],
            ),
            (
                "idx_records_hospital_type_time",
                vec![
                    ClinicalRecords::HospitalId.into_iden(),
                    ClinicalRecords::RecordType.into_iden(),
                    ClinicalRecords::RecordedAt.into_iden(),
                ],
            ),
        ] {
            manager
                .create_index(index(name, ClinicalRecords::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ClinicalRecordRevisions::Table)
                    .if_not_exists()
                    .col(id(ClinicalRecordRevisions::Id))
                    .col(uuid(ClinicalRecordRevisions::RecordId))
                    .col(
                        ColumnDef::new(ClinicalRecordRevisions::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(ClinicalRecordRevisions::Payload))
                    .col(uuid(ClinicalRecordRevisions::EditedBy))
                    .col(ts(ClinicalRecordRevisions::EditedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ClinicalRecordRevisions::Table,
                                ClinicalRecordRevisions::RecordId,
                            )
                            .to(ClinicalRecords::Table, ClinicalRecords::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_record_revisions_record",
                ClinicalRecordRevisions::Table,
                vec![ClinicalRecordRevisions::RecordId.into_iden()],
            ))
            .await?;

        use PatientClinicalState as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .if_not_exists()
                    .col(uuid(S::PatientId))
                    .col(uuid(S::HospitalId))
                    .col(ts_null(S::ArtStart))
                    .col(short(S::ArtStatus, 20))
                    .col(short(S::Regimen, 60))
                    .col(short(S::RegimenLine, 10))
                    .col(ts_null(S::RegimenSince))
                    .col(uuid_null(S::LatestVlId))
                    .col(ts_null(S::LatestVlAt))
                    .col(double_null(S::LatestVlCopies))
                    .col(short(S::LatestVlComparator, 1))
                    .col(short(S::LatestVlQualitative, 20))
                    .col(double_null(S::LatestVlLowerLimit))
                    .col(uuid_null(S::PreviousVlId))
                    .col(ts_null(S::PreviousVlAt))
                    .col(double_null(S::PreviousVlCopies))
                    .col(short(S::PreviousVlComparator, 1))
                    .col(short(S::PreviousVlQualitative, 20))
                    .col(double_null(S::PreviousVlLowerLimit))
                    .col(uuid_null(S::LatestCd4Id))
                    .col(ts_null(S::LatestCd4At))
                    .col(ColumnDef::new(S::LatestCd4Cells).big_integer())
                    .col(double_null(S::LatestCd4Percent))
                    .col(ts_null(S::LastRecordAt))
                    .col(ts(S::UpdatedAt))
                    .primary_key(Index::create().col(S::PatientId).col(S::HospitalId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_clinical_state_hospital",
                S::Table,
                vec![S::HospitalId.into_iden()],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PatientClinicalState::Table.into_iden(),
            ClinicalRecordRevisions::Table.into_iden(),
            ClinicalRecords::Table.into_iden(),
            PatientNameTokens::Table.into_iden(),
            PatientHospitalLinks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for col in [Hospitals::VlLowLevelAbove, Hospitals::VlUnsuppressedAbove] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Hospitals::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
