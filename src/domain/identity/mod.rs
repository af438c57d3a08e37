//! Identity: staff roles and the permissions each carries (the one role -> permission
//! matrix), and what sign-in, tokens and staff administration send and receive.

pub mod auth;
pub mod lockout;
pub mod role;
