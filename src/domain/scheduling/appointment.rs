//! Appointments: what a booking holds, the statuses a visit moves through, and the rules a
//! booking or a reschedule must meet before the service looks for overlaps (ClinicHub's
//! scheduling rules, SPEC 2.7).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// The longest reason for a visit.
pub const REASON_MAX: usize = 200;
/// The longest notes on a booking.
pub const NOTES_MAX: usize = 2000;
/// The longest time one booking holds.
pub const LONGEST_VISIT: Duration = Duration::hours(12);
/// Bookings fall within these years (a typo such as 0226 is refused, not stored).
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Where an appointment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Scheduled,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 5] = [
        AppointmentStatus::Scheduled,
        AppointmentStatus::CheckedIn,
        AppointmentStatus::Completed,
        AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow,
    ];

    /// The statuses that hold their time: a cancelled or a missed visit frees it.
    pub const HOLDING: [AppointmentStatus; 3] = [
        AppointmentStatus::Scheduled,
        AppointmentStatus::CheckedIn,
        AppointmentStatus::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Scheduled => "scheduled",
            AppointmentStatus::CheckedIn => "checked_in",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no_show",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// How the front desk says it.
    pub fn label(self) -> &'static str {
        match self {
            AppointmentStatus::Scheduled => "Booked",
            AppointmentStatus::CheckedIn => "Checked in",
            AppointmentStatus::Completed => "Completed",
            AppointmentStatus::Cancelled => "Cancelled",
            AppointmentStatus::NoShow => "Did not attend",
        }
    }

    /// Whether the appointment still holds its time.
    pub fn holds_time(self) -> bool {
        Self::HOLDING.contains(&self)
    }

    /// Whether its time or provider may still change: not once it is completed or cancelled.
    pub fn may_reschedule(self) -> Result<(), ErrorKind> {
        match self {
            AppointmentStatus::Completed => Err(ErrorKind::conflict_on(
                "appointment_completed",
                "status",
                "A completed appointment cannot be rescheduled.",
            )),
            AppointmentStatus::Cancelled => Err(ErrorKind::conflict_on(
                "appointment_cancelled",
                "status",
                "A cancelled appointment cannot be rescheduled; book a new one.",
            )),
            _ => Ok(()),
        }
    }

    /// Whether a visit in this status may move to `to` (the same status is no change).
    pub fn may_become(self, to: AppointmentStatus) -> Result<(), ErrorKind> {
        use AppointmentStatus::*;
        let refuse =
            |code: &str, message: &str| Err(ErrorKind::conflict_on(code, "status", message));
        if self == to {
            return Ok(());
        }
        match (self, to) {
            (Completed, _) => refuse(
                "appointment_completed",
                "A completed appointment cannot change: its visit has been billed from it.",
            ),
            (Cancelled, _) => refuse(
                "appointment_cancelled",
                "A cancelled appointment cannot change; book a new one.",
            ),
            // A check-in or a missed visit marked by mistake is undone.
            (CheckedIn | NoShow, Scheduled) => Ok(()),
            // A patient marked as missing who arrives late is checked in.
            (Scheduled | NoShow, CheckedIn) => Ok(()),
            (Scheduled | CheckedIn, Completed) => Ok(()),
            (NoShow, Completed) => refuse(
                "appointment_missed",
                "This appointment was marked as missed: check the patient in first.",
            ),
            (Scheduled, NoShow) => Ok(()),
            (CheckedIn, NoShow) => refuse(
                "appointment_checked_in",
                "The patient was checked in: undo the check-in first.",
            ),
            (Scheduled | CheckedIn | NoShow, Cancelled) => Ok(()),
            (Scheduled, Scheduled) | (CheckedIn, CheckedIn) | (NoShow, NoShow) => Ok(()),
        }
    }
}

/// The kind of visit: it decides the CPT code and the fee.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitType {
    NewPatient,
    #[default]
    FollowUp,
    Refill,
    Counselling,
    LabOnly,
}

