//! One source fetched now: state from the store, the request (with validators, within the
//! politeness limits), the body parsed and normalized off the async threads, and one store
//! transaction with the items, the fetch-log row and when to fetch next.

use std::time::Duration;

use jiff::Timestamp;
use url::Url;
use xxhash_rust::xxh3::xxh3_64;

use super::{PassContext, SourceOutcome, SourceReport};
use crate::classify::Classifier;
use crate::config::{SourceConfig, SourceKind};
use crate::fetch::{self, FetchRequest, FetchResponse};
use crate::model::Item;
use crate::normalize::NormalizeContext;
use crate::parse::{self, ParseError};
use crate::schedule::{self, Observations};
use crate::store::{FetchOutcome, FetchRecord, SourceState};

/// How far back "items published recently" looks when adapting the polling interval.
const ACTIVITY_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// Fetches one source now and stores what it brought.
pub async fn refresh_source(context: &PassContext, source: &SourceConfig) -> SourceReport {
    let report = |outcome| SourceReport { source: source.name.clone(), outcome };
    let name = source.name.clone();
    let state = match context.store.call(move |store| store.source_state(&name)).await {
        Ok(state) => state,
        Err(error) => return report(SourceOutcome::FailedUnrecorded { error: error.to_string() }),
    };
    let started_at = Timestamp::now();
    let Ok(url) = Url::parse(&state.fetch_url) else {
        return report(SourceOutcome::FailedUnrecorded {
            error: format!("stored URL `{}` is invalid", state.fetch_url),
        });
    };
    let deferred_until =
        state.retry_after_until.into_iter().chain(context.politeness.cooldown_until(&url)).max();
    if let Some(until) = deferred_until.filter(|until| *until > started_at) {
        tracing::info!(until = %until, "Deferred: the server asked us to wait (Retry-After).");
        let name = source.name.clone();
        if let Err(error) = context.store.call(move |store| store.defer_until(&name, until)).await {
            return report(SourceOutcome::FailedUnrecorded { error: error.to_string() });
        }
        return report(SourceOutcome::Deferred { until });
    }
    let request = FetchRequest {
        url,
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        timeout: source.timeout,
        max_body: source.max_body,
        user_agent: source.user_agent.clone(),
    };
    let permit = tokio::select! {
        biased;
        _ = context.stop_starting.cancelled() => return report(SourceOutcome::Cancelled),
        _ = context.cancel.cancelled() => return report(SourceOutcome::Cancelled),
        permit = context.politeness.acquire(&request.url) => permit,
    };
    let fetched = tokio::select! {
        biased;
        _ = context.cancel.cancelled() => return report(SourceOutcome::Cancelled),
        fetched = fetch::fetch(&context.client, &request) => fetched,
    };
    drop(permit);
    let outcome = match fetched {
        Ok(response) if source.kind == SourceKind::Html => {
            super::html::store_list_response(context, source, &state, &request, response, started_at).await
        }
        Ok(response) => store_response(context, source, &state, &request, response, started_at).await,
        Err(error) => {
            if let Some(wait) = error.retry_after() {
                // Every source on this host waits, not only the one that was told.
                context.politeness.set_cooldown(&request.url, schedule::after(started_at, wait));
            }
            let failure = FailedFetch {
                http_status: error.http_status(),
                retry_after: error.retry_after(),
                bytes: 0,
                message: error.to_string(),
            };
            record_failure(context, source, &state, &request, started_at, failure).await
        }
    };
    report(outcome)
}

/// Parses and normalizes a body as source `source` would have served it (a feed, or an HTML
/// list page without following its articles); also returns a feed's `<ttl>`, for scheduling.
pub fn items_from_body(
    classifier: &Classifier,
    source: &SourceConfig,
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    fetched_at: Timestamp,
) -> Result<(Vec<Item>, Option<Duration>), ParseError> {
    if source.kind == SourceKind::Html {
        return super::html::items_from_list(classifier, source, body, content_type, base_url, fetched_at)
            .map(|items| (items, None));
    }
    let parsed = parse::parse_feed(body, content_type, base_url)?;
    let context = NormalizeContext::new(base_url.clone(), fetched_at);
    let ttl = parsed.ttl_minutes.map(|minutes| Duration::from_secs(u64::from(minutes) * 60));
    Ok((
        parsed
            .entries
            .into_iter()
            .filter_map(|entry| super::prepare_item(entry, &context, classifier, source))
            .collect(),
        ttl,
    ))
}

/// A failure to record: what the user reads, the HTTP status and Retry-After if any.
pub(super) struct FailedFetch {
    pub message: String,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub retry_after: Option<Duration>,
}

