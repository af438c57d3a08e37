//! The tally of a hospital's counted patients: each indicator's total, by MER age band and
//! sex, TX_ML by outcome; the 95-95-95 cascade; viral-load suppression month by month; the
//! network view (one column per hospital, numbers under 5 not shown); the CSV export.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::cohort::{Counted, MlOutcome};
use super::{Measure, Period, SMALL_CELL};
use crate::domain::csv_field;

/// PEPFAR MER's fine age bands, by age on the period's last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum AgeBand {
    #[serde(rename = "<1")]
    Under1,
    #[serde(rename = "1-4")]
    From1To4,
    #[serde(rename = "5-9")]
    From5To9,
    #[serde(rename = "10-14")]
    From10To14,
    #[serde(rename = "15-19")]
    From15To19,
    #[serde(rename = "20-24")]
    From20To24,
    #[serde(rename = "25-29")]
    From25To29,
    #[serde(rename = "30-34")]
    From30To34,
    #[serde(rename = "35-39")]
    From35To39,
    #[serde(rename = "40-44")]
    From40To44,
    #[serde(rename = "45-49")]
    From45To49,
    #[serde(rename = "50-54")]
    From50To54,
    #[serde(rename = "55-59")]
    From55To59,
    #[serde(rename = "60-64")]
    From60To64,
    #[serde(rename = "65+")]
    From65,
    #[serde(rename = "unknown")]
    Unknown,
}

impl AgeBand {
    pub const ALL: [AgeBand; 16] = [
        AgeBand::Under1,
        AgeBand::From1To4,
        AgeBand::From5To9,
        AgeBand::From10To14,
        AgeBand::From15To19,
        AgeBand::From20To24,
        AgeBand::From25To29,
        AgeBand::From30To34,
        AgeBand::From35To39,
        AgeBand::From40To44,
        AgeBand::From45To49,
        AgeBand::From50To54,
        AgeBand::From55To59,
        AgeBand::From60To64,
        AgeBand::From65,
        AgeBand::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under1 => "<1",
            AgeBand::From1To4 => "1-4",
            AgeBand::From5To9 => "5-9",
            AgeBand::From10To14 => "10-14",
            AgeBand::From15To19 => "15-19",
            AgeBand::From20To24 => "20-24",
            AgeBand::From25To29 => "25-29",
            AgeBand::From30To34 => "30-34",
            AgeBand::From35To39 => "35-39",
            AgeBand::From40To44 => "40-44",
            AgeBand::From45To49 => "45-49",
            AgeBand::From50To54 => "50-54",
            AgeBand::From55To59 => "55-59",
            AgeBand::From60To64 => "60-64",
            AgeBand::From65 => "65+",
            AgeBand::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.as_str() == raw.trim())
    }

    /// The band of someone born in `birth_month` (`yyyymm`) on `on`: whole years counted in
    /// months from the month of birth (the day of birth is not kept in plain).
    pub fn of(birth_month: Option<i32>, on: NaiveDate) -> AgeBand {
        let Some(bm) = birth_month else {
            return AgeBand::Unknown;
        };
        let (year, month) = (bm / 100, bm % 100);
        if !(1..=12).contains(&month) {
            return AgeBand::Unknown;
        }
        let months = (on.year() * 12 + on.month0() as i32) - (year * 12 + month - 1);
        if months < 0 {
            return AgeBand::Unknown;
        }
        match months / 12 {
            0 => AgeBand::Under1,
            1..=4 => AgeBand::From1To4,
            5..=9 => AgeBand::From5To9,
            10..=14 => AgeBand::From10To14,
            15..=19 => AgeBand::From15To19,
            20..=24 => AgeBand::From20To24,
            25..=29 => AgeBand::From25To29,
            30..=34 => AgeBand::From30To34,
            35..=39 => AgeBand::From35To39,
            40..=44 => AgeBand::From40To44,
            45..=49 => AgeBand::From45To49,
            50..=54 => AgeBand::From50To54,
            55..=59 => AgeBand::From55To59,
            60..=64 => AgeBand::From60To64,
            _ => AgeBand::From65,
        }
    }
}