impl VisitType {
    pub const ALL: [VisitType; 5] = [
        VisitType::NewPatient,
        VisitType::FollowUp,
        VisitType::Refill,
        VisitType::Counselling,
        VisitType::LabOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitType::NewPatient => "new_patient",
            VisitType::FollowUp => "follow_up",
            VisitType::Refill => "refill",
            VisitType::Counselling => "counselling",
            VisitType::LabOnly => "lab_only",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitType::NewPatient => "First visit",
            VisitType::FollowUp => "Follow-up",
            VisitType::Refill => "Refill",
            VisitType::Counselling => "Counselling",
            VisitType::LabOnly => "Sample collection",
        }
    }
}

/// The time an appointment holds: `start` up to, not including, `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// A window whose end is after its start and no longer than [`LONGEST_VISIT`].
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ErrorKind> {
        if end <= start {
            return Err(ErrorKind::invalid_field(
                "scheduled_end",
                "must be after scheduled_start",
            ));
        }
        if end - start > LONGEST_VISIT {
            return Err(ErrorKind::invalid_field(
                "scheduled_end",
                "must be at most 12 hours after scheduled_start",
            ));
        }
        Ok(Window { start, end })
    }

    /// Whether the two hold some of the same time (back to back does not).
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// An ISO-8601 date and time. With an offset (`Z`, `+03:00`) it is converted to UTC; without
/// one it is UTC (SPEC 2.7). Seconds and their fractions may be left out; a date alone is not a
/// time and is refused.
pub fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    parse_any_instant(raw).filter(|at| YEARS.contains(&at.year()))
}

/// [`parse_instant`] without the range of years (a filter's bound may lie anywhere).
fn parse_any_instant(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    let at = if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        dt.with_timezone(&Utc)
    } else if let Ok(dt) = DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M%:z") {
        dt.with_timezone(&Utc)
    } else if let Some(naive) = raw.strip_suffix(['Z', 'z']).and_then(naive_instant) {
        naive.and_utc()
    } else {
        naive_instant(raw)?.and_utc()
    };
    Some(at)
}

fn naive_instant(raw: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .into_iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
}

/// A filter bound: a date and time, or a date alone (its midnight, UTC; for `to`, the
/// midnight after it, so the whole day is included).
pub fn parse_bound(raw: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    if let Some(at) = parse_any_instant(raw) {
        return Some(at);
    }
    let day = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()?;
    let day = if end_of_day { day.succ_opt()? } else { day };
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

fn instant(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let parsed = parse_instant(raw);
    if parsed.is_none() {
        errors.add(
            field,
            "must be an ISO-8601 date and time such as 2026-04-15T10:00:00 (UTC) or 2026-04-15T13:00:00+03:00",
        );
    }
    parsed
}

fn id(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<Uuid> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let parsed = Uuid::parse_str(raw).ok();
    if parsed.is_none() {
        errors.add(field, "must be an id (UUID)");
    }
    parsed
}

fn visit_type(errors: &mut Errors, raw: Option<&str>) -> Option<VisitType> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let parsed = VisitType::parse(raw);
    if parsed.is_none() {
        errors.add(
            "visit_type",
            "must be one of new_patient, follow_up, refill, counselling, lab_only",
        );
    }
    parsed
}

fn status(errors: &mut Errors, raw: Option<&str>) -> Option<AppointmentStatus> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let parsed = AppointmentStatus::parse(raw);
    if parsed.is_none() {
        errors.add(
            "status",
            "must be one of scheduled, checked_in, completed, cancelled, no_show",
        );
    }
    parsed
}

/// A booking as sent (JSON or the schedule's form). Times are ISO-8601; without an offset
/// they are UTC.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub patient_id: Option<String>,
    /// The clinician who sees the patient: an active clinician of the hospital.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub provider_user_id: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::appointment_time))]
    pub scheduled_start: Option<String>,
    /// After the start, at most 12 hours after it.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::appointment_time))]
    pub scheduled_end: Option<String>,
    /// Only `scheduled` (or nothing) when booking.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::new_appointment_status))]
    pub status: Option<String>,
    /// `new_patient`, `follow_up` (default), `refill`, `counselling` or `lab_only`.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::visit_type))]
    pub visit_type: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::visit_reason))]
    pub reason: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::visit_notes))]
    pub notes: Option<String>,
}

