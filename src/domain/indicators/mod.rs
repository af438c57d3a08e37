//! Programme indicators: PEPFAR MER 2.6.1 TX_CURR, TX_NEW, TX_PVLS (numerator and
//! denominator), TX_ML (by outcome) and TX_RTT, and the 95-95-95 care cascade, for one hospital
//! and a reporting period, disaggregated by MER age band and sex.
//!
//! The database gathers each linked patient's facts as of the period's start and its end in a
//! few grouped queries over plain columns (`services::indicators`); this module decides, for
//! each patient, where they stand on those two days and which indicators count them, with the
//! same interruption rule the worklists use (`cds::retention`), then tallies. No I/O here.
//!
//! - `period`: the reporting period, checked;
//! - `cohort`: a patient's facts and the decision of which indicators count them;
//! - `report`: the tally (age band, sex, TX_ML outcome), the cascade, the network view with
//!   small cells suppressed, and the CSV export.

pub mod cohort;
pub mod period;
pub mod report;

pub use cohort::{CareStatus, Counted, MlOutcome, PatientFacts, StatusFacts};
pub use period::Period;
pub use report::{
    AgeBand, Cascade, Cell, Dashboard, HospitalColumn, IndicatorPatient, IndicatorPatients,
    IndicatorReport, IndicatorValue, NetworkReport, NetworkValue, OutcomeCount, PatientFilter,
    SexGroup, SuppressionMonth,
};

use serde::{Deserialize, Serialize};

/// Below this many patients a number of the network view is not shown.
pub const SMALL_CELL: u64 = 5;

/// MER's threshold: a result under 1,000 copies/mL is suppressed (TX_PVLS).
pub const MER_SUPPRESSED_BELOW: f64 = 1000.0;

/// One number a report gives: an indicator or one part of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Linked to the hospital's HIV care and neither dead nor transferred out at the end of the
    /// period (the cascade's first bar).
    Enrolled,
    TxCurr,
    TxNew,
    /// TX_PVLS denominator.
    TxPvlsD,
    /// TX_PVLS numerator.
    TxPvlsN,
    TxMl,
    TxRtt,
}

impl Measure {
    pub const ALL: [Measure; 7] = [
        Measure::Enrolled,
        Measure::TxCurr,
        Measure::TxNew,
        Measure::TxPvlsD,
        Measure::TxPvlsN,
        Measure::TxMl,
        Measure::TxRtt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Enrolled => "enrolled",
            Measure::TxCurr => "tx_curr",
            Measure::TxNew => "tx_new",
            Measure::TxPvlsD => "tx_pvls_d",
            Measure::TxPvlsN => "tx_pvls_n",
            Measure::TxMl => "tx_ml",
            Measure::TxRtt => "tx_rtt",
        }
    }

    pub fn parse(raw: &str) -> Option<Measure> {
        let raw = raw.trim().to_ascii_lowercase();
        Measure::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    /// The MER code (TX_PVLS for both of its parts).
    pub fn code(self) -> &'static str {
        match self {
            Measure::Enrolled => "ENROLLED",
            Measure::TxCurr => "TX_CURR",
            Measure::TxNew => "TX_NEW",
            Measure::TxPvlsD | Measure::TxPvlsN => "TX_PVLS",
            Measure::TxMl => "TX_ML",
            Measure::TxRtt => "TX_RTT",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Enrolled => "In HIV care",
            Measure::TxCurr => "TX_CURR: currently on ART",
            Measure::TxNew => "TX_NEW: newly started on ART",
            Measure::TxPvlsD => "TX_PVLS (D): on ART with a viral load in 12 months",
            Measure::TxPvlsN => "TX_PVLS (N): suppressed (< 1,000 copies/mL)",
            Measure::TxMl => "TX_ML: interrupted treatment or left care",
            Measure::TxRtt => "TX_RTT: returned to treatment",
        }
    }

    /// How the hospital's data answers the MER definition.
    pub fn definition(self) -> &'static str {
        match self {
            Measure::Enrolled => {
                "Patients linked to the hospital, not known to have died or transferred out by the end of the period."
            }
            Measure::TxCurr => {
                "Started ART at the hospital on or before the period's end, not stopped, no closing tracing outcome (died, transferred out, refused or stopped), and no interruption: less than 28 days since a missed visit or since the last dispensing ran out, without a contact since."
            }
            Measure::TxNew => {
                "The first ART regimen recorded at the hospital is a start dated within the period (a regimen first recorded as a switch or substitution is a transfer in, not new)."
            }
            Measure::TxPvlsD => {
                "Counted in TX_CURR, with a viral-load result (not pending, not rejected) in the 12 months up to the period's end, the latest taken at least 3 months after ART start."
            }
            Measure::TxPvlsN => {
                "Counted in the denominator, the latest result under 1,000 copies/mL (not detected, below the limit of detection, or a number under 1,000; exactly 1,000 is not suppressed)."
            }
            Measure::TxMl => {
                "On treatment at the period's start or newly started in it, and not on treatment at its end: died, transferred out, refused or stopped treatment, or interrupted (by months on treatment before the interruption: under 3, 3 to 5, 6 or more)."
            }
            Measure::TxRtt => {
                "Interrupted at the period's start (28 days or more since a missed visit or lapsed refill, no closing outcome) and on treatment at its end."
            }
        }
    }
}

/// A date of birth's month as the plain `yyyymm` the indicators read.
pub fn birth_month(date_of_birth: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    date_of_birth.year() * 100 + date_of_birth.month() as i32
}
