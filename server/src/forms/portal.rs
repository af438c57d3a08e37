//! Plain form posts of the patient portal: the language, the preferences, sharing and
//! revoking. The same services as the API's `/me` and `/sharing` routes, answered with a
//! redirect or with the page and the error.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::portal::{Language, PreferencesInput};
use hospitallink::domain::proxies::ProxyInput;
use hospitallink::domain::sharing::grant::PatientGrantInput;
use hospitallink::domain::ErrorKind;
use hospitallink::policy::{Actor, Caller};
use hospitallink::services::identity::access::SessionAuth;
use hospitallink::services::portal::preferences;
use hospitallink::services::proxies::relationships;
use hospitallink::services::sharing::grants;
use hospitallink::AppError;
use std::collections::BTreeMap;

use super::{fail, read_form};
use app::pages::portal::LANGUAGE_COOKIE;
use app::state::{request_meta, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/language", post(language))
        .route("/portal/settings", post(settings))
        .route("/portal/sharing", post(share))
        .route("/portal/sharing/{id}/revoke", post(revoke))
        .route("/portal/proxies", post(add_proxy))
        .route("/portal/proxies/{id}/accept", post(accept_proxy))
        .route("/portal/proxies/{id}/end", post(end_proxy))
        .route("/portal/act", post(act))
}

/// The `Set-Cookie` value that remembers `language` on this browser for a year (`None`:
/// forget it, so the browser's language is used). Only the server reads it.
pub fn language_cookie(language: Option<Language>) -> HeaderValue {
    let value = match language {
        Some(l) => format!(
            "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            l.as_str()
        ),
        None => format!("{LANGUAGE_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn with_cookie(mut response: Response, language: Option<Language>) -> Response {
    response
        .headers_mut()
        .append(header::SET_COOKIE, language_cookie(language));
    response
}

/// A portal page to go back to: a path of the portal, never another site.
fn back_to(raw: Option<&String>) -> String {
    match raw {
        Some(p) if p.starts_with("/portal") && !p.contains("//") && !p.contains('\\') => p.clone(),
        _ => "/portal".to_string(),
    }
}

/// `POST /portal/language`: remembers the language on this browser and, for a signed-in
/// patient, in their preferences; then back to the page.
async fn language(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let back = back_to(form.get("back"));
    let raw = form.get("language").map(|l| l.trim()).unwrap_or_default();
    let Some(chosen) = Language::parse(raw).filter(|l| l.as_str() == raw) else {
        return Redirect::to(&back).into_response();
    };
    if let Ok(caller) = app::state::resolve_caller(&state.core, &parts).await {
        if matches!(caller.actor, Actor::Patient { .. }) {
            let change = PreferencesInput {
                language: Some(chosen.as_str().to_string()),
                ..Default::default()
            };
            if let Err(e) = preferences::update(&state.core, &caller, &change).await {
                tracing::warn!(error = %e, "language preference not stored");
            }
        }
    }
    with_cookie(Redirect::to(&back).into_response(), Some(chosen))
}

/// `POST /portal/settings`: the preferences.
async fn settings(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let input = PreferencesInput {
        reminder_channel: form.get("reminder_channel").cloned(),
        quiet_from: Some(form.get("quiet_from").cloned().unwrap_or_default()),
        quiet_until: Some(form.get("quiet_until").cloned().unwrap_or_default()),
        language: Some(form.get("language").cloned().unwrap_or_default()),
    };
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        preferences::update(&state.core, &caller, &input).await
    }
    .await;
    match result {
        Ok(me) => with_cookie(
            Redirect::to("/portal/settings?saved=1").into_response(),
            me.preferences.language,
        ),
        Err(e) => fail(&state, parts, "/portal/settings", form, e).await,
    }
}

/// The grant form: every ticked category kept.
fn grant_input(pairs: &[(String, String)]) -> PatientGrantInput {
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let categories: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "categories")
        .map(|(_, v)| v.clone())
        .collect();
    PatientGrantInput {
        // An unreadable hospital is as good as none chosen.
        hospital_id: one("hospital_id").and_then(|h| uuid::Uuid::parse_str(&h).ok()),
        categories: Some(categories),
        purpose: one("purpose"),
        expires_at: one("expires_at"),
    }
}

/// What was typed, for the page shown again (ticked categories joined by commas).
fn typed(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for (k, v) in pairs {
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

/// `POST /portal/sharing`: shares categories with a hospital until a date (or until revoked).
async fn share(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let pairs: Vec<(String, String)> = read_form(body).await.unwrap_or_default();
    let input = grant_input(&pairs);
    let result = async {
        let caller: Caller = app::state::resolve_caller(&state.core, &parts).await?;
        grants::grant_by_patient(&state.core, &caller, &input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/sharing?done=shared").into_response(),
        Err(e) => fail(&state, parts, "/portal/sharing", typed(&pairs), e).await,
    }
}

/// `POST /portal/sharing/{id}/revoke`: stops a grant.
async fn revoke(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let id = uuid::Uuid::parse_str(&id)
            .map_err(|_| AppError::from(ErrorKind::not_found("grant")))?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        grants::revoke_by_patient(&state.core, &caller, id).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/sharing?done=stopped").into_response(),
        Err(e) => fail(&state, parts, "/portal/sharing", BTreeMap::new(), e).await,
    }
}

/// `POST /portal/proxies`: lets someone act for the record open.
async fn add_proxy(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let one = |name: &str| form.get(name).cloned();
    let input = ProxyInput {
        name: one("name"),
        relationship: one("relationship"),
        email: one("email"),
        phone: one("phone"),
        access: one("access"),
    };
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        relationships::add(&state.core, &caller, &input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/proxies?done=added").into_response(),
        Err(e) => fail(&state, parts, "/portal/proxies", form, e).await,
    }
}

fn proxy_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::from(ErrorKind::not_found("proxy")))
}

