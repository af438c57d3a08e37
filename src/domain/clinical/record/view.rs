//! Records as readers see them: the whole record of the API, and the lighter rows, series and
//! page view of the clinician's chart.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{PatientSummary, RecordType};
use crate::domain::clinical::attachment::{Attachment, AttachmentKind};
use crate::domain::clinical::category::DataCategory;
use crate::domain::clinical::patient::Patient;
use crate::domain::page::Page;

/// A record as a permitted reader sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClinicalRecord {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub hospital_id: Uuid,
    pub record_type: RecordType,
    pub category: DataCategory,
    pub recorded_at: DateTime<Utc>,
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: Value,
    /// One line for tables.
    pub summary: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub supersedes: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
    pub editable: bool,
    /// Kept from the patient's own view (the portal and their export).
    #[serde(default)]
    pub clinician_only: bool,
    /// The WHO drug interactions (HIV.D21.2.DT) the record was saved with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interactions: Vec<crate::domain::cds::interactions::InteractionWarning>,
    /// Why the prescriber went ahead despite a severe interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// One point of a chart series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartPoint {
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    /// Below the assay's detection limit (plotted at the limit, hollow).
    pub below_limit: bool,
    /// The hospital that holds the result, when it is not the viewer's.
    #[serde(default)]
    pub source: Option<String>,
}

/// A record as the chart's records table and ART history show it: the page carries these to
/// the browser for hydration, so they hold what is shown and no more (the API has the whole
/// record).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartRow {
    pub id: Uuid,
    pub record_type: RecordType,
    pub recorded_at: DateTime<Utc>,
    pub summary: String,
    /// A later record corrects this one.
    pub corrected: bool,
    /// The record was edited after it was written.
    pub edited: bool,
    /// The hospital that wrote it, when it is not the viewer's.
    #[serde(default)]
    pub source: Option<String>,
    /// Kept from the patient's own view.
    #[serde(default)]
    pub clinician_only: bool,
}

impl From<ClinicalRecord> for ChartRow {
    fn from(r: ClinicalRecord) -> Self {
        Self {
            id: r.id,
            record_type: r.record_type,
            recorded_at: r.recorded_at,
            summary: r.summary,
            corrected: r.superseded_by.is_some(),
            edited: r.version > 1,
            source: None,
            clinician_only: r.clinician_only,
        }
    }
}

/// Everything the chart page shows, as far as the caller's role reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    pub patient: Patient,
    /// The patient's appointments, latest first, when the role reads appointments.
    #[serde(default)]
    pub appointments: Option<Vec<crate::domain::scheduling::appointment::Appointment>>,
    /// The viewer may book visits (`appointments.write`).
    #[serde(default)]
    pub may_book: bool,
    pub today: NaiveDate,
    /// `None` for roles without clinical access (front desk, billing).
    pub summary: Option<PatientSummary>,
    pub viral_loads: Vec<ChartPoint>,
    pub cd4: Vec<ChartPoint>,
    /// ART regimen records, oldest first.
    pub regimens: Vec<ChartRow>,
    /// The records table (filtered), when the role reads records.
    pub records: Option<Page<ChartRow>>,
    /// Quick-entry forms the role may use.
    pub writable: Vec<RecordType>,
    /// Consent forms and scans, when the role reads any.
    pub attachments: Option<Vec<Attachment>>,
    /// The attachment kinds the role may upload.
    pub attachable: Vec<AttachmentKind>,
    /// While the viewer's break-glass opening of this record lasts: until when (the chart
    /// shows a banner).
    #[serde(default)]
    pub break_glass_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The patient's grants that concern the viewer's hospital.
    #[serde(default)]
    pub grants: Vec<crate::domain::sharing::grant::Grant>,
    /// The viewer's hospital (the grantee of what it asks for).
    #[serde(default)]
    pub hospital_id: Option<Uuid>,
    /// The viewer may ask for, record and revoke consent (`consent.record`).
    #[serde(default)]
    pub may_record_consent: bool,
    /// The viewer may open the record in an emergency (`break_glass`).
    #[serde(default)]
    pub may_break_glass: bool,
    /// The family members and guardians who act for the patient in the portal, when the
    /// viewer records consent (newest first, ended ones kept).
    #[serde(default)]
    pub guardians: Option<Vec<crate::domain::proxies::Proxy>>,
}

/// The quick-entry forms of the chart.
pub const QUICK_ENTRY: [RecordType; 7] = [
    RecordType::ViralLoad,
    RecordType::Cd4,
    RecordType::ArtRegimen,
    RecordType::Prescription,
    RecordType::Dispensing,
    RecordType::AdherenceNote,
    RecordType::VitalSigns,
];
