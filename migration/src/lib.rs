//! Schema migrations, applied at start and by `hospitallink migrate`. Every migration runs on
//! SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_foundation;
mod m20261123_000002_audit_log;
mod m20261123_000003_identity;
mod m20261124_000004_clinical;
mod m20261125_000005_attachments;
mod m20261130_000006_sign_in_lockout;
mod m20261130_000007_code_requests;
mod m20261130_000008_patient_sign_in;
mod m20261130_000009_registering_hospital;
mod m20261130_000010_consent_grants;
mod m20261130_000011_break_glass;
mod m20261130_000012_consent_requests;
mod m20261201_000013_patient_preferences;
mod m20261201_000014_clinician_only_notes;
mod m20261201_000015_proxies;
mod m20261201_000016_api_clients;
mod m20261202_000017_sync;
mod m20261203_000018_appointments;
mod m20261203_000019_notifications;
mod m20261204_000020_decision_support;
mod m20261205_000021_indicators;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_audit_log::Migration),
            Box::new(m20261123_000003_identity::Migration),
            Box::new(m20261124_000004_clinical::Migration),
            Box::new(m20261125_000005_attachments::Migration),
            Box::new(m20261130_000006_sign_in_lockout::Migration),
            Box::new(m20261130_000007_code_requests::Migration),
            Box::new(m20261130_000008_patient_sign_in::Migration),
            Box::new(m20261130_000009_registering_hospital::Migration),
            Box::new(m20261130_000010_consent_grants::Migration),
            Box::new(m20261130_000011_break_glass::Migration),
            Box::new(m20261130_000012_consent_requests::Migration),
            Box::new(m20261201_000013_patient_preferences::Migration),
            Box::new(m20261201_000014_clinician_only_notes::Migration),
            Box::new(m20261201_000015_proxies::Migration),
            Box::new(m20261201_000016_api_clients::Migration),
            Box::new(m20261202_000017_sync::Migration),
            Box::new(m20261203_000018_appointments::Migration),
            Box::new(m20261203_000019_notifications::Migration),
            Box::new(m20261204_000020_decision_support::Migration),
            Box::new(m20261205_000021_indicators::Migration),
        ]
    }
}
