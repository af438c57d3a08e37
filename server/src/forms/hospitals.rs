//! The hospital registry's form (`/hospitals`).

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use hospitallink::domain::platform::hospital::HospitalInput;

use super::{read_form, render_page, status_of};
use app::pages::hospitals::HospitalFormOutcome;
use app::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/hospitals", post(create_hospital))
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
