//! Proxies: family members and guardians who act for a patient in the portal.
//!
//! A patient adds a proxy by phone or email; the proxy signs in with a code sent to that address
//! and accepts (so the address is proven theirs), or declines. Staff of a hospital linked to a
//! minor add a guardian with the signed consent form, accepted at once. A proxy signs in with
//! their own code, picks whose record to act on, and may do what their access allows:
//! `view` reads the record, the access log and the export; `manage` also shares, changes the
//! preferences and adds or ends other proxies. Every action is audited as the proxy on behalf
//! of the patient; the patient (or the proxy) ends it at any time.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::clinical::patient::age_on;
use crate::domain::identity::auth::{otp_destination, OtpDestination};
use crate::domain::validate::Errors;
use crate::domain::ErrorKind;

/// How many proxies (pending or active) one patient may have.
pub const MAX_PROXIES: usize = 10;
/// How many proxies a patient (or a proxy who manages) may ask in a day: each sends a message.
pub const ADDS_PER_DAY: u64 = 10;
/// Below this age a patient may be given a guardian by staff.
pub const ADULT_AGE: i32 = 18;

/// How far a proxy may act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProxyAccess {
    /// Read the record, the access log and the export.
    View,
    /// Also share, revoke, change the preferences and manage other proxies.
    Manage,
}

impl ProxyAccess {
    pub const ALL: [ProxyAccess; 2] = [ProxyAccess::View, ProxyAccess::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            ProxyAccess::View => "view",
            ProxyAccess::Manage => "manage",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw.trim())
    }
}

/// Who the proxy is to the patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Parent,
    Guardian,
    Partner,
    Child,
    Sibling,
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 6] = [
        Relationship::Parent,
        Relationship::Guardian,
        Relationship::Partner,
        Relationship::Child,
        Relationship::Sibling,
        Relationship::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Parent => "parent",
            Relationship::Guardian => "guardian",
            Relationship::Partner => "partner",
            Relationship::Child => "child",
            Relationship::Sibling => "sibling",
            Relationship::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }
}

/// Where a proxy stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProxyStatus {
    /// Added; the proxy has not accepted yet.
    Pending,
    Active,
    Ended,
}

impl ProxyStatus {
    pub fn of(accepted_at: Option<DateTime<Utc>>, ended_at: Option<DateTime<Utc>>) -> Self {
        match (accepted_at, ended_at) {
            (_, Some(_)) => ProxyStatus::Ended,
            (Some(_), None) => ProxyStatus::Active,
            (None, None) => ProxyStatus::Pending,
        }
    }
}

/// Who added or ended a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProxyParty {
    Patient,
    Proxy,
    Staff,
}

impl ProxyParty {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyParty::Patient => "patient",
            ProxyParty::Proxy => "proxy",
            ProxyParty::Staff => "staff",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [ProxyParty::Patient, ProxyParty::Proxy, ProxyParty::Staff]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

/// `POST /me/proxies`: someone the patient lets act for them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProxyInput {
    /// Their name as the patient knows them (shown to the patient only).
    #[cfg_attr(
        feature = "server",
        schema(required = true, min_length = 1, max_length = 80)
    )]
    pub name: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, value_type = Relationship))]
    pub relationship: Option<String>,
    /// Their email (or give `phone`): they sign in with it.
    #[cfg_attr(feature = "server", schema(format = Email))]
    pub email: Option<String>,
    /// Their phone, international (or give `email`).
    pub phone: Option<String>,
    /// `view` (default) or `manage`.
    #[cfg_attr(feature = "server", schema(value_type = Option<ProxyAccess>))]
    pub access: Option<String>,
}

/// `POST /patients/{id}/guardians`: staff add a guardian for a minor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuardianInput {
    #[cfg_attr(
        feature = "server",
        schema(required = true, min_length = 1, max_length = 80)
    )]
    pub name: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, value_type = Relationship))]
    pub relationship: Option<String>,
    #[cfg_attr(feature = "server", schema(format = Email))]
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The signed consent form: an attachment of kind `consent_form` of this patient.
    #[cfg_attr(feature = "server", schema(required = true, value_type = Uuid))]
    pub consent_form_id: Option<Uuid>,
}

/// A proxy to add, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProxy {
    pub name: String,
    pub relationship: Relationship,
    pub destination: OtpDestination,
    pub access: ProxyAccess,
}

