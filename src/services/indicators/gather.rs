//! The facts the indicators read, gathered for every patient linked to a hospital in a few
//! queries over plain columns (the same SQL on SQLite and PostgreSQL but for how each finds
//! the last contact, where each is fastest its own way): the first ART
//! start, the latest regimen, stop, contact and refill as of the day before the period and as
//! of its last day, attended and missed visits, tracing outcomes, and the latest viral load in
//! the 12 months up to the period's end.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use std::collections::HashMap;
use uuid::Uuid;

use crate::domain::cds::retention::TracingOutcome;
use crate::domain::cds::viral_load::VlValue;
use crate::domain::indicators::cohort::vl_window_start;
use crate::domain::indicators::{PatientFacts, Period, StatusFacts};
use crate::error::AppResult;
use crate::services::notifications::planner::MISSED_AFTER_HOURS;

/// The linked patients, one row each: MRN, month of birth and sex; from their ART and
/// dispensing records at the hospital up to the period's end ($3), the first regimen and start
/// and the latest regimen, stop and refill, as of the end and as known before the period
/// started ($2); and their last contact (any record) at both ends (`{contacts}`, `{join}`:
/// see `CONTACTS_BY_SEEK` and `CONTACTS_GROUPED`). The treatment records are grouped from
/// their own index, a small part of all records.
const PATIENTS: &str = "SELECT l.patient_id, l.mrn, p.birth_month, p.sex, \
     t.first_regimen, t.first_start, t.regimen0, t.stop0, t.supply0, t.regimen1, t.stop1, t.supply1, \
     {contacts} \
     FROM patient_hospital_links l JOIN patients p ON p.id = l.patient_id \
     LEFT JOIN (SELECT patient_id, \
       MIN(CASE WHEN record_type = 'art_regimen' THEN recorded_at END) AS first_regimen, \
       MIN(CASE WHEN record_type = 'art_regimen' AND art_action = 'start' THEN recorded_at END) AS first_start, \
       MAX(CASE WHEN record_type = 'art_regimen' AND COALESCE(art_action, '') <> 'stop' AND recorded_at < $2 THEN recorded_at END) AS regimen0, \
       MAX(CASE WHEN record_type = 'art_regimen' AND art_action = 'stop' AND recorded_at < $2 THEN recorded_at END) AS stop0, \
       MAX(CASE WHEN record_type = 'dispensing' AND recorded_at < $2 THEN supply_until END) AS supply0, \
       MAX(CASE WHEN record_type = 'art_regimen' AND COALESCE(art_action, '') <> 'stop' THEN recorded_at END) AS regimen1, \
       MAX(CASE WHEN record_type = 'art_regimen' AND art_action = 'stop' THEN recorded_at END) AS stop1, \
       MAX(CASE WHEN record_type = 'dispensing' THEN supply_until END) AS supply1 \
       FROM clinical_records \
       WHERE hospital_id = $1 AND record_type IN ('art_regimen', 'dispensing') AND recorded_at < $3 \
       AND deleted_at IS NULL AND superseded_by IS NULL \
       GROUP BY patient_id) t ON t.patient_id = l.patient_id \
     {join} \
     WHERE l.hospital_id = $1 AND l.removed_at IS NULL AND p.deleted_at IS NULL";

/// Each patient's last contact as SQLite answers it fastest: one seek each in the index of
/// live records by patient and time (about 0.1 s for 33,000 patients, where grouping all their
/// records takes three times as long).
const CONTACTS_BY_SEEK: (&str, &str) = (
    "(SELECT MAX(r.recorded_at) FROM clinical_records r WHERE r.hospital_id = l.hospital_id \
       AND r.patient_id = l.patient_id AND r.recorded_at < $2 \
       AND r.deleted_at IS NULL AND r.superseded_by IS NULL) AS contact0, \
     (SELECT MAX(r.recorded_at) FROM clinical_records r WHERE r.hospital_id = l.hospital_id \
       AND r.patient_id = l.patient_id AND r.recorded_at < $3 \
       AND r.deleted_at IS NULL AND r.superseded_by IS NULL) AS contact1",
    "",
);

