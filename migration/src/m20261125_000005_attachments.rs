//! Attachments on a patient: the row holds the metadata (file name and description sealed),
//! the content is sealed in the object store under `storage_key`.
//!
//! Also an index for the per-patient, per-hospital record lookups (the clinical state refresh
//! and the chart's lab series): without it SQLite's planner picked the hospital-wide
//! `(hospital_id, record_type, recorded_at)` index and every record write scanned the
//! hospital's records of that type.

use sea_orm_migration::prelude::*;

use crate::columns::{id, index, short_not_null, text, text_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Hospitals {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ClinicalRecords {
    Table,
    PatientId,
    HospitalId,
    RecordType,
    RecordedAt,
}

#[derive(DeriveIden)]
enum PatientAttachments {
    Table,
    Id,
    PatientId,
    HospitalId,
    Kind,
    ContentType,
    SizeBytes,
    Sha256,
    Filename,
    Description,
    StorageKey,
    KeyId,
    CreatedBy,
    CreatedAt,
    DeletedAt,
    DeletedBy,
    DeleteReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PatientAttachments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .if_not_exists()
                    .col(id(A::Id))
                    .col(uuid(A::PatientId))
                    .col(uuid(A::HospitalId))
                    .col(short_not_null(A::Kind, 20))
                    .col(short_not_null(A::ContentType, 40))
                    .col(ColumnDef::new(A::SizeBytes).big_integer().not_null())
                    .col(short_not_null(A::Sha256, 64))
                    .col(text(A::Filename))
                    .col(text_null(A::Description))
                    .col(text(A::StorageKey))
                    .col(short_not_null(A::KeyId, 16))
                    .col(uuid(A::CreatedBy))
                    .col(ts(A::CreatedAt))
                    .col(ts_null(A::DeletedAt))
                    .col(uuid_null(A::DeletedBy))
                    .col(text_null(A::DeleteReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::PatientId)
                            .to(Patients::Table, Patients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::HospitalId)
                            .to(Hospitals::Table, Hospitals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_attachments_patient",
                A::Table,
                vec![
                    A::PatientId.into_iden(),
                    A::HospitalId.into_iden(),
                    A::CreatedAt.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_attachments_key",
                A::Table,
                vec![A::KeyId.into_iden()],
            ))
            .await?;
        use ClinicalRecords as R;
        manager
            .create_index(index(
                "idx_records_patient_hospital_type_time",
                R::Table,
                vec![
                    R::PatientId.into_iden(),
                    R::HospitalId.into_iden(),
                    R::RecordType.into_iden(),
                    R::RecordedAt.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_records_patient_hospital_type_time")
                    .table(ClinicalRecords::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(PatientAttachments::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
