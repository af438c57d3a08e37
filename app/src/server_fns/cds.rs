//! Decision support: the worklists page.

use hospitallink::domain::cds::worklist::WorklistPage;
use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// A page of one of your hospital's worklists (`list`: `vl_due`, `unsuppressed`, `iit`,
/// `ahd`; blank for `vl_due`), with every list's count.
#[server(prefix = "/_fn", endpoint = "worklists/list")]
pub async fn load_worklist(list: String, page: u64) -> Result<WorklistPage, ErrorKind> {
    use hospitallink::domain::cds::worklist::Worklist;
    use hospitallink::domain::page::PageRequest;
    let (core, caller) = crate::state::caller().await?;
    let list = match list.trim() {
        "" => Worklist::VlDue,
        other => Worklist::parse(other)
            .ok_or_else(|| crate::state::fail(ErrorKind::not_found("worklist").into()))?,
    };
    let page = PageRequest::parse(Some(&page.to_string()), Some("50"))?;
    hospitallink::services::cds::worklists::list(&core, &caller, list, page)
        .await
        .map_err(crate::state::fail)
}
