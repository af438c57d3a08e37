//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of clock skew) and
//! one-time recovery codes. Secrets are sealed at rest; a code's step is remembered so the same
//! code is never accepted twice.

use rand::Rng;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::crypto::constant_time_eq;
use crate::db::{begin_write, changed_one};
use crate::domain::identity::auth::{MfaSetupResponse, RecoveryCodesResponse};
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::staff_account;
use crate::error::{AppError, AppResult};
use crate::policy::{Action, Caller};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

pub const ISSUER: &str = "HospitalLink";
pub const RECOVERY_CODES: usize = 10;
const STEP: u64 = 30;

/// The `otpauth://` URI with every parameter spelled out (some apps ignore defaults).
fn otpauth_uri(t: &TOTP) -> String {
    let mut uri = t.get_url();
    for (key, value) in [("algorithm", "SHA1"), ("digits", "6"), ("period", "30")] {
        if !uri.contains(&format!("{key}=")) {
            uri.push_str(&format!("&{key}={value}"));
        }
    }
    uri
}

fn totp(secret: Vec<u8>, account: &str) -> AppResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .map_err(|e| AppError::internal(format!("TOTP parameters: {e:?}")))
}

/// The step a 6-digit code belongs to (current, previous or next), if it is valid at `unix`.
pub fn matching_step(secret: &[u8], code: &str, unix: i64) -> Option<i64> {
    let t = totp(secret.to_vec(), "x").ok()?;
    let current = unix.max(0) as u64 / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| constant_time_eq(t.generate(step * STEP).as_bytes(), code.as_bytes()))
        .map(|s| s as i64)
}

/// The code for `secret` at `unix` (tests and the demo use it).
pub fn code_at(secret_base32: &str, unix: i64) -> Option<String> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    Some(totp(bytes, "x").ok()?.generate(unix.max(0) as u64))
}

fn seal(core: &Core, column: &str, id: Uuid, secret: &[u8]) -> String {
    core.keyring
        .seal("staff_accounts", column, id, &hex::encode(secret))
}

pub(crate) fn open_secret(core: &Core, column: &str, id: Uuid, sealed: &str) -> AppResult<Vec<u8>> {
    let clear = core
        .keyring
        .open("staff_accounts", column, id, sealed)
        .map_err(AppError::internal)?;
    hex::decode(clear).map_err(AppError::internal)
}

async fn own_account(
    core: &Core,
    caller: &Caller,
    event: &Event,
) -> AppResult<staff_account::Model> {
    audit::authorize(core, caller, Action::ManageOwnMfa, event).await?;
    let id = caller.actor.id().ok_or_else(ErrorKind::unauthenticated)?;
    if caller.actor.kind() != "staff" {
        return Err(ErrorKind::forbidden().into());
    }
    staff_account::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| ErrorKind::unauthenticated().into())
}

fn already_enabled() -> AppError {
    ErrorKind::Conflict {
        code: "mfa_already_enabled".into(),
        message: "Two-step sign-in is already set up for this account.".into(),
        fields: Default::default(),
        existing_id: None,
    }
    .into()
}

