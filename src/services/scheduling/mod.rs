//! Appointments and billing (SPEC 2.7): the schedule of each hospital, the CPT record a
//! completed visit leaves, its fee table, invoices and payments.
//!
//! - `appointments`: book, list, reschedule, check in, complete, mark missed, cancel.
//! - `billing`: the fee table, CPT records, invoices and their totals.
//! - `schedule`: a provider's day or week on the hospital's clock, and booking from it.

pub mod appointments;
pub mod billing;
pub mod schedule;