/// The same as PostgreSQL answers it fastest: the hospital's live records grouped by patient
/// from the same index and joined (a seek per patient costs it twice as much).
const CONTACTS_GROUPED: (&str, &str) = (
    "c.contact0, c.contact1",
    "LEFT JOIN (SELECT patient_id, MAX(CASE WHEN recorded_at < $2 THEN recorded_at END) AS contact0, \
       MAX(recorded_at) AS contact1 FROM clinical_records \
       WHERE hospital_id = $1 AND recorded_at < $3 AND deleted_at IS NULL AND superseded_by IS NULL \
       GROUP BY patient_id) c ON c.patient_id = l.patient_id",
);

/// The linked-patients query for `backend`.
pub(crate) fn patients_query(backend: DbBackend) -> String {
    let (contacts, join) = match backend {
        DbBackend::Sqlite => CONTACTS_BY_SEEK,
        _ => CONTACTS_GROUPED,
    };
    PATIENTS
        .replace("{contacts}", contacts)
        .replace("{join}", join)
}

/// Visits attended, before the period and up to its end.
pub(crate) const ATTENDED: &str = "SELECT patient_id, \
     MAX(CASE WHEN scheduled_start < $2 THEN scheduled_start END) AS attended0, \
     MAX(scheduled_start) AS attended1 \
     FROM appointments \
     WHERE hospital_id = $1 AND scheduled_start < $3 AND status IN ('completed', 'checked_in') \
     GROUP BY patient_id";

/// Visits missed up to the period's end: no-shows, and visits still booked whose time passed
/// more than the grace period ago ($4).
pub(crate) const MISSED: &str = "SELECT patient_id, scheduled_start \
     FROM appointments \
     WHERE hospital_id = $1 AND scheduled_start < $3 \
     AND (status = 'no_show' OR (status = 'scheduled' AND scheduled_end < $4))";

/// Tracing outcomes up to the period's end, oldest first.
pub(crate) const OUTCOMES: &str = "SELECT patient_id, outcome, outcome_date \
     FROM tracing_outcomes WHERE hospital_id = $1 AND outcome_date < $3 \
     ORDER BY outcome_date, created_at";

/// Every viral-load result of the 12 months up to the period's end ($5 to $3), pending and
/// rejected samples left out: each patient's latest is read from these rows, and so is the
/// month-by-month series (its 12 calendar months never start before $5). One pass over the
/// viral-load index.
pub(crate) const VL_RESULTS: &str = "SELECT patient_id, id, recorded_at, vl_copies, vl_comparator, vl_qualitative, vl_lower_limit \
     FROM clinical_records \
     WHERE hospital_id = $1 AND record_type = 'viral_load' AND recorded_at >= $5 AND recorded_at < $3 \
     AND deleted_at IS NULL AND superseded_by IS NULL \
     AND COALESCE(vl_qualitative, '') NOT IN ('pending', 'rejected') \
     AND (vl_copies IS NOT NULL OR vl_qualitative IS NOT NULL)";

