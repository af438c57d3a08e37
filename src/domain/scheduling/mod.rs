//! Appointments and billing (SPEC 2.7, with ClinicHub's rules and response shapes): what a
//! booking must hold, the statuses a visit moves through, the visit types with their CPT codes
//! and fees, and invoices.
//!
//! - `appointment`: booking and rescheduling input, statuses and their transitions, the
//!   overlap rule, the appointment as the API and the pages show it.
//! - `billing`: visit fees (the per-hospital CPT table), invoices and their totals.
//! - `schedule`: a provider's day or week in slots, and the booking the schedule opens.

pub mod appointment;
pub mod billing;
pub mod schedule;
