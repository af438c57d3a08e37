//! What the rules read of a patient: plain values with their dates, gathered by the services
//! from the records the caller may see (so a rule never sees what consent withholds).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::viral_load::VlValue;

/// An antiretroviral component as the DAK's tables name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arv {
    Tdf,
    Taf,
    Abc,
    Azt,
    D4t,
    Lamivudine,
    Ftc,
    Efv,
    Nvp,
    Dtg,
    Ral,
    /// Atazanavir (boosted with ritonavir).
    AtvR,
    /// Darunavir (boosted with ritonavir).
    DrvR,
    /// Lopinavir/ritonavir.
    LpvR,
}

impl Arv {
    /// The DAK's abbreviation.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Arv::Tdf => "TDF",
            Arv::Taf => "TAF",
            Arv::Abc => "ABC",
            Arv::Azt => "AZT",
            Arv::D4t => "d4T",
            Arv::Lamivudine => "3TC",
            Arv::Ftc => "FTC",
            Arv::Efv => "EFV",
            Arv::Nvp => "NVP",
            Arv::Dtg => "DTG",
            Arv::Ral => "RAL",
            Arv::AtvR => "ATV/r",
            Arv::DrvR => "DRV/r",
            Arv::LpvR => "LPV/r",
        }
    }

    /// Non-nucleoside reverse-transcriptase inhibitors: switch after a single high viral load
    /// (HIV.D17.DT.01).
    pub fn is_nnrti(self) -> bool {
        matches!(self, Arv::Efv | Arv::Nvp)
    }

    /// Reads one component: an abbreviation (`DTG`, `ATV/r`, `3TC`), a name (`dolutegravir`)
    /// or an ATC code (`J05AJ03`); fixed-dose combinations by ATC code give several.
    pub fn parse_component(text: &str) -> Vec<Arv> {
        let t = text.trim().to_ascii_uppercase();
        let t = t.as_str();
        let one = match t {
            "TDF" | "TENOFOVIR" | "TENOFOVIR DISOPROXIL" | "J05AF07" => Some(Arv::Tdf),
            "TAF" | "TENOFOVIR ALAFENAMIDE" | "J05AF13" => Some(Arv::Taf),
            "ABC" | "ABACAVIR" | "J05AF06" => Some(Arv::Abc),
            "AZT" | "ZDV" | "ZIDOVUDINE" | "J05AF01" => Some(Arv::Azt),
            "D4T" | "STAVUDINE" | "J05AF04" => Some(Arv::D4t),
            "3TC" | "LAMIVUDINE" | "J05AF05" => Some(Arv::Lamivudine),
            "FTC" | "EMTRICITABINE" | "J05AF09" => Some(Arv::Ftc),
            "EFV" | "EFAVIRENZ" | "J05AG03" => Some(Arv::Efv),
            "NVP" | "NEVIRAPINE" | "J05AG01" => Some(Arv::Nvp),
            "DTG" | "DOLUTEGRAVIR" | "J05AJ03" | "J05AX12" => Some(Arv::Dtg),
            "RAL" | "RALTEGRAVIR" | "J05AJ01" | "J05AX08" => Some(Arv::Ral),
            "ATV/R" | "ATV" | "ATAZANAVIR" | "J05AE08" => Some(Arv::AtvR),
            "DRV/R" | "DRV" | "DARUNAVIR" | "J05AE10" => Some(Arv::DrvR),
            "LPV/R" | "LPV" | "LOPINAVIR" | "J05AE06" | "J05AR10" => Some(Arv::LpvR),
            _ => None,
        };
        if let Some(a) = one {
            return vec![a];
        }
        match t {
            "J05AR01" => vec![Arv::Azt, Arv::Lamivudine],
            "J05AR02" => vec![Arv::Lamivudine, Arv::Abc],
            "J05AR03" => vec![Arv::Tdf, Arv::Ftc],
            "J05AR05" => vec![Arv::Azt, Arv::Lamivudine, Arv::Nvp],
            "J05AR06" => vec![Arv::Ftc, Arv::Tdf, Arv::Efv],
            "J05AR11" => vec![Arv::Lamivudine, Arv::Tdf, Arv::Efv],
            "J05AR12" => vec![Arv::Lamivudine, Arv::Tdf],
            "J05AR13" => vec![Arv::Lamivudine, Arv::Abc, Arv::Dtg],
            "J05AR27" => vec![Arv::Lamivudine, Arv::Tdf, Arv::Dtg],
            _ => Vec::new(),
        }
    }

    /// The components of a regimen: its name (`TDF+3TC+DTG`, `TDF + 3TC + ATV/r`) and its
    /// drugs' ATC codes, without repeats.
    pub fn parse_regimen<'a>(name: &str, atc: impl IntoIterator<Item = &'a str>) -> Vec<Arv> {
        let mut arvs: Vec<Arv> = name
            .split(['+', ',', ' '])
            .flat_map(Arv::parse_component)
            .chain(atc.into_iter().flat_map(Arv::parse_component))
            .collect();
        arvs.sort();
        arvs.dedup();
        arvs
    }
}