async fn store_response(
    context: &PassContext,
    source: &SourceConfig,
    state: &SourceState,
    request: &FetchRequest,
    response: FetchResponse,
    started_at: Timestamp,
) -> SourceOutcome {
    if let Some(new_url) = &response.permanent_redirect {
        tracing::info!(from = %request.url, to = %new_url, "Permanent redirect: the new URL is used from now on.");
    }
    let body_hash = (!response.not_modified).then(|| xxh3_64(&response.body) as i64);
    let unchanged = response.not_modified || body_hash == state.body_hash;
    let bytes = response.body.len() as u64;
    let (items, ttl) = if unchanged {
        (Vec::new(), None)
    } else {
        let base_url = response.final_url.clone();
        let content_type = response.content_type.clone();
        let body = response.body;
        let source_for_parse = source.clone();
        let classifier = context.classifier.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            items_from_body(
                &classifier,
                &source_for_parse,
                &body,
                content_type.as_deref(),
                &base_url,
                started_at,
            )
        })
        .await
        .unwrap_or_else(|join_error| Err(ParseError::ParserCrashed(join_error.to_string())));
        match parsed {
            Ok(parsed) => parsed,
            Err(parse_error) => {
                let failure = FailedFetch {
                    message: parse_error.to_string(),
                    http_status: Some(response.status),
                    bytes,
                    retry_after: None,
                };
                return record_failure(context, source, state, request, started_at, failure).await;
            }
        }
    };
    let outcome = match (response.not_modified, unchanged) {
        (true, _) => FetchOutcome::NotModified,
        (false, true) => FetchOutcome::Unchanged,
        (false, false) => FetchOutcome::Ok,
    };
    let record = FetchRecord {
        source_id: state.id,
        started_at,
        url: request.url.to_string(),
        http_status: Some(response.status),
        bytes,
        duration: response.elapsed,
        outcome,
        error: None,
        etag: response.etag.clone(),
        last_modified: response.last_modified.clone(),
        body_hash,
        permanent_redirect: response.permanent_redirect.as_ref().map(Url::to_string),
        retry_after_until: None,
        next_fetch_at: None,
    };
    let success =
        Success { record, items, ttl, max_age: response.max_age, already_stored: 0, warnings: Vec::new() };
    store_success(context, source, success).await
}

/// What a successful fetch brings to the store (feed or HTML list alike).
pub(super) struct Success {
    /// The fetch-log row and new source state; `next_fetch_at` is filled in here.
    pub record: FetchRecord,
    pub items: Vec<Item>,
    pub ttl: Option<Duration>,
    pub max_age: Option<Duration>,
    /// Items known to be stored already without being passed again (HTML articles not followed).
    pub already_stored: usize,
    /// Problems that did not fail the source.
    pub warnings: Vec<String>,
}

/// Stores a successful fetch in one transaction, with when to fetch next (the posting rate is
/// read inside the same store call), then records metrics and logs the one info line.
pub(super) async fn store_success(
    context: &PassContext,
    source: &SourceConfig,
    success: Success,
) -> SourceOutcome {
    let Success { mut record, items, ttl, max_age, already_stored, warnings } = success;
    let started_at = record.started_at;
    let policy = context.settings.schedule_policy(source);
    let jitter = schedule::jitter_for(&source.name, started_at);
    let (outcome, status, bytes, elapsed) =
        (record.outcome, record.http_status, record.bytes, record.duration);
    let stored = context
        .store
        .call(move |store| {
            let since = started_at
                .checked_sub(jiff::SignedDuration::try_from(ACTIVITY_WINDOW).unwrap_or_default())
                .ok();
            let items_last_week =
                since.map(|since| store.items_published_since(record.source_id, since)).transpose()?;
            let observations = Observations { ttl, max_age, items_last_week };
            let wait = schedule::wait_after_success(&policy, &observations, jitter);
            record.next_fetch_at = Some(schedule::after(started_at, wait));
            store.record_fetch(&record, items, started_at)
        })
        .await;
    match stored {
        Ok(mut counts) => {
            counts.unchanged += already_stored;
            context.metrics.record_fetch(&source.name, outcome.as_str(), elapsed);
            context.metrics.record_items(&source.name, counts.new, counts.updated);
            tracing::info!(
                status,
                outcome = outcome.as_str(),
                new = counts.new,
                updated = counts.updated,
                unchanged = counts.unchanged,
                warnings = warnings.len(),
                bytes,
                ms = elapsed.as_millis() as u64,
                "Fetched."
            );
            SourceOutcome::Fetched { outcome, counts, status, bytes, elapsed, warnings }
        }
        Err(error) => SourceOutcome::FailedUnrecorded { error: format!("storing failed: {error}") },
    }
}

pub(super) async fn record_failure(
    context: &PassContext,
    source: &SourceConfig,
    state: &SourceState,
    request: &FetchRequest,
    started_at: Timestamp,
    failure: FailedFetch,
) -> SourceOutcome {
    // Messages that name the page already ("selector … matched 0 items on URL") say it once.
    let message = if failure.message.contains(request.url.as_str()) {
        failure.message
    } else {
        format!("{} ({})", failure.message, request.url)
    };
    tracing::warn!(error = %message, status = failure.http_status, "Fetch failed.");
    let duration = Duration::from_millis(
        (Timestamp::now().as_millisecond() - started_at.as_millisecond()).max(0) as u64,
    );
    context.metrics.record_fetch(&source.name, "error", duration);
    let policy = context.settings.schedule_policy(source);
    let jitter = schedule::jitter_for(&source.name, started_at);
    let wait = schedule::wait_after_error(&policy, state.consecutive_errors + 1, failure.retry_after, jitter);
    let record = FetchRecord {
        source_id: state.id,
        started_at,
        url: request.url.to_string(),
        http_status: failure.http_status,
        bytes: failure.bytes,
        duration,
        outcome: FetchOutcome::Error,
        error: Some(message.clone()),
        etag: None,
        last_modified: None,
        body_hash: None,
        permanent_redirect: None,
        retry_after_until: failure.retry_after.map(|wait| schedule::after(started_at, wait)),
        next_fetch_at: Some(schedule::after(started_at, wait)),
    };
    if let Err(error) =
        context.store.call(move |store| store.record_fetch(&record, Vec::new(), started_at)).await
    {
        tracing::error!(%error, "Could not record the failed fetch.");
    }
    SourceOutcome::Failed { error: message }
}
