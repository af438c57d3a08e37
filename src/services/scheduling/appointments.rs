//! Appointments: book, read, list, reschedule, check in, complete (which leaves the CPT
//! record billing invoices from), mark missed, cancel.
//!
//! Two bookings racing for one slot: each takes the row locks of the provider's account and of
//! the patient (`FOR UPDATE` on PostgreSQL; a SQLite write transaction holds the whole
//! database) before it looks for overlaps, so the second one waits, then sees the first and is
//! refused. Lock order: appointment row, then provider, then patient, then the audit head.
//! A patient's overlaps are looked for at the caller's hospital only: another hospital's
//! bookings are not the caller's to know of.

use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

use super::billing;
use super::schedule::to_local;
use crate::db::{begin_write, locked, WriteTransaction};
use crate::domain::clinical::category::DataCategory;
use crate::domain::identity::role::{Permission, Role};
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::scheduling::appointment::{
    may_mark_missed, Appointment, AppointmentFilter, AppointmentInput, AppointmentStatus,
    AppointmentUpdate, VisitType, Window,
};
use crate::domain::{ErrorKind, FieldErrors};
use crate::entities::{
    appointment, hospital, patient, patient_hospital_link as link, staff_account,
};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients::{names_of, patient_access};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;
use chrono_tz::Tz;

const TABLE: &str = "appointments";
const ENTITY: &str = "appointment";

pub(crate) fn not_found() -> AppError {
    ErrorKind::not_found("Appointment").into()
}

fn seal(core: &Core, column: &str, id: Uuid, value: Option<&str>) -> Option<String> {
    value.map(|v| core.keyring.seal(TABLE, column, id, v))
}

fn open(core: &Core, column: &str, id: Uuid, value: Option<&str>) -> AppResult<Option<String>> {
    value
        .map(|v| {
            core.keyring
                .open(TABLE, column, id, v)
                .map_err(|e| AppError::internal(format!("{TABLE}.{column} of {id}: {e}")))
        })
        .transpose()
}

pub(crate) fn status_of(m: &appointment::Model) -> AppResult<AppointmentStatus> {
    AppointmentStatus::parse(&m.status)
        .ok_or_else(|| AppError::internal(format!("appointment {}: status {}", m.id, m.status)))
}

fn visit_type_of(m: &appointment::Model) -> AppResult<VisitType> {
    VisitType::parse(&m.visit_type).ok_or_else(|| {
        AppError::internal(format!("appointment {}: visit type {}", m.id, m.visit_type))
    })
}

