//! What a patient sees of who looked at their record: per access, the hospital, the role (never
//! the staff member's name or email), what was read, when, and whether it was break-glass (with
//! its reason).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::record::RecordType;

/// One access to the patient's record by staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AccessLogEntry {
    pub at: DateTime<Utc>,
    /// The staff member's hospital.
    pub hospital_name: Option<String>,
    /// The staff member's role, e.g. `clinician`.
    pub role: Option<String>,
    /// What was touched: `patient` (profile), `clinical_record`, `attachment`,
    /// `patient_chart`, `consent_grant`, `break_glass`, ...
    pub what: String,
    /// `read`, `create`, `update`, `delete`, `break_glass`, ...
    pub action: String,
    /// Made under break-glass (the opening itself, or a read while it was open).
    pub break_glass: bool,
    /// Made by someone who acts for the patient (a family member or guardian), not staff.
    #[serde(default)]
    pub by_proxy: bool,
    /// Made by a hospital's computer system (an integration client), not a person.
    #[serde(default)]
    pub by_system: bool,
    /// The clinician's reason, on the break-glass opening itself.
    pub reason: Option<String>,
    /// The kinds of records a read covered (labs, treatment, ...), when the entry says.
    #[serde(default)]
    pub categories: Vec<DataCategory>,
}

/// The data categories an audit entry's details name: the record types a list or a chart
/// read (`types`, `record_types`), each counted once, in the order of [`DataCategory::ALL`].
pub fn categories_read(details: &Value) -> Vec<DataCategory> {
    let named: Vec<DataCategory> = ["types", "record_types"]
        .iter()
        .filter_map(|key| details.get(key).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(RecordType::parse)
        .map(RecordType::category)
        .collect();
    DataCategory::ALL
        .into_iter()
        .filter(|c| named.contains(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_read_names_the_kinds_of_records_it_covered() {
        let chart =
            json!({"record_types": ["viral_load", "cd4", "art_regimen"], "parts": ["profile"]});
        assert_eq!(
            categories_read(&chart),
            [DataCategory::Art, DataCategory::Labs]
        );
        let list = json!({"types": ["adherence_note", "viral_load", "bogus"]});
        assert_eq!(
            categories_read(&list),
            [DataCategory::Labs, DataCategory::ClinicalNotes]
        );
        assert!(categories_read(&json!({})).is_empty());
    }
}
