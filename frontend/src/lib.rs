//! The browser entry point: hydrate the server-rendered page.
//!
//! The bundle is built to abort on a panic (see `scripts/build.sh`), so no panic hook is set:
//! it would never run.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(app::App);
}