/// Every query a report runs on `backend`, by name (for the profile).
pub(crate) fn queries(backend: DbBackend) -> [(&'static str, String); 5] {
    [
        ("patients", patients_query(backend)),
        ("attended", ATTENDED.to_string()),
        ("missed", MISSED.to_string()),
        ("outcomes", OUTCOMES.to_string()),
        ("viral_loads", VL_RESULTS.to_string()),
    ]
}

/// The values bound to `$1`..`$6`.
pub(crate) struct Bounds {
    pub hospital_id: Uuid,
    /// The period's first day, 00:00 UTC: facts before it are "at the start".
    pub start: DateTime<Utc>,
    /// The day after the period, 00:00 UTC.
    pub end: DateTime<Utc>,
    /// A booked visit whose end is before this was missed.
    pub missed_before: DateTime<Utc>,
    /// The 12-month viral-load window's first day.
    pub vl_from: DateTime<Utc>,
    /// The first day of the 12 calendar months of the suppression chart (never before
    /// `vl_from`).
    pub months_from: DateTime<Utc>,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

impl Bounds {
    pub fn new(hospital_id: Uuid, period: Period, now: DateTime<Utc>) -> Bounds {
        use chrono::Datelike;
        let end = period.end + Duration::days(1);
        let first_month = NaiveDate::from_ymd_opt(period.end.year(), period.end.month(), 1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
            .unwrap_or(period.end);
        Bounds {
            hospital_id,
            start: midnight(period.start),
            end: midnight(end),
            missed_before: now - Duration::hours(MISSED_AFTER_HOURS),
            vl_from: midnight(vl_window_start(period.end)),
            months_from: midnight(first_month),
        }
    }

    fn values(&self) -> Vec<Value> {
        vec![
            self.hospital_id.into(),
            self.start.into(),
            self.end.into(),
            self.missed_before.into(),
            self.vl_from.into(),
            self.months_from.into(),
        ]
    }
}

/// `sql` with the parameters it names (of `$1`..`$6`) bound for `backend`, renumbered in
/// order (a statement must use every parameter it is given); SQLite reads them as `?1`...
pub(crate) fn statement(backend: DbBackend, sql: &str, bounds: &Bounds) -> Statement {
    let mut sql = sql.to_string();
    let mut values = Vec::new();
    for (n, value) in bounds.values().into_iter().enumerate() {
        let name = format!("${}", n + 1);
        if sql.contains(&name) {
            values.push(value);
            sql = sql.replace(&name, &format!("#{}", values.len()));
        }
    }
    let mark = match backend {
        DbBackend::Sqlite => "?",
        _ => "$",
    };
    Statement::from_sql_and_values(backend, sql.replace('#', mark), values)
}

async fn rows(db: &impl ConnectionTrait, sql: &str, b: &Bounds) -> AppResult<Vec<QueryResult>> {
    Ok(db
        .query_all(statement(db.get_database_backend(), sql, b))
        .await?)
}

fn day(r: &QueryResult, col: &str) -> AppResult<Option<NaiveDate>> {
    Ok(r.try_get::<Option<DateTime<Utc>>>("", col)?
        .map(|t| t.date_naive()))
}

fn vl_of(r: &QueryResult) -> AppResult<VlValue> {
    let copies: Option<f64> = r.try_get("", "vl_copies")?;
    let comparator: Option<String> = r.try_get("", "vl_comparator")?;
    let qualitative: Option<String> = r.try_get("", "vl_qualitative")?;
    let lower: Option<f64> = r.try_get("", "vl_lower_limit")?;
    Ok(VlValue::normalise(
        copies,
        comparator.as_deref().unwrap_or("="),
        qualitative.as_deref(),
        lower,
    ))
}

/// What a report is computed from.
pub(crate) struct Gathered {
    /// The linked patients with their MRNs, and their facts.
    pub patients: Vec<(String, PatientFacts)>,
    /// The viral-load results of the suppression chart's 12 calendar months: (day, value).
    pub monthly_results: Vec<(NaiveDate, VlValue)>,
}

/// The linked patients with their MRNs and facts, and the chart's viral-load results.
pub(crate) async fn facts(db: &impl ConnectionTrait, b: &Bounds) -> AppResult<Gathered> {
    let mut out: Vec<(String, PatientFacts)> = Vec::new();
    let mut place: HashMap<Uuid, usize> = HashMap::new();
    for r in rows(db, &patients_query(db.get_database_backend()), b).await? {
        let id: Uuid = r.try_get("", "patient_id")?;
        place.insert(id, out.len());
        out.push((
            r.try_get("", "mrn")?,
            PatientFacts {
                patient_id: id,
                birth_month: r.try_get("", "birth_month")?,
                sex: r.try_get("", "sex")?,
                first_regimen: day(&r, "first_regimen")?,
                first_start: day(&r, "first_start")?,
                at_start: StatusFacts {
                    last_regimen: day(&r, "regimen0")?,
                    last_stop: day(&r, "stop0")?,
                    last_contact: day(&r, "contact0")?,
                    supply_until: day(&r, "supply0")?,
                    ..Default::default()
                },
                at_end: StatusFacts {
                    last_regimen: day(&r, "regimen1")?,
                    last_stop: day(&r, "stop1")?,
                    last_contact: day(&r, "contact1")?,
                    supply_until: day(&r, "supply1")?,
                    ..Default::default()
                },
                latest_vl: None,
            },
        ));
    }
    macro_rules! each {
        ($sql:expr, |$p:ident, $r:ident| $body:block) => {
            for $r in rows(db, $sql, b).await? {
                let id: Uuid = $r.try_get("", "patient_id")?;
                if let Some(i) = place.get(&id) {
                    let $p = &mut out[*i].1;
                    $body
                }
            }
        };
    }
    each!(ATTENDED, |p, r| {
        p.at_start.last_contact = p.at_start.last_contact.max(day(&r, "attended0")?);
        p.at_end.last_contact = p.at_end.last_contact.max(day(&r, "attended1")?);
    });
    let start_day = b.start.date_naive();
    each!(MISSED, |p, r| {
        if let Some(at) = day(&r, "scheduled_start")? {
            // The first visit missed after the last contact, as of each day.
            let at_start = at < start_day;
            for (s, applies) in [(&mut p.at_start, at_start), (&mut p.at_end, true)] {
                if applies && s.last_contact.is_none_or(|c| at > c) {
                    s.missed_visit = Some(s.missed_visit.map_or(at, |m| m.min(at)));
                }
            }
        }
    });
    each!(OUTCOMES, |p, r| {
        let outcome: String = r.try_get("", "outcome")?;
        if let (Some(o), Some(at)) = (TracingOutcome::parse(&outcome), day(&r, "outcome_date")?) {
            // Oldest first: the last one seen is the latest.
            if at < start_day {
                p.at_start.outcome = Some((o, at));
            }
            p.at_end.outcome = Some((o, at));
        }
    });
    // Each patient's latest result: the latest time, then the greatest id (as the records'
    // own order has it).
    let mut latest: HashMap<Uuid, (DateTime<Utc>, Uuid)> = HashMap::new();
    let mut monthly_results = Vec::new();
    for r in rows(db, VL_RESULTS, b).await? {
        let Some(at) = r.try_get::<Option<DateTime<Utc>>>("", "recorded_at")? else {
            continue;
        };
        let value = vl_of(&r)?;
        if at >= b.months_from {
            monthly_results.push((at.date_naive(), value));
        }
        let patient_id: Uuid = r.try_get("", "patient_id")?;
        let Some(i) = place.get(&patient_id) else {
            continue;
        };
        let key = (at, r.try_get::<Uuid>("", "id")?);
        if latest.get(&patient_id).is_none_or(|seen| key > *seen) {
            latest.insert(patient_id, key);
            out[*i].1.latest_vl = Some((at.date_naive(), value));
        }
    }
    Ok(Gathered {
        patients: out,
        monthly_results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    /// The monthly series is read from the latest-result query's rows, so its first month may
    /// never start before that query's window, whatever day the period ends on.
    #[test]
    fn the_charts_months_start_inside_the_viral_load_window() {
        let mut end = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        let now = Utc::now();
        while end.year() < 2027 {
            let period = Period {
                start: end - Duration::days(90),
                end,
            };
            let b = Bounds::new(Uuid::nil(), period, now);
            assert!(b.months_from >= b.vl_from, "period ending {end}");
            assert!(b.months_from < b.end, "period ending {end}");
            end += Duration::days(1);
        }
    }
}
