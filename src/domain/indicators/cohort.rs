//! Which indicators count a patient: where they stand on the day before the period starts and
//! on its last day (on treatment, interrupted, stopped, or a closing tracing outcome), when
//! they started ART, and their latest viral load in the 12 months up to the period's end.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::report::{AgeBand, SexGroup};
use super::{Measure, Period, MER_SUPPRESSED_BELOW};
use crate::domain::cds::facts::{ArtFacts, Facts, RetentionFacts};
use crate::domain::cds::retention::{retention, Retention, TracingOutcome};
use crate::domain::cds::viral_load::VlValue;
use crate::domain::cds::{add_days, add_months, RuleSet};

/// What a patient's records at the hospital say as of one day (everything dated up to and
/// including it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusFacts {
    /// The latest ART regimen record that is not a stop (a start, switch or substitution).
    pub last_regimen: Option<NaiveDate>,
    /// The latest ART stop.
    pub last_stop: Option<NaiveDate>,
    /// The last contact: a record written or a visit attended.
    pub last_contact: Option<NaiveDate>,
    /// When the medicines last dispensed run out.
    pub supply_until: Option<NaiveDate>,
    /// The first booked visit missed after the last contact.
    pub missed_visit: Option<NaiveDate>,
    /// The latest tracing outcome, with its date.
    pub outcome: Option<(TracingOutcome, NaiveDate)>,
}

/// One patient linked to the hospital, as the database gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientFacts {
    pub patient_id: Uuid,
    /// Month of birth as `yyyymm`, when known.
    pub birth_month: Option<i32>,
    /// `female`, `male`, `other`, `prefer_not_to_say`.
    pub sex: String,
    /// The first ART regimen record at the hospital, of any action.
    pub first_regimen: Option<NaiveDate>,
    /// The first ART start at the hospital.
    pub first_start: Option<NaiveDate>,
    /// As of the day before the period starts.
    pub at_start: StatusFacts,
    /// As of the period's last day.
    pub at_end: StatusFacts,
    /// The latest viral-load result in the 12 months up to the period's end (pending and
    /// rejected samples left out).
    pub latest_vl: Option<(NaiveDate, VlValue)>,
}

/// Where a patient stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CareStatus {
    /// No ART started at the hospital by then.
    NotStarted,
    OnTreatment,
    /// 28 days or more since a missed visit or a lapsed refill (`expected`), no contact since.
    Interrupted {
        expected: NaiveDate,
        since: NaiveDate,
    },
    /// A closing tracing outcome with no contact after it.
    Outcome {
        outcome: TracingOutcome,
        on: NaiveDate,
    },
    /// ART stopped (the latest regimen record is a stop).
    Stopped {
        on: NaiveDate,
    },
}

impl CareStatus {
    pub fn on_treatment(self) -> bool {
        self == CareStatus::OnTreatment
    }

    /// How a list writes it.
    pub fn describe(self) -> String {
        use crate::domain::cds::long_date;
        match self {
            CareStatus::NotStarted => "not on ART".into(),
            CareStatus::OnTreatment => "on ART".into(),
            CareStatus::Interrupted { expected, since } => format!(
                "interrupted since {} (expected {})",
                long_date(since),
                long_date(expected)
            ),
            CareStatus::Outcome { outcome, on } => {
                format!(
                    "{} ({}), {}",
                    outcome.label(),
                    outcome.code(),
                    long_date(on)
                )
            }
            CareStatus::Stopped { on } => format!("ART stopped {}", long_date(on)),
        }
    }
}

/// TX_ML's disaggregation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MlOutcome {
    Died,
    /// Interrupted after less than 3 months on treatment.
    #[serde(rename = "iit_under_3_months")]
    IitUnder3Months,
    /// After 3 to 5 months.
    #[serde(rename = "iit_3_to_5_months")]
    Iit3To5Months,
    /// After 6 months or more.
    #[serde(rename = "iit_6_months_plus")]
    Iit6MonthsPlus,
    TransferredOut,
    RefusedStopped,
}

