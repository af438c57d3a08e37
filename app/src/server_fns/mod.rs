//! Server functions: thin adapters from the UI to the domain core, one file per capability.
//! All use the `/_fn` prefix and POST; they authorize through the same service calls as REST.

pub mod auth;
pub mod cds;
pub mod clients;
pub mod hospitals;
pub mod indicators;
pub mod notifications;
pub mod patients;
pub mod portal;
pub mod scheduling;
pub mod sharing;
