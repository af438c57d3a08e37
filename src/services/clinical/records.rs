//! Clinical records: add, query, read, edit notes, soft delete; and the per-patient clinical
//! state behind the summary, refreshed in the same transaction as every record write.
//!
//! A hospital sees the records it wrote for a linked patient; records of other hospitals need
//! a consent grant or break-glass (`PatientAccess`), which the consent capability supplies.
//! Payloads are sealed (they may hold free text); the values cohorts and charts query are
//! plain columns.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction,
    DerivePartialModel, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use uuid::Uuid;

use super::patients::{patient_access, Linked};
use crate::db::{begin_write, changed_one, locked, WriteTransaction};
use crate::domain::cds::interactions::warning_of;
use crate::domain::cds::RuleSet;
use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::patient::DeleteRequest;
use crate::domain::clinical::record::{
    interpret_vl, validate_payload, Cd4Result, ChartPoint, ClinicalRecord, CurrentRegimen,
    PatientSummary, Payload, RecordFilter, RecordInput, RecordType, RecordUpdate, VlResult,
    VlThresholds,
};
use crate::domain::identity::role::Permission;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{
    clinical_record as record, clinical_record_revision as revision, hospital, patient,
    patient_clinical_state as state,
};
use crate::error::{AppError, AppResult};
use crate::policy::{readable_record_types, record_read_permission, Action, Actor, Caller};
use crate::services::cds::{flags, prescribing};
use crate::services::integration::changes::{self, Logged};
use crate::services::integration::sync::{self, ExternalRef};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

const TABLE: &str = "clinical_records";
const REVISIONS: &str = "clinical_record_revisions";

/// Which of the patient's records the caller sees (`None`: all, for the application itself):
/// its own hospital's, and those of other hospitals whose type the policy opens to it with the
/// patient's consent (asked once per record type).
pub(crate) fn visible_records(caller: &Caller, linked: &Linked) -> Option<Condition> {
    let own = match &caller.actor {
        Actor::System => return None,
        actor => actor.hospital_id(),
    };
    let mut visible = Condition::any();
    if let Some(h) = own {
        visible = visible.add(record::Column::HospitalId.eq(h));
    }
    let shared: Vec<&str> = shared_types(caller, linked)
        .into_iter()
        .map(RecordType::as_str)
        .collect();
    if !shared.is_empty() {
        visible = visible.add(record::Column::RecordType.is_in(shared));
    }
    if own.is_none() && visible.is_empty() {
        // Nothing at all: a condition no row meets.
        visible = visible.add(record::Column::Id.is_null());
    }
    Some(visible)
}

/// The record types of other hospitals the caller may read now: the policy's answer for data
/// held elsewhere, type by type.
fn shared_types(caller: &Caller, linked: &Linked) -> Vec<RecordType> {
    // Any hospital but the caller's: the answer depends only on "not theirs".
    let elsewhere = Some(Uuid::nil());
    RecordType::ALL
        .iter()
        .copied()
        .filter(|t| {
            let action = Action::ReadPatientData {
                permission: record_read_permission(&caller.actor, *t),
                access: linked.access(caller, elsewhere, t.category()),
            };
            crate::policy::decide(&caller.actor, action) == crate::policy::Decision::Allow
        })
        .collect()
}

pub(crate) fn open_payload(core: &Core, id: Uuid, sealed: &str) -> AppResult<Value> {
    let clear = core
        .keyring
        .open(TABLE, "payload", id, sealed)
        .map_err(|e| AppError::internal(format!("record {id}: {e}")))?;
    serde_json::from_str(&clear).map_err(AppError::internal)
}

fn parse_type(stored: &str) -> AppResult<RecordType> {
    RecordType::parse(stored)
        .ok_or_else(|| AppError::internal(format!("unknown record type {stored}")))
}

/// The columns a record's view is made from. Lists read only these: the queried lab columns
/// and the deletion fields are not decoded for every row.
#[derive(DerivePartialModel, FromQueryResult)]
#[sea_orm(entity = "record::Entity")]
struct RecordRow {
    id: Uuid,
    patient_id: Uuid,
    hospital_id: Uuid,
    record_type: String,
    recorded_at: DateTime<Utc>,
    payload: String,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    supersedes: Option<Uuid>,
    superseded_by: Option<Uuid>,
    clinician_only: bool,
    interaction_rules: Option<String>,
    override_reason: Option<String>,
}

impl From<record::Model> for RecordRow {
    fn from(m: record::Model) -> Self {
        Self {
            id: m.id,
            patient_id: m.patient_id,
            hospital_id: m.hospital_id,
            record_type: m.record_type,
            recorded_at: m.recorded_at,
            payload: m.payload,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            supersedes: m.supersedes,
            superseded_by: m.superseded_by,
            clinician_only: m.clinician_only,
            interaction_rules: m.interaction_rules,
            override_reason: m.override_reason,
        }
    }
}

fn to_view(core: &Core, m: RecordRow) -> AppResult<ClinicalRecord> {
    let t = parse_type(&m.record_type)?;
    let payload = open_payload(core, m.id, &m.payload)?;
    let summary = Payload::from_stored(t, payload.clone())
        .map(|p| p.summary())
        .unwrap_or_default();
    Ok(ClinicalRecord {
        id: m.id,
        patient_id: m.patient_id,
        hospital_id: m.hospital_id,
        record_type: t,
        category: t.category(),
        recorded_at: m.recorded_at,
        payload,
        summary,
        created_by: m.created_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
        supersedes: m.supersedes,
        superseded_by: m.superseded_by,
        editable: t.is_editable() && m.superseded_by.is_none(),
        clinician_only: m.clinician_only,
        interactions: m
            .interaction_rules
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(warning_of)
            .collect(),
        override_reason: match m.override_reason.as_deref() {
            Some(sealed) => Some(
                core.keyring
                    .open(TABLE, "override_reason", m.id, sealed)
                    .map_err(|e| AppError::internal(format!("record {}: {e}", m.id)))?,
            ),
            None => None,
        },
    })
}

