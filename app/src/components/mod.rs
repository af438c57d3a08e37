//! Reusable pieces: the staff shell and form fields.

mod field;
mod shell;

pub use field::{FieldErrorsFor, TextField};
pub use shell::{SignOut, StaffShell};
