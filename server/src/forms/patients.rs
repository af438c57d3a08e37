//! Plain form posts of the patient pages: registration, linking, quick entry on the chart.
//! Each calls the same service as the API and either redirects (303) or re-renders the page
//! with the errors and what was typed.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::clinical::patient::{LinkRequest, PatientInput};
use hospitallink::domain::clinical::record::record_from_form;
use hospitallink::domain::ErrorKind;
use hospitallink::services::clinical::{patients, records};
use hospitallink::AppError;
use std::collections::BTreeMap;

use super::{fail, read_form};
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/new", post(register))
        .route("/patients/{id}/link", post(link))
        .route("/patients/{id}/records", post(add_record))
}

pub(super) fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| ErrorKind::not_found("patient").into())
}

/// `POST /patients/new`
async fn register(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let result = async {
        let input: PatientInput = serde_json::to_value(&values)
            .and_then(serde_json::from_value)
            .map_err(|e| {
                ErrorKind::bad_request("invalid_form", format!("The form could not be read: {e}"))
            })?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        patients::register(&state.core, &caller, &input).await
    }
    .await;
    match result {
        Ok(p) => Redirect::to(&format!("/patients/{}?registered=1", p.id)).into_response(),
        Err(e) => fail(&state, parts, "/patients/new", values, e).await,
    }
}

/// `POST /patients/{id}/link`: links a patient found by a `patient_exists` answer.
async fn link(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let result = async {
        let id = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let request = LinkRequest {
            national_id: values.get("national_id").cloned(),
            mrn: values.get("mrn").cloned(),
        };
        patients::link(&state.core, &caller, id, &request).await
    }
    .await;
    match result {
        Ok(p) => Redirect::to(&format!("/patients/{}", p.id)).into_response(),
        Err(e) => fail(&state, parts, "/patients/new", values, e).await,
    }
}

/// `POST /patients/{id}/records`: a quick-entry form of the chart.
async fn add_record(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let chart = format!(
        "/patients/{}",
        uuid::Uuid::parse_str(&id)
            .map(|u| u.to_string())
            .unwrap_or_default()
    );
    let result = async {
        let id = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        records::create(&state.core, &caller, id, &record_from_form(&values)).await
    }
    .await;
    match result {
        Ok(r) => Redirect::to(&format!(
            "/patients/{}?added={}#records",
            r.patient_id,
            r.record_type.as_str()
        ))
        .into_response(),
        Err(e) => fail(&state, parts, &chart, values, e).await,
    }
}