fn person(
    e: &mut Errors,
    name: Option<&str>,
    relationship: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
) -> (String, Option<Relationship>, Option<OtpDestination>) {
    let name = e.required_text("name", name, 1, 80);
    let relationship = match relationship.map(str::trim).filter(|r| !r.is_empty()) {
        None => {
            e.add("relationship", "is required");
            None
        }
        Some(raw) => Relationship::parse(raw).or_else(|| {
            e.add(
                "relationship",
                "must be parent, guardian, partner, child, sibling or other",
            );
            None
        }),
    };
    let destination = match otp_destination(email, phone) {
        Ok(d) => Some(d),
        Err(err) => {
            for (field, messages) in err.fields() {
                for m in messages {
                    e.add(&field, m);
                }
            }
            None
        }
    };
    (name, relationship, destination)
}

impl ProxyInput {
    pub fn validate(&self) -> Result<NewProxy, ErrorKind> {
        let mut e = Errors::new();
        let (name, relationship, destination) = person(
            &mut e,
            self.name.as_deref(),
            self.relationship.as_deref(),
            self.email.as_deref(),
            self.phone.as_deref(),
        );
        let access = match self.access.as_deref().map(str::trim) {
            None | Some("") => Some(ProxyAccess::View),
            Some(raw) => ProxyAccess::parse(raw).or_else(|| {
                e.add("access", "must be view or manage");
                None
            }),
        };
        e.finish(|| NewProxy {
            name,
            relationship: relationship.unwrap_or(Relationship::Other),
            destination: destination.unwrap_or(OtpDestination::Email(String::new())),
            access: access.unwrap_or(ProxyAccess::View),
        })
    }
}

impl GuardianInput {
    /// The guardian (who may manage) and the consent form.
    pub fn validate(&self) -> Result<(NewProxy, Uuid), ErrorKind> {
        let mut e = Errors::new();
        let (name, relationship, destination) = person(
            &mut e,
            self.name.as_deref(),
            self.relationship.as_deref(),
            self.email.as_deref(),
            self.phone.as_deref(),
        );
        if self.consent_form_id.is_none() {
            e.add(
                "consent_form_id",
                "is required: upload the signed consent form to the patient's documents first",
            );
        }
        e.finish(|| {
            (
                NewProxy {
                    name,
                    relationship: relationship.unwrap_or(Relationship::Guardian),
                    destination: destination.unwrap_or(OtpDestination::Email(String::new())),
                    access: ProxyAccess::Manage,
                },
                self.consent_form_id.unwrap_or_default(),
            )
        })
    }
}

/// Whether staff may add a guardian: the patient is a minor on `today`.
pub fn is_minor(date_of_birth: NaiveDate, today: NaiveDate) -> bool {
    age_on(date_of_birth, today) < ADULT_AGE
}

/// An address shown without giving it away: `z•••@example.org`, `+255 ••• ••• 123`.
pub fn address_hint(destination: &OtpDestination) -> String {
    match destination {
        OtpDestination::Email(e) => match e.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}•••@{domain}")
            }
            None => "•••".into(),
        },
        OtpDestination::Phone(p) => {
            let digits: Vec<char> = p.chars().filter(char::is_ascii_digit).collect();
            let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
            format!("+••• ••• {tail}")
        }
    }
}

/// The discreet message that tells someone they were asked to help: no name, no clinic, no
/// condition.
pub fn invitation_message(url: &str) -> String {
    format!(
        "HospitalLink: a family member asked you to help with their health record. To accept \
         or decline, sign in at {url} with this number or email. If you do not know why, \
         ignore this message."
    )
}

/// The discreet message to a guardian staff added: they may now sign in.
pub fn guardian_message(url: &str) -> String {
    format!(
        "HospitalLink: you can now sign in at {url} with this number or email to help with a \
         family member's health record. If you do not know why, ignore this message."
    )
}

/// One proxy of a patient, as the patient (or a managing proxy) sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Proxy {
    pub id: Uuid,
    pub name: String,
    pub relationship: Relationship,
    pub access: ProxyAccess,
    pub status: ProxyStatus,
    /// The address they sign in with, partly hidden.
    pub address: String,
    pub added_by: ProxyParty,
    /// A guardian added by staff: the hospital and the consent form.
    pub hospital_name: Option<String>,
    pub consent_form_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<ProxyParty>,
}

/// Someone the signed-in person acts for (or was asked to).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ActingFor {
    /// The relationship's id (to accept, decline or stop).
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The patient's first name.
    pub first_name: String,
    pub relationship: Relationship,
    pub access: ProxyAccess,
    pub status: ProxyStatus,
}

