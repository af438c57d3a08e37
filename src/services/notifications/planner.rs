//! The planning pass: what is due, from the data. Visits booked in the next three days (their
//! reminder), visits missed in the last three (a dispensing's supply ending within three days
//! with no later one (a come-back message), and results recorded in the last day. Each becomes
//! one outbox message (its key is unique), planned for its moment on the hospital's clock.
//! Keys already queued are skipped before anything is opened, so a pass over nothing new
//! costs a few index reads.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use std::collections::HashSet;
use uuid::Uuid;

use super::templates::template_for;
use crate::db::begin_write;
use crate::domain::clinical::record::{Payload, RecordType};
use crate::domain::notifications::templates::{clinical_words, render, Values};
use crate::domain::notifications::timing::{planned, send_at, still_timely};
use crate::domain::notifications::{Channel, Kind};
use crate::domain::portal::{Language, ReminderChannel};
use crate::domain::scheduling::appointment::AppointmentStatus;
use crate::entities::{appointment, clinical_record as record, hospital, outbox_message};
use crate::error::{AppError, AppResult};
use crate::services::clinical::patients;
use crate::services::platform::outbox::{self, Message, Planned, Worker};
use crate::services::portal::preferences;
use crate::services::scheduling::schedule::{to_local, to_utc, zone_of};
use crate::services::Core;

/// How far ahead reminders and come-back messages are planned, and how far back missed
/// visits are looked for.
const HORIZON_DAYS: i64 = 3;
/// A visit still "booked" this long after its end was missed (the front desk did not mark it).
pub(crate) const MISSED_AFTER_HOURS: i64 = 6;
/// Most items one pass looks at per kind.
const BATCH: u64 = 2000;
/// Dispensings whose supply end is computed per pass (older rows, written before the column).
const BACKFILL: u64 = 500;

/// What one pass queued, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanReport {
    pub reminders: usize,
    pub missed: usize,
    pub refills: usize,
    pub results: usize,
}

/// One thing a message may be planned for.
struct Item {
    kind: Kind,
    hospital_id: Uuid,
    patient_id: Uuid,
    /// The visit's start, the supply's end, the result's recording.
    moment: DateTime<Utc>,
    subject_ref: String,
    dedupe_key: String,
    /// Whether the message says the time (a visit) or only the day.
    with_time: bool,
}

/// Plans everything due now; safe to run on several instances at once.
pub async fn plan_due(core: &Core) -> AppResult<PlanReport> {
    backfill_supply(core).await?;
    let now = core.clock.now();
    let horizon = Duration::days(HORIZON_DAYS);
    let mut items = Vec::new();

    let booked = appointment::Entity::find()
        .filter(appointment::Column::Status.eq(AppointmentStatus::Scheduled.as_str()))
        .filter(appointment::Column::ScheduledStart.gt(now))
        .filter(appointment::Column::ScheduledStart.lt(now + horizon))
        .order_by_asc(appointment::Column::ScheduledStart)
        .limit(BATCH)
        .all(&core.db)
        .await?;
    for a in booked {
        let start = a.scheduled_start.to_rfc3339();
        items.push(Item {
            kind: Kind::AppointmentReminder,
            hospital_id: a.hospital_id,
            patient_id: a.patient_id,
            moment: a.scheduled_start,
            subject_ref: format!("appointment:{}:{start}", a.id),
            dedupe_key: format!("appointment_reminder:{}:{start}", a.id),
            with_time: true,
        });
    }

    let missed = appointment::Entity::find()
        .filter(appointment::Column::ScheduledStart.gt(now - horizon))
        .filter(appointment::Column::ScheduledStart.lt(now))
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
        .limit(BATCH)
        .all(&core.db)
        .await?;
    for a in missed {
        items.push(Item {
            kind: Kind::MissedAppointment,
            hospital_id: a.hospital_id,
            patient_id: a.patient_id,
            moment: a.scheduled_start,
            subject_ref: format!("appointment:{}:{}", a.id, a.scheduled_start.to_rfc3339()),
            dedupe_key: format!("missed_appointment:{}", a.id),
            with_time: false,
        });
    }

    let ending = record::Entity::find()
        .filter(record::Column::RecordType.eq(RecordType::Dispensing.as_str()))
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::SupplyUntil.gt(now))
        .filter(record::Column::SupplyUntil.lt(now + horizon))
        .limit(BATCH)
        .all(&core.db)
        .await?;
    for r in ending {
        let Some(until) = r.supply_until else {
            continue;
        };
        let later = record::Entity::find()
            .filter(record::Column::PatientId.eq(r.patient_id))
            .filter(record::Column::RecordType.eq(RecordType::Dispensing.as_str()))
            .filter(record::Column::DeletedAt.is_null())
            .filter(record::Column::SupplyUntil.gt(until))
            .one(&core.db)
            .await?;
        if later.is_none() {
            items.push(Item {
                kind: Kind::RefillDue,
                hospital_id: r.hospital_id,
                patient_id: r.patient_id,
                moment: until,
                subject_ref: format!("dispensing:{}", r.id),
                dedupe_key: format!("refill_due:{}", r.id),
                with_time: false,
            });
        }
    }

    let results = record::Entity::find()
        .filter(record::Column::RecordType.is_in([
            RecordType::ViralLoad.as_str(),
            RecordType::Cd4.as_str(),
            RecordType::LabResult.as_str(),
        ]))
        .filter(record::Column::DeletedAt.is_null())
        .filter(record::Column::CreatedAt.gt(now - Duration::days(1)))
        .filter(record::Column::CreatedAt.lte(now))
        .filter(record::Column::RecordedAt.gt(now - Duration::days(14)))
        .limit(BATCH)
        .all(&core.db)
        .await?;
    for r in results {
        // One message a day per patient and hospital, however many results came.
        let day = r.created_at.date_naive();
        items.push(Item {
            kind: Kind::ResultReady,
            hospital_id: r.hospital_id,
            patient_id: r.patient_id,
            moment: r.created_at,
            subject_ref: format!("record:{}", r.id),
            dedupe_key: format!("result_ready:{}:{}:{day}", r.patient_id, r.hospital_id),
            with_time: false,
        });
    }

    let keys: Vec<String> = items.iter().map(|i| i.dedupe_key.clone()).collect();
    let mut queued: HashSet<String> = HashSet::new();
    for chunk in keys.chunks(500) {
        queued.extend(
            outbox_message::Entity::find()
                .select_only()
                .column(outbox_message::Column::DedupeKey)
                .filter(outbox_message::Column::DedupeKey.is_in(chunk.to_vec()))
                .into_tuple::<Option<String>>()
                .all(&core.db)
                .await?
                .into_iter()
                .flatten(),
        );
    }
    let mut report = PlanReport::default();
    for item in items {
        if queued.contains(&item.dedupe_key) {
            continue;
        }
        queued.insert(item.dedupe_key.clone());
        let kind = item.kind;
        if plan(core, item, now).await? {
            match kind {
                Kind::AppointmentReminder => report.reminders += 1,
                Kind::MissedAppointment => report.missed += 1,
                Kind::RefillDue => report.refills += 1,
                Kind::ResultReady => report.results += 1,
            }
        }
    }
    Ok(report)
}

