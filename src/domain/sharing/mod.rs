//! Sharing across hospitals (SPEC 2.6): the patient's consent grants, which open chosen
//! categories of their data to a hospital for a time, and break-glass, which opens the whole
//! record to one clinician in an emergency; and what the patient sees of who looked (`access`).

pub mod access;
pub mod break_glass;
pub mod grant;
