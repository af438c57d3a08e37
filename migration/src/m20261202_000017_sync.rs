//! Sync across hospitals: the change log behind `GET /sync/changes`, the hospitals' own
//! (external) ids of what they upload, and the idempotency keys of uploads.
//!
//! A change's number is taken under the head row's lock, held until its transaction commits,
//! so numbers follow commit order: a reader that sees change n has seen every change before it.
//! Existing patients and records are logged once, oldest first, so a hospital system that
//! starts reading from the beginning gets everything it may see.

use sea_orm_migration::prelude::*;

use crate::columns::{index, short, short_not_null, text_null, ts, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncChangeHead {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum SyncChanges {
    Table,
    Seq,
    Entity,
    EntityId,
    PatientId,
    HospitalId,
    RecordType,
    Audience,
    ChangedAt,
}

#[derive(DeriveIden)]
enum SyncExternalIds {
    Table,
    HospitalId,
    Kind,
    ExternalId,
    EntityId,
    BodyHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Owner,
    Key,
    RequestHash,
    Status,
    Response,
    CreatedAt,
}

/// Every existing patient and record, logged once in the order they last changed.
const BACKFILL: &str = "
INSERT INTO sync_changes (seq, entity, entity_id, patient_id, hospital_id, record_type, audience, changed_at)
SELECT ROW_NUMBER() OVER (ORDER BY c.changed_at, c.entity_id), c.entity, c.entity_id, c.patient_id,
       c.hospital_id, c.record_type, NULL, c.changed_at
FROM (
    SELECT 'patient' AS entity, p.id AS entity_id, p.id AS patient_id,
           COALESCE(p.registering_hospital_id,
                    (SELECT l.hospital_id FROM patient_hospital_links l
                     WHERE l.patient_id = p.id ORDER BY l.created_at LIMIT 1)) AS hospital_id,
           NULL AS record_type, p.updated_at AS changed_at
    FROM patients p
    UNION ALL
    SELECT 'record', r.id, r.patient_id, r.hospital_id, r.record_type, r.updated_at
    FROM clinical_records r
) c
WHERE c.hospital_id IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncChangeHead::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(SyncChangeHead::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SyncChangeHead::Seq).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        use SyncChanges as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(C::Seq)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(short_not_null(C::Entity, 16))
                    .col(uuid(C::EntityId))
                    .col(uuid(C::PatientId))
                    .col(uuid(C::HospitalId))
                    .col(short(C::RecordType, 32))
                    .col(uuid_null(C::Audience))
                    .col(ts(C::ChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_sync_changes_patient",
                C::Table,
                vec![C::PatientId.into_iden(), C::Seq.into_iden()],
            ))
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        db.execute_unprepared(
            "INSERT INTO sync_change_head (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM sync_changes",
        )
        .await?;

        use SyncExternalIds as X;
        manager
            .create_table(
                Table::create()
                    .table(X::Table)
                    .if_not_exists()
                    .col(uuid(X::HospitalId))
                    .col(short_not_null(X::Kind, 16))
                    .col(short_not_null(X::ExternalId, 100))
                    .col(uuid(X::EntityId))
                    .col(short_not_null(X::BodyHash, 64))
                    .col(ts(X::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(X::HospitalId)
                            .col(X::Kind)
                            .col(X::ExternalId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_sync_external_ids_entity",
                X::Table,
                vec![X::EntityId.into_iden(), X::HospitalId.into_iden()],
            ))
            .await?;

        use IdempotencyKeys as K;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .if_not_exists()
                    .col(short_not_null(K::Owner, 64))
                    .col(short_not_null(K::Key, 255))
                    .col(short_not_null(K::RequestHash, 64))
                    .col(ColumnDef::new(K::Status).integer())
                    .col(text_null(K::Response))
                    .col(ts(K::CreatedAt))
                    .primary_key(Index::create().col(K::Owner).col(K::Key))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_idempotency_keys_created",
                K::Table,
                vec![K::CreatedAt.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            SyncExternalIds::Table.into_iden(),
            SyncChanges::Table.into_iden(),
            SyncChangeHead::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
