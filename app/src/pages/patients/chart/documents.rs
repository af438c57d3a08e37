//! The chart's consent forms and scans: the list with download links and the upload form (a
//! multipart POST the server answers with a redirect, or with the chart and the errors).

use hospitallink::domain::clinical::attachment::{format_size, Attachment, AttachmentKind};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::super::{BUTTON, INPUT};
use crate::pages::auth::FormOutcome;

/// The `form` value that marks an upload's outcome (so quick entry does not show its errors).
pub const UPLOAD_FORM: &str = "attachment";

#[component]
pub(super) fn Documents(
    id: uuid::Uuid,
    attachments: Option<Vec<Attachment>>,
    attachable: Vec<AttachmentKind>,
    outcome: FormOutcome,
) -> impl IntoView {
    if attachments.is_none() && attachable.is_empty() {
        return ().into_any();
    }
    let ours = outcome.values.get("form").map(String::as_str) == Some(UPLOAD_FORM);
    let error = outcome.error.clone().filter(|_| ours);
    let field_error = move |name: &str| {
        error
            .as_ref()
            .map(|e| e.field(name).join("; "))
            .filter(|m| !m.is_empty())
    };
    let general = outcome
        .error
        .clone()
        .filter(|e| ours && e.fields().is_empty())
        .map(|e| e.message());
    let typed_kind = outcome.values.get("kind").cloned().filter(|_| ours);
    let typed_description = outcome
        .values
        .get("description")
        .cloned()
        .filter(|_| ours)
        .unwrap_or_default();
    let attached = use_query_map().read_untracked().get("attached").is_some();
    let (kind_error, file_error, description_error) = (
        field_error("kind"),
        field_error("file"),
        field_error("description"),
    );
    let rows = attachments.map(|list| {
        if list.is_empty() {
            return view! { <p class="mt-2 text-slate-600" id="document-rows">"No documents yet."</p> }.into_any();
        }
        view! {
            <ul class="mt-2 divide-y divide-slate-100" id="document-rows">
                {list.into_iter().map(|a| view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                        <div>
                            <a class="focus-ring inline-flex min-h-11 items-center font-medium text-teal-800 underline" href=a.download_url.clone() download=a.filename.clone()>{a.filename.clone()}</a>
                            <p class="text-sm text-slate-600">{format!("{} · {} · {}", a.kind.label(), format_size(a.size_bytes), a.created_at.date_naive())}</p>
                            {a.description.clone().map(|d| view! { <p class="text-sm">{d}</p> })}
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        }.into_any()
    });
    let form = (!attachable.is_empty()).then(|| {
        let invalid = |e: &Option<String>| e.is_some().to_string();
        view! {
            <form method="post" action=format!("/patients/{id}/attachments") enctype="multipart/form-data" class="mt-4 grid gap-3 sm:grid-cols-2" id="upload-form">
                <div>
                    <label for="attachment-kind" class="block text-sm font-medium text-slate-700">"Kind"</label>
                    <select id="attachment-kind" name="kind" class=INPUT aria-invalid=invalid(&kind_error) aria-describedby="attachment-kind-error">
                        {attachable.iter().map(|k| view! { <option value=k.as_str() selected=typed_kind.as_deref() == Some(k.as_str())>{k.label()}</option> }).collect_view()}
                    </select>
                    {kind_error.clone().map(|m| view! { <p id="attachment-kind-error" role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div>
                    <label for="attachment-file" class="block text-sm font-medium text-slate-700">"File (PDF, PNG or JPEG)"</label>
                    <input id="attachment-file" name="file" type="file" required=true accept="application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg" class="focus-ring mt-1 block min-h-11 w-full text-base" aria-invalid=invalid(&file_error) aria-describedby="attachment-file-error" />
                    {file_error.clone().map(|m| view! { <p id="attachment-file-error" role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div class="sm:col-span-2">
                    <label for="attachment-description" class="block text-sm font-medium text-slate-700">"Description (optional)"</label>
                    <input id="attachment-description" name="description" type="text" maxlength="200" value=typed_description class=INPUT aria-invalid=invalid(&description_error) aria-describedby="attachment-description-error" />
                    {description_error.clone().map(|m| view! { <p id="attachment-description-error" role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON id="attachment-submit">"Upload"</button>
                </div>
            </form>
        }
    });
    view! {
        <section aria-labelledby="documents-heading" class="rounded-lg border border-slate-200 bg-white p-5" id="documents">
            <h2 id="documents-heading" class="text-lg font-semibold">"Consent forms and scans"</h2>
            {attached.then(|| view! { <p role="status" id="attached" class="mt-2 rounded border border-teal-300 bg-teal-50 px-3 py-2 text-teal-900">"Document stored, encrypted."</p> })}
            {general.map(|m| view! { <p role="alert" id="upload-error" class="mt-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">{m}</p> })}
            {rows}
            {form}
        </section>
    }.into_any()
}