/// Starts enrolment: a new secret, kept as pending until a code confirms it.
pub async fn setup(core: &Core, caller: &Caller) -> AppResult<MfaSetupResponse> {
    let event = Event::new("staff_account", AuditAction::Update);
    let account = own_account(core, caller, &event).await?;
    if account.totp_enabled_at.is_some() {
        return Err(already_enabled());
    }
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill(&mut secret[..]);
    let t = totp(secret.clone(), &account.email)?;
    let response = MfaSetupResponse {
        secret: t.get_secret_base32(),
        otpauth_uri: otpauth_uri(&t),
    };
    let txn = begin_write(&core.db).await?;
    // Not enrolled meanwhile (by a confirmation racing this request).
    let started = staff_account::Entity::update_many()
        .col_expr(
            staff_account::Column::TotpPendingSecret,
            Expr::value(Some(seal(core, "totp_pending_secret", account.id, &secret))),
        )
        .col_expr(
            staff_account::Column::UpdatedAt,
            Expr::value(core.clock.now()),
        )
        .filter(staff_account::Column::Id.eq(account.id))
        .filter(staff_account::Column::TotpEnabledAt.is_null())
        .exec(&txn)
        .await?;
    if !changed_one(&started) {
        return Err(already_enabled());
    }
    let event = event
        .entity_id(account.id)
        .details(serde_json::json!({"mfa": "setup_started"}));
    audit::append(&txn, core.clock.now(), caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(response)
}

/// The pending enrolment of the caller, if any: the secret and `otpauth://` URI again (the
/// enrolment page shows it without starting over on every load).
pub async fn pending(core: &Core, caller: &Caller) -> AppResult<Option<MfaSetupResponse>> {
    let event = Event::new("staff_account", AuditAction::Read);
    let account = own_account(core, caller, &event).await?;
    let Some(sealed) = account.totp_pending_secret.as_deref() else {
        return Ok(None);
    };
    if account.totp_enabled_at.is_some() {
        return Ok(None);
    }
    let secret = open_secret(core, "totp_pending_secret", account.id, sealed)?;
    let t = totp(secret, &account.email)?;
    Ok(Some(MfaSetupResponse {
        secret: t.get_secret_base32(),
        otpauth_uri: otpauth_uri(&t),
    }))
}

fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// Recovery codes are random (50 bits), so an unkeyed hash suffices.
pub fn recovery_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// Confirms enrolment with a code from the app; returns the recovery codes (shown once).
pub async fn confirm(
    core: &Core,
    caller: &Caller,
    code: Option<&str>,
) -> AppResult<RecoveryCodesResponse> {
    let event = Event::new("staff_account", AuditAction::Update);
    let account = own_account(core, caller, &event).await?;
    let code = crate::domain::identity::auth::parse_otp_code("code", code)?;
    let Some(sealed) = account.totp_pending_secret.as_deref() else {
        // The account is not in the state this step needs: a conflict, not a malformed request.
        return Err(ErrorKind::conflict_on(
            "mfa_setup_required",
            "code",
            "Start the set-up first (POST /api/v1/auth/mfa/setup).",
        )
        .into());
    };
    let secret = open_secret(core, "totp_pending_secret", account.id, sealed)?;
    let now = core.clock.now();
    let Some(step) = matching_step(&secret, &code, now.timestamp()) else {
        return Err(ErrorKind::invalid_field(
            "code",
            "does not match; check the time on your phone and type the current code",
        )
        .into());
    };
    let (codes, hashes) = new_recovery_codes();
    let txn = begin_write(&core.db).await?;
    // Enrolment happens once: only while the pending secret this request checked is still the
    // pending one and nothing is enrolled (two confirmations at once: the second gets a 409 and
    // the recovery codes shown by the first stay valid).
    let enrolled = staff_account::Entity::update_many()
        .col_expr(
            staff_account::Column::TotpSecret,
            Expr::value(Some(seal(core, "totp_secret", account.id, &secret))),
        )
        .col_expr(
            staff_account::Column::TotpPendingSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(staff_account::Column::TotpEnabledAt, Expr::value(Some(now)))
        .col_expr(staff_account::Column::TotpLastStep, Expr::value(Some(step)))
        .col_expr(
            staff_account::Column::RecoveryCodes,
            Expr::value(Some(
                serde_json::to_string(&hashes).map_err(AppError::internal)?,
            )),
        )
        .col_expr(staff_account::Column::UpdatedAt, Expr::value(now))
        .filter(staff_account::Column::Id.eq(account.id))
        .filter(staff_account::Column::TotpEnabledAt.is_null())
        .filter(staff_account::Column::TotpPendingSecret.eq(sealed))
        .exec(&txn)
        .await?;
    if !changed_one(&enrolled) {
        return Err(already_enabled());
    }
    let event = event
        .entity_id(account.id)
        .details(serde_json::json!({"mfa": "enabled"}));
    audit::append(&txn, now, caller, &event, Outcome::Allowed).await?;
    txn.commit().await?;
    Ok(RecoveryCodesResponse {
        recovery_codes: codes,
    })
}

/// How a second-factor code was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
}

impl SecondFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactor::Totp => "totp",
            SecondFactor::RecoveryCode => "recovery_code",
        }
    }
}

