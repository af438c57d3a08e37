//! HospitalLink domain core.
//!
//! `domain` is always compiled and is safe for WebAssembly: identifiers, enums, request and
//! response types, validated newtypes, the error kind shared with the UI, and the pure rules.
//! Everything behind the `server` feature (database, services, configuration, policy) never
//! reaches the browser.

pub mod domain;

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod entities;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod policy;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "server")]
pub mod storage;

#[cfg(feature = "server")]
pub use error::AppError;
