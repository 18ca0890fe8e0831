//! The item, source, health and metrics handlers (stories and topics are in `stories.rs`):
//! JSON in the CLI's shapes, 400 with `{"error", "parameter"}` for a bad parameter, 404 for an
//! unknown id, 503 when the database does not answer.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;

use super::AppState;
use super::params::{BadParameter, item_filter};
use crate::metrics::Gauge;
use crate::store::StoreError;

/// The scheduler counts as alive if its loop turned within this many seconds (it wakes at least
/// every 30 s).
const SCHEDULER_STALE_SECONDS: i64 = 90;

pub async fn items(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let filter = match item_filter(query.as_deref(), Timestamp::now(), &state.config.current().classifier) {
        Ok(filter) => filter,
        Err(bad) => return bad_parameter(bad),
    };
    let search = filter.search.clone();
    match state.readers.call(move |store| store.query_items(&filter)).await {
        Ok(items) => Json(items).into_response(),
        Err(error) => store_failure(error, search),
    }
}

/// A failed query: the user's search expression at fault (400), or the database (503).
pub(super) fn store_failure(error: StoreError, search: Option<String>) -> Response {
    match error {
        StoreError::BadSearch { message, .. } => bad_parameter(BadParameter {
            parameter: "search".into(),
            error: format!("bad search expression `{}`: {message}", search.unwrap_or_default()),
        }),
        error => unavailable(error),
    }
}

pub async fn item(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return bad_parameter(BadParameter {
            parameter: "id".into(),
            error: format!("`{id}` is not an item id"),
        });
    };
    match state.readers.call(move |store| store.item(id)).await {
        Ok(Some(item)) => Json(item).into_response(),
        Ok(None) => not_found_json(format!("no item {id}")),
        Err(error) => unavailable(error),
    }
}

pub async fn sources(State(state): State<AppState>) -> Response {
    match state.readers.call(|store| store.source_statuses()).await {
        Ok(statuses) => Json(statuses).into_response(),
        Err(error) => unavailable(error),
    }
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    let now = Timestamp::now();
    let database = state.readers.call(|store| {
        store.ping()?;
        store.last_success()
    });
    let database = tokio::time::timeout(std::time::Duration::from_secs(5), database).await;
    let heartbeat_age = now.as_second() - state.heartbeat.load(Ordering::Relaxed);
    let scheduler_alive = heartbeat_age <= SCHEDULER_STALE_SECONDS;
    let (database_ok, database_text, last_success) = match database {
        Ok(Ok(last_success)) => (true, "ok".to_string(), last_success),
        Ok(Err(error)) => (false, error.to_string(), None),
        Err(_) => (false, "timed out".to_string(), None),
    };
    let healthy = database_ok && scheduler_alive;
    let body = json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "database": database_text,
        "scheduler": {"alive": scheduler_alive, "last_turn_seconds_ago": heartbeat_age},
        "last_successful_fetch": last_success.map(crate::model::format_time),
        "last_successful_fetch_age_seconds": last_success.map(|time| now.as_second() - time.as_second()),
    });
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let gauges = state
        .readers
        .call(|store| {
            let items = store.item_count()?;
            let statuses = store.source_statuses()?;
            let last_success = store.last_success()?;
            Ok((items, statuses, last_success))
        })
        .await;
    let (items, statuses, last_success) = match gauges {
        Ok(values) => values,
        Err(error) => return unavailable(error),
    };
    let now = Timestamp::now();
    let mut gauges = vec![
        Gauge { name: "lodestone_items", help: "Items stored.", labels: vec![], value: items as f64 },
        Gauge {
            name: "lodestone_sources_failing",
            help: "Sources whose last fetch failed.",
            labels: vec![],
            value: statuses.iter().filter(|status| status.consecutive_errors > 0).count() as f64,
        },
    ];
    if let Some(last_success) = last_success {
        gauges.push(Gauge {
            name: "lodestone_last_success_age_seconds",
            help: "Seconds since the last successful fetch of any source.",
            labels: vec![],
            value: (now.as_second() - last_success.as_second()) as f64,
        });
    }
    for status in &statuses {
        gauges.push(Gauge {
            name: "lodestone_source_consecutive_errors",
            help: "Consecutive failed fetches, by source.",
            labels: vec![("source", status.name.clone())],
            value: f64::from(status.consecutive_errors),
        });
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render(&gauges))
        .into_response()
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")).into_response()
}

pub async fn not_found() -> Response {
    not_found_json("no such endpoint; see /api/openapi.json".to_string())
}

pub(super) fn bad_parameter(bad: BadParameter) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": bad.error, "parameter": bad.parameter}))).into_response()
}

pub(super) fn not_found_json(error: String) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": error}))).into_response()
}

fn unavailable(error: StoreError) -> Response {
    tracing::error!(%error, "API request failed at the database.");
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": error.to_string()}))).into_response()
}
