//! Audit log vocabulary and the view of an entry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Read,
    Create,
    Update,
    Delete,
    Login,
    LoginFailed,
    Export,
    ConsentGrant,
    ConsentRevoke,
    BreakGlass,
}

impl AuditAction {
    pub const ALL: [AuditAction; 10] = [
        AuditAction::Read,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::Delete,
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Export,
        AuditAction::ConsentGrant,
        AuditAction::ConsentRevoke,
        AuditAction::BreakGlass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Export => "export",
            AuditAction::ConsentGrant => "consent_grant",
            AuditAction::ConsentRevoke => "consent_revoke",
            AuditAction::BreakGlass => "break_glass",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// One audit entry as admins see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: Uuid,
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub actor_hospital_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub entity: String,
    pub entity_id: Option<String>,
    pub action: String,
    pub purpose: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// Structured details; never secrets or PHI values.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub details: serde_json::Value,
    pub hash: String,
}

/// The result of checking the hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ChainReport {
    /// Entries checked.
    pub checked: u64,
    /// Whether every link holds.
    pub intact: bool,
    /// The first entry whose link is broken (its sequence number), if any.
    pub first_broken_seq: Option<i64>,
    pub first_broken_id: Option<Uuid>,
    /// What is wrong there.
    pub problem: Option<String>,
}

/// Raw query values, as received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Entries about this patient.
    pub patient_id: Option<String>,
    /// Entity name, e.g. `hospital`.
    pub entity: Option<String>,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Entries by this staff member.
    pub actor_id: Option<String>,
    /// `read`, `create`, `update`, `delete`, `login`, `login_failed`, `export`, ...
    pub action: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}
