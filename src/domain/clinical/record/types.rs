//! The record types of SPEC 2.4: their names, the data category each falls into, the
//! permissions that read and write each, and the fields of each payload.

use serde::{Deserialize, Serialize};

use crate::domain::clinical::category::DataCategory;
use crate::domain::identity::role::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    ViralLoad,
    Cd4,
    ArtRegimen,
    AdherenceNote,
    VitalSigns,
    LabResult,
    Diagnosis,
    Allergy,
    Prescription,
    Dispensing,
}

impl RecordType {
    pub const ALL: [RecordType; 10] = [
        RecordType::ViralLoad,
        RecordType::Cd4,
        RecordType::ArtRegimen,
        RecordType::AdherenceNote,
        RecordType::VitalSigns,
        RecordType::LabResult,
        RecordType::Diagnosis,
        RecordType::Allergy,
        RecordType::Prescription,
        RecordType::Dispensing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::ViralLoad => "viral_load",
            RecordType::Cd4 => "cd4",
            RecordType::ArtRegimen => "art_regimen",
            RecordType::AdherenceNote => "adherence_note",
            RecordType::VitalSigns => "vital_signs",
            RecordType::LabResult => "lab_result",
            RecordType::Diagnosis => "diagnosis",
            RecordType::Allergy => "allergy",
            RecordType::Prescription => "prescription",
            RecordType::Dispensing => "dispensing",
        }
    }

    /// Human label for tables and filters.
    pub fn label(self) -> &'static str {
        match self {
            RecordType::ViralLoad => "Viral load",
            RecordType::Cd4 => "CD4",
            RecordType::ArtRegimen => "ART regimen",
            RecordType::AdherenceNote => "Adherence note",
            RecordType::VitalSigns => "Vital signs",
            RecordType::LabResult => "Lab result",
            RecordType::Diagnosis => "Diagnosis",
            RecordType::Allergy => "Allergy",
            RecordType::Prescription => "Prescription",
            RecordType::Dispensing => "Dispensing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    pub fn category(self) -> DataCategory {
        match self {
            RecordType::ViralLoad | RecordType::Cd4 | RecordType::LabResult => DataCategory::Labs,
            RecordType::ArtRegimen | RecordType::Prescription | RecordType::Dispensing => {
                DataCategory::Art
            }
            RecordType::AdherenceNote
            | RecordType::VitalSigns
            | RecordType::Diagnosis
            | RecordType::Allergy => DataCategory::ClinicalNotes,
        }
    }

    /// The permission that writes this type.
    pub fn write_permission(self) -> Permission {
        match self {
            RecordType::ViralLoad | RecordType::Cd4 | RecordType::LabResult => {
                Permission::LabsWrite
            }
            RecordType::ArtRegimen | RecordType::Prescription => Permission::PrescriptionsWrite,
            RecordType::Dispensing => Permission::DispensingWrite,
            _ => Permission::RecordsWrite,
        }
    }

    /// Permissions that read this type: clinical readers read everything; pharmacists read
    /// regimens, prescriptions and dispensing.
    pub fn read_permissions(self) -> &'static [Permission] {
        match self.category() {
            DataCategory::Art => &[Permission::RecordsRead, Permission::RegimensRead],
            _ => &[Permission::RecordsRead],
        }
    }

    /// The payload's field names.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            RecordType::ViralLoad => &[
                "copies_per_ml",
                "comparator",
                "qualitative",
                "lower_limit",
                "sample_collected_at",
            ],
            RecordType::Cd4 => &["cells_per_ul", "percent"],
            RecordType::ArtRegimen => &["regimen", "drugs", "line", "action", "reason_code"],
            RecordType::AdherenceNote => &["text", "adherence_percent", "method"],
            RecordType::VitalSigns => &[
                "weight_kg",
                "height_cm",
                "bp_systolic",
                "bp_diastolic",
                "temperature_c",
                "pulse",
            ],
            RecordType::LabResult => &["loinc", "value", "unit", "reference_range"],
            RecordType::Diagnosis => &["icd10", "text"],
            RecordType::Allergy => &["substance", "reaction", "severity"],
            RecordType::Prescription => &[
                "drug_name",
                "atc",
                "dose",
                "frequency",
                "duration_days",
                "quantity",
            ],
            RecordType::Dispensing => &["prescription_id", "quantity", "days_supplied"],
        }
    }

    /// Whether a hospital may keep a record of this type from the patient's own view: notes
    /// only (an adherence counsellor's note, a diagnosis's wording); results and treatment are
    /// always the patient's to see.
    pub fn may_be_clinician_only(self) -> bool {
        matches!(self, RecordType::AdherenceNote | RecordType::Diagnosis)
    }

    /// Whether a new record of this type is checked against the patient's medicines for the
    /// WHO drug interactions (HIV.D21.2.DT).
    pub fn is_interaction_checked(self) -> bool {
        matches!(
            self,
            RecordType::Prescription | RecordType::ArtRegimen | RecordType::Dispensing
        )
    }

    /// Lab values are immutable: a correction is a new record that supersedes the old one.
    /// Only notes may be edited in place.
    pub fn is_editable(self) -> bool {
        matches!(self, RecordType::AdherenceNote | RecordType::Diagnosis)
    }
}