/// Queues the message for `item` if the patient may be reached and it is still timely;
/// whether it was queued.
async fn plan(core: &Core, item: Item, now: DateTime<Utc>) -> AppResult<bool> {
    let db = &core.db;
    let Some(reach) = patients::reach(core, db, item.patient_id).await? else {
        return Ok(false);
    };
    let prefs = preferences::stored(
        db,
        item.patient_id,
        reach.phone.is_some(),
        reach.email.is_some(),
    )
    .await?;
    let (channel, to) = match prefs.reminder_channel {
        ReminderChannel::None => return Ok(false),
        ReminderChannel::Sms => match reach.phone {
            Some(p) => (Channel::Sms, p),
            None => return Ok(false),
        },
        ReminderChannel::Email => match reach.email {
            Some(e) => (Channel::Email, e),
            None => return Ok(false),
        },
    };
    let Some(h) = hospital::Entity::find_by_id(item.hospital_id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let tz: Tz = zone_of(&h);
    let moment: NaiveDateTime = to_local(tz, item.moment);
    let when = send_at(planned(item.kind, moment), to_local(tz, now), &prefs);
    if !still_timely(item.kind, when, moment) {
        return Ok(false);
    }
    let language = prefs.language.unwrap_or(Language::En);
    let template = template_for(db, h.id, item.kind, language, channel).await?;
    let values = Values {
        first_name: reach.first_name,
        clinic: h.name.clone(),
        date: moment.date(),
        time: item.with_time.then(|| moment.time()),
    };
    let message = render(&template, language, &values);
    let text = format!(
        "{} {}",
        message.subject.clone().unwrap_or_default(),
        message.body
    );
    let words = clinical_words(&text);
    if !words.is_empty() {
        // The wording or the hospital's name would say what the clinic treats: not sent.
        tracing::warn!(hospital = %h.id, kind = item.kind.as_str(), ?words, "a notification was not planned: it was not discreet");
        return Ok(false);
    }
    let txn = begin_write(db).await?;
    let queued = outbox::enqueue_once(
        core,
        &txn,
        Planned {
            message: Message {
                channel,
                purpose: item.kind.as_str(),
                to,
                subject: message.subject,
                body: message.body,
            },
            hospital_id: h.id,
            patient_id: item.patient_id,
            subject_ref: item.subject_ref,
            dedupe_key: item.dedupe_key,
            not_before: to_utc(tz, when),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(queued)
}

/// Computes the supply end of dispensings written before the column existed (a batch a pass).
async fn backfill_supply(core: &Core) -> AppResult<()> {
    let rows = record::Entity::find()
        .filter(record::Column::RecordType.eq(RecordType::Dispensing.as_str()))
        .filter(record::Column::SupplyUntil.is_null())
        .filter(record::Column::DeletedAt.is_null())
        .limit(BACKFILL)
        .all(&core.db)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let txn = begin_write(&core.db).await?;
    for r in rows {
        let clear = core
            .keyring
            .open("clinical_records", "payload", r.id, &r.payload)
            .map_err(AppError::internal)?;
        let payload = serde_json::from_str(&clear).map_err(AppError::internal)?;
        // An unreadable payload ends its supply when it was dispensed: the row is not read again.
        let days = match Payload::from_stored(RecordType::Dispensing, payload) {
            Some(Payload::Dispensing(d)) => d.days_supplied,
            _ => 0,
        };
        let until = r.recorded_at + Duration::days(days);
        let mut m: record::ActiveModel = r.into();
        m.supply_until = Set(Some(until));
        m.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Runs a planning pass now and then every minute, until stopped.
pub fn spawn_planner(core: Core) -> Worker {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let handle = tokio::spawn(async move {
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            if let Err(e) = plan_due(&core).await {
                tracing::warn!(error = %e, "notification planning failed");
            }
            for _ in 0..60 {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    });
    Worker::new(stop, handle)
}
