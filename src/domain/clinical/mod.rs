//! Clinical data of a patient: registration and the views of a patient (`patient`), the
//! typed HIV records, their rules and the summary (`record`), consent forms and scans
//! (`attachment`), and the data categories a consent grant names (`category`).

pub mod attachment;
pub mod category;
pub mod patient;
pub mod record;
