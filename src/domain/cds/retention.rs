//! Interruption in treatment (HIV.H.DE42: 28 days or more since a missed appointment) and the
//! tracing outcomes of the WHO HIV DAK's follow-up (HIV.H3). A missed visit or a lapsed refill
//! starts the count; a contact at the hospital after it (a record, a visit attended, a
//! dispensing) ends it; a contact at another hospital of the network the caller may know of
//! makes it a transfer, not a loss.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::facts::Facts;
use super::flag::{Evidence, Flag, FlagKind, Severity};
use super::{add_days, long_date, RuleSet};

/// The outcome of an attempt to trace a patient (HIV.H.DE23 and HIV.H.DE41).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TracingOutcome {
    /// HIV.H.DE24: located and agreed to return.
    ReturningToClinic,
    /// HIV.H.DE25: moved their care elsewhere of their own accord.
    SelfTransferred,
    /// HIV.H.DE26.
    Hospitalized,
    /// HIV.H.DE27: found, declined to return.
    RefusedToReturn,
    /// HIV.H.DE28.
    NotLocated,
    /// HIV.H.DE29 (reported) and HIV.H.DE44 (documented).
    Died,
    /// HIV.H.DE43: transferred to another facility.
    TransferredOut,
    /// HIV.H.DE45: confirmed to have stopped ART.
    StoppedTreatment,
}

impl TracingOutcome {
    pub const ALL: [TracingOutcome; 8] = [
        TracingOutcome::ReturningToClinic,
        TracingOutcome::SelfTransferred,
        TracingOutcome::Hospitalized,
        TracingOutcome::RefusedToReturn,
        TracingOutcome::NotLocated,
        TracingOutcome::Died,
        TracingOutcome::TransferredOut,
        TracingOutcome::StoppedTreatment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TracingOutcome::ReturningToClinic => "returning_to_clinic",
            TracingOutcome::SelfTransferred => "self_transferred",
            TracingOutcome::Hospitalized => "hospitalized",
            TracingOutcome::RefusedToReturn => "refused_to_return",
            TracingOutcome::NotLocated => "not_located",
            TracingOutcome::Died => "died",
            TracingOutcome::TransferredOut => "transferred_out",
            TracingOutcome::StoppedTreatment => "stopped_treatment",
        }
    }

    pub fn parse(s: &str) -> Option<TracingOutcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }

    /// The DAK's data element.
    pub fn code(self) -> &'static str {
        match self {
            TracingOutcome::ReturningToClinic => "HIV.H.DE24",
            TracingOutcome::SelfTransferred => "HIV.H.DE25",
            TracingOutcome::Hospitalized => "HIV.H.DE26",
            TracingOutcome::RefusedToReturn => "HIV.H.DE27",
            TracingOutcome::NotLocated => "HIV.H.DE28",
            TracingOutcome::Died => "HIV.H.DE29",
            TracingOutcome::TransferredOut => "HIV.H.DE43",
            TracingOutcome::StoppedTreatment => "HIV.H.DE45",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TracingOutcome::ReturningToClinic => "Returning to clinic",
            TracingOutcome::SelfTransferred => "Self-transferred out",
            TracingOutcome::Hospitalized => "Hospitalized",
            TracingOutcome::RefusedToReturn => "Refused to return",
            TracingOutcome::NotLocated => "Not located",
            TracingOutcome::Died => "Died",
            TracingOutcome::TransferredOut => "Transferred out",
            TracingOutcome::StoppedTreatment => "Refused (stopped) treatment",
        }
    }

    /// Whether the outcome ends the patient's treatment at the hospital (no more tracing):
    /// death, a transfer, a refusal.
    pub fn closes(self) -> bool {
        matches!(
            self,
            TracingOutcome::Died
                | TracingOutcome::TransferredOut
                | TracingOutcome::SelfTransferred
                | TracingOutcome::StoppedTreatment
                | TracingOutcome::RefusedToReturn
        )
    }
}

/// Why a patient was expected and not seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// HIV.H.DE2.
    MissedVisit,
    /// HIV.H.DE3.
    MissedRefill,
}

