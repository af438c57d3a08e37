//! Who is calling, until staff sign-in sessions exist (temporary; replaced by the identity
//! work): an `Authorization: Basic` header with a staff account's email and password makes
//! the caller that staff member; without it, a development instance treats the local user as
//! the `DevelopmentOperator` and a production instance as anonymous.

use base64::Engine;

use super::{staff, Core};
use crate::domain::ErrorKind;
use crate::error::AppResult;
use crate::policy::Actor;

pub async fn resolve(core: &Core, authorization: Option<&str>) -> AppResult<Actor> {
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
    match staff::authenticate(core, email, password).await? {
        Some(actor) => Ok(actor),
        None => Err(invalid().into()),
    }
}
