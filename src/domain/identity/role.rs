//! Staff roles and the named permissions they carry: the one role -> permission matrix.

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

    /// Named permissions of this role (SPEC section 1). This is the whole matrix.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        const CLINICAL: &[Permission] = &[
            HospitalsRead,
            PatientsRead,
            PatientsWrite,
            RecordsRead,
            RecordsWrite,
            LabsWrite,
            RegimensRead,
            PrescriptionsWrite,
            ConsentRecord,
            BreakGlass,
            AppointmentsRead,
            AppointmentsWrite,
        ];
        match self {
            Role::PlatformAdmin => &[
                HospitalsRead,
                HospitalsManage,
                StaffRead,
                StaffManage,
                AuditRead,
                AuditVerify,
                IndicatorsRead,
                OutboxRead,
            ],
            Role::HospitalAdmin => &[
                HospitalsRead,
                PatientsRead,
                PatientsWrite,
                PatientsDelete,
                RecordsRead,
                RecordsWrite,
                LabsWrite,
                RegimensRead,
                PrescriptionsWrite,
                ConsentRecord,
                BreakGlass,
                BreakGlassReview,
                AppointmentsRead,
                AppointmentsWrite,
                StaffRead,
                StaffManage,
                SettingsManage,
                AuditRead,
                IndicatorsRead,
                ExportBulk,
                OutboxRead,
                Sync,
            ],
            Role::Clinician => CLINICAL,
            Role::LabTechnician => &[HospitalsRead, PatientsRead, LabsWrite],
            Role::Pharmacist => &[HospitalsRead, PatientsRead, RegimensRead, DispensingWrite],
            Role::Receptionist => &[
                HospitalsRead,
                PatientsRead,
                PatientsWrite,
                AppointmentsRead,
                AppointmentsWrite,
            ],
            Role::BillingClerk => &[HospitalsRead, PatientsRead, BillingRead, BillingWrite],
            Role::Viewer => &[
                HospitalsRead,
                PatientsRead,
                RecordsRead,
                RegimensRead,
                AppointmentsRead,
            ],
        }
    }

    /// Whether an account with this role must use a second factor.
    pub fn requires_mfa(self) -> bool {
        matches!(self, Role::PlatformAdmin | Role::HospitalAdmin)
    }

    pub fn has(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The role's permissions as a set.
    pub fn grants(self) -> Permissions {
        Permissions::of(self.permissions())
    }
}

/// A set of permissions: what a role carries, or the scopes of an integration client. The
/// policy decides on it alike for both. Written as the space-separated names (as an OAuth
/// `scope`), so a stored or signed set never depends on the order of [`Permission::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u32);

