//! Worklists for a hospital, from the same rules as the chart's flags: each linked patient's
//! facts are gathered in a few set queries (the clinical state the hospital keeps and the
//! states the patient shares with it, refills, visits, tracing outcomes), every patient is
//! evaluated with the hospital's rule set, and a list is the patients with a flag of its kinds.
//! Reading a list is a read of patient data: decided for the hospital and audited with the
//! patients shown. Tracing outcomes are recorded against a linked patient and audited.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

use crate::db::begin_write;
use crate::domain::cds::facts::{ArtFacts, Arv, Cd4Observation, VlObservation};
use crate::domain::cds::retention::TracingOutcome;
use crate::domain::cds::viral_load::VlValue;
use crate::domain::cds::worklist::{
    rank, LastOutcome, TracingInput, TracingRecord, Worklist, WorklistCounts, WorklistEntry,
    WorklistPage,
};
use crate::domain::cds::{evaluate, Facts, Flag, RetentionFacts, RuleSet};
use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::record::{PatientSummary, VlResult};
use crate::domain::identity::role::Permission;
use crate::domain::page::{PageRequest, Pagination};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::scheduling::appointment::AppointmentStatus;
use crate::domain::ErrorKind;
use crate::entities::{
    appointment, clinical_record as record, hospital, patient, patient_clinical_state as state,
    patient_hospital_link as link, tracing_outcome,
};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients::{birth_date_sealed, names_of, patient_access};
use crate::services::clinical::records::{combine, foreign_state, rule_set_of};
use crate::services::indicators::LIVE_TREATMENT;
use crate::services::notifications::planner::MISSED_AFTER_HOURS;
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::sharing::grants::granted_by_patient;
use crate::services::Core;

const TABLE: &str = "tracing_outcomes";

fn day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// One linked patient, evaluated.
pub(crate) struct Evaluated {
    pub patient_id: Uuid,
    pub mrn: String,
    pub flags: Vec<Flag>,
    pub last_contact: Option<NaiveDate>,
    pub outcome: Option<(TracingOutcome, NaiveDate)>,
}

fn observation(v: &VlResult) -> VlObservation {
    VlObservation {
        record_id: Some(v.record_id),
        at: day(v.recorded_at),
        value: VlValue::normalise(
            v.copies_per_ml,
            &v.comparator,
            v.qualitative.as_deref(),
            None,
        ),
    }
}

/// The facts of a patient from the summary of the states the hospital may see.
fn facts_of(
    summary: &PatientSummary,
    birth: Option<NaiveDate>,
    sex: &str,
    today: NaiveDate,
    retention: RetentionFacts,
) -> Facts {
    let art = match summary.art_status.as_str() {
        "on_art" => {
            let name = summary
                .current_regimen
                .as_ref()
                .map(|r| r.regimen.clone())
                .unwrap_or_default();
            Some(ArtFacts {
                start: summary.art_start.map(day),
                arvs: Arv::parse_regimen(&name, []),
                regimen: name,
                line: summary
                    .current_regimen
                    .as_ref()
                    .and_then(|r| r.line.clone()),
            })
        }
        _ => None,
    };
    Facts {
        today,
        birth,
        sex: Some(sex.to_string()),
        art,
        viral_loads: [&summary.latest_viral_load, &summary.previous_viral_load]
            .into_iter()
            .flatten()
            .map(observation)
            .collect(),
        cd4: summary
            .latest_cd4
            .iter()
            .map(|c| Cd4Observation {
                record_id: Some(c.record_id),
                at: day(c.recorded_at),
                cells: c.cells_per_ul,
            })
            .collect(),
        retention,
        ..Default::default()
    }
}

