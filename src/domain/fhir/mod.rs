//! FHIR R4 (4.0.1): how the records a reader may see are written as FHIR resources. Pure
//! functions from the domain's own types to JSON; the services decide what goes in (the one
//! authorization decision) and this module only says how it is written. The patient's export
//! uses it today; the FHIR API and the sync feed use the same mapping.
//!
//! - `resources`: one function per resource type (Patient, Observation, MedicationRequest, ...).
//! - `bundle`: the patient's whole record as a `collection` Bundle.
//! - `api`: the FHIR API's own documents: CapabilityStatement, searchsets, OperationOutcome.
//! - `search`: the resources records are searched as, and the searches' parameters.
//! - `observation`: an Observation a client creates, read back into a record.
//!
//! Every resource about the patient carries the confidentiality label `V` (very restricted):
//! it is HIV care data, whatever the resource.

pub mod api;
pub mod bundle;
pub mod observation;
pub mod resources;
pub mod search;

pub use bundle::{export_bundle, ExportContents};

use serde_json::{json, Value};
use uuid::Uuid;

/// The FHIR version the mapping follows.
pub const FHIR_VERSION: &str = "4.0.1";
/// The media type of what it writes (the `fhirVersion` parameter names the release, 4.0).
pub const MEDIA_TYPE: &str = "application/fhir+json; fhirVersion=4.0";
pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
pub const ATC: &str = "http://www.whocc.no/atc";
pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
/// Our own code system for the consent data categories of SPEC section 1.
pub const DATA_CATEGORY: &str = "https://hospitallink.example/fhir/CodeSystem/data-category";
/// Our own identifier system for national identifiers as registered (the country's own system
/// is not known to us).
pub const NATIONAL_ID: &str = "https://hospitallink.example/fhir/NamingSystem/national-id";

/// LOINC codes of the HIV results.
pub const LOINC_VIRAL_LOAD: &str = "25836-8";
pub const LOINC_CD4: &str = "24467-3";
pub const LOINC_CD4_PERCENT: &str = "8123-2";

/// The security label every resource about the patient carries.
pub fn very_restricted() -> Value {
    json!({
        "security": [{
            "system": CONFIDENTIALITY,
            "code": "V",
            "display": "very restricted"
        }]
    })
}

/// The bundle entry address of an object: its id as a URN, so references resolve inside the
/// Bundle without a server.
pub fn full_url(id: Uuid) -> String {
    format!("urn:uuid:{id}")
}

/// A reference to an object of the Bundle.
pub fn reference(id: Uuid) -> Value {
    json!({ "reference": full_url(id) })
}

/// One coding with its display.
pub fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

/// A concept with one coding and its text.
pub fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [coding(system, code, display)], "text": display })
}

/// A concept known only by its words.
pub fn text_concept(text: &str) -> Value {
    json!({ "text": text })
}
