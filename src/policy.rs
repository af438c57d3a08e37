//! THE authorization decision. Every service call that reads or changes protected data asks
//! `decide` first (through `services::platform::audit::authorize`, which records denials); handlers and
//! components never decide.
//!
//! The decision looks at the actor's permissions (the role matrix in `domain::identity::role`), the
//! hospital scope of the object, and, for patient data, the patient link plus the hooks for
//! consent grants and break-glass (`PatientAccess`). An object outside the caller's scope is
//! `NotFound`, so its existence does not leak.

use uuid::Uuid;

use crate::domain::clinical::attachment::AttachmentKind;
use crate::domain::clinical::record::RecordType;
use crate::domain::identity::role::{Permission, Permissions, Role};
use crate::domain::proxies::ProxyAccess;
use crate::domain::ErrorKind;

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Staff {
        id: Uuid,
        role: Role,
        hospital_id: Option<Uuid>,
    },
    /// An admin signed in with the password who has not enrolled the required second factor:
    /// may enrol, read `/auth/me` and sign out, nothing else.
    EnrollingStaff {
        id: Uuid,
        role: Role,
        hospital_id: Option<Uuid>,
    },
    /// A patient signed in to the portal.
    Patient {
        id: Uuid,
    },
    /// A family member or guardian signed in to the portal (`id`: the proxy), acting for a
    /// patient once they have chosen whom.
    Proxy {
        id: Uuid,
        acting_for: Option<ProxyFor>,
    },
    /// A hospital's integration client (its EHR, lab system, app), with the scopes its token
    /// carries.
    Client {
        id: Uuid,
        hospital_id: Uuid,
        scopes: Permissions,
    },
    /// The application itself: command-line operations, the demo seed, background work.
    System,
    Anonymous,
}

/// The patient a proxy acts for, and how far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyFor {
    pub patient: Uuid,
    pub access: ProxyAccess,
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
    /// `staff`, `patient`, `system` or `anonymous`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Staff { .. } | Actor::EnrollingStaff { .. } => "staff",
            Actor::Patient { .. } => "patient",
            Actor::Proxy { .. } => "proxy",
            Actor::Client { .. } => "client",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    /// The account id, for staff and patients.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::Staff { id, .. }
            | Actor::EnrollingStaff { id, .. }
            | Actor::Patient { id }
            | Actor::Proxy { id, .. }
            | Actor::Client { id, .. } => Some(*id),
            Actor::System | Actor::Anonymous => None,
        }
    }

    /// The patient whose own record the portal acts on: the signed-in patient, or the one a
    /// proxy acts for.
    pub fn portal_patient(&self) -> Option<Uuid> {
        match self {
            Actor::Patient { id } => Some(*id),
            Actor::Proxy {
                acting_for: Some(f),
                ..
            } => Some(f.patient),
            _ => None,
        }
    }

    /// What the actor may do by permission: a staff member's role, a client's scopes.
    pub fn permissions(&self) -> Option<Permissions> {
        match self {
            Actor::Staff { role, .. } | Actor::EnrollingStaff { role, .. } => Some(role.grants()),
            Actor::Client { scopes, .. } => Some(*scopes),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Staff { role, .. } | Actor::EnrollingStaff { role, .. } => Some(*role),
            _ => None,
        }
    }

    pub fn hospital_id(&self) -> Option<Uuid> {
        match self {
            Actor::Staff { hospital_id, .. } | Actor::EnrollingStaff { hospital_id, .. } => {
                *hospital_id
            }
            Actor::Client { hospital_id, .. } => Some(*hospital_id),
            _ => None,
        }
    }
}

/// How a patient relates to the caller's hospital; filled by the patient services so the
/// decision can apply the link, consent and break-glass rules of SPEC section 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatientAccess {
    /// The patient is linked to the caller's hospital.
    pub linked: bool,
    /// The record was created by the caller's hospital.
    pub own_record: bool,
    /// An active consent grant covers the caller's hospital and the data category.
    pub consent: bool,
    /// The caller has an active break-glass session for the patient.
    pub break_glass: bool,
}