/// A booking that meets every rule the service need not look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAppointment {
    pub patient_id: Uuid,
    pub provider_id: Uuid,
    pub window: Window,
    pub visit_type: VisitType,
    pub reason: Option<String>,
    pub notes: Option<String>,
}

impl AppointmentInput {
    pub fn validate(&self) -> Result<NewAppointment, ErrorKind> {
        let mut e = Errors::new();
        let patient_id = id(&mut e, "patient_id", self.patient_id.as_deref());
        let provider_id = id(&mut e, "provider_user_id", self.provider_user_id.as_deref());
        let start = instant(&mut e, "scheduled_start", self.scheduled_start.as_deref());
        let end = instant(&mut e, "scheduled_end", self.scheduled_end.as_deref());
        for (field, raw) in [
            ("patient_id", &self.patient_id),
            ("provider_user_id", &self.provider_user_id),
            ("scheduled_start", &self.scheduled_start),
            ("scheduled_end", &self.scheduled_end),
        ] {
            if raw.as_deref().is_none_or(|r| r.trim().is_empty()) {
                e.add(field, "is required");
            }
        }
        if status(&mut e, self.status.as_deref()).is_some_and(|s| s != AppointmentStatus::Scheduled)
        {
            e.add("status", "a new appointment is `scheduled`");
        }
        let visit_type = visit_type(&mut e, self.visit_type.as_deref()).unwrap_or_default();
        let reason = e.optional_text("reason", self.reason.as_deref(), REASON_MAX);
        let notes = e.optional_text("notes", self.notes.as_deref(), NOTES_MAX);
        let window = match (start, end) {
            (Some(start), Some(end)) => match Window::new(start, end) {
                Ok(w) => Some(w),
                Err(err) => {
                    for m in err.field("scheduled_end") {
                        e.add("scheduled_end", m);
                    }
                    None
                }
            },
            _ => None,
        };
        match (patient_id, provider_id, window) {
            (Some(patient_id), Some(provider_id), Some(window)) if e.is_empty() => {
                Ok(NewAppointment {
                    patient_id,
                    provider_id,
                    window,
                    visit_type,
                    reason,
                    notes,
                })
            }
            _ => Err(e.into_kind()),
        }
    }
}

/// A change to an appointment: a reschedule (new times or provider), a status (check in,
/// complete, no-show, back to booked), or the reason and notes. Absent fields stay as they
/// are; a blank reason or notes clears them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppointmentUpdate {
    /// A new start; alone, the visit keeps its length.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_appointment_time))]
    pub scheduled_start: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_appointment_time))]
    pub scheduled_end: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_id))]
    pub provider_user_id: Option<String>,
    /// `scheduled`, `checked_in`, `completed` (creates the CPT record) or `no_show`;
    /// cancelling is `DELETE`.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::appointment_status_change))]
    pub status: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::visit_type))]
    pub visit_type: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::visit_reason))]
    pub reason: Option<String>,
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::visit_notes))]
    pub notes: Option<String>,
}

/// An update that meets every rule the service need not look up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidUpdate {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub provider_id: Option<Uuid>,
    pub status: Option<AppointmentStatus>,
    pub visit_type: Option<VisitType>,
    /// `Some(None)` clears.
    pub reason: Option<Option<String>>,
    pub notes: Option<Option<String>>,
}

impl AppointmentUpdate {
    pub fn validate(&self) -> Result<ValidUpdate, ErrorKind> {
        let mut e = Errors::new();
        let start = instant(&mut e, "scheduled_start", self.scheduled_start.as_deref());
        let end = instant(&mut e, "scheduled_end", self.scheduled_end.as_deref());
        let provider_id = id(&mut e, "provider_user_id", self.provider_user_id.as_deref());
        let status = status(&mut e, self.status.as_deref());
        if status == Some(AppointmentStatus::Cancelled) {
            e.add("status", "cancel with DELETE /appointments/{id}");
        }
        let visit_type = visit_type(&mut e, self.visit_type.as_deref());
        let reason = self
            .reason
            .as_ref()
            .map(|r| e.optional_text("reason", Some(r), REASON_MAX));
        let notes = self
            .notes
            .as_ref()
            .map(|n| e.optional_text("notes", Some(n), NOTES_MAX));
        let update = ValidUpdate {
            start,
            end,
            provider_id,
            status,
            visit_type,
            reason,
            notes,
        };
        if e.is_empty() && update == ValidUpdate::default() {
            return Err(ErrorKind::bad_request(
                "nothing_to_change",
                "Send at least one of scheduled_start, scheduled_end, provider_user_id, status, visit_type, reason, notes.",
            ));
        }
        e.finish(|| update)
    }
}

