//! Server-side state reachable from server functions (provided by `leptos_routes`).

use axum::extract::FromRef;
use hospitallink::domain::ErrorKind;
use hospitallink::policy::{Actor, Caller, RequestMeta};
use hospitallink::services::identity::access::{self, Credential, SessionAuth};
use hospitallink::services::identity::tokens::Subject;
use hospitallink::services::Core;
use hospitallink::AppError;
use leptos::prelude::*;
use tower_sessions::{Expiry, Session};

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub core: Core,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The client's address as the server decided it (`TRUSTED_PROXIES`), put on each request
/// before any handler runs.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Where the request came from: client address, user agent and request id.
pub fn request_meta(parts: &http::request::Parts) -> RequestMeta {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    RequestMeta {
        ip: parts
            .extensions
            .get::<ClientAddress>()
            .map(|c| c.0)
            .or_else(|| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip())
            })
            .map(|ip| ip.to_string()),
        user_agent: header("user-agent"),
        request_id: header("x-request-id"),
    }
}

/// The session key holding the sign-in (`SessionAuth`).
pub const AUTH_KEY: &str = "auth";

/// The browser session of a request, when the session layer is in place.
pub fn session(parts: &http::request::Parts) -> Option<Session> {
    parts.extensions.get::<Session>().cloned()
}

/// The caller of a request: a bearer access token, else the browser session, else anonymous.
pub async fn resolve_caller(core: &Core, parts: &http::request::Parts) -> Result<Caller, AppError> {
    let meta = request_meta(parts);
    if let Some(header) = parts.headers.get(http::header::AUTHORIZATION) {
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ErrorKind::Unauthenticated {
                message: "Send the access token as `Authorization: Bearer <token>`.".into(),
            })?;
        let actor = access::resolve(core, Credential::Bearer(token.trim())).await?;
        return Ok(Caller::new(actor, meta));
    }
    let Some(session) = session(parts) else {
        return Ok(Caller::new(Actor::Anonymous, meta));
    };
    let auth = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(AppError::internal)?;
    let Some(auth) = auth else {
        return Ok(Caller::new(Actor::Anonymous, meta));
    };
    let now = core.clock.now();
    let actor = access::resolve(core, Credential::Session(auth)).await?;
    if actor == Actor::Anonymous {
        // Expired, disabled or changed credentials: the session ends here.
        session.flush().await.map_err(AppError::internal)?;
    } else if auth.needs_touch(now) {
        let touched = SessionAuth {
            seen_at: now,
            ..auth
        };
        session
            .insert(AUTH_KEY, touched)
            .await
            .map_err(AppError::internal)?;
    }
    Ok(Caller::new(actor, meta))
}

/// Starts a browser session for a sign-in: a new session id, the idle limit of the subject.
pub async fn sign_in(core: &Core, session: &Session, subject: Subject) -> Result<(), AppError> {
    let auth = SessionAuth::new(subject, core.clock.now());
    session.cycle_id().await.map_err(AppError::internal)?;
    session.set_expiry(Some(Expiry::OnInactivity(time_minutes(
        auth.idle_limit().num_minutes(),
    ))));
    session
        .insert(AUTH_KEY, auth)
        .await
        .map_err(AppError::internal)
}

/// The session key holding the first name of the patient a proxy acts for (sealed).
const ACTING_NAME_KEY: &str = "acting_name";

/// Keeps the first name of the patient a proxy just chose with the session (sealed, as all
/// personal data in a session row), for the portal's frame to show; `None` forgets it.
pub async fn keep_acting_name(
    core: &Core,
    session: &Session,
    name: Option<&str>,
) -> Result<(), AppError> {
    match name {
        Some(name) => {
            let sealed = core
                .keyring
                .seal("sessions", ACTING_NAME_KEY, uuid::Uuid::nil(), name);
            session
                .insert(ACTING_NAME_KEY, sealed)
                .await
                .map_err(AppError::internal)
        }
        None => session
            .remove::<String>(ACTING_NAME_KEY)
            .await
            .map(|_| ())
            .map_err(AppError::internal),
    }
}

/// The first name kept by `keep_acting_name`, if any.
pub async fn acting_name(core: &Core, parts: &http::request::Parts) -> Option<String> {
    let sealed: String = session(parts)?.get(ACTING_NAME_KEY).await.ok()??;
    core.keyring
        .open("sessions", ACTING_NAME_KEY, uuid::Uuid::nil(), &sealed)
        .ok()
}

fn time_minutes(minutes: i64) -> tower_sessions::cookie::time::Duration {
    tower_sessions::cookie::time::Duration::minutes(minutes)
}

/// The caller of the current request, resolved once: a page whose resources call several
/// server functions (the shell's `current_user` and the page's own) looks the sign-in up
/// once. Provided fresh for every request.
#[derive(Clone, Default)]
pub struct RequestCaller(std::sync::Arc<tokio::sync::OnceCell<Caller>>);

/// The core and the caller for the current server-function request.
pub async fn caller() -> Result<(Core, Caller), ErrorKind> {
    let state = use_context::<AppState>().ok_or_else(|| {
        fail(AppError::internal(
            "AppState missing from the server-function context",
        ))
    })?;
    let parts = use_context::<http::request::Parts>().ok_or_else(|| {
        fail(AppError::internal(
            "request parts missing from the server-function context",
        ))
    })?;
    let resolve = || resolve_caller(&state.core, &parts);
    let caller = match use_context::<RequestCaller>() {
        Some(RequestCaller(cell)) => cell.get_or_try_init(resolve).await.cloned(),
        None => resolve().await,
    }
    .map_err(fail)?;
    Ok((state.core, caller))
}

/// Ends a server function with an error: logs the cause of a 5xx, sets the HTTP status the
/// error kind calls for, and returns what the UI may see.
pub fn fail(err: AppError) -> ErrorKind {
    let kind = err.into_kind();
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(kind.status()) {
            response.set_status(status);
        }
    }
    kind
}
