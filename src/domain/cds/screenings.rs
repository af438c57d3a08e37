//! HIV.D12.DT: recommended screenings and tests, as data (the 15 rows with their conditions
//! and the tests each recommends), and the chart's flags drawn from it: advanced HIV disease
//! (CD4 below 200 from 5 years of age; every child under 5 not on ART), the cryptococcal
//! antigen test at ART start (CD4 at most 200, older than 10), renal monitoring on TDF.

use super::facts::{Arv, Facts};
use super::flag::{Evidence, Flag, FlagKind, Severity, WHO_2021};
use super::{add_days, long_date, RuleSet};

/// Why the person came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisitReason {
    /// An HIV testing services visit.
    Testing,
    ArtInitiation,
    ClinicalVisit,
}

/// Ages a row applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeCondition {
    Any,
    AtLeast(u32),
    Under(u32),
    Over(u32),
}

impl AgeCondition {
    fn holds(self, age: Option<u32>) -> bool {
        match (self, age) {
            (AgeCondition::Any, _) => true,
            (_, None) => false,
            (AgeCondition::AtLeast(n), Some(a)) => a >= n,
            (AgeCondition::Under(n), Some(a)) => a < n,
            (AgeCondition::Over(n), Some(a)) => a > n,
        }
    }
}

/// What a screening row reads.
#[derive(Clone, Debug, PartialEq)]
pub struct ScreeningInputs {
    pub reason: VisitReason,
    pub age: Option<u32>,
    pub hiv_positive: bool,
    pub on_art: bool,
    pub female: bool,
    pub cd4: Option<i64>,
    pub medications: Vec<Arv>,
    pub suspected_failure_or_interruption: bool,
}

/// One row of HIV.D12.DT; `None` conditions are the table's `-`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScreeningRule {
    pub id: &'static str,
    pub reason: VisitReason,
    pub age: AgeCondition,
    pub hiv_positive: Option<bool>,
    pub on_art: Option<bool>,
    pub female: Option<bool>,
    pub cd4_at_most: Option<i64>,
    pub medication: Option<Arv>,
    pub suspected_failure_or_interruption: Option<bool>,
    /// The tests and screenings the row recommends (the DAK's words).
    pub recommended: &'static [&'static str],
    /// The tests it calls desirable.
    pub desirable: &'static [&'static str],
}

const ANY: ScreeningRule = ScreeningRule {
    id: "",
    reason: VisitReason::ClinicalVisit,
    age: AgeCondition::Any,
    hiv_positive: None,
    on_art: None,
    female: None,
    cd4_at_most: None,
    medication: None,
    suspected_failure_or_interruption: None,
    recommended: &[],
    desirable: &[],
};

const AT_DIAGNOSIS: &[&str] = &[
    "HBV (HBsAg) serology",
    "HCV serology",
    "Screen for sexually transmitted infections",
    "Assess for major noncommunicable chronic diseases and comorbidities",
];

