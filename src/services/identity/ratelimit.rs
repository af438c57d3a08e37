//! Fixed-window attempt limits, checked before any expensive work (password hashing).
//!
//! The counters live in this instance's memory. With several instances behind a load
//! balancer an attacker gets at most `instances x limit` attempts per window; that bound is
//! still small, and keeping the counters out of the database keeps a flood of attempts from
//! turning into a flood of writes. A window always ends, so nobody is locked out for good.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::ErrorKind;

#[derive(Debug)]
pub struct Limiter {
    limit: u32,
    window: Duration,
    counters: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl Limiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for `key`; past the limit, answers 429 with the seconds until the
    /// window ends.
    pub fn hit(&self, key: &str, now: DateTime<Utc>) -> Result<(), ErrorKind> {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if counters.len() > 50_000 {
            let window = self.window;
            counters.retain(|_, (start, _)| now - *start < window);
        }
        let entry = counters.entry(key.to_string()).or_insert((now, 0));
        if now - entry.0 >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let retry = (entry.0 + self.window - now).num_seconds().max(1) as u64;
            return Err(ErrorKind::RateLimited {
                retry_after_secs: retry,
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The limits the application enforces.
#[derive(Debug)]
pub struct Limits {
    /// Password checks per client address.
    pub login_per_ip: Limiter,
    /// Password checks per account (email).
    pub login_per_account: Limiter,
    /// One-time-code requests per client address.
    pub otp_request_per_ip: Limiter,
    /// One-time-code checks per client address.
    pub otp_verify_per_ip: Limiter,
    /// Invitation acceptances per client address.
    pub invitation_per_ip: Limiter,
    /// Registrations, edits and links whose identifier matched (or failed to match) a patient
    /// known elsewhere in the network, per staff account: each tells something about who is
    /// registered, so they are bounded.
    pub identity_matches_per_account: Limiter,
}

/// `identity_matches_per_account`: this many an hour.
pub const IDENTITY_MATCHES_PER_HOUR: u32 = 20;

impl Limits {
    pub fn from_config(config: &crate::config::Config) -> Self {
        let minute = |n| Limiter::new(n, Duration::minutes(1));
        Self {
            login_per_ip: minute(config.login_attempts_per_ip_per_minute),
            login_per_account: minute(config.login_attempts_per_account_per_minute),
            otp_request_per_ip: minute(config.otp_attempts_per_ip_per_minute),
            otp_verify_per_ip: minute(config.otp_attempts_per_ip_per_minute),
            invitation_per_ip: minute(config.invitation_attempts_per_ip_per_minute),
            identity_matches_per_account: Limiter::new(
                IDENTITY_MATCHES_PER_HOUR,
                Duration::hours(1),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_within_a_window_and_resets_after() {
        let t0: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let l = Limiter::new(3, Duration::minutes(1));
        for _ in 0..3 {
            assert!(l.hit("ip:1", t0).is_ok());
        }
        assert_eq!(
            l.hit("ip:1", t0 + Duration::seconds(20)),
            Err(ErrorKind::RateLimited {
                retry_after_secs: 40
            })
        );
        assert!(l.hit("ip:2", t0).is_ok(), "keys are independent");
        assert!(
            l.hit("ip:1", t0 + Duration::seconds(60)).is_ok(),
            "a new window starts"
        );
    }
}
