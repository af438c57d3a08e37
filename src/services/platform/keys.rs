//! Key rotation: re-seals every encrypted value that is not under the primary key, in batches,
//! while the application keeps serving (retired keys still open what they sealed until then).
//!
//! Procedure: generate a key (`hospitallink keys generate`), make it `ENCRYPTION_KEY`, move the
//! old one to `ENCRYPTION_KEYS_RETIRED`, restart the instances, run `hospitallink keys rotate`.
//! When it reports nothing left on a retired key, the retired key can be dropped.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Event};
use crate::db::{begin_write, locked};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::entities::{
    break_glass_session, clinical_record, clinical_record_revision, outbox_message, patient,
    patient_attachment, patient_hospital_link, proxy, proxy_relationship, staff_account,
    tracing_outcome,
};
use crate::error::{AppError, AppResult};
use crate::policy::Caller;
use crate::services::Core;

/// What a rotation did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    /// The key everything is sealed with now.
    pub primary_key_id: String,
    /// Rows looked at.
    pub rows_checked: u64,
    /// Values re-sealed under the primary key.
    pub values_resealed: u64,
}

/// Re-seals `value` under the primary key when it was sealed with another.
fn reseal(
    core: &Core,
    table: &str,
    column: &str,
    id: Uuid,
    value: &str,
) -> AppResult<Option<String>> {
    if !core.keyring.is_stale(value) {
        return Ok(None);
    }
    let clear = core
        .keyring
        .open(table, column, id, value)
        .map_err(|e| AppError::internal(format!("{table}.{column} of {id}: {e}")))?;
    Ok(Some(core.keyring.seal(table, column, id, &clear)))
}

/// Applies `reseal` to a required column of an active model.
macro_rules! reseal_required {
    ($core:expr, $table:expr, $id:expr, $active:ident, $model:ident, $count:ident, [$($col:ident),*]) => {
        $(
            if let Some(v) = reseal($core, $table, stringify!($col), $id, &$model.$col)? {
                $active.$col = Set(v);
                $count += 1;
            }
        )*
    };
}

/// Applies `reseal` to an optional column of an active model.
macro_rules! reseal_optional {
    ($core:expr, $table:expr, $id:expr, $active:ident, $model:ident, $count:ident, [$($col:ident),*]) => {
        $(
            if let Some(current) = $model.$col.as_deref() {
                if let Some(v) = reseal($core, $table, stringify!($col), $id, current)? {
                    $active.$col = Set(Some(v));
                    $count += 1;
                }
            }
        )*
    };
}

/// Re-seals the stale values of one row; `None` when nothing changed.
type ResealRow<A, M> = fn(&Core, &M) -> AppResult<Option<(A, u64)>>;

/// One pass over a table in id order, `batch` rows per write transaction.
async fn reseal_table<E, A>(
    core: &Core,
    batch: u64,
    id_column: E::Column,
    id_of: fn(&E::Model) -> Uuid,
    reseal_row: ResealRow<A, E::Model>,
    report: &mut RotationReport,
) -> AppResult<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<A> + Sync,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = E::find().order_by_asc(id_column).limit(batch);
        if let Some(a) = after {
            query = query.filter(id_column.gt(a));
        }
        let txn = begin_write(&core.db).await?;
        // Locked until the batch commits: an edit made meanwhile waits, so re-sealing never
        // writes back a value that changed after it was read.
        let rows = locked(query, &txn).all(&txn).await?;
        let Some(last) = rows.last().map(id_of) else {
            txn.commit().await?;
            return Ok(());
        };
        for m in &rows {
            report.rows_checked += 1;
            if let Some((active, n)) = reseal_row(core, m)? {
                active.update(&txn).await?;
                report.values_resealed += n;
            }
        }
        txn.commit().await?;
        after = Some(last);
    }
}

