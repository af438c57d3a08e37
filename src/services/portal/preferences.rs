//! `GET /me` and `PUT /me`: the profile the portal shows, and the patient's preferences
//! (reminder channel, quiet hours, language), changed by one upsert and audited.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

use super::patient_of;
use crate::db::{begin_write, locked};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::portal::{
    ClockTime, Language, MyHospital, MyProfile, Preferences, PreferencesInput, ReminderChannel,
};
use crate::entities::{patient, patient_preference as row};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::{patients, records};
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

fn clock(raw: Option<&str>) -> Option<ClockTime> {
    raw.and_then(|t| t.parse().ok())
}

/// The stored preferences, or the defaults for what the record can reach.
pub(crate) async fn stored(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
    has_phone: bool,
    has_email: bool,
) -> AppResult<Preferences> {
    let found = row::Entity::find_by_id(patient_id).one(db).await?;
    Ok(match found {
        None => Preferences::default_for(has_phone, has_email),
        Some(m) => Preferences {
            reminder_channel: ReminderChannel::parse(&m.reminder_channel)
                .ok_or_else(|| AppError::internal(format!("preferences of {patient_id}")))?,
            quiet_from: clock(m.quiet_from.as_deref()),
            quiet_until: clock(m.quiet_until.as_deref()),
            language: m.language.as_deref().and_then(Language::parse),
        },
    })
}

/// The profile, the hospitals with their record numbers, the preferences (without auditing:
/// the callers do).
async fn profile_in(
    core: &Core,
    db: &impl ConnectionTrait,
    caller: &Caller,
    patient_id: Uuid,
) -> AppResult<MyProfile> {
    let (patient, numbers) = patients::own_profile(core, db, patient_id).await?;
    let names = records::sources(db, caller, numbers.iter().map(|(h, _)| *h)).await?;
    let preferences = stored(
        db,
        patient_id,
        patient.phone.is_some(),
        patient.email.is_some(),
    )
    .await?;
    let hospitals = numbers
        .into_iter()
        .map(|(hospital_id, mrn)| MyHospital {
            name: names.get(&hospital_id).cloned().unwrap_or_default(),
            hospital_id,
            mrn,
        })
        .collect();
    Ok(MyProfile {
        patient,
        hospitals,
        preferences,
    })
}

/// `GET /me`. Audited.
pub async fn me(core: &Core, caller: &Caller) -> AppResult<MyProfile> {
    let event = Event::new("patient", AuditAction::Read);
    audit::authorize(core, caller, Action::ReadOwnRecord, &event).await?;
    let patient_id = patient_of(caller)?;
    let read = AuditedRead::begin(
        core,
        caller,
        event.entity_id(patient_id).patient(patient_id),
    )
    .await?;
    let result = profile_in(core, read.txn(), caller, patient_id)
        .await
        .map(|p| (p, json!({})));
    read.finish(result).await
}

/// The preferences alone (the portal's pages read the language from them).
pub async fn language(core: &Core, caller: &Caller) -> AppResult<Option<Language>> {
    audit::authorize(
        core,
        caller,
        Action::ChangeOwnPreferences,
        &Event::new("patient_preferences", AuditAction::Read),
    )
    .await?;
    let patient_id = patient_of(caller)?;
    Ok(row::Entity::find_by_id(patient_id)
        .one(&core.db)
        .await?
        .and_then(|m| m.language.as_deref().and_then(Language::parse)))
}

/// `PUT /me`: changes the preferences; what is not sent stays. One upsert under the patient's
/// row lock, audited with the names of what changed (never the values of quiet hours or channels' addresses).
pub async fn update(
    core: &Core,
    caller: &Caller,
    input: &PreferencesInput,
) -> AppResult<MyProfile> {
    let event = Event::new("patient_preferences", AuditAction::Update);
    audit::authorize(core, caller, Action::ChangeOwnPreferences, &event).await?;
    let patient_id = patient_of(caller)?;
    let event = event.entity_id(patient_id).patient(patient_id);
    let txn = begin_write(&core.db).await?;
    // Changes of one patient's preferences take turns: each reads what is stored and writes
    // the whole row, so without the patient's row locked a change sent at the same time would
    // put back the other's old value.
    locked(patient::Entity::find_by_id(patient_id), &txn)
        .one(&txn)
        .await?;
    let current = profile_in(core, &txn, caller, patient_id).await?;
    let next = input.apply(
        &current.preferences,
        current.patient.phone.is_some(),
        current.patient.email.is_some(),
    )?;
    let now = core.clock.now();
    let hhmm = |t: Option<ClockTime>| t.map(|t| t.to_string());
    let model = row::ActiveModel {
        patient_id: Set(patient_id),
        reminder_channel: Set(next.reminder_channel.as_str().to_string()),
        quiet_from: Set(hhmm(next.quiet_from)),
        quiet_until: Set(hhmm(next.quiet_until)),
        language: Set(next.language.map(|l| l.as_str().to_string())),
        updated_at: Set(now),
    };
    row::Entity::insert(model)
        .on_conflict(
            OnConflict::column(row::Column::PatientId)
                .update_columns([
                    row::Column::ReminderChannel,
                    row::Column::QuietFrom,
                    row::Column::QuietUntil,
                    row::Column::Language,
                    row::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let before = &current.preferences;
    let mut changed = Vec::new();
    if before.reminder_channel != next.reminder_channel {
        changed.push("reminder_channel");
    }
    if (before.quiet_from, before.quiet_until) != (next.quiet_from, next.quiet_until) {
        changed.push("quiet_hours");
    }
    if before.language != next.language {
        changed.push("language");
    }
    audit::append(
        &txn,
        now,
        caller,
        &event.details(json!({ "changed": changed })),
        Outcome::Allowed,
    )
    .await?;
    txn.commit().await?;
    Ok(MyProfile {
        preferences: next,
        ..current
    })
}
