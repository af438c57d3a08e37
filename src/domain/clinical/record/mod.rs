//! HIV clinical records (SPEC 2.4), by concern:
//!
//! - `types`: the record types, their data category, permissions and fields;
//! - `payload`: the typed payload of each type and its one-line summary;
//! - `fields` and `validation`: reading a payload's JSON and the rules of each type;
//! - `input`: what callers send (a new record, a note edit, a query's filters, a plain form);
//! - `view`: records as the API and the chart show them;
//! - `summary`: the HIV summary and the viral-load interpretation.

mod fields;
mod input;
mod payload;
mod summary;
mod types;
mod validation;
mod view;

pub use fields::parse_datetime;
pub use input::{
    record_from_form, RecordFilter, RecordInput, RecordUpdate, ValidRecord, CLOCK_SKEW_SECS,
    OVERRIDE_REASON_MAX,
};
pub use payload::{
    format_number, qualitative_label, AdherenceNote, Allergy, ArtRegimen, Cd4, Diagnosis,
    Dispensing, LabResult, Payload, Prescription, ViralLoad, VitalSigns,
};
pub use summary::{
    interpret_vl, Cd4Result, CurrentRegimen, Flag, PatientSummary, VlInterpretation, VlResult,
    VlThresholds,
};
pub use types::RecordType;
pub use validation::validate_payload;
pub use view::{ChartPoint, ChartRow, ChartView, ClinicalRecord, QUICK_ENTRY};
