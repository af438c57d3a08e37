//! Sign-in forms for browsers, with or without JavaScript: each handler reads a plain form
//! post, calls the same service as the REST API, and either redirects (303) or re-renders the
//! page with the error and what was typed (never a password or code).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::identity::auth::{
    AcceptInvitationRequest, LoginRequest, OtpRequest, OtpVerifyRequest,
};
use hospitallink::domain::ErrorKind;
use hospitallink::services::identity::auth::{self, StaffLogin};
use hospitallink::services::identity::tokens::{Stage, SubjectKind};
use hospitallink::services::identity::{invitations, mfa, otp};
use hospitallink::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tower_sessions::Session;

use super::{fail, read_form, render_page};
use app::pages::auth::FormOutcome;
use app::state::{request_meta, resolve_caller, sign_in, AppState};

/// Session key of a sign-in waiting for its second factor.
const MFA_PENDING: &str = "mfa_pending";
/// Session key of the address a patient asked a code for.
const OTP_DESTINATION: &str = "otp_destination";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/login/mfa", post(login_mfa))
        .route("/account/mfa", post(confirm_mfa))
        .route("/logout", post(logout))
        .route("/portal/login", post(portal_request))
        .route("/portal/login/code", post(portal_verify))
        .route("/invite/{token}", post(accept_invitation))
}

fn session_of(parts: &axum::http::request::Parts) -> Result<Session, AppError> {
    app::state::session(parts).ok_or_else(|| AppError::internal("session layer missing"))
}

fn values(pairs: &[(&str, Option<&String>)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.clone())))
        .collect()
}

