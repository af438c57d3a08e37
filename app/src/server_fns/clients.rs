//! Integration clients: the hospital admin's list.

use hospitallink::domain::integration::ApiClient;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// Your hospital's integration clients, newest first, with their last use.
#[server(prefix = "/_fn", endpoint = "clients/list")]
pub async fn api_clients() -> Result<Vec<ApiClient>, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::integration::clients::list_own(&core, &caller)
        .await
        .map_err(crate::state::fail)
}
