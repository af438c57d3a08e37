//! Notifications to patients, planned from the data and never from a page view: visit
//! reminders, missed visits, come-back (refill) messages and "a result is ready". A planner
//! pass (every minute, on every instance) looks at what is due, writes each message once into
//! the outbox (`dedupe_key`) for the moment it should go, in the patient's language, by the
//! channel they chose, outside their quiet hours; the outbox worker asks [`no_longer_wanted`]
//! just before sending, so a reminder of a visit that moved, or to a patient who has since
//! opted out, is dropped.
//!
//! - `planner`: the planning pass and its worker.
//! - `templates`: each hospital's own wording, with previews.

pub mod planner;
pub mod templates;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::clinical::record::RecordType;
use crate::domain::notifications::{Channel, Kind};
use crate::domain::portal::ReminderChannel;
use crate::domain::scheduling::appointment::AppointmentStatus;
use crate::entities::{appointment, clinical_record as record, outbox_message};
use crate::error::AppResult;
use crate::services::clinical::patients;
use crate::services::portal::preferences;
use crate::services::Core;

/// What a planned message is about, as its `subject_ref` says.
enum About {
    /// A visit at the time it had when the message was planned (RFC 3339).
    Appointment(Uuid, String),
    Dispensing(Uuid),
    Record(Uuid),
}

fn about(subject_ref: &str) -> Option<About> {
    let mut parts = subject_ref.splitn(3, ':');
    let (kind, id) = (parts.next()?, Uuid::parse_str(parts.next()?).ok()?);
    match kind {
        "appointment" => Some(About::Appointment(id, parts.next()?.to_string())),
        "dispensing" => Some(About::Dispensing(id)),
        "record" => Some(About::Record(id)),
        _ => None,
    }
}

/// Why a planned message should not go now (`None`: it should): what it is about changed, or
/// the patient may no longer be reached this way.
pub(crate) async fn no_longer_wanted(
    core: &Core,
    m: &outbox_message::Model,
) -> AppResult<Option<String>> {
    let Some(subject) = m.subject_ref.as_deref().and_then(about) else {
        return Ok(None);
    };
    let kind = Kind::parse(&m.purpose);
    let db = &core.db;
    let changed = match subject {
        About::Appointment(id, start) => match appointment::Entity::find_by_id(id).one(db).await? {
            None => Some("the visit is gone"),
            Some(a) if a.scheduled_start.to_rfc3339() != start => Some("the visit moved"),
            Some(a) => {
                let status = AppointmentStatus::parse(&a.status);
                match kind {
                    Some(Kind::AppointmentReminder)
                        if status != Some(AppointmentStatus::Scheduled) =>
                    {
                        Some("the visit is no longer booked")
                    }
                    Some(Kind::MissedAppointment)
                        if !matches!(
                            status,
                            Some(AppointmentStatus::NoShow | AppointmentStatus::Scheduled)
                        ) =>
                    {
                        Some("the patient came")
                    }
                    _ => None,
                }
            }
        },
        About::Dispensing(id) => match record::Entity::find_by_id(id).one(db).await? {
            Some(r) if r.deleted_at.is_none() => {
                let newer = record::Entity::find()
                    .filter(record::Column::PatientId.eq(r.patient_id))
                    .filter(record::Column::RecordType.eq(RecordType::Dispensing.as_str()))
                    .filter(record::Column::DeletedAt.is_null())
                    .filter(record::Column::SupplyUntil.gt(r.supply_until))
                    .one(db)
                    .await?;
                newer.map(|_| "the patient came back already")
            }
            _ => Some("the dispensing was removed"),
        },
        About::Record(id) => match record::Entity::find_by_id(id).one(db).await? {
            Some(r) if r.deleted_at.is_none() => None,
            _ => Some("the result was removed"),
        },
    };
    if let Some(reason) = changed {
        return Ok(Some(reason.to_string()));
    }
    let Some(patient) = m.patient_id else {
        return Ok(None);
    };
    let Some(reach) = patients::reach(core, db, patient).await? else {
        return Ok(Some("the patient is no longer on record".into()));
    };
    let prefs =
        preferences::stored(db, patient, reach.phone.is_some(), reach.email.is_some()).await?;
    let wanted = match prefs.reminder_channel {
        ReminderChannel::None => None,
        ReminderChannel::Sms => Some(Channel::Sms),
        ReminderChannel::Email => Some(Channel::Email),
    };
    Ok(match wanted {
        None => Some("the patient turned messages off".into()),
        Some(c) if c.as_str() != m.channel => Some("the patient chose another way".into()),
        _ => None,
    })
}
