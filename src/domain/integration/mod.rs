//! Integration clients: a hospital's EHR, lab system or data-collection app calling the API
//! for that hospital with the client-credentials grant (RFC 6749 section 4.4), within the scopes
//! its hospital admin gave it. Scopes are permission names; a client may hold only those of
//! [`CLIENT_SCOPES`] and never more than the admin who creates it holds.

pub mod changes;
pub mod sync;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::identity::role::{Permission, Permissions};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// What an integration client may be given: patient and clinical work of its hospital, never
/// accounts, settings, audit, break-glass or consent.
pub const CLIENT_SCOPES: [Permission; 11] = [
    Permission::PatientsRead,
    Permission::PatientsWrite,
    Permission::RecordsRead,
    Permission::RecordsWrite,
    Permission::LabsWrite,
    Permission::RegimensRead,
    Permission::PrescriptionsWrite,
    Permission::DispensingWrite,
    Permission::AppointmentsRead,
    Permission::AppointmentsWrite,
    Permission::Sync,
];

/// How many clients one hospital may have (disabled ones included).
pub const MAX_CLIENTS: u64 = 50;

/// `POST /hospitals/{id}/api-clients`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// What the client is, e.g. `Kisumu EHR`.
    #[cfg_attr(
        feature = "server",
        schema(required = true, min_length = 1, max_length = 100)
    )]
    pub name: Option<String>,
    /// Permission names, e.g. `["patients.read", "records.write"]`.
    #[cfg_attr(feature = "server", schema(required = true, min_items = 1))]
    pub scopes: Option<Vec<String>>,
}

/// Parses scopes: known, open to clients, held by `admin`. Problems are named on `scopes`.
pub fn parse_scopes(e: &mut Errors, raw: &[String], admin: Permissions) -> Permissions {
    let mut chosen = Vec::new();
    for s in raw {
        let s = s.trim();
        match Permission::parse(s) {
            None => e.add("scopes", format!("`{s}` is not a permission")),
            Some(p) if !CLIENT_SCOPES.contains(&p) => e.add(
                "scopes",
                format!("`{s}` cannot be given to an integration client"),
            ),
            Some(p) if !admin.has(p) => {
                e.add("scopes", format!("`{s}` is more than you hold yourself"))
            }
            Some(p) => chosen.push(p),
        }
    }
    if raw.is_empty() {
        e.add("scopes", "give at least one, e.g. patients.read");
    }
    Permissions::of(&chosen)
}

impl ClientInput {
    /// The name and the scopes, for an admin holding `admin`.
    pub fn validate(&self, admin: Permissions) -> Result<(String, Permissions), ErrorKind> {
        let mut e = Errors::new();
        let name = e.required_text("name", self.name.as_deref(), 1, 100);
        let scopes = parse_scopes(&mut e, self.scopes.as_deref().unwrap_or_default(), admin);
        e.finish(|| (name, scopes))
    }
}

/// `PUT /hospitals/{id}/api-clients/{cid}`: disable (ends every token at once) or enable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientUpdate {
    #[cfg_attr(feature = "server", schema(required = true))]
    pub disabled: Option<bool>,
}

/// Scopes as they are stored and sent: space-separated names (RFC 6749 `scope`).
pub fn scope_text(scopes: Permissions) -> String {
    scopes
        .iter()
        .map(Permission::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored text back to a set; unknown names (none are written) are dropped.
pub fn scopes_from_text(text: &str) -> Permissions {
    let list: Vec<Permission> = text
        .split_whitespace()
        .filter_map(Permission::parse)
        .collect();
    Permissions::of(&list)
}

/// An integration client as its admins see it (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiClient {
    /// The `client_id` of the token request.
    pub id: Uuid,
    pub hospital_id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it last got a token.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A client with its secret: answered once, at creation and at each rotation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiClientSecret {
    pub client: ApiClient,
    pub client_id: Uuid,
    /// Shown this once; only its hash is kept.
    pub client_secret: String,
}

/// `POST /auth/token` (form or JSON): `grant_type=client_credentials`, the client's id and
/// secret (in the body or as HTTP Basic), and optionally fewer scopes than it holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    /// `client_credentials`.
    #[cfg_attr(feature = "server", schema(required = true))]
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Space-separated permission names, a subset of the client's; none: all of them.
    pub scope: Option<String>,
}

/// The answer to a token request (RFC 6749 section 5.1; no refresh token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClientToken {
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    pub expires_in: u64,
    /// The scopes the token carries, space-separated.
    pub scope: String,
}

/// The scopes a token asks for: all of the client's, or the subset named.
pub fn requested_scopes(held: Permissions, scope: Option<&str>) -> Result<Permissions, ErrorKind> {
    let Some(raw) = scope.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(held);
    };
    let mut list = Vec::new();
    for name in raw.split_whitespace() {
        match Permission::parse(name).filter(|p| held.has(*p)) {
            Some(p) => list.push(p),
            None => {
                return Err(ErrorKind::Invalid {
                    code: "invalid_scope".into(),
                    message: format!("`{name}` is not a scope of this client."),
                    fields: [("scope".to_string(), vec![format!("`{name}` is not held")])]
                        .into_iter()
                        .collect(),
                })
            }
        }
    }
    Ok(Permissions::of(&list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::role::Role;

    fn input(scopes: &[&str]) -> ClientInput {
        ClientInput {
            name: Some("Kisumu EHR".into()),
            scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn a_client_gets_clinical_scopes_the_admin_holds_and_nothing_else() {
        let admin = Role::HospitalAdmin.grants();
        let (name, scopes) = input(&["patients.read", "records.write"])
            .validate(admin)
            .unwrap();
        assert_eq!(name, "Kisumu EHR");
        assert_eq!(scope_text(scopes), "patients.read records.write");
        assert_eq!(scopes_from_text(&scope_text(scopes)), scopes);
        for refused in [
            &["staff.manage"][..],
            &["settings.manage"],
            &["break_glass"],
            &["consent.record"],
            &["root"],
            &[],
        ] {
            let err = input(refused).validate(admin).unwrap_err();
            assert!(err.fields().contains_key("scopes"), "{refused:?}");
        }
        // Never more than the admin holds.
        let viewer = Role::Viewer.grants();
        assert!(input(&["records.write"]).validate(viewer).is_err());
    }

    #[test]
    fn a_token_asks_for_the_clients_scopes_or_fewer() {
        let held = Permissions::of(&[Permission::PatientsRead, Permission::RecordsRead]);
        assert_eq!(requested_scopes(held, None).unwrap(), held);
        assert_eq!(requested_scopes(held, Some(" ")).unwrap(), held);
        assert_eq!(
            requested_scopes(held, Some("patients.read")).unwrap(),
            Permissions::of(&[Permission::PatientsRead])
        );
        let err = requested_scopes(held, Some("records.write")).unwrap_err();
        assert!(err.fields().contains_key("scope"));
    }
}
