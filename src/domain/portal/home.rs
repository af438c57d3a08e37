//! The portal's home: the news a patient looks for first. The last viral-load test is read
//! into one of a few plain statements (the interface words each one); nothing here names the
//! condition, so the first screen is safe on a shared phone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::clinical::record::{PatientSummary, VlInterpretation, VlResult};

/// What the last viral-load test showed, as a counsellor would put it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ViralLoadNews {
    /// Too little virus to measure: the medicine is working.
    Undetectable,
    /// A little virus, within the target: the medicine is working.
    Suppressed,
    /// More than the target but not high: keep taking every dose, the clinic will talk it
    /// through and test again.
    SlightlyRaised,
    /// High: the clinic wants to see you soon.
    High,
    /// The sample is still being tested.
    Pending,
    /// The sample could not be tested: the clinic will take another.
    Retest,
}

impl ViralLoadNews {
    /// Reads a result with the thresholds it was interpreted with.
    pub fn of(result: &VlResult) -> Self {
        match (result.interpretation, result.qualitative.as_deref()) {
            (Some(VlInterpretation::Undetectable), _) => ViralLoadNews::Undetectable,
            (Some(VlInterpretation::Suppressed), _) => ViralLoadNews::Suppressed,
            (Some(VlInterpretation::LowLevel), _) => ViralLoadNews::SlightlyRaised,
            (Some(VlInterpretation::Unsuppressed), _) => ViralLoadNews::High,
            (None, Some("rejected")) => ViralLoadNews::Retest,
            // Pending, or "detected" without a number: the clinic has more to say.
            (None, Some("detected")) => ViralLoadNews::SlightlyRaised,
            (None, _) => ViralLoadNews::Pending,
        }
    }

    /// Good news: the medicine is working.
    pub fn is_reassuring(self) -> bool {
        matches!(
            self,
            ViralLoadNews::Undetectable | ViralLoadNews::Suppressed
        )
    }
}

/// The last viral-load test: when the sample was taken and what it showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LastTest {
    pub on: NaiveDate,
    pub news: ViralLoadNews,
}

/// The treatment the patient takes now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Treatment {
    /// As the clinic wrote it, e.g. `TDF+3TC+DTG`.
    pub regimen: String,
    pub since: NaiveDate,
}

/// The home page of the portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PortalHome {
    pub first_name: String,
    pub last_viral_load: Option<LastTest>,
    pub treatment: Option<Treatment>,
    /// The next visit booked at any hospital.
    pub next_appointment: Option<DateTime<Utc>>,
    /// The visits booked from now on, soonest first (at most five), each on its hospital's
    /// clock.
    #[serde(default)]
    pub visits: Vec<MyVisit>,
    /// What the care team's rules suggest, in the patient's words (most urgent first).
    #[serde(default)]
    pub care: Vec<CareNote>,
}

/// A decision-support flag as the patient reads it: what to do, without alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CareNote {
    TalkSoon,
    ComeBack,
    ExtraCare,
    ExtraTest,
    TestDue,
    RepeatTest,
    Cd4Due,
    KidneyTest,
    VisitDue,
}

impl CareNote {
    /// The note a flag of this kind becomes (none for what the patient need not act on).
    pub fn of(kind: crate::domain::cds::FlagKind) -> Option<CareNote> {
        use crate::domain::cds::FlagKind as K;
        Some(match kind {
            K::Unsuppressed
            | K::VirologicalFailure
            | K::ImmunologicalFailure
            | K::ClinicalFailure => CareNote::TalkSoon,
            K::InterruptionInTreatment => CareNote::ComeBack,
            K::AdvancedDisease => CareNote::ExtraCare,
            K::CryptococcalAntigen => CareNote::ExtraTest,
            K::ViralLoadDue | K::ViralLoadOverdue => CareNote::TestDue,
            K::LowLevelViraemia => CareNote::RepeatTest,
            K::Cd4Due => CareNote::Cd4Due,
            K::RenalMonitoring => CareNote::KidneyTest,
            K::ClinicalVisitDue => CareNote::VisitDue,
            K::SeenElsewhere => return None,
        })
    }
}

/// A visit as the patient sees it: when, where, and whether it still stands. Nothing of why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyVisit {
    pub appointment_id: uuid::Uuid,
    pub hospital_id: uuid::Uuid,
    pub hospital_name: String,
    pub scheduled_start: DateTime<Utc>,
    /// On the hospital's clock.
    #[cfg_attr(feature = "server", schema(value_type = String, example = "2026-05-07T09:00:00"))]
    pub local_start: chrono::NaiveDateTime,
    pub status: crate::domain::scheduling::appointment::AppointmentStatus,
}

/// `GET /me/appointments`: the visits booked from now on, soonest first, and the past ones,
/// latest first (at most 20 each).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyVisits {
    pub upcoming: Vec<MyVisit>,
    pub past: Vec<MyVisit>,
}

impl PortalHome {
    /// The home from the patient's whole-record summary.
    pub fn from_summary(first_name: String, summary: &PatientSummary) -> Self {
        let treatment = match (summary.art_status.as_str(), &summary.current_regimen) {
            ("on_art", Some(r)) => Some(Treatment {
                regimen: r.regimen.clone(),
                since: r.since.date_naive(),
            }),
            _ => None,
        };
        PortalHome {
            first_name,
            last_viral_load: summary.latest_viral_load.as_ref().map(|vl| LastTest {
                on: vl.recorded_at.date_naive(),
                news: ViralLoadNews::of(vl),
            }),
            treatment,
            next_appointment: summary.next_appointment,
            visits: Vec::new(),
            care: {
                let mut notes: Vec<CareNote> = Vec::new();
                for note in summary.flags.iter().filter_map(|f| CareNote::of(f.kind)) {
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                }
                notes
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::domain::clinical::record::{interpret_vl, VlThresholds};

    fn result(copies: Option<f64>, comparator: &str, qualitative: Option<&str>) -> VlResult {
        VlResult {
            record_id: Uuid::nil(),
            recorded_at: Utc.with_ymd_and_hms(2026, 7, 12, 9, 0, 0).unwrap(),
            copies_per_ml: copies,
            comparator: comparator.into(),
            qualitative: qualitative.map(str::to_string),
            interpretation: interpret_vl(copies, comparator, qualitative, None, VlThresholds::WHO),
        }
    }

    #[test]
    fn each_result_reads_as_one_plain_statement() {
        let cases = [
            (result(Some(40.0), "<", None), ViralLoadNews::Undetectable),
            (
                result(None, "=", Some("not_detected")),
                ViralLoadNews::Undetectable,
            ),
            (result(Some(45.0), "=", None), ViralLoadNews::Suppressed),
            (
                result(Some(400.0), "=", None),
                ViralLoadNews::SlightlyRaised,
            ),
            (
                result(Some(1000.0), "=", None),
                ViralLoadNews::SlightlyRaised,
            ),
            (result(Some(1001.0), "=", None), ViralLoadNews::High),
            (result(None, "=", Some("pending")), ViralLoadNews::Pending),
            (result(None, "=", Some("rejected")), ViralLoadNews::Retest),
            (
                result(None, "=", Some("detected")),
                ViralLoadNews::SlightlyRaised,
            ),
        ];
        for (r, expected) in cases {
            assert_eq!(ViralLoadNews::of(&r), expected, "{r:?}");
        }
        assert!(ViralLoadNews::Undetectable.is_reassuring());
        assert!(!ViralLoadNews::Pending.is_reassuring());
    }
}
