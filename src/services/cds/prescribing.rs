//! Prescribing safety: a new `prescription`, `art_regimen` or `dispensing` is checked against
//! the patient's current regimen and medicines (those the caller's hospital may see: its own
//! records and those the patient shares with it) with the 63 rules of HIV.D21.2.DT. A severe
//! interaction stops the write unless an override reason comes with it; the reason is sealed
//! with the record and the rules it overrode are audited. A dispensing of a prescription whose
//! prescriber already overrode the same rules goes through with its warnings.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use crate::domain::cds::age_on;
use crate::domain::cds::facts::Arv;
use crate::domain::cds::interactions::{
    check_new, InteractionSeverity, InteractionWarning, Medication, Prescribed,
};
use crate::domain::clinical::record::{Payload, RecordInput, RecordType, ValidRecord};
use crate::domain::platform::audit::AuditAction;
use crate::domain::ErrorKind;
use crate::entities::{clinical_record as record, patient};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients::{birth_date, Linked};
use crate::services::clinical::records::{live_records, open_payload, visible_records};
use crate::services::platform::audit::{AuditedRead, Event};
use crate::services::Core;

/// How far back a prescription may still be current.
const PRESCRIPTION_LOOKBACK_DAYS: i64 = 180;
/// A prescription without a duration counts as current this long.
const OPEN_PRESCRIPTION_DAYS: i64 = 90;
/// The most prescriptions read for one check.
const PRESCRIPTIONS_READ: u64 = 200;

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    pub warnings: Vec<InteractionWarning>,
    /// The severe rules among them.
    pub severe: Vec<String>,
}

