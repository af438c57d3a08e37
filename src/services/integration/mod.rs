//! Integration with other systems:
//!
//! - `clients`: a hospital's integration clients (create, list, rotate, disable) and the
//!   client-credentials grant that gives them short-lived tokens.

pub mod clients;
