//! "My sharing": the hospitals of the network, where the patient is registered (those hold
//! their record), and every grant they or their clinics made, with its status now.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::MyHospital;
use crate::domain::sharing::grant::{Grant, GrantStatus};

/// A hospital of the network, to share with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkHospital {
    pub id: Uuid,
    pub name: String,
}

/// The sharing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySharing {
    /// Hospitals that hold the patient's record (registered there).
    pub registered: Vec<MyHospital>,
    /// Every grant, newest first.
    pub grants: Vec<Grant>,
    /// The hospitals a grant may name: every hospital of the network (one that holds the record
    /// sees only what it wrote until it is given more).
    pub hospitals: Vec<NetworkHospital>,
    /// Today, for the "until" choices.
    pub today: NaiveDate,
}

impl MySharing {
    /// Grants that count now or later (active or scheduled).
    pub fn current(&self) -> impl Iterator<Item = &Grant> {
        self.grants
            .iter()
            .filter(|g| matches!(g.status, GrantStatus::Active | GrantStatus::Scheduled))
    }

    /// Grants that ended (revoked or expired).
    pub fn past(&self) -> impl Iterator<Item = &Grant> {
        self.grants
            .iter()
            .filter(|g| matches!(g.status, GrantStatus::Revoked | GrantStatus::Expired))
    }
}

/// The "until" choices a patient taps: a month, three months, a year from `today`, as dates.
pub fn until_choices(today: NaiveDate) -> [NaiveDate; 3] {
    let months = |n: u32| {
        today
            .checked_add_months(chrono::Months::new(n))
            .unwrap_or(today)
    };
    [months(1), months(3), months(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_choices_are_whole_months_ahead() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            until_choices(d(2026, 1, 31)),
            [d(2026, 2, 28), d(2026, 4, 30), d(2027, 1, 31)]
        );
    }
}
