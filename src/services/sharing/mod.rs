//! Sharing across hospitals: the patient's consent grants (`grants`), recorded with a signed
//! form or confirmed by a code the patient reads back (`consent_requests`), and break-glass
//! openings (`break_glass`); and what the patient sees of who looked (`access_log`). What they open is read by the clinical services (`Linked`) and decided by
//! the policy with the rest of the caller's `PatientAccess`.

pub mod access_log;
pub mod break_glass;
pub mod consent_requests;
pub mod grants;