/// Every patient linked to the hospital, evaluated on `now` with `rules`.
pub(crate) async fn evaluate_hospital(
    core: &Core,
    db: &impl ConnectionTrait,
    hospital_id: Uuid,
    rules: &RuleSet,
    now: DateTime<Utc>,
) -> AppResult<Vec<Evaluated>> {
    let today = day(now);
    // The linked patients with what the rules read of them: sex and the sealed date of birth.
    let to_patient: RelationDef = link::Entity::belongs_to(patient::Entity)
        .from(link::Column::PatientId)
        .to(patient::Column::Id)
        .into();
    let linked: Vec<(Uuid, String, String, String)> = link::Entity::find()
        .select_only()
        .column(link::Column::PatientId)
        .column(link::Column::Mrn)
        .column(patient::Column::Sex)
        .column(patient::Column::DateOfBirth)
        .join(JoinType::InnerJoin, to_patient)
        .filter(link::Column::HospitalId.eq(hospital_id))
        .filter(link::Column::RemovedAt.is_null())
        .filter(patient::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut states: HashMap<Uuid, Vec<state::Model>> = HashMap::new();
    for s in state::Entity::find()
        .filter(state::Column::HospitalId.eq(hospital_id))
        .all(db)
        .await?
    {
        states.entry(s.patient_id).or_default().push(s);
    }
    // What patients share with the hospital: other hospitals' states, as far as it is open.
    let shared = granted_by_patient(db, now, hospital_id).await?;
    let mut elsewhere: HashMap<Uuid, (DateTime<Utc>, Uuid)> = HashMap::new();
    if !shared.is_empty() {
        for s in state::Entity::find()
            .filter(state::Column::PatientId.is_in(shared.keys().copied().collect::<Vec<_>>()))
            .filter(state::Column::HospitalId.ne(hospital_id))
            .all(db)
            .await?
        {
            let open = &shared[&s.patient_id];
            let (visible, _) = foreign_state(
                s,
                open.contains(&DataCategory::Labs),
                open.contains(&DataCategory::Art),
                open.contains(&DataCategory::ClinicalNotes),
            );
            if let Some(at) = visible.last_record_at {
                let e = elsewhere
                    .entry(visible.patient_id)
                    .or_insert((at, visible.hospital_id));
                if at > e.0 {
                    *e = (at, visible.hospital_id);
                }
            }
            states.entry(visible.patient_id).or_default().push(visible);
        }
    }
    let hospital_names: HashMap<Uuid, String> = hospital::Entity::find()
        .filter(
            hospital::Column::Id
                .is_in(elsewhere.values().map(|(_, h)| *h).collect::<BTreeSet<_>>()),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    // Refills: when the hospital's last dispensing of each patient runs out (live records, as
    // the chart reads them: a corrected dispensing counts by its correction), grouped from the
    // index of live treatment records.
    let supplies: Vec<(Uuid, Option<DateTime<Utc>>)> = record::Entity::find()
        .select_only()
        .column(record::Column::PatientId)
        .column_as(
            Expr::cust("MAX(CASE WHEN record_type = 'dispensing' THEN supply_until END)"),
            "supply_until",
        )
        .filter(record::Column::HospitalId.eq(hospital_id))
        .filter(Expr::cust(LIVE_TREATMENT))
        .group_by(record::Column::PatientId)
        .into_tuple()
        .all(db)
        .await?;
    let supply: HashMap<Uuid, NaiveDate> = supplies
        .into_iter()
        .filter_map(|(p, s)| Some((p, day(s?))))
        .collect();
    // Visits at the hospital in the last two years and the coming ones.
    let visits = appointment::Entity::find()
        .filter(appointment::Column::HospitalId.eq(hospital_id))
        .filter(appointment::Column::ScheduledStart.gt(now - Duration::days(2 * 366)))
        .filter(appointment::Column::Status.ne(AppointmentStatus::Cancelled.as_str()))
        .all(db)
        .await?;
    let mut by_patient: HashMap<Uuid, Vec<appointment::Model>> = HashMap::new();
    for v in visits {
        by_patient.entry(v.patient_id).or_default().push(v);
    }
    let mut outcomes: HashMap<Uuid, (TracingOutcome, NaiveDate)> = HashMap::new();
    for o in tracing_outcome::Entity::find()
        .filter(tracing_outcome::Column::HospitalId.eq(hospital_id))
        .order_by_asc(tracing_outcome::Column::OutcomeDate)
        .order_by_asc(tracing_outcome::Column::CreatedAt)
        .all(db)
        .await?
    {
        if let Some(outcome) = TracingOutcome::parse(&o.outcome) {
            outcomes.insert(o.patient_id, (outcome, day(o.outcome_date)));
        }
    }
    let missed_after = now - Duration::hours(MISSED_AFTER_HOURS);
    let mut out = Vec::with_capacity(linked.len());
    for (patient_id, mrn, sex, sealed_birth) in linked {
        let own = states
            .get(&patient_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let summary = combine(patient_id, own, rules.thresholds);
        let here_record = own
            .iter()
            .filter(|s| s.hospital_id == hospital_id)
            .filter_map(|s| s.last_record_at)
            .max();
        let visits = by_patient
            .get(&patient_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let attended = visits
            .iter()
            .filter(|v| {
                v.scheduled_start <= now
                    && (v.status == AppointmentStatus::Completed.as_str()
                        || v.status == AppointmentStatus::CheckedIn.as_str())
            })
            .map(|v| v.scheduled_start)
            .max();
        let last_here = [here_record, attended].into_iter().flatten().max();
        let missed_visit = visits
            .iter()
            .filter(|v| v.scheduled_start < now && last_here.is_none_or(|c| v.scheduled_start > c))
            .filter(|v| {
                v.status == AppointmentStatus::NoShow.as_str()
                    || (v.status == AppointmentStatus::Scheduled.as_str()
                        && v.scheduled_end < missed_after)
            })
            .map(|v| v.scheduled_start)
            .min()
            .map(day);
        let next_visit = visits
            .iter()
            .filter(|v| {
                v.scheduled_start >= now && v.status == AppointmentStatus::Scheduled.as_str()
            })
            .map(|v| v.scheduled_start)
            .min()
            .map(day);
        let retention = RetentionFacts {
            last_contact_here: last_here.map(day),
            last_contact_elsewhere: elsewhere.get(&patient_id).map(|(at, h)| {
                (
                    day(*at),
                    hospital_names
                        .get(h)
                        .cloned()
                        .unwrap_or_else(|| "another hospital".into()),
                )
            }),
            missed_visit,
            supply_until: supply.get(&patient_id).copied(),
            next_visit,
            outcome: outcomes.get(&patient_id).copied(),
        };
        let facts = facts_of(
            &summary,
            birth_date_sealed(core, patient_id, &sealed_birth),
            &sex,
            today,
            retention,
        );
        let flags = evaluate(&facts, rules);
        out.push(Evaluated {
            patient_id,
            mrn,
            flags,
            last_contact: last_here.map(day),
            outcome: outcomes.get(&patient_id).copied(),
        });
    }
    Ok(out)
}

async fn rules_of(db: &impl ConnectionTrait, hospital_id: Uuid) -> AppResult<RuleSet> {
    let h = hospital::Entity::find_by_id(hospital_id).one(db).await?;
    Ok(rule_set_of(h.as_ref()))
}

/// The caller's hospital, once the decision allows reading its patients' records (signed out:
/// 401; a platform admin, with no hospital: 403).
fn own_hospital(caller: &Caller) -> AppResult<Uuid> {
    let hospital_id = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    crate::policy::authorize(
        &caller.actor,
        Action::AtHospital {
            permission: Permission::RecordsRead,
            hospital_id,
        },
    )?;
    Ok(hospital_id)
}

/// A page of a worklist of the caller's hospital. Audited with the patients shown.
pub async fn list(
    core: &Core,
    caller: &Caller,
    worklist: Worklist,
    page: PageRequest,
) -> AppResult<WorklistPage> {
    let event = Event::new("worklist", AuditAction::Read);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let hospital_id = own_hospital(caller)?;
        let txn = read.txn();
        let now = core.clock.now();
        let rules = rules_of(txn, hospital_id).await?;
        let evaluated = evaluate_hospital(core, txn, hospital_id, &rules, now).await?;
        let counts = count(&evaluated);
        let mut entries: Vec<WorklistEntry> = evaluated
            .iter()
            .filter_map(|e| {
                let f = worklist.pick(&e.flags)?;
                Some(WorklistEntry {
                    patient_id: e.patient_id,
                    name: String::new(),
                    mrn: Some(e.mrn.clone()),
                    rule_id: f.rule_id.clone(),
                    severity: f.severity,
                    title: f.title.clone(),
                    why: f.why.clone(),
                    since: f.since,
                    last_contact: e.last_contact,
                    last_outcome: e.outcome.map(|(o, on)| LastOutcome::of(o, on)),
                })
            })
            .collect();
        rank(&mut entries);
        let total = entries.len() as u64;
        let mut shown: Vec<WorklistEntry> = entries
            .into_iter()
            .skip(page.offset() as usize)
            .take(page.per_page as usize)
            .collect();
        let names = names_of(
            core,
            txn,
            &shown.iter().map(|e| e.patient_id).collect::<Vec<_>>(),
        )
        .await?;
        for e in &mut shown {
            e.name = names.get(&e.patient_id).cloned().unwrap_or_default();
        }
        let ids: Vec<Uuid> = shown.iter().map(|e| e.patient_id).collect();
        let details = json!({"worklist": worklist.as_str(), "total": total, "patient_ids": ids});
        Ok((
            WorklistPage {
                worklist,
                label: worklist.label().to_string(),
                data: shown,
                pagination: Pagination::new(page, total),
                counts,
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

fn count(evaluated: &[Evaluated]) -> WorklistCounts {
    let mut counts = WorklistCounts::default();
    for e in evaluated {
        for w in Worklist::ALL {
            if w.pick(&e.flags).is_some() {
                counts.add(w);
            }
        }
    }
    counts
}

/// How many patients each worklist of the caller's hospital holds (no patient named).
pub async fn counts(core: &Core, caller: &Caller) -> AppResult<WorklistCounts> {
    let event = Event::new("worklist", AuditAction::Read);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let hospital_id = own_hospital(caller)?;
        let txn = read.txn();
        let rules = rules_of(txn, hospital_id).await?;
        let evaluated = evaluate_hospital(core, txn, hospital_id, &rules, core.clock.now()).await?;
        let counts = count(&evaluated);
        Ok((counts, json!({"counts": counts})))
    }
    .await;
    read.finish(result).await
}

fn to_record(core: &Core, m: tracing_outcome::Model) -> AppResult<TracingRecord> {
    let outcome = TracingOutcome::parse(&m.outcome)
        .ok_or_else(|| AppError::internal(format!("unknown tracing outcome {}", m.outcome)))?;
    let note = match m.note.as_deref() {
        Some(sealed) => Some(
            core.keyring
                .open(TABLE, "note", m.id, sealed)
                .map_err(|e| AppError::internal(format!("tracing outcome {}: {e}", m.id)))?,
        ),
        None => None,
    };
    Ok(TracingRecord {
        id: m.id,
        patient_id: m.patient_id,
        hospital_id: m.hospital_id,
        worklist: Worklist::parse(&m.worklist).unwrap_or(Worklist::Iit),
        outcome: LastOutcome::of(outcome, day(m.outcome_date)),
        contact_method: m.contact_method,
        note,
        recorded_by: m.recorded_by,
    })
}

/// Records the outcome of tracing a linked patient (the note sealed). Audited.
pub async fn record_outcome(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &TracingInput,
) -> AppResult<TracingRecord> {
    let event = Event::new("tracing_outcome", AuditAction::Create).patient(patient_id);
    audit::authorize(core, caller, Action::WriteRecords, &event).await?;
    let now = core.clock.now();
    let valid = input.validate(day(now))?;
    let txn = begin_write(&core.db).await?;
    let access = patient_access(
        &txn,
        now,
        caller,
        patient_id,
        None,
        DataCategory::ClinicalNotes,
    )
    .await?;
    let action = Action::WritePatientData {
        permission: Permission::RecordsWrite,
        access,
    };
    let txn = audit::authorize_in(core, caller, txn, action, &event).await?;
    let (hospital_id, author) = match (caller.actor.hospital_id(), caller.actor.id()) {
        (Some(h), Some(a)) => (h, a),
        _ => return Err(ErrorKind::forbidden().into()),
    };
    let id = Uuid::now_v7();
    let model = tracing_outcome::ActiveModel {
        id: Set(id),
        patient_id: Set(patient_id),
        hospital_id: Set(hospital_id),
        worklist: Set(valid.worklist.as_str().into()),
        outcome: Set(valid.outcome.as_str().into()),
        outcome_date: Set(valid
            .outcome_date
            .and_hms_opt(12, 0, 0)
            .unwrap_or_default()
            .and_utc()),
        contact_method: Set(valid.contact_method.clone()),
        note: Set(valid
            .note
            .as_ref()
            .map(|n| core.keyring.seal(TABLE, "note", id, n))),
        recorded_by: Set(author),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = event.entity_id(id).details(json!({
        "worklist": valid.worklist.as_str(),
        "outcome": valid.outcome.as_str(),
        "code": valid.outcome.code(),
    }));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    to_record(core, model)
}
