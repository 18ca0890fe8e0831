//! The only place that knows the order of the stages: fetched bytes → entries → items → store.
//!
//! The CLI (`fetch`, `ingest`) and the daemon both call these functions. Each source's work is a
//! straight line that ends in one store transaction; a failure is that source's report, and the
//! other sources of the pass go on.

mod html;
mod ingest;

pub use html::{items_from_list, store_list_body};
pub use ingest::{IngestError, ingest_body, store_body};

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use url::Url;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::{SourceConfig, SourceKind};
use crate::fetch::{self, FetchRequest, Politeness};
use crate::model::{Item, ItemCounts};
use crate::normalize::{NormalizeContext, normalize_entry};
use crate::parse::{self, ParseError, ParsedFeed};
use crate::schedule;
use crate::store::{FetchOutcome, FetchRecord, SourceState, StoreHandle};

/// What a pass over sources needs, shared by its tasks.
pub struct PassContext {
    pub client: reqwest::Client,
    pub politeness: Politeness,
    pub store: StoreHandle,
    pub cancel: CancellationToken,
}

/// How one source's fetch ended.
#[derive(Debug)]
pub struct SourceReport {
    pub source: String,
    pub outcome: SourceOutcome,
}

#[derive(Debug)]
pub enum SourceOutcome {
    Fetched {
        outcome: FetchOutcome,
        counts: ItemCounts,
        status: Option<u16>,
        bytes: u64,
        elapsed: Duration,
        /// Problems that did not fail the source: an HTML source's article pages that could not
        /// be read (their items keep what the list said).
        warnings: Vec<String>,
    },
    /// Not fetched: the server asked us to wait (Retry-After) until this time.
    Deferred {
        until: Timestamp,
    },
    /// Not fetched: the pass was cancelled first.
    Cancelled,
    Failed {
        error: String,
    },
}

impl SourceReport {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, SourceOutcome::Failed { .. })
    }
}

/// Fetches every source in `sources` concurrently (within the politeness limits) and returns one
/// report per source, in the order given.
pub async fn fetch_pass(context: Arc<PassContext>, sources: Vec<SourceConfig>) -> Vec<SourceReport> {
    let tasks: Vec<_> = sources
        .into_iter()
        .map(|source| {
            let context = context.clone();
            let span = tracing::info_span!("source", name = %source.name);
            tokio::spawn(async move { refresh_source(&context, &source).await }.instrument(span))
        })
        .collect();
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(report) => reports.push(report),
            Err(join_error) => {
                tracing::error!(error = %join_error, "A source task ended abnormally.")
            }
        }
    }
    reports
}

/// Fetches one source now and stores what it brought.
pub async fn refresh_source(context: &PassContext, source: &SourceConfig) -> SourceReport {
    let report = |outcome| SourceReport { source: source.name.clone(), outcome };
    let name = source.name.clone();
    let state = match context.store.call(move |store| store.source_state(&name)).await {
        Ok(state) => state,
        Err(error) => {
            return report(SourceOutcome::Failed { error: error.to_string() });
        }
    };
    let started_at = Timestamp::now();
    if let Some(until) = state.retry_after_until.filter(|until| *until > started_at) {
        tracing::info!(until = %until, "Deferred: the server asked us to wait (Retry-After).");
        return report(SourceOutcome::Deferred { until });
    }
    let Ok(url) = Url::parse(&state.fetch_url) else {
        return report(SourceOutcome::Failed {
            error: format!("stored URL `{}` is invalid", state.fetch_url),
        });
    };
    let request = FetchRequest {
        url,
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        timeout: source.timeout,
        max_body: source.max_body,
        user_agent: source.user_agent.clone(),
    };
    let fetched = tokio::select! {
        biased;
        _ = context.cancel.cancelled() => return report(SourceOutcome::Cancelled),
        fetched = async {
            let _permit = context.politeness.acquire(&request.url).await;
            fetch::fetch(&context.client, &request).await
        } => fetched,
    };
    let outcome = match fetched {
        Ok(response) if source.kind == SourceKind::Html => {
            html::store_list_response(context, source, &state, &request, response, started_at).await
        }
        Ok(response) => store_response(context, source, &state, &request, response, started_at).await,
        Err(error) => {
            record_failure(context, source, &state, &request, started_at, FailedFetch::from(error)).await
        }
    };
    report(outcome)
}

/// A failure to record: what the user reads, the HTTP status and Retry-After if any.
struct FailedFetch {
    message: String,
    http_status: Option<u16>,
    bytes: u64,
    retry_after: Option<Duration>,
}

