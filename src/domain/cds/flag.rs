//! What a rule says when it fires: which rule, why (the inputs with their dates), what to do,
//! the guideline it comes from, and how to say it to the patient. Never a bare coloured dot.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::long_date;

/// How soon a flag needs acting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing (a test due, a visit at another hospital).
    Info,
    /// Act at this visit (overdue, low-level viraemia, a screening to order).
    Warning,
    /// Act now (unsuppressed, treatment failure, advanced disease, interruption).
    Urgent,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "For information",
            Severity::Warning => "Act at this visit",
            Severity::Urgent => "Act now",
        }
    }
}

/// What a flag is about; worklists gather flags by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    ViralLoadDue,
    ViralLoadOverdue,
    LowLevelViraemia,
    Unsuppressed,
    VirologicalFailure,
    ImmunologicalFailure,
    ClinicalFailure,
    Cd4Due,
    AdvancedDisease,
    CryptococcalAntigen,
    RenalMonitoring,
    ClinicalVisitDue,
    InterruptionInTreatment,
    SeenElsewhere,
}

/// One input a rule read, with its date: "Viral load 40 copies/mL, 3 March 2025".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Evidence {
    pub label: String,
    pub value: String,
    pub date: Option<NaiveDate>,
}

impl Evidence {
    pub fn new(label: &str, value: impl Into<String>, date: Option<NaiveDate>) -> Evidence {
        Evidence {
            label: label.to_string(),
            value: value.into(),
            date,
        }
    }

    /// `Viral load: 40 copies/mL (3 March 2025)`.
    pub fn line(&self) -> String {
        match self.date {
            Some(d) => format!("{}: {} ({})", self.label, self.value, long_date(d)),
            None => format!("{}: {}", self.label, self.value),
        }
    }
}

/// A decision-support flag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Flag {
    /// The DAK rule that fired (`HIV.S.2.3`, `HIV.D17.DT.01`, `HIV.H.DE42`).
    pub rule_id: String,
    pub kind: FlagKind,
    pub severity: Severity,
    /// `Viral load overdue`.
    pub title: String,
    /// Since when the flag holds (overdue since, unsuppressed since, interrupted since).
    pub since: Option<NaiveDate>,
    /// The rule in a sentence: `12 months after the last suppressed result`.
    pub why: String,
    /// The inputs the rule read, with their dates.
    pub evidence: Vec<Evidence>,
    /// What to do.
    pub action: String,
    /// The guideline the rule comes from.
    pub reference: String,
    /// The rule set and version it was computed with (`WHO 2021`).
    pub rule_set: String,
    /// How the patient portal says it: plain words, no alarm, what to do.
    pub patient_text: String,
}

impl Flag {
    /// `Viral load overdue since 3 March 2026 (HIV.S.2.3: 12 months after the last suppressed
    /// result)`: the line a chart shows first.
    pub fn headline(&self) -> String {
        let since = self
            .since
            .map(|d| format!(" since {}", long_date(d)))
            .unwrap_or_default();
        format!("{}{since} ({}: {})", self.title, self.rule_id, self.why)
    }
}

pub(crate) const WHO_2021: &str = "WHO Consolidated guidelines on HIV prevention, testing, treatment, service delivery and monitoring (2021)";
