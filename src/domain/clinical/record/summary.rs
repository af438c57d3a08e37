//! The HIV summary of a patient: viral-load interpretation with a hospital's thresholds (WHO by
//! default), the latest results, the current regimen and the decision-support flags.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Viral-load thresholds of a hospital's rule set (copies/mL).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VlThresholds {
    /// Above this (and detectable) is low-level viraemia; at or below is suppressed.
    pub low_level_above: f64,
    /// Above this is unsuppressed.
    pub unsuppressed_above: f64,
}

impl VlThresholds {
    /// WHO 2021 (HIV.D17.DT): suppressed up to 50 copies/mL, low-level viraemia 51-1000,
    /// unsuppressed above 1000.
    pub const WHO: VlThresholds = VlThresholds {
        low_level_above: 50.0,
        unsuppressed_above: 1000.0,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VlInterpretation {
    Undetectable,
    Suppressed,
    LowLevel,
    Unsuppressed,
}

impl VlInterpretation {
    pub fn label(self) -> &'static str {
        match self {
            VlInterpretation::Undetectable => "Undetectable",
            VlInterpretation::Suppressed => "Suppressed",
            VlInterpretation::LowLevel => "Low-level viraemia",
            VlInterpretation::Unsuppressed => "Unsuppressed",
        }
    }
}

/// Interprets a result; `None` when there is nothing to interpret (pending, rejected, or
/// detected without a number). The decision-support rules read results the same way.
pub fn interpret_vl(
    copies: Option<f64>,
    comparator: &str,
    qualitative: Option<&str>,
    lower_limit: Option<f64>,
    t: VlThresholds,
) -> Option<VlInterpretation> {
    crate::domain::cds::viral_load::VlValue::normalise(copies, comparator, qualitative, lower_limit)
        .classify(t)
}

/// A viral-load result in the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VlResult {
    pub record_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub copies_per_ml: Option<f64>,
    pub comparator: String,
    pub qualitative: Option<String>,
    pub interpretation: Option<VlInterpretation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Cd4Result {
    pub record_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub cells_per_ul: Option<i64>,
    pub percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CurrentRegimen {
    pub regimen: String,
    pub line: Option<String>,
    pub since: DateTime<Utc>,
}

/// A decision-support flag: what fired, why, what to do, the reference.
pub use crate::domain::cds::Flag;

/// The HIV summary of a patient as the caller's hospital sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PatientSummary {
    pub patient_id: Uuid,
    /// `on_art`, `stopped` or `not_started`.
    pub art_status: String,
    pub art_start: Option<DateTime<Utc>>,
    pub current_regimen: Option<CurrentRegimen>,
    pub latest_viral_load: Option<VlResult>,
    pub previous_viral_load: Option<VlResult>,
    pub latest_cd4: Option<Cd4Result>,
    pub last_record_at: Option<DateTime<Utc>>,
    pub next_appointment: Option<DateTime<Utc>>,
    pub thresholds: VlThresholds,
    pub flags: Vec<Flag>,
    /// How many other hospitals hold records of the patient this hospital cannot see without
    /// the patient's consent (which ones and what is not said).
    #[serde(default)]
    pub hospitals_withheld: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viral_loads_are_interpreted_with_who_thresholds() {
        let who = VlThresholds::WHO;
        let i = |c: Option<f64>, cmp: &str, q: Option<&str>| interpret_vl(c, cmp, q, None, who);
        assert_eq!(
            i(None, "=", Some("not_detected")),
            Some(VlInterpretation::Undetectable)
        );
        assert_eq!(
            i(Some(40.0), "<", None),
            Some(VlInterpretation::Undetectable)
        );
        assert_eq!(i(Some(50.0), "=", None), Some(VlInterpretation::Suppressed));
        assert_eq!(i(Some(51.0), "=", None), Some(VlInterpretation::LowLevel));
        assert_eq!(i(Some(1000.0), "=", None), Some(VlInterpretation::LowLevel));
        assert_eq!(
            i(Some(1001.0), "=", None),
            Some(VlInterpretation::Unsuppressed)
        );
        assert_eq!(i(None, "=", Some("pending")), None);
        let strict = VlThresholds {
            low_level_above: 20.0,
            unsuppressed_above: 200.0,
        };
        assert_eq!(
            interpret_vl(Some(300.0), "=", None, None, strict),
            Some(VlInterpretation::Unsuppressed)
        );
    }
}
