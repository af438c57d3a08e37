//! The schedule page's data (a provider's day or week on the hospital's clock) and the booking
//! it opens, made in local time and turned into UTC here with the hospital's time zone.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::appointments::{self, linked_patients};
use crate::domain::identity::role::{Permission, Role};
use crate::domain::page::PageRequest;
use crate::domain::platform::audit::AuditAction;
use crate::domain::scheduling::appointment::{Appointment, AppointmentInput};
use crate::domain::scheduling::schedule::{
    lay_out, LocalBooking, PatientRef, Provider, Schedule, Span, Visit,
};
use crate::domain::ErrorKind;
use crate::entities::{appointment, hospital, staff_account};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::clinical::patients;
use crate::services::platform::audit::{self, AuditedRead, Event};
use crate::services::Core;

/// Most visits one page of the schedule shows (a week of one provider).
const MOST_VISITS: u64 = 500;

/// The time zone of a hospital (UTC when its name is unknown, which settings refuse).
pub(crate) fn zone_of(h: &hospital::Model) -> Tz {
    h.timezone.parse().unwrap_or(Tz::UTC)
}

/// `local` on `tz`'s clock as UTC: the earlier of two readings in an autumn hour, and the
/// first moment after a spring gap.
pub(crate) fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..4 {
        if let Some(at) = tz.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&local)
}

pub(crate) fn to_local(tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

async fn own_hospital(core: &Core, caller: &Caller) -> AppResult<hospital::Model> {
    let id = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    hospital::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| ErrorKind::not_found("hospital").into())
}

/// The active clinicians of a hospital, by name.
async fn providers(core: &Core, hospital_id: Uuid) -> AppResult<Vec<Provider>> {
    Ok(staff_account::Entity::find()
        .select_only()
        .column(staff_account::Column::Id)
        .column(staff_account::Column::DisplayName)
        .filter(staff_account::Column::HospitalId.eq(hospital_id))
        .filter(staff_account::Column::Role.eq(Role::Clinician.as_str()))
        .filter(staff_account::Column::Active.eq(true))
        .order_by_asc(staff_account::Column::DisplayName)
        .into_tuple::<(Uuid, String)>()
        .all(&core.db)
        .await?
        .into_iter()
        .map(|(id, name)| Provider { id, name })
        .collect())
}

/// One provider's day or week at the caller's hospital (`provider`: the caller when they are
/// a clinician, else the first clinician by name; `day`: today on the hospital's clock). The
/// read is audited with the patients it showed.
pub async fn view(
    core: &Core,
    caller: &Caller,
    provider: Option<Uuid>,
    day: Option<NaiveDate>,
    span: Span,
) -> AppResult<Schedule> {
    let own = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    let event = Event::new("appointment", AuditAction::Read).details(json!({"schedule": own}));
    let action = Action::AtHospital {
        permission: Permission::AppointmentsRead,
        hospital_id: own,
    };
    audit::authorize(core, caller, action, &event).await?;
    let hospital = own_hospital(core, caller).await?;
    let tz = zone_of(&hospital);
    let now = to_local(tz, core.clock.now());
    let day = day.unwrap_or(now.date());
    let providers = providers(core, own).await?;
    let chosen = provider
        .or(caller.actor.id())
        .and_then(|p| providers.iter().find(|x| x.id == p))
        .or(providers.first())
        .cloned();
    let days = span.days(day);
    let held = caller.actor.permissions();
    let read = AuditedRead::begin(core, caller, event).await?;
    let result = async {
        let visits = match &chosen {
            None => Vec::new(),
            Some(p) => {
                let from = to_utc(tz, days[0].and_time(chrono::NaiveTime::MIN));
                let to = to_utc(
                    tz,
                    (days[days.len() - 1] + Duration::days(1)).and_time(chrono::NaiveTime::MIN),
                );
                let rows = appointment::Entity::find()
                    .filter(
                        Condition::all()
                            .add(appointment::Column::HospitalId.eq(own))
                            .add(appointment::Column::ProviderId.eq(p.id))
                            .add(appointment::Column::ScheduledStart.lt(to))
                            .add(appointment::Column::ScheduledEnd.gt(from))
                            .add(appointment::Column::PatientId.in_subquery(linked_patients(own))),
                    )
                    .order_by_asc(appointment::Column::ScheduledStart)
                    .limit(MOST_VISITS)
                    .all(read.txn())
                    .await?;
                let (views, _) = appointments::views(core, read.txn(), caller, rows).await?;
                views
                    .into_iter()
                    .map(|a| Visit {
                        local_start: to_local(tz, a.scheduled_start),
                        local_end: to_local(tz, a.scheduled_end),
                        appointment: a,
                    })
                    .collect::<Vec<_>>()
            }
        };
        let patients: Vec<Uuid> = visits.iter().map(|v| v.appointment.patient_id).collect();
        let details = json!({"count": visits.len(), "patient_ids": patients});
        Ok((
            Schedule {
                days: lay_out(&days, &visits, now),
                visits,
                providers: providers.clone(),
                provider: chosen.clone(),
                timezone: hospital.timezone.clone(),
                span,
                day,
                today: now.date(),
                may_book: held.is_some_and(|p| p.has(Permission::AppointmentsWrite)),
                may_complete: held.is_some_and(|p| {
                    p.has(Permission::AppointmentsWrite) && p.has(Permission::RecordsWrite)
                }),
            },
            details,
        ))
    }
    .await;
    read.finish(result).await
}