/// `GET /me/proxies`: the proxies of the record acted on, and whom the signed-in person acts
/// for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MyProxies {
    /// The patient whose record this sign-in acts on now (`None`: a proxy who has not chosen).
    pub acting_on: Option<Uuid>,
    /// Whether the signed-in person is a patient (and may go back to their own record).
    pub own_record: bool,
    /// Whether the proxies below may be added and ended by this sign-in.
    pub may_manage: bool,
    /// The proxies of the record acted on (newest first; ended ones kept).
    pub proxies: Vec<Proxy>,
    /// The people this person helps, or was asked to (pending first).
    pub acting_for: Vec<ActingFor>,
}

/// What the portal's frame shows of the sign-in: whose record is open, and which sections the
/// signed-in person may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalWho {
    /// A proxy: the first name of the patient whose record is open (`None` with `proxy`: they
    /// have not chosen yet).
    pub acting_for: Option<String>,
    /// Signed in as a proxy (or a patient acting as one).
    pub proxy: bool,
    /// May read the record open (home, records, access log, summary).
    pub reads: bool,
    /// May share, change the preferences and manage proxies.
    pub manages: bool,
}

/// `POST /me/acting-for`: whose record the sign-in acts on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActingForInput {
    /// A patient the caller is an active proxy of; `null`: the caller's own record.
    #[cfg_attr(feature = "server", schema(value_type = Option<Uuid>))]
    pub patient_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, relationship: &str, phone: &str) -> ProxyInput {
        ProxyInput {
            name: Some(name.into()),
            relationship: Some(relationship.into()),
            phone: Some(phone.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_proxy_is_named_related_and_reachable() {
        let ok = input("Zawadi", "sibling", "+255 700 111 222")
            .validate()
            .unwrap();
        assert_eq!(ok.relationship, Relationship::Sibling);
        assert_eq!(ok.access, ProxyAccess::View, "view unless manage is asked");
        assert_eq!(
            ok.destination,
            OtpDestination::Phone("+255700111222".into())
        );

        let err = input("", "aunt", "0700").validate().unwrap_err();
        let fields = err.fields();
        for field in ["name", "relationship", "phone"] {
            assert!(fields.contains_key(field), "{field}: {fields:?}");
        }
        let both = ProxyInput {
            email: Some("z@example.org".into()),
            ..input("Zawadi", "sibling", "+255700111222")
        };
        assert!(both.validate().unwrap_err().fields().contains_key("email"));
        let bad_access = ProxyInput {
            access: Some("all".into()),
            ..input("Zawadi", "sibling", "+255700111222")
        };
        assert!(bad_access
            .validate()
            .unwrap_err()
            .fields()
            .contains_key("access"));
    }

    #[test]
    fn a_guardian_needs_the_consent_form_and_may_manage() {
        let mut g = GuardianInput {
            name: Some("Amina".into()),
            relationship: Some("parent".into()),
            email: Some("amina@example.org".into()),
            ..Default::default()
        };
        assert!(g
            .validate()
            .unwrap_err()
            .fields()
            .contains_key("consent_form_id"));
        g.consent_form_id = Some(Uuid::nil());
        let (guardian, form) = g.validate().unwrap();
        assert_eq!(guardian.access, ProxyAccess::Manage);
        assert_eq!(form, Uuid::nil());
    }

    #[test]
    fn minors_are_under_eighteen() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(is_minor(
            NaiveDate::from_ymd_opt(2012, 3, 4).unwrap(),
            today
        ));
        assert!(is_minor(
            NaiveDate::from_ymd_opt(2008, 12, 2).unwrap(),
            today
        ));
        assert!(!is_minor(
            NaiveDate::from_ymd_opt(2008, 12, 1).unwrap(),
            today
        ));
    }

    #[test]
    fn addresses_are_hinted_not_shown() {
        assert_eq!(
            address_hint(&OtpDestination::Email("zawadi@example.org".into())),
            "z•••@example.org"
        );
        assert_eq!(
            address_hint(&OtpDestination::Phone("+255700111222".into())),
            "+••• ••• 222"
        );
        for text in [
            invitation_message("https://example.org/portal"),
            guardian_message("https://example.org/portal"),
        ] {
            for word in ["HIV", "ART", "clinic"] {
                assert!(!text.contains(word), "{word} in {text}");
            }
        }
    }

    #[test]
    fn status_follows_acceptance_and_end() {
        let at = Some(Utc::now());
        assert_eq!(ProxyStatus::of(None, None), ProxyStatus::Pending);
        assert_eq!(ProxyStatus::of(at, None), ProxyStatus::Active);
        assert_eq!(ProxyStatus::of(None, at), ProxyStatus::Ended);
    }
}