/// What they want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ListHospitals,
    ReadHospital,
    RegisterHospital,
    UpdateHospital(Uuid),
    /// Change the settings of hospital `Uuid` (its own admins only).
    UpdateHospitalSettings(Uuid),
    /// Read audit entries (platform admins: all; hospital admins: their hospital's).
    ReadAudit,
    /// Check the whole hash chain.
    VerifyAudit,
    /// List staff accounts (the service limits hospital admins to their hospital).
    ListStaff,
    /// Manage staff at all (checked before the request is read; the assignment itself is
    /// `InviteStaff` / `UpdateStaff`).
    ManageStaff,
    /// Invite someone with `role` into `hospital_id` (`None` for platform admins).
    InviteStaff {
        role: Role,
        hospital_id: Option<Uuid>,
    },
    /// Read one account.
    ReadStaff {
        target: Uuid,
        hospital_id: Option<Uuid>,
        role: Role,
    },
    /// Change an account's role (`new_role`) or active flag.
    UpdateStaff {
        target: Uuid,
        hospital_id: Option<Uuid>,
        role: Role,
        new_role: Role,
    },
    /// Enrol or change one's own second factor.
    ManageOwnMfa,
    /// Read one's own identity (`/auth/me`).
    ReadSelf,
    /// See messages in the outbox (development mode only; the service checks the mode).
    ReadOutbox,
    /// Register a patient at the caller's hospital.
    RegisterPatient,
    /// Find or list the patients linked to `hospital_id` (the caller's own hospital only).
    ListPatients {
        hospital_id: Uuid,
    },
    /// Act on a patient as a whole (profile read or update, link, delete) with `permission`;
    /// `linked` says whether the patient is linked to the caller's hospital.
    Patient {
        permission: Permission,
        linked: bool,
    },
    /// Read a patient's clinical data with `permission`.
    ReadPatientData {
        permission: Permission,
        access: PatientAccess,
    },
    /// Write clinical data with `permission`: only into the caller's hospital's own records
    /// of a linked patient (consent and break-glass never grant writes).
    WritePatientData {
        permission: Permission,
        access: PatientAccess,
    },
    /// Use the clinical-record endpoints at all: any permission that writes a record type
    /// (checked before the request body is read; the type's own permission follows).
    WriteRecords,
    /// Read clinical records at all: any permission that reads a record type.
    ReadRecords,
    /// Store attachments at all: any permission that stores an attachment kind (checked
    /// before the upload is read; the kind's own permission follows).
    WriteAttachments,
    /// Read attachments at all: any permission that reads an attachment kind.
    ReadAttachments,
    /// A patient's own sharing: grant, revoke, list their grants (patients only; staff act
    /// through the consent routes of a patient).
    ManageOwnSharing,
    /// A patient reads their own record in the portal: summary, records, export (patients only;
    /// staff read through the patient routes and their hospital's view).
    ReadOwnRecord,
    /// A patient changes their own preferences: reminder channels, quiet hours, language.
    ChangeOwnPreferences,
    /// A patient adds or ends the proxies who act for them (a proxy who manages may too).
    ManageOwnProxies,
    /// A patient or a proxy sees whom they act for and chooses whose record to open.
    ChooseRecord,
    /// Create, list, rotate or disable the integration clients of `hospital_id` (its own admins).
    ManageApiClients(Uuid),
    /// Upload a batch by the hospital's own ids, or read the changes feed: for a hospital,
    /// with `sync` (what each item or change touches is decided on its own).
    Sync,
    /// Work on `hospital_id`'s own lists with `permission`: its schedule, its invoices, its
    /// fee table (its own staff and clients only; what each item touches of a patient is
    /// decided on its own).
    AtHospital {
        permission: Permission,
        hospital_id: Uuid,
    },
    /// Read the network view of the indicators (every hospital's aggregates, small numbers
    /// hidden): staff of the whole network only (platform admins).
    ReadNetworkIndicators,
    /// Review the break-glass openings of `hospital_id` (`None`: no such opening), one opened
    /// by `opened_by` when reviewing one: the hospital's own admins only, never their own.
    ReviewBreakGlass {
        hospital_id: Option<Uuid>,
        opened_by: Option<Uuid>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in (401).
    Unauthenticated,
    /// Signed in without the permission (403).
    Deny,
    /// Outside the caller's scope: answered as absent (404).
    NotFound,
    /// An admin who must enrol a second factor first (403 `mfa_enrollment_required`).
    MfaEnrollmentRequired,
}

impl Decision {
    pub fn into_result(self) -> Result<(), ErrorKind> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Unauthenticated => Err(ErrorKind::unauthenticated()),
            Decision::Deny => Err(ErrorKind::forbidden()),
            Decision::NotFound => Err(ErrorKind::not_found("resource")),
            Decision::MfaEnrollmentRequired => Err(ErrorKind::Forbidden {
                code: "mfa_enrollment_required".into(),
                message: "Set up two-step sign-in before anything else.".into(),
            }),
        }
    }
}

/// The permission an action needs; `None` for actions open to any signed-in caller or to all.
fn permission(action: Action) -> Option<Permission> {
    Some(match action {
        Action::ListHospitals | Action::ReadHospital => return None,
        Action::RegisterHospital | Action::UpdateHospital(_) => Permission::HospitalsManage,
        Action::UpdateHospitalSettings(_) | Action::ManageApiClients(_) => {
            Permission::SettingsManage
        }
        Action::ReadAudit => Permission::AuditRead,
        Action::VerifyAudit => Permission::AuditVerify,
        Action::ListStaff | Action::ReadStaff { .. } => Permission::StaffRead,
        Action::ManageStaff | Action::InviteStaff { .. } | Action::UpdateStaff { .. } => {
            Permission::StaffManage
        }
        Action::ManageOwnMfa | Action::ReadSelf => return None,
        Action::ReadOutbox => Permission::OutboxRead,
        Action::RegisterPatient => Permission::PatientsWrite,
        Action::ListPatients { .. } => Permission::PatientsRead,
        Action::Patient { permission, .. }
        | Action::ReadPatientData { permission, .. }
        | Action::WritePatientData { permission, .. } => permission,
        Action::WriteRecords
        | Action::ReadRecords
        | Action::WriteAttachments
        | Action::ReadAttachments => return None,
        Action::ReviewBreakGlass { .. } => Permission::BreakGlassReview,
        Action::ReadNetworkIndicators => Permission::IndicatorsRead,
        Action::Sync => Permission::Sync,
        Action::AtHospital { permission, .. } => permission,
        Action::ManageOwnSharing
        | Action::ReadOwnRecord
        | Action::ChangeOwnPreferences
        | Action::ManageOwnProxies
        | Action::ChooseRecord => return None,
    })
}

