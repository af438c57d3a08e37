//! Plain form posts of the worklists: a tracing outcome recorded from a row. The same service
//! as the REST API; the answer is a redirect back to the list, or the list re-rendered with the
//! error and what was typed.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::cds::worklist::{TracingInput, Worklist};
use hospitallink::domain::ErrorKind;
use hospitallink::services::cds::worklists;
use std::collections::BTreeMap;

use super::{fail, read_form};
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/patients/{id}/tracing-outcomes", post(record_tracing))
}

/// `POST /patients/{id}/tracing-outcomes`: back to the worklist it was recorded from.
async fn record_tracing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let one = |k: &str| values.get(k).cloned();
    let list = one("worklist")
        .as_deref()
        .and_then(Worklist::parse)
        .unwrap_or(Worklist::Iit);
    let back = format!("/worklists?list={}", list.as_str());
    let input = TracingInput {
        worklist: Some(list.as_str().into()),
        outcome: one("outcome"),
        outcome_date: one("outcome_date"),
        contact_method: one("contact_method"),
        note: one("note"),
    };
    let result = async {
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| hospitallink::AppError::from(ErrorKind::not_found("patient")))?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        worklists::record_outcome(&state.core, &caller, id, &input).await
    }
    .await;
    match result {
        Ok(r) => {
            Redirect::to(&format!("{back}&done=recorded#patient-{}", r.patient_id)).into_response()
        }
        Err(e) => {
            let mut kept = values;
            kept.insert("patient_id".into(), id);
            fail(&state, parts, &back, kept, e).await
        }
    }
}
