//! Plain form posts of the integration clients page (`/admin/clients`): create, rotate,
//! disable, enable. The same service as the API; a new secret is shown on the page rendered
//! in answer, once.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::integration::{ApiClientSecret, ClientInput, ClientUpdate};
use hospitallink::services::integration::clients;
use hospitallink::AppError;
use std::collections::BTreeMap;

use super::patients::parse_id;
use super::{fail, read_form, render_page};
use app::pages::auth::FormOutcome;
use app::state::AppState;

const PAGE: &str = "/admin/clients";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/clients", post(create))
        .route("/admin/clients/{id}/rotate", post(rotate))
        .route("/admin/clients/{id}/disable", post(disable))
        .route("/admin/clients/{id}/enable", post(enable))
}

/// The page with the client's secret, shown this once.
async fn with_secret(
    state: &AppState,
    parts: axum::http::request::Parts,
    made: ApiClientSecret,
    status: StatusCode,
) -> Response {
    let outcome = FormOutcome {
        values: BTreeMap::from([
            ("client_id".to_string(), made.client_id.to_string()),
            ("client_secret".to_string(), made.client_secret),
        ]),
        ..Default::default()
    };
    render_page(state, parts, PAGE, outcome, status).await
}

/// `POST /admin/clients`: a client for the admin's hospital.
async fn create(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let pairs: Vec<(String, String)> = read_form(body).await.unwrap_or_default();
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.clone());
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "scopes")
        .map(|(_, v)| v.clone())
        .collect();
    let typed = BTreeMap::from([
        ("name".to_string(), name.clone().unwrap_or_default()),
        ("scopes".to_string(), scopes.join(",")),
    ]);
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let hospital = caller.actor.hospital_id().unwrap_or_default();
        let input = ClientInput {
            name,
            scopes: Some(scopes),
        };
        clients::create(&state.core, &caller, hospital, &input).await
    }
    .await;
    match result {
        Ok(made) => with_secret(&state, parts, made, StatusCode::CREATED).await,
        Err(e) => fail(&state, parts, PAGE, typed, e).await,
    }
}

/// `POST /admin/clients/{id}/rotate`: a new secret, shown once.
async fn rotate(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let id = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let hospital = caller.actor.hospital_id().unwrap_or_default();
        clients::rotate(&state.core, &caller, hospital, id).await
    }
    .await;
    match result {
        Ok(made) => with_secret(&state, parts, made, StatusCode::OK).await,
        Err(e) => fail(&state, parts, PAGE, BTreeMap::new(), e).await,
    }
}

async fn set_disabled(state: AppState, id: String, req: Request, disabled: bool) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let id = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let hospital = caller.actor.hospital_id().unwrap_or_default();
        let input = ClientUpdate {
            disabled: Some(disabled),
        };
        clients::update(&state.core, &caller, hospital, id, &input).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(PAGE).into_response(),
        Err(e) => fail(&state, parts, PAGE, BTreeMap::new(), e).await,
    }
}

/// `POST /admin/clients/{id}/disable`: its tokens stop at once.
async fn disable(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    set_disabled(state, id, req, true).await
}

/// `POST /admin/clients/{id}/enable`.
async fn enable(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    set_disabled(state, id, req, false).await
}
