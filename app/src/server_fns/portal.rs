//! The patient portal: the signed-in patient's own home, records, sharing, access log and
//! profile. Each calls the portal's service, which decides and audits.

use hospitallink::domain::page::Page;
use hospitallink::domain::portal::{MyProfile, MyRecords, MySharing, PortalHome};
use hospitallink::domain::sharing::access::AccessLogEntry;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// The home page's news.
#[server(prefix = "/_fn", endpoint = "portal/home")]
pub async fn portal_home_news() -> Result<PortalHome, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::portal::mine::home(&core, &caller)
        .await
        .map_err(crate::state::fail)
}

/// Every record, by category and hospital, with the lab series.
#[server(prefix = "/_fn", endpoint = "portal/records")]
pub async fn my_records_page() -> Result<MyRecords, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::portal::mine::records(&core, &caller)
        .await
        .map_err(crate::state::fail)
}

/// The sharing page.
#[server(prefix = "/_fn", endpoint = "portal/sharing")]
pub async fn my_sharing_page() -> Result<MySharing, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::portal::mine::sharing(&core, &caller)
        .await
        .map_err(crate::state::fail)
}

/// A page of who looked at the record.
#[server(prefix = "/_fn", endpoint = "portal/access")]
pub async fn my_access_log(page: u64) -> Result<Page<AccessLogEntry>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), Some("25"))?;
    hospitallink::services::sharing::access_log::list(&core, &caller, page)
        .await
        .map_err(crate::state::fail)
}

/// The profile and preferences.
#[server(prefix = "/_fn", endpoint = "portal/me")]
pub async fn my_profile_page() -> Result<MyProfile, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::portal::preferences::me(&core, &caller)
        .await
        .map_err(crate::state::fail)
}

/// The proxies of the record open and the people the signed-in person acts for.
#[server(prefix = "/_fn", endpoint = "portal/proxies")]
pub async fn my_proxies_page() -> Result<hospitallink::domain::proxies::MyProxies, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::proxies::relationships::list(&core, &caller)
        .await
        .map_err(crate::state::fail)
}

/// What the portal's frame shows of the sign-in: whose record is open, which sections apply.
#[server(prefix = "/_fn", endpoint = "portal/who")]
pub async fn portal_who() -> Result<hospitallink::domain::proxies::PortalWho, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    let parts = use_context::<http::request::Parts>();
    let name = match parts {
        Some(parts) => crate::state::acting_name(&core, &parts).await,
        None => None,
    };
    hospitallink::services::proxies::relationships::who(&core, &caller, name)
        .await
        .map_err(crate::state::fail)
}