fn reseal_patient(
    core: &Core,
    m: &patient::Model,
) -> AppResult<Option<(patient::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: patient::ActiveModel = m.clone().into();
    reseal_required!(
        core,
        "patients",
        m.id,
        active,
        m,
        n,
        [first_name, last_name, date_of_birth]
    );
    reseal_optional!(
        core,
        "patients",
        m.id,
        active,
        m,
        n,
        [
            email,
            phone,
            address,
            emergency_contact_name,
            emergency_contact_phone,
            national_id
        ]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_staff(
    core: &Core,
    m: &staff_account::Model,
) -> AppResult<Option<(staff_account::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: staff_account::ActiveModel = m.clone().into();
    reseal_optional!(
        core,
        "staff_accounts",
        m.id,
        active,
        m,
        n,
        [totp_secret, totp_pending_secret]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_outbox(
    core: &Core,
    m: &outbox_message::Model,
) -> AppResult<Option<(outbox_message::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: outbox_message::ActiveModel = m.clone().into();
    reseal_required!(
        core,
        "outbox_messages",
        m.id,
        active,
        m,
        n,
        [destination, body]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_record(
    core: &Core,
    m: &clinical_record::Model,
) -> AppResult<Option<(clinical_record::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: clinical_record::ActiveModel = m.clone().into();
    reseal_required!(core, "clinical_records", m.id, active, m, n, [payload]);
    reseal_optional!(
        core,
        "clinical_records",
        m.id,
        active,
        m,
        n,
        [delete_reason, override_reason]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_revision(
    core: &Core,
    m: &clinical_record_revision::Model,
) -> AppResult<Option<(clinical_record_revision::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: clinical_record_revision::ActiveModel = m.clone().into();
    reseal_required!(
        core,
        "clinical_record_revisions",
        m.id,
        active,
        m,
        n,
        [payload]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_attachment(
    core: &Core,
    m: &patient_attachment::Model,
) -> AppResult<Option<(patient_attachment::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: patient_attachment::ActiveModel = m.clone().into();
    let table = crate::services::clinical::attachments::TABLE;
    reseal_required!(core, table, m.id, active, m, n, [filename]);
    reseal_optional!(
        core,
        table,
        m.id,
        active,
        m,
        n,
        [description, delete_reason]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_link(
    core: &Core,
    m: &patient_hospital_link::Model,
) -> AppResult<Option<(patient_hospital_link::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: patient_hospital_link::ActiveModel = m.clone().into();
    reseal_optional!(
        core,
        "patient_hospital_links",
        m.id,
        active,
        m,
        n,
        [removal_reason]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_break_glass(
    core: &Core,
    m: &break_glass_session::Model,
) -> AppResult<Option<(break_glass_session::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: break_glass_session::ActiveModel = m.clone().into();
    reseal_required!(core, "break_glass_sessions", m.id, active, m, n, [reason]);
    reseal_optional!(
        core,
        "break_glass_sessions",
        m.id,
        active,
        m,
        n,
        [review_note]
    );
    Ok((n > 0).then_some((active, n)))
}

fn reseal_tracing(
    core: &Core,
    m: &tracing_outcome::Model,
) -> AppResult<Option<(tracing_outcome::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: tracing_outcome::ActiveModel = m.clone().into();
    reseal_optional!(core, "tracing_outcomes", m.id, active, m, n, [note]);
    Ok((n > 0).then_some((active, n)))
}

fn reseal_proxy(core: &Core, m: &proxy::Model) -> AppResult<Option<(proxy::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: proxy::ActiveModel = m.clone().into();
    reseal_required!(core, "proxies", m.id, active, m, n, [destination]);
    Ok((n > 0).then_some((active, n)))
}

fn reseal_proxy_relationship(
    core: &Core,
    m: &proxy_relationship::Model,
) -> AppResult<Option<(proxy_relationship::ActiveModel, u64)>> {
    let mut n = 0;
    let mut active: proxy_relationship::ActiveModel = m.clone().into();
    reseal_required!(core, "proxy_relationships", m.id, active, m, n, [name]);
    Ok((n > 0).then_some((active, n)))
}

/// Re-seals every stale value, `batch` rows per transaction.
pub async fn rotate(core: &Core, batch: u64) -> AppResult<RotationReport> {
    let batch = batch.clamp(1, 10_000);
    let mut report = RotationReport {
        primary_key_id: core.keyring.primary_id().to_string(),
        ..Default::default()
    };
    reseal_table(
        core,
        batch,
        patient::Column::Id,
        |m| m.id,
        reseal_patient,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        staff_account::Column::Id,
        |m| m.id,
        reseal_staff,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        outbox_message::Column::Id,
        |m| m.id,
        reseal_outbox,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        clinical_record::Column::Id,
        |m| m.id,
        reseal_record,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        clinical_record_revision::Column::Id,
        |m| m.id,
        reseal_revision,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        patient_hospital_link::Column::Id,
        |m| m.id,
        reseal_link,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        patient_attachment::Column::Id,
        |m| m.id,
        reseal_attachment,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        break_glass_session::Column::Id,
        |m| m.id,
        reseal_break_glass,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        proxy::Column::Id,
        |m| m.id,
        reseal_proxy,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        proxy_relationship::Column::Id,
        |m| m.id,
        reseal_proxy_relationship,
        &mut report,
    )
    .await?;
    reseal_table(
        core,
        batch,
        tracing_outcome::Column::Id,
        |m| m.id,
        reseal_tracing,
        &mut report,
    )
    .await?;
    // Attachment contents live in the object store, sealed as a whole.
    let (checked, resealed) =
        crate::services::clinical::attachments::reseal_contents(core, batch).await?;
    report.rows_checked += checked;
    report.values_resealed += resealed;

    let event = Event::new("encryption_key", AuditAction::Update)
        .entity_id(&report.primary_key_id)
        .details(serde_json::json!({
            "operation": "rotate",
            "rows_checked": report.rows_checked,
            "values_resealed": report.values_resealed,
        }));
    audit::record(core, &Caller::system(), &event, Outcome::Allowed).await?;
    Ok(report)
}
