//! "Who looked at my record": the signed-in patient's view of the audit log. Every allowed
//! access by staff, by hospitals' systems (integration clients) and by the people who act for
//! the patient to their record, newest first, with the hospital and role (never the staff
//! member's name or email), what was touched and when; break-glass openings carry their reason,
//! and reads made while one was open are marked. Reading it is audited too.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::AuditAction;
use crate::domain::sharing::access::{categories_read, AccessLogEntry};
use crate::domain::ErrorKind;
use crate::entities::{audit_log, break_glass_session, hospital};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

/// The signed-in patient's access log, a page at a time.
pub async fn list(
    core: &Core,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<AccessLogEntry>> {
    let event = Event::new("access_log", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOwnRecord, &event).await?;
    let Some(patient_id) = caller.actor.portal_patient() else {
        return Err(ErrorKind::forbidden().into());
    };
    let read = AuditedRead::begin(core, caller, event.patient(patient_id)).await?;
    let result = async {
        let txn = read.txn();
        let select = audit_log::Entity::find()
            .filter(audit_log::Column::PatientId.eq(patient_id))
            .filter(audit_log::Column::ActorType.is_in(["staff", "proxy", "client"]))
            .filter(audit_log::Column::Outcome.eq("allowed"));
        let total = select.clone().count(txn).await?;
        let rows = select
            .order_by_desc(audit_log::Column::Seq)
            .offset(page.offset())
            .limit(page.per_page)
            .all(txn)
            .await?;
        // The patient's break-glass openings (few): their reasons and windows.
        let openings = break_glass_session::Entity::find()
            .filter(break_glass_session::Column::PatientId.eq(patient_id))
            .all(txn)
            .await?;
        let hospitals: HashMap<Uuid, String> = hospital::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|h| (h.id, h.name))
            .collect();
        let during = |actor: Option<Uuid>, at: DateTime<Utc>| {
            openings
                .iter()
                .any(|o| Some(o.staff_id) == actor && o.started_at <= at && at < o.ends_at)
        };
        let mut data = Vec::with_capacity(rows.len());
        for r in &rows {
            let opening = (r.entity == "break_glass" && r.action == "break_glass")
                .then(|| {
                    openings
                        .iter()
                        .find(|o| Some(o.id.to_string()) == r.entity_id)
                })
                .flatten();
            let reason = opening
                .map(|o| {
                    core.keyring
                        .open("break_glass_sessions", "reason", o.id, &o.reason)
                        .map_err(|e| AppError::internal(format!("break-glass {}: {e}", o.id)))
                })
                .transpose()?;
            data.push(AccessLogEntry {
                at: r.occurred_at,
                hospital_name: r.actor_hospital_id.and_then(|h| hospitals.get(&h).cloned()),
                role: r.actor_role.clone(),
                what: r.entity.clone(),
                action: r.action.clone(),
                break_glass: opening.is_some() || during(r.actor_id, r.occurred_at),
                by_proxy: r.actor_type == "proxy",
                by_system: r.actor_type == "client",
                reason,
                categories: serde_json::from_str(&r.details)
                    .map(|d| categories_read(&d))
                    .unwrap_or_default(),
            });
        }
        let details = json!({"entries": data.len(), "total": total});
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
