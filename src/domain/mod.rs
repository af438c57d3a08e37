//! Types and rules shared by the server and the browser. No I/O here.

pub mod attachment;
pub mod audit;
pub mod auth;
pub mod error;
pub mod hospital;
pub mod outbox;
pub mod page;
pub mod patient;
pub mod record;
pub mod role;
pub mod validate;

pub use error::{ErrorKind, FieldErrors};