/// The patient's antiretroviral therapy, when on it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ArtFacts {
    pub start: Option<NaiveDate>,
    pub regimen: String,
    pub arvs: Vec<Arv>,
    /// `first`, `second` or `third`.
    pub line: Option<String>,
}

impl ArtFacts {
    pub fn has(&self, arv: Arv) -> bool {
        self.arvs.contains(&arv)
    }
}

/// A viral-load result (or a pending sample) with its date.
#[derive(Clone, Debug, PartialEq)]
pub struct VlObservation {
    pub record_id: Option<Uuid>,
    pub at: NaiveDate,
    pub value: VlValue,
}

/// A CD4 count with its date.
#[derive(Clone, Debug, PartialEq)]
pub struct Cd4Observation {
    pub record_id: Option<Uuid>,
    pub at: NaiveDate,
    pub cells: Option<i64>,
}

/// A diagnosis that stages HIV (HIV.D15.DT), with its date.
#[derive(Clone, Debug, PartialEq)]
pub struct StageEvent {
    pub at: NaiveDate,
    /// The HIV.D15.DT row it falls under.
    pub rule_id: &'static str,
    pub condition: &'static str,
    pub stage: u8,
}

/// Contacts, missed visits and refills: what interruption in treatment reads.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RetentionFacts {
    /// The last clinical contact at the evaluating hospital (a record written, a visit
    /// attended, a dispensing).
    pub last_contact_here: Option<NaiveDate>,
    /// The last contact at another hospital of the network the caller may know of, and which.
    pub last_contact_elsewhere: Option<(NaiveDate, String)>,
    /// The first visit booked at the hospital that was missed since the last contact.
    pub missed_visit: Option<NaiveDate>,
    /// When the medicines last dispensed run out.
    pub supply_until: Option<NaiveDate>,
    /// The next visit booked, if any.
    pub next_visit: Option<NaiveDate>,
    /// The last tracing outcome recorded, with its date.
    pub outcome: Option<(super::retention::TracingOutcome, NaiveDate)>,
}

/// Everything a rule reads of one patient, on the day it is evaluated.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Facts {
    pub today: NaiveDate,
    pub birth: Option<NaiveDate>,
    /// `female`, `male`, `other`, `unknown`.
    pub sex: Option<String>,
    /// Present while on ART (not when stopped or never started).
    pub art: Option<ArtFacts>,
    /// Newest first: results and pending samples.
    pub viral_loads: Vec<VlObservation>,
    /// Newest first.
    pub cd4: Vec<Cd4Observation>,
    /// Newest first.
    pub stage_events: Vec<StageEvent>,
    /// Lab results by LOINC code with their dates, newest first (only the codes rules read:
    /// serum creatinine and eGFR).
    pub lab_tests: Vec<(String, NaiveDate)>,
    pub retention: RetentionFacts,
}

impl Facts {
    /// The patient's age in whole years today, when the birth date is known.
    pub fn age(&self) -> Option<u32> {
        self.birth.map(|b| super::age_on(b, self.today))
    }

    /// The ART start date, when on ART with a known start.
    pub fn art_start(&self) -> Option<NaiveDate> {
        self.art.as_ref().and_then(|a| a.start)
    }

    /// Whether today is at least `months` after the ART start.
    pub fn months_on_art(&self, months: u32) -> bool {
        self.art_start()
            .is_some_and(|s| self.today >= super::add_months(s, months))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regimens_are_read_from_their_name_and_their_atc_codes() {
        assert_eq!(
            Arv::parse_regimen("TDF+3TC+DTG", []),
            vec![Arv::Tdf, Arv::Lamivudine, Arv::Dtg]
        );
        assert_eq!(
            Arv::parse_regimen("AZT + 3TC + ATV/r", []),
            vec![Arv::Azt, Arv::Lamivudine, Arv::AtvR]
        );
        assert_eq!(
            Arv::parse_regimen("TLD", ["J05AR27"]),
            vec![Arv::Tdf, Arv::Lamivudine, Arv::Dtg]
        );
        assert_eq!(Arv::parse_regimen("", ["j05ax12"]), vec![Arv::Dtg]);
        assert_eq!(Arv::parse_regimen("ABC+3TC+LPV/r", []).len(), 3);
        assert!(Arv::parse_regimen("paracetamol", ["N02BE01"]).is_empty());
        assert!(Arv::Efv.is_nnrti() && !Arv::Dtg.is_nnrti());
    }
}
