//! HIV.D15.DT: the WHO clinical stage of a condition (adults, adolescents and children), as
//! data: one row per DAK rule with the condition's ICD-10 code from the DAK's data dictionary
//! (HIV.D15 data elements), so a diagnosis record becomes a staging event.
//!
//! Reference: WHO Consolidated guidelines on the use of antiretroviral drugs for treating and
//! preventing HIV infection, 2nd edition (2016), Annex 10.

use chrono::NaiveDate;

/// Who a staging row applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeBand {
    Any,
    /// 15 years or older (adults and adolescents).
    From15,
    /// Under 15 years (children).
    Under15,
    /// Older than 6 weeks.
    Over6Weeks,
    /// Older than 1 month.
    Over1Month,
}

impl AgeBand {
    /// Whether a person born on `birth` is in the band on `on` (unknown birth: the rows for
    /// everyone and for adults, the commoner case in an adult clinic).
    pub fn holds(self, birth: Option<NaiveDate>, on: NaiveDate) -> bool {
        let Some(birth) = birth else {
            return matches!(self, AgeBand::Any | AgeBand::From15);
        };
        let days = (on - birth).num_days();
        match self {
            AgeBand::Any => true,
            AgeBand::From15 => super::age_on(birth, on) >= 15,
            AgeBand::Under15 => super::age_on(birth, on) < 15,
            AgeBand::Over6Weeks => days > 42,
            AgeBand::Over1Month => super::add_months(birth, 1) < on,
        }
    }
}

/// One row of HIV.D15.DT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageRule {
    pub id: &'static str,
    pub condition: &'static str,
    pub age: AgeBand,
    /// WHO HIV clinical stage 1 to 4.
    pub stage: u8,
    /// The ICD-10 code the data dictionary gives the condition (empty when it has none).
    pub icd10: &'static str,
}

