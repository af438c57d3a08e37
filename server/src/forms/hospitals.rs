//! The hospital registry's form (`/hospitals`) and a hospital's own settings
//! (`/admin/settings`).

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::platform::hospital::{HospitalInput, HospitalSettings};
use hospitallink::domain::ErrorKind;
use std::collections::BTreeMap;

use super::{fail, read_form, render_page, status_of};
use app::pages::hospitals::HospitalFormOutcome;
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/hospitals", post(create_hospital))
        .route("/admin/settings", post(update_settings))
}

/// `POST /admin/settings`: `break_glass_minutes`, `timezone`, `rule_set` of the caller's own
/// hospital.
async fn update_settings(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let values: BTreeMap<String, String> = read_form(body).await.unwrap_or_default();
    let text = |name: &str| {
        values
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let result = async {
        let minutes = match text("break_glass_minutes") {
            None => None,
            Some(m) => Some(m.parse::<i32>().map_err(|_| {
                ErrorKind::invalid_field("break_glass_minutes", "must be a whole number of minutes")
            })?),
        };
        let input = HospitalSettings {
            break_glass_minutes: minutes,
            timezone: text("timezone"),
            rule_set: text("rule_set"),
        };
        let caller = app::state::resolve_caller(&state.core, &parts).await?;
        let hospital = caller.actor.hospital_id().unwrap_or_default();
        hospitallink::services::platform::hospitals::update_settings(
            &state.core,
            &caller,
            hospital,
            &input,
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/settings?done=settings").into_response(),
        Err(e) => fail(&state, parts, "/admin/settings", values, e).await,
    }
}

/// `POST /hospitals`
async fn create_hospital(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let input = read_form::<HospitalInput>(body).await;
    let outcome = match input {
        Err(error) => HospitalFormOutcome {
            input: HospitalInput::default(),
            error: Some(error),
        },
        Ok(input) => {
            let result = async {
                let caller = app::state::resolve_caller(&state.core, &parts).await?;
                hospitallink::services::platform::hospitals::create(&state.core, &caller, &input)
                    .await
            }
            .await;
            match result {
                Ok(hospital) => {
                    // Codes are letters, digits and hyphens: safe in a query string as they are.
                    let target = format!("/hospitals?created={}", hospital.code);
                    return Redirect::to(&target).into_response();
                }
                Err(e) => HospitalFormOutcome {
                    input,
                    error: Some(e.into_kind()),
                },
            }
        }
    };
    let status = status_of(outcome.error.as_ref());
    render_page(&state, parts, "/hospitals", outcome, status).await
}
