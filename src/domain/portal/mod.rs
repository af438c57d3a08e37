//! The patient portal: what a patient sees of their own record, said the way a counsellor
//! would say it, and the preferences they set. The words themselves live in the interface's
//! translations; this module decides what there is to say.
//!
//! - `home`: the home page's news (the last viral load in plain terms, the current treatment).
//! - `records`: the patient's records grouped by category and by hospital.
//! - `sharing`: the sharing page: where the record is held, the grants, whom to share with.
//! - `preferences`: reminder channel, quiet hours and language.

pub mod home;
pub mod preferences;
pub mod records;
pub mod sharing;

pub use home::{CareNote, MyVisit, MyVisits, PortalHome, Treatment, ViralLoadNews};
pub use preferences::{
    ClockTime, Language, MyHospital, MyProfile, Preferences, PreferencesInput, ReminderChannel,
};
pub use records::{MyRecords, RecordGroup};
pub use sharing::{MySharing, NetworkHospital};
