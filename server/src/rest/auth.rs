//! `/api/v1/auth/*`: sign-in for staff (password, then the second factor) and patients
//! (one-time codes), token refresh, sign-out and the caller's identity.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::identity::auth::{
    LoginRequest, LoginResponse, Me, MfaConfirmRequest, MfaRequest, MfaSetupResponse, OtpRequest,
    OtpVerifyRequest, RecoveryCodesResponse, RefreshRequest, TokenResponse,
};
use hospitallink::domain::ErrorKind;
use hospitallink::services::identity::auth::{self, StaffLogin};
use hospitallink::services::identity::{mfa, otp, tokens};

use crate::error::ApiResult;
use crate::extract::{ApiJson, Meta, SignedIn};
use app::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/admin/login", post(admin_login))
        .route("/auth/mfa", post(mfa_complete))
        .route("/auth/mfa/setup", post(mfa_setup))
        .route("/auth/mfa/confirm", post(mfa_confirm))
        .route("/auth/patient/request-otp", post(request_otp))
        .route("/auth/patient/verify-otp", post(verify_otp))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

/// Staff sign-in with email and password.
#[utoipa::path(
    post, path = "/api/v1/auth/admin/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens, or `{mfa_required: true, mfa_token}` when the account has a second factor. An admin without one gets tokens that may only enrol.", body = LoginResponse),
        (status = 400, description = "Missing or malformed field", body = ErrorBody),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many attempts (see Retry-After)", body = ErrorBody),
    )
)]
pub async fn admin_login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let core = &state.core;
    Ok(Json(match auth::staff_login(core, &meta, &input).await? {
        StaffLogin::MfaRequired { mfa_token } => LoginResponse::MfaRequired {
            mfa_required: true,
            mfa_token,
        },
        StaffLogin::SignedIn(subject) => {
            LoginResponse::Tokens(tokens::issue(core, &subject).await?)
        }
    }))
}

/// Second step of a staff sign-in: a TOTP code or a recovery code.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa", tag = "auth",
    request_body = MfaRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Wrong or reused code (`fields.code`)", body = ErrorBody),
        (status = 401, description = "The mfa_token is invalid or expired", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    )
)]
pub async fn mfa_complete(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<MfaRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let subject = auth::complete_mfa(
        &state.core,
        &meta,
        input.mfa_token.as_deref(),
        input.code.as_deref(),
    )
    .await?;
    Ok(Json(tokens::issue(&state.core, &subject).await?))
}

/// Start TOTP enrolment for the signed-in staff member.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa/setup", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A new secret (SHA-1, 6 digits, 30 s)", body = MfaSetupResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Already enrolled (`mfa_already_enabled`)", body = ErrorBody),
    )
)]
pub async fn mfa_setup(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Json<MfaSetupResponse>> {
    Ok(Json(mfa::setup(&state.core, &caller).await?))
}

/// Confirm enrolment with a current code; returns the one-time recovery codes. Sign in again
/// afterwards to leave the enrolment-only session.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa/confirm", tag = "auth",
    security(("bearer" = [])),
    request_body = MfaConfirmRequest,
    responses(
        (status = 200, description = "Enabled; recovery codes shown once", body = RecoveryCodesResponse),
        (status = 400, description = "Malformed or wrong code", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "`mfa_setup_required`: no set-up started", body = ErrorBody),
    )
)]
pub async fn mfa_confirm(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    ApiJson(input): ApiJson<MfaConfirmRequest>,
) -> ApiResult<Json<RecoveryCodesResponse>> {
    Ok(Json(
        mfa::confirm(&state.core, &caller, input.code.as_deref()).await?,
    ))
}

/// Ask for a patient sign-in code by email or SMS. Always 202, whether or not the address is
/// known.
#[utoipa::path(
    post, path = "/api/v1/auth/patient/request-otp", tag = "auth",
    request_body = OtpRequest,
    responses(
        (status = 202, description = "If the address belongs to a patient, a code is on its way"),
        (status = 400, description = "Neither or both of email and phone, or malformed", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    )
)]
pub async fn request_otp(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<OtpRequest>,
) -> ApiResult<Response> {
    otp::request(&state.core, &meta, &input).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"status": "accepted", "message": "If this address is on file, a code is on its way."})),
    )
        .into_response())
}

/// Sign a patient in with the code.
#[utoipa::path(
    post, path = "/api/v1/auth/patient/verify-otp", tag = "auth",
    request_body = OtpVerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Malformed input", body = ErrorBody),
        (status = 401, description = "Wrong, used or expired code", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    )
)]
pub async fn verify_otp(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<OtpVerifyRequest>,
) -> ApiResult<Json<TokenResponse>> {
    Ok(Json(
        otp::verify_for_tokens(&state.core, &meta, &input).await?,
    ))
}

fn refresh_token_of(input: &RefreshRequest) -> Result<&str, ErrorKind> {
    input
        .refresh_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ErrorKind::invalid_field("refresh_token", "is required"))
}

/// Trade a refresh token for a new pair. A refresh token works once; presenting a used one
/// revokes every token of that sign-in.
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access and refresh token", body = TokenResponse),
        (status = 401, description = "Invalid, used, expired or revoked", body = ErrorBody),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let token = refresh_token_of(&input)?;
    Ok(Json(tokens::refresh(&state.core, &meta, token).await?))
}

/// Sign out: revokes the refresh token and its family.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "No refresh token given", body = ErrorBody),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    let token = refresh_token_of(&input)?;
    tokens::revoke(&state.core, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller.
#[utoipa::path(
    get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in staff member or patient", body = Me),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, SignedIn(caller): SignedIn) -> ApiResult<Json<Me>> {
    Ok(Json(auth::me(&state.core, &caller).await?))
}
