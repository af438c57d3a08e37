//! Notifications: the admins' message list and the hospital's message wording.

use hospitallink::domain::notifications::templates::TemplateView;
use hospitallink::domain::page::Page;
use hospitallink::domain::platform::outbox::Delivery;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// Your hospital's messages (platform admins: all), newest first, `status` blank for all:
/// delivery only, never the text.
#[server(prefix = "/_fn", endpoint = "notifications/messages")]
pub async fn load_deliveries(status: String, page: u64) -> Result<Page<Delivery>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), Some("50"))?;
    hospitallink::services::platform::outbox::deliveries(&core, &caller, Some(&status), page)
        .await
        .map_err(crate::state::fail)
}

/// Every wording of your hospital's messages, with previews.
#[server(prefix = "/_fn", endpoint = "notifications/templates")]
pub async fn load_templates() -> Result<Vec<TemplateView>, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    let hospital = caller.actor.hospital_id().unwrap_or_default();
    hospitallink::services::notifications::templates::list(&core, &caller, hospital)
        .await
        .map_err(crate::state::fail)
}
