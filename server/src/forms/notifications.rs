//! Plain form posts of the admins' notification pages: send a dead letter again; preview or
//! keep the hospital's wording of a message.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::notifications::templates::TemplateInput;
use hospitallink::domain::ErrorKind;
use hospitallink::services::notifications::templates;
use hospitallink::services::platform::outbox;
use std::collections::BTreeMap;

use super::{fail, read_form, render_page};
use app::pages::auth::FormOutcome;
use app::pages::notifications::TEMPLATE_FORM;
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/messages/{id}/retry", post(retry))
        .route("/admin/templates", post(template))
}

/// `POST /admin/messages/{id}/retry`.
async fn retry(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let back = match values.get("back") {
        Some(b) if b.starts_with("/admin/messages") && !b.contains("//") => b.clone(),
        _ => "/admin/messages".to_string(),
    };
    let result = async {
        let id = uuid::Uuid::parse_str(&id)
            .map_err(|_| hospitallink::AppError::from(ErrorKind::not_found("message")))?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        outbox::retry(&state.core, &caller, id).await
    }
    .await;
    match result {
        Ok(()) => {
            let joiner = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{joiner}done=retry")).into_response()
        }
        Err(e) => fail(&state, parts, &back, BTreeMap::new(), e).await,
    }
}

/// `POST /admin/templates`: `action=preview` shows the typed wording with sample values (the
/// page re-rendered with it, nothing kept); `action=save` keeps it.
async fn template(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let kept: BTreeMap<String, String> = values
        .iter()
        .filter(|(k, _)| TEMPLATE_FORM.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let one = |k: &str| values.get(k).cloned();
    let input = TemplateInput {
        kind: one("kind"),
        language: one("language"),
        channel: one("channel"),
        subject: one("subject"),
        body: one("body"),
    };
    let page = format!(
        "/admin/templates?kind={}&language={}&channel={}",
        input.kind.as_deref().unwrap_or_default(),
        input.language.as_deref().unwrap_or_default(),
        input.channel.as_deref().unwrap_or_default(),
    );
    let page: String = page
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "/?&=_".contains(*c))
        .collect();
    let caller = match app::state::resolve_caller(&state.core, &parts).await {
        Ok(c) => c,
        Err(e) => return fail(&state, parts, &page, kept, e).await,
    };
    let hospital = caller.actor.hospital_id().unwrap_or_default();
    if values.get("action").map(String::as_str) == Some("preview") {
        return match templates::preview(&state.core, &caller, hospital, &input).await {
            // The page previews what was typed; its checks show there too.
            Ok(_) => {
                let outcome = FormOutcome {
                    values: kept,
                    ..Default::default()
                };
                render_page(&state, parts, &page, outcome, axum::http::StatusCode::OK).await
            }
            Err(e) => fail(&state, parts, &page, kept, e).await,
        };
    }
    match templates::set(&state.core, &caller, hospital, &input).await {
        Ok(_) => Redirect::to(&format!("{page}&done=saved#editor")).into_response(),
        Err(e) => fail(&state, parts, &page, kept, e).await,
    }
}
