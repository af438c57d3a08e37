//! Sharing across hospitals: the patient's consent grants (`grants`). What a grant opens is
//! read by the clinical services through `grants::granted_to` and decided by the policy with
//! the rest of the caller's `PatientAccess`.

pub mod grants;
