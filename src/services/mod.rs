//! One module per capability. Services take a `Caller`, ask the policy, and own every rule and
//! query; handlers and server functions only adapt.

pub mod access;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod chart;
pub mod demo;
pub mod hospitals;
pub mod invitations;
pub mod keys;
pub mod mfa;
pub mod otp;
pub mod outbox;
pub mod patients;
pub mod ratelimit;
pub mod records;
pub mod staff;
pub mod synthetic;
pub mod tokens;

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
    pub limits: Arc<ratelimit::Limits>,
    pub keyring: Arc<Keyring>,
    /// Wakes the outbox worker when a message is queued.
    pub outbox_wake: Arc<Notify>,
    /// Attachment contents (sealed).
    pub storage: Storage,
    /// Writes entries recorded on their own in groups (`audit::record`).
    pub audit_writer: Arc<audit::AuditWriter>,
}

impl Core {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        let limits = ratelimit::Limits::from_config(&config);
        Self {
            db,
            keyring: Arc::new(config.keyring()),
            audit_writer: Arc::new(audit::AuditWriter::default()),
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
