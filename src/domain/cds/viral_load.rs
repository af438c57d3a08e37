//! HIV.S.2: monitoring the response to ART. Viral-load results normalised (numbers, `<`
//! bounds, "not detected", "below the detection limit", pending, rejected), classified with
//! the hospital's thresholds, and the schedule of the next test: 6 months after ART start,
//! 12 months after, then every 12 months while suppressed; 3 months after an elevated result
//! (after enhanced adherence counselling); overdue 28 days after due; nothing due while a
//! result is pending. The schedule's rows, in the DAK's order, are `HIV.S.2.1` to `HIV.S.2.8`.

use chrono::NaiveDate;

use super::facts::{Facts, VlObservation};
use super::flag::{Evidence, Flag, FlagKind, Severity, WHO_2021};
use super::{add_days, add_months, long_date, RuleSet};
use crate::domain::clinical::record::{format_number, VlInterpretation, VlThresholds};

/// The rows of HIV.S.2 in the table's order: (rule id, the DAK's service name).
pub const SCHEDULE_ROWS: [(&str, &str); 8] = [
    ("HIV.S.2.1", "Routine viral load monitoring at 6months after ART initiation"),
    ("HIV.S.2.2", "Routine viral load monitoring 12months after ART initiation"),
    ("HIV.S.2.3", "Routine viral load monitoring every 12months after ART initiation"),
    ("HIV.S.2.4", "Viral load monitoring after elevated (between 50 and 1000 copies/mL) viral load test"),
    ("HIV.S.2.5", "Viral load monitoring after second elevated (between 50 and 1000 copies/mL) viral load test"),
    ("HIV.S.2.6", "Viral load monitoring after elevated (>1000 copies/mL) viral load test"),
    ("HIV.S.2.7", "CD4 count monitoring"),
    ("HIV.S.2.8", "Frequency of clinical visits"),
];

fn reference(row: usize) -> String {
    format!(
        "WHO HIV DAK, HIV.S.2 Monitoring the response to ART, row {row}; {WHO_2021}, section 4.5"
    )
}

/// A viral-load result as the rules read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VlValue {
    /// Target not detected (or a measured 0).
    NotDetected,
    /// Below the assay's limit of detection (`< 40`, `LDL`), with the limit when known.
    BelowLimit(Option<f64>),
    /// A number of copies/mL (for `<` above the assay's limit and for `>`, the bound).
    Copies(f64),
    /// Detected, with no number.
    DetectedUnquantified,
    /// Sample taken, result not back.
    Pending,
    /// No usable result (a rejected sample).
    Rejected,
}

impl VlValue {
    /// Normalises a stored result: its number, comparator, qualitative result and the assay's
    /// lower limit.
    pub fn normalise(
        copies: Option<f64>,
        comparator: &str,
        qualitative: Option<&str>,
        lower_limit: Option<f64>,
    ) -> VlValue {
        match qualitative {
            Some("not_detected") => return VlValue::NotDetected,
            Some("ldl") => return VlValue::BelowLimit(lower_limit.or(copies)),
            Some("pending") => return VlValue::Pending,
            Some("rejected") => return VlValue::Rejected,
            _ => {}
        }
        match copies {
            None if qualitative == Some("detected") => VlValue::DetectedUnquantified,
            None => VlValue::Rejected,
            Some(c) if comparator == "<" && lower_limit.is_none_or(|l| c <= l) => {
                VlValue::BelowLimit(Some(c))
            }
            Some(c) if c <= 0.0 => VlValue::NotDetected,
            Some(c) => VlValue::Copies(c),
        }
    }

    /// Whether it is a result (not pending, not rejected).
    pub fn is_result(self) -> bool {
        !matches!(self, VlValue::Pending | VlValue::Rejected)
    }

    /// The result's class under the thresholds; `None` for no result or no number.
    pub fn classify(self, t: VlThresholds) -> Option<VlInterpretation> {
        match self {
            VlValue::NotDetected => Some(VlInterpretation::Undetectable),
            // Below a limit that is itself above the low-level threshold (a dried blood spot's
            // "< 1000"): not unsuppressed, but not known to be undetectable either.
            VlValue::BelowLimit(Some(l)) if l > t.low_level_above => {
                Some(VlInterpretation::Suppressed)
            }
            VlValue::BelowLimit(_) => Some(VlInterpretation::Undetectable),
            VlValue::Copies(c) if c > t.unsuppressed_above => Some(VlInterpretation::Unsuppressed),
            VlValue::Copies(c) if c > t.low_level_above => Some(VlInterpretation::LowLevel),
            VlValue::Copies(_) => Some(VlInterpretation::Suppressed),
            VlValue::DetectedUnquantified | VlValue::Pending | VlValue::Rejected => None,
        }
    }