/// The 15 rows of HIV.D12.DT in the table's order.
pub const SCREENING_RULES: [ScreeningRule; 15] = [
    ScreeningRule {
        id: "HIV.D12.DT.01",
        reason: VisitReason::Testing,
        age: AgeCondition::AtLeast(20),
        hiv_positive: Some(true),
        on_art: Some(false),
        recommended: &["CD4 cell count", "TB symptom screening"],
        desirable: AT_DIAGNOSIS,
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.02",
        reason: VisitReason::Testing,
        age: AgeCondition::Under(20),
        hiv_positive: Some(true),
        on_art: Some(false),
        recommended: &["CD4 cell count", "TB symptom screening"],
        desirable: AT_DIAGNOSIS,
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.03",
        reason: VisitReason::Testing,
        hiv_positive: Some(true),
        on_art: Some(false),
        cd4_at_most: Some(100),
        desirable: &["Cryptococcus antigen test"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.04",
        reason: VisitReason::Testing,
        hiv_positive: Some(true),
        on_art: Some(false),
        female: Some(true),
        desirable: &["Pregnancy test"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.05",
        reason: VisitReason::ArtInitiation,
        on_art: Some(false),
        recommended: &[
            "Baseline CD4 cell count for identifying advanced HIV disease",
            "Age-appropriate TB symptom screening",
        ],
        desirable: &["Blood pressure measurement"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.06",
        reason: VisitReason::ArtInitiation,
        age: AgeCondition::Over(10),
        on_art: Some(false),
        cd4_at_most: Some(200),
        recommended: &["Perform a cryptococcal antigen for adults and adolescents"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.07",
        reason: VisitReason::ArtInitiation,
        on_art: Some(false),
        medication: Some(Arv::Azt),
        desirable: &["Haemoglobin test"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.08",
        reason: VisitReason::ArtInitiation,
        on_art: Some(false),
        medication: Some(Arv::Tdf),
        desirable: &[
            "Serum creatinine test",
            "Estimated glomerular filtration rate (eGFR)",
        ],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.09",
        reason: VisitReason::ArtInitiation,
        on_art: Some(false),
        female: Some(true),
        desirable: &["Pregnancy test"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.10",
        age: AgeCondition::AtLeast(20),
        on_art: Some(true),
        recommended: &[
            "HIV viral load test ≤ (ART start date + 6 months)",
            "HIV viral load test ≤ (ART start date + 12 months)",
            "HIV viral load test every 12 months thereafter",
        ],
        desirable: &["Serum creatinine and estimated glomerular filtration rate for TDF"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.11",
        age: AgeCondition::Under(20),
        on_art: Some(true),
        recommended: &[
            "HIV viral load test ≤ (ART start date + 6 months)",
            "HIV viral load test ≤ (ART start date + 12 months)",
            "HIV viral load test every 12 months thereafter",
        ],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.12",
        on_art: Some(true),
        female: Some(true),
        recommended: &["Pregnancy test"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.13",
        on_art: Some(true),
        medication: Some(Arv::Tdf),
        desirable: &[
            "Serum creatinine",
            "Estimated glomerular filtration rate for TDF",
        ],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.14",
        age: AgeCondition::AtLeast(20),
        suspected_failure_or_interruption: Some(true),
        desirable: &["HBV (HBsAg) serology"],
        ..ANY
    },
    ScreeningRule {
        id: "HIV.D12.DT.15",
        age: AgeCondition::Under(20),
        suspected_failure_or_interruption: Some(true),
        desirable: &["HBV (HBsAg) serology"],
        ..ANY
    },
];

impl ScreeningRule {
    pub fn holds(&self, i: &ScreeningInputs) -> bool {
        self.reason == i.reason
            && self.age.holds(i.age)
            && self.hiv_positive.is_none_or(|v| v == i.hiv_positive)
            && self.on_art.is_none_or(|v| v == i.on_art)
            && self.female.is_none_or(|v| v == i.female)
            && self
                .cd4_at_most
                .is_none_or(|limit| i.cd4.is_some_and(|c| c <= limit))
            && self.medication.is_none_or(|m| i.medications.contains(&m))
            && self
                .suspected_failure_or_interruption
                .is_none_or(|v| v == i.suspected_failure_or_interruption)
    }
}

/// The rows that hold, in the table's order (hit policy: rule order).
pub fn recommended(i: &ScreeningInputs) -> Vec<&'static ScreeningRule> {
    SCREENING_RULES.iter().filter(|r| r.holds(i)).collect()
}

/// LOINC codes of serum creatinine and eGFR results.
pub const RENAL_LOINC: [&str; 6] = [
    "2160-0", "33914-3", "62238-1", "98979-8", "48642-3", "48643-1",
];

fn reference(id: &str) -> String {
    format!("WHO HIV DAK, HIV.D12.DT Determine recommended screenings and tests ({id}); {WHO_2021}")
}

fn base(r: &RuleSet, id: &str, kind: FlagKind, severity: Severity, title: &str) -> Flag {
    Flag {
        rule_id: id.to_string(),
        kind,
        severity,
        title: title.to_string(),
        since: None,
        why: String::new(),
        evidence: Vec::new(),
        action: String::new(),
        reference: reference(id),
        rule_set: r.label(),
        patient_text: String::new(),
    }
}

/// The chart's screening flags.
pub fn flags(f: &Facts, r: &RuleSet) -> Vec<Flag> {
    let mut out = Vec::new();
    let age = f.age();
    let latest_cd4 = f.cd4.iter().find_map(|c| c.cells.map(|n| (c.at, n)));
    let on_art = f.art.is_some();
    // Advanced HIV disease: CD4 below the set's threshold from 5 years of age; every child under
    // 5 not yet on ART.
    let ahd = match (age, latest_cd4) {
        (Some(a), _) if a < 5 && !on_art => Some((
            "a child under 5 years living with HIV, not yet on ART".to_string(),
            vec![Evidence::new("Age", format!("{a} years"), None)],
            None,
        )),
        (a, Some((at, n))) if a.is_none_or(|a| a >= 5) && n < r.ahd_cd4_below => Some((
            format!("a CD4 count below {} cells/mm3", r.ahd_cd4_below),
            vec![Evidence::new("CD4", format!("{n} cells/mm3"), Some(at))],
            Some(at),
        )),
        _ => None,
    };
    if let Some((why, evidence, since)) = ahd {
        out.push(Flag {
            since,
            why,
            evidence,
            action: "Offer the advanced HIV disease package: CrAg and TB LAM screening, co-trimoxazole, rapid ART start or adherence review.".into(),
            patient_text: "Your last blood test shows your body needs extra care. Your care team will offer you more tests and medicines to protect you.".into(),
            ..base(r, "HIV.D12.DT.05", FlagKind::AdvancedDisease, Severity::Urgent, "Advanced HIV disease")
        });
    }
    // CrAg at ART start (not on ART, or started within the set's window).
    let starting = match f.art_start() {
        None => !on_art,
        Some(s) => f.today < add_days(s, r.overdue_days),
    };
    if let Some((at, n)) = latest_cd4 {
        if starting && age.is_none_or(|a| a > 10) && n <= r.crag_cd4_at_most {
            out.push(Flag {
                since: Some(at),
                why: format!(
                    "a CD4 count at most {} cells/mm3 at ART start, older than 10 years",
                    r.crag_cd4_at_most
                ),
                evidence: vec![Evidence::new("CD4", format!("{n} cells/mm3"), Some(at))],
                action: "Perform a cryptococcal antigen (CrAg) test.".into(),
                patient_text:
                    "One more blood test is recommended before or as you start your treatment."
                        .into(),
                ..base(
                    r,
                    "HIV.D12.DT.06",
                    FlagKind::CryptococcalAntigen,
                    Severity::Warning,
                    "Cryptococcal antigen test",
                )
            });
        }
    }
    // Renal monitoring on TDF: no creatinine or eGFR in the last 12 months.
    if f.art.as_ref().is_some_and(|a| a.has(Arv::Tdf)) {
        let since = f
            .today
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(chrono::NaiveDate::MIN);
        let last = f
            .lab_tests
            .iter()
            .filter(|(code, _)| RENAL_LOINC.contains(&code.as_str()))
            .map(|(_, at)| *at)
            .max();
        if last.is_none_or(|at| at < since) {
            out.push(Flag {
                since: None,
                why: match last {
                    Some(at) => format!("on TDF, last creatinine or eGFR {}", long_date(at)),
                    None => "on TDF, no creatinine or eGFR recorded".into(),
                },
                evidence: vec![Evidence::new(
                    "Regimen",
                    f.art
                        .as_ref()
                        .map(|a| a.regimen.clone())
                        .unwrap_or_default(),
                    f.art_start(),
                )],
                action: "Check serum creatinine and eGFR.".into(),
                patient_text: "A routine blood test of your kidneys is due.".into(),
                ..base(
                    r,
                    "HIV.D12.DT.13",
                    FlagKind::RenalMonitoring,
                    Severity::Info,
                    "Renal monitoring on TDF",
                )
            });
        }
    }
    out
}