/// MER's sex disaggregation: `other` and `prefer_not_to_say` are reported as unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SexGroup {
    Female,
    Male,
    Unknown,
}

impl SexGroup {
    pub const ALL: [SexGroup; 3] = [SexGroup::Female, SexGroup::Male, SexGroup::Unknown];

    pub fn of(sex: &str) -> SexGroup {
        match sex.trim() {
            "female" => SexGroup::Female,
            "male" => SexGroup::Male,
            _ => SexGroup::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SexGroup::Female => "female",
            SexGroup::Male => "male",
            SexGroup::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Option<SexGroup> {
        SexGroup::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// One disaggregation cell (only cells with patients are listed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Cell {
    pub age_band: AgeBand,
    pub sex: SexGroup,
    pub value: u64,
}

/// TX_ML's count for one outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct OutcomeCount {
    pub outcome: MlOutcome,
    pub label: String,
    pub value: u64,
}

/// One indicator (or part) of a hospital's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct IndicatorValue {
    pub measure: Measure,
    /// The MER code (`TX_PVLS` for both parts).
    pub code: String,
    pub label: String,
    pub definition: String,
    pub value: u64,
    /// By age band and sex.
    pub cells: Vec<Cell>,
    /// TX_ML only: by outcome, every outcome listed.
    pub outcomes: Vec<OutcomeCount>,
}

/// The 95-95-95 cascade at the period's end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Cascade {
    /// In HIV care at the hospital.
    pub enrolled: u64,
    /// On ART (TX_CURR).
    pub on_art: u64,
    /// With a viral load in 12 months (TX_PVLS denominator).
    pub with_viral_load: u64,
    /// Suppressed (TX_PVLS numerator).
    pub suppressed: u64,
    /// The second 95: on ART among those in care.
    pub on_art_percent: Option<f64>,
    /// Viral-load coverage: tested among those on ART.
    pub tested_percent: Option<f64>,
    /// The third 95: suppressed among those tested.
    pub suppressed_percent: Option<f64>,
}

/// Viral-load results of one month at the hospital.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SuppressionMonth {
    /// `2025-09`.
    pub month: String,
    pub tested: u64,
    pub suppressed: u64,
}

/// A hospital's indicators for a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct IndicatorReport {
    pub hospital_id: Uuid,
    pub hospital_name: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The rule set the interruption rule was read from.
    pub rule_set: String,
    pub indicators: Vec<IndicatorValue>,
    pub cascade: Cascade,
    /// The 12 months up to the period's end, oldest first: results and how many were under
    /// 1,000 copies/mL.
    pub suppression: Vec<SuppressionMonth>,
}

impl IndicatorReport {
    pub fn value(&self, m: Measure) -> u64 {
        self.indicators
            .iter()
            .find(|i| i.measure == m)
            .map(|i| i.value)
            .unwrap_or_default()
    }

