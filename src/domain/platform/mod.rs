//! What the network runs on: the hospital registry (`hospital`), the audit log's vocabulary
//! and entries (`audit`), and the outbox as admins see it (`outbox`).

pub mod audit;
pub mod hospital;
pub mod outbox;
