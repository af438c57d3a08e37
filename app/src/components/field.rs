use hospitallink::domain::ErrorKind;
use leptos::prelude::*;

/// The messages for one field, announced to screen readers.
#[component]
pub fn FieldErrorsFor(
    #[prop(into)] error: Signal<Option<ErrorKind>>,
    name: &'static str,
) -> impl IntoView {
    let messages = move || error.get().map(|e| e.field(name)).unwrap_or_default();
    view! {
        <Show when=move || !messages().is_empty()>
            <p id=format!("{name}-error") class="mt-1 text-sm text-red-700" role="alert">
                {move || messages().join("; ")}
            </p>
        </Show>
    }
}

/// A labelled text input bound to a signal, with its field errors.
#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ErrorKind>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = false)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let invalid = move || error.get().is_some_and(|e| !e.field(name).is_empty());
    view! {
        <div>
            <label for=name class="block text-sm font-medium text-slate-700">
                {label}
                {required.then_some(view! { <span class="text-red-700" aria-hidden="true">" *"</span> })}
            </label>
            <input
                id=name
                name=name
                type=kind
                required=required
                autocomplete=autocomplete
                aria-invalid=move || invalid().to_string()
                aria-describedby=format!("{name}-error")
                class="focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3 text-base aria-[invalid=true]:border-red-600"
                // The attribute carries the value into server-rendered HTML (no-JS re-render);
                // the binding keeps it in sync once hydrated.
                value=value.get_untracked()
                bind:value=value
            />
            {hint.map(|h| view! { <p class="mt-1 text-xs text-slate-500">{h}</p> })}
            <FieldErrorsFor error name />
        </div>
    }
}