    /// `40 copies/mL`, `not detected`, `below the detection limit (< 40)`.
    pub fn describe(self) -> String {
        match self {
            VlValue::NotDetected => "not detected".into(),
            VlValue::BelowLimit(Some(l)) => {
                format!("below the detection limit (< {})", format_number(l))
            }
            VlValue::BelowLimit(None) => "below the detection limit".into(),
            VlValue::Copies(c) => format!("{} copies/mL", format_number(c)),
            VlValue::DetectedUnquantified => "detected, not quantified".into(),
            VlValue::Pending => "pending".into(),
            VlValue::Rejected => "sample rejected".into(),
        }
    }
}

/// The results taken on ART (on or after its start), newest first, and the date of a sample
/// still pending after the newest result.
fn on_art(f: &Facts, start: NaiveDate) -> (Vec<&VlObservation>, Option<NaiveDate>) {
    let all: Vec<&VlObservation> = f.viral_loads.iter().filter(|v| v.at >= start).collect();
    let results: Vec<&VlObservation> = all
        .iter()
        .copied()
        .filter(|v| v.value.is_result())
        .collect();
    let newest_result = results.first().map(|v| v.at);
    let pending = all
        .iter()
        .find(|v| v.value == VlValue::Pending && newest_result.is_none_or(|r| v.at >= r))
        .map(|v| v.at);
    (results, pending)
}

/// The next viral-load test.
#[derive(Clone, Debug, PartialEq)]
pub struct VlSchedule {
    pub rule_id: &'static str,
    pub due: NaiveDate,
    /// Overdue from this day (due + the rule set's 28 days).
    pub overdue_from: NaiveDate,
    /// `12 months after the last suppressed result`.
    pub why: String,
    pub evidence: Vec<Evidence>,
    /// A sample taken and not yet resulted: nothing is due until it is back.
    pub pending_since: Option<NaiveDate>,
}

fn evidence_of(v: &VlObservation) -> Evidence {
    Evidence::new("Viral load", v.value.describe(), Some(v.at))
}

/// Whether a result is elevated but not unsuppressed (a detected result with no number is
/// read as elevated: it is repeated like one).
fn elevated(v: VlValue, t: VlThresholds) -> bool {
    matches!(v.classify(t), Some(VlInterpretation::LowLevel)) || v == VlValue::DetectedUnquantified
}

/// When the next viral load is due, by which row of HIV.S.2; `None` when not on ART.
pub fn schedule(f: &Facts, r: &RuleSet) -> Option<VlSchedule> {
    let start = f.art_start()?;
    let (results, pending_since) = on_art(f, start);
    let t = r.thresholds;
    let art_evidence = Evidence::new("ART start", "", Some(start));
    let (rule_id, due, why, evidence) = match results.first() {
        None => (
            "HIV.S.2.1",
            add_months(start, r.first_vl_months),
            format!("{} months after ART start", r.first_vl_months),
            vec![art_evidence],
        ),
        Some(latest) => {
            let v = latest.value;
            if elevated(v, t) {
                let second = results.get(1).is_some_and(|p| elevated(p.value, t));
                let mut evidence = vec![evidence_of(latest)];
                if second {
                    evidence.push(evidence_of(results[1]));
                }
                (
                    if second { "HIV.S.2.5" } else { "HIV.S.2.4" },
                    add_months(latest.at, r.repeat_vl_months),
                    format!(
                        "{} months after {} result between {} and {} copies/mL, after enhanced adherence counselling",
                        r.repeat_vl_months,
                        if second { "a second consecutive" } else { "a" },
                        format_number(t.low_level_above),
                        format_number(t.unsuppressed_above),
                    ),
                    evidence,
                )
            } else if v.classify(t) == Some(VlInterpretation::Unsuppressed) {
                (
                    "HIV.S.2.6",
                    add_months(latest.at, r.repeat_vl_months),
                    format!(
                        "{} months after a result above {} copies/mL, after enhanced adherence counselling",
                        r.repeat_vl_months,
                        format_number(t.unsuppressed_above)
                    ),
                    vec![evidence_of(latest)],
                )
            } else {
                let twelve = add_months(start, r.second_vl_months);
                if latest.at >= add_days(twelve, -r.overdue_days) {
                    let months = r.routine_months(f.age());
                    (
                        "HIV.S.2.3",
                        add_months(latest.at, months),
                        format!("{months} months after the last suppressed result"),
                        vec![evidence_of(latest)],
                    )
                } else {
                    (
                        "HIV.S.2.2",
                        twelve,
                        format!("{} months after ART start", r.second_vl_months),
                        vec![art_evidence, evidence_of(latest)],
                    )
                }
            }
        }
    };
    Some(VlSchedule {
        rule_id,
        due,
        overdue_from: add_days(due, r.overdue_days),
        why,
        evidence,
        pending_since,
    })
}

