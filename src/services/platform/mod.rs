//! What the network runs on: the hospital registry (`hospitals`), the hash-chained audit log
//! every other capability writes to (`audit`), the rotation of the field-encryption keys
//! (`keys`), and the durable outbox that delivers email and SMS (`outbox`).

pub mod audit;
pub mod hospitals;
pub mod keys;
pub mod outbox;