/// The records of `ids` as a reader sees them, `None` for one deleted since (the caller has
/// decided that it may see them).
pub(crate) async fn views_by_id(
    core: &Core,
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Option<ClinicalRecord>>> {
    let mut views = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(views);
    }
    for m in record::Entity::find()
        .filter(record::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
    {
        let view = match m.deleted_at {
            Some(_) => None,
            None => Some(to_view(core, m.clone().into())?),
        };
        views.insert(m.id, view);
    }
    Ok(views)
}

/// The regimen in force among the patient's regimens the caller may see: the newest, unless
/// it stopped treatment. A part of a records read the caller has already been authorized and
/// audited for (a FHIR MedicationRequest says whether it is active).
pub(crate) async fn current_regimen_id(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
) -> AppResult<Option<Uuid>> {
    let linked = Linked::load(&core.db, core.clock.now(), caller, patient_id).await?;
    let mut cond = Condition::all()
        .add(record::Column::PatientId.eq(patient_id))
        .add(record::Column::RecordType.eq(RecordType::ArtRegimen.as_str()))
        .add(record::Column::DeletedAt.is_null())
        .add(record::Column::SupersededBy.is_null());
    if let Some(visible) = visible_records(caller, &linked) {
        cond = cond.add(visible);
    }
    let newest = record::Entity::find()
        .filter(cond)
        .order_by_desc(record::Column::RecordedAt)
        .order_by_desc(record::Column::Id)
        .one(&core.db)
        .await?;
    Ok(newest
        .filter(|m| m.art_action.as_deref() != Some("stop"))
        .map(|m| m.id))
}

/// Sets the queried columns from a payload.
fn set_columns(model: &mut record::ActiveModel, payload: &Payload) {
    if let Payload::ViralLoad(v) = payload {
        model.vl_copies = Set(v.copies_per_ml);
        model.vl_comparator = Set(Some(v.comparator.clone()));
        model.vl_qualitative = Set(v.qualitative.clone());
        model.vl_lower_limit = Set(v.lower_limit);
    }
    if let Payload::Cd4(c) = payload {
        model.cd4_cells = Set(c.cells_per_ul);
        model.cd4_percent = Set(c.percent);
    }
    if let Payload::ArtRegimen(r) = payload {
        model.art_regimen = Set(Some(r.regimen.clone()));
        model.art_line = Set(r.line.clone());
        model.art_action = Set(Some(r.action.clone()));
    }
}

fn seal_payload(core: &Core, table: &str, id: Uuid, payload: &Payload) -> String {
    core.keyring
        .seal(table, "payload", id, &payload.to_json().to_string())
}

/// A validated record to store.
pub struct NewRecord<'a> {
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub created_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub payload: &'a Payload,
    pub supersedes: Option<Uuid>,
    /// Kept from the patient's own view.
    pub clinician_only: bool,
}

/// Inserts a record (the caller has decided and refreshes the state).
pub async fn insert(
    core: &Core,
    db: &impl ConnectionTrait,
    new: NewRecord<'_>,
) -> AppResult<record::Model> {
    Ok(new_model(core, new).insert(db).await?)
}

/// The row for a new record, sealed, with its queried columns set.
pub fn new_model(core: &Core, new: NewRecord<'_>) -> record::ActiveModel {
    let id = Uuid::now_v7();
    let now = core.clock.now();
    let t = new.payload.record_type();
    let mut model = record::ActiveModel {
        id: Set(id),
        patient_id: Set(new.patient_id),
        hospital_id: Set(new.hospital_id),
        record_type: Set(t.as_str().into()),
        category: Set(t.category().as_str().into()),
        recorded_at: Set(new.recorded_at),
        payload: Set(seal_payload(core, TABLE, id, new.payload)),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        supersedes: Set(new.supersedes),
        clinician_only: Set(new.clinician_only),
        ..Default::default()
    };
    set_columns(&mut model, new.payload);
    if let Payload::Dispensing(d) = new.payload {
        // Until when the medicine dispensed lasts: the come-back message is planned from it.
        model.supply_until = Set(Some(
            new.recorded_at + chrono::Duration::days(d.days_supplied),
        ));
    }
    model
}

/// Adds a record for a linked patient. `supersedes` corrects an earlier record of the same
/// type, which is kept and marked.
pub async fn create(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &RecordInput,
) -> AppResult<ClinicalRecord> {
    create_as(core, caller, patient_id, input, None).await
}

