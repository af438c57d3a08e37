//! Types and rules shared by the server and the browser, grouped by capability like the
//! services. No I/O here.
//!
//! - `identity`: roles and permissions; sign-in and token types.
//! - `integration`: integration clients (the client-credentials grant) and their scopes.
//! - `clinical`: patients, HIV records, attachments, data categories.
//! - `cds`: the WHO HIV DAK's decision support: flags, prescribing safety, tracing outcomes.
//! - `platform`: hospitals, audit entries, the outbox.
//! - `notifications`: what messages to patients say and when they go.
//! - `sharing`: consent grants across hospitals.
//! - `fhir`: the FHIR R4 mapping (server only).
//! - `portal`: what the patient portal shows, in the patient's words.
//! - `proxies`: family members and guardians who act for a patient.
//! - `scheduling`: appointments, visit fees, CPT records and invoices.
//! - `indicators`: PEPFAR MER indicators and the care cascade of a hospital and the network.
//! - shared by all: the error model (`error`), field validation (`validate`), pagination
//!   (`page`).

pub mod cds;
pub mod clinical;
pub mod error;
#[cfg(feature = "server")]
pub mod fhir;
pub mod identity;
pub mod indicators;
pub mod integration;
pub mod notifications;
pub mod page;
pub mod platform;
pub mod portal;
pub mod proxies;
pub mod scheduling;
#[cfg(feature = "server")]
pub mod schema;
pub mod sharing;
pub mod validate;

pub use error::{ErrorKind, FieldErrors};

/// A moment as the staff pages show it: `2026-11-23 18:02:55` (UTC, to the second).
///
/// Written out by hand rather than with a `strftime` pattern, which would bring chrono's
/// format interpreter into the browser bundle.
pub fn format_timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    format!(
        "{} {:02}:{:02}:{:02}",
        at.date_naive(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// One CSV field: quoted, inner quotes doubled, and a leading formula character (or a tab or
/// carriage return, which some spreadsheets skip before one) neutralised so a spreadsheet
/// never evaluates a stored value.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod format_tests {
    use chrono::TimeZone;

    #[test]
    fn timestamps_read_to_the_second() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 1, 5, 7, 3, 9)
            .unwrap()
            .checked_add_signed(chrono::Duration::milliseconds(987))
            .unwrap();
        assert_eq!(super::format_timestamp(at), "2026-01-05 07:03:09");
        assert_eq!(
            super::format_timestamp(at),
            at.format("%Y-%m-%d %H:%M:%S").to_string()
        );
    }
}