impl Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(
            &self
                .iter()
                .map(Permission::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let list = text
            .split_whitespace()
            .map(|name| {
                Permission::parse(name)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown permission `{name}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Permissions::of(&list))
    }
}

impl Permissions {
    pub fn of(list: &[Permission]) -> Self {
        Permissions(list.iter().fold(0, |bits, p| bits | p.bit()))
    }

    pub fn has(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// The permissions in both.
    pub fn intersect(self, other: Permissions) -> Permissions {
        Permissions(self.0 & other.0)
    }

    /// Every permission of `self` is in `other`.
    pub fn within(self, other: Permissions) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.has(*p))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
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
    /// `hospitals.read`: read the hospital registry.
    HospitalsRead,
    /// `hospitals.manage`: register and edit hospitals.
    HospitalsManage,
    /// `staff.read`: list staff accounts in scope.
    StaffRead,
    /// `staff.manage`: invite staff, change roles, disable and re-enable.
    StaffManage,
    /// `settings.manage`: hospital settings: privacy, retention, notifications, rule set.
    SettingsManage,
    /// `audit.read`: read audit entries within the role's scope.
    AuditRead,
    /// `audit.verify`: check the whole network's hash chain.
    AuditVerify,
    /// `patients.read`: find patients and read demographics.
    PatientsRead,
    /// `patients.write`: register patients and edit demographics.
    PatientsWrite,
    /// `patients.delete`: soft-delete a patient with a justification.
    PatientsDelete,
    /// `records.read`: read clinical records.
    RecordsRead,
    /// `records.write`: write clinical records.
    RecordsWrite,
    /// `labs.write`: enter lab results (viral load, CD4, other results).
    LabsWrite,
    /// `regimens.read`: read ART regimens and prescriptions.
    RegimensRead,
    /// `prescriptions.write`: prescribe.
    PrescriptionsWrite,
    /// `dispensing.write`: record dispensing.
    DispensingWrite,
    /// `consent.record`: record a patient's consent.
    ConsentRecord,
    /// `break_glass`: open time-limited emergency access.
    BreakGlass,
    /// `break_glass.review`: review the hospital's break-glass openings.
    BreakGlassReview,
    /// `appointments.read`: read appointments.
    AppointmentsRead,
    /// `appointments.write`: book, reschedule and cancel appointments.
    AppointmentsWrite,
    /// `billing.read`: read invoices and payments.
    BillingRead,
    /// `billing.write`: create invoices and record payments.
    BillingWrite,
    /// `indicators.read`: aggregate indicators, no patient identities.
    IndicatorsRead,
    /// `export.bulk`: bulk export of the hospital's data.
    ExportBulk,
    /// `outbox.read`: see the notification outbox (development mode).
    OutboxRead,
    /// `sync`: upload batches by the hospital's own ids and read the changes feed.
    Sync,
}

impl Permission {
    /// Its bit in a [`Permissions`] set (its place in `ALL`).
    fn bit(self) -> u32 {
        let place = Permission::ALL
            .iter()
            .position(|p| *p == self)
            .unwrap_or_default();
        1 << place
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Permission::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    pub const ALL: [Permission; 27] = [
        Permission::HospitalsRead,
        Permission::HospitalsManage,
        Permission::StaffRead,
        Permission::StaffManage,
        Permission::SettingsManage,
        Permission::AuditRead,
        Permission::AuditVerify,
        Permission::PatientsRead,
        Permission::PatientsWrite,
        Permission::PatientsDelete,
        Permission::RecordsRead,
        Permission::RecordsWrite,
        Permission::LabsWrite,
        Permission::RegimensRead,
        Permission::PrescriptionsWrite,
        Permission::DispensingWrite,
        Permission::ConsentRecord,
        Permission::BreakGlass,
        Permission::BreakGlassReview,
        Permission::AppointmentsRead,
        Permission::AppointmentsWrite,
        Permission::BillingRead,
        Permission::BillingWrite,
        Permission::IndicatorsRead,
        Permission::ExportBulk,
        Permission::OutboxRead,
        Permission::Sync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::HospitalsRead => "hospitals.read",
            Permission::HospitalsManage => "hospitals.manage",
            Permission::StaffRead => "staff.read",
            Permission::StaffManage => "staff.manage",
            Permission::SettingsManage => "settings.manage",
            Permission::AuditRead => "audit.read",
            Permission::AuditVerify => "audit.verify",
            Permission::PatientsRead => "patients.read",
            Permission::PatientsWrite => "patients.write",
            Permission::PatientsDelete => "patients.delete",
            Permission::RecordsRead => "records.read",
            Permission::RecordsWrite => "records.write",
            Permission::LabsWrite => "labs.write",
            Permission::RegimensRead => "regimens.read",
            Permission::PrescriptionsWrite => "prescriptions.write",
            Permission::DispensingWrite => "dispensing.write",
            Permission::ConsentRecord => "consent.record",
            Permission::BreakGlass => "break_glass",
            Permission::BreakGlassReview => "break_glass.review",
            Permission::AppointmentsRead => "appointments.read",
            Permission::AppointmentsWrite => "appointments.write",
            Permission::BillingRead => "billing.read",
            Permission::BillingWrite => "billing.write",
            Permission::IndicatorsRead => "indicators.read",
            Permission::ExportBulk => "export.bulk",
            Permission::OutboxRead => "outbox.read",
            Permission::Sync => "sync",
        }
    }

    /// What the permission allows, for documentation.
    pub fn description(self) -> &'static str {
        match self {
            Permission::HospitalsRead => "read the hospital registry",
            Permission::HospitalsManage => "register and edit hospitals",
            Permission::StaffRead => "list staff accounts in scope",
            Permission::StaffManage => "invite staff, change roles, disable and re-enable",
            Permission::SettingsManage => {
                "hospital settings: privacy, retention, notifications, rule set"
            }
            Permission::AuditRead => "read audit entries within the role's scope",
            Permission::AuditVerify => "check the whole network's hash chain",
            Permission::PatientsRead => "find patients and read demographics",
            Permission::PatientsWrite => "register patients and edit demographics",
            Permission::PatientsDelete => "soft-delete a patient with a justification",
            Permission::RecordsRead => "read clinical records",
            Permission::RecordsWrite => "write clinical records",
            Permission::LabsWrite => "enter lab results (viral load, CD4, other results)",
            Permission::RegimensRead => "read ART regimens and prescriptions",
            Permission::PrescriptionsWrite => "prescribe",
            Permission::DispensingWrite => "record dispensing",
            Permission::ConsentRecord => "record a patient's consent",
            Permission::BreakGlass => "open time-limited emergency access",
            Permission::BreakGlassReview => "review the hospital's break-glass openings",
            Permission::AppointmentsRead => "read appointments",
            Permission::AppointmentsWrite => "book, reschedule and cancel appointments",
            Permission::BillingRead => "read invoices and payments",
            Permission::BillingWrite => "create invoices and record payments",
            Permission::IndicatorsRead => "aggregate indicators, no patient identities",
            Permission::ExportBulk => "bulk export of the hospital's data",
            Permission::OutboxRead => "see the notification outbox (development mode)",
            Permission::Sync => {
                "upload batches by the hospital's own ids and read the changes feed"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_sets_hold_what_they_were_given() {
        let clinician = Role::Clinician.grants();
        for p in Permission::ALL {
            assert_eq!(clinician.has(p), Role::Clinician.has(p), "{}", p.as_str());
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        let reader = Permissions::of(&[Permission::PatientsRead, Permission::RecordsRead]);
        assert!(reader.within(clinician));
        assert!(!clinician.within(reader));
        assert!(!Permissions::of(&[Permission::StaffManage]).within(clinician));
        assert_eq!(reader.iter().count(), 2);
        let text = serde_json::to_value(reader).unwrap();
        assert_eq!(text, "patients.read records.read");
        assert_eq!(serde_json::from_value::<Permissions>(text).unwrap(), reader);
        assert!(serde_json::from_value::<Permissions>("root".into()).is_err());
        assert_eq!(
            reader
                .intersect(Role::LabTechnician.grants())
                .iter()
                .count(),
            1
        );
        assert!(Permissions::default().is_empty());
    }

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

    #[test]
    fn receptionists_and_billing_clerks_never_read_clinical_records() {
        for role in [Role::Receptionist, Role::BillingClerk] {
            for p in [
                Permission::RecordsRead,
                Permission::RecordsWrite,
                Permission::LabsWrite,
                Permission::RegimensRead,
            ] {
                assert!(!role.has(p), "{role} {}", p.as_str());
            }
        }
        assert!(
            !Role::PlatformAdmin.has(Permission::PatientsRead),
            "network admins see aggregates only"
        );
        assert!(Role::HospitalAdmin
            .permissions()
            .iter()
            .all(|p| *p != Permission::AuditVerify));
        for p in Role::Clinician.permissions() {
            assert!(
                Role::HospitalAdmin.has(*p),
                "hospital admins do all a clinician does: {}",
                p.as_str()
            );
        }
    }
}
