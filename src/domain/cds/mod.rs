//! Clinical decision support: the WHO SMART Guidelines HIV DAK's rules as pure functions, one
//! file per guideline table, each rule with the DAK's id, its inputs, output and reference.
//! The patient flags, the worklists and the indicators read the same functions and the same
//! rule set, so a chart, a worklist and a report never disagree.
//!
//! - `rule_set`: the thresholds and intervals a hospital chose (WHO by default, a Kenya set);
//! - `facts`: what a rule reads of a patient (dates, results, regimen, contacts);
//! - `viral_load` (HIV.S.2): results normalised, the VL schedule, low-level viraemia;
//! - `failure` (HIV.D17.DT): virological, immunological and clinical treatment failure;
//! - `staging` (HIV.D15.DT): a condition's WHO clinical stage;
//! - `screenings` (HIV.D12.DT): recommended tests (advanced HIV disease, CrAg, renal);
//! - `retention` (HIV.H): interruption in treatment and the tracing outcomes;
//! - `interactions` (HIV.D21.2.DT): the 63 ARV drug interactions, as data;
//! - `flag`: what a rule says to the clinician and to the patient.
//!
//! No I/O here: every function takes the facts and the day it is evaluated on.

pub mod facts;
pub mod failure;
pub mod flag;
pub mod interactions;
pub mod retention;
pub mod rule_set;
pub mod screenings;
pub mod staging;
pub mod viral_load;
pub mod worklist;

#[cfg(test)]
mod dak;

pub use facts::{ArtFacts, Arv, Cd4Observation, Facts, RetentionFacts, StageEvent, VlObservation};
pub use flag::{Evidence, Flag, FlagKind, Severity};
pub use rule_set::RuleSet;

use chrono::{Months, NaiveDate};

/// Every flag that fires for a patient on `facts.today`, most urgent first.
pub fn evaluate(facts: &Facts, rules: &RuleSet) -> Vec<Flag> {
    let mut flags = Vec::new();
    flags.extend(viral_load::flags(facts, rules));
    flags.extend(failure::flags(facts, rules));
    flags.extend(screenings::flags(facts, rules));
    flags.extend(retention::flags(facts, rules));
    flags.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.since.cmp(&b.since))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    flags
}

/// `date` plus `months` calendar months (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` plus `days` days.
pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(chrono::Duration::days(days))
        .unwrap_or(NaiveDate::MAX)
}

/// `3 March 2026`: how flags write a date (the English long date of the messages).
pub fn long_date(date: NaiveDate) -> String {
    crate::domain::notifications::templates::long_date(crate::domain::portal::Language::En, date)
}

/// Whole years from `birth` to `on` (the age a person has on that day).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    use chrono::Datelike;
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}
