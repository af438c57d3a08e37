//! Billing: the hospital's fee table, the CPT record a completed visit leaves, invoices and
//! payments. The billing desk sees amounts, codes and the patient's name, nothing clinical.
//!
//! One invoice per appointment is guarded by a unique index: two clerks invoicing the same
//! visit at once get one invoice and one 409.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

use super::appointments::{self, distinct, status_of};
use crate::db::{begin_write, is_unique_violation, locked, WriteTransaction};
use crate::domain::clinical::category::DataCategory;
use crate::domain::identity::role::Permission;
use crate::domain::page::{PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::scheduling::appointment::{AppointmentStatus, VisitType};
use crate::domain::scheduling::billing::{
    default_fee, BillableVisit, FeeTableInput, Invoice, InvoiceFilter, InvoiceInput, InvoicePage,
    InvoiceStatus, InvoiceTotals, InvoiceUpdate, VisitFee,
};
use crate::domain::ErrorKind;
use crate::entities::{appointment, cpt_record, invoice, visit_fee};
use crate::error::{AppError, AppResult};
use crate::policy::{held_permission, Action, Caller};
use crate::services::clinical::patients::{names_of, patient_access};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

const ENTITY: &str = "invoice";

fn invoice_not_found() -> AppError {
    ErrorKind::not_found("Invoice").into()
}

/// The fee `hospital_id` bills `visit_type` at: its own row, else the default.
pub(crate) async fn fee_for(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    visit_type: VisitType,
) -> AppResult<VisitFee> {
    let own = visit_fee::Entity::find_by_id((hospital_id, visit_type.as_str().to_string()))
        .one(db)
        .await?;
    Ok(match own {
        Some(row) => VisitFee {
            visit_type,
            cpt_code: row.cpt_code,
            description: row.description,
            amount_minor: row.amount_minor,
            currency: row.currency,
        },
        None => default_fee(visit_type),
    })
}

/// Writes the CPT record of a visit being completed (its row is locked by the caller) with
/// the fee in force now; returns its id.
pub(crate) async fn record_cpt(
    txn: &WriteTransaction,
    visit: &appointment::Model,
    visit_type: VisitType,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let fee = fee_for(txn, visit.hospital_id, visit_type).await?;
    let id = Uuid::now_v7();
    cpt_record::ActiveModel {
        id: Set(id),
        appointment_id: Set(visit.id),
        hospital_id: Set(visit.hospital_id),
        patient_id: Set(visit.patient_id),
        cpt_code: Set(fee.cpt_code),
        description: Set(fee.description),
        amount_minor: Set(fee.amount_minor),
        currency: Set(fee.currency),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// The fee table of `hospital_id`: every visit type, as it is billed there now. For its
/// billing desk and its admins.
pub async fn fees(core: &Core, caller: &Caller, hospital_id: Uuid) -> AppResult<Vec<VisitFee>> {
    let event = Event::new("visit_fees", AuditAction::Read).entity_id(hospital_id);
    let permission = held_permission(
        &caller.actor,
        &[Permission::BillingRead, Permission::SettingsManage],
    );
    let action = Action::AtHospital {
        permission,
        hospital_id,
    };
    audit::authorize(core, caller, action, &event).await?;
    let mut table = Vec::new();
    for v in VisitType::ALL {
        table.push(fee_for(&core.db, hospital_id, v).await?);
    }
    Ok(table)
}

/// Replaces the hospital's own fee rows (visit types left out go back to the defaults).
/// Visits completed before keep the fee they were recorded with.
pub async fn set_fees(
    core: &Core,
    caller: &Caller,
    hospital_id: Uuid,
    input: &FeeTableInput,
) -> AppResult<Vec<VisitFee>> {
    let event = Event::new("visit_fees", AuditAction::Update).entity_id(hospital_id);
    audit::authorize(
        core,
        caller,
        Action::UpdateHospitalSettings(hospital_id),
        &event,
    )
    .await?;
    let rows = input.validate()?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    visit_fee::Entity::delete_many()
        .filter(visit_fee::Column::HospitalId.eq(hospital_id))
        .exec(&txn)
        .await?;
    for fee in &rows {
        visit_fee::ActiveModel {
            hospital_id: Set(hospital_id),
            visit_type: Set(fee.visit_type.as_str().into()),
            cpt_code: Set(fee.cpt_code.clone()),
            description: Set(fee.description.clone()),
            amount_minor: Set(fee.amount_minor),
            currency: Set(fee.currency.clone()),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let types: Vec<&str> = rows.iter().map(|f| f.visit_type.as_str()).collect();
    let event = event.details(json!({"visit_types": types}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let mut table = Vec::new();
    for v in VisitType::ALL {
        table.push(fee_for(&txn, hospital_id, v).await?);
    }
    txn.commit().await?;
    Ok(table)
}

fn parse_status(m: &invoice::Model) -> AppResult<InvoiceStatus> {
    match m.status.as_str() {
        "paid" => Ok(InvoiceStatus::Paid),
        "unpaid" => Ok(InvoiceStatus::Unpaid),
        other => Err(AppError::internal(format!(
            "invoice {}: status {other}",
            m.id
        ))),
    }
}

fn to_view(
    m: invoice::Model,
    cpt: &cpt_record::Model,
    patient_name: Option<String>,
) -> AppResult<Invoice> {
    Ok(Invoice {
        invoice_id: m.id,
        appointment_id: m.appointment_id,
        patient_id: m.patient_id,
        patient_name,
        cpt_id: m.cpt_id,
        cpt_code: cpt.cpt_code.clone(),
        description: cpt.description.clone(),
        amount_minor: m.amount_minor,
        currency: m.currency.clone(),
        status: parse_status(&m)?,
        paid_at: m.paid_at,
        visit_date: m.visit_date,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

async fn cpt_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<cpt_record::Model> {
    cpt_record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(format!("CPT record {id} is missing")))
}

fn already_invoiced(existing: Option<Uuid>) -> AppError {
    ErrorKind::Conflict {
        code: "invoice_exists".into(),
        message: "Invoice already exists".into(),
        fields: [(
            "appointment_id".to_string(),
            vec!["already has an invoice".to_string()],
        )]
        .into_iter()
        .collect(),
        existing_id: existing,
    }
    .into()
}

/// Invoices a completed visit (ClinicHub's `POST /invoices`): the appointment must be
/// completed and have its CPT record; one invoice per appointment (409).
pub async fn create(core: &Core, caller: &Caller, input: &InvoiceInput) -> AppResult<Invoice> {
    let event = Event::new(ENTITY, AuditAction::Create);
    let own = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    let at_hospital = Action::AtHospital {
        permission: Permission::BillingWrite,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let appointment_id = input.validate()?;
    let author = caller
        .actor
        .id()
        .ok_or_else(|| AppError::from(ErrorKind::forbidden()))?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    // The visit's row is locked, so it cannot be reopened while it is invoiced.
    let visit = locked(appointment::Entity::find_by_id(appointment_id), &txn)
        .filter(appointment::Column::HospitalId.eq(own))
        .one(&txn)
        .await?;
    let event = event.details(json!({"appointment_id": appointment_id}));
    let Some(visit) = visit else {
        txn.rollback().await?;
        audit::record(core, caller, &event, Outcome::Denied).await?;
        return Err(appointments::not_found());
    };
    let event = event.patient(visit.patient_id);
    let access = patient_access(
        &txn,
        now,
        caller,
        visit.patient_id,
        Some(visit.hospital_id),
        DataCategory::Billing,
    )
    .await?;
    let action = Action::WritePatientData {
        permission: Permission::BillingWrite,
        access,
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event)
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound { .. } => appointments::not_found(),
            _ => e,
        })?;
    if status_of(&visit)? != AppointmentStatus::Completed {
        return Err(ErrorKind::Invalid {
            code: "appointment_not_completed".into(),
            message: "Appointment must be completed".into(),
            fields: [(
                "appointment_id".to_string(),
                vec!["is not completed".to_string()],
            )]
            .into_iter()
            .collect(),
        }
        .into());
    }
    let Some(cpt_id) = visit.cpt_id else {
        return Err(ErrorKind::Invalid {
            code: "cpt_missing".into(),
            message: "The appointment has no CPT record".into(),
            fields: [(
                "appointment_id".to_string(),
                vec!["has no CPT record".to_string()],
            )]
            .into_iter()
            .collect(),
        }
        .into());
    };
    let existing = invoice::Entity::find()
        .filter(invoice::Column::AppointmentId.eq(appointment_id))
        .select_only()
        .column(invoice::Column::Id)
        .into_tuple::<Uuid>()
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Err(already_invoiced(existing));
    }
    let cpt = cpt_of(&txn, cpt_id).await?;
    let id = Uuid::now_v7();
    let inserted = invoice::ActiveModel {
        id: Set(id),
        appointment_id: Set(appointment_id),
        cpt_id: Set(cpt_id),
        hospital_id: Set(visit.hospital_id),
        patient_id: Set(visit.patient_id),
        amount_minor: Set(cpt.amount_minor),
        currency: Set(cpt.currency.clone()),
        status: Set(InvoiceStatus::Unpaid.as_str().into()),
        paid_at: Set(None),
        visit_date: Set(visit.scheduled_start),
        created_by: Set(author),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await;
    let model = match inserted {
        Ok(m) => m,
        // The unique index: another clerk's invoice for this visit committed first.
        Err(e) if is_unique_violation(&e) => return Err(already_invoiced(None)),
        Err(e) => return Err(e.into()),
    };
    let event = event.entity_id(id).details(json!({
        "appointment_id": appointment_id,
        "cpt_id": cpt_id,
        "amount_minor": cpt.amount_minor,
        "currency": cpt.currency,
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    let name = names_of(core, &txn, &[model.patient_id])
        .await?
        .remove(&model.patient_id);
    txn.commit().await?;
    to_view(model, &cpt, name)
}

/// Loads an invoice inside `txn` (locked for a write) and decides read or `write` access to
/// it; one the caller may not see is 404, as a missing one is.
async fn authorized(
    core: &Core,
    caller: &Caller,
    txn: WriteTransaction,
    id: Uuid,
    write: bool,
    event: &Event,
) -> AppResult<(WriteTransaction, invoice::Model, Event)> {
    let query = invoice::Entity::find_by_id(id);
    let query = if write { locked(query, &txn) } else { query };
    let Some(m) = query.one(&txn).await? else {
        txn.rollback().await?;
        audit::record(core, caller, event, Outcome::Denied).await?;
        return Err(invoice_not_found());
    };
    let access = patient_access(
        &txn,
        core.clock.now(),
        caller,
        m.patient_id,
        Some(m.hospital_id),
        DataCategory::Billing,
    )
    .await?;
    let action = if write {
        Action::WritePatientData {
            permission: Permission::BillingWrite,
            access,
        }
    } else {
        Action::ReadPatientData {
            permission: Permission::BillingRead,
            access,
        }
    };
    let event = event.clone().patient(m.patient_id);
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    Ok((txn, m, event))
}

/// One invoice. The read is audited.
pub async fn get(core: &Core, caller: &Caller, id: Uuid) -> AppResult<Invoice> {
    let event = Event::new(ENTITY, AuditAction::Read).entity_id(id);
    let txn = begin_write(&core.db).await?;
    let (txn, m, event) = authorized(core, caller, txn, id, false, &event).await?;
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    let cpt = cpt_of(&txn, m.cpt_id).await?;
    let name = names_of(core, &txn, &[m.patient_id])
        .await?
        .remove(&m.patient_id);
    txn.commit().await?;
    to_view(m, &cpt, name)
}

/// Marks an invoice paid (sets `paid_at`; one already paid keeps when it was paid) or unpaid
/// (clears it).
pub async fn update(
    core: &Core,
    caller: &Caller,
    id: Uuid,
    input: &InvoiceUpdate,
) -> AppResult<Invoice> {
    let event = Event::new(ENTITY, AuditAction::Update).entity_id(id);
    let own = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    let at_hospital = Action::AtHospital {
        permission: Permission::BillingWrite,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let status = InvoiceStatus::parse_field("status", input.status.as_deref())?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let (txn, current, event) = authorized(core, caller, txn, id, true, &event).await?;
    let before = parse_status(&current)?;
    let model = if before == status {
        current
    } else {
        let version = current.version + 1;
        let mut model: invoice::ActiveModel = current.into();
        model.status = Set(status.as_str().into());
        model.paid_at = Set(match status {
            InvoiceStatus::Paid => Some(now),
            InvoiceStatus::Unpaid => None,
        });
        model.updated_at = Set(now);
        model.version = Set(version);
        let model = model.update(&txn).await?;
        let event =
            event.details(json!({"status": {"from": before.as_str(), "to": status.as_str()}}));
        audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
        model
    };
    let cpt = cpt_of(&txn, model.cpt_id).await?;
    let name = names_of(core, &txn, &[model.patient_id])
        .await?
        .remove(&model.patient_id);
    txn.commit().await?;
    to_view(model, &cpt, name)
}

/// The caller's hospital's invoices of its linked patients, newest visit first, with totals.
/// The read is audited with the patients it showed.
pub async fn list(
    core: &Core,
    caller: &Caller,
    filter: &InvoiceFilter,
    page: PageRequest,
) -> AppResult<InvoicePage> {
    let own = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    let event = Event::new(ENTITY, AuditAction::Read);
    let at_hospital = Action::AtHospital {
        permission: Permission::BillingRead,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let mut cond = Condition::all()
            .add(invoice::Column::HospitalId.eq(own))
            .add(invoice::Column::PatientId.in_subquery(appointments::linked_patients(own)));
        if let Some(s) = filter.status {
            cond = cond.add(invoice::Column::Status.eq(s.as_str()));
        }
        if let Some(p) = filter.patient_id {
            cond = cond.add(invoice::Column::PatientId.eq(p));
        }
        if let Some(from) = filter.from {
            cond = cond.add(invoice::Column::VisitDate.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(invoice::Column::VisitDate.lt(to));
        }
        let query = invoice::Entity::find()
            .filter(cond.clone())
            .order_by_desc(invoice::Column::VisitDate)
            .order_by_desc(invoice::Column::Id);
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
        let totals = totals(txn, cond).await?;
        let cpt_ids: Vec<Uuid> = rows.iter().map(|m| m.cpt_id).collect();
        let cpts: HashMap<Uuid, cpt_record::Model> = cpt_record::Entity::find()
            .filter(cpt_record::Column::Id.is_in(cpt_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let patients: Vec<Uuid> = distinct(rows.iter().map(|m| m.patient_id));
        let names = names_of(core, txn, &patients).await?;
        let mut invoices = Vec::with_capacity(rows.len());
        for m in rows {
            let cpt = cpts
                .get(&m.cpt_id)
                .ok_or_else(|| AppError::internal(format!("CPT record {} is missing", m.cpt_id)))?;
            let name = names.get(&m.patient_id).cloned();
            invoices.push(to_view(m, cpt, name)?);
        }
        let details = json!({"count": invoices.len(), "patient_ids": patients});
        Ok((
            InvoicePage {
                invoices,
                pagination: Pagination::new(page, total),
                totals,
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

/// The sums of the matching invoices, per currency, computed by the database.
async fn totals(db: &impl ConnectionTrait, cond: Condition) -> AppResult<Vec<InvoiceTotals>> {
    let rows: Vec<(String, String, i64, i64)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Currency)
        .column(invoice::Column::Status)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"),
            "amount",
        )
        .filter(cond)
        .group_by(invoice::Column::Currency)
        .group_by(invoice::Column::Status)
        .order_by_asc(invoice::Column::Currency)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_currency: Vec<InvoiceTotals> = Vec::new();
    for (currency, status, n, amount) in rows {
        if by_currency.last().is_none_or(|t| t.currency != currency) {
            by_currency.push(InvoiceTotals {
                currency: currency.clone(),
                ..Default::default()
            });
        }
        let t = by_currency.last_mut().expect("pushed above");
        t.count += n as u64;
        t.invoiced_minor += amount;
        if status == InvoiceStatus::Paid.as_str() {
            t.paid_minor += amount;
        } else {
            t.outstanding_minor += amount;
        }
    }
    Ok(by_currency)
}

/// Most completed visits waiting for an invoice one page lists (oldest first).
const TO_INVOICE: u64 = 50;

/// The caller's hospital's completed visits with a CPT record and no invoice yet, oldest
/// first: what the billing desk has to do. The read is audited with the patients it showed.
pub async fn to_invoice(core: &Core, caller: &Caller) -> AppResult<Vec<BillableVisit>> {
    let own = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    let event = Event::new("cpt_record", AuditAction::Read);
    let at_hospital = Action::AtHospital {
        permission: Permission::BillingRead,
        hospital_id: own,
    };
    audit::authorize(core, caller, at_hospital, &event).await?;
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let invoiced = sea_orm::sea_query::Query::select()
            .column(invoice::Column::AppointmentId)
            .from(invoice::Entity)
            .and_where(invoice::Column::HospitalId.eq(own))
            .to_owned();
        let rows: Vec<(cpt_record::Model, Option<appointment::Model>)> = cpt_record::Entity::find()
            .filter(cpt_record::Column::HospitalId.eq(own))
            .filter(cpt_record::Column::AppointmentId.not_in_subquery(invoiced))
            .filter(cpt_record::Column::PatientId.in_subquery(appointments::linked_patients(own)))
            .order_by_asc(cpt_record::Column::CreatedAt)
            .limit(TO_INVOICE)
            .find_also_related(appointment::Entity)
            .all(txn)
            .await?;
        let patients: Vec<Uuid> = distinct(rows.iter().map(|(c, _)| c.patient_id));
        let names = names_of(core, txn, &patients).await?;
        let visits: Vec<BillableVisit> = rows
            .into_iter()
            .map(|(c, a)| BillableVisit {
                appointment_id: c.appointment_id,
                patient_id: c.patient_id,
                patient_name: names.get(&c.patient_id).cloned(),
                cpt_code: c.cpt_code,
                description: c.description,
                amount_minor: c.amount_minor,
                currency: c.currency,
                visit_date: a.map(|a| a.scheduled_start).unwrap_or(c.created_at),
            })
            .collect();
        let details = json!({"count": visits.len(), "patient_ids": patients});
        Ok((visits, details))
    }
    .await;
    read.finish(result).await
}
