//! HIV.D17.DT: treatment failure. Virological (two consecutive viral loads above the
//! unsuppressed threshold three months apart after six months on ART; the first already on an
//! NNRTI-based regimen), immunological (persistent low CD4 counts by age, or CD4 at most 250
//! with clinical failure) and clinical (a new or recurrent stage 4 condition, some stage 3
//! conditions, after six months on ART).
//!
//! Where the table is silent: a repeat counts as "three months apart" from 28 days before its
//! due date (the schedule's window); a staging condition counts when diagnosed after six months
//! on ART (earlier ones may be immune reconstitution); an unknown age is taken as 10 or more.

use super::facts::{Cd4Observation, Facts, StageEvent, VlObservation};
use super::flag::{Evidence, Flag, FlagKind, Severity, WHO_2021};
use super::staging::{is_tuberculosis, STAGE_RULES};
use super::{add_days, add_months, RuleSet};
use crate::domain::clinical::record::{format_number, VlInterpretation};

fn reference() -> String {
    format!("WHO HIV DAK, HIV.D17.DT Check for treatment failure; {WHO_2021}, Table 4.11")
}

fn flag(rules: &RuleSet, rule_id: &str, kind: FlagKind, title: &str) -> Flag {
    Flag {
        rule_id: rule_id.to_string(),
        kind,
        severity: Severity::Urgent,
        title: title.to_string(),
        since: None,
        why: String::new(),
        evidence: Vec::new(),
        action: String::new(),
        reference: reference(),
        rule_set: rules.label(),
        patient_text:
            "Your recent results need a conversation with your care team about your treatment."
                .into(),
    }
}

fn vl_evidence(v: &VlObservation) -> Evidence {
    Evidence::new("Viral load", v.value.describe(), Some(v.at))
}

fn cd4_evidence(c: &Cd4Observation) -> Evidence {
    Evidence::new(
        "CD4",
        c.cells
            .map(|n| format!("{n} cells/mm3"))
            .unwrap_or_default(),
        Some(c.at),
    )
}

/// HIV.D17.DT.01.
pub fn virological(f: &Facts, r: &RuleSet) -> Option<Flag> {
    let art = f.art.as_ref()?;
    let start = art.start?;
    if !f.months_on_art(6) {
        return None;
    }
    let results: Vec<&VlObservation> = f
        .viral_loads
        .iter()
        .filter(|v| v.at >= start && v.value.is_result())
        .collect();
    let high =
        |v: &VlObservation| v.value.classify(r.thresholds) == Some(VlInterpretation::Unsuppressed);
    let latest = results.first().copied().filter(|v| high(v))?;
    let threshold = format_number(r.thresholds.unsuppressed_above);
    let nnrti = art.arvs.iter().find(|a| a.is_nnrti());
    let base = flag(
        r,
        "HIV.D17.DT.01",
        FlagKind::VirologicalFailure,
        "Virological failure",
    );
    if let Some(p) = results.get(1).copied().filter(|p| high(p)) {
        let window = add_days(add_months(p.at, r.repeat_vl_months), -r.overdue_days);
        if latest.at >= window {
            return Some(Flag {
                since: Some(latest.at),
                why: format!(
                    "two consecutive viral loads above {threshold} copies/mL, {} months apart, after 6 months on ART",
                    r.repeat_vl_months
                ),
                evidence: vec![
                    vl_evidence(latest),
                    vl_evidence(p),
                    Evidence::new("ART start", "", Some(start)),
                ],
                action: "Evaluate for virological failure: confirm adherence support followed the first result, then switch to a second-line regimen (HIV.D21.1.DT).".into(),
                ..base
            });
        }
    }
    let nnrti = nnrti?;
    Some(Flag {
        since: Some(latest.at),
        why: format!(
            "a viral load above {threshold} copies/mL on an NNRTI-based regimen ({}): switch after the first",
            nnrti.abbreviation()
        ),
        evidence: vec![
            vl_evidence(latest),
            Evidence::new("Regimen", art.regimen.clone(), None),
            Evidence::new("ART start", "", Some(start)),
        ],
        action: "Evaluate for virological failure and switch to a dolutegravir-based regimen (HIV.D21.1.DT).".into(),
        ..base
    })
}

