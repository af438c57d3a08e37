//! Indicators for a hospital and a reporting period (TX_CURR, TX_NEW, TX_PVLS, TX_ML, TX_RTT
//! and the cascade), the patients behind each number, the CSV export, and the network view for
//! platform admins (aggregates only, small numbers hidden).
//!
//! The facts come from grouped SQL over plain columns (`gather`); which indicators count a
//! patient is decided in `domain::indicators` with the hospital's rule set. A report is an
//! audited read of aggregates; a drill-down list names patients, so it needs `records.read`
//! besides `indicators.read` and is audited with the patients shown, like any patient list.

mod gather;

/// The condition of the index of live treatment records (ART regimens and dispensings), as a
/// query must write it for a database to use that partial index: the same terms, with the
/// record types as literals rather than bound values.
pub(crate) const LIVE_TREATMENT: &str =
    "record_type IN ('art_regimen', 'dispensing') AND deleted_at IS NULL AND superseded_by IS NULL";

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::domain::cds::viral_load::VlValue;
use crate::domain::cds::RuleSet;
use crate::domain::identity::role::Permission;
use crate::domain::indicators::cohort::{count, mer_suppressed, Counted};
use crate::domain::indicators::report::{last_12_months, network as network_view, tally};
use crate::domain::indicators::{
    IndicatorPatient, IndicatorPatients, IndicatorReport, Measure, NetworkReport, PatientFilter,
    Period, SuppressionMonth,
};
use crate::domain::page::{PageRequest, Pagination};
use crate::domain::platform::audit::AuditAction;
use crate::domain::ErrorKind;
use crate::entities::{hospital, patient};
use crate::error::AppResult;
use crate::policy::{Action, Actor, Caller};
use crate::services::clinical::patients::{birth_date, names_of};
use crate::services::clinical::records::rule_set_of;
use crate::services::platform::audit::{AuditedRead, Event};
use crate::services::Core;

/// The hospital a report is for: the one asked for, else the caller's own; the caller must
/// hold `permission` there.
fn hospital_for(
    caller: &Caller,
    asked: Option<Uuid>,
    permissions: &[Permission],
) -> AppResult<Uuid> {
    let own = caller.actor.hospital_id();
    if own.is_none() && matches!(caller.actor, Actor::Staff { .. }) {
        // Staff of the whole network read the network view, where small numbers are hidden.
        return Err(ErrorKind::Forbidden {
            code: "network_staff".into(),
            message: "A hospital's own indicators are for its staff; platform admins read the network view.".into(),
        }
        .into());
    }
    let hospital_id = asked.or(own).unwrap_or_else(Uuid::nil);
    for permission in permissions {
        crate::policy::authorize(
            &caller.actor,
            Action::AtHospital {
                permission: *permission,
                hospital_id,
            },
        )?;
    }
    Ok(hospital_id)
}

async fn hospital_of(
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
) -> AppResult<(hospital::Model, RuleSet)> {
    let h = hospital::Entity::find_by_id(hospital_id)
        .one(db)
        .await?
        .ok_or_else(|| ErrorKind::not_found("hospital"))?;
    let rules = rule_set_of(Some(&h));
    Ok((h, rules))
}

/// Every linked patient of the hospital, counted for the period, with their MRN; and the
/// viral-load results of the suppression chart's months.
async fn counted(
    core: &Core,
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    rules: &RuleSet,
    period: Period,
) -> AppResult<(Vec<(String, Counted)>, Vec<(NaiveDate, VlValue)>)> {
    let bounds = gather::Bounds::new(hospital_id, period, core.clock.now());
    let gathered = gather::facts(db, &bounds).await?;
    let counted = gathered
        .patients
        .into_iter()
        .map(|(mrn, f)| (mrn, count(&f, period, rules)))
        .collect();
    Ok((counted, gathered.monthly_results))
}