impl From<fetch::FetchError> for FailedFetch {
    fn from(error: fetch::FetchError) -> FailedFetch {
        FailedFetch {
            http_status: error.http_status(),
            retry_after: error.retry_after(),
            bytes: 0,
            message: error.to_string(),
        }
    }
}

async fn store_response(
    context: &PassContext,
    source: &SourceConfig,
    state: &SourceState,
    request: &FetchRequest,
    response: fetch::FetchResponse,
    started_at: Timestamp,
) -> SourceOutcome {
    if let Some(new_url) = &response.permanent_redirect {
        tracing::info!(from = %request.url, to = %new_url, "Permanent redirect: the new URL is used from now on.");
    }
    let body_hash = (!response.not_modified).then(|| xxh3_64(&response.body) as i64);
    let unchanged = response.not_modified || body_hash == state.body_hash;
    let bytes = response.body.len() as u64;
    let items = if unchanged {
        Vec::new()
    } else {
        let source_for_parse = source.clone();
        let base_url = response.final_url.clone();
        let content_type = response.content_type.clone();
        let body = response.body;
        let parsed = tokio::task::spawn_blocking(move || {
            items_from_body(&source_for_parse, &body, content_type.as_deref(), &base_url, started_at)
        })
        .await;
        match parsed {
            Ok(Ok(items)) => items,
            Ok(Err(parse_error)) => {
                let failure = FailedFetch {
                    message: parse_error.to_string(),
                    http_status: Some(response.status),
                    bytes,
                    retry_after: None,
                };
                return record_failure(context, source, state, request, started_at, failure).await;
            }
            Err(join_error) => {
                let failure = FailedFetch {
                    message: format!("parsing stopped abnormally: {join_error}"),
                    http_status: Some(response.status),
                    bytes,
                    retry_after: None,
                };
                return record_failure(context, source, state, request, started_at, failure).await;
            }
        }
    };
    let outcome = if response.not_modified {
        FetchOutcome::NotModified
    } else if unchanged {
        FetchOutcome::Unchanged
    } else {
        FetchOutcome::Ok
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
        next_fetch_at: Some(schedule::after(started_at, source.interval)),
    };
    let elapsed = response.elapsed;
    match context.store.call(move |store| store.record_fetch(&record, items, started_at)).await {
        Ok(counts) => {
            tracing::info!(
                status = response.status,
                outcome = outcome.as_str(),
                new = counts.new,
                updated = counts.updated,
                unchanged = counts.unchanged,
                bytes,
                ms = elapsed.as_millis() as u64,
                "Fetched."
            );
            let status = Some(response.status);
            SourceOutcome::Fetched { outcome, counts, status, bytes, elapsed, warnings: Vec::new() }
        }
        Err(error) => SourceOutcome::Failed { error: format!("storing failed: {error}") },
    }
}

async fn record_failure(
    context: &PassContext,
    _source: &SourceConfig,
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
    let backoff = schedule::error_backoff(state.consecutive_errors + 1, failure.retry_after);
    let record = FetchRecord {
        source_id: state.id,
        started_at,
        url: request.url.to_string(),
        http_status: failure.http_status,
        bytes: failure.bytes,
        duration: Duration::from_millis(
            (Timestamp::now().as_millisecond() - started_at.as_millisecond()).max(0) as u64,
        ),
        outcome: FetchOutcome::Error,
        error: Some(message.clone()),
        etag: None,
        last_modified: None,
        body_hash: None,
        permanent_redirect: None,
        retry_after_until: failure.retry_after.map(|wait| schedule::after(started_at, wait)),
        next_fetch_at: Some(schedule::after(started_at, backoff)),
    };
    if let Err(error) =
        context.store.call(move |store| store.record_fetch(&record, Vec::new(), started_at)).await
    {
        tracing::error!(%error, "Could not record the failed fetch.");
    }
    SourceOutcome::Failed { error: message }
}

/// Parses and normalizes a body as source `source` would have served it (an HTML list without
/// following its articles).
pub fn items_from_body(
    source: &SourceConfig,
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    fetched_at: Timestamp,
) -> Result<Vec<Item>, ParseError> {
    if source.kind == SourceKind::Html {
        return items_from_list(source, body, content_type, base_url, fetched_at);
    }
    let parsed = parse_body(source, body, content_type, base_url)?;
    let context = NormalizeContext::new(base_url.clone(), fetched_at);
    Ok(parsed.entries.into_iter().map(|entry| normalize_entry(entry, &context)).collect())
}

fn parse_body(
    _source: &SourceConfig,
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
) -> Result<ParsedFeed, ParseError> {
    parse::parse_feed(body, content_type, base_url)
}
