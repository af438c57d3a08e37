//! The patient portal: the signed-in patient's own record as they see it. Every call decides
//! `ReadOwnRecord` (or `ChangeOwnPreferences`) first and is audited as the patient.
//!
//! - `mine`: the home page and "my records" (by category and hospital, with the lab charts).
//! - `export`: the whole record as a FHIR R4 Bundle.
//! - `preferences`: the profile the portal shows and the preferences the patient sets.

pub mod export;
pub mod mine;
pub mod preferences;

use uuid::Uuid;

use crate::domain::ErrorKind;
use crate::error::AppResult;
use crate::policy::Caller;

/// The patient whose record the caller opens: their own, or the one a proxy acts for (the
/// policy has allowed the action).
pub(crate) fn patient_of(caller: &Caller) -> AppResult<Uuid> {
    caller
        .actor
        .portal_patient()
        .ok_or_else(|| ErrorKind::forbidden().into())
}
