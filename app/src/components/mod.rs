//! Reusable pieces: the staff shell and form fields.

pub mod bars;
mod field;
mod shell;
pub mod trend;

pub use field::{FieldErrorsFor, TextField};
pub use shell::{SignOut, StaffShell};
