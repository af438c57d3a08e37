//! Sharing across hospitals (SPEC 2.6): the patient's consent grants, which open chosen
//! categories of their data to a hospital for a time.

pub mod grant;
