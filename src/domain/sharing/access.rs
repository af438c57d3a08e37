//! What a patient sees of who looked at their record: per access, the hospital, the role (never
//! the staff member's name or email), what was read, when, and whether it was break-glass (with
//! its reason).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// The clinician's reason, on the break-glass opening itself.
    pub reason: Option<String>,
}
