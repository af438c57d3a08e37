use leptos::prelude::*;
use leptos_meta::Title;

/// Any unknown page. Answers 404 on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="mx-auto max-w-md px-4 py-16 text-center">
            <h1 class="text-2xl font-bold">"Page not found"</h1>
            <p class="mt-3 text-slate-600">"The page does not exist or you cannot see it."</p>
            <a href="/" class="focus-ring mt-6 inline-flex min-h-11 items-center rounded bg-teal-700 px-4 text-white">"Home"</a>
        </div>
    }
}
