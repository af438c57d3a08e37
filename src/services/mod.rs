//! One module per capability. Services take an `Actor`, ask the policy, and own every rule and
//! query; handlers and server functions only adapt.

pub mod access;
pub mod audit;
pub mod demo;
pub mod hospitals;
pub mod ratelimit;
pub mod staff;

use sea_orm::DatabaseConnection;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;

/// The core's handle: database, configuration and clock.
#[derive(Clone, Debug)]
pub struct Core {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub limits: Arc<ratelimit::Limits>,
}

impl Core {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        let limits = ratelimit::Limits::new(
            config.login_attempts_per_ip_per_minute,
            config.login_attempts_per_account_per_minute,
        );
        Self {
            db,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            limits: Arc::new(limits),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}
