//! Plain form posts of the chart's sharing panel and the break-glass review queue: the same
//! services as the API's sharing routes, answered with a redirect or with the page and the
//! error.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::proxies::GuardianInput;
use hospitallink::domain::sharing::break_glass::{BreakGlassRequest, ReviewRequest};
use hospitallink::domain::sharing::grant::{ConfirmInput, ConsentRequestInput, GrantInput};
use hospitallink::services::proxies::guardians;
use hospitallink::services::sharing::{break_glass, consent_requests, grants};
use std::collections::BTreeMap;

use super::patients::parse_id;
use super::{fail, read_form};
use app::pages::patients::{BREAK_GLASS_FORM, CODE_FORM, GUARDIAN_FORM, SHARING_FORM, SIGNED_FORM};
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/patients/{id}/consent-requests", post(ask))
        .route(
            "/patients/{id}/consent-requests/{rid}/confirm",
            post(confirm),
        )
        .route("/patients/{id}/consent", post(record))
        .route("/patients/{id}/grants/{gid}/revoke", post(revoke))
        .route("/patients/{id}/break-glass", post(open_break_glass))
        .route("/admin/break-glass/{bid}", post(review))
        .route("/patients/{id}/guardians", post(add_guardian))
        .route("/patients/{id}/guardians/{gid}/end", post(end_guardian))
}

/// `POST /patients/{id}/guardians`: a guardian for a minor, with the signed form.
async fn add_guardian(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let form = posted(body).await;
    let result = async {
        let patient = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = GuardianInput {
            name: form.one("name"),
            relationship: form.one("relationship"),
            email: form.one("email"),
            phone: form.one("phone"),
            // An unreadable id is as good as none chosen.
            consent_form_id: form
                .one("consent_form_id")
                .and_then(|f| uuid::Uuid::parse_str(f.trim()).ok()),
        };
        guardians::add(&state.core, &caller, patient, &input).await
    }
    .await;
    match result {
        Ok(_) => {
            Redirect::to(&format!("{}?guardian=added#guardians", chart_of(&id))).into_response()
        }
        Err(e) => fail(&state, parts, &chart_of(&id), form.values(GUARDIAN_FORM), e).await,
    }
}

/// `POST /patients/{id}/guardians/{gid}/end`: ends a guardian's or proxy's access.
async fn end_guardian(
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let patient = parse_id(&id)?;
        let relationship = parse_id(&gid)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        guardians::end(&state.core, &caller, patient, relationship).await
    }
    .await;
    match result {
        Ok(()) => {
            Redirect::to(&format!("{}?guardian=ended#guardians", chart_of(&id))).into_response()
        }
        Err(e) => {
            let values = BTreeMap::from([("form".to_string(), GUARDIAN_FORM.to_string())]);
            fail(&state, parts, &chart_of(&id), values, e).await
        }
    }
}

/// The posted fields: every value of a repeated one (the categories) kept.
struct Posted(Vec<(String, String)>);

