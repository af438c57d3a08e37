//! How many failed sign-ins an account (or a typed address) takes before sign-in slows down,
//! and before it locks until an admin unlocks it. Failures are consecutive: a sign-in that
//! succeeds starts the count again.
//!
//! | what fails | waits start at | then | locked at |
//! |---|---|---|---|
//! | password (per typed email) | the 5th failure: 1 minute | doubling: 2, 4, 8, 16 minutes | the 10th, for an existing account |
//! | second-factor code (per account) | the 3rd failure: 1 minute | doubling: 2, 4 minutes | the 6th |
//!
//! The per-address limits of `ratelimit` stay in front as the first line.

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The step of a sign-in whose failures are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStep {
    Password,
    SecondFactor,
}

impl SignInStep {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInStep::Password => "password",
            SignInStep::SecondFactor => "second_factor",
        }
    }

    /// The failure from which each further one makes the next attempt wait.
    pub fn first_wait_at(self) -> i32 {
        match self {
            SignInStep::Password => 5,
            SignInStep::SecondFactor => 3,
        }
    }

    /// The failure that locks the account.
    pub fn lock_at(self) -> i32 {
        match self {
            SignInStep::Password => 10,
            SignInStep::SecondFactor => 6,
        }
    }
}

/// What the `failures`th consecutive failure leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at once.
    Retry,
    /// The next attempt waits this long.
    Wait(Duration),
    /// Locked until an admin unlocks the account.
    Lock,
}

pub fn after_failure(step: SignInStep, failures: i32) -> AfterFailure {
    if failures >= step.lock_at() {
        AfterFailure::Lock
    } else if failures >= step.first_wait_at() {
        let doublings = (failures - step.first_wait_at()).min(10) as u32;
        AfterFailure::Wait(Duration::minutes(1i64 << doublings))
    } else {
        AfterFailure::Retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_slow_down_from_the_fifth_failure_and_lock_at_the_tenth() {
        let p = |n| after_failure(SignInStep::Password, n);
        for n in 1..=4 {
            assert_eq!(p(n), AfterFailure::Retry, "{n}");
        }
        let waits: Vec<_> = (5..=9).map(p).collect();
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16].map(|m| AfterFailure::Wait(Duration::minutes(m)))
        );
        assert_eq!(p(10), AfterFailure::Lock);
        assert_eq!(p(11), AfterFailure::Lock);
    }

    #[test]
    fn second_factors_slow_down_from_the_third_failure_and_lock_at_the_sixth() {
        let f = |n| after_failure(SignInStep::SecondFactor, n);
        assert_eq!(f(2), AfterFailure::Retry);
        assert_eq!(f(3), AfterFailure::Wait(Duration::minutes(1)));
        assert_eq!(f(5), AfterFailure::Wait(Duration::minutes(4)));
        assert_eq!(f(6), AfterFailure::Lock);
    }
}
