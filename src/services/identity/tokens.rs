//! API tokens: short-lived JWT access tokens (HS256 with `JWT_SECRET`) and rotating refresh
//! tokens (opaque, stored as SHA-256, single use, 7 days). Presenting a refresh token that was
//! already used revokes its whole family: someone holds a stolen copy.
//!
//! A `Subject` is what a sign-in proved. Browser sessions store the same `Subject`, so both
//! paths end in the same `Actor` (see `access`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{begin_write, changed_one, locked, shared};
use crate::domain::identity::auth::TokenResponse;
use crate::domain::identity::role::Permissions;
use crate::domain::platform::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::entities::{hospital, patient, proxy, refresh_token, staff_account};
use crate::error::{AppError, AppResult};
use crate::policy::{Actor, Caller, RequestMeta};
use crate::services::platform::audit::{self, Event};
use crate::services::Core;

/// A patient's sign-in (its access and refresh tokens) ends this long after it began, however
/// often it is refreshed: the same absolute limit as a browser session.
pub const PATIENT_SIGN_IN_HOURS: i64 = 12;
/// Refresh tokens live this long.
pub const REFRESH_LIFETIME_DAYS: i64 = 7;
/// An `mfa_token` (between password and code) lives this long.
pub const MFA_TOKEN_MINUTES: i64 = 5;

const ACCESS_AUDIENCE: &str = "hospitallink";
const MFA_AUDIENCE: &str = "hospitallink:mfa";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Staff,
    Patient,
    /// A family member or guardian who acts for patients.
    Proxy,
    /// A hospital's integration client (client credentials; access tokens only).
    Client,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Staff => "staff",
            SubjectKind::Patient => "patient",
            SubjectKind::Proxy => "proxy",
            SubjectKind::Client => "client",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "patient" => SubjectKind::Patient,
            "proxy" => SubjectKind::Proxy,
            "client" => SubjectKind::Client,
            _ => SubjectKind::Staff,
        }
    }

    /// Patients and proxies: portal sign-ins, with their shorter limits.
    pub fn is_portal(self) -> bool {
        matches!(self, SubjectKind::Patient | SubjectKind::Proxy)
    }
}

/// How far a sign-in got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Fully signed in.
    Full,
    /// An admin who proved the password but must enrol a second factor first.
    MfaEnrollment,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::MfaEnrollment => "mfa_enrollment",
        }
    }
    fn parse(s: &str) -> Self {
        if s == "full" {
            Stage::Full
        } else {
            Stage::MfaEnrollment
        }
    }
}

/// What a sign-in proved: who, at which credentials version, how far, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: Uuid,
    /// The account's `credentials_version` at sign-in; a change (password, disable, role)
    /// ends every session and token issued before it.
    pub ver: i64,
    pub stage: Stage,
    /// When the sign-in happened (the absolute session limit counts from here).
    pub auth_at: DateTime<Utc>,
    /// The patient whose record a proxy (or a patient who is also one) acts on; checked
    /// against an active proxy relationship on every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<Uuid>,
    /// An integration client's token: the scopes it carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Permissions>,
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    sub: Uuid,
    knd: SubjectKind,
    ver: i64,
    stg: Stage,
    /// Sign-in time (seconds).
    ath: i64,
    /// The patient acted for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    act: Option<Uuid>,
    /// A client's scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scp: Option<Permissions>,
    iat: i64,
    exp: i64,
    aud: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct MfaClaims {
    sub: Uuid,
    ver: i64,
    iat: i64,
    exp: i64,
    aud: String,
}

fn keys(core: &Core) -> (EncodingKey, DecodingKey) {
    let secret = core.config.jwt_secret.expose().as_bytes();
    (
        EncodingKey::from_secret(secret),
        DecodingKey::from_secret(secret),
    )
}

fn validation(audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&[audience]);
    // Expiry is checked against the injected clock below.
    v.validate_exp = false;
    v.required_spec_claims = ["exp", "aud", "sub"]
        .into_iter()
        .map(String::from)
        .collect();
    v
}

fn sign<T: Serialize>(core: &Core, claims: &T) -> AppResult<String> {
    encode(&Header::new(Algorithm::HS256), claims, &keys(core).0).map_err(AppError::internal)
}

/// An access token for `subject`.
pub fn access_token(core: &Core, subject: &Subject) -> AppResult<String> {
    let now = core.clock.now();
    let claims = AccessClaims {
        sub: subject.id,
        knd: subject.kind,
        ver: subject.ver,
        stg: subject.stage,
        ath: subject.auth_at.timestamp(),
        act: subject.acting_for,
        scp: subject.scopes,
        iat: now.timestamp(),
        exp: (now + expires_in(core)).timestamp(),
        aud: ACCESS_AUDIENCE.into(),
    };
    sign(core, &claims)
}