/// Which roles an actor may give (invite into, or change to), and in which hospital.
fn may_assign(
    actor_role: Role,
    actor_hospital: Option<Uuid>,
    role: Role,
    hospital: Option<Uuid>,
) -> Decision {
    match actor_role {
        // Network admins manage admins: platform admins (no hospital) and hospital admins.
        Role::PlatformAdmin => match (role, hospital) {
            (Role::PlatformAdmin, None) => Decision::Allow,
            (Role::HospitalAdmin, Some(_)) => Decision::Allow,
            _ => Decision::Deny,
        },
        // Hospital admins manage their own hospital's staff, never platform admins.
        Role::HospitalAdmin => {
            if hospital != actor_hospital || actor_hospital.is_none() {
                Decision::NotFound
            } else if role == Role::PlatformAdmin {
                Decision::Deny
            } else {
                Decision::Allow
            }
        }
        _ => Decision::Deny,
    }
}

/// Whether the object of `action` lies outside what a staff member of `hospital_id` can see at
/// all: a patient not linked to their hospital, or clinical data their hospital neither wrote
/// nor was granted. (Other objects are answered by permission first: without `staff.read`,
/// any staff account id, present or not, is 403.)
fn out_of_view(action: Action) -> bool {
    let visible = |a: PatientAccess| {
        (a.linked || a.break_glass) && (a.own_record || a.consent || a.break_glass)
    };
    match action {
        Action::Patient { linked, .. } => !linked,
        Action::ReadPatientData { access, .. } | Action::WritePatientData { access, .. } => {
            !visible(access)
        }
        _ => false,
    }
}

/// Whether the caller sees a patient's contact details (email, phone, address, emergency
/// contact). They are data held by the hospital that registered the patient: `access.own_record`
/// says whether that is the caller's hospital; another linked hospital sees them with a
/// `demographics` grant (`access.consent`) or during break-glass, as any patient data.
/// Not seeing them withholds those fields from the profile; it does not refuse the profile.
pub fn sees_contact_details(actor: &Actor, access: PatientAccess) -> bool {
    let action = Action::ReadPatientData {
        permission: Permission::PatientsRead,
        access,
    };
    decide(actor, action) == Decision::Allow
}

/// Whether the caller may change a patient's contact details: only the hospital that holds them
/// (consent and break-glass never grant writes).
pub fn may_change_contact_details(actor: &Actor, access: PatientAccess) -> bool {
    let action = Action::WritePatientData {
        permission: Permission::PatientsWrite,
        access,
    };
    decide(actor, action) == Decision::Allow
}