/// `create`, remembering the record under the hospital's own id in the same transaction (a
/// sync upload).
pub async fn create_as(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &RecordInput,
    external: Option<&ExternalRef>,
) -> AppResult<ClinicalRecord> {
    let event = Event::new("clinical_record", AuditAction::Create).patient(patient_id);
    audit::authorize(core, caller, Action::WriteRecords, &event).await?;
    let now = core.clock.now();
    let valid = input.validate(now)?;
    let t = valid.payload.record_type();
    let event = event.details(json!({"record_type": t.as_str()}));
    let txn = begin_write(&core.db).await?;
    // A soft-deleted patient has no live link left, so the link decides.
    let access = patient_access(&txn, now, caller, patient_id, None, t.category()).await?;
    let action = Action::WritePatientData {
        permission: t.write_permission(),
        access,
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let (hospital_id, author) = match (caller.actor.hospital_id(), caller.actor.id()) {
        (Some(h), Some(a)) => (h, a),
        _ => return Err(ErrorKind::forbidden().into()),
    };
    if let Some(old_id) = valid.supersedes {
        supersede_target(&txn, old_id, patient_id, hospital_id, t).await?;
    }
    if let Payload::Dispensing(d) = &valid.payload {
        let found = record::Entity::find_by_id(d.prescription_id)
            .filter(record::Column::PatientId.eq(patient_id))
            .filter(record::Column::HospitalId.eq(hospital_id))
            .filter(record::Column::RecordType.eq(RecordType::Prescription.as_str()))
            .filter(record::Column::DeletedAt.is_null())
            .count(&txn)
            .await?;
        if found == 0 {
            return Err(ErrorKind::invalid_field(
                "payload.prescription_id",
                "is not a prescription of this patient at your hospital",
            )
            .into());
        }
    }
    let checked = prescribing::check(core, &txn, caller, patient_id, &valid, now).await?;
    let mut model = new_model(
        core,
        NewRecord {
            patient_id,
            hospital_id,
            created_by: author,
            recorded_at: valid.recorded_at,
            payload: &valid.payload,
            supersedes: valid.supersedes,
            clinician_only: valid.clinician_only,
        },
    );
    model.interaction_rules = Set(checked.stored_rules());
    // The reason is kept only where it overrode something.
    let overriding = !checked.severe.is_empty() && valid.override_reason.is_some();
    if let (true, Some(reason), sea_orm::ActiveValue::Set(id)) =
        (overriding, &valid.override_reason, &model.id)
    {
        model.override_reason = Set(Some(core.keyring.seal(
            TABLE,
            "override_reason",
            *id,
            reason,
        )));
    }
    let model = model.insert(&txn).await?;
    if let Some(old_id) = valid.supersedes {
        // One correction per record: of two corrections sent at once, the second is refused.
        let taken = record::Entity::update_many()
            .col_expr(
                record::Column::SupersededBy,
                sea_orm::sea_query::Expr::value(model.id),
            )
            .filter(record::Column::Id.eq(old_id))
            .filter(record::Column::SupersededBy.is_null())
            .filter(record::Column::DeletedAt.is_null())
            .exec(&txn)
            .await?;
        if !changed_one(&taken) {
            return Err(already_superseded());
        }
    }
    refresh_state(core, &txn, patient_id, hospital_id).await?;
    if let Some(external) = external {
        sync::remember(&txn, hospital_id, now, external, model.id).await?;
    }
    let mut logged = vec![Logged::record(model.id, patient_id, hospital_id, t)];
    if let Some(old_id) = valid.supersedes {
        logged.push(Logged::record(old_id, patient_id, hospital_id, t));
    }
    changes::log(&txn, now, &logged).await?;
    let interactions: Vec<&str> = checked
        .warnings
        .iter()
        .map(|w| w.rule_id.as_str())
        .collect();
    let event = event.entity_id(model.id).details(json!({
        "record_type": t.as_str(),
        "supersedes": valid.supersedes,
        "interactions": interactions,
        "override": overriding,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    to_view(core, model.into())
}

/// The record a correction supersedes: same patient, hospital and type, live, not already
/// superseded.
async fn supersede_target(
    txn: &DatabaseTransaction,
    old_id: Uuid,
    patient_id: Uuid,
    hospital_id: Uuid,
    t: RecordType,
) -> AppResult<()> {
    let old = record::Entity::find_by_id(old_id)
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::HospitalId.eq(hospital_id))
        .filter(record::Column::DeletedAt.is_null())
        .one(txn)
        .await?;
    match old {
        None => Err(ErrorKind::invalid_field(
            "supersedes",
            "is not a record of this patient at your hospital",
        )
        .into()),
        Some(o) if o.record_type != t.as_str() => Err(ErrorKind::invalid_field(
            "supersedes",
            format!(
                "is a {} record; a correction has the same type",
                o.record_type
            ),
        )
        .into()),
        Some(o) if o.superseded_by.is_some() => Err(already_superseded()),
        Some(_) => Ok(()),
    }
}

fn already_superseded() -> AppError {
    ErrorKind::conflict_on(
        "already_superseded",
        "supersedes",
        "this record was already corrected; correct the newest version",
    )
    .into()
}

/// A patient's records the caller may read, newest clinical time first. The read is audited.
pub async fn list(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    filter: &RecordFilter,
    page: PageRequest,
) -> AppResult<Page<ClinicalRecord>> {
    let event = Event::new("clinical_record", AuditAction::Read).patient(patient_id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let txn = read.txn();
    let result = async {
        let linked = Linked::load(txn, core.clock.now(), caller, patient_id).await?;
        list_in(core, caller, txn, patient_id, &linked, filter, page).await
    }
    .await;
    read.finish(result).await
}

/// `list` inside an audited read; also returns the details to record (types, total, ids).
pub(crate) async fn list_in(
    core: &Core,
    caller: &Caller,
    txn: &DatabaseTransaction,
    patient_id: Uuid,
    linked: &Linked,
    filter: &RecordFilter,
    page: PageRequest,
) -> AppResult<(Page<ClinicalRecord>, Value)> {
    crate::policy::authorize(&caller.actor, Action::ReadRecords)?;
    let readable: Vec<RecordType> = match caller.actor.permissions() {
        Some(held) => readable_record_types(held),
        None => RecordType::ALL.to_vec(),
    };
    let types: Vec<RecordType> = if filter.types.is_empty() {
        readable.clone()
    } else {
        filter
            .types
            .iter()
            .copied()
            .filter(|t| readable.contains(t))
            .collect()
    };
    let first = types.first().copied();
    let access = linked.access(
        caller,
        None,
        first.map_or(DataCategory::ClinicalNotes, RecordType::category),
    );
    let action = Action::ReadPatientData {
        permission: first
            .map(|t| record_read_permission(&caller.actor, t))
            .unwrap_or(Permission::RecordsRead),
        access,
    };
    crate::policy::authorize(&caller.actor, action)?;
    let mut cond = Condition::all()
        .add(record::Column::PatientId.eq(patient_id))
        .add(record::Column::DeletedAt.is_null())
        .add(record::Column::RecordType.is_in(types.iter().map(|t| t.as_str())));
    if let Some(visible) = visible_records(caller, linked) {
        cond = cond.add(visible);
    }
    if let Some(h) = filter.hospital_id {
        cond = cond.add(record::Column::HospitalId.eq(h));
    }
    if let Some(from) = filter.from {
        cond = cond.add(record::Column::RecordedAt.gte(from));
    }
    if let Some(to) = filter.to {
        cond = cond.add(record::Column::RecordedAt.lt(to));
    }
    let select = record::Entity::find().filter(cond);
    let rows: Vec<RecordRow> = select
        .clone()
        .order_by_desc(record::Column::RecordedAt)
        .order_by_desc(record::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .into_partial_model()
        .all(txn)
        .await?;
    let total = match page.total_from_rows(rows.len()) {
        Some(total) => total,
        None => select.count(txn).await?,
    };
    let details = json!({
        "types": types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "total": total,
        "record_ids": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
    });
    let data = rows
        .into_iter()
        .map(|m| to_view(core, m))
        .collect::<AppResult<Vec<_>>>()?;
    let page = Page {
        data,
        pagination: Pagination::new(page, total),
    };
    Ok((page, details))
}

/// Loads a live record inside `txn` and decides `write` or read access to it; an invisible
/// record is 404. For a write the record's row stays locked until `txn` ends, so two edits or
/// deletions of one record take turns and the second sees the first.
async fn authorized_record(
    core: &Core,
    caller: &Caller,
    txn: WriteTransaction,
    id: Uuid,
    write: Option<Permission>,
    event: &Event,
) -> AppResult<(WriteTransaction, record::Model)> {
    let query = record::Entity::find_by_id(id).filter(record::Column::DeletedAt.is_null());
    let query = match write {
        Some(_) => locked(query, &txn),
        None => query,
    };
    let found = query.one(&txn).await?;
    let Some(m) = found else {
        txn.rollback().await?;
        audit::record(core, caller, event, Outcome::Denied).await?;
        return Err(ErrorKind::not_found("record").into());
    };
    let t = parse_type(&m.record_type)?;
    let access = patient_access(
        &txn,
        core.clock.now(),
        caller,
        m.patient_id,
        Some(m.hospital_id),
        t.category(),
    )
    .await?;
    let action = match write {
        Some(permission) => Action::WritePatientData { permission, access },
        None => Action::ReadPatientData {
            permission: record_read_permission(&caller.actor, t),
            access,
        },
    };
    let event = event.clone().patient(m.patient_id);
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    Ok((txn, m))
}

/// One record. The read is audited.
pub async fn get(core: &Core, caller: &Caller, id: Uuid) -> AppResult<ClinicalRecord> {
    let event = Event::new("clinical_record", AuditAction::Read).entity_id(id);
    let txn = begin_write(&core.db).await?;
    let (txn, m) = authorized_record(core, caller, txn, id, None, &event).await?;
    let event = event.patient(m.patient_id);
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    to_view(core, m.into())
}

/// Edits a note in place (adherence notes; a diagnosis's text). The previous payload is kept
/// as a revision; the edit is audited.
pub async fn update(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &RecordUpdate,
    if_match: Option<i64>,
) -> AppResult<ClinicalRecord> {
    let event = Event::new("clinical_record", AuditAction::Update).entity_id(id);
    audit::authorize(core, caller, Action::WriteRecords, &event).await?;
    let txn = begin_write(&core.db).await?;
    let (txn, m) = authorized_record(
        core,
        caller,
        txn,
        id,
        Some(Permission::RecordsWrite),
        &event,
    )
    .await?;
    let t = parse_type(&m.record_type)?;
    if !t.is_editable() {
        return Err(ErrorKind::bad_request(
            "record_immutable",
            format!(
                "A {} record cannot be changed. Add a correction that supersedes it.",
                t.label().to_lowercase()
            ),
        )
        .into());
    }
    if m.superseded_by.is_some() {
        return Err(ErrorKind::bad_request(
            "record_superseded",
            "This record was superseded; edit the newest version.",
        )
        .into());
    }
    let raw = input
        .payload
        .as_ref()
        .ok_or_else(|| AppError::from(ErrorKind::invalid_field("payload", "is required")))?;
    let payload = validate_payload(t, raw)?;
    let before = open_payload(core, m.id, &m.payload)?;
    if let (Payload::Diagnosis(new), Some(Payload::Diagnosis(old))) =
        (&payload, Payload::from_stored(t, before.clone()))
    {
        if old.icd10 != new.icd10 {
            return Err(ErrorKind::invalid_field(
                "payload.icd10",
                "cannot be edited; only the text of a diagnosis changes. Record a new diagnosis instead.",
            )
            .into());
        }
    }
    if let Some(expected) = if_match {
        if expected != m.version {
            return Err(ErrorKind::PreconditionFailed {
                current_version: m.version,
            }
            .into());
        }
    }
    let now = core.clock.now();
    let revision_id = Uuid::now_v7();
    revision::ActiveModel {
        id: Set(revision_id),
        record_id: Set(m.id),
        version: Set(m.version),
        payload: Set(core
            .keyring
            .seal(REVISIONS, "payload", revision_id, &before.to_string())),
        edited_by: Set(caller.actor.id().unwrap_or_default()),
        edited_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let version = m.version + 1;
    let patient_id = m.patient_id;
    let mut active: record::ActiveModel = m.into();
    active.payload = Set(seal_payload(core, TABLE, id, &payload));
    active.version = Set(version);
    active.updated_at = Set(now);
    let model = active.update(&txn).await?;
    changes::log(
        &txn,
        now,
        &[Logged::record(id, patient_id, model.hospital_id, t)],
    )
    .await?;
    let event = event.patient(patient_id).details(json!({
        "record_type": t.as_str(),
        "version": version,
        "previous_revision_id": revision_id,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    to_view(core, model.into())
}

/// Soft-deletes a record with a justification (clinical writers of the authoring hospital).
/// A deleted correction hands the value back to the record it superseded.
pub async fn delete(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    request: &DeleteRequest,
) -> AppResult<()> {
    let event = Event::new("clinical_record", AuditAction::Delete).entity_id(id);
    audit::authorize(core, caller, Action::WriteRecords, &event).await?;
    let txn = begin_write(&core.db).await?;
    let (txn, m) = authorized_record(
        core,
        caller,
        txn,
        id,
        Some(Permission::RecordsWrite),
        &event,
    )
    .await?;
    let justification = request.validate()?;
    let now = core.clock.now();
    let (patient_id, hospital_id, supersedes, t) = (
        m.patient_id,
        m.hospital_id,
        m.supersedes,
        m.record_type.clone(),
    );
    let mut active: record::ActiveModel = m.into();
    active.deleted_at = Set(Some(now));
    active.deleted_by = Set(caller.actor.id());
    active.delete_reason = Set(Some(core.keyring.seal(
        TABLE,
        "delete_reason",
        id,
        &justification,
    )));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    if let Some(old) = supersedes {
        record::Entity::update_many()
            .col_expr(
                record::Column::SupersededBy,
                sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
            )
            .filter(record::Column::Id.eq(old))
            .filter(record::Column::SupersededBy.eq(id))
            .exec(&txn)
            .await?;
    }
    refresh_state(core, &txn, patient_id, hospital_id).await?;
    if let Some(t) = RecordType::parse(&t) {
        let mut logged = vec![Logged::record(id, patient_id, hospital_id, t)];
        if let Some(old) = supersedes {
            logged.push(Logged::record(old, patient_id, hospital_id, t));
        }
        changes::log(&txn, now, &logged).await?;
    }
    let event = event.patient(patient_id).details(json!({"record_type": t}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(())
}

/// The live, current (not superseded) records of a type, newest first.
fn current_of(
    patient_id: Uuid,
    hospital_id: Uuid,
    t: RecordType,
) -> sea_orm::Select<record::Entity> {
    record::Entity::find()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::RecordType.eq(t.as_str()))
        .filter(record::Column::HospitalId.eq(hospital_id))
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::SupersededBy.is_null())
        .order_by_desc(record::Column::RecordedAt)
        .order_by_desc(record::Column::Id)
}

/// Writes a patient's state row for one hospital: inserted when missing, otherwise updated in
/// place, in one statement (`INSERT ... ON CONFLICT DO UPDATE`), which also holds the row's lock
/// until the transaction ends.
async fn upsert_state(
    txn: &impl ConnectionTrait,
    row: state::ActiveModel,
    columns: Vec<state::Column>,
) -> AppResult<()> {
    state::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([state::Column::PatientId, state::Column::HospitalId])
                .update_columns(columns)
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Recomputes the patient's clinical state for one hospital from a few indexed lookups (never
/// the whole history). Runs in the transaction of every record write.
///
/// The state row is claimed first: concurrent writers for the same patient and hospital then
/// take turns, and each computes the state from every record committed before it, its own
/// included (on PostgreSQL a read-then-insert let two writers insert the same row).
pub async fn refresh_state(
    core: &Core,
    txn: &impl ConnectionTrait,
    patient_id: Uuid,
    hospital_id: Uuid,
) -> AppResult<()> {
    let now = core.clock.now();
    upsert_state(
        txn,
        state::ActiveModel {
            patient_id: Set(patient_id),
            hospital_id: Set(hospital_id),
            updated_at: Set(now),
            ..Default::default()
        },
        vec![state::Column::UpdatedAt],
    )
    .await?;
    let vls = current_of(patient_id, hospital_id, RecordType::ViralLoad)
        .limit(2)
        .all(txn)
        .await?;
    let cd4 = current_of(patient_id, hospital_id, RecordType::Cd4)
        .one(txn)
        .await?;
    let regimen = current_of(patient_id, hospital_id, RecordType::ArtRegimen)
        .one(txn)
        .await?;
    let start = current_of(patient_id, hospital_id, RecordType::ArtRegimen)
        .filter(record::Column::ArtAction.eq("start"))
        .order_by_asc(record::Column::RecordedAt)
        .one(txn)
        .await?;
    let last = record::Entity::find()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::HospitalId.eq(hospital_id))
        .filter(record::Column::DeletedAt.is_null())
        .order_by_desc(record::Column::RecordedAt)
        .one(txn)
        .await?;
    let latest = vls.first();
    let previous = vls.get(1);
    let stopped = regimen.as_ref().and_then(|r| r.art_action.as_deref()) == Some("stop");
    let on_regimen = regimen.as_ref().filter(|_| !stopped);
    let row = state::ActiveModel {
        patient_id: Set(patient_id),
        hospital_id: Set(hospital_id),
        art_start: Set(start
            .as_ref()
            .map(|s| s.recorded_at)
            .or(regimen.as_ref().map(|r| r.recorded_at))),
        art_status: Set(Some(
            match (&regimen, stopped) {
                (None, _) => "not_started",
                (Some(_), true) => "stopped",
                (Some(_), false) => "on_art",
            }
            .to_string(),
        )),
        regimen: Set(on_regimen.and_then(|r| r.art_regimen.clone())),
        regimen_line: Set(on_regimen.and_then(|r| r.art_line.clone())),
        regimen_since: Set(on_regimen.map(|r| r.recorded_at)),
        latest_vl_id: Set(latest.map(|v| v.id)),
        latest_vl_at: Set(latest.map(|v| v.recorded_at)),
        latest_vl_copies: Set(latest.and_then(|v| v.vl_copies)),
        latest_vl_comparator: Set(latest.and_then(|v| v.vl_comparator.clone())),
        latest_vl_qualitative: Set(latest.and_then(|v| v.vl_qualitative.clone())),
        latest_vl_lower_limit: Set(latest.and_then(|v| v.vl_lower_limit)),
        previous_vl_id: Set(previous.map(|v| v.id)),
        previous_vl_at: Set(previous.map(|v| v.recorded_at)),
        previous_vl_copies: Set(previous.and_then(|v| v.vl_copies)),
        previous_vl_comparator: Set(previous.and_then(|v| v.vl_comparator.clone())),
        previous_vl_qualitative: Set(previous.and_then(|v| v.vl_qualitative.clone())),
        previous_vl_lower_limit: Set(previous.and_then(|v| v.vl_lower_limit)),
        latest_cd4_id: Set(cd4.as_ref().map(|c| c.id)),
        latest_cd4_at: Set(cd4.as_ref().map(|c| c.recorded_at)),
        latest_cd4_cells: Set(cd4.as_ref().and_then(|c| c.cd4_cells)),
        latest_cd4_percent: Set(cd4.as_ref().and_then(|c| c.cd4_percent)),
        last_record_at: Set(last.map(|r| r.recorded_at)),
        updated_at: Set(now),
    };
    let columns = <state::Column as sea_orm::Iterable>::iter()
        .filter(|c| !matches!(c, state::Column::PatientId | state::Column::HospitalId))
        .collect();
    upsert_state(txn, row, columns).await
}

/// A hospital's decision-support rule set (WHO unless it chose another), with its own
/// viral-load thresholds where it set them.
pub fn rule_set_of(h: Option<&hospital::Model>) -> RuleSet {
    match h {
        Some(h) => RuleSet::by_id(Some(&h.rule_set))
            .with_thresholds(h.vl_low_level_above, h.vl_unsuppressed_above),
        None => RuleSet::who(),
    }
}

/// The viral-load thresholds of a hospital's rule set.
pub fn thresholds_of(h: Option<&hospital::Model>) -> VlThresholds {
    rule_set_of(h).thresholds
}

/// The live, current records of one type of a patient, limited to `visible` (the caller's
/// hospital's and those shared with it; `None`: all).
pub(crate) fn live_records(
    patient_id: Uuid,
    t: RecordType,
    visible: Option<Condition>,
) -> sea_orm::Select<record::Entity> {
    let mut q = record::Entity::find()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::RecordType.eq(t.as_str()))
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::SupersededBy.is_null());
    if let Some(visible) = visible {
        q = q.filter(visible);
    }
    q
}

struct VlColumns<'a> {
    id: Option<Uuid>,
    at: Option<DateTime<Utc>>,
    copies: Option<f64>,
    comparator: Option<&'a str>,
    qualitative: Option<&'a str>,
    lower_limit: Option<f64>,
}

fn vl_result(c: VlColumns<'_>, t: VlThresholds) -> Option<VlResult> {
    let comparator = c.comparator.unwrap_or("=");
    Some(VlResult {
        record_id: c.id?,
        recorded_at: c.at?,
        copies_per_ml: c.copies,
        comparator: comparator.to_string(),
        qualitative: c.qualitative.map(str::to_string),
        interpretation: interpret_vl(c.copies, comparator, c.qualitative, c.lower_limit, t),
    })
}

/// The HIV summary from the maintained state (no history scan). The read is audited.
pub async fn summary(core: &Core, caller: &Caller, patient_id: Uuid) -> AppResult<PatientSummary> {
    let event = Event::new("patient_summary", AuditAction::Read)
        .entity_id(patient_id)
        .patient(patient_id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let txn = read.txn();
    let result = async {
        let linked = Linked::load(txn, core.clock.now(), caller, patient_id).await?;
        summary_in(core, caller, txn, patient_id, &linked, false).await
    }
    .await;
    read.finish(result.map(|(summary, _, _)| (summary, json!({}))))
        .await
}

/// The summary (and with `series`, the lab series) inside an audited read.
pub(crate) async fn summary_in(
    core: &Core,
    caller: &Caller,
    txn: &DatabaseTransaction,
    patient_id: Uuid,
    linked: &Linked,
    series: bool,
) -> AppResult<(PatientSummary, Vec<ChartPoint>, Vec<ChartPoint>)> {
    // A soft-deleted patient has no live link left, so the link decides.
    let access = linked.access(caller, None, DataCategory::Labs);
    let action = Action::ReadPatientData {
        permission: Permission::RecordsRead,
        access,
    };
    crate::policy::authorize(&caller.actor, action)?;
    let hospital_id = caller.actor.hospital_id();
    let all_states = state::Entity::find()
        .filter(state::Column::PatientId.eq(patient_id))
        .all(txn)
        .await?;
    // Another hospital's state shows only what the caller may read of it.
    let shared = shared_types(caller, linked);
    let everything = caller.actor == Actor::System;
    let opens =
        |category: DataCategory| everything || shared.iter().any(|t| t.category() == category);
    let (labs, art, notes) = (
        opens(DataCategory::Labs),
        opens(DataCategory::Art),
        opens(DataCategory::ClinicalNotes),
    );
    let mut states = Vec::new();
    let mut hidden = BTreeSet::new();
    for s in all_states {
        if everything || Some(s.hospital_id) == hospital_id {
            states.push(s);
        } else {
            let (visible, withheld) = foreign_state(s, labs, art, notes);
            if withheld {
                hidden.insert(visible.hospital_id);
            }
            states.push(visible);
        }
    }
    hidden.extend(hospitals_with_hidden_records(txn, caller, patient_id, &shared).await?);
    let hospital = match hospital_id {
        Some(h) => hospital::Entity::find_by_id(h).one(txn).await?,
        None => None,
    };
    let (vl, cd4) = if series {
        let hospitals: Vec<Uuid> = states
            .iter()
            .filter(|s| everything || labs || Some(s.hospital_id) == hospital_id)
            .map(|s| s.hospital_id)
            .collect();
        lab_series(txn, caller, patient_id, &hospitals).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let rules = rule_set_of(hospital.as_ref());
    let mut summary = combine(patient_id, &states, rules.thresholds);
    summary.hospitals_withheld = hidden.len() as u32;
    let scope = flags::Scope {
        visible: visible_records(caller, linked),
        here: hospital_id,
    };
    summary.flags = flags::flags(core, txn, patient_id, &scope, &summary, &rules).await?;
    Ok((summary, vl, cd4))
}

/// The most records one read of a patient's own record returns (the portal's records page and
/// the export); a record larger than this is refused rather than cut short.
pub const OWN_RECORD_LIMIT: u64 = 5_000;

/// Every live, current record of the patient at every hospital, newest first, for the patient
/// themselves (the notes a hospital kept from them aside): the portal decides `ReadOwnRecord`
/// before calling.
pub(crate) async fn own_records(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<Vec<ClinicalRecord>> {
    let rows: Vec<RecordRow> = record::Entity::find()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::SupersededBy.is_null())
        .filter(record::Column::ClinicianOnly.eq(false))
        .order_by_desc(record::Column::RecordedAt)
        .order_by_desc(record::Column::Id)
        .limit(OWN_RECORD_LIMIT + 1)
        .into_partial_model()
        .all(db)
        .await?;
    if rows.len() as u64 > OWN_RECORD_LIMIT {
        return Err(ErrorKind::Conflict {
            code: "record_too_large".into(),
            message: format!(
                "This record holds more than {OWN_RECORD_LIMIT} entries; ask your clinic for a copy."
            ),
            fields: Default::default(),
            existing_id: None,
        }
        .into());
    }
    rows.into_iter().map(|m| to_view(core, m)).collect()
}

/// The patient's summary over every hospital (and with `series`, the lab series) for the
/// patient themselves (`ReadOwnRecord` is decided first); viral loads are read with the
/// thresholds of the hospital that registered them.
pub(crate) async fn own_summary(
    core: &Core,
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
    series: bool,
) -> AppResult<(PatientSummary, Vec<ChartPoint>, Vec<ChartPoint>)> {
    let registering = patient::Entity::find_by_id(patient_id)
        .filter(patient::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::from(ErrorKind::not_found("patient")))?
        .registering_hospital_id;
    let states = state::Entity::find()
        .filter(state::Column::PatientId.eq(patient_id))
        .all(db)
        .await?;
    let (vl, cd4) = if series {
        let hospitals: Vec<Uuid> = states.iter().map(|s| s.hospital_id).collect();
        lab_series(db, caller, patient_id, &hospitals).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let hospital = match registering {
        Some(h) => hospital::Entity::find_by_id(h).one(db).await?,
        None => None,
    };
    let rules = rule_set_of(hospital.as_ref());
    let mut summary = combine(patient_id, &states, rules.thresholds);
    let scope = flags::Scope {
        visible: None,
        here: None,
    };
    summary.flags = flags::flags(core, db, patient_id, &scope, &summary, &rules)
        .await?
        .into_iter()
        .filter(|f| !f.patient_text.is_empty())
        .collect();
    Ok((summary, vl, cd4))
}

/// Another hospital's clinical state with only what is open to the caller: its lab values with
/// `labs`, its treatment with `art`, its last record's date with `notes` too; and whether
/// anything of it was withheld.
pub(crate) fn foreign_state(
    mut s: state::Model,
    labs: bool,
    art: bool,
    notes: bool,
) -> (state::Model, bool) {
    let mut withheld = false;
    if !labs {
        withheld |= s.latest_vl_at.is_some() || s.latest_cd4_at.is_some();
        s.latest_vl_id = None;
        s.latest_vl_at = None;
        s.latest_vl_copies = None;
        s.latest_vl_comparator = None;
        s.latest_vl_qualitative = None;
        s.latest_vl_lower_limit = None;
        s.previous_vl_id = None;
        s.previous_vl_at = None;
        s.previous_vl_copies = None;
        s.previous_vl_comparator = None;
        s.previous_vl_qualitative = None;
        s.previous_vl_lower_limit = None;
        s.latest_cd4_id = None;
        s.latest_cd4_at = None;
        s.latest_cd4_cells = None;
        s.latest_cd4_percent = None;
    }
    if !art {
        withheld |= s.art_start.is_some() || s.regimen.is_some();
        s.art_start = None;
        s.art_status = None;
        s.regimen = None;
        s.regimen_line = None;
        s.regimen_since = None;
    }
    // Its last record counts whole when every kind of record is open; else only as far as
    // something of it shows.
    if !(labs && art && notes) {
        s.last_record_at = [
            s.latest_vl_at,
            s.latest_cd4_at,
            s.regimen_since,
            s.art_start,
        ]
        .into_iter()
        .flatten()
        .max();
    }
    (s, withheld)
}

/// The other hospitals holding live records of the patient that the caller may not read
/// (counted, never named, in the summary).
async fn hospitals_with_hidden_records(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
    shared: &[RecordType],
) -> AppResult<BTreeSet<Uuid>> {
    if caller.actor == Actor::System {
        return Ok(BTreeSet::new());
    }
    let mut query = record::Entity::find()
        .select_only()
        .column(record::Column::HospitalId)
        .distinct()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::DeletedAt.is_null());
    if let Some(h) = caller.actor.hospital_id() {
        query = query.filter(record::Column::HospitalId.ne(h));
    }
    if !shared.is_empty() {
        query = query.filter(
            record::Column::RecordType
                .is_not_in(shared.iter().map(|t| t.as_str()).collect::<Vec<_>>()),
        );
    }
    Ok(query
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// One summary from the states of every visible hospital: the latest of each value wins.
pub(crate) fn combine(
    patient_id: Uuid,
    states: &[state::Model],
    t: VlThresholds,
) -> PatientSummary {
    let latest_by = |key: fn(&state::Model) -> Option<DateTime<Utc>>| {
        states
            .iter()
            .filter(|s| key(s).is_some())
            .max_by_key(|s| key(s))
    };
    let vl = latest_by(|s| s.latest_vl_at);
    let cd4 = latest_by(|s| s.latest_cd4_at);
    let regimen = latest_by(|s| s.regimen_since.or(s.art_start));
    let art_start = states.iter().filter_map(|s| s.art_start).min();
    let last = states.iter().filter_map(|s| s.last_record_at).max();
    PatientSummary {
        patient_id,
        art_status: regimen
            .and_then(|s| s.art_status.clone())
            .unwrap_or_else(|| "not_started".into()),
        art_start,
        current_regimen: regimen.and_then(|s| {
            Some(CurrentRegimen {
                regimen: s.regimen.clone()?,
                line: s.regimen_line.clone(),
                since: s.regimen_since?,
            })
        }),
        latest_viral_load: vl.and_then(|s| {
            vl_result(
                VlColumns {
                    id: s.latest_vl_id,
                    at: s.latest_vl_at,
                    copies: s.latest_vl_copies,
                    comparator: s.latest_vl_comparator.as_deref(),
                    qualitative: s.latest_vl_qualitative.as_deref(),
                    lower_limit: s.latest_vl_lower_limit,
                },
                t,
            )
        }),
        previous_viral_load: vl.and_then(|s| {
            vl_result(
                VlColumns {
                    id: s.previous_vl_id,
                    at: s.previous_vl_at,
                    copies: s.previous_vl_copies,
                    comparator: s.previous_vl_comparator.as_deref(),
                    qualitative: s.previous_vl_qualitative.as_deref(),
                    lower_limit: s.previous_vl_lower_limit,
                },
                t,
            )
        }),
        latest_cd4: cd4.and_then(|s| {
            Some(Cd4Result {
                record_id: s.latest_cd4_id?,
                recorded_at: s.latest_cd4_at?,
                cells_per_ul: s.latest_cd4_cells,
                percent: s.latest_cd4_percent,
            })
        }),
        last_record_at: last,
        next_appointment: None,
        thresholds: t,
        flags: Vec::new(),
        hospitals_withheld: 0,
    }
}

/// The names of `hospitals` other than the caller's: the source labels of what they hold.
pub(crate) async fn sources(
    db: &impl ConnectionTrait,
    caller: &Caller,
    hospitals: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    let own = caller.actor.hospital_id();
    let others: BTreeSet<Uuid> = hospitals.into_iter().filter(|h| Some(*h) != own).collect();
    if others.is_empty() {
        return Ok(Default::default());
    }
    Ok(hospital::Entity::find()
        .filter(hospital::Column::Id.is_in(others))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect())
}

/// The live, current VL and CD4 values for the chart, oldest first, read from the columns
/// (the payloads are not opened).
async fn lab_series(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
    hospitals: &[Uuid],
) -> AppResult<(Vec<ChartPoint>, Vec<ChartPoint>)> {
    let names = sources(db, caller, hospitals.iter().copied()).await?;
    let rows = record::Entity::find()
        .filter(record::Column::PatientId.eq(patient_id))
        .filter(record::Column::HospitalId.is_in(hospitals.to_vec()))
        .filter(
            record::Column::RecordType
                .is_in([RecordType::ViralLoad.as_str(), RecordType::Cd4.as_str()]),
        )
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::SupersededBy.is_null())
        .order_by_asc(record::Column::RecordedAt)
        .limit(500)
        .all(db)
        .await?;
    let mut vl = Vec::new();
    let mut cd4 = Vec::new();
    for r in rows {
        if r.record_type == RecordType::ViralLoad.as_str() {
            let undetected = matches!(r.vl_qualitative.as_deref(), Some("not_detected" | "ldl"))
                || r.vl_comparator.as_deref() == Some("<");
            vl.push(ChartPoint {
                at: r.recorded_at,
                value: r.vl_copies.or(r.vl_lower_limit),
                below_limit: undetected,
                source: names.get(&r.hospital_id).cloned(),
            });
        } else {
            cd4.push(ChartPoint {
                at: r.recorded_at,
                value: r.cd4_cells.map(|c| c as f64),
                below_limit: false,
                source: names.get(&r.hospital_id).cloned(),
            });
        }
    }
    Ok((vl, cd4))
}