/// Books from the schedule: the patient by id or by their record number at the caller's
/// hospital, the time on the hospital's clock.
pub async fn book(core: &Core, caller: &Caller, input: &LocalBooking) -> AppResult<Appointment> {
    let own = caller.actor.hospital_id().unwrap_or_else(Uuid::nil);
    let event = Event::new("appointment", AuditAction::Create);
    let action = Action::AtHospital {
        permission: Permission::AppointmentsWrite,
        hospital_id: own,
    };
    audit::authorize(core, caller, action, &event).await?;
    let valid = input.validate()?;
    let hospital = own_hospital(core, caller).await?;
    let tz = zone_of(&hospital);
    let patient_id = match &valid.patient {
        PatientRef::Id(id) => *id,
        PatientRef::Mrn(mrn) => {
            let page = PageRequest {
                page: 1,
                per_page: 20,
            };
            let found = patients::search(core, caller, own, Some(mrn), page).await?;
            found
                .data
                .into_iter()
                .find(|p| p.mrn.eq_ignore_ascii_case(mrn))
                .map(|p| p.id)
                .ok_or_else(|| {
                    AppError::from(ErrorKind::invalid_field(
                        "mrn",
                        "no patient of this hospital has this record number",
                    ))
                })?
        }
    };
    let start = to_utc(tz, valid.start);
    let end = start + Duration::minutes(valid.minutes);
    let input = AppointmentInput {
        patient_id: Some(patient_id.to_string()),
        provider_user_id: Some(valid.provider_id.to_string()),
        scheduled_start: Some(start.to_rfc3339()),
        scheduled_end: Some(end.to_rfc3339()),
        status: None,
        visit_type: Some(valid.visit_type.as_str().into()),
        reason: valid.reason,
        notes: valid.notes,
    };
    appointments::create(core, caller, &input)
        .await
        .map_err(|e| match e.kind {
            // The form names the provider `provider_id`.
            ErrorKind::Invalid { .. } if !e.kind.field("provider_user_id").is_empty() => {
                ErrorKind::invalid_field(
                    "provider_id",
                    "is not an active clinician of this hospital",
                )
                .into()
            }
            _ => e,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_become_utc_with_the_hospitals_zone() {
        let nairobi: Tz = "Africa/Nairobi".parse().unwrap();
        let local = NaiveDate::from_ymd_opt(2026, 5, 6)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let utc = to_utc(nairobi, local);
        assert_eq!(utc.to_rfc3339(), "2026-05-06T06:00:00+00:00");
        assert_eq!(to_local(nairobi, utc), local);
        // A spring gap (Europe/Lisbon, 2026-03-29 01:00 -> 02:00): the first moment after it.
        let lisbon: Tz = "Europe/Lisbon".parse().unwrap();
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(
            to_utc(lisbon, gap).to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
    }
}