/// `POST /portal/proxies/{id}/accept`: accepts to act for someone.
async fn accept_proxy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        relationships::accept(&state.core, &caller, proxy_id(&id)?).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal/proxies?done=accepted").into_response(),
        Err(e) => fail(&state, parts, "/portal/proxies", BTreeMap::new(), e).await,
    }
}

/// `POST /portal/proxies/{id}/end`: ends a proxy, from either side.
async fn end_proxy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let result = async {
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        relationships::end(&state.core, &caller, proxy_id(&id)?).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/portal/proxies?done=ended").into_response(),
        Err(e) => fail(&state, parts, "/portal/proxies", BTreeMap::new(), e).await,
    }
}

/// `POST /portal/act`: opens the record of someone the signed-in person acts for (or, blank,
/// their own): this browser's session acts on it from now on.
async fn act(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let result = async {
        let chosen = match form.get("patient_id").map(|v| v.trim()) {
            None | Some("") => None,
            Some(raw) => Some(
                uuid::Uuid::parse_str(raw)
                    .map_err(|_| AppError::from(ErrorKind::not_found("patient")))?,
            ),
        };
        let session = app::state::session(&parts)
            .ok_or_else(|| AppError::from(ErrorKind::unauthenticated()))?;
        let auth: Option<SessionAuth> = session
            .get(app::state::AUTH_KEY)
            .await
            .map_err(AppError::internal)?;
        let auth = auth.ok_or_else(|| AppError::from(ErrorKind::unauthenticated()))?;
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let (subject, name) =
            relationships::choose(&state.core, &caller, auth.subject, chosen).await?;
        session
            .insert(app::state::AUTH_KEY, SessionAuth { subject, ..auth })
            .await
            .map_err(AppError::internal)?;
        app::state::keep_acting_name(&state.core, &session, name.as_deref()).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/portal").into_response(),
        Err(e) => fail(&state, parts, "/portal/proxies", BTreeMap::new(), e).await,
    }
}

/// The stored language of a patient who just signed in, to set on their browser.
pub(super) async fn stored_language(
    state: &AppState,
    parts: &axum::http::request::Parts,
    patient_id: uuid::Uuid,
) -> Option<Language> {
    let caller = Caller::new(Actor::Patient { id: patient_id }, request_meta(parts));
    preferences::language(&state.core, &caller)
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_chosen_on_this_browser_comes_before_the_browsers_own() {
        let parts = |headers: &[(&str, &str)]| {
            let mut r = axum::http::Request::builder();
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.body(()).unwrap().into_parts().0
        };
        let languages = app::pages::portal::requested_languages;
        assert_eq!(
            languages(&parts(&[
                ("cookie", "session=abc; i18n_pref_locale=sw"),
                ("accept-language", "fr-FR,fr;q=0.9")
            ])),
            "sw, fr-FR,fr;q=0.9"
        );
        assert_eq!(
            languages(&parts(&[("cookie", "i18n_pref_locale=pt")])),
            "pt"
        );
        // An unknown or forged value is ignored.
        assert_eq!(
            languages(&parts(&[
                ("cookie", "i18n_pref_locale=de"),
                ("accept-language", "en")
            ])),
            "en"
        );
        assert_eq!(languages(&parts(&[])), "");
    }

    #[test]
    fn going_back_stays_in_the_portal() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(back_to(s("/portal/records").as_ref()), "/portal/records");
        assert_eq!(
            back_to(s("https://evil.example/portal").as_ref()),
            "/portal"
        );
        assert_eq!(back_to(s("/portal//evil.example").as_ref()), "/portal");
        assert_eq!(back_to(s("/patients").as_ref()), "/portal");
        assert_eq!(back_to(None), "/portal");
    }

    #[test]
    fn the_grant_form_keeps_every_ticked_category() {
        let pairs: Vec<(String, String)> = [
            ("hospital_id", "not-a-uuid"),
            ("categories", "labs"),
            ("categories", "art"),
            ("purpose", "treatment"),
            ("expires_at", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let input = grant_input(&pairs);
        assert_eq!(input.hospital_id, None);
        assert_eq!(input.categories, Some(vec!["labs".into(), "art".into()]));
        assert_eq!(input.expires_at, None, "blank: until revoked");
        assert_eq!(typed(&pairs)["categories"], "labs,art");
    }
}
