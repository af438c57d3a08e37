//! The data categories a consent grant names (SPEC section 1). Records and attachments each
//! fall into one; the policy reads a hospital's view of a patient by category.

use serde::{Deserialize, Serialize};

/// Data categories a consent grant names (SPEC section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    Demographics,
    HivStatus,
    Art,
    Labs,
    ClinicalNotes,
    Appointments,
    Billing,
    Sensitive,
}

impl DataCategory {
    pub const ALL: [DataCategory; 8] = [
        DataCategory::Demographics,
        DataCategory::HivStatus,
        DataCategory::Art,
        DataCategory::Labs,
        DataCategory::ClinicalNotes,
        DataCategory::Appointments,
        DataCategory::Billing,
        DataCategory::Sensitive,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DataCategory::Demographics => "demographics",
            DataCategory::HivStatus => "hiv_status",
            DataCategory::Art => "art",
            DataCategory::Labs => "labs",
            DataCategory::ClinicalNotes => "clinical_notes",
            DataCategory::Appointments => "appointments",
            DataCategory::Billing => "billing",
            DataCategory::Sensitive => "sensitive",
        }
    }
}
