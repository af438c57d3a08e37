//! Who is calling. A request proves a `Subject` with a bearer access token or a browser
//! session; this module turns it into the `Actor` the policy decides on, checking every time
//! that the account still exists, is active, and has not changed credentials since.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};

use super::tokens::{self, Stage, Subject, SubjectKind};
use crate::domain::identity::role::Role;
use crate::domain::integration::scopes_from_text;
use crate::domain::ErrorKind;
use crate::entities::{api_client, hospital, patient, proxy, staff_account};
use crate::error::{AppError, AppResult};
use crate::policy::Actor;
use crate::services::proxies;
use crate::services::Core;

/// Absolute limit of a browser session (SPEC 2.1).
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;
/// Idle limits of a browser session.
pub const STAFF_IDLE_MINUTES: i64 = 30;
pub const PATIENT_IDLE_MINUTES: i64 = 15;
/// A session's activity stamp is written at most this often (each write is a database write).
pub const TOUCH_EVERY_SECONDS: i64 = 60;

/// What a browser session holds about its sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub subject: Subject,
    /// Last activity, for the idle limit.
    pub seen_at: DateTime<Utc>,
}

impl SessionAuth {
    pub fn new(subject: Subject, now: DateTime<Utc>) -> Self {
        Self {
            subject,
            seen_at: now,
        }
    }

    pub fn idle_limit(&self) -> Duration {
        match self.subject.kind {
            SubjectKind::Staff => Duration::minutes(STAFF_IDLE_MINUTES),
            SubjectKind::Patient | SubjectKind::Proxy => Duration::minutes(PATIENT_IDLE_MINUTES),
            SubjectKind::Client => Duration::minutes(STAFF_IDLE_MINUTES),
        }
    }

    /// Whether the session is past its idle or absolute limit at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now - self.seen_at > self.idle_limit()
            || now - self.subject.auth_at > Duration::hours(SESSION_ABSOLUTE_HOURS)
    }

    /// Whether the activity stamp is old enough to be rewritten.
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.seen_at > Duration::seconds(TOUCH_EVERY_SECONDS)
    }
}

/// How the request proved who it is.
pub enum Credential<'a> {
    Bearer(&'a str),
    Session(SessionAuth),
}

/// Resolves the actor. A bearer token that does not verify is a 401 (the client should
/// refresh); an expired session is simply anonymous (the browser is sent to sign in).
pub async fn resolve(core: &Core, credential: Credential<'_>) -> AppResult<Actor> {
    let subject = match credential {
        Credential::Bearer(token) => tokens::read_access_token(core, token)
            // A portal sign-in has an absolute end, as its browser session has.
            .filter(|s| {
                !s.kind.is_portal()
                    || core.clock.now() - s.auth_at
                        <= Duration::hours(tokens::PATIENT_SIGN_IN_HOURS)
            })
            .ok_or_else(|| {
                AppError::from(ErrorKind::Unauthenticated {
                    message: "The access token is not valid or has expired.".into(),
                })
            })?,
        Credential::Session(auth) => {
            if auth.expired(core.clock.now()) {
                return Ok(Actor::Anonymous);
            }
            auth.subject
        }
    };
    Ok(actor_for(&core.db, &subject)
        .await?
        .unwrap_or(Actor::Anonymous))
}

/// The actor a subject stands for now, or `None` when the account is gone, disabled, locked
/// or changed credentials since.
pub async fn actor_for(db: &impl ConnectionTrait, subject: &Subject) -> AppResult<Option<Actor>> {
    match subject.kind {
        SubjectKind::Staff => {
            // The account and its hospital in one query: a deactivated hospital closes every
            // sign-in of its staff at once.
            let Some((account, hospital)) = staff_account::Entity::find_by_id(subject.id)
                .find_also_related(hospital::Entity)
                .one(db)
                .await?
            else {
                return Ok(None);
            };
            if !account.active
                || account.credentials_version != subject.ver
                || hospital.is_some_and(|h| !h.active)
            {
                return Ok(None);
            }
            let role: Role = account.role.parse().map_err(AppError::internal)?;
            let enrolled = account.totp_enabled_at.is_some();
            let (id, hospital_id) = (account.id, account.hospital_id);
            Ok(Some(
                if subject.stage == Stage::MfaEnrollment || (role.requires_mfa() && !enrolled) {
                    Actor::EnrollingStaff {
                        id,
                        role,
                        hospital_id,
                    }
                } else {
                    Actor::Staff {
                        id,
                        role,
                        hospital_id,
                    }
                },
            ))
        }
        SubjectKind::Patient => {
            let Some(p) = patient::Entity::find_by_id(subject.id).one(db).await? else {
                return Ok(None);
            };
            if p.deleted_at.is_some()
                || p.locked_at.is_some()
                || p.credentials_version != subject.ver
            {
                return Ok(None);
            }
            match subject.acting_for {
                None => Ok(Some(Actor::Patient { id: p.id })),
                // A patient who is also a proxy acts through the proxy at their own address.
                Some(other) => {
                    let own = proxies::proxies_of_patient(db, &p).await?;
                    proxies::acting(db, &own, other).await
                }
            }
        }
        SubjectKind::Client => {
            let Some((client, hospital)) = api_client::Entity::find_by_id(subject.id)
                .find_also_related(hospital::Entity)
                .one(db)
                .await?
            else {
                return Ok(None);
            };
            if client.disabled_at.is_some()
                || client.credentials_version != subject.ver
                || !hospital.is_some_and(|h| h.active)
            {
                return Ok(None);
            }
            let held = scopes_from_text(&client.scopes);
            Ok(Some(Actor::Client {
                id: client.id,
                hospital_id: client.hospital_id,
                scopes: subject.scopes.unwrap_or(held).intersect(held),
            }))
        }
        SubjectKind::Proxy => {
            let Some(p) = proxy::Entity::find_by_id(subject.id).one(db).await? else {
                return Ok(None);
            };
            if p.locked_at.is_some() || p.credentials_version != subject.ver {
                return Ok(None);
            }
            match subject.acting_for {
                None => Ok(Some(Actor::Proxy {
                    id: p.id,
                    acting_for: None,
                })),
                Some(patient) => proxies::acting(db, &[p.id], patient).await,
            }
        }
    }
}
