//! The server's integration tests, one binary: each module drives the real application over
//! HTTP (or its services directly) against a fresh database, SQLite by default or PostgreSQL
//! when `TEST_DATABASE_URL` is set. One binary links once and keeps both cores busy to the end.

mod common;

mod api;
mod appointments;
mod attachments;
mod audit;
mod auth;
mod clients;
mod decision_support;
mod fhir;
mod hardening;
mod indicators;
mod limits;
mod lockout;
mod matrix;
mod notifications;
mod patients;
mod portal;
mod portal_sign_in;
mod prescribing;
mod proxies;
mod races;
mod schedule;
mod services;
mod sharing;
mod sharing_matrix;
mod sync;