impl MlOutcome {
    pub const ALL: [MlOutcome; 6] = [
        MlOutcome::Died,
        MlOutcome::IitUnder3Months,
        MlOutcome::Iit3To5Months,
        MlOutcome::Iit6MonthsPlus,
        MlOutcome::TransferredOut,
        MlOutcome::RefusedStopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MlOutcome::Died => "died",
            MlOutcome::IitUnder3Months => "iit_under_3_months",
            MlOutcome::Iit3To5Months => "iit_3_to_5_months",
            MlOutcome::Iit6MonthsPlus => "iit_6_months_plus",
            MlOutcome::TransferredOut => "transferred_out",
            MlOutcome::RefusedStopped => "refused_stopped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MlOutcome::Died => "Died",
            MlOutcome::IitUnder3Months => "Interrupted, under 3 months on treatment",
            MlOutcome::Iit3To5Months => "Interrupted, 3 to 5 months on treatment",
            MlOutcome::Iit6MonthsPlus => "Interrupted, 6 months or more on treatment",
            MlOutcome::TransferredOut => "Transferred out",
            MlOutcome::RefusedStopped => "Refused or stopped treatment",
        }
    }
}

/// A patient with the indicators that count them.
#[derive(Clone, Debug, PartialEq)]
pub struct Counted {
    pub patient_id: Uuid,
    pub age_band: AgeBand,
    pub sex: SexGroup,
    pub measures: Vec<Measure>,
    pub ml_outcome: Option<MlOutcome>,
    /// Where they stand at the period's end, for the drill-down lists.
    pub status: CareStatus,
    pub latest_vl: Option<(NaiveDate, VlValue)>,
}

impl Counted {
    pub fn counts_in(&self, m: Measure) -> bool {
        self.measures.contains(&m)
    }
}

/// The ART start the indicators use: the first start, else the first regimen recorded (a
/// patient who came on treatment from elsewhere).
fn art_start(p: &PatientFacts) -> Option<NaiveDate> {
    match (p.first_start, p.first_regimen) {
        (Some(s), Some(r)) => Some(s.min(r)),
        (s, r) => s.or(r),
    }
}

/// The latest tracing outcome if it closes the patient's care: a death whatever is written
/// after it (a note confirming it, say), the other closing outcomes until the patient is seen
/// again.
fn closing_outcome(s: &StatusFacts) -> Option<(TracingOutcome, NaiveDate)> {
    let (outcome, at) = s.outcome?;
    let final_ = outcome == TracingOutcome::Died;
    (outcome.closes() && (final_ || s.last_contact.is_none_or(|c| c <= at)))
        .then_some((outcome, at))
}

/// Where the patient stands on `on`, from the facts as of that day.
pub fn status_on(
    s: &StatusFacts,
    start: Option<NaiveDate>,
    on: NaiveDate,
    rules: &RuleSet,
) -> CareStatus {
    let Some(start) = start.filter(|d| *d <= on) else {
        return CareStatus::NotStarted;
    };
    if let Some((outcome, on)) = closing_outcome(s) {
        return CareStatus::Outcome { outcome, on };
    }
    if let Some(stop) = s.last_stop {
        if s.last_regimen.is_none_or(|r| stop >= r) {
            return CareStatus::Stopped { on: stop };
        }
    }
    let facts = Facts {
        today: on,
        art: Some(ArtFacts {
            start: Some(start),
            regimen: String::new(),
            arvs: Vec::new(),
            line: None,
        }),
        retention: RetentionFacts {
            last_contact_here: s.last_contact,
            missed_visit: s.missed_visit,
            supply_until: s.supply_until,
            ..Default::default()
        },
        ..Default::default()
    };
    match retention(&facts, rules) {
        Some(Retention::Interrupted {
            expected, since, ..
        }) => CareStatus::Interrupted { expected, since },
        _ => CareStatus::OnTreatment,
    }
}

