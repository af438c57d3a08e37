//! HIV.D21.2.DT: the 63 key ARV drug interactions of the WHO HIV DAK, as data. Each row names
//! an ARV of the regimen, a medicine, the ages and regimen lines it applies to, the DAK's
//! outputs and guidance verbatim, and a severity: `severe` rows (a regimen substitution, a
//! medicine to replace, an ARV dose to change) stop a prescription until the prescriber gives
//! an override reason; `caution` rows (a co-medication's dose, timing, contraception advice,
//! renal monitoring) are shown and need nothing more.
//!
//! Reference: WHO Consolidated guidelines on HIV prevention, testing, treatment, service
//! delivery and monitoring (2021), Table 4.14 and section 4.1.

use serde::{Deserialize, Serialize};

use super::facts::Arv;
use super::flag::WHO_2021;

/// A medicine of the table, recognised by ATC code (prefix) or by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Medicine {
    Rifampicin,
    Halofantrine,
    Lovastatin,
    Simvastatin,
    HormonalContraception,
    EstrogenContraception,
    Astemizole,
    Terfenadine,
    Tenofovir,
    Simeprevir,
    OmbitasvirParitaprevirDasabuvir,
    Methadone,
    Buprenorphine,
    Dofetilide,
    Carbamazepine,
    Phenobarbital,
    Phenytoin,
    PolyvalentCations,
    Amodiaquine,
    Cisapride,
    Metformin,
    Ergotamine,
    Dihydroergotamine,
    Midazolam,
    Triazolam,
    Ribavirin,
    PeginterferonAlfa2a,
}

impl Medicine {
    pub const ALL: [Medicine; 27] = [
        Medicine::Rifampicin,
        Medicine::Halofantrine,
        Medicine::Lovastatin,
        Medicine::Simvastatin,
        Medicine::HormonalContraception,
        Medicine::EstrogenContraception,
        Medicine::Astemizole,
        Medicine::Terfenadine,
        Medicine::Tenofovir,
        Medicine::Simeprevir,
        Medicine::OmbitasvirParitaprevirDasabuvir,
        Medicine::Methadone,
        Medicine::Buprenorphine,
        Medicine::Dofetilide,
        Medicine::Carbamazepine,
        Medicine::Phenobarbital,
        Medicine::Phenytoin,
        Medicine::PolyvalentCations,
        Medicine::Amodiaquine,
        Medicine::Cisapride,
        Medicine::Metformin,
        Medicine::Ergotamine,
        Medicine::Dihydroergotamine,
        Medicine::Midazolam,
        Medicine::Triazolam,
        Medicine::Ribavirin,
        Medicine::PeginterferonAlfa2a,
    ];