pub fn expires_in(core: &Core) -> Duration {
    Duration::from_std(core.config.jwt_expires_in).unwrap_or(Duration::minutes(15))
}

/// Reads a bearer access token. Invalid, expired or foreign tokens are `None`.
pub fn read_access_token(core: &Core, token: &str) -> Option<Subject> {
    let data = decode::<AccessClaims>(token, &keys(core).1, &validation(ACCESS_AUDIENCE)).ok()?;
    let c = data.claims;
    if c.exp <= core.clock.now().timestamp() {
        return None;
    }
    Some(Subject {
        kind: c.knd,
        id: c.sub,
        ver: c.ver,
        stage: c.stg,
        auth_at: DateTime::from_timestamp(c.ath, 0)?,
        acting_for: c.act,
        scopes: c.scp,
    })
}

/// The token that carries a correct password to the second step.
pub fn mfa_token(core: &Core, staff_id: Uuid, ver: i64) -> AppResult<String> {
    let now = core.clock.now();
    sign(
        core,
        &MfaClaims {
            sub: staff_id,
            ver,
            iat: now.timestamp(),
            exp: (now + Duration::minutes(MFA_TOKEN_MINUTES)).timestamp(),
            aud: MFA_AUDIENCE.into(),
        },
    )
}

/// `(staff id, credentials version)` of a valid, unexpired `mfa_token`.
pub fn read_mfa_token(core: &Core, token: &str) -> Option<(Uuid, i64)> {
    let data = decode::<MfaClaims>(token, &keys(core).1, &validation(MFA_AUDIENCE)).ok()?;
    (data.claims.exp > core.clock.now().timestamp()).then_some((data.claims.sub, data.claims.ver))
}

