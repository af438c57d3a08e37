//! Identity: who is calling and how they proved it. Staff accounts and their invitations,
//! passwords and the second factor (TOTP and recovery codes); patients' sign-in with a one-time
//! code; API tokens (JWT access, rotating refresh) and browser sessions, both resolved to the
//! one `Actor` the policy decides on (`access`); and the attempt limits that run before any
//! expensive check (`ratelimit`).

pub mod access;
pub mod auth;
pub mod invitations;
pub mod lockout;
pub mod mfa;
pub mod otp;
pub mod ratelimit;
pub mod staff;
pub mod tokens;
