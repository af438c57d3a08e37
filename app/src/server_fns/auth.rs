use hospitallink::domain::identity::auth::{Invitation, Me};
use hospitallink::domain::page::Page;
use hospitallink::domain::platform::outbox::OutboxItem;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Who is signed in, if anyone.
#[server(prefix = "/_fn", endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, ErrorKind> {
    use hospitallink::policy::Actor;
    let (core, caller) = crate::state::caller().await?;
    if caller.actor == Actor::Anonymous {
        return Ok(None);
    }
    hospitallink::services::identity::auth::me(&core, &caller)
        .await
        .map(Some)
        .map_err(crate::state::fail)
}

/// What the enrolment page shows: the secret, its URI and the QR code as SVG.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// The pending TOTP enrolment of the signed-in staff member, started if there is none.
/// `None` when two-step sign-in is already set up.
#[server(prefix = "/_fn", endpoint = "auth/mfa/enrolment")]
pub async fn mfa_enrolment() -> Result<Option<Enrolment>, ErrorKind> {
    use hospitallink::services::identity::mfa;
    let (core, caller) = crate::state::caller().await?;
    let me = hospitallink::services::identity::auth::me(&core, &caller)
        .await
        .map_err(crate::state::fail)?;
    if matches!(
        me,
        Me::Staff {
            mfa_enabled: true,
            ..
        }
    ) {
        return Ok(None);
    }
    let setup = match mfa::pending(&core, &caller)
        .await
        .map_err(crate::state::fail)?
    {
        Some(s) => s,
        None => mfa::setup(&core, &caller)
            .await
            .map_err(crate::state::fail)?,
    };
    let qr_svg = mfa::qr_svg(&setup.otpauth_uri).map_err(crate::state::fail)?;
    Ok(Some(Enrolment {
        secret: setup.secret,
        otpauth_uri: setup.otpauth_uri,
        qr_svg,
    }))
}

/// The invitation behind a link, if it can still be used.
#[server(prefix = "/_fn", endpoint = "auth/invitation")]
pub async fn invitation_preview(token: String) -> Result<Invitation, ErrorKind> {
    let state = use_context::<crate::state::AppState>()
        .ok_or_else(|| crate::state::fail(hospitallink::AppError::internal("state missing")))?;
    hospitallink::services::identity::invitations::preview(&state.core, &token)
        .await
        .map_err(crate::state::fail)
}

/// Messages in the outbox (development mode, admins only).
#[server(prefix = "/_fn", endpoint = "outbox/list")]
pub async fn list_outbox(page: u64) -> Result<Page<OutboxItem>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), None)
        .map_err(|e| crate::state::fail(e.into()))?;
    hospitallink::services::platform::outbox::list(&core, &caller, page)
        .await
        .map_err(crate::state::fail)
}

/// A page of the audit log with the admin page's filters.
#[server(prefix = "/_fn", endpoint = "audit/list")]
pub async fn list_audit(
    query: hospitallink::domain::platform::audit::AuditQuery,
) -> Result<Page<hospitallink::domain::platform::audit::AuditEntry>, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    let (filter, page) = query.parse().map_err(|e| crate::state::fail(e.into()))?;
    hospitallink::services::platform::audit::list(&core, &caller, &filter, page)
        .await
        .map_err(crate::state::fail)
}
