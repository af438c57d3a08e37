//! A hospital's rule set: the thresholds and intervals the rules read, as data. WHO 2021 is the
//! default; a hospital admin may choose a national set (Kenya). A rule set is versioned: every
//! flag names the set and version it was computed with.

use serde::{Deserialize, Serialize};

use crate::domain::clinical::record::VlThresholds;

/// The thresholds and intervals of one published guideline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RuleSet {
    /// `who` or `kenya`.
    pub id: String,
    /// What the set is called where it is shown.
    pub name: String,
    /// The guideline edition the values come from.
    pub version: String,
    /// Viral-load thresholds (copies/mL): low-level viraemia above the first, unsuppressed
    /// above the second.
    pub thresholds: VlThresholds,
    /// First viral load this many months after ART start (HIV.S.2 row 1).
    pub first_vl_months: u32,
    /// Second routine viral load this many months after ART start (HIV.S.2 row 2).
    pub second_vl_months: u32,
    /// Then every this many months while suppressed (HIV.S.2 row 3).
    pub routine_vl_months: u32,
    /// Up to this age (inclusive), the routine interval is `young_routine_vl_months` instead.
    pub young_up_to_age: Option<u32>,
    pub young_routine_vl_months: u32,
    /// A repeat this many months after an elevated result, after adherence counselling
    /// (HIV.S.2 rows 4 and 5).
    pub repeat_vl_months: u32,
    /// A scheduled test is overdue this many days after it was due (HIV.S.2: "Due date" + 28
    /// days).
    pub overdue_days: i64,
    /// Interruption in treatment this many days after a missed visit or refill (HIV.H.DE42).
    pub interruption_days: i64,
    /// Advanced HIV disease below this CD4 count (cells/mm3), from 5 years of age.
    pub ahd_cd4_below: i64,
    /// Cryptococcal antigen test at ART start at or below this CD4 count (HIV.D12.DT.06).
    pub crag_cd4_at_most: i64,
}

impl RuleSet {
    /// The ids of the sets a hospital may choose.
    pub const IDS: [&'static str; 2] = ["who", "kenya"];

    /// WHO, Consolidated guidelines on HIV prevention, testing, treatment, service delivery and
    /// monitoring (2021), as the HIV DAK encodes them.
    pub fn who() -> RuleSet {
        RuleSet {
            id: "who".into(),
            name: "WHO".into(),
            version: "2021".into(),
            thresholds: VlThresholds::WHO,
            first_vl_months: 6,
            second_vl_months: 12,
            routine_vl_months: 12,
            young_up_to_age: None,
            young_routine_vl_months: 12,
            repeat_vl_months: 3,
            overdue_days: 28,
            interruption_days: 28,
            ahd_cd4_below: 200,
            crag_cd4_at_most: 200,
        }
    }

    /// Kenya's national set: unsuppressed above 200 copies/mL, and a viral load every 6 months
    /// up to 24 years of age (Kenya Ministry of Health, Guidelines on use of antiretroviral
    /// drugs for treating and preventing HIV in Kenya, 2022).
    pub fn kenya() -> RuleSet {
        RuleSet {
            id: "kenya".into(),
            name: "Kenya".into(),
            version: "2022".into(),
            thresholds: VlThresholds {
                low_level_above: 50.0,
                unsuppressed_above: 200.0,
            },
            young_up_to_age: Some(24),
            young_routine_vl_months: 6,
            ..RuleSet::who()
        }
    }

    /// The set called `id` (`who` when unknown or absent).
    pub fn by_id(id: Option<&str>) -> RuleSet {
        match id.map(str::trim) {
            Some("kenya") => RuleSet::kenya(),
            _ => RuleSet::who(),
        }
    }

    /// The set with a hospital's own viral-load thresholds, where it set them.
    pub fn with_thresholds(
        mut self,
        low_level_above: Option<f64>,
        unsuppressed_above: Option<f64>,
    ) -> RuleSet {
        if let Some(v) = low_level_above {
            self.thresholds.low_level_above = v;
        }
        if let Some(v) = unsuppressed_above {
            self.thresholds.unsuppressed_above = v;
        }
        self
    }

    /// Every set a hospital may choose, in the order `IDS` names them.
    pub fn all() -> [RuleSet; 2] {
        [RuleSet::who(), RuleSet::kenya()]
    }

    /// What the set changes, in one sentence, for the admin choosing it.
    pub fn summary(&self) -> String {
        let young = match self.young_up_to_age {
            Some(age) if self.young_routine_vl_months != self.routine_vl_months => format!(
                " (every {} months up to {age} years of age)",
                self.young_routine_vl_months
            ),
            _ => String::new(),
        };
        format!(
            "Unsuppressed above {} copies/mL, low-level viraemia above {}; a viral load {} and {} \
             months after ART start, then every {} months{young}; overdue {} days after it \
             was due.",
            copies(self.thresholds.unsuppressed_above),
            copies(self.thresholds.low_level_above),
            self.first_vl_months,
            self.second_vl_months,
            self.routine_vl_months,
            self.overdue_days,
        )
    }

    /// `WHO 2021`: how a flag names the set it was computed with.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }

    /// The routine interval for a person of `age`.
    pub fn routine_months(&self, age: Option<u32>) -> u32 {
        match (self.young_up_to_age, age) {
            (Some(limit), Some(a)) if a <= limit => self.young_routine_vl_months,
            _ => self.routine_vl_months,
        }
    }
}

/// A threshold as a person writes it: `1,000`.
fn copies(value: f64) -> String {
    let whole = value.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_says_what_it_changes() {
        assert_eq!(
            RuleSet::who().summary(),
            "Unsuppressed above 1,000 copies/mL, low-level viraemia above 50; a viral load 6 and \
             12 months after ART start, then every 12 months; overdue 28 days after it was due."
        );
        assert_eq!(
            RuleSet::kenya().summary(),
            "Unsuppressed above 200 copies/mL, low-level viraemia above 50; a viral load 6 and \
             12 months after ART start, then every 12 months (every 6 months up to 24 years of \
             age); overdue 28 days after it was due."
        );
        let ids: Vec<String> = RuleSet::all().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, RuleSet::IDS);
    }

    #[test]
    fn the_kenya_set_differs_from_who_only_where_it_says() {
        let (who, ke) = (RuleSet::who(), RuleSet::kenya());
        assert_eq!(who.thresholds.unsuppressed_above, 1000.0);
        assert_eq!(ke.thresholds.unsuppressed_above, 200.0);
        assert_eq!(ke.routine_months(Some(24)), 6);
        assert_eq!(ke.routine_months(Some(25)), 12);
        assert_eq!(ke.routine_months(None), 12);
        assert_eq!(who.routine_months(Some(16)), 12);
        assert_eq!(ke.overdue_days, who.overdue_days);
        assert_eq!(RuleSet::by_id(Some("kenya")).id, "kenya");
        assert_eq!(RuleSet::by_id(Some("atlantis")).id, "who");
        assert_eq!(RuleSet::by_id(None).label(), "WHO 2021");
        let own = RuleSet::who().with_thresholds(None, Some(400.0));
        assert_eq!(own.thresholds.unsuppressed_above, 400.0);
        assert_eq!(own.thresholds.low_level_above, 50.0);
    }
}
