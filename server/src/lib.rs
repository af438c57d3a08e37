//! The HospitalLink server: startup, routing, middleware and the command line.

pub mod cli;
pub mod context;
pub mod docs;
pub mod error;
pub mod extract;
pub mod forms;
pub mod metrics;
pub mod middleware;
pub mod rest;
pub mod sessions;
pub mod upload;

use axum::extract::State;
use axum::http::{header, HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use hospitallink::config::Config;
use hospitallink::services::Core;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use migration::{Migrator, MigratorTrait};
use std::net::SocketAddr;
use std::path::Path;
use tokio::net::TcpListener;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use app::state::AppState;
use metrics::Metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Compression of dynamic responses: gzip at level 1. A chart page (40 KB of HTML) still
/// shrinks five-fold, about as well as brotli at level 1, for half of brotli's CPU time in this
/// build and a quarter of tower-http's default (brotli 4); it is about 13 % larger than at brotli
/// 4. Measured with callgrind (docs/benchmarks.md).
pub const DYNAMIC_COMPRESSION_LEVEL: i32 = 1;

/// Connects, migrates and (when configured and empty) seeds the demo network.
pub async fn prepare_core(config: Config) -> anyhow::Result<(Core, bool)> {
    let db = hospitallink::db::connect(&config.database_url).await?;
    Migrator::up(&db, None).await?;
    let core = Core::new(db, config);
    core.storage.check().map_err(|e| anyhow::anyhow!(e))?;
    let filled = hospitallink::services::indicators::fill_birth_months(&core)
        .await
        .map_err(|e| anyhow::anyhow!("filling months of birth: {}", e.into_kind()))?;
    if filled > 0 {
        tracing::info!(filled, "months of birth filled for the indicators");
    }
    let seeded = if core.config.seed_demo {
        hospitallink::services::seed::demo::seed_if_empty(&core)
            .await
            .map_err(|e| anyhow::anyhow!("demo seed failed: {e}"))?
    } else {
        false
    };
    Ok((core, seeded))
}

/// A built, bound application ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pub core: Core,
    pub seeded_demo: bool,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = SocketAddr::new(config.host, config.port);
        let (core, seeded_demo) = prepare_core(config).await?;
        let router = router(core.clone());
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            router,
            core,
            seeded_demo,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Background work: message delivery, planning messages from the data, expired-session
        // cleanup.
        let delivery = hospitallink::services::platform::outbox::spawn_worker(self.core.clone());
        let planner =
            hospitallink::services::notifications::planner::spawn_planner(self.core.clone());
        let workers = [sessions::spawn_cleanup(sessions::DbSessionStore::new(
            self.core.db.clone(),
        ))];
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        for w in workers {
            w.abort();
        }
        // The message in hand is finished and the rest released for another instance.
        planner.stop(&self.core).await;
        delivery.stop(&self.core).await;
        served
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("hospitallink")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(SocketAddr::new(config.host, config.port))
        .build()
}

/// The whole HTTP surface.
pub fn router(core: Core) -> Router {
    let config = core.config.clone();
    let leptos_options = leptos_options(&config);
    let state = AppState {
        leptos_options: leptos_options.clone(),
        core,
    };
    let routes = generate_route_list(app::App);
    let metrics = Metrics::default();
    let site = Path::new(&config.site_root);
    let hsts = !config.env.is_development();

    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .nest("/api/v1", rest::router())
        .nest("/fhir/r4", rest::fhir::router())
        .route("/api/docs", get(docs::page))
        .nest_service(
            "/api/docs/assets",
            ServeDir::new(site.join("api-docs"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .nest_service(
            "/pkg",
            ServeDir::new(site.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || context::provide_request_context(&state)
            },
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .merge(forms::router())
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || context::provide_request_context(&state)
            },
            app::shell,
        ))
        .layer(sessions::layer(
            &config,
            sessions::DbSessionStore::new(state.core.db.clone()),
        ))
        .layer(axum::middleware::from_fn({
            let trusted: std::sync::Arc<[hospitallink::config::ProxyNet]> =
                config.trusted_proxies.clone().into();
            move |req, next| middleware::client_address(trusted.clone(), req, next)
        }))
        // Every request body is bounded, server functions included (before any session work).
        .layer(axum::middleware::from_fn({
            let limits = middleware::BodyLimits::new(config.attachment_max_bytes);
            move |req, next| middleware::limit_body(limits, req, next)
        }))
        .layer(axum::middleware::from_fn({
            let app_url: std::sync::Arc<str> = config.app_url.as_str().into();
            move |req, next| middleware::reject_cross_site(app_url.clone(), req, next)
        }))
        .layer(axum::middleware::from_fn_with_state(
            metrics.clone(),
            metrics::track,
        ))
        .layer(Extension(metrics))
        .layer(axum::middleware::from_fn(move |req, next| {
            middleware::security_headers(hsts, req, next)
        }))
        // Dynamic pages and API answers: gzip, fast (see the constant). Static assets are sent
        // precompressed, brotli and gzip at their highest levels.
        .layer(
            CompressionLayer::new()
                .no_br()
                .quality(CompressionLevel::Precise(DYNAMIC_COMPRESSION_LEVEL)),
        )
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The path only: query strings may carry search terms; invitation links
                    // carry a secret token.
                    let path = req.uri().path();
                    let path = if path.starts_with("/invite/") {
                        "/invite/{token}"
                    } else {
                        path
                    };
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %path,
                        request_id = %request_id,
                    )
                })
                .on_response(
                    |res: &axum::response::Response,
                     latency: std::time::Duration,
                     _span: &tracing::Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            latency_ms = latency.as_millis() as u64,
                            "response"
                        );
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn health() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match hospitallink::db::ping(&state.core.db).await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": "unreachable"})),
            )
        }
    }
}

/// `GET /metrics`: with `METRICS_TOKEN` set, only for `Authorization: Bearer <token>`;
/// without it, in development only.
async fn metrics_text(
    State(state): State<AppState>,
    Extension(metrics): Extension<Metrics>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let config = &state.core.config;
    let allowed = match &config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| {
                hospitallink::crypto::constant_time_eq(
                    given.trim().as_bytes(),
                    token.expose().as_bytes(),
                )
            }),
        None => config.env.is_development(),
    };
    if !allowed {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "Metrics need the bearer token set in METRICS_TOKEN.",
        )
            .into_response();
    }
    let mut text = metrics.render();
    text.push_str(
        "# HELP hospitallink_anonymous_refusals_total Refused requests without a valid sign-in \
         (counted, not written to the audit chain), by audit action.\n\
         # TYPE hospitallink_anonymous_refusals_total counter\n",
    );
    for (action, n) in state.core.audit_writer.anonymous_refusals() {
        text.push_str(&format!(
            "hospitallink_anonymous_refusals_total{{action=\"{action}\"}} {n}\n"
        ));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