/// SHA-256 hex of a random token (tokens are high-entropy, so no key is needed).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: 32 bytes, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues an access token and a refresh token starting a new family.
pub async fn issue(core: &Core, subject: &Subject) -> AppResult<TokenResponse> {
    let txn = begin_write(&core.db).await?;
    let tokens = issue_in(&txn, core, subject).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// `issue` inside the caller's write transaction (one transaction for a whole sign-in).
pub async fn issue_in(
    txn: &sea_orm::DatabaseTransaction,
    core: &Core,
    subject: &Subject,
) -> AppResult<TokenResponse> {
    let refresh = insert_refresh(txn, core, subject, Uuid::now_v7()).await?;
    respond(core, subject, refresh)
}

fn respond(core: &Core, subject: &Subject, refresh_token: String) -> AppResult<TokenResponse> {
    Ok(TokenResponse {
        access_token: access_token(core, subject)?,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: expires_in(core).num_seconds().max(0) as u64,
    })
}

async fn insert_refresh(
    txn: &sea_orm::DatabaseTransaction,
    core: &Core,
    subject: &Subject,
    family_id: Uuid,
) -> AppResult<String> {
    let token = random_token();
    let now = core.clock.now();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id),
        subject_kind: Set(subject.kind.as_str().into()),
        subject_id: Set(subject.id),
        token_hash: Set(token_hash(&token)),
        stage: Set(subject.stage.as_str().into()),
        expires_at: Set(now + Duration::days(REFRESH_LIFETIME_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        signed_in_at: Set(Some(subject.auth_at)),
        acting_for: Set(subject.acting_for),
    }
    .insert(txn)
    .await?;
    Ok(format!("rt_{token}"))
}

fn invalid_refresh() -> AppError {
    ErrorKind::Unauthenticated {
        message: "The refresh token is not valid. Sign in again.".into(),
    }
    .into()
}

fn subject_of(model: &refresh_token::Model, ver: i64) -> Subject {
    Subject {
        kind: SubjectKind::parse(&model.subject_kind),
        id: model.subject_id,
        ver,
        stage: Stage::parse(&model.stage),
        auth_at: model.signed_in_at.unwrap_or(model.created_at),
        acting_for: model.acting_for,
        scopes: None,
    }
}

/// Trades a refresh token for a new pair. Reuse of a used token revokes its family.
///
/// The token is consumed by one conditional write (`used_at IS NULL`, not revoked, not
/// expired): of several requests presenting it at once exactly one gets a new pair, and the
/// others are reuse, which revokes the family. The account is read under a shared lock first,
/// so a credentials change either comes before (and has revoked the token) or waits for this
/// refresh to commit (and then revokes the new token too).
pub async fn refresh(core: &Core, meta: &RequestMeta, raw: &str) -> AppResult<TokenResponse> {
    let raw = raw.trim().strip_prefix("rt_").ok_or_else(invalid_refresh)?;
    let now = core.clock.now();
    let txn = begin_write(&core.db).await?;
    let Some(model) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(raw)))
        .one(&txn)
        .await?
    else {
        return Err(invalid_refresh());
    };
    // A portal sign-in ends at its absolute limit, however often it was refreshed.
    let signed_in_at = model.signed_in_at.unwrap_or(model.created_at);
    if SubjectKind::parse(&model.subject_kind).is_portal()
        && now - signed_in_at > Duration::hours(PATIENT_SIGN_IN_HOURS)
    {
        return Err(invalid_refresh());
    }
    // The account must still be what the token was issued to.
    let ver = current_version(&txn, &model).await?;
    let consumed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(refresh_token::Column::Id.eq(model.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if !changed_one(&consumed) {
        // As it is now, after any refresh that consumed it first has committed.
        let current = refresh_token::Entity::find_by_id(model.id)
            .one(&txn)
            .await?;
        if let Some(current) = current.filter(|t| t.used_at.is_some() && t.revoked_at.is_none()) {
            revoke_family(&txn, current.family_id, now).await?;
            let caller = Caller::new(Actor::Anonymous, meta.clone());
            let event = Event::new("refresh_token", AuditAction::LoginFailed)
                .entity_id(current.family_id)
                .details(
                    serde_json::json!({"reason": "refresh_token_reuse", "family_revoked": true}),
                );
            audit::append(&txn, now, &caller, &event, Outcome::Denied).await?;
            txn.commit().await?;
        }
        return Err(invalid_refresh());
    }
    let Some(ver) = ver else {
        return Err(invalid_refresh());
    };
    let subject = subject_of(&model, ver);
    let next = insert_refresh(&txn, core, &subject, model.family_id).await?;
    txn.commit().await?;
    respond(core, &subject, next)
}

/// The current credentials version of a refresh token's account, if it may still sign in. The
/// account row stays share-locked until the transaction ends.
async fn current_version(
    db: &impl ConnectionTrait,
    token: &refresh_token::Model,
) -> AppResult<Option<i64>> {
    if token.subject_kind == "patient" {
        let p = shared(patient::Entity::find_by_id(token.subject_id), db)
            .one(db)
            .await?;
        Ok(
            p.filter(|p| p.deleted_at.is_none() && p.locked_at.is_none())
                .map(|p| p.credentials_version),
        )
    } else if token.subject_kind == "proxy" {
        let p = shared(proxy::Entity::find_by_id(token.subject_id), db)
            .one(db)
            .await?;
        Ok(p.filter(|p| p.locked_at.is_none())
            .map(|p| p.credentials_version))
    } else {
        let a = shared(staff_account::Entity::find_by_id(token.subject_id), db)
            .one(db)
            .await?;
        let Some(a) = a.filter(|a| a.active) else {
            return Ok(None);
        };
        // Staff of a deactivated hospital get no new tokens.
        if let Some(h) = a.hospital_id {
            let open = hospital::Entity::find_by_id(h)
                .one(db)
                .await?
                .is_some_and(|h| h.active);
            if !open {
                return Ok(None);
            }
        }
        Ok(Some(a.credentials_version))
    }
}

/// Revokes every token of a family. Its rows are locked first: a refresh of the family that is
/// under way commits before, and the token it issued is revoked too.
async fn revoke_family(
    txn: &sea_orm::DatabaseTransaction,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    locked(
        refresh_token::Entity::find().filter(refresh_token::Column::FamilyId.eq(family_id)),
        txn,
    )
    .all(txn)
    .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Revokes the family of a refresh token (sign-out). Unknown tokens are ignored.
pub async fn revoke(core: &Core, raw: &str) -> AppResult<()> {
    let Some(raw) = raw.trim().strip_prefix("rt_") else {
        return Ok(());
    };
    let txn = begin_write(&core.db).await?;
    if let Some(model) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(raw)))
        .one(&txn)
        .await?
    {
        revoke_family(&txn, model.family_id, core.clock.now()).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Revokes every refresh token of an account (its credentials changed).
pub async fn revoke_subject(
    txn: &sea_orm::DatabaseTransaction,
    subject_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(refresh_token::Column::SubjectId.eq(subject_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}