fn row_of(rule_id: &str) -> usize {
    SCHEDULE_ROWS
        .iter()
        .position(|(id, _)| *id == rule_id)
        .map_or(0, |i| i + 1)
}

/// Whether the patient is established on ART: a year on it with the last result suppressed.
pub fn established(f: &Facts, r: &RuleSet) -> bool {
    let Some(start) = f.art_start() else {
        return false;
    };
    let (results, _) = on_art(f, start);
    f.months_on_art(12)
        && results.first().is_some_and(|v| {
            matches!(
                v.value.classify(r.thresholds),
                Some(VlInterpretation::Undetectable | VlInterpretation::Suppressed)
            )
        })
}

/// The flags of HIV.S.2: a viral load due or overdue (none while a sample is pending), a
/// low-level or unsuppressed result to act on, a CD4 count due before the patient is
/// established on ART, a clinical visit due once established.
pub fn flags(f: &Facts, r: &RuleSet) -> Vec<Flag> {
    let mut out = Vec::new();
    let Some(start) = f.art_start() else {
        return out;
    };
    let t = r.thresholds;
    let base = |rule_id: &str, kind, severity, title: &str| Flag {
        rule_id: rule_id.to_string(),
        kind,
        severity,
        title: title.to_string(),
        since: None,
        why: String::new(),
        evidence: Vec::new(),
        action: String::new(),
        reference: reference(row_of(rule_id)),
        rule_set: r.label(),
        patient_text: String::new(),
    };
    if let Some(s) = schedule(f, r) {
        if s.pending_since.is_none() && f.today >= s.due {
            let overdue = f.today >= s.overdue_from;
            let (kind, severity, title, since) = if overdue {
                (
                    FlagKind::ViralLoadOverdue,
                    Severity::Warning,
                    "Viral load overdue",
                    s.overdue_from,
                )
            } else {
                (
                    FlagKind::ViralLoadDue,
                    Severity::Info,
                    "Viral load due",
                    s.due,
                )
            };
            out.push(Flag {
                since: Some(since),
                why: s.why.clone(),
                evidence: s.evidence.clone(),
                action: format!(
                    "Take a viral-load sample (due {}, overdue from {}).",
                    long_date(s.due),
                    long_date(s.overdue_from)
                ),
                patient_text: "Your next viral load test is due. Please ask for it at your next visit.".into(),
                ..base(s.rule_id, kind, severity, title)
            });
        }
        let (results, _) = on_art(f, start);
        if let Some(latest) = results.first() {
            if elevated(latest.value, t) {
                out.push(Flag {
                    since: Some(latest.at),
                    why: s.why.clone(),
                    evidence: s.evidence.clone(),
                    action: format!(
                        "Enhanced adherence counselling; repeat the viral load on {}.",
                        long_date(s.due)
                    ),
                    patient_text: "Your last viral load result needs a repeat test in about 3 months. Your care team will talk with you about taking your medicines.".into(),
                    ..base(s.rule_id, FlagKind::LowLevelViraemia, Severity::Warning, "Low-level viraemia")
                });
            } else if latest.value.classify(t) == Some(VlInterpretation::Unsuppressed) {
                out.push(Flag {
                    since: Some(latest.at),
                    why: format!("a viral load above {} copies/mL", format_number(t.unsuppressed_above)),
                    evidence: vec![evidence_of(latest)],
                    action: format!(
                        "Enhanced adherence counselling now; repeat the viral load on {}; on an NNRTI-based regimen, switch (HIV.D17.DT.01).",
                        long_date(s.due)
                    ),
                    patient_text: "Your last viral load result needs a conversation with your care team soon.".into(),
                    ..base("HIV.S.2.6", FlagKind::Unsuppressed, Severity::Urgent, "Unsuppressed viral load")
                });
            }
        }
    }
    // HIV.S.2.7: a CD4 count 6 months after ART start until established on ART.
    let cd4_due = add_months(start, 6);
    if !established(f, r) && f.today >= cd4_due {
        let done = f
            .cd4
            .iter()
            .any(|c| c.cells.is_some() && c.at >= add_days(cd4_due, -r.overdue_days));
        if !done {
            let overdue = add_days(cd4_due, r.overdue_days);
            out.push(Flag {
                since: Some(cd4_due),
                why: "6 months after ART start, until established on ART".into(),
                evidence: vec![Evidence::new("ART start", "", Some(start))],
                action: format!("Take a CD4 count (overdue from {}).", long_date(overdue)),
                patient_text:
                    "A blood test (CD4 count) is due. Please ask for it at your next visit.".into(),
                ..base(
                    "HIV.S.2.7",
                    FlagKind::Cd4Due,
                    if f.today >= overdue {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    "CD4 count due",
                )
            });
        }
    }
    // HIV.S.2.8: established on ART, a clinical visit every 3 to 6 months.
    if established(f, r) && f.retention.next_visit.is_none() {
        if let Some(last) = f.retention.last_contact_here {
            let due = add_months(last, 6);
            if f.today >= due {
                out.push(Flag {
                    since: Some(due),
                    why: "6 months after the last clinical visit of a patient established on ART"
                        .into(),
                    evidence: vec![Evidence::new("Last visit", "", Some(last))],
                    action: "Book a clinical visit.".into(),
                    patient_text:
                        "It is time for your regular visit. Please book one with your clinic."
                            .into(),
                    ..base(
                        "HIV.S.2.8",
                        FlagKind::ClinicalVisitDue,
                        Severity::Info,
                        "Clinical visit due",
                    )
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cds::facts::ArtFacts;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn results_are_normalised_from_numbers_bounds_and_words() {
        let n = VlValue::normalise;
        assert_eq!(
            n(None, "=", Some("not_detected"), None),
            VlValue::NotDetected
        );
        assert_eq!(
            n(None, "=", Some("ldl"), Some(40.0)),
            VlValue::BelowLimit(Some(40.0))
        );
        assert_eq!(
            n(Some(40.0), "<", None, None),
            VlValue::BelowLimit(Some(40.0))
        );
        assert_eq!(
            n(Some(200.0), "<", None, Some(40.0)),
            VlValue::Copies(200.0)
        );
        assert_eq!(n(Some(0.0), "=", None, None), VlValue::NotDetected);
        assert_eq!(
            n(None, "=", Some("detected"), None),
            VlValue::DetectedUnquantified
        );
        assert_eq!(
            n(Some(1200.0), "=", Some("detected"), None),
            VlValue::Copies(1200.0)
        );
        assert_eq!(n(None, "=", Some("pending"), None), VlValue::Pending);
        assert_eq!(n(None, "=", Some("rejected"), None), VlValue::Rejected);
        let who = VlThresholds::WHO;
        assert_eq!(
            VlValue::BelowLimit(Some(1000.0)).classify(who),
            Some(VlInterpretation::Suppressed)
        );
        assert_eq!(
            VlValue::Copies(1000.0).classify(who),
            Some(VlInterpretation::LowLevel)
        );
        assert_eq!(
            VlValue::Copies(1001.0).classify(who),
            Some(VlInterpretation::Unsuppressed)
        );
        assert_eq!(
            VlValue::Copies(50.0).classify(who),
            Some(VlInterpretation::Suppressed)
        );
    }

    #[test]
    fn a_late_first_result_counts_as_the_twelve_month_test_within_the_window() {
        let mut f = Facts {
            today: d("2026-06-01"),
            art: Some(ArtFacts {
                start: Some(d("2025-01-10")),
                ..Default::default()
            }),
            ..Default::default()
        };
        f.viral_loads = vec![VlObservation {
            record_id: None,
            at: d("2025-12-20"),
            value: VlValue::NotDetected,
        }];
        let s = schedule(&f, &RuleSet::who()).unwrap();
        assert_eq!((s.rule_id, s.due), ("HIV.S.2.3", d("2026-12-20")));
        f.viral_loads[0].at = d("2025-12-01");
        let s = schedule(&f, &RuleSet::who()).unwrap();
        assert_eq!((s.rule_id, s.due), ("HIV.S.2.2", d("2026-01-10")));
    }
}
