//! Every language of the interface says everything: a key of the English file missing (or
//! left `null`) in another language, a key the English file does not have, or a sentence that
//! drops or renames one of its `{{ values }}` fails here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const LANGUAGES: [&str; 3] = ["sw", "fr", "pt"];

/// Each key's text, by its dotted path (`None` for a value that is not text).
fn texts(value: &Value, prefix: &str, out: &mut BTreeMap<String, Option<String>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                texts(v, &format!("{prefix}{k}."), out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.trim_end_matches('.').to_string(), Some(s.clone()));
        }
        _ => {
            out.insert(prefix.trim_end_matches('.').to_string(), None);
        }
    }
}

fn load(language: &str) -> BTreeMap<String, Option<String>> {
    let path = format!("{}/locales/{language}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = BTreeMap::new();
    texts(&json, "", &mut out);
    out
}

/// The `{{ name }}` values a text interpolates.
fn values(text: &str) -> BTreeSet<String> {
    text.split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}"))
        .map(|(name, _)| name.trim().to_string())
        .collect()
}

/// What is wrong with `other` against the English texts.
fn problems(
    language: &str,
    english: &BTreeMap<String, Option<String>>,
    other: &BTreeMap<String, Option<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, text) in english {
        let Some(text) = text else {
            out.push(format!("en: {key} is not text"));
            continue;
        };
        match other.get(key) {
            None => out.push(format!("{language}: {key} is missing")),
            Some(None) => out.push(format!("{language}: {key} is not translated")),
            // (A separator may be white space, as French's narrow no-break space.)
            Some(Some(t)) if t.is_empty() => out.push(format!("{language}: {key} is empty")),
            Some(Some(t)) if values(t) != values(text) => out.push(format!(
                "{language}: {key} has values {:?}, English {:?}",
                values(t),
                values(text)
            )),
            Some(Some(_)) => {}
        }
    }
    for key in other.keys().filter(|k| !english.contains_key(*k)) {
        out.push(format!("{language}: {key} is not an English key"));
    }
    out
}

#[test]
fn every_language_translates_every_text_with_the_same_values() {
    let english = load("en");
    assert!(english.len() > 100, "the English file is the reference");
    let found: Vec<String> = LANGUAGES
        .iter()
        .flat_map(|l| problems(l, &english, &load(l)))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_catches_missing_untranslated_and_broken_texts() {
    let parse = |json: Value| {
        let mut out = BTreeMap::new();
        texts(&json, "", &mut out);
        out
    };
    let english = parse(serde_json::json!({"a": {"b": "On {{ date }}"}, "c": "x", "d": "y"}));
    let other = parse(serde_json::json!({"a": {"b": "Tarehe"}, "c": null, "e": "z"}));
    let found = problems("sw", &english, &other);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found[0].contains("a.b has values"));
    assert!(found[1].contains("c is not translated"));
    assert!(found[2].contains("d is missing"));
    assert!(found[3].contains("e is not an English key"));
}