/// Whether a result counts as suppressed for TX_PVLS (under 1,000 copies/mL).
pub fn mer_suppressed(v: VlValue) -> bool {
    match v {
        VlValue::NotDetected => true,
        VlValue::BelowLimit(limit) => limit.is_none_or(|l| l <= MER_SUPPRESSED_BELOW),
        VlValue::Copies(c) => c < MER_SUPPRESSED_BELOW,
        VlValue::DetectedUnquantified | VlValue::Pending | VlValue::Rejected => false,
    }
}

/// Whole months from `from` to `to`.
fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut months = 0;
    while months < 1200 && add_months(from, months + 1) <= to {
        months += 1;
    }
    months
}

fn ml_outcome(end: CareStatus, start: Option<NaiveDate>) -> Option<MlOutcome> {
    Some(match end {
        CareStatus::NotStarted | CareStatus::OnTreatment => return None,
        CareStatus::Outcome { outcome, .. } => match outcome {
            TracingOutcome::Died => MlOutcome::Died,
            TracingOutcome::TransferredOut | TracingOutcome::SelfTransferred => {
                MlOutcome::TransferredOut
            }
            _ => MlOutcome::RefusedStopped,
        },
        CareStatus::Stopped { .. } => MlOutcome::RefusedStopped,
        CareStatus::Interrupted { expected, .. } => {
            match start.map(|s| months_between(s, expected)).unwrap_or(0) {
                0..=2 => MlOutcome::IitUnder3Months,
                3..=5 => MlOutcome::Iit3To5Months,
                _ => MlOutcome::Iit6MonthsPlus,
            }
        }
    })
}

/// Decides which indicators of `period` count the patient.
pub fn count(p: &PatientFacts, period: Period, rules: &RuleSet) -> Counted {
    let start = art_start(p);
    let before = add_days(period.start, -1);
    let begin = status_on(&p.at_start, start, before, rules);
    let end = status_on(&p.at_end, start, period.end, rules);
    let mut measures = Vec::new();
    // Out of care: died or transferred out by the period's end, on treatment or not yet.
    let left = closing_outcome(&p.at_end).is_some_and(|(o, _)| {
        matches!(
            o,
            TracingOutcome::Died | TracingOutcome::TransferredOut | TracingOutcome::SelfTransferred
        )
    });
    if !left {
        measures.push(Measure::Enrolled);
    }
    let new = p.first_start.is_some_and(|s| {
        s >= period.start && s <= period.end && p.first_regimen.is_none_or(|r| r >= s)
    });
    if new {
        measures.push(Measure::TxNew);
    }
    if end.on_treatment() {
        measures.push(Measure::TxCurr);
        let tested = p.latest_vl.filter(|(at, v)| {
            v.is_result()
                && *at <= period.end
                && *at > add_months_back(period.end, 12)
                && start.is_some_and(|s| *at >= add_months(s, 3))
        });
        if let Some((_, v)) = tested {
            measures.push(Measure::TxPvlsD);
            if mer_suppressed(v) {
                measures.push(Measure::TxPvlsN);
            }
        }
    }
    let ml = if (begin.on_treatment() || new) && !end.on_treatment() {
        ml_outcome(end, start)
    } else {
        None
    };
    if ml.is_some() {
        measures.push(Measure::TxMl);
    }
    if matches!(begin, CareStatus::Interrupted { .. }) && end.on_treatment() {
        measures.push(Measure::TxRtt);
    }
    Counted {
        patient_id: p.patient_id,
        age_band: AgeBand::of(p.birth_month, period.end),
        sex: SexGroup::of(&p.sex),
        measures,
        ml_outcome: ml,
        status: end,
        latest_vl: p.latest_vl,
    }
}