impl ValidUpdate {
    /// Whether the time or the provider changes.
    pub fn reschedules(&self) -> bool {
        self.start.is_some() || self.end.is_some() || self.provider_id.is_some()
    }

    /// The window after the update: a new start alone keeps the visit's length.
    pub fn window(&self, current: Window) -> Result<Window, ErrorKind> {
        match (self.start, self.end) {
            (None, None) => Ok(current),
            (Some(start), None) => Window::new(start, start + (current.end - current.start)),
            (None, Some(end)) => Window::new(current.start, end),
            (Some(start), Some(end)) => Window::new(start, end),
        }
    }
}

/// Whether a visit may be marked as missed at `now`: not before it was due to start.
pub fn may_mark_missed(window: Window, now: DateTime<Utc>) -> Result<(), ErrorKind> {
    if now < window.start {
        return Err(ErrorKind::invalid_field(
            "status",
            "a visit can be marked as missed only once it was due to start",
        ));
    }
    Ok(())
}

/// An appointment as the API and the pages show it (ClinicHub's names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Appointment {
    pub appointment_id: Uuid,
    pub hospital_id: Uuid,
    pub patient_id: Uuid,
    /// The patient's name, for the schedule (staff who read demographics).
    pub patient_name: Option<String>,
    pub provider_user_id: Uuid,
    pub provider_name: String,
    pub scheduled_start: DateTime<Utc>,
    pub scheduled_end: DateTime<Utc>,
    /// The start and end on the hospital's clock (`timezone`).
    #[cfg_attr(feature = "server", schema(value_type = String, example = "2026-04-15T13:00:00"))]
    pub local_start: NaiveDateTime,
    #[cfg_attr(feature = "server", schema(value_type = String, example = "2026-04-15T13:30:00"))]
    pub local_end: NaiveDateTime,
    /// The hospital's time zone (tz database name).
    pub timezone: String,
    pub status: AppointmentStatus,
    pub visit_type: VisitType,
    pub reason: Option<String>,
    pub notes: Option<String>,
    /// The CPT record created when the visit was completed.
    pub cpt_id: Option<Uuid>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The list's query (`GET /appointments`): every value optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