async fn build_report(
    core: &Core,
    db: &impl ConnectionTrait,
    h: &hospital::Model,
    rules: &RuleSet,
    period: Period,
    with_months: bool,
) -> AppResult<IndicatorReport> {
    let (counted, results) = counted(core, db, h.id, rules, period).await?;
    let people: Vec<Counted> = counted.into_iter().map(|(_, c)| c).collect();
    let (indicators, cascade) = tally(&people);
    let suppression = if with_months {
        let mut months: BTreeMap<String, (u64, u64)> = last_12_months(period.end)
            .into_iter()
            .map(|m| (m, (0, 0)))
            .collect();
        for (at, value) in results {
            let key = format!("{:04}-{:02}", at.year(), at.month());
            if let Some((tested, suppressed)) = months.get_mut(&key) {
                *tested += 1;
                if mer_suppressed(value) {
                    *suppressed += 1;
                }
            }
        }
        months
            .into_iter()
            .map(|(month, (tested, suppressed))| SuppressionMonth {
                month,
                tested,
                suppressed,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(IndicatorReport {
        hospital_id: h.id,
        hospital_name: h.name.clone(),
        period_start: period.start,
        period_end: period.end,
        rule_set: rules.label(),
        indicators,
        cascade,
        suppression,
    })
}

/// The indicators of a hospital (the caller's own unless `hospital_id` names it) for
/// `period`: totals, age band and sex, TX_ML's outcomes, the cascade and 12 months of
/// viral-load suppression. Aggregates only; audited.
pub async fn report(
    core: &Core,
    caller: &Caller,
    hospital_id: Option<Uuid>,
    period: Period,
) -> AppResult<IndicatorReport> {
    let event = Event::new("indicators", AuditAction::Read);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let hospital_id = hospital_for(caller, hospital_id, &[Permission::IndicatorsRead])?;
        let txn = read.txn();
        let (h, rules) = hospital_of(txn, hospital_id).await?;
        let report = build_report(core, txn, &h, &rules, period, true).await?;
        let details = json!({"hospital_id": hospital_id, "period_start": period.start,
            "period_end": period.end});
        Ok((report, details))
    }
    .await;
    read.finish(result).await
}

/// The patients one number of a report counts (optionally one cell: an age band, a sex, a
/// TX_ML outcome), by MRN. Names patients: needs `records.read` too, audited with the
/// patients shown.
pub async fn patients(
    core: &Core,
    caller: &Caller,
    hospital_id: Option<Uuid>,
    period: Period,
    measure: Measure,
    filter: PatientFilter,
    page: PageRequest,
) -> AppResult<IndicatorPatients> {
    let event = Event::new("indicator_patients", AuditAction::Read);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let hospital_id = hospital_for(
            caller,
            hospital_id,
            &[Permission::IndicatorsRead, Permission::RecordsRead],
        )?;
        let txn = read.txn();
        let (_, rules) = hospital_of(txn, hospital_id).await?;
        let (mut counted, _) = counted(core, txn, hospital_id, &rules, period).await?;
        counted.retain(|(_, c)| c.counts_in(measure) && filter.admits(c));
        counted.sort_by(|a, b| a.0.cmp(&b.0));
        let total = counted.len() as u64;
        let shown: Vec<(String, Counted)> = counted
            .into_iter()
            .skip(page.offset() as usize)
            .take(page.per_page as usize)
            .collect();
        let ids: Vec<Uuid> = shown.iter().map(|(_, c)| c.patient_id).collect();
        let names = names_of(core, txn, &ids).await?;
        let data = shown
            .into_iter()
            .map(|(mrn, c)| IndicatorPatient {
                patient_id: c.patient_id,
                name: names.get(&c.patient_id).cloned().unwrap_or_default(),
                mrn,
                age_band: c.age_band,
                sex: c.sex,
                status: c.status.describe(),
                latest_viral_load: c.latest_vl.map(|(_, v)| v.describe()),
                latest_viral_load_date: c.latest_vl.map(|(at, _)| at),
                ml_outcome: c.ml_outcome,
            })
            .collect();
        let details = json!({"hospital_id": hospital_id, "measure": measure.as_str(),
            "period_start": period.start, "period_end": period.end, "total": total,
            "patient_ids": ids});
        Ok((
            IndicatorPatients {
                measure,
                label: measure.label().to_string(),
                hospital_id,
                period_start: period.start,
                period_end: period.end,
                age_band: filter.age_band,
                sex: filter.sex,
                outcome: filter.outcome,
                data,
                pagination: Pagination::new(page, total),
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

/// One indicator of a hospital's report as CSV (total, age band and sex, TX_ML's outcomes);
/// audited as an export.
pub async fn export_csv(
    core: &Core,
    caller: &Caller,
    hospital_id: Option<Uuid>,
    period: Period,
    measure: Measure,
) -> AppResult<String> {
    let event = Event::new("indicators", AuditAction::Export);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let hospital_id = hospital_for(caller, hospital_id, &[Permission::IndicatorsRead])?;
        let txn = read.txn();
        let (h, rules) = hospital_of(txn, hospital_id).await?;
        let report = build_report(core, txn, &h, &rules, period, false).await?;
        let csv = crate::domain::indicators::report::csv(&report, measure);
        let details = json!({"hospital_id": hospital_id, "measure": measure.as_str(),
            "period_start": period.start, "period_end": period.end});
        Ok((csv, details))
    }
    .await;
    read.finish(result).await
}

/// Most hospitals the network view computes (every active hospital of a network this size).
pub const NETWORK_LIMIT: u64 = 200;

/// The network view: every hospital's totals for one whole calendar quarter, numbers under 5
/// hidden, for platform admins. Audited.
pub async fn network(core: &Core, caller: &Caller, period: Period) -> AppResult<NetworkReport> {
    let event = Event::new("indicators", AuditAction::Read);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        crate::policy::authorize(&caller.actor, Action::ReadNetworkIndicators)?;
        let period = period.whole_quarter()?;
        let txn = read.txn();
        let active = hospital::Entity::find().filter(hospital::Column::Active.eq(true));
        let hospitals = active
            .clone()
            .order_by_asc(hospital::Column::Name)
            .limit(NETWORK_LIMIT)
            .all(txn)
            .await?;
        let left_out = active
            .count(txn)
            .await?
            .saturating_sub(hospitals.len() as u64);
        let mut columns = Vec::with_capacity(hospitals.len());
        for h in hospitals {
            let rules = rule_set_of(Some(&h));
            let report = build_report(core, txn, &h, &rules, period, false).await?;
            let values = Measure::ALL
                .into_iter()
                .map(|m| (m, report.value(m)))
                .collect();
            columns.push((h.id, h.name, values));
        }
        let mut view = network_view(period, &columns);
        view.hospitals_left_out = left_out;
        let details = json!({"period_start": period.start, "period_end": period.end,
            "hospitals": view.hospitals.len(), "hospitals_left_out": left_out});
        Ok((view, details))
    }
    .await;
    read.finish(result).await
}

/// Fills the plain month of birth of patients written before it was kept, from the sealed
/// date of birth, in batches. Returns how many were filled.
pub async fn fill_birth_months(core: &Core) -> AppResult<u64> {
    let mut filled = 0;
    loop {
        let batch = patient::Entity::find()
            .filter(patient::Column::BirthMonth.is_null())
            .limit(500)
            .all(&core.db)
            .await?;
        if batch.is_empty() {
            return Ok(filled);
        }
        let txn = crate::db::begin_write(&core.db).await?;
        for p in batch {
            let month = birth_date(core, &p)
                .map(crate::domain::indicators::birth_month)
                // A date of birth that cannot be read (a key retired without rotation): 0 marks
                // it done, and its band is "unknown".
                .unwrap_or(0);
            let done = patient::Entity::update_many()
                .col_expr(
                    patient::Column::BirthMonth,
                    sea_orm::sea_query::Expr::value(month),
                )
                .filter(patient::Column::Id.eq(p.id))
                .filter(patient::Column::BirthMonth.is_null())
                .exec(&*txn)
                .await?;
            filled += done.rows_affected;
        }
        txn.commit().await?;
    }
}

/// The day the indicators read as today.
pub fn today(core: &Core) -> NaiveDate {
    core.clock.now().date_naive()
}

/// One query of a report, timed, with the database's plan for it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct QueryProfile {
    pub name: &'static str,
    pub rows: usize,
    pub millis: f64,
    /// `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL.
    pub plan: Vec<String>,
}

/// What `hospitallink indicators --profile` prints for the benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReportProfile {
    /// The whole report, in ms.
    pub report_millis: f64,
    /// Every linked patient evaluated for the worklists (what the dashboard's counts cost).
    pub worklists_millis: f64,
    pub queries: Vec<QueryProfile>,
}

/// The time of a hospital's whole report, of its worklists' evaluation, and of each of the
/// report's queries with their plans. Runs as the application.
pub async fn profile(core: &Core, hospital_id: Uuid, period: Period) -> AppResult<ReportProfile> {
    use sea_orm::DbBackend;
    let db = &core.db;
    let (h, rules) = hospital_of(db, hospital_id).await?;
    let started = std::time::Instant::now();
    build_report(core, db, &h, &rules, period, true).await?;
    let report_millis = started.elapsed().as_secs_f64() * 1000.0;
    let started = std::time::Instant::now();
    crate::services::cds::worklists::evaluate_hospital(
        core,
        db,
        hospital_id,
        &rules,
        core.clock.now(),
    )
    .await?;
    let worklists_millis = started.elapsed().as_secs_f64() * 1000.0;
    let bounds = gather::Bounds::new(hospital_id, period, core.clock.now());
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for (name, sql) in gather::queries(backend) {
        let started = std::time::Instant::now();
        let rows = db
            .query_all(gather::statement(backend, &sql, &bounds))
            .await?
            .len();
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        let explain = match backend {
            DbBackend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
            _ => format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"),
        };
        let plan = db
            .query_all(gather::statement(backend, &explain, &bounds))
            .await?
            .iter()
            .map(|r| match backend {
                DbBackend::Sqlite => r.try_get::<String>("", "detail").unwrap_or_default(),
                _ => r.try_get::<String>("", "QUERY PLAN").unwrap_or_default(),
            })
            .collect();
        out.push(QueryProfile {
            name,
            rows,
            millis,
            plan,
        });
    }
    Ok(ReportProfile {
        report_millis,
        worklists_millis,
        queries: out,
    })
}

/// The hospital with this code (the command line names hospitals by code).
pub async fn hospital_by_code(core: &Core, code: &str) -> AppResult<Uuid> {
    hospital::Entity::find()
        .filter(hospital::Column::Code.eq(code.trim().to_ascii_uppercase()))
        .one(&core.db)
        .await?
        .map(|h| h.id)
        .ok_or_else(|| ErrorKind::invalid_field("hospital", "no hospital has this code").into())
}
