//! Who is calling, until staff sign-in sessions exist (temporary; replaced by the identity
//! work): an `Authorization: Basic` header with a staff account's email and password makes
//! the caller that staff member; without it, a development instance treats the local user as
//! the `DevelopmentOperator` and a production instance as anonymous.

use base64::Engine;

use super::audit::{self, Event};
use super::{staff, Core};
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::ErrorKind;
use crate::error::AppResult;
use crate::policy::{Actor, Caller, RequestMeta};

/// Resolves the actor; `meta` carries the client address, which limits password attempts.
pub async fn resolve(
    core: &Core,
    authorization: Option<&str>,
    meta: &RequestMeta,
) -> AppResult<Actor> {
    let Some(header) = authorization else {
        return Ok(if core.config.env.is_development() {
            Actor::DevelopmentOperator
        } else {
            Actor::Anonymous
        });
    };
    let invalid = || ErrorKind::Unauthenticated {
        message: "The credentials are not valid.".into(),
    };
    let encoded = header
        .strip_prefix("Basic ")
        .ok_or_else(|| ErrorKind::Unauthenticated {
            message: "Only Basic credentials are accepted for now.".into(),
        })?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (email, password) = decoded.split_once(':').ok_or_else(invalid)?;
    // Limits before the expensive password check.
    let now = core.clock.now();
    let ip = meta.ip.as_deref().unwrap_or("unknown");
    core.limits.login_per_ip.hit(&format!("ip:{ip}"), now)?;
    let account = email.trim().to_lowercase();
    core.limits
        .login_per_account
        .hit(&format!("account:{account}"), now)?;
    match staff::authenticate(core, &account, password).await? {
        Some(actor) => Ok(actor),
        None => {
            // Recorded without the email typed: it may be a patient's address or a password.
            let caller = Caller::new(Actor::Anonymous, meta.clone());
            let event = Event::new("staff_account", AuditAction::LoginFailed)
                .details(serde_json::json!({"method": "basic"}));
            audit::record(core, &caller, &event, Outcome::Denied).await?;
            Err(invalid().into())
        }
    }
}
