//! The read-only HTTP API: items, stories, sources and topics as JSON, stories as Atom feeds,
//! health and metrics, an OpenAPI document. Served by axum on the daemon's runtime.
//!
//! Handlers only read, through the pool of read-only connections, so an API request never waits
//! for a fetch's transaction. When a bearer token is configured every route but `/healthz`
//! requires it.

mod api;
mod atom;
mod params;
mod stories;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::daemon::SharedConfig;
use crate::metrics::Metrics;
use crate::store::StoreReaders;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub readers: Arc<StoreReaders>,
    pub metrics: Arc<Metrics>,
    pub config: SharedConfig,
    /// Seconds since the epoch of the scheduler's last turn.
    pub heartbeat: Arc<AtomicI64>,
    /// When set, requests must carry `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// Serves the API on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState, shutdown: CancellationToken) {
    let app = router(state);
    if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await {
        tracing::error!(%error, "The HTTP API stopped with an error.");
    }
}

/// The routes, with the bearer-token check.
pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route("/api/items", get(api::items))
        .route("/api/items/{id}", get(api::item))
        .route("/api/stories", get(stories::stories))
        .route("/api/stories/{id}", get(stories::story))
        .route("/api/topics", get(stories::topics))
        .route("/api/sources", get(api::sources))
        .route("/feeds/stories.atom", get(stories::stories_feed))
        .route("/feeds/topics/{file}", get(stories::topic_feed))
        .route("/metrics", get(api::metrics))
        .route("/api/openapi.json", get(api::openapi))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/healthz", get(api::healthz))
        .merge(protected)
        .fallback(api::not_found)
        .with_state(state)
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.token else {
        return next.run(request).await;
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if constant_time_equal(presented.as_bytes(), token.as_bytes()) => {
            next.run(request).await
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({"error": "a bearer token is required"})),
        )
            .into_response(),
    }
}

/// Compares without stopping at the first difference, so timing does not reveal the token.
fn constant_time_equal(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}