    pub fn indicator(&self, m: Measure) -> Option<&IndicatorValue> {
        self.indicators.iter().find(|i| i.measure == m)
    }
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Each indicator's total and cells, and the cascade, from the counted patients.
pub fn tally(counted: &[Counted]) -> (Vec<IndicatorValue>, Cascade) {
    let mut totals: BTreeMap<Measure, u64> = BTreeMap::new();
    let mut cells: BTreeMap<(Measure, AgeBand, SexGroup), u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<MlOutcome, u64> = BTreeMap::new();
    for c in counted {
        for m in &c.measures {
            *totals.entry(*m).or_default() += 1;
            *cells.entry((*m, c.age_band, c.sex)).or_default() += 1;
        }
        if let Some(o) = c.ml_outcome {
            *outcomes.entry(o).or_default() += 1;
        }
    }
    let indicators = Measure::ALL
        .into_iter()
        .map(|m| IndicatorValue {
            measure: m,
            code: m.code().to_string(),
            label: m.label().to_string(),
            definition: m.definition().to_string(),
            value: totals.get(&m).copied().unwrap_or_default(),
            cells: cells
                .iter()
                .filter(|((cm, _, _), _)| *cm == m)
                .map(|((_, age_band, sex), value)| Cell {
                    age_band: *age_band,
                    sex: *sex,
                    value: *value,
                })
                .collect(),
            outcomes: if m == Measure::TxMl {
                MlOutcome::ALL
                    .into_iter()
                    .map(|o| OutcomeCount {
                        outcome: o,
                        label: o.label().to_string(),
                        value: outcomes.get(&o).copied().unwrap_or_default(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    let get = |m| totals.get(&m).copied().unwrap_or_default();
    let (enrolled, on_art, tested, suppressed) = (
        get(Measure::Enrolled),
        get(Measure::TxCurr),
        get(Measure::TxPvlsD),
        get(Measure::TxPvlsN),
    );
    let cascade = Cascade {
        enrolled,
        on_art,
        with_viral_load: tested,
        suppressed,
        on_art_percent: percent(on_art, enrolled),
        tested_percent: percent(tested, on_art),
        suppressed_percent: percent(suppressed, tested),
    };
    (indicators, cascade)
}

/// The 12 months ending with `end`'s month, oldest first, as `yyyy-mm`.
pub fn last_12_months(end: NaiveDate) -> Vec<String> {
    let last = end.year() * 12 + end.month0() as i32;
    (0..12)
        .rev()
        .map(|back| {
            let m = last - back;
            format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
        })
        .collect()
}

/// The CSV of one indicator of a report: the total, then each cell (and TX_ML's outcomes).
pub fn csv(report: &IndicatorReport, m: Measure) -> String {
    let mut out = String::from(
        "hospital,period_start,period_end,indicator,part,age_band,sex,outcome,value\n",
    );
    let part = match m {
        Measure::TxPvlsD => "denominator",
        Measure::TxPvlsN => "numerator",
        _ => "",
    };
    let Some(i) = report.indicator(m) else {
        return out;
    };
    let mut row = |age: &str, sex: &str, outcome: &str, value: u64| {
        let fields = [
            csv_field(&report.hospital_name),
            csv_field(&report.period_start.to_string()),
            csv_field(&report.period_end.to_string()),
            csv_field(&i.code),
            csv_field(part),
            csv_field(age),
            csv_field(sex),
            csv_field(outcome),
            value.to_string(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    };
    row("all", "all", "all", i.value);
    for c in &i.cells {
        row(c.age_band.as_str(), c.sex.as_str(), "all", c.value);
    }
    for o in &i.outcomes {
        row("all", "all", o.outcome.as_str(), o.value);
    }
    out
}

/// A number of the network view: absent when under 5 (and not 0), so no patient can be
/// singled out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct NetworkValue {
    pub measure: Measure,
    /// `null` when suppressed.
    pub value: Option<u64>,
    pub suppressed: bool,
}

fn shown(m: Measure, v: u64) -> NetworkValue {
    let hide = v > 0 && v < SMALL_CELL;
    NetworkValue {
        measure: m,
        value: (!hide).then_some(v),
        suppressed: hide,
    }
}

/// One hospital in the network view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct HospitalColumn {
    pub hospital_id: Uuid,
    pub name: String,
    pub values: Vec<NetworkValue>,
    /// Suppressed among tested, when both numbers are shown.
    pub suppressed_percent: Option<f64>,
}

/// Every hospital's indicators for a period, aggregates only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct NetworkReport {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub hospitals: Vec<HospitalColumn>,
    /// The network's totals; a total is not shown where a hospital's number is not (it would
    /// give that number away by subtraction).
    pub totals: Vec<NetworkValue>,
    pub suppressed_percent: Option<f64>,
    /// Active hospitals left out of the view (it holds the first 200 by name); the totals
    /// are those of the hospitals shown.
    #[serde(default)]
    pub hospitals_left_out: u64,
}

fn suppressed_percent(values: &[NetworkValue]) -> Option<f64> {
    let get = |m| values.iter().find(|v| v.measure == m).and_then(|v| v.value);
    percent(get(Measure::TxPvlsN)?, get(Measure::TxPvlsD)?)
}

/// A hospital's id, name and totals, as the network view is made from.
pub type HospitalTotals = (Uuid, String, Vec<(Measure, u64)>);

/// TX_PVLS's numerator hidden when the denominator minus it (the unsuppressed) is from 1 to 4:
/// both shown would give that small number away.
fn unsuppressed_hidden_when_small(mut values: Vec<NetworkValue>) -> Vec<NetworkValue> {
    let get = |vs: &[NetworkValue], m| vs.iter().find(|v| v.measure == m).and_then(|v| v.value);
    if let (Some(d), Some(n)) = (
        get(&values, Measure::TxPvlsD),
        get(&values, Measure::TxPvlsN),
    ) {
        let unsuppressed = d.saturating_sub(n);
        if unsuppressed > 0 && unsuppressed < SMALL_CELL {
            if let Some(v) = values.iter_mut().find(|v| v.measure == Measure::TxPvlsN) {
                v.value = None;
                v.suppressed = true;
            }
        }
    }
    values
}

/// The network view from each hospital's totals.
pub fn network(period: Period, hospitals: &[HospitalTotals]) -> NetworkReport {
    let value = |values: &[(Measure, u64)], m: Measure| {
        values
            .iter()
            .find(|(vm, _)| *vm == m)
            .map(|(_, v)| *v)
            .unwrap_or_default()
    };
    let columns: Vec<HospitalColumn> = hospitals
        .iter()
        .map(|(id, name, values)| {
            let shown = unsuppressed_hidden_when_small(
                Measure::ALL
                    .into_iter()
                    .map(|m| shown(m, value(values, m)))
                    .collect(),
            );
            HospitalColumn {
                hospital_id: *id,
                name: name.clone(),
                suppressed_percent: suppressed_percent(&shown),
                values: shown,
            }
        })
        .collect();
    let totals: Vec<NetworkValue> = Measure::ALL
        .into_iter()
        .map(|m| {
            let any_hidden = columns
                .iter()
                .any(|c| c.values.iter().any(|v| v.measure == m && v.suppressed));
            let total: u64 = hospitals.iter().map(|(_, _, v)| value(v, m)).sum();
            if any_hidden {
                NetworkValue {
                    measure: m,
                    value: None,
                    suppressed: true,
                }
            } else {
                shown(m, total)
            }
        })
        .collect();
    let totals = unsuppressed_hidden_when_small(totals);
    NetworkReport {
        period_start: period.start,
        period_end: period.end,
        hospitals: columns,
        suppressed_percent: suppressed_percent(&totals),
        totals,
        hospitals_left_out: 0,
    }
}

/// The hospital dashboard: the report, and the worklists' counts when the reader may see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub report: IndicatorReport,
    pub worklists: Option<crate::domain::cds::worklist::WorklistCounts>,
}

/// A patient behind a number (the drill-down list).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct IndicatorPatient {
    pub patient_id: Uuid,
    pub name: String,
    pub mrn: String,
    pub age_band: AgeBand,
    pub sex: SexGroup,
    /// Where they stand at the period's end.
    pub status: String,
    pub latest_viral_load: Option<String>,
    pub latest_viral_load_date: Option<NaiveDate>,
    pub ml_outcome: Option<MlOutcome>,
}

/// A page of the patients one number counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct IndicatorPatients {
    pub measure: Measure,
    pub label: String,
    pub hospital_id: Uuid,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub age_band: Option<AgeBand>,
    pub sex: Option<SexGroup>,
    pub outcome: Option<MlOutcome>,
    pub data: Vec<IndicatorPatient>,
    pub pagination: crate::domain::page::Pagination,
}

/// A query value, trimmed; blank is absent.
fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// Which of a number's patients a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatientFilter {
    pub age_band: Option<AgeBand>,
    pub sex: Option<SexGroup>,
    pub outcome: Option<MlOutcome>,
}

impl PatientFilter {
    /// Reads the optional `age_band`, `sex` and `outcome` (TX_ML only) of a drill-down.
    pub fn parse(
        measure: Measure,
        age_band: Option<&str>,
        sex: Option<&str>,
        outcome: Option<&str>,
    ) -> Result<PatientFilter, crate::domain::ErrorKind> {
        let mut errors = crate::domain::validate::Errors::new();
        let age_band = blank(age_band).and_then(|raw| {
            let band = AgeBand::parse(raw);
            if band.is_none() {
                errors.add(
                    "age_band",
                    "must be one of <1, 1-4, 5-9, ... 60-64, 65+, unknown",
                );
            }
            band
        });
        let sex = blank(sex).and_then(|raw| {
            let s = SexGroup::parse(raw);
            if s.is_none() {
                errors.add("sex", "must be female, male or unknown");
            }
            s
        });
        let outcome = blank(outcome).and_then(|raw| {
            let o = MlOutcome::ALL.into_iter().find(|o| o.as_str() == raw);
            if o.is_none() {
                errors.add("outcome", "must be one of TX_ML's outcomes (died, iit_under_3_months, iit_3_to_5_months, iit_6_months_plus, transferred_out, refused_stopped)");
            } else if measure != Measure::TxMl {
                errors.add("outcome", "applies to tx_ml only");
            }
            o
        });
        errors.finish(|| PatientFilter {
            age_band,
            sex,
            outcome,
        })
    }

    pub fn admits(&self, c: &Counted) -> bool {
        self.age_band.is_none_or(|b| b == c.age_band)
            && self.sex.is_none_or(|s| s == c.sex)
            && self.outcome.is_none_or(|o| Some(o) == c.ml_outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::CareStatus;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_bands_count_whole_years_from_the_month_of_birth() {
        let end = d("2025-09-30");
        assert_eq!(AgeBand::of(Some(202410), end), AgeBand::Under1);
        assert_eq!(AgeBand::of(Some(202409), end), AgeBand::From1To4);
        assert_eq!(AgeBand::of(Some(201010), end), AgeBand::From10To14);
        assert_eq!(AgeBand::of(Some(201009), end), AgeBand::From15To19);
        assert_eq!(AgeBand::of(Some(196009), end), AgeBand::From65);
        assert_eq!(AgeBand::of(Some(202510), end), AgeBand::Unknown);
        assert_eq!(AgeBand::of(None, end), AgeBand::Unknown);
        assert_eq!(AgeBand::of(Some(199013), end), AgeBand::Unknown);
        for b in AgeBand::ALL {
            assert_eq!(AgeBand::parse(b.as_str()), Some(b));
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
        assert_eq!(SexGroup::of("prefer_not_to_say"), SexGroup::Unknown);
        assert_eq!(SexGroup::of("female"), SexGroup::Female);
    }

    fn counted(measures: &[Measure], band: AgeBand, sex: SexGroup) -> Counted {
        Counted {
            patient_id: Uuid::nil(),
            age_band: band,
            sex,
            measures: measures.to_vec(),
            ml_outcome: measures.contains(&Measure::TxMl).then_some(MlOutcome::Died),
            status: CareStatus::OnTreatment,
            latest_vl: None,
        }
    }

    #[test]
    fn the_tally_disaggregates_and_gives_the_cascade() {
        use Measure::*;
        let people = [
            counted(
                &[Enrolled, TxCurr, TxPvlsD, TxPvlsN],
                AgeBand::From25To29,
                SexGroup::Female,
            ),
            counted(
                &[Enrolled, TxCurr, TxPvlsD],
                AgeBand::From25To29,
                SexGroup::Female,
            ),
            counted(&[Enrolled, TxCurr], AgeBand::From30To34, SexGroup::Male),
            counted(&[Enrolled], AgeBand::Unknown, SexGroup::Unknown),
            counted(&[TxMl], AgeBand::From30To34, SexGroup::Male),
        ];
        let (values, cascade) = tally(&people);
        let curr = values.iter().find(|v| v.measure == TxCurr).unwrap();
        assert_eq!(curr.value, 3);
        assert_eq!(
            curr.cells,
            [
                Cell {
                    age_band: AgeBand::From25To29,
                    sex: SexGroup::Female,
                    value: 2
                },
                Cell {
                    age_band: AgeBand::From30To34,
                    sex: SexGroup::Male,
                    value: 1
                }
            ]
        );
        let ml = values.iter().find(|v| v.measure == TxMl).unwrap();
        assert_eq!(ml.outcomes.len(), MlOutcome::ALL.len());
        assert_eq!(ml.outcomes[0].value, 1);
        assert_eq!(
            cascade,
            Cascade {
                enrolled: 4,
                on_art: 3,
                with_viral_load: 2,
                suppressed: 1,
                on_art_percent: Some(75.0),
                tested_percent: Some(66.7),
                suppressed_percent: Some(50.0),
            }
        );
        let report = IndicatorReport {
            hospital_id: Uuid::nil(),
            hospital_name: "=Kisumu, \"East\"".into(),
            period_start: d("2025-07-01"),
            period_end: d("2025-09-30"),
            rule_set: "WHO 2021".into(),
            indicators: values,
            cascade,
            suppression: Vec::new(),
        };
        let text = csv(&report, TxPvlsD);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(
            lines[1],
            "\"'=Kisumu, \"\"East\"\"\",\"2025-07-01\",\"2025-09-30\",\"TX_PVLS\",\"denominator\",\"all\",\"all\",\"all\",2"
        );
        assert!(lines[2].ends_with("\"25-29\",\"female\",\"all\",2"));
        assert_eq!(csv(&report, TxMl).lines().count(), 2 + 1 + 6);
    }

    #[test]
    fn the_network_view_hides_numbers_under_five_and_the_totals_that_would_tell_them() {
        use Measure::*;
        let period = Period {
            start: d("2025-07-01"),
            end: d("2025-09-30"),
        };
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let view = network(
            period,
            &[
                (
                    a,
                    "A".into(),
                    vec![(TxCurr, 120), (TxPvlsD, 100), (TxPvlsN, 90), (TxMl, 3)],
                ),
                (
                    b,
                    "B".into(),
                    vec![(TxCurr, 40), (TxPvlsD, 20), (TxPvlsN, 15), (TxMl, 0)],
                ),
            ],
        );
        let get = |vs: &[NetworkValue], m| vs.iter().find(|v| v.measure == m).unwrap().clone();
        assert_eq!(get(&view.hospitals[0].values, TxMl).value, None);
        assert!(get(&view.hospitals[0].values, TxMl).suppressed);
        assert_eq!(get(&view.hospitals[1].values, TxMl).value, Some(0));
        assert_eq!(
            get(&view.totals, TxMl).value,
            None,
            "3 + 0 would tell A's 3"
        );
        assert_eq!(get(&view.totals, TxCurr).value, Some(160));
        assert_eq!(view.hospitals[0].suppressed_percent, Some(90.0));
        assert_eq!(view.hospitals[1].suppressed_percent, Some(75.0));
        assert_eq!(view.suppressed_percent, Some(87.5));
        assert_eq!(get(&view.totals, TxRtt).value, Some(0));

        // 19 suppressed of 20 would tell the 1 who is not: the numerator is hidden, with it
        // the percentage and the network's numerator.
        let view = network(
            period,
            &[
                (a, "A".into(), vec![(TxPvlsD, 100), (TxPvlsN, 90)]),
                (b, "B".into(), vec![(TxPvlsD, 20), (TxPvlsN, 19)]),
            ],
        );
        assert_eq!(get(&view.hospitals[0].values, TxPvlsN).value, Some(90));
        assert_eq!(get(&view.hospitals[1].values, TxPvlsD).value, Some(20));
        assert_eq!(get(&view.hospitals[1].values, TxPvlsN).value, None);
        assert!(get(&view.hospitals[1].values, TxPvlsN).suppressed);
        assert_eq!(view.hospitals[1].suppressed_percent, None);
        assert_eq!(get(&view.totals, TxPvlsN).value, None);
        assert_eq!(view.suppressed_percent, None);
    }

    #[test]
    fn twelve_months_up_to_the_end() {
        let months = last_12_months(d("2025-02-28"));
        assert_eq!(months.first().unwrap(), "2024-03");
        assert_eq!(months.last().unwrap(), "2025-02");
        assert_eq!(months.len(), 12);
    }
}