pub struct AppointmentQuery {
    /// One status.
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::appointment_status_param))]
    pub status: Option<String>,
    /// One provider's appointments.
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::id_param))]
    pub provider_user_id: Option<String>,
    /// One patient's appointments.
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::id_param))]
    pub patient_id: Option<String>,
    /// Starting at or after (date and time, or a date: its midnight UTC).
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::bound_param))]
    pub from: Option<String>,
    /// Starting before (date and time, or a date: the whole day is included).
    #[cfg_attr(feature = "server", param(schema_with = crate::domain::schema::bound_param))]
    pub to: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// The list's filters, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppointmentFilter {
    pub status: Option<AppointmentStatus>,
    pub provider_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl AppointmentQuery {
    pub fn parse(&self) -> Result<AppointmentFilter, ErrorKind> {
        let mut e = Errors::new();
        let status = status(&mut e, self.status.as_deref());
        let provider_id = id(&mut e, "provider_user_id", self.provider_user_id.as_deref());
        let patient_id = id(&mut e, "patient_id", self.patient_id.as_deref());
        let mut bound = |field: &str, raw: &Option<String>, end_of_day: bool| {
            let raw = raw.as_deref().map(str::trim).filter(|r| !r.is_empty())?;
            let parsed = parse_bound(raw, end_of_day);
            if parsed.is_none() {
                e.add(
                    field,
                    "must be a date (2026-04-15) or an ISO-8601 date and time",
                );
            }
            parsed
        };
        let from = bound("from", &self.from, false);
        let to = bound("to", &self.to, true);
        e.finish(|| AppointmentFilter {
            status,
            provider_id,
            patient_id,
            from,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 15, h, m, 0).unwrap()
    }

    fn booking(start: &str, end: &str) -> AppointmentInput {
        AppointmentInput {
            patient_id: Some(Uuid::now_v7().to_string()),
            provider_user_id: Some(Uuid::now_v7().to_string()),
            scheduled_start: Some(start.into()),
            scheduled_end: Some(end.into()),
            status: Some("scheduled".into()),
            reason: Some("General checkup".into()),
            notes: Some("First visit".into()),
            visit_type: None,
        }
    }

    #[test]
    fn a_time_without_offset_is_utc_and_an_offset_is_converted() {
        assert_eq!(parse_instant("2026-04-15T10:00:00"), Some(at(10, 0)));
        assert_eq!(parse_instant("2026-04-15T10:00"), Some(at(10, 0)));
        assert_eq!(parse_instant("2026-04-15T10:00:00Z"), Some(at(10, 0)));
        assert_eq!(parse_instant("2026-04-15T10:00Z"), Some(at(10, 0)));
        assert_eq!(parse_instant("2026-04-15T13:00:00+03:00"), Some(at(10, 0)));
        assert_eq!(parse_instant("2026-04-15T13:00+03:00"), Some(at(10, 0)));
        assert_eq!(parse_instant(" 2026-04-15T10:00:00.000 "), Some(at(10, 0)));
        for bad in [
            "2026-04-15",
            "15/04/2026 10:00",
            "2026-04-15 10:00",
            "2026-13-01T10:00:00",
            "2026-04-15T25:00:00",
            "0226-04-15T10:00:00",
            "tomorrow",
            "",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_clinichub_example_books() {
        let valid = booking("2026-04-15T10:00:00", "2026-04-15T10:30:00")
            .validate()
            .unwrap();
        assert_eq!(valid.window, Window::new(at(10, 0), at(10, 30)).unwrap());
        assert_eq!(valid.visit_type, VisitType::FollowUp);
        assert_eq!(valid.reason.as_deref(), Some("General checkup"));
    }

    #[test]
    fn every_missing_or_bad_field_is_named() {
        let err = AppointmentInput::default().validate().unwrap_err();
        for field in [
            "patient_id",
            "provider_user_id",
            "scheduled_start",
            "scheduled_end",
        ] {
            assert_eq!(err.field(field), vec!["is required"], "{field}");
        }
        let mut input = booking("2026-04-15 10:00", "soon");
        input.patient_id = Some("1".into());
        input.status = Some("completed".into());
        input.visit_type = Some("surgery".into());
        input.reason = Some("x".repeat(REASON_MAX + 1));
        let err = input.validate().unwrap_err();
        assert_eq!(err.status(), 400);
        for field in [
            "patient_id",
            "scheduled_start",
            "scheduled_end",
            "status",
            "visit_type",
            "reason",
        ] {
            assert_eq!(err.field(field).len(), 1, "{field}: {err:?}");
        }
    }

    #[test]
    fn the_end_must_be_after_the_start_and_within_twelve_hours() {
        for (start, end) in [
            ("2026-04-15T10:00:00", "2026-04-15T10:00:00"),
            ("2026-04-15T10:00:00", "2026-04-15T09:30:00"),
            ("2026-04-15T10:00:00", "2026-04-15T22:00:01"),
        ] {
            let err = booking(start, end).validate().unwrap_err();
            assert_eq!(err.status(), 400);
            assert_eq!(err.field("scheduled_end").len(), 1, "{start} {end}");
        }
        assert!(booking("2026-04-15T10:00:00", "2026-04-15T22:00:00")
            .validate()
            .is_ok());
    }

    #[test]
    fn back_to_back_is_not_an_overlap() {
        let w = |a, b| Window::new(at(a, 0), at(b, 0)).unwrap();
        assert!(!w(10, 11).overlaps(&w(11, 12)));
        assert!(!w(11, 12).overlaps(&w(10, 11)));
        assert!(w(10, 12).overlaps(&w(11, 13)));
        assert!(w(10, 13).overlaps(&w(11, 12)));
        assert!(w(11, 12).overlaps(&w(10, 13)));
        assert!(w(10, 11).overlaps(&w(10, 11)));
    }

    #[test]
    fn completed_and_cancelled_cannot_be_rescheduled_or_changed() {
        use AppointmentStatus::*;
        for s in [Completed, Cancelled] {
            assert_eq!(s.may_reschedule().unwrap_err().status(), 409);
            for to in AppointmentStatus::ALL {
                if to != s {
                    assert_eq!(
                        s.may_become(to).unwrap_err().status(),
                        409,
                        "{s:?} -> {to:?}"
                    );
                }
            }
        }
        for s in [Scheduled, CheckedIn, NoShow] {
            assert!(s.may_reschedule().is_ok());
            assert!(s.may_become(Cancelled).is_ok());
        }
        assert!(Scheduled.may_become(CheckedIn).is_ok());
        assert!(CheckedIn.may_become(Completed).is_ok());
        assert!(Scheduled.may_become(Completed).is_ok());
        assert!(Scheduled.may_become(NoShow).is_ok());
        assert!(NoShow.may_become(CheckedIn).is_ok());
        assert!(NoShow.may_become(Scheduled).is_ok());
        assert_eq!(NoShow.may_become(Completed).unwrap_err().status(), 409);
        assert_eq!(CheckedIn.may_become(NoShow).unwrap_err().status(), 409);
        assert_eq!(
            AppointmentStatus::HOLDING.map(|s| s.holds_time()),
            [true; 3]
        );
        assert!(!Cancelled.holds_time() && !NoShow.holds_time());
    }

    #[test]
    fn an_update_keeps_the_length_when_only_the_start_moves() {
        let current = Window::new(at(10, 0), at(10, 30)).unwrap();
        let update = AppointmentUpdate {
            scheduled_start: Some("2026-04-15T14:00:00".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert!(update.reschedules());
        assert_eq!(
            update.window(current).unwrap(),
            Window::new(at(14, 0), at(14, 30)).unwrap()
        );
        let update = AppointmentUpdate {
            scheduled_end: Some("2026-04-15T09:00:00".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(update.window(current).unwrap_err().status(), 400);
    }

    #[test]
    fn an_update_names_what_is_wrong() {
        let err = AppointmentUpdate::default().validate().unwrap_err();
        assert_eq!(err.code(), "nothing_to_change");
        let err = AppointmentUpdate {
            status: Some("done".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.field("status").len(), 1);
        let err = AppointmentUpdate {
            status: Some("cancelled".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.field("status").len(), 1);
        let clear = AppointmentUpdate {
            reason: Some("  ".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(clear.reason, Some(None));
        assert!(!clear.reschedules());
    }

    #[test]
    fn missed_only_once_due() {
        let w = Window::new(at(10, 0), at(10, 30)).unwrap();
        assert!(may_mark_missed(w, at(9, 59)).is_err());
        assert!(may_mark_missed(w, at(10, 0)).is_ok());
    }

    #[test]
    fn filters_take_dates_and_times() {
        let q = AppointmentQuery {
            status: Some("scheduled".into()),
            from: Some("2026-04-15".into()),
            to: Some("2026-04-15".into()),
            ..Default::default()
        };
        let f = q.parse().unwrap();
        assert_eq!(f.status, Some(AppointmentStatus::Scheduled));
        assert_eq!(f.from, Some(at(0, 0)));
        assert_eq!(f.to, Some(at(0, 0) + Duration::days(1)));
        let err = AppointmentQuery {
            status: Some("late".into()),
            provider_user_id: Some("2".into()),
            from: Some("yesterday".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        for field in ["status", "provider_user_id", "from"] {
            assert_eq!(err.field(field).len(), 1, "{field}");
        }
    }
}