/// The staging conditions diagnosed after six months on ART, newest first.
fn late_events(f: &Facts) -> Vec<&StageEvent> {
    let Some(start) = f.art_start() else {
        return Vec::new();
    };
    if !f.months_on_art(6) {
        return Vec::new();
    }
    let from = add_months(start, 6);
    f.stage_events.iter().filter(|e| e.at >= from).collect()
}

/// HIV.D17.DT.06 to .08.
pub fn clinical(f: &Facts, r: &RuleSet) -> Option<Flag> {
    let age = f.age();
    let adult = age.is_none_or(|a| a >= 10);
    let severe_stage3 = ["HIV.D15.DT.38", "HIV.D15.DT.45"];
    let (rule_id, event) = late_events(f).into_iter().find_map(|e| {
        let rule = STAGE_RULES.iter().find(|s| s.id == e.rule_id)?;
        if adult && e.stage == 4 {
            Some(("HIV.D17.DT.06", e))
        } else if adult && e.stage == 3 && severe_stage3.contains(&e.rule_id) {
            Some(("HIV.D17.DT.07", e))
        } else if !adult && e.stage >= 3 && !is_tuberculosis(rule) {
            Some(("HIV.D17.DT.08", e))
        } else {
            None
        }
    })?;
    Some(Flag {
        since: Some(event.at),
        why: format!(
            "a new or recurrent WHO stage {} condition after 6 months on ART",
            event.stage
        ),
        evidence: vec![
            Evidence::new("Condition", format!("{} ({})", event.condition, event.rule_id), Some(event.at)),
            Evidence::new("ART start", "", f.art_start()),
        ],
        action: "Evaluate for clinical failure (exclude immune reconstitution and adherence problems); confirm with a viral load.".into(),
        ..flag(r, rule_id, FlagKind::ClinicalFailure, "Clinical failure")
    })
}

/// HIV.D17.DT.02 to .05 (the first that holds, in the table's order).
pub fn immunological(f: &Facts, r: &RuleSet, clinical_failure: bool) -> Option<Flag> {
    let start = f.art_start()?;
    let counts: Vec<(&Cd4Observation, i64)> = f
        .cd4
        .iter()
        .filter(|c| c.at >= start)
        .filter_map(|c| c.cells.map(|n| (c, n)))
        .collect();
    let (latest, n1) = *counts.first()?;
    let previous = counts.get(1).copied();
    let persistent =
        |below: fn(i64) -> bool| below(n1) && previous.is_some_and(|(_, n2)| below(n2));
    let age = f.age();
    let ten_or_more = age.is_none_or(|a| a >= 10);
    let (rule_id, why) = if ten_or_more && clinical_failure && n1 <= 250 {
        (
            "HIV.D17.DT.02",
            "a CD4 count at most 250 cells/mm3 with clinical failure",
        )
    } else if ten_or_more && persistent(|n| n <= 100) {
        (
            "HIV.D17.DT.03",
            "persistent CD4 counts at most 100 cells/mm3 (10 years or older)",
        )
    } else if age.is_some_and(|a| (5..10).contains(&a)) && persistent(|n| n < 100) {
        (
            "HIV.D17.DT.04",
            "persistent CD4 counts below 100 cells/mm3 (5 to 9 years)",
        )
    } else if age.is_some_and(|a| a < 5) && persistent(|n| n < 200) {
        (
            "HIV.D17.DT.05",
            "persistent CD4 counts below 200 cells/mm3 (under 5 years)",
        )
    } else {
        return None;
    };
    let mut evidence = vec![cd4_evidence(latest)];
    if let (Some((p, _)), false) = (previous, rule_id == "HIV.D17.DT.02") {
        evidence.push(cd4_evidence(p));
    }
    Some(Flag {
        since: Some(latest.at),
        why: why.to_string(),
        evidence,
        action: "Evaluate for immunological failure; confirm with a viral load where available."
            .into(),
        ..flag(
            r,
            rule_id,
            FlagKind::ImmunologicalFailure,
            "Immunological failure",
        )
    })
}

/// Every treatment-failure flag that holds.
pub fn flags(f: &Facts, r: &RuleSet) -> Vec<Flag> {
    if f.art.is_none() {
        return Vec::new();
    }
    let clinical = clinical(f, r);
    let immunological = immunological(f, r, clinical.is_some());
    [virological(f, r), clinical, immunological]
        .into_iter()
        .flatten()
        .collect()
}
