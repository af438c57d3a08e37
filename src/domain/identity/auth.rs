//! Sign-in, tokens and staff administration: what clients send and receive.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::role::Role;
use crate::domain::error::ErrorKind;
use crate::domain::validate::Errors;

/// `POST /auth/admin/login`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::password))]
    pub password: Option<String>,
}

/// An access token with its refresh token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// What a correct password leads to: tokens, or the second step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginResponse {
    Tokens(TokenResponse),
    MfaRequired {
        mfa_required: bool,
        /// Short-lived token to send with the code to `/auth/mfa`.
        mfa_token: String,
    },
}

/// `POST /auth/mfa`: the second step of a sign-in, with a TOTP code or a recovery code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MfaRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::secret))]
    pub mfa_token: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::secret))]
    pub code: Option<String>,
}

/// `POST /auth/mfa/setup`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MfaSetupResponse {
    /// Base32 secret, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/...` (SHA-1, 6 digits, 30 s), the content of the QR code.
    pub otpauth_uri: String,
}

/// `POST /auth/mfa/confirm`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MfaConfirmRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::six_digit_code))]
    pub code: Option<String>,
}

/// One-time recovery codes, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RecoveryCodesResponse {
    pub recovery_codes: Vec<String>,
}

/// `POST /auth/patient/request-otp`: an email or a phone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
// The document's schema (one of email or phone) is written in `domain::schema`.
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// `POST /auth/patient/verify-otp`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
// The document's schema (one of email or phone) is written in `domain::schema`.
#[serde(deny_unknown_fields)]
pub struct OtpVerifyRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub code: Option<String>,
}

/// `POST /auth/refresh` and `/auth/logout`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::secret))]
    pub refresh_token: Option<String>,
}

/// Where a patient's code goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtpDestination {
    /// Lower-cased email.
    Email(String),
    /// E.164 phone number, `+` and digits.
    Phone(String),
}

impl OtpDestination {
    pub fn kind(&self) -> &'static str {
        match self {
            OtpDestination::Email(_) => "email",
            OtpDestination::Phone(_) => "phone",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            OtpDestination::Email(v) | OtpDestination::Phone(v) => v,
        }
    }
}

/// Normalises a phone number to `+` and digits (spaces, dashes, dots and brackets dropped).
/// `None` when it is not 8-15 digits with a leading `+`.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
    (allowed && raw.starts_with('+') && (8..=15).contains(&digits.len()))
        .then(|| format!("+{digits}"))
}

/// Reads exactly one of `email` / `phone`.
pub fn otp_destination(
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<OtpDestination, ErrorKind> {
    let email = email.map(str::trim).filter(|v| !v.is_empty());
    let phone = phone.map(str::trim).filter(|v| !v.is_empty());
    match (email, phone) {
        (Some(_), Some(_)) => Err(ErrorKind::invalid_field(
            "email",
            "give an email or a phone number, not both",
        )),
        (None, None) => Err(ErrorKind::invalid_field(
            "email",
            "give the email or phone number your clinic has on file",
        )),
        (Some(email), None) => {
            let mut e = Errors::new();
            let email = e.email("email", Some(email));
            e.finish(|| OtpDestination::Email(email))
        }
        (None, Some(phone)) => normalise_phone(phone)
            .map(OtpDestination::Phone)
            .ok_or_else(|| {
                ErrorKind::invalid_field(
                    "phone",
                    "must be an international number starting with +, e.g. +254 700 000 000",
                )
            }),
    }
}

/// A 6-digit code as typed (spaces allowed).
pub fn parse_otp_code(field: &str, raw: Option<&str>) -> Result<String, ErrorKind> {
    let code: String = raw
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ErrorKind::invalid_field(field, "must be the 6-digit code"))
    }
}

/// `GET /auth/me`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
// Read back through `MeWire`, a flat struct (see `ErrorKind` for why).
#[serde(tag = "kind", rename_all = "snake_case", try_from = "MeWire")]
pub enum Me {
    Staff {
        id: Uuid,
        email: String,
        display_name: String,
        role: Role,
        hospital_id: Option<Uuid>,
        mfa_enabled: bool,
        /// True while an admin must enrol a second factor before anything else.
        mfa_enrollment_required: bool,
        permissions: Vec<String>,
    },
    Patient {
        id: Uuid,
        first_name: String,
    },
    /// A family member or guardian; `acting_for`: the patient whose record they act on.
    Proxy {
        id: Uuid,
        acting_for: Option<Uuid>,
    },
}

/// The flat shape of a serialized [`Me`].
#[derive(Deserialize)]
struct MeWire {
    kind: String,
    id: Uuid,
    email: Option<String>,
    display_name: Option<String>,
    role: Option<Role>,
    hospital_id: Option<Uuid>,
    mfa_enabled: Option<bool>,
    mfa_enrollment_required: Option<bool>,
    permissions: Option<Vec<String>>,
    first_name: Option<String>,
    acting_for: Option<Uuid>,
}

