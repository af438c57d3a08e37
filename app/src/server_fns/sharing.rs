//! Sharing: the hospital admin's break-glass review queue.

use hospitallink::domain::page::Page;
use hospitallink::domain::sharing::break_glass::BreakGlass;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// Your hospital's break-glass openings, newest first: waiting for review, or all.
#[server(prefix = "/_fn", endpoint = "sharing/break-glass")]
pub async fn break_glass_queue(all: bool, page: u64) -> Result<Page<BreakGlass>, ErrorKind> {
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let page = PageRequest::parse(Some(&page.to_string()), None)?;
    hospitallink::services::sharing::break_glass::queue(&core, &caller, !all, page)
        .await
        .map_err(crate::state::fail)
}
