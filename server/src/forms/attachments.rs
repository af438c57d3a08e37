//! The chart's upload form (`/patients/{id}/attachments`, multipart): the same reader and
//! service as the API's upload.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::services::clinical::attachments;
use std::collections::BTreeMap;

use super::fail;
use super::patients::parse_id;
use crate::upload::read_upload;
use app::pages::patients::UPLOAD_FORM;
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/patients/{id}/attachments", post(attach))
}

/// `POST /patients/{id}/attachments`: the chart's upload form (multipart).
async fn attach(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let chart = format!(
        "/patients/{}",
        uuid::Uuid::parse_str(&id)
            .map(|u| u.to_string())
            .unwrap_or_default()
    );
    let mut values = BTreeMap::from([("form".to_string(), UPLOAD_FORM.to_string())]);
    let result = async {
        let id = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        attachments::may_upload(&state.core, &caller, id).await?;
        let input =
            read_upload(&parts.headers, body, state.core.config.attachment_max_bytes).await?;
        for (key, value) in [("kind", &input.kind), ("description", &input.description)] {
            if let Some(v) = value {
                values.insert(key.to_string(), v.clone());
            }
        }
        attachments::upload(&state.core, &caller, id, input).await
    }
    .await;
    match result {
        Ok(a) => Redirect::to(&format!("/patients/{}?attached=1#documents", a.patient_id))
            .into_response(),
        Err(e) => fail(&state, parts, &chart, values, e).await,
    }
}