impl Posted {
    fn one(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// What was typed, for the page shown again (repeated fields joined), marked with `form`.
    fn values(&self, form: &str) -> BTreeMap<String, String> {
        let mut values = BTreeMap::from([("form".to_string(), form.to_string())]);
        for (k, v) in &self.0 {
            values
                .entry(k.clone())
                .and_modify(|old: &mut String| {
                    old.push(',');
                    old.push_str(v);
                })
                .or_insert_with(|| v.clone());
        }
        values
    }
}

async fn posted(body: axum::body::Body) -> Posted {
    Posted(read_form(body).await.unwrap_or_default())
}

/// The chart's path for a raw id (empty when it is not one).
fn chart_of(id: &str) -> String {
    format!(
        "/patients/{}",
        uuid::Uuid::parse_str(id)
            .map(|u| u.to_string())
            .unwrap_or_default()
    )
}

/// `POST /patients/{id}/consent-requests`: send the patient a code.
async fn ask(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = posted(body).await;
    let result = async {
        let patient = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = ConsentRequestInput {
            categories: Some(form.all("categories")),
            purpose: form.one("purpose"),
            expires_at: form.one("expires_at"),
        };
        consent_requests::request(&state.core, &caller, patient, &input).await
    }
    .await;
    match result {
        Ok(r) => Redirect::to(&format!(
            "/patients/{}?consent_request={}&sent_by={}#sharing",
            r.patient_id, r.id, r.sent_by
        ))
        .into_response(),
        Err(e) => fail(&state, parts, &chart_of(&id), form.values(SHARING_FORM), e).await,
    }
}

/// `POST /patients/{id}/consent-requests/{rid}/confirm`: the code the patient read out.
async fn confirm(
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let form = posted(body).await;
    let result = async {
        let patient = parse_id(&id)?;
        let request = parse_id(&rid)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = ConfirmInput {
            code: form.one("code"),
        };
        consent_requests::confirm(&state.core, &caller, patient, request, &input).await
    }
    .await;
    match result {
        Ok(g) => {
            Redirect::to(&format!("/patients/{}?shared=1#sharing", g.patient_id)).into_response()
        }
        Err(e) => {
            // Shown again with the code form (never the code typed).
            let page = format!(
                "{}?consent_request={}",
                chart_of(&id),
                uuid::Uuid::parse_str(&rid)
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            );
            let values = BTreeMap::from([("form".to_string(), CODE_FORM.to_string())]);
            fail(&state, parts, &page, values, e).await
        }
    }
}

/// `POST /patients/{id}/consent`: a grant to this hospital with the patient's signed form.
async fn record(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = posted(body).await;
    let result = async {
        let patient = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = GrantInput {
            hospital_id: caller.actor.hospital_id(),
            categories: Some(form.all("categories")),
            purpose: form.one("purpose"),
            starts_at: None,
            expires_at: form.one("expires_at"),
            consent_form_id: form
                .one("consent_form_id")
                .and_then(|v| uuid::Uuid::parse_str(&v).ok()),
        };
        grants::record(&state.core, &caller, patient, &input).await
    }
    .await;
    match result {
        Ok(g) => {
            Redirect::to(&format!("/patients/{}?shared=1#sharing", g.patient_id)).into_response()
        }
        Err(e) => fail(&state, parts, &chart_of(&id), form.values(SIGNED_FORM), e).await,
    }
}

/// `POST /patients/{id}/grants/{gid}/revoke`: on the patient's instruction.
async fn revoke(
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let grant = parse_id(&gid)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        grants::revoke(&state.core, &caller, grant).await
    }
    .await;
    match result {
        Ok(g) => {
            Redirect::to(&format!("/patients/{}?revoked=1#sharing", g.patient_id)).into_response()
        }
        Err(e) => {
            let values = BTreeMap::from([("form".to_string(), SHARING_FORM.to_string())]);
            fail(&state, parts, &chart_of(&id), values, e).await
        }
    }
}

/// `POST /patients/{id}/break-glass`: emergency access with a reason.
async fn open_break_glass(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let form = posted(body).await;
    let result = async {
        let patient = parse_id(&id)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = BreakGlassRequest {
            reason: form.one("reason"),
        };
        break_glass::open(&state.core, &caller, patient, &input).await
    }
    .await;
    match result {
        Ok(b) => Redirect::to(&format!("/patients/{}", b.patient_id)).into_response(),
        Err(e) => {
            fail(
                &state,
                parts,
                &chart_of(&id),
                form.values(BREAK_GLASS_FORM),
                e,
            )
            .await
        }
    }
}

/// `POST /admin/break-glass/{bid}`: the hospital admin's review.
async fn review(State(state): State<AppState>, Path(bid): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = posted(body).await;
    let result = async {
        let id = parse_id(&bid)?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let input = ReviewRequest {
            outcome: form.one("outcome"),
            note: form.one("note"),
        };
        break_glass::review(&state.core, &caller, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/break-glass?reviewed=1").into_response(),
        Err(e) => fail(&state, parts, "/admin/break-glass", form.values(&bid), e).await,
    }
}
