//! Break-glass (SPEC 2.6): in an emergency a clinician of a hospital linked to the patient
//! opens the whole record, every hospital's part, with a stated reason, for the hospital's set
//! duration. The opening is labelled while active, the patient is told, and the hospital admin
//! reviews each one afterwards.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// How long an opening lasts unless the hospital set otherwise: three hours.
pub const DEFAULT_MINUTES: i32 = 180;

/// The shortest reason accepted: a sentence, not a word.
pub const REASON_MIN_CHARS: usize = 20;
pub const REASON_MIN_WORDS: usize = 4;
pub const REASON_MAX_CHARS: usize = 1000;

/// `POST /patients/{id}/break-glass`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BreakGlassRequest {
    /// Why the emergency needs the whole record: at least a sentence (20 characters, 4
    /// words), at most 1000 characters.
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::break_glass_reason))]
    pub reason: Option<String>,
}

impl BreakGlassRequest {
    pub fn validate(&self) -> Result<String, ErrorKind> {
        let mut e = Errors::new();
        let reason = e.required_text(
            "reason",
            self.reason.as_deref(),
            REASON_MIN_CHARS,
            REASON_MAX_CHARS,
        );
        if !reason.is_empty()
            && reason.chars().count() >= REASON_MIN_CHARS
            && reason.split_whitespace().count() < REASON_MIN_WORDS
        {
            e.add(
                "reason",
                "say in a sentence why the emergency needs the whole record",
            );
        }
        e.finish(|| reason)
    }
}

/// What the hospital admin decided about an opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Justified: nothing more to do.
    Reviewed,
    /// Needs follow-up (privacy officer, disciplinary process).
    Escalated,
}

impl ReviewOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Reviewed => "reviewed",
            ReviewOutcome::Escalated => "escalated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [ReviewOutcome::Reviewed, ReviewOutcome::Escalated]
            .into_iter()
            .find(|o| o.as_str() == raw.trim())
    }
}

/// `PUT /break-glass/{id}`: the review.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    #[cfg_attr(feature = "server", schema(required = true, value_type = ReviewOutcome))]
    pub outcome: Option<String>,
    /// Optional, at most 1000 characters.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::review_note))]
    pub note: Option<String>,
}

impl ReviewRequest {
    pub fn validate(&self) -> Result<(ReviewOutcome, Option<String>), ErrorKind> {
        let mut e = Errors::new();
        let outcome = match self.outcome.as_deref().map(str::trim) {
            None | Some("") => {
                e.add("outcome", "is required: reviewed or escalated");
                None
            }
            Some(raw) => ReviewOutcome::parse(raw).or_else(|| {
                e.add("outcome", "must be reviewed or escalated");
                None
            }),
        };
        let note = e.optional_text("note", self.note.as_deref(), REASON_MAX_CHARS);
        e.finish(|| (outcome.unwrap_or(ReviewOutcome::Reviewed), note))
    }
}

/// One read made during an opening (from the audit log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReadDuring {
    pub at: DateTime<Utc>,
    /// What was read: `patient`, `clinical_record`, `attachment`, `chart`, ...
    pub entity: String,
    pub entity_id: Option<String>,
    pub action: String,
}

/// A break-glass opening as the clinician and the reviewer see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct BreakGlass {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The patient's MRN at the opening's hospital.
    pub patient_mrn: Option<String>,
    pub hospital_id: Uuid,
    pub staff_id: Uuid,
    pub staff_name: String,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Still open now.
    pub active: bool,
    pub review_outcome: Option<ReviewOutcome>,
    pub review_note: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// What the clinician read while it was open (the review queue fills it; at most 200).
    pub reads: Vec<ReadDuring>,
}

/// Whether an opening from `started_at` to `ends_at` (exclusive) is open at `now`.
pub fn is_open(started_at: DateTime<Utc>, ends_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    started_at <= now && now < ends_at
}

/// The discreet notice to the patient: no clinic type, no condition, no reason.
pub fn patient_notice(at: DateTime<Utc>) -> String {
    format!(
        "On {} a clinician opened your HospitalLink record for an emergency. The access is \
         time-limited and reviewed. If you have questions, ask your clinic.",
        at.format("%Y-%m-%d at %H:%M UTC")
    )
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn a_reason_is_a_sentence() {
        let reason = |r: &str| BreakGlassRequest {
            reason: Some(r.into()),
        };
        assert!(
            reason("Unconscious on arrival, needs current regimen and allergies")
                .validate()
                .is_ok()
        );
        for (r, message) in [
            ("", "is required"),
            ("emergency", "at least 20"),
            ("emergencyemergencyemergency", "in a sentence"),
        ] {
            let err = reason(r).validate().unwrap_err();
            assert!(err.field("reason")[0].contains(message), "{r}: {err:?}");
        }
        assert!(BreakGlassRequest::default().validate().is_err());
    }

    #[test]
    fn an_opening_lasts_from_its_start_to_its_end() {
        let start = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
        let end = start + Duration::minutes(i64::from(DEFAULT_MINUTES));
        assert!(!is_open(start, end, start - Duration::seconds(1)));
        assert!(is_open(start, end, start));
        assert!(is_open(start, end, end - Duration::seconds(1)));
        assert!(!is_open(start, end, end));
    }

    #[test]
    fn a_review_is_reviewed_or_escalated() {
        let ok = ReviewRequest {
            outcome: Some("escalated".into()),
            note: Some("  Ask the privacy officer  ".into()),
        }
        .validate()
        .unwrap();
        assert_eq!(
            ok,
            (
                ReviewOutcome::Escalated,
                Some("Ask the privacy officer".into())
            )
        );
        let err = ReviewRequest {
            outcome: Some("fine".into()),
            note: None,
        }
        .validate()
        .unwrap_err();
        assert!(!err.field("outcome").is_empty());
    }

    #[test]
    fn the_notice_says_nothing_of_the_clinic_or_the_reason() {
        let text = patient_notice(Utc.with_ymd_and_hms(2026, 11, 30, 8, 5, 0).unwrap());
        assert!(text.contains("2026-11-30 at 08:05 UTC"));
        for word in ["HIV", "ART", "viral", "emergency department"] {
            assert!(!text.contains(word), "{word}");
        }
    }
}