    /// The DAK's name for it.
    pub fn label(self) -> &'static str {
        match self {
            Medicine::Rifampicin => "Rifampicin",
            Medicine::Halofantrine => "Halofantrine",
            Medicine::Lovastatin => "Lovastatin",
            Medicine::Simvastatin => "Simvastatin",
            Medicine::HormonalContraception => "Hormonal contraception",
            Medicine::EstrogenContraception => "Estrogen-based hormonal contraception",
            Medicine::Astemizole => "Astemizole",
            Medicine::Terfenadine => "Terfenadine",
            Medicine::Tenofovir => "TDF",
            Medicine::Simeprevir => "Simeprevir",
            Medicine::OmbitasvirParitaprevirDasabuvir => {
                "Ombitasvir + paritaprevir/ritonavir + dasabuvir"
            }
            Medicine::Methadone => "Methadone",
            Medicine::Buprenorphine => "Buprenorphine",
            Medicine::Dofetilide => "Dofetilide",
            Medicine::Carbamazepine => "Carbamazepine",
            Medicine::Phenobarbital => "Phenobarbital",
            Medicine::Phenytoin => "Phenytoin",
            Medicine::PolyvalentCations => {
                "Polyvalent cation products containing Mg, Al, Fe, Ca and Zn"
            }
            Medicine::Amodiaquine => "Amodiaquine",
            Medicine::Cisapride => "Cisapride",
            Medicine::Metformin => "Metformin",
            Medicine::Ergotamine => "Ergotamine",
            Medicine::Dihydroergotamine => "Dihydroergotamine",
            Medicine::Midazolam => "Midazolam",
            Medicine::Triazolam => "Triazolam",
            Medicine::Ribavirin => "Ribavirin",
            Medicine::PeginterferonAlfa2a => "Peginterferon alfa-2a",
        }
    }

    /// ATC codes (or code prefixes: a group) that are this medicine.
    fn atc(self) -> &'static [&'static str] {
        match self {
            Medicine::Rifampicin => &["J04AB02", "J04AM02", "J04AM05", "J04AM06", "J04AM07"],
            Medicine::Halofantrine => &["P01BX01"],
            Medicine::Lovastatin => &["C10AA02"],
            Medicine::Simvastatin => &["C10AA01", "C10BA02"],
            // Hormonal contraceptives for systemic use, the vaginal ring, the hormonal IUD.
            Medicine::HormonalContraception => &["G03A", "G02BB", "G02BA03"],
            // Progestogens and estrogens (fixed and sequential), the combined ring.
            Medicine::EstrogenContraception => &["G03AA", "G03AB", "G02BB01"],
            Medicine::Astemizole => &["R06AX11"],
            Medicine::Terfenadine => &["R06AX12"],
            Medicine::Tenofovir => &[
                "J05AF07", "J05AR03", "J05AR06", "J05AR11", "J05AR12", "J05AR27",
            ],
            Medicine::Simeprevir => &["J05AP05", "J05AE14"],
            Medicine::OmbitasvirParitaprevirDasabuvir => &["J05AP52", "J05AP53", "J05AP09"],
            Medicine::Methadone => &["N07BC02"],
            Medicine::Buprenorphine => &["N07BC01", "N07BC51", "N02AE01"],
            Medicine::Dofetilide => &["C01BD04"],
            Medicine::Carbamazepine => &["N03AF01"],
            Medicine::Phenobarbital => &["N03AA02"],
            Medicine::Phenytoin => &["N03AB02", "N03AB52"],
            // Antacids, calcium, magnesium, zinc and iron supplements.
            Medicine::PolyvalentCations => &["A02A", "A12AA", "A12CC", "A12CB", "B03A"],
            Medicine::Amodiaquine => &["P01BA06", "P01BF03"],
            Medicine::Cisapride => &["A03FA02"],
            Medicine::Metformin => &["A10BA02"],
            Medicine::Ergotamine => &["N02CA02", "N02CA52"],
            Medicine::Dihydroergotamine => &["N02CA01"],
            Medicine::Midazolam => &["N05CD08"],
            Medicine::Triazolam => &["N05CD05"],
            Medicine::Ribavirin => &["J05AP01", "J05AB04"],
            Medicine::PeginterferonAlfa2a => &["L03AB11"],
        }
    }

    /// Words that name it in a prescription's drug name (lower case).
    fn names(self) -> &'static [&'static str] {
        match self {
            Medicine::Rifampicin => &["rifampicin", "rifampin"],
            Medicine::Halofantrine => &["halofantrine"],
            Medicine::Lovastatin => &["lovastatin"],
            Medicine::Simvastatin => &["simvastatin"],
            Medicine::HormonalContraception => &[
                "hormonal contraception",
                "contraceptive",
                "levonorgestrel",
                "etonogestrel",
                "medroxyprogesterone",
                "norethisterone",
                "desogestrel",
                "ethinylestradiol",
                "ethinyl estradiol",
                "dmpa",
            ],
            Medicine::EstrogenContraception => &[
                "estrogen-based hormonal contraception",
                "ethinylestradiol",
                "ethinyl estradiol",
                "combined oral contraceptive",
            ],
            Medicine::Astemizole => &["astemizole"],
            Medicine::Terfenadine => &["terfenadine"],
            Medicine::Tenofovir => &["tdf", "tenofovir disoproxil"],
            Medicine::Simeprevir => &["simeprevir"],
            Medicine::OmbitasvirParitaprevirDasabuvir => {
                &["ombitasvir", "paritaprevir", "dasabuvir"]
            }
            Medicine::Methadone => &["methadone"],
            Medicine::Buprenorphine => &["buprenorphine"],
            Medicine::Dofetilide => &["dofetilide"],
            Medicine::Carbamazepine => &["carbamazepine"],
            Medicine::Phenobarbital => &["phenobarbital", "phenobarbitone"],
            Medicine::Phenytoin => &["phenytoin"],
            Medicine::PolyvalentCations => &[
                "polyvalent cation",
                "antacid",
                "calcium",
                "magnesium",
                "aluminium",
                "aluminum",
                "ferrous",
                "iron",
                "zinc",
            ],
            Medicine::Amodiaquine => &["amodiaquine"],
            Medicine::Cisapride => &["cisapride"],
            Medicine::Metformin => &["metformin"],
            Medicine::Ergotamine => &["ergotamine"],
            Medicine::Dihydroergotamine => &["dihydroergotamine"],
            Medicine::Midazolam => &["midazolam"],
            Medicine::Triazolam => &["triazolam"],
            Medicine::Ribavirin => &["ribavirin"],
            Medicine::PeginterferonAlfa2a => &["peginterferon alfa-2a", "peginterferon alfa 2a"],
        }
    }

    /// Whether a prescribed item (its drug name and ATC code) is this medicine.
    pub fn matches(self, name: &str, atc: Option<&str>) -> bool {
        if let Some(code) = atc.map(|c| c.trim().to_ascii_uppercase()) {
            if !code.is_empty() && self.atc().iter().any(|p| code.starts_with(p)) {
                return true;
            }
        }
        let name = name.to_lowercase();
        if name.trim() == self.label().to_lowercase() {
            return true;
        }
        self.names().iter().any(|n| {
            // Whole words, so `iron` is not found in `ironwood` nor `tdf` in a longer code.
            name.match_indices(n).any(|(i, _)| {
                let before = name[..i].chars().next_back();
                let after = name[i + n.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        })
    }
}

/// Ages a row applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeLimit {
    Any,
    From10,
    Under10,
}

/// Regimen lines a row applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineLimit {
    Any,
    First,
    Second,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InteractionSeverity {
    /// Shown; nothing more is needed.
    Caution,
    /// Refused unless the prescriber gives an override reason (which is audited).
    Severe,
}

/// One row of HIV.D21.2.DT.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interaction {
    pub id: &'static str,
    pub arv: Arv,
    pub medicine: Medicine,
    pub age: AgeLimit,
    pub line: LineLimit,
    pub severity: InteractionSeverity,
    /// The DAK's outputs (`Regimen substitution recommended`).
    pub outputs: &'static [&'static str],
    /// The DAK's guidance, verbatim.
    pub guidance: &'static str,
}

