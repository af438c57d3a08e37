//! THE authorization decision. Every service call that reads or changes protected data asks
//! `authorize` first; handlers and components never decide.
//!
//! Until staff sign-in lands, two kinds of caller can change the hospital registry: a platform
//! admin proving their password on the request (HTTP Basic, see the README), and, in development
//! mode only, the local `DevelopmentOperator`.

use uuid::Uuid;

use crate::domain::role::{Permission, Role};
use crate::domain::ErrorKind;

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Staff {
        id: Uuid,
        role: Role,
        hospital_id: Option<Uuid>,
    },
    /// The local operator of a development instance (APP_ENV=development only).
    DevelopmentOperator,
    /// The application itself: command-line operations and the demo seed.
    System,
    Anonymous,
}

/// Where a request came from, for the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// The actor plus the request it arrived with. Every service takes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    pub meta: RequestMeta,
}

impl Caller {
    pub fn new(actor: Actor, meta: RequestMeta) -> Self {
        Self { actor, meta }
    }

    /// The application itself (command line, demo seed).
    pub fn system() -> Self {
        Self::new(Actor::System, RequestMeta::default())
    }
}

impl Actor {
    /// `staff`, `development_operator`, `system` or `anonymous`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Staff { .. } => "staff",
            Actor::DevelopmentOperator => "development_operator",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }
}

/// What they want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ListHospitals,
    ReadHospital,
    RegisterHospital,
    UpdateHospital(Uuid),
    /// Read audit entries (platform admins: all; hospital admins: their hospital's).
    ReadAudit,
    /// Check the whole hash chain.
    VerifyAudit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in (401).
    Unauthenticated,
    /// Signed in without the permission (403).
    Deny,
}

/// Decides by permission (and, as features arrive, hospital scope, patient link, consent
/// grants and break-glass).
pub fn decide(actor: &Actor, action: Action) -> Decision {
    let permission = match action {
        // The registry is the network's directory: names, codes and institutional contacts.
        Action::ListHospitals | Action::ReadHospital => return Decision::Allow,
        Action::RegisterHospital | Action::UpdateHospital(_) => Permission::HospitalsManage,
        Action::ReadAudit => Permission::AuditRead,
        Action::VerifyAudit => Permission::AuditVerify,
    };
    match actor {
        Actor::Anonymous => Decision::Unauthenticated,
        Actor::DevelopmentOperator | Actor::System => Decision::Allow,
        Actor::Staff { role, .. } if role.has(permission) => Decision::Allow,
        Actor::Staff { .. } => Decision::Deny,
    }
}

/// `decide` as a `Result` for services.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), ErrorKind> {
    match decide(actor, action) {
        Decision::Allow => Ok(()),
        Decision::Unauthenticated => Err(ErrorKind::unauthenticated()),
        Decision::Deny => Err(ErrorKind::forbidden()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_changes_need_a_platform_admin() {
        let h = Uuid::now_v7();
        for action in [Action::RegisterHospital, Action::UpdateHospital(h)] {
            assert_eq!(decide(&Actor::Anonymous, action), Decision::Unauthenticated);
            assert_eq!(decide(&Actor::DevelopmentOperator, action), Decision::Allow);
            for role in Role::ALL {
                let actor = Actor::Staff {
                    id: Uuid::now_v7(),
                    role,
                    hospital_id: Some(h),
                };
                let expected = if role == Role::PlatformAdmin {
                    Decision::Allow
                } else {
                    Decision::Deny
                };
                assert_eq!(decide(&actor, action), expected, "{role} {action:?}");
            }
        }
        assert_eq!(
            decide(&Actor::Anonymous, Action::ListHospitals),
            Decision::Allow
        );
    }
}