/// The time zone of hospital `id`.
async fn zone(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Tz> {
    Ok(hospital::Entity::find_by_id(id)
        .select_only()
        .column(hospital::Column::Timezone)
        .into_tuple::<String>()
        .one(db)
        .await?
        .and_then(|z| z.parse().ok())
        .unwrap_or(Tz::UTC))
}

fn to_view(
    core: &Core,
    m: appointment::Model,
    tz: Tz,
    provider_name: String,
    patient_name: Option<String>,
) -> AppResult<Appointment> {
    Ok(Appointment {
        local_start: to_local(tz, m.scheduled_start),
        local_end: to_local(tz, m.scheduled_end),
        timezone: tz.name().to_string(),
        appointment_id: m.id,
        hospital_id: m.hospital_id,
        patient_id: m.patient_id,
        patient_name,
        provider_user_id: m.provider_id,
        provider_name,
        scheduled_start: m.scheduled_start,
        scheduled_end: m.scheduled_end,
        status: status_of(&m)?,
        visit_type: visit_type_of(&m)?,
        reason: open(core, "reason", m.id, m.reason.as_deref())?,
        notes: open(core, "notes", m.id, m.notes.as_deref())?,
        cpt_id: m.cpt_id,
        checked_in_at: m.checked_in_at,
        completed_at: m.completed_at,
        cancelled_at: m.cancelled_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// The ids of `ids`, each once, in order.
pub(crate) fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    ids.collect::<BTreeSet<_>>().into_iter().collect()
}

/// The caller's hospital (nil for callers with none, whom `AtHospital` then refuses).
fn own_hospital(caller: &Caller) -> Uuid {
    caller.actor.hospital_id().unwrap_or_else(Uuid::nil)
}

/// The provider's account, locked: an active clinician of `hospital_id`, or a 400 naming
/// `provider_user_id`.
async fn lock_provider(
    txn: &WriteTransaction,
    hospital_id: Uuid,
    provider_id: Uuid,
) -> AppResult<staff_account::Model> {
    let found = locked(staff_account::Entity::find_by_id(provider_id), txn)
        .one(txn)
        .await?;
    match found {
        Some(p)
            if p.active
                && p.hospital_id == Some(hospital_id)
                && p.role == Role::Clinician.as_str() =>
        {
            Ok(p)
        }
        _ => Err(ErrorKind::invalid_field(
            "provider_user_id",
            "is not an active clinician of this hospital",
        )
        .into()),
    }
}

/// Locks the patient's row, so two bookings of one patient take turns.
async fn lock_patient(txn: &WriteTransaction, patient_id: Uuid) -> AppResult<()> {
    locked(
        patient::Entity::find_by_id(patient_id)
            .select_only()
            .column(patient::Column::Id),
        txn,
    )
    .into_tuple::<Uuid>()
    .one(txn)
    .await?;
    Ok(())
}

/// Refuses `window` when it overlaps an appointment that holds its time, of the same
/// provider or of the same patient at `hospital_id` (`except`: the one being rescheduled),
/// naming the appointment in the way.
async fn ensure_free(
    txn: &WriteTransaction,
    hospital_id: Uuid,
    window: Window,
    provider_id: Uuid,
    patient_id: Uuid,
    except: Option<Uuid>,
) -> AppResult<()> {
    let holding: Vec<&str> = AppointmentStatus::HOLDING
        .iter()
        .map(|s| s.as_str())
        .collect();
    let mut cond = Condition::all()
        .add(appointment::Column::Status.is_in(holding))
        .add(appointment::Column::ScheduledStart.lt(window.end))
        .add(appointment::Column::ScheduledEnd.gt(window.start))
        .add(
            Condition::any()
                .add(appointment::Column::ProviderId.eq(provider_id))
                .add(
                    Condition::all()
                        .add(appointment::Column::PatientId.eq(patient_id))
                        .add(appointment::Column::HospitalId.eq(hospital_id)),
                ),
        );
    if let Some(id) = except {
        cond = cond.add(appointment::Column::Id.ne(id));
    }
    let Some(other) = appointment::Entity::find()
        .filter(cond)
        .order_by_asc(appointment::Column::ScheduledStart)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let whose = if other.provider_id == provider_id {
        "the provider"
    } else {
        "the patient"
    };
    let message = format!(
        "Overlaps appointment {} of {whose} ({} to {} UTC).",
        other.id,
        crate::domain::format_timestamp(other.scheduled_start),
        crate::domain::format_timestamp(other.scheduled_end),
    );
    let mut fields = FieldErrors::new();
    fields.insert("scheduled_start".into(), vec![message.clone()]);
    Err(ErrorKind::Conflict {
        code: "appointment_conflict".into(),
        message,
        fields,
        existing_id: Some(other.id),
    }
    .into())
}

async fn provider_name(db: &impl ConnectionTrait, id: Uuid) -> AppResult<String> {
    Ok(staff_account::Entity::find_by_id(id)
        .select_only()
        .column(staff_account::Column::DisplayName)
        .into_tuple::<String>()
        .one(db)
        .await?
        .unwrap_or_default())
}

/// Books an appointment (ClinicHub's `POST /appointments`).
pub async fn create(
    core: &Core,
    caller: &Caller,
    input: &AppointmentInput,
) -> AppResult<Appointment> {
    let event = Event::new(ENTITY, AuditAction::Create);
    let own = own_hospital(caller);
    let at_hospital = Action::AtHospital {
        permission: Permission::AppointmentsWrite,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let valid = input.validate()?;
    let author = caller
        .actor
        .id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let now = core.clock.now();
    let event = event.patient(valid.patient_id);
    let txn = begin_write(&core.db).await?;
    let provider = lock_provider(&txn, own, valid.provider_id).await?;
    lock_patient(&txn, valid.patient_id).await?;
    let access = patient_access(
        &txn,
        now,
        caller,
        valid.patient_id,
        None,
        DataCategory::Appointments,
    )
    .await?;
    let action = Action::WritePatientData {
        permission: Permission::AppointmentsWrite,
        access,
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    ensure_free(
        &txn,
        own,
        valid.window,
        valid.provider_id,
        valid.patient_id,
        None,
    )
    .await?;
    let id = Uuid::now_v7();
    let model = appointment::ActiveModel {
        id: Set(id),
        hospital_id: Set(own),
        patient_id: Set(valid.patient_id),
        provider_id: Set(valid.provider_id),
        scheduled_start: Set(valid.window.start),
        scheduled_end: Set(valid.window.end),
        status: Set(AppointmentStatus::Scheduled.as_str().into()),
        visit_type: Set(valid.visit_type.as_str().into()),
        reason: Set(seal(core, "reason", id, valid.reason.as_deref())),
        notes: Set(seal(core, "notes", id, valid.notes.as_deref())),
        cpt_id: Set(None),
        checked_in_at: Set(None),
        completed_at: Set(None),
        cancelled_at: Set(None),
        created_by: Set(author),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let event = event.entity_id(id).details(json!({
        "provider_user_id": valid.provider_id,
        "scheduled_start": valid.window.start,
        "scheduled_end": valid.window.end,
        "visit_type": valid.visit_type.as_str(),
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    let tz = zone(&core.db, own).await?;
    to_view(core, model, tz, provider.display_name, None)
}

/// Loads an appointment inside `txn` (locked for a write) and decides read or `write` access
/// to it; one the caller may not see is 404, as a missing one is.
async fn authorized(
    core: &Core,
    caller: &Caller,
    txn: WriteTransaction,
    id: Uuid,
    write: Option<Permission>,
    event: &Event,
) -> AppResult<(WriteTransaction, appointment::Model, Event)> {
    let query = appointment::Entity::find_by_id(id);
    let query = match write {
        Some(_) => locked(query, &txn),
        None => query,
    };
    let Some(m) = query.one(&txn).await? else {
        txn.rollback().await?;
        audit::record(core, caller, event, Outcome::Denied).await?;
        return Err(not_found());
    };
    let access = patient_access(
        &txn,
        core.clock.now(),
        caller,
        m.patient_id,
        Some(m.hospital_id),
        DataCategory::Appointments,
    )
    .await?;
    let action = match write {
        Some(permission) => Action::WritePatientData { permission, access },
        None => Action::ReadPatientData {
            permission: Permission::AppointmentsRead,
            access,
        },
    };
    let event = event.clone().patient(m.patient_id);
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    Ok((txn, m, event))
}

/// One appointment. The read is audited.
pub async fn get(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Appointment> {
    let event = Event::new(ENTITY, AuditAction::Read).entity_id(id);
    let txn = begin_write(&core.db).await?;
    let (txn, m, event) = authorized(core, caller, txn, id, None, &event).await?;
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    let provider = provider_name(&txn, m.provider_id).await?;
    let patient = names_of(core, &txn, &[m.patient_id])
        .await?
        .remove(&m.patient_id);
    let tz = zone(&txn, m.hospital_id).await?;
    txn.commit().await?;
    to_view(core, m, tz, provider, patient)
}

/// The live links' patients of `hospital_id`, as a subquery.
pub(crate) fn linked_patients(hospital_id: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(link::Column::PatientId)
        .from(link::Entity)
        .and_where(link::Column::HospitalId.eq(hospital_id))
        .and_where(link::Column::RemovedAt.is_null())
        .to_owned()
}

/// The caller's hospital's appointments of its linked patients matching `filter`, soonest
/// first. The read is audited with the patients it showed.
pub async fn list(
    core: &Core,
    caller: &Caller,
    filter: &AppointmentFilter,
    page: PageRequest,
) -> AppResult<Page<Appointment>> {
    let own = own_hospital(caller);
    let event = Event::new(ENTITY, AuditAction::Read);
    let at_hospital = Action::AtHospital {
        permission: Permission::AppointmentsRead,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let mut cond = Condition::all()
            .add(appointment::Column::HospitalId.eq(own))
            .add(appointment::Column::PatientId.in_subquery(linked_patients(own)));
        if let Some(s) = filter.status {
            cond = cond.add(appointment::Column::Status.eq(s.as_str()));
        }
        if let Some(p) = filter.provider_id {
            cond = cond.add(appointment::Column::ProviderId.eq(p));
        }
        if let Some(p) = filter.patient_id {
            cond = cond.add(appointment::Column::PatientId.eq(p));
        }
        if let Some(from) = filter.from {
            cond = cond.add(appointment::Column::ScheduledStart.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(appointment::Column::ScheduledStart.lt(to));
        }
        let query = appointment::Entity::find()
            .filter(cond)
            .order_by_asc(appointment::Column::ScheduledStart)
            .order_by_asc(appointment::Column::Id);
        let rows = query
            .clone()
            .offset(page.offset())
            .limit(page.per_page)
            .all(txn)
            .await?;
        let total = match page.total_from_rows(rows.len()) {
            Some(total) => total,
            None => query.count(txn).await?,
        };
        let (data, patients) = views(core, txn, caller, rows).await?;
        let details = json!({"count": data.len(), "patient_ids": patients});
        Ok((
            Page {
                data,
                pagination: Pagination::new(page, total),
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

/// The views of `rows` with their providers' and (for readers of demographics) patients'
/// names, and the patients they show.
pub(crate) async fn views(
    core: &Core,
    db: &impl ConnectionTrait,
    caller: &Caller,
    rows: Vec<appointment::Model>,
) -> AppResult<(Vec<Appointment>, Vec<Uuid>)> {
    let patients: Vec<Uuid> = distinct(rows.iter().map(|m| m.patient_id));
    let providers: Vec<Uuid> = distinct(rows.iter().map(|m| m.provider_id));
    let provider_names: HashMap<Uuid, String> = staff_account::Entity::find()
        .select_only()
        .column(staff_account::Column::Id)
        .column(staff_account::Column::DisplayName)
        .filter(staff_account::Column::Id.is_in(providers))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let hospitals: Vec<Uuid> = distinct(rows.iter().map(|m| m.hospital_id));
    let zones: HashMap<Uuid, Tz> = hospital::Entity::find()
        .select_only()
        .column(hospital::Column::Id)
        .column(hospital::Column::Timezone)
        .filter(hospital::Column::Id.is_in(hospitals))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, z)| (id, z.parse().unwrap_or(Tz::UTC)))
        .collect();
    let reads_names = caller
        .actor
        .permissions()
        .is_some_and(|p| p.has(Permission::PatientsRead));
    let names = if reads_names {
        names_of(core, db, &patients).await?
    } else {
        HashMap::new()
    };
    let mut data = Vec::with_capacity(rows.len());
    for m in rows {
        let provider = provider_names
            .get(&m.provider_id)
            .cloned()
            .unwrap_or_default();
        let patient = names.get(&m.patient_id).cloned();
        let tz = zones.get(&m.hospital_id).copied().unwrap_or(Tz::UTC);
        data.push(to_view(core, m, tz, provider, patient)?);
    }
    Ok((data, patients))
}

/// Reschedules, changes the status (check in, complete, missed, back to booked), or edits the
/// reason and notes. Completing needs `records.write` (a clinical act) and creates the CPT
/// record; `expected` is the `If-Match` version, when sent.
pub async fn update(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &AppointmentUpdate,
    expected: Option<i64>,
) -> AppResult<Appointment> {
    let event = Event::new(ENTITY, AuditAction::Update).entity_id(id);
    let own = own_hospital(caller);
    let at_hospital = Action::AtHospital {
        permission: Permission::AppointmentsWrite,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let valid = input.validate()?;
    let now = core.clock.now();
    let permission = match valid.status {
        Some(AppointmentStatus::Completed) => Permission::RecordsWrite,
        _ => Permission::AppointmentsWrite,
    };
    let txn = begin_write(&core.db).await?;
    let (txn, current, event) = authorized(core, caller, txn, id, Some(permission), &event).await?;
    if let Some(expected) = expected {
        if expected != current.version {
            return Err(ErrorKind::PreconditionFailed {
                current_version: current.version,
            }
            .into());
        }
    }
    let status = status_of(&current)?;
    let visit_type = visit_type_of(&current)?;
    let changes_visit = valid.visit_type.is_some_and(|v| v != visit_type);
    if valid.reschedules() || changes_visit {
        status.may_reschedule()?;
    }
    let to = valid.status.unwrap_or(
        // A missed visit given a new time is booked again.
        if valid.reschedules() && status == AppointmentStatus::NoShow {
            AppointmentStatus::Scheduled
        } else {
            status
        },
    );
    status.may_become(to)?;
    let window = Window::new(current.scheduled_start, current.scheduled_end)?;
    let window = valid.window(window)?;
    if to == AppointmentStatus::NoShow && status != AppointmentStatus::NoShow {
        may_mark_missed(window, now)?;
    }
    let provider_id = valid.provider_id.unwrap_or(current.provider_id);
    // A new time or provider, or a visit that holds its time again, must be free.
    let provider = if valid.reschedules() || (to.holds_time() && !status.holds_time()) {
        let provider = lock_provider(&txn, own, provider_id).await?;
        lock_patient(&txn, current.patient_id).await?;
        ensure_free(&txn, own, window, provider_id, current.patient_id, Some(id)).await?;
        provider.display_name
    } else {
        provider_name(&txn, provider_id).await?
    };
    let visit_type = valid.visit_type.unwrap_or(visit_type);
    let mut model: appointment::ActiveModel = current.clone().into();
    let mut changed: Vec<&str> = Vec::new();
    if window.start != current.scheduled_start {
        model.scheduled_start = Set(window.start);
        changed.push("scheduled_start");
    }
    if window.end != current.scheduled_end {
        model.scheduled_end = Set(window.end);
        changed.push("scheduled_end");
    }
    if provider_id != current.provider_id {
        model.provider_id = Set(provider_id);
        changed.push("provider_user_id");
    }
    if changes_visit {
        model.visit_type = Set(visit_type.as_str().into());
        changed.push("visit_type");
    }
    if let Some(reason) = &valid.reason {
        model.reason = Set(seal(core, "reason", id, reason.as_deref()));
        changed.push("reason");
    }
    if let Some(notes) = &valid.notes {
        model.notes = Set(seal(core, "notes", id, notes.as_deref()));
        changed.push("notes");
    }
    let mut cpt_id = None;
    if to != status {
        model.status = Set(to.as_str().into());
        changed.push("status");
        match to {
            AppointmentStatus::CheckedIn => model.checked_in_at = Set(Some(now)),
            AppointmentStatus::Scheduled => model.checked_in_at = Set(None),
            AppointmentStatus::Completed => {
                model.completed_at = Set(Some(now));
                let cpt = billing::record_cpt(&txn, &current, visit_type, now).await?;
                model.cpt_id = Set(Some(cpt));
                cpt_id = Some(cpt);
            }
            _ => {}
        }
    }
    if changed.is_empty() {
        // Nothing to change (a visit completed twice): no write, no second CPT record; the
        // request saw the appointment, so it is recorded.
        let event = event.details(json!({"changed": changed}));
        audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
        txn.commit().await?;
        let patient = names_of(core, &core.db, &[current.patient_id])
            .await?
            .remove(&current.patient_id);
        let tz = zone(&core.db, current.hospital_id).await?;
        return to_view(core, current, tz, provider, patient);
    }
    model.updated_at = Set(now);
    model.version = Set(current.version + 1);
    let model = model.update(&txn).await?;
    let event = event.details(json!({
        "changed": changed,
        "status": {"from": status.as_str(), "to": to.as_str()},
        "cpt_id": cpt_id,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let patient = names_of(core, &txn, &[model.patient_id])
        .await?
        .remove(&model.patient_id);
    txn.commit().await?;
    let tz = zone(&core.db, model.hospital_id).await?;
    to_view(core, model, tz, provider, patient)
}

/// Cancels softly (ClinicHub's `DELETE`): the booking is kept with status `cancelled`.
/// Cancelling a cancelled appointment changes nothing; a completed one cannot be (409).
pub async fn cancel(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Appointment> {
    let event = Event::new(ENTITY, AuditAction::Delete).entity_id(id);
    let own = own_hospital(caller);
    let at_hospital = Action::AtHospital {
        permission: Permission::AppointmentsWrite,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let write = Some(Permission::AppointmentsWrite);
    let (txn, current, event) = authorized(core, caller, txn, id, write, &event).await?;
    let status = status_of(&current)?;
    let provider = provider_name(&txn, current.provider_id).await?;
    if status == AppointmentStatus::Cancelled {
        txn.commit().await?;
        let tz = zone(&core.db, current.hospital_id).await?;
        return to_view(core, current, tz, provider, None);
    }
    status.may_become(AppointmentStatus::Cancelled)?;
    let mut model: appointment::ActiveModel = current.clone().into();
    model.status = Set(AppointmentStatus::Cancelled.as_str().into());
    model.cancelled_at = Set(Some(now));
    model.updated_at = Set(now);
    model.version = Set(current.version + 1);
    let model = model.update(&txn).await?;
    let event = event.details(json!({"status": {"from": status.as_str(), "to": "cancelled"}}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    let tz = zone(&core.db, model.hospital_id).await?;
    to_view(core, model, tz, provider, None)
}

/// Most of a patient's appointments a chart shows.
const CHART_VISITS: u64 = 50;

/// The patient's appointments the caller may see, latest first: its own hospital's, and other
/// hospitals' while the patient's consent (`appointments`) or a break-glass opening lets it.
/// A part of an audited read (the chart): the caller has been decided on the patient, and
/// the policy is asked for this category here; the details name what was shown.
pub(crate) async fn of_patient_in(
    core: &Core,
    caller: &Caller,
    txn: &sea_orm::DatabaseTransaction,
    patient_id: Uuid,
    linked: &crate::services::clinical::patients::Linked,
) -> AppResult<(Vec<Appointment>, serde_json::Value)> {
    let own = linked.access(caller, None, DataCategory::Appointments);
    crate::policy::authorize(
        &caller.actor,
        Action::ReadPatientData {
            permission: Permission::AppointmentsRead,
            access: own,
        },
    )?;
    let elsewhere = linked.access(caller, Some(Uuid::nil()), DataCategory::Appointments);
    let others = crate::policy::decide(
        &caller.actor,
        Action::ReadPatientData {
            permission: Permission::AppointmentsRead,
            access: elsewhere,
        },
    ) == crate::policy::Decision::Allow;
    let mut cond = Condition::all().add(appointment::Column::PatientId.eq(patient_id));
    if !others {
        cond = cond.add(appointment::Column::HospitalId.eq(own_hospital(caller)));
    }
    let rows = appointment::Entity::find()
        .filter(cond)
        .order_by_desc(appointment::Column::ScheduledStart)
        .limit(CHART_VISITS)
        .all(txn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let (data, _) = views(core, txn, caller, rows).await?;
    Ok((data, json!({"appointment_ids": ids})))
}

/// A visit of the demo network, written as it would have been booked (and, for a past one,
/// completed with its CPT record): the caller is the seed.
pub(crate) async fn seed_visit(
    core: &Core,
    txn: &WriteTransaction,
    visit: SeedVisit,
) -> AppResult<Uuid> {
    let now = core.clock.now();
    let id = Uuid::now_v7();
    let completed = visit.status == AppointmentStatus::Completed;
    let model = appointment::ActiveModel {
        id: Set(id),
        hospital_id: Set(visit.hospital_id),
        patient_id: Set(visit.patient_id),
        provider_id: Set(visit.provider_id),
        scheduled_start: Set(visit.window.start),
        scheduled_end: Set(visit.window.end),
        status: Set(visit.status.as_str().into()),
        visit_type: Set(visit.visit_type.as_str().into()),
        reason: Set(seal(core, "reason", id, visit.reason)),
        notes: Set(None),
        cpt_id: Set(None),
        checked_in_at: Set(completed.then_some(visit.window.start)),
        completed_at: Set(completed.then_some(visit.window.end)),
        cancelled_at: Set(None),
        created_by: Set(visit.provider_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(txn)
    .await?;
    if completed {
        let cpt = billing::record_cpt(txn, &model, visit.visit_type, now).await?;
        let mut done: appointment::ActiveModel = model.into();
        done.cpt_id = Set(Some(cpt));
        done.update(txn).await?;
    }
    Ok(id)
}

/// A visit the demo seed writes.
pub(crate) struct SeedVisit {
    pub hospital_id: Uuid,
    pub patient_id: Uuid,
    pub provider_id: Uuid,
    pub window: Window,
    pub status: AppointmentStatus,
    pub visit_type: VisitType,
    pub reason: Option<&'static str>,
}

/// The patient's own visits at every hospital (the portal decides `ReadOwnRecord` first):
/// those still to come, soonest first, or (`past`) those gone by, latest first; at most
/// `limit`. A part of an audited read.
pub(crate) async fn own_visits(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    past: bool,
    limit: u64,
) -> AppResult<Vec<crate::domain::portal::MyVisit>> {
    let now = core.clock.now();
    let mut query =
        appointment::Entity::find().filter(appointment::Column::PatientId.eq(patient_id));
    query = if past {
        query
            .filter(appointment::Column::ScheduledEnd.lt(now))
            .order_by_desc(appointment::Column::ScheduledStart)
    } else {
        let standing =
            [AppointmentStatus::Scheduled, AppointmentStatus::CheckedIn].map(|s| s.as_str());
        query
            .filter(appointment::Column::ScheduledEnd.gte(now))
            .filter(appointment::Column::Status.is_in(standing))
            .order_by_asc(appointment::Column::ScheduledStart)
    };
    let rows = query.limit(limit).all(db).await?;
    let hospitals: Vec<Uuid> = distinct(rows.iter().map(|m| m.hospital_id));
    let places: HashMap<Uuid, (String, Tz)> = hospital::Entity::find()
        .filter(hospital::Column::Id.is_in(hospitals))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, (h.name, h.timezone.parse().unwrap_or(Tz::UTC))))
        .collect();
    rows.into_iter()
        .map(|m| {
            let (name, tz) = places
                .get(&m.hospital_id)
                .cloned()
                .unwrap_or_else(|| (String::new(), Tz::UTC));
            Ok(crate::domain::portal::MyVisit {
                appointment_id: m.id,
                hospital_id: m.hospital_id,
                hospital_name: name,
                scheduled_start: m.scheduled_start,
                local_start: to_local(tz, m.scheduled_start),
                status: status_of(&m)?,
            })
        })
        .collect()
}
