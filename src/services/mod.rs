//! The services: every rule and query of the product, grouped by capability. Each service
//! takes a `Caller`, asks the policy before it touches data, and writes its audit entry in the
//! same transaction; handlers, server functions and components only adapt.
//!
//! - `identity`: staff and patient sign-in, second factor, tokens, sessions, attempt limits.
//! - `integration`: integration clients and their client-credentials tokens.
//! - `clinical`: patients, their hospital links, HIV records, attachments and the chart.
//! - `cds`: decision support: prescribing safety, patient flags, worklists.
//! - `fhir`: the FHIR R4 API over the same services.
//! - `platform`: the hospital registry, the audit log, key rotation, the message outbox.
//! - `notifications`: reminders and other messages to patients, planned from the data.
//! - `sharing`: the patient's consent grants across hospitals.
//! - `portal`: the patient's own view: home, records, export, preferences.
//! - `proxies`: family members and guardians who act for a patient.
//! - `scheduling`: appointments, CPT records, the fee table, invoices and payments.
//! - `seed`: the demo network and synthetic patients.

pub mod cds;
pub mod clinical;
pub mod fhir;
pub mod identity;
pub mod indicators;
pub mod integration;
pub mod notifications;
pub mod platform;
pub mod portal;
pub mod proxies;
pub mod scheduling;
pub mod seed;
pub mod sharing;

use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::Notify;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::Keyring;
use crate::storage::Storage;

/// The core's handle: database, configuration, clock, keyring and limits.
#[derive(Clone, Debug)]
pub struct Core {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub limits: Arc<identity::ratelimit::Limits>,
    pub keyring: Arc<Keyring>,
    /// Wakes the outbox worker when a message is queued.
    pub outbox_wake: Arc<Notify>,
    /// Attachment contents (sealed).
    pub storage: Storage,
    /// Writes entries recorded on their own in groups (`audit::record`).
    pub audit_writer: Arc<platform::audit::AuditWriter>,
}

impl Core {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        let limits = identity::ratelimit::Limits::from_config(&config);
        Self {
            db,
            keyring: Arc::new(config.keyring()),
            audit_writer: Arc::new(platform::audit::AuditWriter::default()),
            storage: Storage::new(&config.storage_url, config.storage_credentials().as_ref()),
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            limits: Arc::new(limits),
            outbox_wake: Arc::new(Notify::new()),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}