/// Where a patient stands with their care.
#[derive(Clone, Debug, PartialEq)]
pub enum Retention {
    /// Nothing missed, or back since.
    InCare,
    /// Missed, within the 28 days.
    Late { expected: NaiveDate, why: Expected },
    /// Interrupted: 28 days or more since the missed visit or refill.
    Interrupted {
        expected: NaiveDate,
        since: NaiveDate,
        why: Expected,
    },
    /// Seen at another hospital after the missed date: a transfer, not a loss.
    SeenElsewhere { at: NaiveDate, hospital: String },
    /// A tracing outcome closed the episode (died, transferred, refused).
    Closed {
        outcome: TracingOutcome,
        at: NaiveDate,
    },
}

/// The patient's retention on `f.today`; only for patients on ART.
pub fn retention(f: &Facts, r: &RuleSet) -> Option<Retention> {
    f.art.as_ref()?;
    let rf = &f.retention;
    let here = rf.last_contact_here;
    let missed = rf
        .missed_visit
        .filter(|m| here.is_none_or(|c| c < *m))
        .map(|m| (m, Expected::MissedVisit));
    let lapsed = rf
        .supply_until
        .filter(|s| *s < f.today && here.is_none_or(|c| c <= *s))
        .map(|s| (s, Expected::MissedRefill));
    let Some((expected, why)) = [missed, lapsed]
        .into_iter()
        .flatten()
        .min_by_key(|(d, _)| *d)
    else {
        return Some(Retention::InCare);
    };
    if let Some((outcome, at)) = rf.outcome {
        if outcome.closes() && at >= expected {
            return Some(Retention::Closed { outcome, at });
        }
    }
    if let Some((at, hospital)) = &rf.last_contact_elsewhere {
        if *at >= expected {
            return Some(Retention::SeenElsewhere {
                at: *at,
                hospital: hospital.clone(),
            });
        }
    }
    let since = add_days(expected, r.interruption_days);
    Some(if f.today >= since {
        Retention::Interrupted {
            expected,
            since,
            why,
        }
    } else {
        Retention::Late { expected, why }
    })
}

const REFERENCE: &str = "WHO HIV DAK, HIV.H Follow-up: HIV.H.DE42 Lost to follow-up (28 days or more since the last missed appointment); PEPFAR MER 2.6.1 TX_ML";

/// The retention flags: interruption in treatment, or a visit at another hospital.
pub fn flags(f: &Facts, r: &RuleSet) -> Vec<Flag> {
    let base = |rule_id: &str, kind, severity, title: &str| Flag {
        rule_id: rule_id.into(),
        kind,
        severity,
        title: title.to_string(),
        since: None,
        why: String::new(),
        evidence: Vec::new(),
        action: String::new(),
        reference: REFERENCE.into(),
        rule_set: r.label(),
        patient_text: String::new(),
    };
    let mut evidence = Vec::new();
    if let Some(c) = f.retention.last_contact_here {
        evidence.push(Evidence::new("Last contact here", "", Some(c)));
    }
    match retention(f, r) {
        Some(Retention::Interrupted {
            expected,
            since,
            why,
        }) => {
            let what = match why {
                Expected::MissedVisit => "a missed visit",
                Expected::MissedRefill => "the end of the last medicine supply",
            };
            evidence.insert(
                0,
                Evidence::new(
                    match why {
                        Expected::MissedVisit => "Missed visit",
                        Expected::MissedRefill => "Supply ended",
                    },
                    "",
                    Some(expected),
                ),
            );
            vec![Flag {
                since: Some(since),
                why: format!(
                    "{} days after {what} ({}) with no contact at any hospital of the network",
                    r.interruption_days,
                    long_date(expected)
                ),
                evidence,
                action: "Trace the patient (phone, SMS, home visit) and record the outcome.".into(),
                patient_text: "We have not seen you for a while. Please contact your clinic so we can continue your care together.".into(),
                ..base("HIV.H.DE42", FlagKind::InterruptionInTreatment, Severity::Urgent, "Interruption in treatment")
            }]
        }
        Some(Retention::SeenElsewhere { at, hospital }) => {
            evidence.push(Evidence::new("Seen at", hospital.clone(), Some(at)));
            vec![Flag {
                since: Some(at),
                why: format!("seen at {hospital} after a missed visit or refill here: a transfer, not an interruption"),
                evidence,
                action: "Confirm the transfer and update the patient's care plan.".into(),
                patient_text: String::new(),
                ..base("HIV.H.DE25", FlagKind::SeenElsewhere, Severity::Info, "Seen at another hospital")
            }]
        }
        _ => Vec::new(),
    }
}
