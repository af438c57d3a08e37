//! SeaORM entities. Only services use them.

pub mod hospital;
pub mod staff_account;
