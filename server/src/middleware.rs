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
    // Pages and API answers may carry patient data: no browser or proxy keeps a copy. Static
    // assets (scripts, styles, images) keep the caching their server gives them.
    if !headers.contains_key(header::CACHE_CONTROL) && is_dynamic(headers) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// Whether a response is generated per request (a page, JSON, text or CSV), as opposed to a
/// static asset.
fn is_dynamic(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            [
                "text/html",
                "application/json",
                "application/fhir+json",
                "text/plain",
                "text/csv",
                "application/problem",
            ]
            .iter()
            .any(|t| ct.starts_with(t))
        })
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

/// The largest request bodies, by kind of route. One layer applies them to every route, server
/// functions under `/_fn/` included.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Plain forms, server functions and anything else.
    pub form: usize,
    /// The JSON API.
    pub json: usize,
    /// Attachment uploads (the file, with room for the multipart framing and text fields).
    pub upload: usize,
    /// Sync batches (up to a thousand items).
    pub sync: usize,
}

/// Room beyond `ATTACHMENT_MAX_BYTES` for the multipart framing and the text fields, so a file
/// just over the limit still reaches the upload reader and gets its field error.
pub const UPLOAD_FRAMING_BYTES: usize = 64 * 1024;

impl BodyLimits {
    pub fn new(attachment_max_bytes: u64) -> Self {
        Self {
            form: hospitallink::domain::error::FORM_BODY_LIMIT as usize,
            json: crate::extract::JSON_LIMIT,
            upload: attachment_max_bytes as usize + UPLOAD_FRAMING_BYTES,
            sync: crate::rest::sync::UPLOAD_LIMIT,
        }
    }

    /// The limit of a request to `path`.
    pub fn of(&self, method: &Method, path: &str) -> usize {
        if method == Method::POST && path.ends_with("/attachments") {
            self.upload
        } else if method == Method::POST && path == "/api/v1/sync/upload" {
            self.sync
        } else if path.starts_with("/api/") {
            self.json
        } else {
            self.form
        }
    }
}

/// Bounds the request body. A declared `Content-Length` over the limit answers 413 at once,
/// before anything is read; otherwise the body is counted as it streams in, and every reader
/// (extractors, server functions, the form and upload readers) stops at the limit.
pub async fn limit_body(limits: BodyLimits, mut req: Request, next: Next) -> Response {
    let limit = limits.of(req.method(), req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(req.uri().path(), limit);
    }
    axum::extract::DefaultBodyLimit::max(limit).apply(&mut req);
    // Whoever reads the body stops at the limit; whatever they then answer, the client learns
    // that its body was too large.
    let overflowed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let req = req.map(|body| {
        use http_body_util::BodyExt;
        let flag = overflowed.clone();
        axum::body::Body::new(http_body_util::Limited::new(body, limit).map_err(move |e| {
            if e.is::<http_body_util::LengthLimitError>() {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            e
        }))
    });
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    if overflowed.load(std::sync::atomic::Ordering::Relaxed) {
        return too_large(&path, limit);
    }
    response
}

/// A 413 in the shape the route's clients read: the API's error body, a server function's
/// `ErrorKind`, or a line of text for a browser's plain form.
pub fn too_large(path: &str, limit: usize) -> Response {
    let kind = ErrorKind::PayloadTooLarge {
        limit_bytes: limit as u64,
    };
    let status = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    if path.starts_with("/api/") {
        ApiError(kind).into_response()
    } else if path.starts_with("/_fn/") {
        (status, axum::Json(kind)).into_response()
    } else {
        (status, kind.message()).into_response()
    }
}

/// Decides the client's address once per request: the connection's peer, or, behind a trusted
/// proxy, the address it forwarded (`hospitallink::config::client_address`).
pub async fn client_address(
    trusted: std::sync::Arc<[hospitallink::config::ProxyNet]>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = hospitallink::config::client_address(peer, forwarded, &trusted);
        req.extensions_mut().insert(app::state::ClientAddress(ip));
    }
    next.run(req).await
}