/// `POST /login`: email + password.
async fn login(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let input: Result<LoginRequest, ErrorKind> = read_form(body).await;
    let typed = input
        .as_ref()
        .ok()
        .map(|i| values(&[("email", i.email.as_ref())]))
        .unwrap_or_default();
    let result = async {
        let input = input?;
        let session = session_of(&parts)?;
        let meta = request_meta(&parts);
        match auth::staff_login(&state.core, &meta, &input).await? {
            StaffLogin::MfaRequired { mfa_token } => {
                session.cycle_id().await.map_err(AppError::internal)?;
                session
                    .insert(MFA_PENDING, mfa_token)
                    .await
                    .map_err(AppError::internal)?;
                Ok::<_, AppError>("/login/mfa")
            }
            StaffLogin::SignedIn(subject) => {
                sign_in(&state.core, &session, subject).await?;
                Ok(if subject.stage == Stage::MfaEnrollment {
                    "/account/mfa"
                } else {
                    "/hospitals"
                })
            }
        }
    }
    .await;
    match result {
        Ok(target) => Redirect::to(target).into_response(),
        Err(e) => fail(&state, parts, "/login", typed, e).await,
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct CodeForm {
    code: Option<String>,
}

/// `POST /login/mfa`: the second factor.
async fn login_mfa(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let input: Result<CodeForm, ErrorKind> = read_form(body).await;
    let result = async {
        let input = input?;
        let session = session_of(&parts)?;
        let token: Option<String> = session.get(MFA_PENDING).await.map_err(AppError::internal)?;
        let meta = request_meta(&parts);
        let subject =
            auth::complete_mfa(&state.core, &meta, token.as_deref(), input.code.as_deref()).await?;
        session
            .remove::<String>(MFA_PENDING)
            .await
            .map_err(AppError::internal)?;
        sign_in(&state.core, &session, subject).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/hospitals").into_response(),
        Err(e) => {
            // An expired sign-in starts over at the password.
            let path = if e.kind.status() == 401 {
                "/login"
            } else {
                "/login/mfa"
            };
            fail(&state, parts, path, BTreeMap::new(), e).await
        }
    }
}

/// `POST /account/mfa`: confirms enrolment, shows the recovery codes once, and lifts the
/// enrolment-only restriction of this session.
async fn confirm_mfa(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let input: Result<CodeForm, ErrorKind> = read_form(body).await;
    let result = async {
        let input = input?;
        let session = session_of(&parts)?;
        let caller = resolve_caller(&state.core, &parts).await?;
        let codes = mfa::confirm(&state.core, &caller, input.code.as_deref()).await?;
        let auth: Option<hospitallink::services::identity::access::SessionAuth> = session
            .get(app::state::AUTH_KEY)
            .await
            .map_err(AppError::internal)?;
        if let Some(auth) = auth {
            let subject = hospitallink::services::identity::tokens::Subject {
                stage: Stage::Full,
                ..auth.subject
            };
            sign_in(&state.core, &session, subject).await?;
        }
        Ok::<_, AppError>(codes)
    }
    .await;
    match result {
        Ok(codes) => {
            let outcome = FormOutcome {
                recovery_codes: codes.recovery_codes,
                ..Default::default()
            };
            render_page(&state, parts, "/account/mfa", outcome, StatusCode::OK).await
        }
        Err(e) => fail(&state, parts, "/account/mfa", BTreeMap::new(), e).await,
    }
}

/// `POST /logout`: ends the browser session.
async fn logout(req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if let Some(session) = app::state::session(&parts) {
        if let Err(e) = session.flush().await {
            tracing::warn!(error = %e, "session flush failed");
        }
    }
    Redirect::to("/").into_response()
}

/// `POST /portal/login`: asks for a code; the address is kept in the session, not the URL.
async fn portal_request(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let input: Result<OtpRequest, ErrorKind> = read_form(body).await;
    let typed = input
        .as_ref()
        .ok()
        .map(|i| values(&[("email", i.email.as_ref()), ("phone", i.phone.as_ref())]))
        .unwrap_or_default();
    let result = async {
        let input = input?;
        let session = session_of(&parts)?;
        otp::request(&state.core, &request_meta(&parts), &input).await?;
        // The address is personal data: the session row keeps it sealed.
        let destination =
            serde_json::to_string(&(&input.email, &input.phone)).map_err(AppError::internal)?;
        let sealed =
            state
                .core
                .keyring
                .seal("sessions", OTP_DESTINATION, uuid::Uuid::nil(), &destination);
        session
            .insert(OTP_DESTINATION, sealed)
            .await
            .map_err(AppError::internal)?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/portal/login/code").into_response(),
        Err(e) => fail(&state, parts, "/portal/login", typed, e).await,
    }
}

/// `POST /portal/login/code`: signs the patient in with the code.
async fn portal_verify(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let input: Result<CodeForm, ErrorKind> = read_form(body).await;
    let result = async {
        let input = input?;
        let session = session_of(&parts)?;
        let sealed: Option<String> = session
            .get(OTP_DESTINATION)
            .await
            .map_err(AppError::internal)?;
        let destination = sealed.and_then(|sealed| {
            let clear = state
                .core
                .keyring
                .open("sessions", OTP_DESTINATION, uuid::Uuid::nil(), &sealed)
                .ok()?;
            serde_json::from_str::<(Option<String>, Option<String>)>(&clear).ok()
        });
        let Some((email, phone)) = destination else {
            return Err(AppError::from(ErrorKind::bad_request(
                "otp_not_requested",
                "Ask for a code first.",
            )));
        };
        let verify = OtpVerifyRequest {
            email,
            phone,
            code: input.code,
        };
        let subject = otp::verify(&state.core, &request_meta(&parts), &verify).await?;
        session
            .remove::<String>(OTP_DESTINATION)
            .await
            .map_err(AppError::internal)?;
        sign_in(&state.core, &session, subject).await?;
        // A proxy chooses whose record to open first.
        if subject.kind == SubjectKind::Proxy {
            return Ok((None, "/portal/proxies"));
        }
        Ok((
            super::portal::stored_language(&state, &parts, subject.id).await,
            "/portal",
        ))
    }
    .await;
    match result {
        // The patient's own language follows them to this browser.
        Ok((Some(language), to)) => {
            let mut response = Redirect::to(to).into_response();
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                super::portal::language_cookie(Some(language)),
            );
            response
        }
        Ok((None, to)) => Redirect::to(to).into_response(),
        Err(e) => fail(&state, parts, "/portal/login/code", BTreeMap::new(), e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct PasswordForm {
    password: Option<String>,
    password_confirmation: Option<String>,
}

/// `POST /invite/{token}`: sets the password of an invited account.
async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let input: Result<PasswordForm, ErrorKind> = read_form(body).await;
    let result = async {
        let input = input?;
        if input.password != input.password_confirmation {
            return Err(AppError::from(ErrorKind::invalid_field(
                "password_confirmation",
                "does not match the password",
            )));
        }
        let request = AcceptInvitationRequest {
            token: Some(token.clone()),
            password: input.password,
        };
        invitations::accept(&state.core, &request_meta(&parts), &request).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/login?welcome=1").into_response(),
        Err(e) => {
            let path = format!("/invite/{token}");
            fail(&state, parts, &path, BTreeMap::new(), e).await
        }
    }
}