/// The rows of HIV.D15.DT in the table's order.
#[rustfmt::skip]
pub const STAGE_RULES: &[StageRule] = &[
    StageRule { id: "HIV.D15.DT.62", condition: "Asymptomatic", age: AgeBand::Any, stage: 1, icd10: "" },
    StageRule { id: "HIV.D15.DT.61", condition: "Persistent generalized lymphadenopathy", age: AgeBand::Any, stage: 1, icd10: "R59.1" },
    StageRule { id: "HIV.D15.DT.60", condition: "Herpes zoster", age: AgeBand::Any, stage: 2, icd10: "B02.9" },
    StageRule { id: "HIV.D15.DT.59", condition: "Recurrent oral ulceration", age: AgeBand::Any, stage: 2, icd10: "K12.1" },
    StageRule { id: "HIV.D15.DT.58", condition: "Papular pruritic eruption", age: AgeBand::Any, stage: 2, icd10: "L29.9" },
    StageRule { id: "HIV.D15.DT.57", condition: "Fungal nail infections", age: AgeBand::Any, stage: 2, icd10: "B35.1" },
    StageRule { id: "HIV.D15.DT.56", condition: "Moderate unexplained weight loss", age: AgeBand::From15, stage: 2, icd10: "R63.4" },
    StageRule { id: "HIV.D15.DT.55", condition: "Recurrent respiratory tract infections", age: AgeBand::From15, stage: 2, icd10: "J98.8" },
    StageRule { id: "HIV.D15.DT.54", condition: "Angular cheilitis", age: AgeBand::From15, stage: 2, icd10: "K13.0" },
    StageRule { id: "HIV.D15.DT.53", condition: "Seborrhoeic dermatitis", age: AgeBand::From15, stage: 2, icd10: "L21.9" },
    StageRule { id: "HIV.D15.DT.52", condition: "Unexplained persistent hepatosplenomegaly", age: AgeBand::Under15, stage: 2, icd10: "R16.2" },
    StageRule { id: "HIV.D15.DT.51", condition: "Linear gingival erythema", age: AgeBand::Under15, stage: 2, icd10: "K13.7" },
    StageRule { id: "HIV.D15.DT.50", condition: "Extensive wart virus infection", age: AgeBand::Under15, stage: 2, icd10: "B07" },
    StageRule { id: "HIV.D15.DT.49", condition: "Extensive molluscum contagiosum", age: AgeBand::Under15, stage: 2, icd10: "B08.1" },
    StageRule { id: "HIV.D15.DT.48", condition: "Unexplained persistent parotid enlargement", age: AgeBand::Under15, stage: 2, icd10: "K11.1" },
    StageRule { id: "HIV.D15.DT.47", condition: "Unexplained persistent fever (above 37.5° C, intermittent or constant, for longer than 1 month)", age: AgeBand::Any, stage: 3, icd10: "" },
    StageRule { id: "HIV.D15.DT.46", condition: "Oral hairy leukoplakia", age: AgeBand::Any, stage: 3, icd10: "K13.3" },
    StageRule { id: "HIV.D15.DT.45", condition: "Pulmonary TB", age: AgeBand::Any, stage: 3, icd10: "A15.9" },
    StageRule { id: "HIV.D15.DT.44", condition: "Acute necrotizing ulcerative gingivitis", age: AgeBand::Any, stage: 3, icd10: "A69.1" },
    StageRule { id: "HIV.D15.DT.43", condition: "Acute necrotizing ulcerative periodontitis", age: AgeBand::Any, stage: 3, icd10: "K05.2" },
    StageRule { id: "HIV.D15.DT.42", condition: "Unexplained anaemia (<8 g/dL)", age: AgeBand::Any, stage: 3, icd10: "D64.9" },
    StageRule { id: "HIV.D15.DT.41", condition: "Neutropaenia (<0.5 x 10^9/L)", age: AgeBand::Any, stage: 3, icd10: "D70" },
    StageRule { id: "HIV.D15.DT.40", condition: "Chronic thrombocytopaenia (<50 x 10^9/L)", age: AgeBand::Any, stage: 3, icd10: "D69.6" },
    StageRule { id: "HIV.D15.DT.39", condition: "Persistent oral candidiasis", age: AgeBand::Over6Weeks, stage: 3, icd10: "B37.0" },
    StageRule { id: "HIV.D15.DT.38", condition: "Severe bacterial infections (such as pneumonia, empyema, pyomyositis, bone or joint infection, meningitis, bacteraemia)", age: AgeBand::From15, stage: 3, icd10: "A49.9" },
    StageRule { id: "HIV.D15.DT.37", condition: "Unexplained severe weight loss in adults", age: AgeBand::From15, stage: 3, icd10: "R63.4" },
    StageRule { id: "HIV.D15.DT.36", condition: "Unexplained chronic diarrhoea for longer than 1 month", age: AgeBand::From15, stage: 3, icd10: "A09.9" },
    StageRule { id: "HIV.D15.DT.35", condition: "Acute necrotizing ulcerative stomatitis", age: AgeBand::From15, stage: 3, icd10: "A69.0" },
    StageRule { id: "HIV.D15.DT.34", condition: "Lymph node TB", age: AgeBand::Under15, stage: 3, icd10: "A18.2" },
    StageRule { id: "HIV.D15.DT.33", condition: "Unexplained persistent diarrhoea (14 days or more)", age: AgeBand::Under15, stage: 3, icd10: "A09.9" },
    StageRule { id: "HIV.D15.DT.32", condition: "Severe recurrent bacterial pneumonia", age: AgeBand::Under15, stage: 3, icd10: "J15.9" },
    StageRule { id: "HIV.D15.DT.31", condition: "Symptomatic lymphoid interstitial pneumonitis", age: AgeBand::Under15, stage: 3, icd10: "J84.8" },
    StageRule { id: "HIV.D15.DT.30", condition: "Chronic HIV-associated lung disease, including bronchiectasis", age: AgeBand::Under15, stage: 3, icd10: "J47" },
    StageRule { id: "HIV.D15.DT.29", condition: "Pneumocystis (jirovecii) pneumonia", age: AgeBand::Any, stage: 4, icd10: "B59" },
    StageRule { id: "HIV.D15.DT.28", condition: "Oesophageal candidiasis (or candidiasis of trachea, bronchi or lungs)", age: AgeBand::Any, stage: 4, icd10: "B37.8" },
    StageRule { id: "HIV.D15.DT.27", condition: "Extrapulmonary TB", age: AgeBand::Any, stage: 4, icd10: "A18.8" },
    StageRule { id: "HIV.D15.DT.26", condition: "Kaposi sarcoma", age: AgeBand::Any, stage: 4, icd10: "C46.9" },
    StageRule { id: "HIV.D15.DT.25", condition: "HIV encephalopathy", age: AgeBand::Any, stage: 4, icd10: "G93.4" },
    StageRule { id: "HIV.D15.DT.24", condition: "Extrapulmonary cryptococcosis, including meningitis", age: AgeBand::Any, stage: 4, icd10: "B45.8" },
    StageRule { id: "HIV.D15.DT.23", condition: "Disseminated nontuberculous mycobacterial infection", age: AgeBand::Any, stage: 4, icd10: "A31.8" },
    StageRule { id: "HIV.D15.DT.22", condition: "Progressive multifocal leukoencephalopathy", age: AgeBand::Any, stage: 4, icd10: "A81.2" },
    StageRule { id: "HIV.D15.DT.21", condition: "Chronic isosporiasis", age: AgeBand::Any, stage: 4, icd10: "A07.3" },
    StageRule { id: "HIV.D15.DT.20", condition: "Cerebral lymphoma", age: AgeBand::Any, stage: 4, icd10: "C85.9" },
    StageRule { id: "HIV.D15.DT.19", condition: "B-cell non-Hodgkin lymphoma", age: AgeBand::Any, stage: 4, icd10: "C85.1" },
    StageRule { id: "HIV.D15.DT.18", condition: "HIV-associated nephropathy or cardiomyopathy", age: AgeBand::Any, stage: 4, icd10: "N08.0" },
    StageRule { id: "HIV.D15.DT.17", condition: "Cytomegalovirus infection (retinitis or infection of other organs)", age: AgeBand::Over1Month, stage: 4, icd10: "B25.9" },
    StageRule { id: "HIV.D15.DT.16", condition: "Central nervous system toxoplasmosis", age: AgeBand::Over1Month, stage: 4, icd10: "B58.2" },
    StageRule { id: "HIV.D15.DT.15", condition: "Chronic herpes simplex infection (orolabial, genital or anorectal of more than 1 month in duration or visceral at any site)", age: AgeBand::From15, stage: 4, icd10: "B00.9" },
    StageRule { id: "HIV.D15.DT.14", condition: "Disseminated mycosis (extrapulmonary histoplasmosis, coccidioidomycosis)", age: AgeBand::From15, stage: 4, icd10: "B48.8" },
    StageRule { id: "HIV.D15.DT.13", condition: "HIV wasting syndrome", age: AgeBand::From15, stage: 4, icd10: "R64" },
    StageRule { id: "HIV.D15.DT.12", condition: "Recurrent severe bacterial pneumonia", age: AgeBand::From15, stage: 4, icd10: "J15.9" },
    StageRule { id: "HIV.D15.DT.11", condition: "Chronic cryptosporidiosis", age: AgeBand::From15, stage: 4, icd10: "A07.2" },
    StageRule { id: "HIV.D15.DT.10", condition: "Recurrent septicaemia (including nontyphoidal Salmonella)", age: AgeBand::From15, stage: 4, icd10: "A41.9" },
    StageRule { id: "HIV.D15.DT.9", condition: "Invasive cervical carcinoma", age: AgeBand::From15, stage: 4, icd10: "C53.9" },
    StageRule { id: "HIV.D15.DT.8", condition: "Atypical disseminated leishmaniasis", age: AgeBand::From15, stage: 4, icd10: "B55.9" },
    StageRule { id: "HIV.D15.DT.7", condition: "Chronic herpes simplex infection (orolabial or cutaneous of more than 1 month duration or visceral at any site)", age: AgeBand::Under15, stage: 4, icd10: "B00.9" },
    StageRule { id: "HIV.D15.DT.6", condition: "Disseminated endemic mycosis (extrapulmonary histoplasmosis, coccidioidomycosis, penicilliosis)", age: AgeBand::Under15, stage: 4, icd10: "B48.8" },
    StageRule { id: "HIV.D15.DT.5", condition: "Unexplained severe wasting not responding to standard therapy", age: AgeBand::Under15, stage: 4, icd10: "R64" },
    StageRule { id: "HIV.D15.DT.4", condition: "Unexplained stunting not responding to standard therapy", age: AgeBand::Under15, stage: 4, icd10: "E45" },
    StageRule { id: "HIV.D15.DT.3", condition: "Unexplained severe malnutrition not responding to standard therapy", age: AgeBand::Under15, stage: 4, icd10: "E43" },
    StageRule { id: "HIV.D15.DT.2", condition: "Recurrent severe bacterial infections (such as empyema, pyomyositis, bone or joint infection, meningitis, but excluding pneumonia)", age: AgeBand::Under15, stage: 4, icd10: "A49.9" },
    StageRule { id: "HIV.D15.DT.1", condition: "Chronic cryptosporidiosis (with diarrhoea)", age: AgeBand::Under15, stage: 4, icd10: "A07.2" },
];

