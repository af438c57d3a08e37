//! Worklists: the patients a hospital has to act on, drawn from the same rules as the chart's
//! flags (a worklist is the patients with a flag of its kinds): viral load due or overdue,
//! unsuppressed or low-level viraemia needing adherence counselling (and treatment failure),
//! interruption in treatment to trace, advanced HIV disease. Sorted by urgency, then the oldest
//! first. Tracing outcomes (the DAK's follow-up codes) are recorded from them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::flag::{Flag, FlagKind, Severity};
use super::retention::TracingOutcome;
use crate::domain::page::Pagination;
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Worklist {
    VlDue,
    Unsuppressed,
    Iit,
    Ahd,
}

impl Worklist {
    pub const ALL: [Worklist; 4] = [
        Worklist::VlDue,
        Worklist::Unsuppressed,
        Worklist::Iit,
        Worklist::Ahd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Worklist::VlDue => "vl_due",
            Worklist::Unsuppressed => "unsuppressed",
            Worklist::Iit => "iit",
            Worklist::Ahd => "ahd",
        }
    }

    pub fn parse(s: &str) -> Option<Worklist> {
        Self::ALL.into_iter().find(|w| w.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Worklist::VlDue => "Viral load due",
            Worklist::Unsuppressed => "Unsuppressed: adherence counselling",
            Worklist::Iit => "Interruption in treatment: tracing",
            Worklist::Ahd => "Advanced HIV disease",
        }
    }

    /// The flag kinds that put a patient on the list.
    pub fn kinds(self) -> &'static [FlagKind] {
        match self {
            Worklist::VlDue => &[FlagKind::ViralLoadOverdue, FlagKind::ViralLoadDue],
            Worklist::Unsuppressed => &[
                FlagKind::VirologicalFailure,
                FlagKind::Unsuppressed,
                FlagKind::LowLevelViraemia,
            ],
            Worklist::Iit => &[FlagKind::InterruptionInTreatment],
            Worklist::Ahd => &[FlagKind::AdvancedDisease],
        }
    }

    /// The flag that puts a patient on this list (the first of its kinds), if any.
    pub fn pick(self, flags: &[Flag]) -> Option<&Flag> {
        self.kinds()
            .iter()
            .find_map(|k| flags.iter().find(|f| f.kind == *k))
    }
}

/// A tracing outcome as lists and the chart show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LastOutcome {
    pub outcome: TracingOutcome,
    /// The DAK's data element (`HIV.H.DE28`).
    pub code: String,
    pub label: String,
    pub on: NaiveDate,
}

impl LastOutcome {
    pub fn of(outcome: TracingOutcome, on: NaiveDate) -> LastOutcome {
        LastOutcome {
            outcome,
            code: outcome.code().to_string(),
            label: outcome.label().to_string(),
            on,
        }
    }
}

/// One patient on a worklist: who, why, since when, last contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WorklistEntry {
    pub patient_id: Uuid,
    pub name: String,
    pub mrn: Option<String>,
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub since: Option<NaiveDate>,
    pub last_contact: Option<NaiveDate>,
    pub last_outcome: Option<LastOutcome>,
}

/// Most urgent first, then the longest waiting, then by name.
pub fn rank(entries: &mut [WorklistEntry]) {
    entries.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.since.cmp(&b.since))
            .then(a.name.cmp(&b.name))
            .then(a.patient_id.cmp(&b.patient_id))
    });
}

/// A page of a worklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WorklistPage {
    pub worklist: Worklist,
    pub label: String,
    pub data: Vec<WorklistEntry>,
    pub pagination: Pagination,
    /// How many patients each worklist holds.
    pub counts: WorklistCounts,
}

/// How many patients each worklist holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WorklistCounts {
    pub vl_due: u64,
    pub unsuppressed: u64,
    pub iit: u64,
    pub ahd: u64,
}

impl WorklistCounts {
    pub fn add(&mut self, w: Worklist) {
        match w {
            Worklist::VlDue => self.vl_due += 1,
            Worklist::Unsuppressed => self.unsuppressed += 1,
            Worklist::Iit => self.iit += 1,
            Worklist::Ahd => self.ahd += 1,
        }
    }

    pub fn of(&self, w: Worklist) -> u64 {
        match w {
            Worklist::VlDue => self.vl_due,
            Worklist::Unsuppressed => self.unsuppressed,
            Worklist::Iit => self.iit,
            Worklist::Ahd => self.ahd,
        }
    }
}

