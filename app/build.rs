//! Compiles the interface's translations (`locales/*.json`) into the `i18n` module: every key
//! becomes code, checked when the crate is built; a key missing from a language is a build
//! warning (and `tests/locales.rs` fails on it).

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    let mut config = Config::new("en")?
        .add_locale("sw")?
        .add_locale("fr")?
        .add_locale("pt")?;
    // Values interpolated into strings (`t_string!`) are displayed with `Display`.
    config.options = ParseOptions::default().interpolate_display(true);
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out)?;
    Ok(())
}
