//! Integration with other systems:
//!
//! - `clients`: a hospital's integration clients (create, list, rotate, disable) and the
//!   client-credentials grant that gives them short-lived tokens.
//! - `changes`: the change log every profile and record write adds to, numbered in commit
//!   order, and the changes feed read from it.
//! - `sync`: batch upload by the hospital's own ids, with idempotency keys.

pub mod changes;
pub mod clients;
pub mod sync;
