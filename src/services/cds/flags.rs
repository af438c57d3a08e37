//! The patient's decision-support flags: the facts the rules read, gathered from what the
//! caller may see (its hospital's records and those the patient shares with it; for the
//! patient, every hospital), then `domain::cds::evaluate` with the hospital's rule set.
//! Only plain columns are read, except diagnoses (their ICD-10 code) and lab results (their
//! LOINC code), whose few payloads are opened.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::domain::cds::facts::{ArtFacts, Arv, Cd4Observation, StageEvent, VlObservation};
use crate::domain::cds::retention::TracingOutcome;
use crate::domain::cds::screenings::RENAL_LOINC;
use crate::domain::cds::staging::stage_of_icd10;
use crate::domain::cds::viral_load::VlValue;
use crate::domain::cds::{evaluate, Facts, Flag, RetentionFacts, RuleSet};
use crate::domain::clinical::record::{PatientSummary, Payload, RecordType};
use crate::domain::scheduling::appointment::AppointmentStatus;
use crate::entities::{appointment, clinical_record as record, hospital, patient, tracing_outcome};
use crate::error::AppResult;
use crate::services::clinical::patients::birth_date;
use crate::services::clinical::records::{live_records, open_payload};
use crate::services::notifications::planner::MISSED_AFTER_HOURS;
use crate::services::Core;

/// How many of each kind of result the rules read (the newest).
const RESULTS_READ: u64 = 6;
/// How many diagnoses and lab results are opened for staging and renal monitoring.
const PAYLOADS_READ: u64 = 50;

/// Whose view the facts are gathered for.
pub(crate) struct Scope {
    /// The records the viewer may see (`None`: all of them, the patient's own view).
    pub visible: Option<Condition>,
    /// The viewer's hospital: contacts there are "here", elsewhere a possible transfer.
    /// `None` (the patient): every hospital is theirs.
    pub here: Option<Uuid>,
}

fn day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// Everything the rules read of the patient, as `scope` may see it.
pub(crate) async fn facts(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    scope: &Scope,
    summary: &PatientSummary,
    now: DateTime<Utc>,
) -> AppResult<Facts> {
    let live = |t: RecordType| live_records(patient_id, t, scope.visible.clone());
    let viral_loads = live(RecordType::ViralLoad)
        .order_by_desc(record::Column::RecordedAt)
        .limit(RESULTS_READ)
        .all(db)
        .await?
        .into_iter()
        .map(|m| VlObservation {
            record_id: Some(m.id),
            at: day(m.recorded_at),
            value: VlValue::normalise(
                m.vl_copies,
                m.vl_comparator.as_deref().unwrap_or("="),
                m.vl_qualitative.as_deref(),
                m.vl_lower_limit,
            ),
        })
        .collect();
    let cd4 = live(RecordType::Cd4)
        .order_by_desc(record::Column::RecordedAt)
        .limit(RESULTS_READ)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Cd4Observation {
            record_id: Some(m.id),
            at: day(m.recorded_at),
            cells: m.cd4_cells,
        })
        .collect();
    let person = patient::Entity::find_by_id(patient_id).one(db).await?;
    let birth = person.as_ref().and_then(|p| birth_date(core, p));
    let today = day(now);
    let mut stage_events = Vec::new();
    for m in live(RecordType::Diagnosis)
        .order_by_desc(record::Column::RecordedAt)
        .limit(PAYLOADS_READ)
        .all(db)
        .await?
    {
        let stored = open_payload(core, m.id, &m.payload)?;
        if let Some(Payload::Diagnosis(d)) = Payload::from_stored(RecordType::Diagnosis, stored) {
            if let Some(rule) = stage_of_icd10(&d.icd10, birth, day(m.recorded_at)) {
                stage_events.push(StageEvent {
                    at: day(m.recorded_at),
                    rule_id: rule.id,
                    condition: rule.condition,
                    stage: rule.stage,
                });
            }
        }
    }
    let mut lab_tests = Vec::new();
    for m in live(RecordType::LabResult)
        .filter(record::Column::RecordedAt.gte(now - Duration::days(2 * 366)))
        .order_by_desc(record::Column::RecordedAt)
        .limit(PAYLOADS_READ)
        .all(db)
        .await?
    {
        let stored = open_payload(core, m.id, &m.payload)?;
        if let Some(Payload::LabResult(l)) = Payload::from_stored(RecordType::LabResult, stored) {
            if RENAL_LOINC.contains(&l.loinc.trim()) {
                lab_tests.push((l.loinc.trim().to_string(), day(m.recorded_at)));
            }
        }
    }
    let art = match (summary.art_status.as_str(), &summary.current_regimen) {
        ("on_art", regimen) => {
            let name = regimen
                .as_ref()
                .map(|r| r.regimen.clone())
                .unwrap_or_default();
            Some(ArtFacts {
                start: summary.art_start.map(day),
                arvs: Arv::parse_regimen(&name, []),
                regimen: name,
                line: regimen.as_ref().and_then(|r| r.line.clone()),
            })
        }
        _ => None,
    };
    let retention = retention(db, patient_id, scope, now).await?;
    Ok(Facts {
        today,
        birth,
        sex: person.map(|p| p.sex),
        art,
        viral_loads,
        cd4,
        stage_events,
        lab_tests,
        retention,
    })
}

