//! Security headers, the CSP nonce, and request ids in logs.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::IntoResponse;
use hospitallink::domain::ErrorKind;

use crate::error::ApiError;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;

/// The per-request nonce that Leptos puts on its inline scripts and the CSP allows.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the security headers; HTML gets a CSP with this request's nonce.
pub async fn security_headers(hsts: bool, mut req: Request, next: Next) -> Response {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = base64::engine::general_purpose::STANDARD.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
        let csp = if is_html {
            page_csp(&nonce)
        } else {
            API_CSP.to_string()
        };
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Same-origin referrers only: pages never leak their URLs to other sites.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// Whether a state-changing request comes from another site. Browsers say so in
/// `Sec-Fetch-Site`; older ones send `Origin`, which must then be this server's (as configured
/// in `APP_URL`, or as the `Host` header names it). Requests with neither header (API clients,
/// scripts) are not browser cross-site requests.
pub fn is_cross_site(method: &Method, headers: &HeaderMap, app_url: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(HeaderName::from_static("sec-fetch-site")) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = text(header::ORIGIN) else {
        return false;
    };
    let same_as_host = text(header::HOST).is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
    });
    !(origin.eq_ignore_ascii_case(app_url) || same_as_host)
}

/// Rejects cross-site state-changing requests (Leptos has no CSRF protection of its own).
pub async fn reject_cross_site(app_url: std::sync::Arc<str>, req: Request, next: Next) -> Response {
    if is_cross_site(req.method(), req.headers(), &app_url) {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "cross-site request refused");
        return ApiError(ErrorKind::Forbidden {
            code: "cross_site_request".into(),
            message: "Requests that change data must come from this site.".into(),
        })
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_decisions() {
        let app = "https://hl.example.org";
        let post = Method::POST;
        assert!(!is_cross_site(
            &Method::GET,
            &headers(&[("sec-fetch-site", "cross-site")]),
            app
        ));
        assert!(is_cross_site(
            &post,
            &headers(&[("sec-fetch-site", "cross-site")]),
            app
        ));
        assert!(is_cross_site(
            &post,
            &headers(&[("sec-fetch-site", "same-site")]),
            app
        ));
        assert!(!is_cross_site(
            &post,
            &headers(&[("sec-fetch-site", "same-origin")]),
            app
        ));
        assert!(
            !is_cross_site(&post, &headers(&[]), app),
            "API clients send neither header"
        );
        assert!(!is_cross_site(
            &post,
            &headers(&[("origin", "https://hl.example.org")]),
            app
        ));
        assert!(is_cross_site(
            &post,
            &headers(&[("origin", "https://evil.example")]),
            app
        ));
        assert!(is_cross_site(&post, &headers(&[("origin", "null")]), app));
        assert!(!is_cross_site(
            &post,
            &headers(&[
                ("origin", "http://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            app
        ));
    }
}