/// The 63 rows of HIV.D21.2.DT in the table's order.
#[rustfmt::skip]
pub const INTERACTIONS: &[Interaction] = &[
    Interaction { id: "HIV.D21.2.DT.01", arv: Arv::AtvR, medicine: Medicine::Rifampicin, age: AgeLimit::From10, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "Suggested management is to substitute rifampicin with rifabutin" },
    Interaction { id: "HIV.D21.2.DT.02", arv: Arv::AtvR, medicine: Medicine::Rifampicin, age: AgeLimit::Under10, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Dose adjustment recommended", "Regimen substitution recommended"], guidance: "Suggested management: Substitute rifampicin with rifabutin. Adjust the dose of LPV/r or substitute with three NRTIs (for children)" },
    Interaction { id: "HIV.D21.2.DT.03", arv: Arv::AtvR, medicine: Medicine::Halofantrine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Suggested management: Use an alternative antimalarial agent" },
    Interaction { id: "HIV.D21.2.DT.04", arv: Arv::AtvR, medicine: Medicine::Lovastatin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Suggested management: Use an alternative statin (such as pravastatin)" },
    Interaction { id: "HIV.D21.2.DT.05", arv: Arv::AtvR, medicine: Medicine::Simvastatin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Suggested management: Use an alternative statin (such as pravastatin)" },
    Interaction { id: "HIV.D21.2.DT.06", arv: Arv::AtvR, medicine: Medicine::HormonalContraception, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Prevention services offered and referrals: Offer male and female condoms and condom-compatible lubricants"], guidance: "Offer male and female condoms and condom-compatible lubricants Use alternative or additional contraceptive methods" },
    Interaction { id: "HIV.D21.2.DT.07", arv: Arv::AtvR, medicine: Medicine::Astemizole, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent" },
    Interaction { id: "HIV.D21.2.DT.08", arv: Arv::AtvR, medicine: Medicine::Terfenadine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent" },
    Interaction { id: "HIV.D21.2.DT.09", arv: Arv::AtvR, medicine: Medicine::Tenofovir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &[], guidance: "Monitor renal function" },
    Interaction { id: "HIV.D21.2.DT.10", arv: Arv::AtvR, medicine: Medicine::Simeprevir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.11", arv: Arv::AtvR, medicine: Medicine::OmbitasvirParitaprevirDasabuvir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.12", arv: Arv::AtvR, medicine: Medicine::Methadone, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust methadone and buprenorphine doses as appropriate." },
    Interaction { id: "HIV.D21.2.DT.13", arv: Arv::AtvR, medicine: Medicine::Buprenorphine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust methadone and buprenorphine doses as appropriate." },
    Interaction { id: "HIV.D21.2.DT.14", arv: Arv::DrvR, medicine: Medicine::Halofantrine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antimalarial agent." },
    Interaction { id: "HIV.D21.2.DT.15", arv: Arv::DrvR, medicine: Medicine::Lovastatin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative statin (such as pravastatin)." },
    Interaction { id: "HIV.D21.2.DT.16", arv: Arv::DrvR, medicine: Medicine::Simvastatin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative statin (such as pravastatin)." },
    Interaction { id: "HIV.D21.2.DT.17", arv: Arv::DrvR, medicine: Medicine::HormonalContraception, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Prevention services offered and referrals: Offer male and female condoms and condom-compatible lubricants"], guidance: "Offer male and female condoms and condom-compatible lubricants Use alternative or additional contraceptive methods." },
    Interaction { id: "HIV.D21.2.DT.18", arv: Arv::DrvR, medicine: Medicine::Astemizole, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent." },
    Interaction { id: "HIV.D21.2.DT.19", arv: Arv::DrvR, medicine: Medicine::Terfenadine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent." },
    Interaction { id: "HIV.D21.2.DT.20", arv: Arv::DrvR, medicine: Medicine::Tenofovir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Medication change recommended"], guidance: "Monitor renal function." },
    Interaction { id: "HIV.D21.2.DT.21", arv: Arv::DrvR, medicine: Medicine::Simeprevir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.22", arv: Arv::DrvR, medicine: Medicine::OmbitasvirParitaprevirDasabuvir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.23", arv: Arv::DrvR, medicine: Medicine::Methadone, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust methadone and buprenorphine doses as appropriate." },
    Interaction { id: "HIV.D21.2.DT.24", arv: Arv::DrvR, medicine: Medicine::Buprenorphine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust methadone and buprenorphine doses as appropriate." },
    Interaction { id: "HIV.D21.2.DT.25", arv: Arv::DrvR, medicine: Medicine::Rifampicin, age: AgeLimit::From10, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "Suggested management is to substitute rifampicin with rifabutin" },
    Interaction { id: "HIV.D21.2.DT.26", arv: Arv::DrvR, medicine: Medicine::Rifampicin, age: AgeLimit::Under10, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Dose adjustment recommended", "Regimen substitution recommended"], guidance: "Suggested management is to substitute rifampicin with rifabutin, adjust the dose of LPV/r or substitute with three NRTIs (for children)" },
    Interaction { id: "HIV.D21.2.DT.27", arv: Arv::LpvR, medicine: Medicine::Halofantrine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antimalarial agent." },
    Interaction { id: "HIV.D21.2.DT.28", arv: Arv::LpvR, medicine: Medicine::Lovastatin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative statin (such as pravastatin)." },
    Interaction { id: "HIV.D21.2.DT.29", arv: Arv::LpvR, medicine: Medicine::Simvastatin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative statin (such as pravastatin)." },
    Interaction { id: "HIV.D21.2.DT.30", arv: Arv::LpvR, medicine: Medicine::HormonalContraception, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Prevention services offered and referrals: Offer male and female condoms and condom-compatible lubricants"], guidance: "Offer male and female condoms and condom-compatible lubricants Use alternative or additional contraceptive methods." },
    Interaction { id: "HIV.D21.2.DT.31", arv: Arv::LpvR, medicine: Medicine::Astemizole, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent." },
    Interaction { id: "HIV.D21.2.DT.32", arv: Arv::LpvR, medicine: Medicine::Terfenadine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent." },
    Interaction { id: "HIV.D21.2.DT.33", arv: Arv::LpvR, medicine: Medicine::Tenofovir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Medication change recommended"], guidance: "Monitor renal function." },
    Interaction { id: "HIV.D21.2.DT.34", arv: Arv::LpvR, medicine: Medicine::Simeprevir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.35", arv: Arv::LpvR, medicine: Medicine::OmbitasvirParitaprevirDasabuvir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.36", arv: Arv::LpvR, medicine: Medicine::Methadone, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust methadone and buprenorphine doses as appropriate." },
    Interaction { id: "HIV.D21.2.DT.37", arv: Arv::LpvR, medicine: Medicine::Buprenorphine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust methadone and buprenorphine doses as appropriate." },
    Interaction { id: "HIV.D21.2.DT.38", arv: Arv::LpvR, medicine: Medicine::Rifampicin, age: AgeLimit::From10, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "Substitute rifampicin with rifabutin." },
    Interaction { id: "HIV.D21.2.DT.39", arv: Arv::LpvR, medicine: Medicine::Rifampicin, age: AgeLimit::Under10, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Dose adjustment recommended", "Regimen substitution recommended"], guidance: "Substitute rifampicin with rifabutin. Adjust the dose of LPV/r or substitute with three NRTIs (for children)" },
    Interaction { id: "HIV.D21.2.DT.40", arv: Arv::Dtg, medicine: Medicine::Dofetilide, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antiarrhythmic agent." },
    Interaction { id: "HIV.D21.2.DT.41", arv: Arv::Dtg, medicine: Medicine::Rifampicin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Dose adjustment recommended"], guidance: "Adjust the dose of DTG or substitute rifampicin with rifabutin." },
    Interaction { id: "HIV.D21.2.DT.42", arv: Arv::Dtg, medicine: Medicine::Carbamazepine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative anticonvulsant agent (such as valproic acid or gabapentin)." },
    Interaction { id: "HIV.D21.2.DT.43", arv: Arv::Dtg, medicine: Medicine::Phenobarbital, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative anticonvulsant agent (such as valproic acid or gabapentin)." },
    Interaction { id: "HIV.D21.2.DT.44", arv: Arv::Dtg, medicine: Medicine::Phenytoin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative anticonvulsant agent (such as valproic acid or gabapentin)." },
    Interaction { id: "HIV.D21.2.DT.45", arv: Arv::Dtg, medicine: Medicine::PolyvalentCations, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Medication change recommended"], guidance: "Use DTG at least two hours before or at least six hours after supplements containing polyvalent cations, including but not limited to the following products: multivitamin supplements containing Fe, Ca, Mg or Zn; mineral supplements, cation-containing laxatives and antacids containing Al, Ca or Mg. Monitor for efficacy in suppressing viral load." },
    Interaction { id: "HIV.D21.2.DT.46", arv: Arv::Dtg, medicine: Medicine::Amodiaquine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antimalarial agent." },
    Interaction { id: "HIV.D21.2.DT.47", arv: Arv::Dtg, medicine: Medicine::Cisapride, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative gastrointestinal agent." },
    Interaction { id: "HIV.D21.2.DT.48", arv: Arv::Dtg, medicine: Medicine::Metformin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Medication change recommended"], guidance: "Avoid high-dose metformin with DTG; adjust the metformin dose as appropriate" },
    Interaction { id: "HIV.D21.2.DT.49", arv: Arv::Efv, medicine: Medicine::Methadone, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Dose adjustment recommended"], guidance: "Adjust the methadone dose as appropriate. Co-administering efavirenz (EFV) decreases methadone concentrations. This could subsequently cause withdrawal symptoms and increase the risk of relapse to opioid use. People receiving methadone and EFV should be monitored closely, and those experiencing opioid withdrawal may need to adjust their methadone dose (50)." },
    Interaction { id: "HIV.D21.2.DT.50", arv: Arv::Efv, medicine: Medicine::HormonalContraception, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Prevention services offered and referrals: Offer male and female condoms and condom-compatible lubricants"], guidance: "Offer male and female condoms and condom-compatible lubricants Use alternative or additional contraceptive methods. Advise additional use of male or female condoms." },
    Interaction { id: "HIV.D21.2.DT.51", arv: Arv::Efv, medicine: Medicine::Astemizole, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent." },
    Interaction { id: "HIV.D21.2.DT.52", arv: Arv::Efv, medicine: Medicine::Terfenadine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antihistamine agent." },
    Interaction { id: "HIV.D21.2.DT.53", arv: Arv::Efv, medicine: Medicine::Ergotamine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antimigraine agent." },
    Interaction { id: "HIV.D21.2.DT.54", arv: Arv::Efv, medicine: Medicine::Dihydroergotamine, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative antimigraine agent." },
    Interaction { id: "HIV.D21.2.DT.55", arv: Arv::Efv, medicine: Medicine::Simeprevir, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative direct-acting antiviral agent." },
    Interaction { id: "HIV.D21.2.DT.56", arv: Arv::Efv, medicine: Medicine::Midazolam, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative anxiolytic agent." },
    Interaction { id: "HIV.D21.2.DT.57", arv: Arv::Efv, medicine: Medicine::Triazolam, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Medication change recommended"], guidance: "Use an alternative anxiolytic agent." },
    Interaction { id: "HIV.D21.2.DT.58", arv: Arv::Efv, medicine: Medicine::Rifampicin, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "Substitute EFV with nevirapine (NVP)." },
    Interaction { id: "HIV.D21.2.DT.59", arv: Arv::Nvp, medicine: Medicine::EstrogenContraception, age: AgeLimit::Any, line: LineLimit::Any, severity: InteractionSeverity::Caution, outputs: &["Prevention services offered and referrals: Offer male and female condoms and condom-compatible lubricants"], guidance: "Offer male and female condoms and condom-compatible lubricants Advise additional use of male or female condoms." },
    Interaction { id: "HIV.D21.2.DT.60", arv: Arv::Azt, medicine: Medicine::Ribavirin, age: AgeLimit::Any, line: LineLimit::First, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "First-line: substitute AZT with tenofovir (TDF)." },
    Interaction { id: "HIV.D21.2.DT.61", arv: Arv::Azt, medicine: Medicine::Ribavirin, age: AgeLimit::Any, line: LineLimit::Second, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "Second-line: substitute AZT with stavudine (d4T)." },
    Interaction { id: "HIV.D21.2.DT.62", arv: Arv::Azt, medicine: Medicine::PeginterferonAlfa2a, age: AgeLimit::Any, line: LineLimit::First, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "First-line: substitute AZT with TDF." },
    Interaction { id: "HIV.D21.2.DT.63", arv: Arv::Azt, medicine: Medicine::PeginterferonAlfa2a, age: AgeLimit::Any, line: LineLimit::Second, severity: InteractionSeverity::Severe, outputs: &["Regimen substitution recommended"], guidance: "Second-line: substitute AZT with stavudine (d4T)." },
];

/// A warning a prescription or regimen comes back with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InteractionWarning {
    /// `HIV.D21.2.DT.41`.
    pub rule_id: String,
    pub severity: InteractionSeverity,
    /// The ARV of the regimen (`DTG`).
    pub arv: String,
    /// The medicine as the DAK names it (`Rifampicin`).
    pub medicine: String,
    /// What the DAK recommends be set (`Dose adjustment recommended`).
    pub outputs: Vec<String>,
    pub guidance: String,
    pub reference: String,
}

impl InteractionWarning {
    /// `DTG with Rifampicin (HIV.D21.2.DT.41): Adjust the dose of DTG or ...`.
    pub fn line(&self) -> String {
        format!(
            "{} with {} ({}): {}",
            self.arv, self.medicine, self.rule_id, self.guidance
        )
    }
}

/// One medicine the patient takes or is being prescribed.
#[derive(Clone, Debug, PartialEq)]
pub struct Prescribed {
    pub name: String,
    pub atc: Option<String>,
}

/// What a new `prescription` or `art_regimen` is checked against: the patient's current
/// regimen and medicines, age and regimen line.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Medication {
    pub regimen: Vec<Arv>,
    pub medicines: Vec<Prescribed>,
    pub age: Option<u32>,
    /// `first`, `second` or `third`.
    pub line: Option<String>,
}

fn applies(i: &Interaction, age: Option<u32>, line: Option<&str>) -> bool {
    // An unknown age is taken as 10 or more, an unknown line as first-line: the commoner
    // case in an adult clinic.
    let age_ok = match i.age {
        AgeLimit::Any => true,
        AgeLimit::From10 => age.is_none_or(|a| a >= 10),
        AgeLimit::Under10 => age.is_some_and(|a| a < 10),
    };
    let line_ok = match i.line {
        LineLimit::Any => true,
        LineLimit::First => !matches!(line, Some("second") | Some("third")),
        LineLimit::Second => matches!(line, Some("second")),
    };
    age_ok && line_ok
}

/// The warning of the rule called `id` (a stored record's `interaction_rules`).
pub fn warning_of(id: &str) -> Option<InteractionWarning> {
    INTERACTIONS.iter().find(|i| i.id == id.trim()).map(warning)
}

fn warning(i: &Interaction) -> InteractionWarning {
    InteractionWarning {
        rule_id: i.id.to_string(),
        severity: i.severity,
        arv: i.arv.abbreviation().to_string(),
        medicine: i.medicine.label().to_string(),
        outputs: i.outputs.iter().map(|s| s.to_string()).collect(),
        guidance: i.guidance.to_string(),
        reference: format!("{WHO_2021}, Table 4.14"),
    }
}

/// Every interaction between the regimen and the medicines (rows in the table's order; a row
/// once). A medicine that is itself an ARV of the regimen (TDF in `TDF+3TC+ATV/r`) counts.
pub fn interactions(m: &Medication) -> Vec<InteractionWarning> {
    INTERACTIONS
        .iter()
        .filter(|i| m.regimen.contains(&i.arv) && applies(i, m.age, m.line.as_deref()))
        .filter(|i| {
            (i.medicine == Medicine::Tenofovir && m.regimen.contains(&Arv::Tdf))
                || m.medicines
                    .iter()
                    .any(|p| i.medicine.matches(&p.name, p.atc.as_deref()))
        })
        .map(warning)
        .collect()
}

/// The interactions a new item brings: those of (current regimen and medicines plus the new
/// item) that involve the new item. `new_regimen` replaces the current regimen (a new
/// `art_regimen`); `new_medicine` joins the medicines (a new `prescription`; an ARV prescribed
/// alone joins the regimen too).
pub fn check_new(
    current: &Medication,
    new_regimen: Option<&[Arv]>,
    new_medicine: Option<&Prescribed>,
) -> Vec<InteractionWarning> {
    let mut m = current.clone();
    if let Some(r) = new_regimen {
        m.regimen = r.to_vec();
    }
    let new_arvs: Vec<Arv> = match (new_regimen, new_medicine) {
        (Some(r), _) => r.to_vec(),
        (None, Some(p)) => Arv::parse_regimen(&p.name, p.atc.as_deref()),
        (None, None) => Vec::new(),
    };
    for a in &new_arvs {
        if !m.regimen.contains(a) {
            m.regimen.push(*a);
        }
    }
    if let Some(p) = new_medicine {
        m.medicines.push(p.clone());
    }
    interactions(&m)
        .into_iter()
        .filter(|w| {
            let involves_new_arv = new_arvs.iter().any(|a| a.abbreviation() == w.arv);
            let involves_new_medicine = new_medicine.is_some_and(|p| {
                Medicine::ALL
                    .iter()
                    .find(|x| x.label() == w.medicine)
                    .is_some_and(|x| x.matches(&p.name, p.atc.as_deref()))
            });
            involves_new_arv || involves_new_medicine
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(regimen: &str) -> Medication {
        Medication {
            regimen: Arv::parse_regimen(regimen, []),
            ..Default::default()
        }
    }

    fn rx(name: &str, atc: Option<&str>) -> Prescribed {
        Prescribed {
            name: name.into(),
            atc: atc.map(str::to_string),
        }
    }

    #[test]
    fn rifampicin_for_a_patient_on_dolutegravir_is_stopped_with_the_who_rule() {
        let w = check_new(
            &on("TDF+3TC+DTG"),
            None,
            Some(&rx("Rifampicin 600 mg", None)),
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].rule_id, "HIV.D21.2.DT.41");
        assert_eq!(w[0].severity, InteractionSeverity::Severe);
        assert!(w[0].guidance.contains("Adjust the dose of DTG"));
        // The same by ATC code, and by a fixed-dose combination's code.
        let by_code = check_new(&on("TLD"), None, Some(&rx("R-HZE", Some("J04AM06"))));
        assert!(by_code.is_empty(), "TLD by name alone is not parsed");
        let tld = Medication {
            regimen: Arv::parse_regimen("TLD", ["J05AR27"]),
            ..Default::default()
        };
        let by_code = check_new(&tld, None, Some(&rx("R-HZE", Some("J04AM06"))));
        assert_eq!(by_code[0].rule_id, "HIV.D21.2.DT.41");
    }

    #[test]
    fn a_new_regimen_is_checked_against_the_medicines_already_taken() {
        let current = Medication {
            medicines: vec![rx("Carbamazepine 200 mg", None), rx("Paracetamol", None)],
            ..Default::default()
        };
        let w = check_new(&current, Some(&Arv::parse_regimen("TDF+3TC+DTG", [])), None);
        assert_eq!(
            w.iter().map(|w| w.rule_id.as_str()).collect::<Vec<_>>(),
            ["HIV.D21.2.DT.42"]
        );
        // Nothing new: nothing reported, even where the current medicines interact.
        let both = Medication {
            regimen: Arv::parse_regimen("TDF+3TC+DTG", []),
            ..current
        };
        assert!(check_new(&both, None, Some(&rx("Paracetamol", None))).is_empty());
        assert_eq!(interactions(&both).len(), 1);
    }

    #[test]
    fn names_match_whole_words_only() {
        assert!(Medicine::PolyvalentCations.matches("Ferrous sulfate 200 mg", None));
        assert!(!Medicine::PolyvalentCations.matches("Ironwood extract", None));
        assert!(Medicine::PolyvalentCations.matches("x", Some("b03aa07")));
        assert!(Medicine::Rifampicin.matches("RIFAMPICIN", None));
    }

    #[test]
    fn tenofovir_with_a_boosted_pi_asks_for_renal_monitoring_without_blocking() {
        let w = check_new(
            &Medication::default(),
            Some(&Arv::parse_regimen("TDF+3TC+LPV/r", [])),
            None,
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].rule_id, "HIV.D21.2.DT.33");
        assert_eq!(w[0].severity, InteractionSeverity::Caution);
    }
}
