//! Clinical care of one patient: registration and the hospital links with their MRNs
//! (`patients`), the typed HIV records and the per-patient clinical state behind the summary
//! (`records`), consent forms and scans (`attachments`), and the clinician's chart that reads
//! them together in one audited view (`chart`). Every read and write asks the policy with the
//! caller's `PatientAccess` and is written to the audit log in the same transaction.

pub mod attachments;
pub mod chart;
pub mod patients;
pub mod records;