/// `date` minus `months` calendar months.
pub fn add_months_back(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// The first day of the 12-month viral-load window ending on `end` (the window is the days
/// after the same date a year earlier, up to `end`).
pub fn vl_window_start(end: NaiveDate) -> NaiveDate {
    add_days(add_months_back(end, 12), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn outcomes_are_written_by_their_codes() {
        for o in MlOutcome::ALL {
            assert_eq!(
                serde_json::to_value(o).unwrap(),
                serde_json::json!(o.as_str())
            );
        }
    }

    fn q3() -> Period {
        Period {
            start: d("2025-07-01"),
            end: d("2025-09-30"),
        }
    }

    fn on_art_since(start: &str) -> PatientFacts {
        let contact = StatusFacts {
            last_regimen: Some(d(start)),
            last_contact: Some(d("2025-06-20")),
            supply_until: Some(d("2025-09-18")),
            ..Default::default()
        };
        PatientFacts {
            patient_id: Uuid::nil(),
            birth_month: Some(199003),
            sex: "female".into(),
            first_regimen: Some(d(start)),
            first_start: Some(d(start)),
            at_start: contact.clone(),
            at_end: StatusFacts {
                last_contact: Some(d("2025-09-10")),
                supply_until: Some(d("2025-12-09")),
                ..contact
            },
            latest_vl: None,
        }
    }

    fn measures(p: &PatientFacts) -> Vec<Measure> {
        count(p, q3(), &RuleSet::who()).measures
    }

    #[test]
    fn on_treatment_with_a_suppressed_result_counts_in_pvls() {
        let mut p = on_art_since("2020-01-01");
        p.latest_vl = Some((d("2025-03-01"), VlValue::Copies(999.0)));
        assert_eq!(
            measures(&p),
            [
                Measure::Enrolled,
                Measure::TxCurr,
                Measure::TxPvlsD,
                Measure::TxPvlsN
            ]
        );
        p.latest_vl = Some((d("2025-03-01"), VlValue::Copies(1000.0)));
        assert_eq!(
            measures(&p),
            [Measure::Enrolled, Measure::TxCurr, Measure::TxPvlsD]
        );
        // Older than 12 months: not in the denominator.
        p.latest_vl = Some((d("2024-09-30"), VlValue::NotDetected));
        assert_eq!(measures(&p), [Measure::Enrolled, Measure::TxCurr]);
        p.latest_vl = Some((d("2024-10-01"), VlValue::NotDetected));
        assert!(measures(&p).contains(&Measure::TxPvlsN));
    }

    #[test]
    fn a_result_under_3_months_on_art_is_not_counted() {
        let mut p = on_art_since("2025-07-10");
        p.at_start = StatusFacts::default();
        p.latest_vl = Some((d("2025-09-01"), VlValue::NotDetected));
        assert_eq!(
            measures(&p),
            [Measure::Enrolled, Measure::TxNew, Measure::TxCurr]
        );
        p.latest_vl = Some((d("2025-09-30"), VlValue::NotDetected));
        p.first_start = Some(d("2025-06-30"));
        p.first_regimen = p.first_start;
        assert!(measures(&p).contains(&Measure::TxPvlsN));
    }

    #[test]
    fn interruption_is_told_by_months_on_treatment() {
        let mut p = on_art_since("2025-05-01");
        p.at_end = StatusFacts {
            last_regimen: Some(d("2025-05-01")),
            last_contact: Some(d("2025-06-20")),
            supply_until: Some(d("2025-07-20")),
            ..Default::default()
        };
        let c = count(&p, q3(), &RuleSet::who());
        assert_eq!(c.ml_outcome, Some(MlOutcome::IitUnder3Months));
        assert_eq!(
            c.status,
            CareStatus::Interrupted {
                expected: d("2025-07-20"),
                since: d("2025-08-17")
            }
        );
        p.first_start = Some(d("2025-01-20"));
        p.first_regimen = p.first_start;
        assert_eq!(
            count(&p, q3(), &RuleSet::who()).ml_outcome,
            Some(MlOutcome::Iit6MonthsPlus)
        );
        p.first_start = Some(d("2025-04-20"));
        p.first_regimen = p.first_start;
        assert_eq!(
            count(&p, q3(), &RuleSet::who()).ml_outcome,
            Some(MlOutcome::Iit3To5Months)
        );
    }

    #[test]
    fn a_return_after_an_interruption_is_tx_rtt() {
        let mut p = on_art_since("2020-01-01");
        p.at_start.supply_until = Some(d("2025-05-01"));
        p.at_start.last_contact = Some(d("2025-02-01"));
        assert!(measures(&p).contains(&Measure::TxRtt));
        assert!(!measures(&p).contains(&Measure::TxMl));
    }

    #[test]
    fn a_patient_who_died_before_starting_art_is_not_in_care() {
        let mut p = on_art_since("2020-01-01");
        p.first_start = None;
        p.first_regimen = None;
        p.at_end.outcome = Some((TracingOutcome::Died, d("2025-08-01")));
        assert_eq!(measures(&p), Vec::<Measure>::new());
        p.at_end.outcome = Some((TracingOutcome::NotLocated, d("2025-08-01")));
        assert_eq!(measures(&p), [Measure::Enrolled]);
    }

    #[test]
    fn closing_outcomes_leave_care_unless_seen_after() {
        let mut p = on_art_since("2020-01-01");
        p.at_end.outcome = Some((TracingOutcome::Died, d("2025-09-15")));
        let c = count(&p, q3(), &RuleSet::who());
        assert_eq!(c.ml_outcome, Some(MlOutcome::Died));
        assert_eq!(c.measures, [Measure::TxMl]);
        p.at_end.outcome = Some((TracingOutcome::Died, d("2025-09-01")));
        assert_eq!(
            count(&p, q3(), &RuleSet::who()).ml_outcome,
            Some(MlOutcome::Died),
            "a record written after a death does not bring the patient back"
        );
        p.at_end.outcome = Some((TracingOutcome::TransferredOut, d("2025-09-01")));
        assert_eq!(
            count(&p, q3(), &RuleSet::who()).measures,
            [Measure::Enrolled, Measure::TxCurr],
            "seen on 10 September after the transfer"
        );
        p.at_end.outcome = Some((TracingOutcome::NotLocated, d("2025-09-15")));
        assert!(measures(&p).contains(&Measure::TxCurr));
        p.at_end.outcome = Some((TracingOutcome::RefusedToReturn, d("2025-09-15")));
        assert_eq!(
            count(&p, q3(), &RuleSet::who()).ml_outcome,
            Some(MlOutcome::RefusedStopped)
        );
    }

    #[test]
    fn stopping_art_and_transfers_in() {
        let mut p = on_art_since("2020-01-01");
        p.at_end.last_stop = Some(d("2025-08-01"));
        p.at_end.last_regimen = Some(d("2024-01-01"));
        assert_eq!(
            count(&p, q3(), &RuleSet::who()).ml_outcome,
            Some(MlOutcome::RefusedStopped)
        );
        // Restarted after the stop.
        p.at_end.last_regimen = Some(d("2025-09-01"));
        assert!(measures(&p).contains(&Measure::TxCurr));
        // Transferred in during the period: on treatment, not new.
        let mut t = on_art_since("2025-08-01");
        t.first_start = None;
        t.at_start = StatusFacts::default();
        assert_eq!(measures(&t), [Measure::Enrolled, Measure::TxCurr]);
    }

    #[test]
    fn months_are_whole_calendar_months() {
        assert_eq!(months_between(d("2025-01-31"), d("2025-02-28")), 1);
        assert_eq!(months_between(d("2025-01-15"), d("2025-04-14")), 2);
        assert_eq!(months_between(d("2025-01-15"), d("2025-04-15")), 3);
        assert_eq!(vl_window_start(d("2025-09-30")), d("2024-10-01"));
    }
}