impl TryFrom<MeWire> for Me {
    type Error = String;

    fn try_from(w: MeWire) -> Result<Self, String> {
        use crate::domain::error::required;
        match w.kind.as_str() {
            "staff" => Ok(Me::Staff {
                id: w.id,
                email: required(w.email, "email")?,
                display_name: required(w.display_name, "display_name")?,
                role: required(w.role, "role")?,
                hospital_id: w.hospital_id,
                mfa_enabled: required(w.mfa_enabled, "mfa_enabled")?,
                mfa_enrollment_required: required(
                    w.mfa_enrollment_required,
                    "mfa_enrollment_required",
                )?,
                permissions: required(w.permissions, "permissions")?,
            }),
            "patient" => Ok(Me::Patient {
                id: w.id,
                first_name: required(w.first_name, "first_name")?,
            }),
            "proxy" => Ok(Me::Proxy {
                id: w.id,
                acting_for: w.acting_for,
            }),
            other => Err(format!("unknown kind `{other}`")),
        }
    }
}

/// `POST /staff/invitations`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::display_name))]
    pub display_name: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::role))]
    pub role: Option<String>,
    /// Required for every role but `platform_admin`; hospital admins may omit it (their own).
    pub hospital_id: Option<Uuid>,
}

/// A sent invitation (the token travels only in the email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub hospital_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// `POST /staff/invitations/accept`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::secret))]
    pub token: Option<String>,
    #[cfg_attr(feature = "server", schema(required = true, schema_with = crate::domain::schema::new_password))]
    pub password: Option<String>,
}

/// A staff account as admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct StaffMember {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub hospital_id: Option<Uuid>,
    pub active: bool,
    pub mfa_enabled: bool,
    /// Sign-in is locked after repeated failures until an admin unlocks it.
    pub sign_in_locked: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// `PUT /staff/{id}`: change the role, disable or re-enable, unlock sign-in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffUpdate {
    #[cfg_attr(feature = "server", schema(schema_with = crate::domain::schema::optional_role))]
    pub role: Option<String>,
    pub active: Option<bool>,
    /// `true` lifts a sign-in lock (after repeated failed passwords or codes).
    pub unlock: Option<bool>,
}

/// Parses a role name, naming the field when unknown.
pub fn parse_role(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<Role> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => {
            errors.add(field, "is required");
            None
        }
        Some(r) => match r.parse::<Role>() {
            Ok(role) => Some(role),
            Err(_) => {
                errors.add(
                    field,
                    format!("must be one of {}", Role::ALL.map(Role::as_str).join(", ")),
                );
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_round_trips_with_its_kind_and_refuses_a_missing_field() {
        let id = Uuid::nil();
        let staff = Me::Staff {
            id,
            email: "a@example.org".into(),
            display_name: "A".into(),
            role: Role::Clinician,
            hospital_id: Some(id),
            mfa_enabled: true,
            mfa_enrollment_required: false,
            permissions: vec!["records.read".into()],
        };
        let patient = Me::Patient {
            id,
            first_name: "Amina".into(),
        };
        for me in [staff, patient] {
            let json = serde_json::to_value(&me).unwrap();
            assert!(json["kind"] == "staff" || json["kind"] == "patient");
            assert_eq!(serde_json::from_value::<Me>(json).unwrap(), me);
        }
        let err = serde_json::from_value::<Me>(serde_json::json!({"kind": "patient", "id": id}));
        assert!(err.unwrap_err().to_string().contains("first_name"));
    }

    #[test]
    fn phones_normalise_to_e164() {
        assert_eq!(
            normalise_phone("+254 (700) 000-001").as_deref(),
            Some("+254700000001")
        );
        assert_eq!(
            normalise_phone("0700 000 001"),
            None,
            "needs the country code"
        );
        assert_eq!(normalise_phone("+12"), None);
        assert_eq!(normalise_phone("+254 700 abc"), None);
    }

    #[test]
    fn exactly_one_destination() {
        assert_eq!(
            otp_destination(Some(" Amina@Example.org "), None).unwrap(),
            OtpDestination::Email("amina@example.org".into())
        );
        assert_eq!(
            otp_destination(None, Some("+254 700 000 001")).unwrap(),
            OtpDestination::Phone("+254700000001".into())
        );
        assert_eq!(
            otp_destination(Some("a@b.org"), Some("+254700000001"))
                .unwrap_err()
                .field("email")
                .len(),
            1
        );
        assert_eq!(
            otp_destination(None, None)
                .unwrap_err()
                .field("email")
                .len(),
            1
        );
        assert_eq!(
            otp_destination(None, Some("0700"))
                .unwrap_err()
                .field("phone")
                .len(),
            1
        );
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_otp_code("code", Some("123 456")).unwrap(), "123456");
        assert!(parse_otp_code("code", Some("12345")).is_err());
        assert!(parse_otp_code("code", Some("12345a")).is_err());
        assert!(parse_otp_code("code", None).is_err());
    }
}
