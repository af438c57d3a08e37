//! The audit log: append-only and hash-chained.
//!
//! Each entry hashes its content together with its predecessor's hash. A change and its entry
//! are written in the same transaction, so if the entry cannot be written the change fails too.
//! A read runs in a read transaction (readers do not queue behind the single SQLite writer) and
//! its data is returned only once its entry is committed, so nothing is shown unrecorded. Writers lock the chain head (`FOR UPDATE` on PostgreSQL; SQLite write
//! transactions already hold the database's write lock), so concurrent writers still form one
//! chain. Denials are recorded in a transaction of their own.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db::{begin_write, WriteTransaction};
use crate::domain::csv_field;
use crate::domain::page::{Page, PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, AuditEntry, ChainReport, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{audit_chain_head, audit_log};
use crate::error::{AppError, AppResult};
use crate::policy::{decide, Action, Actor, Caller, Decision};
use crate::services::Core;

/// What happened, apart from who and when.
#[derive(Clone, Debug)]
pub struct Event {
    pub patient_id: Option<Uuid>,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub action: AuditAction,
    pub purpose: Option<String>,
    /// Identifiers and field names only: never secrets, codes, tokens or PHI values.
    pub details: Value,
}

impl Event {
    pub fn new(entity: &'static str, action: AuditAction) -> Self {
        Self {
            patient_id: None,
            entity,
            entity_id: None,
            action,
            purpose: None,
            details: json!({}),
        }
    }

    pub fn entity_id(mut self, id: impl ToString) -> Self {
        self.entity_id = Some(id.to_string());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The patient the event is about.
    pub fn patient(mut self, id: Uuid) -> Self {
        self.patient_id = Some(id);
        self
    }
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry: SHA-256 over the predecessor's hash and the entry's content.
fn entry_hash(m: &audit_log::Model) -> String {
    let content = json!([
        m.seq,
        m.id,
        m.occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        m.actor_type,
        m.actor_id,
        m.actor_role,
        m.actor_hospital_id,
        m.patient_id,
        m.entity,
        m.entity_id,
        m.action,
        m.purpose,
        m.outcome,
        m.ip,
        m.user_agent,
        m.request_id,
        m.details,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(m.prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(content.to_string().as_bytes());
    hex::encode(hasher.finalize())
}

fn truncate(s: Option<&String>, max: usize) -> Option<String> {
    s.map(|v| v.chars().take(max).collect())
}

/// Appends an entry inside `txn` (which must be a write transaction from `db::begin_write`).
pub async fn append(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    caller: &Caller,
    event: &Event,
    outcome: Outcome,
) -> AppResult<Uuid> {
    let head = crate::db::locked(audit_chain_head::Entity::find_by_id(1), txn)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("audit chain head is missing"))?;
    let actor = &caller.actor;
    let (actor_id, actor_role, actor_hospital_id) = (
        actor.id(),
        actor.role().map(|r| r.as_str().to_string()),
        actor.hospital_id(),
    );
    let mut model = audit_log::Model {
        id: Uuid::now_v7(),
        seq: head.seq + 1,
        occurred_at: now.trunc_subsecs(6),
        actor_type: caller.actor.kind().to_string(),
        actor_id,
        actor_role,
        actor_hospital_id,
        patient_id: event.patient_id,
        entity: event.entity.to_string(),
        entity_id: event.entity_id.clone(),
        action: event.action.as_str().to_string(),
        purpose: event.purpose.clone(),
        outcome: outcome.as_str().to_string(),
        ip: truncate(caller.meta.ip.as_ref(), 64),
        user_agent: truncate(caller.meta.user_agent.as_ref(), 512),
        request_id: truncate(caller.meta.request_id.as_ref(), 64),
        details: event.details.to_string(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    model.hash = entry_hash(&model);
    let id = model.id;
    let (seq, hash) = (model.seq, model.hash.clone());
    audit_log::ActiveModel::from(model).insert(txn).await?;
    audit_chain_head::Entity::update_many()
        .col_expr(audit_chain_head::Column::Seq, Expr::value(seq))
        .col_expr(audit_chain_head::Column::Hash, Expr::value(hash))
        .filter(audit_chain_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(id)
}

/// Records an entry on its own (reads, denials, failed sign-ins, checks) and returns once it is
/// committed. Entries recorded at the same moment share one write transaction (group commit):
/// a single writer task takes whatever is queued, appends it in arrival order and commits, so
/// concurrent readers do not each pay a write transaction on SQLite's single writer or on the
/// chain head's lock.
///
/// A refusal of an anonymous caller (no valid sign-in: a request without credentials, a wrong
/// password) is counted and logged but not chained: a flood of such requests must not bury the
/// log or queue writes. Refusals of signed-in callers are recorded one by one, and so are
/// failed second factors, refresh-token reuse and patients' failed codes, which are about a
/// known account and written in their own transactions.
pub async fn record(
    core: &Core,
    caller: &Caller,
    event: &Event,
    outcome: Outcome,
) -> AppResult<Option<Uuid>> {
    if caller.actor == Actor::Anonymous && outcome == Outcome::Denied {
        core.audit_writer.count_anonymous_refusal(event.action);
        tracing::info!(
            entity = event.entity,
            action = event.action.as_str(),
            ip = caller.meta.ip.as_deref().unwrap_or("unknown"),
            "anonymous request refused (counted, not chained)"
        );
        return Ok(None);
    }
    let (done, committed) = oneshot::channel();
    let job = Job {
        now: core.clock.now(),
        caller: caller.clone(),
        event: event.clone(),
        outcome,
        done,
    };
    let stopped = || AppError::internal("the audit writer stopped");
    core.audit_writer
        .sender(&core.db)
        .send(job)
        .map_err(|_| stopped())?;
    match committed.await {
        Ok(Ok(id)) => Ok(Some(id)),
        Ok(Err(kind)) => Err(kind.into()),
        Err(_) => Err(stopped()),
    }
}

/// One entry waiting for the writer.
struct Job {
    now: DateTime<Utc>,
    caller: Caller,
    event: Event,
    outcome: Outcome,
    done: oneshot::Sender<Result<Uuid, ErrorKind>>,
}

/// The queue of entries recorded on their own, and its writer task (started on first use, on
/// the running Tokio runtime).
#[derive(Default)]
pub struct AuditWriter {
    sender: std::sync::OnceLock<mpsc::UnboundedSender<Job>>,
    /// Refusals of anonymous callers, counted instead of chained, by action.
    anonymous_refusals: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditWriter")
    }
}

/// Most entries one group transaction carries.
const GROUP_LIMIT: usize = 256;

impl AuditWriter {
    fn count_anonymous_refusal(&self, action: AuditAction) {
        self.count_anonymous_refusal_of(action.as_str());
    }

    /// Counts a refusal of an anonymous caller under `label` (an audit action, or
    /// `sign_in_required` for a route refused before its action is known).
    pub fn count_anonymous_refusal_of(&self, label: &'static str) {
        if let Ok(mut counts) = self.anonymous_refusals.lock() {
            *counts.entry(label).or_default() += 1;
        }
    }

    /// Refusals of anonymous callers since start, by action (for `/metrics`).
    pub fn anonymous_refusals(&self) -> Vec<(&'static str, u64)> {
        self.anonymous_refusals
            .lock()
            .map(|c| c.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default()
    }

    fn sender(&self, db: &DatabaseConnection) -> &mpsc::UnboundedSender<Job> {
        self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(write_groups(db.clone(), receiver));
            sender
        })
    }
}

async fn write_groups(db: DatabaseConnection, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_LIMIT {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match write_group(&db, &group).await {
            Ok(ids) => {
                for (job, id) in group.into_iter().zip(ids) {
                    let _ = job.done.send(Ok(id));
                }
            }
            Err(e) => {
                let kind = e.into_kind();
                for job in group {
                    let _ = job.done.send(Err(kind.clone()));
                }
            }
        }
    }
}

async fn write_group(db: &DatabaseConnection, group: &[Job]) -> AppResult<Vec<Uuid>> {
    let txn = begin_write(db).await?;
    let mut ids = Vec::with_capacity(group.len());
    for job in group {
        ids.push(append(&txn, job.now, &job.caller, &job.event, job.outcome).await?);
    }
    txn.commit().await?;
    Ok(ids)
}

/// Asks the policy; a denial is recorded (in its own transaction) before the error returns.
pub async fn authorize(
    core: &Core,
    caller: &Caller,
    action: Action,
    event: &Event,
) -> AppResult<()> {
    let decision = decide(&caller.actor, action);
    if decision == Decision::Allow {
        return Ok(());
    }
    record(core, caller, event, Outcome::Denied).await?;
    match decision.into_result() {
        // Out of view: word for word what a missing object of the kind answers.
        Err(ErrorKind::NotFound { .. }) => {
            Err(ErrorKind::not_found(object_name(event.entity)).into())
        }
        Err(e) => Err(e.into()),
        Ok(()) => Err(ErrorKind::forbidden().into()),
    }
}

/// How a missing object of an audited entity is named in a 404.
fn object_name(entity: &str) -> &'static str {
    match entity {
        "clinical_record" => "record",
        "attachment" => "attachment",
        "patient" | "patient_chart" | "patient_summary" | "patient_link" => "patient",
        "staff_account" => "staff account",
        "hospital" => "hospital",
        // ClinicHub's words.
        "appointment" => "Appointment",
        "invoice" => "Invoice",
        _ => "resource",
    }
}

/// `authorize` for a decision taken inside an open write transaction (after looking up what
/// the decision needs): on a denial the transaction is rolled back first, since the denial is
/// recorded in a transaction of its own and SQLite has a single writer.
pub async fn authorize_in(
    core: &Core,
    caller: &Caller,
    txn: WriteTransaction,
    action: Action,
    event: &Event,
) -> AppResult<WriteTransaction> {
    if decide(&caller.actor, action) == Decision::Allow {
        return Ok(txn);
    }
    txn.rollback().await?;
    authorize(core, caller, action, event).await?;
    Err(ErrorKind::forbidden().into())
}

/// One audited read. Its parts run inside `txn()`, a read transaction (one consistent view for
/// a page made of several parts, and no write lock, so readers run side by side), and ask the
/// policy themselves (`policy::authorize`). `finish` then commits the entry recording what was
/// read, in a short write transaction of its own, and only then returns the data; a read the
/// policy refused (401, 403 or 404) is recorded as a denial. A view made of several parts (the
/// chart) is one read and one entry.
pub struct AuditedRead<'a> {
    core: &'a Core,
    caller: &'a Caller,
    event: Event,
    txn: DatabaseTransaction,
}

impl<'a> AuditedRead<'a> {
    pub async fn begin(core: &'a Core, caller: &'a Caller, event: Event) -> AppResult<Self> {
        Ok(Self {
            core,
            caller,
            event,
            txn: core.db.begin().await?,
        })
    }

    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Ends the read with its result and the details to record (identifiers only).
    pub async fn finish<T>(self, result: AppResult<(T, Value)>) -> AppResult<T> {
        // The read transaction only read; ending it releases its snapshot.
        self.txn.rollback().await?;
        match result {
            Ok((value, details)) => {
                let event = self.event.details(details);
                record(self.core, self.caller, &event, Outcome::Allowed).await?;
                Ok(value)
            }
            Err(e) => {
                if matches!(e.kind.status(), 401 | 403 | 404) {
                    record(self.core, self.caller, &self.event, Outcome::Denied).await?;
                }
                Err(e)
            }
        }
    }
}

/// The rows a caller may see that match `filter` (hospital admins: their hospital's).
fn condition(caller: &Caller, filter: &AuditFilter) -> Condition {
    let mut cond = Condition::all();
    if let Actor::Staff {
        role, hospital_id, ..
    } = &caller.actor
    {
        if *role != crate::domain::identity::role::Role::PlatformAdmin {
            cond = cond.add(audit_log::Column::ActorHospitalId.eq(*hospital_id));
        }
    }
    if let Some(v) = filter.patient_id {
        cond = cond.add(audit_log::Column::PatientId.eq(v));
    }
    if let Some(v) = &filter.entity {
        cond = cond.add(audit_log::Column::Entity.eq(v.as_str()));
    }
    if let Some(v) = &filter.entity_id {
        cond = cond.add(audit_log::Column::EntityId.eq(v.as_str()));
    }
    if let Some(v) = filter.actor_id {
        cond = cond.add(audit_log::Column::ActorId.eq(v));
    }
    if let Some(v) = filter.action {
        cond = cond.add(audit_log::Column::Action.eq(v.as_str()));
    }
    if let Some(v) = filter.from {
        cond = cond.add(audit_log::Column::OccurredAt.gte(v));
    }
    if let Some(v) = filter.to {
        cond = cond.add(audit_log::Column::OccurredAt.lt(v));
    }
    cond
}

/// Most rows one CSV export carries; narrow the filters for more.
pub const EXPORT_LIMIT: u64 = 50_000;

/// The matching entries as CSV (newest first, at most `EXPORT_LIMIT`); the export is audited.
pub async fn export_csv(core: &Core, caller: &Caller, filter: &AuditFilter) -> AppResult<String> {
    let event = Event::new("audit_log", AuditAction::Export).details(json!({
        "filters": {
            "patient_id": filter.patient_id, "entity": filter.entity, "entity_id": filter.entity_id,
            "actor_id": filter.actor_id, "action": filter.action.map(|a| a.as_str()),
            "from": filter.from, "to": filter.to,
        },
    }));
    authorize(core, caller, Action::ReadAudit, &event).await?;
    let txn = begin_write(&core.db).await?;
    append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    let rows = audit_log::Entity::find()
        .filter(condition(caller, filter))
        .order_by_desc(audit_log::Column::Seq)
        .limit(EXPORT_LIMIT)
        .all(&txn)
        .await?;
    txn.commit().await?;
    let mut out = String::from(
        "seq,occurred_at,actor_type,actor_id,actor_role,actor_hospital_id,patient_id,entity,entity_id,action,purpose,outcome,ip,user_agent,request_id,details,hash\r\n",
    );
    let opt = |v: Option<String>| v.unwrap_or_default();
    for m in rows {
        let fields = [
            m.seq.to_string(),
            m.occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            m.actor_type,
            opt(m.actor_id.map(|v| v.to_string())),
            opt(m.actor_role),
            opt(m.actor_hospital_id.map(|v| v.to_string())),
            opt(m.patient_id.map(|v| v.to_string())),
            m.entity,
            opt(m.entity_id),
            m.action,
            opt(m.purpose),
            m.outcome,
            opt(m.ip),
            opt(m.user_agent),
            opt(m.request_id),
            m.details,
            m.hash,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Filters for reading the log.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub patient_id: Option<Uuid>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<Uuid>,
    pub action: Option<AuditAction>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn to_view(m: audit_log::Model) -> AuditEntry {
    AuditEntry {
        id: m.id,
        seq: m.seq,
        occurred_at: m.occurred_at,
        actor_type: m.actor_type,
        actor_id: m.actor_id,
        actor_role: m.actor_role,
        actor_hospital_id: m.actor_hospital_id,
        patient_id: m.patient_id,
        entity: m.entity,
        entity_id: m.entity_id,
        action: m.action,
        purpose: m.purpose,
        outcome: m.outcome,
        ip: m.ip,
        user_agent: m.user_agent,
        request_id: m.request_id,
        details: serde_json::from_str(&m.details).unwrap_or(Value::Null),
        hash: m.hash,
    }
}

/// Newest first. Platform admins see every entry; hospital admins those of their hospital's
/// staff. The read itself is recorded.
pub async fn list(
    core: &Core,
    caller: &Caller,
    filter: &AuditFilter,
    page: PageRequest,
) -> AppResult<Page<AuditEntry>> {
    let event = Event::new("audit_log", AuditAction::Read).details(json!({
        "filters": {
            "patient_id": filter.patient_id, "entity": filter.entity, "entity_id": filter.entity_id,
            "actor_id": filter.actor_id, "action": filter.action.map(|a| a.as_str()),
            "from": filter.from, "to": filter.to,
        },
        "page": page.page,
    }));
    authorize(core, caller, Action::ReadAudit, &event).await?;
    let cond = condition(caller, filter);
    let txn = begin_write(&core.db).await?;
    append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    let select = audit_log::Entity::find().filter(cond);
    let total = select.clone().count(&txn).await?;
    let rows = select
        .order_by_desc(audit_log::Column::Seq)
        .offset(page.offset())
        .limit(page.per_page)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(Page {
        data: rows.into_iter().map(to_view).collect(),
        pagination: Pagination::new(page, total),
    })
}

/// Walks the whole chain and names the first broken link.
pub async fn verify_chain(db: &impl ConnectionTrait) -> AppResult<ChainReport> {
    const BATCH: u64 = 1000;
    let mut checked = 0u64;
    let mut prev_seq = 0i64;
    let mut prev_hash = GENESIS.to_string();
    let broken = |m: &audit_log::Model, checked: u64, problem: String| ChainReport {
        checked,
        intact: false,
        first_broken_seq: Some(m.seq),
        first_broken_id: Some(m.id),
        problem: Some(problem),
    };
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gt(prev_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(BATCH)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for m in rows {
            checked += 1;
            if m.seq != prev_seq + 1 {
                return Ok(broken(
                    &m,
                    checked,
                    format!("entry {} is missing before entry {}", prev_seq + 1, m.seq),
                ));
            }
            if m.prev_hash != prev_hash {
                return Ok(broken(
                    &m,
                    checked,
                    format!("entry {} does not link to entry {}", m.seq, prev_seq),
                ));
            }
            if entry_hash(&m) != m.hash {
                return Ok(broken(
                    &m,
                    checked,
                    format!("entry {} was changed after it was written", m.seq),
                ));
            }
            prev_seq = m.seq;
            prev_hash = m.hash;
        }
    }
    let head = audit_chain_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("audit chain head is missing"))?;
    if head.seq != prev_seq || head.hash != prev_hash {
        return Ok(ChainReport {
            checked,
            intact: false,
            first_broken_seq: Some(prev_seq + 1),
            first_broken_id: None,
            problem: Some(format!(
                "the chain ends at entry {prev_seq} but its head records entry {}: newest entries were removed",
                head.seq
            )),
        });
    }
    Ok(ChainReport {
        checked,
        intact: true,
        first_broken_seq: None,
        first_broken_id: None,
        problem: None,
    })
}

/// `GET /audit/verify`: platform admins check the chain; the check is recorded.
pub async fn verify(core: &Core, caller: &Caller) -> AppResult<ChainReport> {
    let event = Event::new("audit_log", AuditAction::Read).details(json!({"verify": true}));
    authorize(core, caller, Action::VerifyAudit, &event).await?;
    let report = verify_chain(&core.db).await?;
    let event = event.details(json!({"verify": true, "intact": report.intact}));
    record(core, caller, &event, Outcome::Allowed).await?;
    Ok(report)
}

pub use crate::domain::platform::audit::AuditQuery;

impl AuditQuery {
    /// Parses every value, naming each bad one.
    pub fn parse(&self) -> Result<(AuditFilter, PageRequest), ErrorKind> {
        let mut errors = crate::domain::validate::Errors::new();
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut uuid = |field: &str, v: &Option<String>| {
            blank(v).and_then(|s| match Uuid::parse_str(&s) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(field, "must be a UUID");
                    None
                }
            })
        };
        let patient_id = uuid("patient_id", &self.patient_id);
        let actor_id = uuid("actor_id", &self.actor_id);
        let action = blank(&self.action).and_then(|s| {
            let parsed = AuditAction::parse(&s);
            if parsed.is_none() {
                errors.add("action", format!("`{s}` is not an audit action"));
            }
            parsed
        });
        let mut instant = |field: &str, v: &Option<String>| {
            blank(v).and_then(|s| match DateTime::parse_from_rfc3339(&s) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    errors.add(
                        field,
                        "must be an RFC 3339 instant, e.g. 2026-11-01T00:00:00Z",
                    );
                    None
                }
            })
        };
        let from = instant("from", &self.from);
        let to = instant("to", &self.to);
        let page = match PageRequest::parse(self.page.as_deref(), self.per_page.as_deref()) {
            Ok(p) => p,
            Err(e) => {
                for (field, messages) in e.fields() {
                    for m in messages {
                        errors.add(&field, m);
                    }
                }
                PageRequest::default()
            }
        };
        let filter = AuditFilter {
            patient_id,
            entity: blank(&self.entity),
            entity_id: blank(&self.entity_id),
            actor_id,
            action,
            from,
            to,
        };
        errors.finish(|| (filter, page))
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_values_never_start_a_formula() {
        for (value, cell) in [
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+1", "\"'+1\""),
            ("-1", "\"'-1\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
            ("plain", "\"plain\""),
        ] {
            assert_eq!(csv_field(value), cell, "{value:?}");
        }
    }
}