/// How the patient was reached.
pub const CONTACT_METHODS: [&str; 3] = ["phone", "sms", "home_visit"];
/// The longest tracing note.
pub const TRACING_NOTE_MAX: usize = 1000;

/// `POST /patients/{id}/tracing-outcomes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TracingInput {
    /// The worklist it was recorded from (`iit` when left out).
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::worklist_name))]
    pub worklist: Option<String>,
    /// A follow-up outcome: `returning_to_clinic`, `self_transferred`, `hospitalized`,
    /// `refused_to_return`, `not_located`, `died`, `transferred_out`, `stopped_treatment`.
    #[cfg_attr(
        feature = "server",
        schema(required = true, schema_with = crate::domain::schema::tracing_outcome)
    )]
    pub outcome: Option<String>,
    /// When it was learnt (`YYYY-MM-DD`); today when left out. Not in the future.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::tracing_date))]
    pub outcome_date: Option<String>,
    /// `phone`, `sms` or `home_visit`.
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::contact_method))]
    pub contact_method: Option<String>,
    /// What was learnt (kept sealed).
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::tracing_note))]
    pub note: Option<String>,
}

/// A tracing outcome that meets the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTracing {
    pub worklist: Worklist,
    pub outcome: TracingOutcome,
    pub outcome_date: NaiveDate,
    pub contact_method: Option<String>,
    pub note: Option<String>,
}

impl TracingInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ValidTracing, ErrorKind> {
        let mut e = Errors::new();
        let worklist = match self
            .worklist
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Worklist::Iit,
            Some(w) => Worklist::parse(w).unwrap_or_else(|| {
                e.add("worklist", "must be one of vl_due, unsuppressed, iit, ahd");
                Worklist::Iit
            }),
        };
        let outcome = match self
            .outcome
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                e.add("outcome", "is required");
                None
            }
            Some(o) => {
                let parsed = TracingOutcome::parse(o);
                if parsed.is_none() {
                    e.add(
                        "outcome",
                        format!(
                            "must be one of {}",
                            TracingOutcome::ALL.map(TracingOutcome::as_str).join(", ")
                        ),
                    );
                }
                parsed
            }
        };
        let outcome_date = match self
            .outcome_date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => today,
            Some(raw) => match raw.parse::<NaiveDate>() {
                Ok(d) if d > today => {
                    e.add("outcome_date", "cannot be in the future");
                    today
                }
                Ok(d) if d < NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or(NaiveDate::MIN) => {
                    e.add("outcome_date", "must be after 1980");
                    today
                }
                Ok(d) => d,
                Err(_) => {
                    e.add("outcome_date", "must be a date like 2026-11-30");
                    today
                }
            },
        };
        let contact_method = self
            .contact_method
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(m) = &contact_method {
            if !CONTACT_METHODS.contains(&m.as_str()) {
                e.add("contact_method", "must be phone, sms or home_visit");
            }
        }
        let note = e.optional_text("note", self.note.as_deref(), TRACING_NOTE_MAX);
        let Some(outcome) = outcome else {
            return Err(e.into_kind());
        };
        e.finish(|| ValidTracing {
            worklist,
            outcome,
            outcome_date,
            contact_method,
            note,
        })
    }
}

/// A recorded tracing outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TracingRecord {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub worklist: Worklist,
    pub outcome: LastOutcome,
    pub contact_method: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracing_input_names_each_problem() {
        let today: NaiveDate = "2026-11-30".parse().unwrap();
        let ok = TracingInput {
            outcome: Some(" not_located ".into()),
            contact_method: Some("phone".into()),
            ..Default::default()
        }
        .validate(today)
        .unwrap();
        assert_eq!(ok.outcome, TracingOutcome::NotLocated);
        assert_eq!((ok.worklist, ok.outcome_date), (Worklist::Iit, today));
        let bad = TracingInput {
            worklist: Some("x".into()),
            outcome: Some("vanished".into()),
            outcome_date: Some("2026-12-05".into()),
            contact_method: Some("pigeon".into()),
            note: Some("a".repeat(1001)),
        }
        .validate(today)
        .unwrap_err();
        for f in [
            "worklist",
            "outcome",
            "outcome_date",
            "contact_method",
            "note",
        ] {
            assert_eq!(bad.field(f).len(), 1, "{f}: {bad:?}");
        }
        assert_eq!(
            TracingInput::default()
                .validate(today)
                .unwrap_err()
                .field("outcome"),
            vec!["is required".to_string()]
        );
    }
}
