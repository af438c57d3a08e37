//! Notifications to patients: what each kind says (`templates`, discreet in every language)
//! and when it goes (`timing`, on the hospital's clock and outside the patient's quiet hours).
//! The outbox delivers them; the services decide from the data which are due.

pub mod templates;
pub mod timing;

use serde::{Deserialize, Serialize};

/// What a message to a patient is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The day before a booked visit.
    AppointmentReminder,
    /// The day after a visit the patient did not come to.
    MissedAppointment,
    /// Two days before the medicine dispensed runs out.
    RefillDue,
    /// A result was recorded: please contact your clinic.
    ResultReady,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::AppointmentReminder,
        Kind::MissedAppointment,
        Kind::RefillDue,
        Kind::ResultReady,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AppointmentReminder => "appointment_reminder",
            Kind::MissedAppointment => "missed_appointment",
            Kind::RefillDue => "refill_due",
            Kind::ResultReady => "result_ready",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    /// How the admin pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::AppointmentReminder => "Visit reminder (the day before)",
            Kind::MissedAppointment => "Missed visit (the next day)",
            Kind::RefillDue => "Time to come back (before the supply runs out)",
            Kind::ResultReady => "A result is ready",
        }
    }
}

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Sms, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw.trim())
    }
}