/// Checks a TOTP or recovery code against an enrolled account inside `txn`, consuming it
/// (the step is remembered; a recovery code is removed). `None` when it does not match or was
/// already used.
///
/// Each is consumed by one conditional write: the step only moves forward (`totp_last_step`
/// below the code's step), and the recovery codes are replaced only if they are still the list
/// this request read. Of several requests presenting the same code at once, one succeeds.
pub async fn consume_code(
    core: &Core,
    txn: &sea_orm::DatabaseTransaction,
    account: &staff_account::Model,
    code: &str,
) -> AppResult<Option<SecondFactor>> {
    let Some(sealed) = account.totp_secret.as_deref() else {
        return Ok(None);
    };
    let now = core.clock.now();
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let still_enrolled = || {
        staff_account::Entity::update_many()
            .filter(staff_account::Column::Id.eq(account.id))
            .filter(staff_account::Column::Active.eq(true))
            .filter(staff_account::Column::CredentialsVersion.eq(account.credentials_version))
    };
    if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
        let secret = open_secret(core, "totp_secret", account.id, sealed)?;
        let Some(step) = matching_step(&secret, &compact, now.timestamp()) else {
            return Ok(None);
        };
        let moved = still_enrolled()
            .col_expr(staff_account::Column::TotpLastStep, Expr::value(Some(step)))
            .filter(
                Condition::any()
                    .add(staff_account::Column::TotpLastStep.is_null())
                    .add(staff_account::Column::TotpLastStep.lt(step)),
            )
            .exec(txn)
            .await?;
        return Ok(changed_one(&moved).then_some(SecondFactor::Totp));
    }
    let Some(stored) = account.recovery_codes.as_deref() else {
        return Ok(None);
    };
    let mut hashes: Vec<String> = serde_json::from_str(stored).map_err(AppError::internal)?;
    let wanted = recovery_hash(&compact);
    let Some(pos) = hashes
        .iter()
        .position(|h| constant_time_eq(h.as_bytes(), wanted.as_bytes()))
    else {
        return Ok(None);
    };
    hashes.remove(pos);
    let remaining = serde_json::to_string(&hashes).map_err(AppError::internal)?;
    let removed = still_enrolled()
        .col_expr(
            staff_account::Column::RecoveryCodes,
            Expr::value(Some(remaining)),
        )
        .filter(staff_account::Column::RecoveryCodes.eq(stored))
        .exec(txn)
        .await?;
    Ok(changed_one(&removed).then_some(SecondFactor::RecoveryCode))
}

/// Builds the QR code of an `otpauth://` URI as SVG (rendered on the server).
pub fn qr_svg(uri: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(AppError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 digits.
        let secret = b"12345678901234567890".to_vec();
        let t = totp(secret.clone(), "x").unwrap();
        assert_eq!(t.generate(59), "287082");
        assert_eq!(t.generate(1111111109), "081804");
        assert_eq!(t.generate(1234567890), "005924");
        assert_eq!(
            matching_step(&secret, "081804", 1111111109),
            Some(1111111109 / 30)
        );
        // One step of skew either side, no more.
        assert!(matching_step(&secret, "081804", 1111111109 + 30).is_some());
        assert!(matching_step(&secret, "081804", 1111111109 + 90).is_none());
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_loosely() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(
            recovery_hash(&codes[0].to_uppercase().replace('-', " ")),
            hashes[0]
        );
    }
}
