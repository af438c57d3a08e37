//! SeaORM entities. Only services use them.

pub mod audit_chain_head;
pub mod audit_log;
pub mod hospital;
pub mod staff_account;