/// The row a condition (by its DAK name) falls under for a person of that age.
pub fn stage_of_condition(
    condition: &str,
    birth: Option<NaiveDate>,
    on: NaiveDate,
) -> Option<&'static StageRule> {
    STAGE_RULES
        .iter()
        .find(|r| r.condition.eq_ignore_ascii_case(condition.trim()) && r.age.holds(birth, on))
}

/// The row a diagnosis's ICD-10 code falls under for a person of that age. One code may name
/// conditions of two stages (R63.4 is moderate and severe weight loss): the lower stage is
/// taken, since the code alone does not say which. A code is matched whole (`B59`) or by its
/// category when the dictionary gives a category (`B07` matches `B07.9`).
pub fn stage_of_icd10(
    code: &str,
    birth: Option<NaiveDate>,
    on: NaiveDate,
) -> Option<&'static StageRule> {
    let code = code.trim().to_ascii_uppercase();
    STAGE_RULES
        .iter()
        .filter(|r| !r.icd10.is_empty() && r.age.holds(birth, on))
        .filter(|r| {
            code == r.icd10 || (!r.icd10.contains('.') && code.split('.').next() == Some(r.icd10))
        })
        .min_by_key(|r| r.stage)
}

/// Whether the row names a form of tuberculosis (HIV.D17.DT.08 leaves those out).
pub fn is_tuberculosis(rule: &StageRule) -> bool {
    rule.condition.contains("TB")
}