/// Contacts, missed visits, refills and the last tracing outcome.
async fn retention(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    scope: &Scope,
    now: DateTime<Utc>,
) -> AppResult<RetentionFacts> {
    let any_record = || {
        let mut q = record::Entity::find()
            .filter(record::Column::PatientId.eq(patient_id))
            .filter(record::Column::DeletedAt.is_null());
        if let Some(v) = scope.visible.clone() {
            q = q.filter(v);
        }
        q
    };
    let mut here_records = any_record();
    if let Some(h) = scope.here {
        here_records = here_records.filter(record::Column::HospitalId.eq(h));
    }
    let record_here = here_records
        .order_by_desc(record::Column::RecordedAt)
        .one(db)
        .await?
        .map(|m| m.recorded_at);
    let visits = || {
        let mut q =
            appointment::Entity::find().filter(appointment::Column::PatientId.eq(patient_id));
        if let Some(h) = scope.here {
            q = q.filter(appointment::Column::HospitalId.eq(h));
        }
        q
    };
    let attended = visits()
        .filter(appointment::Column::Status.is_in([
            AppointmentStatus::Completed.as_str(),
            AppointmentStatus::CheckedIn.as_str(),
        ]))
        .filter(appointment::Column::ScheduledStart.lte(now))
        .order_by_desc(appointment::Column::ScheduledStart)
        .one(db)
        .await?
        .map(|a| a.scheduled_start);
    let last_here = [record_here, attended].into_iter().flatten().max();
    let mut missed = visits()
        .filter(
            Condition::any()
                .add(appointment::Column::Status.eq(AppointmentStatus::NoShow.as_str()))
                .add(
                    Condition::all()
                        .add(appointment::Column::Status.eq(AppointmentStatus::Scheduled.as_str()))
                        .add(
                            appointment::Column::ScheduledEnd
                                .lt(now - Duration::hours(MISSED_AFTER_HOURS)),
                        ),
                ),
        )
        .filter(appointment::Column::ScheduledStart.lt(now));
    if let Some(c) = last_here {
        missed = missed.filter(appointment::Column::ScheduledStart.gt(c));
    }
    let missed_visit = missed
        .order_by_asc(appointment::Column::ScheduledStart)
        .one(db)
        .await?
        .map(|a| day(a.scheduled_start));
    let next_visit = visits()
        .filter(appointment::Column::Status.eq(AppointmentStatus::Scheduled.as_str()))
        .filter(appointment::Column::ScheduledStart.gte(now))
        .order_by_asc(appointment::Column::ScheduledStart)
        .one(db)
        .await?
        .map(|a| day(a.scheduled_start));
    let supply_until = live_records(patient_id, RecordType::Dispensing, scope.visible.clone())
        .filter(record::Column::SupplyUntil.is_not_null())
        .order_by_desc(record::Column::SupplyUntil)
        .one(db)
        .await?
        .and_then(|m| m.supply_until)
        .map(day);
    let last_contact_elsewhere = match scope.here {
        None => None,
        Some(h) => {
            let elsewhere = any_record()
                .filter(record::Column::HospitalId.ne(h))
                .order_by_desc(record::Column::RecordedAt)
                .one(db)
                .await?;
            match elsewhere {
                Some(m) => {
                    let name = hospital::Entity::find_by_id(m.hospital_id)
                        .one(db)
                        .await?
                        .map(|h| h.name)
                        .unwrap_or_else(|| "another hospital".into());
                    Some((day(m.recorded_at), name))
                }
                None => None,
            }
        }
    };
    let mut outcomes =
        tracing_outcome::Entity::find().filter(tracing_outcome::Column::PatientId.eq(patient_id));
    if let Some(h) = scope.here {
        outcomes = outcomes.filter(tracing_outcome::Column::HospitalId.eq(h));
    }
    let outcome = outcomes
        .order_by_desc(tracing_outcome::Column::OutcomeDate)
        .one(db)
        .await?
        .and_then(|o| Some((TracingOutcome::parse(&o.outcome)?, day(o.outcome_date))));
    Ok(RetentionFacts {
        last_contact_here: last_here.map(day),
        last_contact_elsewhere,
        missed_visit,
        supply_until,
        next_visit,
        outcome,
    })
}

/// The flags of a patient for `scope`, with `rules`.
pub(crate) async fn flags(
    core: &Core,
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    scope: &Scope,
    summary: &PatientSummary,
    rules: &RuleSet,
) -> AppResult<Vec<Flag>> {
    let now = core.clock.now();
    let facts = facts(core, db, patient_id, scope, summary, now).await?;
    Ok(evaluate(&facts, rules))
}