impl Checked {
    /// The rule ids as stored on the record (`None` when nothing fired).
    pub fn stored_rules(&self) -> Option<String> {
        (!self.warnings.is_empty()).then(|| {
            self.warnings
                .iter()
                .map(|w| w.rule_id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
    }
}

fn prescribed(payload: &Payload) -> Option<Prescribed> {
    match payload {
        Payload::Prescription(p) => Some(Prescribed {
            name: p.drug_name.clone(),
            atc: p.atc.clone(),
        }),
        _ => None,
    }
}

/// The patient's current regimen and medicines as the caller may see them, and their age.
/// `except` leaves one prescription out (the one being dispensed).
pub(crate) async fn current_medication(
    core: &Core,
    db: &impl ConnectionTrait,
    caller: &Caller,
    linked: &Linked,
    patient_id: Uuid,
    now: DateTime<Utc>,
    except: Option<Uuid>,
) -> AppResult<Medication> {
    let live = |t: RecordType| live_records(patient_id, t, visible_records(caller, linked));
    let mut medication = Medication::default();
    let latest_regimen = live(RecordType::ArtRegimen)
        .order_by_desc(record::Column::RecordedAt)
        .order_by_desc(record::Column::Id)
        .one(db)
        .await?;
    if let Some(m) = latest_regimen {
        let stored = open_payload(core, m.id, &m.payload)?;
        if let Some(Payload::ArtRegimen(r)) = Payload::from_stored(RecordType::ArtRegimen, stored) {
            if r.action != "stop" {
                medication.regimen =
                    Arv::parse_regimen(&r.regimen, r.drugs.iter().map(String::as_str));
                medication.line = r.line;
            }
        }
    }
    let prescriptions = live(RecordType::Prescription)
        .filter(record::Column::RecordedAt.gte(now - Duration::days(PRESCRIPTION_LOOKBACK_DAYS)))
        .order_by_desc(record::Column::RecordedAt)
        .limit(PRESCRIPTIONS_READ)
        .all(db)
        .await?;
    for m in prescriptions.into_iter().filter(|m| Some(m.id) != except) {
        let stored = open_payload(core, m.id, &m.payload)?;
        let Some(Payload::Prescription(p)) = Payload::from_stored(RecordType::Prescription, stored)
        else {
            continue;
        };
        let days = p.duration_days.unwrap_or(OPEN_PRESCRIPTION_DAYS);
        if m.recorded_at + Duration::days(days) >= now {
            medication.medicines.push(Prescribed {
                name: p.drug_name,
                atc: p.atc,
            });
        }
    }
    let person = patient::Entity::find_by_id(patient_id).one(db).await?;
    medication.age = person
        .as_ref()
        .and_then(|p| birth_date(core, p))
        .map(|b| age_on(b, now.date_naive()));
    Ok(medication)
}

/// The interactions a new record brings, and whether its prescription was already overridden
/// for them (a dispensing).
async fn interactions_of(
    core: &Core,
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
    payload: &Payload,
    now: DateTime<Utc>,
) -> AppResult<(Vec<InteractionWarning>, Vec<String>)> {
    if !payload.record_type().is_interaction_checked() {
        return Ok((Vec::new(), Vec::new()));
    }
    let linked = Linked::load(db, now, caller, patient_id).await?;
    let current = |except| current_medication(core, db, caller, &linked, patient_id, now, except);
    Ok(match payload {
        Payload::ArtRegimen(r) if r.action == "stop" => (Vec::new(), Vec::new()),
        Payload::ArtRegimen(r) => {
            let mut m = current(None).await?;
            m.line = r.line.clone();
            let regimen = Arv::parse_regimen(&r.regimen, r.drugs.iter().map(String::as_str));
            (check_new(&m, Some(&regimen), None), Vec::new())
        }
        Payload::Prescription(_) => {
            let m = current(None).await?;
            (
                check_new(&m, None, prescribed(payload).as_ref()),
                Vec::new(),
            )
        }
        Payload::Dispensing(d) => {
            let rx = record::Entity::find_by_id(d.prescription_id)
                .one(db)
                .await?;
            let Some(rx) = rx else {
                return Ok((Vec::new(), Vec::new()));
            };
            let stored = open_payload(core, rx.id, &rx.payload)?;
            let Some(item) = Payload::from_stored(RecordType::Prescription, stored)
                .as_ref()
                .and_then(prescribed)
            else {
                return Ok((Vec::new(), Vec::new()));
            };
            let m = current(Some(rx.id)).await?;
            let overridden = if rx.override_reason.is_some() {
                rx.interaction_rules
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::to_string)
                    .collect()
            } else {
                Vec::new()
            };
            (check_new(&m, None, Some(&item)), overridden)
        }
        _ => (Vec::new(), Vec::new()),
    })
}

/// Checks a new record inside its write transaction: the warnings to store and return, or
/// `interaction_override_required` when a severe interaction has no override reason.
pub(crate) async fn check(
    core: &Core,
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
    valid: &ValidRecord,
    now: DateTime<Utc>,
) -> AppResult<Checked> {
    let (warnings, overridden) =
        interactions_of(core, db, caller, patient_id, &valid.payload, now).await?;
    let severe: Vec<String> = warnings
        .iter()
        .filter(|w| w.severity == InteractionSeverity::Severe)
        .map(|w| w.rule_id.clone())
        .collect();
    let unresolved = severe.iter().any(|id| !overridden.contains(id));
    if unresolved && valid.override_reason.is_none() {
        let first = warnings
            .iter()
            .find(|w| w.severity == InteractionSeverity::Severe)
            .map(InteractionWarning::line)
            .unwrap_or_default();
        return Err(ErrorKind::InteractionOverrideRequired {
            message: format!("Severe interaction: {first} Give an override reason to go ahead."),
            warnings,
        }
        .into());
    }
    Ok(Checked { warnings, severe })
}

/// The warnings a record would be saved with, without saving it (the chart shows them before
/// the prescriber saves; an EHR may ask first). Decided like the write itself, and audited as
/// a read of the patient's medicines.
pub async fn preview(
    core: &Core,
    caller: &Caller,
    patient_id: Uuid,
    input: &RecordInput,
) -> AppResult<Vec<InteractionWarning>> {
    let now = core.clock.now();
    let valid = input.validate(now)?;
    let t = valid.payload.record_type();
    let event = Event::new("interaction_check", AuditAction::Read)
        .entity_id(patient_id)
        .patient(patient_id);
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let txn = read.txn();
        let linked = Linked::load(txn, now, caller, patient_id).await?;
        let action = Action::WritePatientData {
            permission: t.write_permission(),
            access: linked.access(caller, None, t.category()),
        };
        crate::policy::authorize(&caller.actor, action)?;
        let (warnings, _) =
            interactions_of(core, txn, caller, patient_id, &valid.payload, now).await?;
        let ids: Vec<&str> = warnings.iter().map(|w| w.rule_id.as_str()).collect();
        let details = json!({"record_type": t.as_str(), "interactions": ids});
        Ok::<_, AppError>((warnings, details))
    }
    .await;
    read.finish(result).await
}
