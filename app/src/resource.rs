//! Resources with one JSON decoder.
//!
//! A resource's value travels from the server-rendered page to the hydrating browser as JSON.
//! Leptos decodes it with `serde_json::from_str`, while server-function answers are decoded
//! with `serde_json::from_slice`: every type would carry two deserializers in the browser
//! bundle. [`Json`] decodes resources and shared values with `from_slice` too, so each type is
//! compiled once.

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// JSON, decoded from bytes like server-function answers.
pub struct Json;

impl<T: Serialize> codee::Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> codee::Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(value: &str) -> Result<T, Self::Error> {
        serde_json::from_slice(value.as_bytes())
    }
}

/// A resource encoded with [`Json`]: `source` is tracked, `fetcher` loads for its value.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// A value computed on the server and handed to the hydrating browser, encoded with [`Json`].
pub fn shared<T>(initial: impl FnOnce() -> T) -> T
where
    T: Serialize + DeserializeOwned,
{
    SharedValue::<T, Json>::new_with_encoding(initial).into_inner()
}

#[cfg(test)]
mod tests {
    use super::Json;
    use codee::{Decoder, Encoder};

    #[test]
    fn round_trips_what_the_server_sends() {
        let value = (3u32, Some("Amina — ✓".to_string()), vec![1.5f64]);
        let text: String = <Json as Encoder<_>>::encode(&value).unwrap();
        let back: (u32, Option<String>, Vec<f64>) = <Json as Decoder<_>>::decode(&text).unwrap();
        assert_eq!(back, value);
        assert!(<Json as Decoder<(u32,)>>::decode("{").is_err());
    }
}
