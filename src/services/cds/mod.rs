//! Decision support over the records: prescribing safety (the WHO drug interactions checked on
//! every prescription, regimen and dispensing), the patient's flags, the worklists. The rules
//! themselves are pure functions in `domain::cds`; this module gathers their facts from what
//! the caller may see and records what they lead to.

pub mod flags;
pub mod prescribing;
pub mod worklists;