/// Decides by permission, hospital scope and (for patient data) link, consent and
/// break-glass.
pub fn decide(actor: &Actor, action: Action) -> Decision {
    let (id, role, held, hospital_id) = match actor {
        Actor::System => return Decision::Allow,
        Actor::Anonymous => {
            return match action {
                Action::ListHospitals | Action::ReadHospital => Decision::Allow,
                _ => Decision::Unauthenticated,
            }
        }
        Actor::EnrollingStaff { .. } => {
            return match action {
                Action::ManageOwnMfa | Action::ReadSelf => Decision::Allow,
                _ => Decision::MfaEnrollmentRequired,
            }
        }
        Actor::Patient { .. } => {
            return match action {
                Action::ListHospitals
                | Action::ReadHospital
                | Action::ReadSelf
                | Action::ManageOwnSharing
                | Action::ReadOwnRecord
                | Action::ChangeOwnPreferences
                | Action::ManageOwnProxies
                | Action::ChooseRecord => Decision::Allow,
                // Staff-only actions are invisible to patients.
                _ => Decision::Deny,
            };
        }
        Actor::Proxy { acting_for, .. } => {
            let manages = acting_for.is_some_and(|f| f.access == ProxyAccess::Manage);
            return match action {
                Action::ListHospitals
                | Action::ReadHospital
                | Action::ReadSelf
                | Action::ChooseRecord => Decision::Allow,
                // Reading the record needs a patient to act for; changing it, `manage`.
                Action::ReadOwnRecord if acting_for.is_some() => Decision::Allow,
                Action::ManageOwnSharing
                | Action::ChangeOwnPreferences
                | Action::ManageOwnProxies
                    if manages =>
                {
                    Decision::Allow
                }
                _ => Decision::Deny,
            };
        }
        Actor::Staff {
            id,
            role,
            hospital_id,
        } => (*id, Some(*role), role.grants(), *hospital_id),
        // A client works for its hospital within its scopes: none of accounts, second factors
        // or anyone's own portal (its scopes never include staff or settings permissions).
        Actor::Client {
            id,
            hospital_id,
            scopes,
        } => {
            if matches!(action, Action::ManageOwnMfa | Action::ReadSelf) {
                return Decision::Deny;
            }
            (*id, None, *scopes, Some(*hospital_id))
        }
    };
    // An object outside the caller's view is absent to them, whatever their role may do with
    // objects in view: a foreign record answers 404 as a missing one does, never 403.
    if out_of_view(action) {
        return Decision::NotFound;
    }
    if let Some(p) = permission(action) {
        if !held.has(p) {
            return Decision::Deny;
        }
    }
    match action {
        // Accounts are managed by staff roles only.
        Action::InviteStaff { .. } | Action::ReadStaff { .. } | Action::UpdateStaff { .. }
            if role.is_none() =>
        {
            Decision::Deny
        }
        Action::InviteStaff {
            role: new_role,
            hospital_id: target_hospital,
        } => may_assign(
            role.unwrap_or(Role::Viewer),
            hospital_id,
            new_role,
            target_hospital,
        ),
        Action::ReadStaff {
            target,
            hospital_id: target_hospital,
            role: target_role,
        } => {
            if target == id {
                return Decision::Allow;
            }
            match role.unwrap_or(Role::Viewer) {
                Role::PlatformAdmin => Decision::Allow,
                _ if target_role != Role::PlatformAdmin
                    && target_hospital.is_some()
                    && target_hospital == hospital_id =>
                {
                    Decision::Allow
                }
                _ => Decision::NotFound,
            }
        }
        Action::UpdateStaff {
            target,
            hospital_id: target_hospital,
            role: target_role,
            new_role,
        } => {
            if target == id {
                // Nobody changes or disables their own account: another admin must.
                return Decision::Deny;
            }
            let role = role.unwrap_or(Role::Viewer);
            match may_assign(role, hospital_id, target_role, target_hospital) {
                Decision::Allow => may_assign(role, hospital_id, new_role, target_hospital),
                other => other,
            }
        }
        Action::WriteRecords => allow_if(
            RecordType::ALL
                .iter()
                .any(|t| held.has(t.write_permission())),
        ),
        Action::ReadRecords => allow_if(!readable_record_types(held).is_empty()),
        Action::WriteAttachments => allow_if(!writable_attachment_kinds(held).is_empty()),
        Action::ReadAttachments => allow_if(!readable_attachment_kinds(held).is_empty()),
        Action::RegisterPatient | Action::Sync => {
            if hospital_id.is_some() {
                Decision::Allow
            } else {
                Decision::Deny
            }
        }
        Action::ListPatients {
            hospital_id: target,
        } => {
            if hospital_id == Some(target) {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        Action::Patient { linked, .. } => {
            if linked {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        // A patient's own sharing, portal, preferences and proxies are theirs (and their
        // proxies') alone.
        Action::ManageOwnSharing
        | Action::ReadOwnRecord
        | Action::ChangeOwnPreferences
        | Action::ManageOwnProxies
        | Action::ChooseRecord => Decision::Deny,
        Action::AtHospital {
            hospital_id: target,
            ..
        } => {
            if hospital_id == Some(target) {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        Action::UpdateHospitalSettings(target) | Action::ManageApiClients(target) => {
            if hospital_id == Some(target) {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        // A hospital's staff read their own hospital's indicators, not the network's.
        Action::ReadNetworkIndicators => allow_if(hospital_id.is_none() && role.is_some()),
        Action::ReviewBreakGlass {
            hospital_id: target,
            opened_by,
        } => match hospital_id {
            // A platform admin belongs to no hospital and reviews no patient's opening.
            None => Decision::Deny,
            // Nobody reviews their own emergency access.
            Some(own) if target == Some(own) && opened_by == Some(id) => Decision::Deny,
            Some(own) if target == Some(own) => Decision::Allow,
            Some(_) => Decision::NotFound,
        },
        Action::WritePatientData { access, .. } => {
            if access.linked && access.own_record {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        Action::ReadPatientData { access, .. } => {
            if !access.linked && !access.break_glass {
                Decision::NotFound
            } else if access.own_record || access.consent || access.break_glass {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        _ => Decision::Allow,
    }
}

/// The record types a role reads (clinical readers: all; pharmacists: ART, prescriptions,
/// dispensing; front desk and billing: none).
pub fn readable_record_types(held: Permissions) -> Vec<RecordType> {
    RecordType::ALL
        .into_iter()
        .filter(|t| t.read_permissions().iter().any(|p| held.has(*p)))
        .collect()
}

/// The record types a role writes, among `types`.
pub fn writable_record_types(held: Permissions, types: &[RecordType]) -> Vec<RecordType> {
    types
        .iter()
        .copied()
        .filter(|t| held.has(t.write_permission()))
        .collect()
}

/// The permission under which `actor` would read `record_type`: one the role holds when there
/// is one, else the type's main read permission (which the decision then refuses).
pub fn record_read_permission(actor: &Actor, record_type: RecordType) -> Permission {
    held_permission(actor, record_type.read_permissions())
}

/// One of `options` the actor's role holds, else the first (which the decision then refuses).
pub fn held_permission(actor: &Actor, options: &[Permission]) -> Permission {
    actor
        .permissions()
        .and_then(|held| options.iter().copied().find(|p| held.has(*p)))
        .unwrap_or(options[0])
}

fn holds_any(held: Permissions, options: &[Permission]) -> bool {
    options.iter().any(|p| held.has(*p))
}

fn allow_if(allowed: bool) -> Decision {
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// The attachment kinds a role reads (clinical readers: all; the front desk: consent forms;
/// billing, pharmacy and laboratory: none).
pub fn readable_attachment_kinds(held: Permissions) -> Vec<AttachmentKind> {
    AttachmentKind::ALL
        .into_iter()
        .filter(|k| holds_any(held, k.read_permissions()))
        .collect()
}

/// The attachment kinds a role stores.
pub fn writable_attachment_kinds(held: Permissions) -> Vec<AttachmentKind> {
    AttachmentKind::ALL
        .into_iter()
        .filter(|k| holds_any(held, k.write_permissions()))
        .collect()
}

/// `decide` as a `Result` for services.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), ErrorKind> {
    decide(actor, action).into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, hospital_id: Option<Uuid>) -> Actor {
        Actor::Staff {
            id: Uuid::now_v7(),
            role,
            hospital_id,
        }
    }

    #[test]
    fn only_patients_use_their_own_portal() {
        let patient = Actor::Patient { id: Uuid::now_v7() };
        for action in [
            Action::ManageOwnSharing,
            Action::ReadOwnRecord,
            Action::ChangeOwnPreferences,
            Action::ManageOwnProxies,
            Action::ChooseRecord,
        ] {
            assert_eq!(decide(&patient, action), Decision::Allow, "{action:?}");
            assert_eq!(
                decide(&Actor::Anonymous, action),
                Decision::Unauthenticated,
                "{action:?}"
            );
            for role in Role::ALL {
                let h = (role != Role::PlatformAdmin).then(Uuid::now_v7);
                assert_eq!(
                    decide(&staff(role, h), action),
                    Decision::Deny,
                    "{role} {action:?}"
                );
            }
        }
    }

    #[test]
    fn proxies_do_what_their_access_allows_and_nothing_of_staff() {
        let acting = |access| Actor::Proxy {
            id: Uuid::now_v7(),
            acting_for: Some(ProxyFor {
                patient: Uuid::now_v7(),
                access,
            }),
        };
        let choosing = Actor::Proxy {
            id: Uuid::now_v7(),
            acting_for: None,
        };
        let (viewer, manager) = (acting(ProxyAccess::View), acting(ProxyAccess::Manage));
        let table = [
            // action, choosing, view, manage
            (Action::ChooseRecord, true, true, true),
            (Action::ReadSelf, true, true, true),
            (Action::ReadOwnRecord, false, true, true),
            (Action::ManageOwnSharing, false, false, true),
            (Action::ChangeOwnPreferences, false, false, true),
            (Action::ManageOwnProxies, false, false, true),
            (Action::RegisterPatient, false, false, false),
            (Action::ReadAudit, false, false, false),
            (
                Action::Patient {
                    permission: Permission::PatientsRead,
                    linked: true,
                },
                false,
                false,
                false,
            ),
        ];
        for (action, c, v, m) in table {
            for (actor, allowed) in [(&choosing, c), (&viewer, v), (&manager, m)] {
                let expected = if allowed {
                    Decision::Allow
                } else {
                    Decision::Deny
                };
                assert_eq!(decide(actor, action), expected, "{action:?} {actor:?}");
            }
        }
        assert_eq!(choosing.portal_patient(), None);
        assert!(manager.portal_patient().is_some());
        assert_eq!(manager.kind(), "proxy");
    }

    #[test]
    fn indicators_are_read_by_admins_and_the_network_view_by_platform_admins_only() {
        let (h, other) = (Uuid::now_v7(), Uuid::now_v7());
        let report = |hospital_id| Action::AtHospital {
            permission: Permission::IndicatorsRead,
            hospital_id,
        };
        // role, own hospital's report, another hospital's, the network view.
        let table = [
            (
                Role::PlatformAdmin,
                None,
                Decision::NotFound,
                Decision::Allow,
            ),
            (
                Role::HospitalAdmin,
                Some(h),
                Decision::NotFound,
                Decision::Deny,
            ),
            (Role::Clinician, Some(h), Decision::Deny, Decision::Deny),
            (Role::Viewer, Some(h), Decision::Deny, Decision::Deny),
            (Role::BillingClerk, Some(h), Decision::Deny, Decision::Deny),
        ];
        for (role, hospital, elsewhere, network) in table {
            let actor = staff(role, hospital);
            let own = match hospital {
                Some(h) => decide(&actor, report(h)),
                None => Decision::NotFound,
            };
            let expected_own = if role.has(Permission::IndicatorsRead) && hospital.is_some() {
                Decision::Allow
            } else if hospital.is_some() {
                Decision::Deny
            } else {
                Decision::NotFound
            };
            assert_eq!(own, expected_own, "{role:?} own");
            assert_eq!(decide(&actor, report(other)), elsewhere, "{role:?} other");
            assert_eq!(
                decide(&actor, Action::ReadNetworkIndicators),
                network,
                "{role:?} network"
            );
        }
        let client = Actor::Client {
            id: Uuid::now_v7(),
            hospital_id: h,
            scopes: Role::HospitalAdmin.grants(),
        };
        assert_eq!(
            decide(&client, Action::ReadNetworkIndicators),
            Decision::Deny
        );
        assert_eq!(
            decide(&Actor::Anonymous, Action::ReadNetworkIndicators),
            Decision::Unauthenticated
        );
    }

    #[test]
    fn a_hospitals_schedule_and_invoices_are_its_own_staffs_by_role() {
        let (h, other) = (Uuid::now_v7(), Uuid::now_v7());
        let at = |permission, hospital_id| Action::AtHospital {
            permission,
            hospital_id,
        };
        // role, books and reads the schedule, reads invoices, invoices.
        let table = [
            (Role::HospitalAdmin, true, false, false),
            (Role::Clinician, true, false, false),
            (Role::Receptionist, true, false, false),
            (Role::BillingClerk, false, true, true),
            (Role::Viewer, false, false, false),
            (Role::Pharmacist, false, false, false),
            (Role::LabTechnician, false, false, false),
        ];
        let expect = |allowed| {
            if allowed {
                Decision::Allow
            } else {
                Decision::Deny
            }
        };
        for (role, books, reads_bills, bills) in table {
            let actor = staff(role, Some(h));
            let cases = [
                (Permission::AppointmentsWrite, books),
                (Permission::BillingRead, reads_bills),
                (Permission::BillingWrite, bills),
            ];
            for (permission, allowed) in cases {
                assert_eq!(
                    decide(&actor, at(permission, h)),
                    expect(allowed),
                    "{role:?} {permission:?}"
                );
                // Another hospital's lists are absent to those who may work on their own.
                let elsewhere = if allowed {
                    Decision::NotFound
                } else {
                    Decision::Deny
                };
                assert_eq!(decide(&actor, at(permission, other)), elsewhere);
            }
        }
        let viewer = staff(Role::Viewer, Some(h));
        assert_eq!(
            decide(&viewer, at(Permission::AppointmentsRead, h)),
            Decision::Allow
        );
        let platform = staff(Role::PlatformAdmin, None);
        assert_eq!(
            decide(&platform, at(Permission::AppointmentsRead, h)),
            Decision::Deny
        );
        assert_eq!(
            decide(
                &Actor::Patient { id: Uuid::now_v7() },
                at(Permission::AppointmentsRead, h)
            ),
            Decision::Deny
        );
        assert_eq!(
            decide(&Actor::Anonymous, at(Permission::AppointmentsRead, h)),
            Decision::Unauthenticated
        );
    }

    #[test]
    fn a_client_works_for_its_hospital_within_its_scopes_only() {
        use crate::domain::integration::CLIENT_SCOPES;
        let (h, other) = (Uuid::now_v7(), Uuid::now_v7());
        let client = |scopes: &[Permission]| Actor::Client {
            id: Uuid::now_v7(),
            hospital_id: h,
            scopes: Permissions::of(scopes),
        };
        let full = client(&CLIENT_SCOPES);
        let reader = client(&[Permission::PatientsRead, Permission::RecordsRead]);
        let linked = Action::Patient {
            permission: Permission::PatientsRead,
            linked: true,
        };
        assert_eq!(decide(&reader, linked), Decision::Allow);
        assert_eq!(decide(&reader, Action::ReadRecords), Decision::Allow);
        assert_eq!(decide(&reader, Action::WriteRecords), Decision::Deny);
        assert_eq!(decide(&full, Action::WriteRecords), Decision::Allow);
        assert_eq!(
            decide(
                &full,
                Action::Patient {
                    permission: Permission::PatientsRead,
                    linked: false
                }
            ),
            Decision::NotFound,
            "another hospital's patient is absent"
        );
        assert_eq!(full.hospital_id(), Some(h));
        assert_eq!(full.kind(), "client");
        for action in [
            Action::ReadSelf,
            Action::ManageOwnMfa,
            Action::ListStaff,
            Action::ManageStaff,
            Action::ReadAudit,
            Action::ReadOutbox,
            Action::ManageApiClients(h),
            Action::UpdateHospitalSettings(h),
            Action::ManageOwnSharing,
            Action::ReadOwnRecord,
            Action::ChooseRecord,
            Action::ReviewBreakGlass {
                hospital_id: Some(h),
                opened_by: None,
            },
            Action::InviteStaff {
                role: Role::Viewer,
                hospital_id: Some(h),
            },
            Action::ManageApiClients(other),
        ] {
            assert_eq!(decide(&full, action), Decision::Deny, "{action:?}");
        }
    }

    #[test]
    fn break_glass_openings_are_reviewed_by_their_hospitals_admins() {
        let (h, other) = (Uuid::now_v7(), Uuid::now_v7());
        let review = |target| Action::ReviewBreakGlass {
            hospital_id: target,
            opened_by: None,
        };
        let admin = staff(Role::HospitalAdmin, Some(h));
        assert_eq!(decide(&admin, review(Some(h))), Decision::Allow);
        let own_opening = Action::ReviewBreakGlass {
            hospital_id: Some(h),
            opened_by: admin.id(),
        };
        assert_eq!(decide(&admin, own_opening), Decision::Deny, "not one's own");
        assert_eq!(decide(&admin, review(Some(other))), Decision::NotFound);
        assert_eq!(decide(&admin, review(None)), Decision::NotFound);
        for role in [Role::Clinician, Role::Viewer, Role::Receptionist] {
            assert_eq!(
                decide(&staff(role, Some(h)), review(Some(h))),
                Decision::Deny
            );
        }
        assert_eq!(
            decide(&staff(Role::PlatformAdmin, None), review(None)),
            Decision::Deny
        );
    }

    #[test]
    fn break_glass_opens_every_hospitals_data_for_reading_only() {
        let clinician = staff(Role::Clinician, Some(Uuid::now_v7()));
        let elsewhere = PatientAccess {
            linked: true,
            own_record: false,
            consent: false,
            break_glass: true,
        };
        let read = Action::ReadPatientData {
            permission: Permission::RecordsRead,
            access: elsewhere,
        };
        assert_eq!(decide(&clinician, read), Decision::Allow);
        let write = Action::WritePatientData {
            permission: Permission::RecordsWrite,
            access: elsewhere,
        };
        assert_eq!(decide(&clinician, write), Decision::NotFound);
    }

    #[test]
    fn contact_details_belong_to_the_registering_hospital() {
        let clinician = staff(Role::Clinician, Some(Uuid::now_v7()));
        let registering = PatientAccess {
            linked: true,
            own_record: true,
            consent: false,
            break_glass: false,
        };
        let linked_elsewhere = PatientAccess {
            own_record: false,
            ..registering
        };
        for (access, sees) in [
            (registering, true),
            (linked_elsewhere, false),
            (
                PatientAccess {
                    consent: true,
                    ..linked_elsewhere
                },
                true,
            ),
            (
                PatientAccess {
                    break_glass: true,
                    ..linked_elsewhere
                },
                true,
            ),
            (
                PatientAccess {
                    linked: false,
                    ..registering
                },
                false,
            ),
        ] {
            assert_eq!(sees_contact_details(&clinician, access), sees, "{access:?}");
        }
        assert!(sees_contact_details(&Actor::System, linked_elsewhere));
        assert!(!sees_contact_details(&Actor::Anonymous, registering));
        // Seeing them by consent is not holding them.
        assert!(may_change_contact_details(&clinician, registering));
        for access in [
            linked_elsewhere,
            PatientAccess {
                consent: true,
                ..linked_elsewhere
            },
            PatientAccess {
                break_glass: true,
                ..linked_elsewhere
            },
        ] {
            assert!(
                !may_change_contact_details(&clinician, access),
                "{access:?}"
            );
        }
    }

    #[test]
    fn registry_changes_need_a_platform_admin() {
        let h = Uuid::now_v7();
        for action in [Action::RegisterHospital, Action::UpdateHospital(h)] {
            assert_eq!(decide(&Actor::Anonymous, action), Decision::Unauthenticated);
            for role in Role::ALL {
                let expected = if role == Role::PlatformAdmin {
                    Decision::Allow
                } else {
                    Decision::Deny
                };
                assert_eq!(
                    decide(&staff(role, Some(h)), action),
                    expected,
                    "{role} {action:?}"
                );
            }
        }
        assert_eq!(
            decide(&Actor::Anonymous, Action::ListHospitals),
            Decision::Allow
        );
    }

    #[test]
    fn an_unenrolled_admin_may_only_enrol() {
        let actor = Actor::EnrollingStaff {
            id: Uuid::now_v7(),
            role: Role::PlatformAdmin,
            hospital_id: None,
        };
        assert_eq!(decide(&actor, Action::ManageOwnMfa), Decision::Allow);
        assert_eq!(decide(&actor, Action::ReadSelf), Decision::Allow);
        for action in [
            Action::ListHospitals,
            Action::RegisterHospital,
            Action::ReadAudit,
            Action::ListStaff,
        ] {
            assert_eq!(
                decide(&actor, action),
                Decision::MfaEnrollmentRequired,
                "{action:?}"
            );
        }
    }

    #[test]
    fn staff_management_is_scoped() {
        let own = Uuid::now_v7();
        let other = Uuid::now_v7();
        let admin = staff(Role::HospitalAdmin, Some(own));
        let invite = |role, hospital_id| Action::InviteStaff { role, hospital_id };
        assert_eq!(
            decide(&admin, invite(Role::Clinician, Some(own))),
            Decision::Allow
        );
        assert_eq!(
            decide(&admin, invite(Role::Clinician, Some(other))),
            Decision::NotFound
        );
        assert_eq!(
            decide(&admin, invite(Role::PlatformAdmin, Some(own))),
            Decision::Deny
        );
        let root = staff(Role::PlatformAdmin, None);
        assert_eq!(
            decide(&root, invite(Role::HospitalAdmin, Some(other))),
            Decision::Allow
        );
        assert_eq!(
            decide(&root, invite(Role::Clinician, Some(other))),
            Decision::Deny
        );
        assert_eq!(
            decide(&root, invite(Role::PlatformAdmin, None)),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &staff(Role::Clinician, Some(own)),
                invite(Role::Viewer, Some(own))
            ),
            Decision::Deny
        );

        let target = Uuid::now_v7();
        let update = |hospital_id, role, new_role| Action::UpdateStaff {
            target,
            hospital_id,
            role,
            new_role,
        };
        assert_eq!(
            decide(&admin, update(Some(own), Role::Viewer, Role::Clinician)),
            Decision::Allow
        );
        assert_eq!(
            decide(&admin, update(Some(other), Role::Viewer, Role::Clinician)),
            Decision::NotFound
        );
        assert_eq!(
            decide(&admin, update(Some(own), Role::Viewer, Role::PlatformAdmin)),
            Decision::Deny
        );
        let Actor::Staff { id, .. } = admin else {
            unreachable!()
        };
        let own_account = Action::UpdateStaff {
            target: id,
            hospital_id: Some(own),
            role: Role::HospitalAdmin,
            new_role: Role::HospitalAdmin,
        };
        assert_eq!(
            decide(&admin, own_account),
            Decision::Deny,
            "admins do not disable themselves"
        );
    }

    #[test]
    fn front_desk_and_billing_never_read_clinical_records() {
        for role in [Role::Receptionist, Role::BillingClerk, Role::PlatformAdmin] {
            assert!(readable_record_types(role.grants()).is_empty(), "{role}");
            assert_eq!(
                decide(&staff(role, Some(Uuid::now_v7())), Action::ReadRecords),
                Decision::Deny
            );
        }
        assert_eq!(
            readable_record_types(Role::Pharmacist.grants()),
            vec![
                RecordType::ArtRegimen,
                RecordType::Prescription,
                RecordType::Dispensing
            ]
        );
        assert_eq!(readable_record_types(Role::Viewer.grants()).len(), 10);
        let h = Uuid::now_v7();
        let lab = staff(Role::LabTechnician, Some(h));
        assert_eq!(decide(&lab, Action::WriteRecords), Decision::Allow);
        assert_eq!(decide(&lab, Action::ReadRecords), Decision::Deny);
        let write = |permission| Action::WritePatientData {
            permission,
            access: PatientAccess {
                linked: true,
                own_record: true,
                consent: false,
                break_glass: false,
            },
        };
        assert_eq!(decide(&lab, write(Permission::LabsWrite)), Decision::Allow);
        assert_eq!(
            decide(&lab, write(Permission::RecordsWrite)),
            Decision::Deny
        );
        let clinician = staff(Role::Clinician, Some(h));
        let others = Action::WritePatientData {
            permission: Permission::RecordsWrite,
            access: PatientAccess {
                linked: true,
                own_record: false,
                consent: true,
                break_glass: true,
            },
        };
        assert_eq!(
            decide(&clinician, others),
            Decision::NotFound,
            "consent and break-glass never allow writing another hospital's records"
        );
    }

    #[test]
    fn patients_are_visible_only_where_linked() {
        let h = Uuid::now_v7();
        let clerk = staff(Role::BillingClerk, Some(h));
        let read = |linked| Action::Patient {
            permission: Permission::PatientsRead,
            linked,
        };
        assert_eq!(decide(&clerk, read(true)), Decision::Allow);
        assert_eq!(decide(&clerk, read(false)), Decision::NotFound);
        assert_eq!(
            decide(&clerk, Action::ListPatients { hospital_id: h }),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &clerk,
                Action::ListPatients {
                    hospital_id: Uuid::now_v7()
                }
            ),
            Decision::NotFound
        );
        assert_eq!(decide(&clerk, Action::RegisterPatient), Decision::Deny);
        let root = staff(Role::PlatformAdmin, None);
        assert_eq!(decide(&root, read(true)), Decision::Deny);
    }

    #[test]
    fn patient_data_needs_a_link_and_own_record_or_consent() {
        let clinician = staff(Role::Clinician, Some(Uuid::now_v7()));
        let read = |access| Action::ReadPatientData {
            permission: Permission::RecordsRead,
            access,
        };
        let none = PatientAccess {
            linked: false,
            own_record: false,
            consent: false,
            break_glass: false,
        };
        assert_eq!(decide(&clinician, read(none)), Decision::NotFound);
        assert_eq!(
            decide(
                &clinician,
                read(PatientAccess {
                    linked: true,
                    own_record: true,
                    ..none
                })
            ),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &clinician,
                read(PatientAccess {
                    linked: true,
                    ..none
                })
            ),
            Decision::NotFound
        );
        assert_eq!(
            decide(
                &clinician,
                read(PatientAccess {
                    linked: true,
                    consent: true,
                    ..none
                })
            ),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &clinician,
                read(PatientAccess {
                    break_glass: true,
                    ..none
                })
            ),
            Decision::Allow
        );
        let clerk = staff(Role::BillingClerk, Some(Uuid::now_v7()));
        assert_eq!(
            decide(
                &clerk,
                read(PatientAccess {
                    linked: true,
                    own_record: true,
                    ..none
                })
            ),
            Decision::Deny
        );
    }
}
