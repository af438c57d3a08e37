//! Staff roles. The full role -> permission matrix arrives with the security spine; the roles
//! and the permissions the hospital registry needs start here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    HospitalAdmin,
    Clinician,
    LabTechnician,
    Pharmacist,
    Receptionist,
    BillingClerk,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::PlatformAdmin,
        Role::HospitalAdmin,
        Role::Clinician,
        Role::LabTechnician,
        Role::Pharmacist,
        Role::Receptionist,
        Role::BillingClerk,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::HospitalAdmin => "hospital_admin",
            Role::Clinician => "clinician",
            Role::LabTechnician => "lab_technician",
            Role::Pharmacist => "pharmacist",
            Role::Receptionist => "receptionist",
            Role::BillingClerk => "billing_clerk",
            Role::Viewer => "viewer",
        }
    }

    /// Named permissions of this role.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::PlatformAdmin => &[HospitalsRead, HospitalsManage, AuditRead, AuditVerify],
            Role::HospitalAdmin => &[HospitalsRead, AuditRead],
            _ => &[HospitalsRead],
        }
    }

    pub fn has(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}`"))
    }
}

/// Named permissions; roles map to sets of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// `hospitals.read`
    HospitalsRead,
    /// `hospitals.manage`: register and edit hospitals.
    HospitalsManage,
    /// `audit.read`: read audit entries within the role's scope.
    AuditRead,
    /// `audit.verify`: check the whole network's hash chain.
    AuditVerify,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::HospitalsRead => "hospitals.read",
            Permission::HospitalsManage => "hospitals.manage",
            Permission::AuditRead => "audit.read",
            Permission::AuditVerify => "audit.verify",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_platform_admins_manage_hospitals() {
        for role in Role::ALL {
            assert_eq!(
                role.has(Permission::HospitalsManage),
                role == Role::PlatformAdmin,
                "{role}"
            );
            assert!(role.has(Permission::HospitalsRead));
        }
    }
}
