use hospitallink::domain::page::Page;
use hospitallink::domain::platform::hospital::{Hospital, HospitalInput};
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// One page of the hospital registry, filtered by a name or code prefix.
#[server(prefix = "/_fn", endpoint = "hospitals/list")]
pub async fn list_hospitals(q: String, page: u64) -> Result<Page<Hospital>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), None)
        .map_err(|e| crate::state::fail(e.into()))?;
    hospitallink::services::platform::hospitals::list(&core, &caller, Some(&q), page)
        .await
        .map_err(crate::state::fail)
}

/// Registers a hospital.
#[server(prefix = "/_fn", endpoint = "hospitals/create")]
pub async fn create_hospital(input: HospitalInput) -> Result<Hospital, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::platform::hospitals::create(&core, &caller, &input)
        .await
        .map_err(crate::state::fail)
}

/// Your hospital's settings (its admins): break-glass length, time zone, rule set.
#[server(prefix = "/_fn", endpoint = "hospitals/settings")]
pub async fn load_hospital_settings() -> Result<Hospital, ErrorKind> {
    let (core, caller) = crate::state::caller().await?;
    hospitallink::services::platform::hospitals::own_settings(&core, &caller)
        .await
        .map_err(crate::state::fail)
}
