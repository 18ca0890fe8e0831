//! The only place that knows the order of the stages: fetched bytes → entries → items → store.
//!
//! The CLI (`fetch`, `ingest`) and the daemon both call these functions. Each source's work is a
//! straight line that ends in one store transaction; a failure is that source's report, and the
//! other sources of the pass go on.

mod html;
mod ingest;
mod refresh;

pub use html::{items_from_list, store_list_body};
pub use ingest::{IngestError, ingest_body, store_body};
pub use refresh::{items_from_body, refresh_source};

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::classify::Classifier;
use crate::config::{FetchSettings, SourceConfig};
use crate::fetch::Politeness;
use crate::metrics::Metrics;
use crate::model::{Entry, Item, ItemCounts};
use crate::normalize::{NormalizeContext, normalize_entry};
use crate::store::{FetchOutcome, StoreHandle};

/// An entry made into an item ready to store: normalized, analyzed once, classified (topics,
/// entities) and given its story features. Pure (runs on worker threads, never on the store's).
///
/// These stages are meant never to panic on any input, but they run outside the parser's
/// guard, where one panic would end the whole source's work (a 10,000-entry ingest, or a
/// daemon's fetch). So each runs guarded: an entry that cannot be normalized is left out, with
/// an error naming the source and the entry; an item whose analysis fails is stored untagged,
/// in a story of its own. Both are bugs to report; the rest of the source goes on.
pub fn prepare_item(
    entry: Entry,
    context: &NormalizeContext,
    classifier: &Classifier,
    source: &SourceConfig,
) -> Option<Item> {
    let label = entry.guid.clone().or_else(|| entry.link.clone()).unwrap_or_default();
    let mut item = match crate::parse::catch_panic(|| normalize_entry(entry, context)) {
        Ok(item) => item,
        Err(message) => {
            tracing::error!(source = %source.name, entry = %label, %message, "Entry left out: normalizing it failed (a bug).");
            return None;
        }
    };
    let hints: Vec<&str> = source.topics.iter().map(String::as_str).collect();
    let analyzed = crate::parse::catch_panic(|| {
        crate::analysis::with_analysis(&item.title, &item.body_text, |analysis| {
            let classification = classifier.classify_analysis(analysis, &item.title, &item.body_text, &hints);
            (crate::stories::story_features(analysis, Some(&classification)), classification)
        })
    });
    match analyzed {
        Ok((features, classification)) => {
            item.story_features = Some(Box::new(features));
            item.classification = Some(Box::new(classification));
        }
        Err(message) => {
            tracing::error!(source = %source.name, entry = %label, %message, "Entry stored untagged: analyzing it failed (a bug).");
        }
    }
    Some(item)
}

/// What fetching needs, shared by every source task of a pass (or of the daemon's life).
pub struct PassContext {
    pub client: reqwest::Client,
    pub politeness: Arc<Politeness>,
    pub store: StoreHandle,
    /// Cancelling it abandons fetches in flight (nothing half-written: a source's results are
    /// stored in one transaction or not at all).
    pub cancel: CancellationToken,
    /// Cancelling it stops fetches that have not sent their request yet (waiting for a slot);
    /// those in flight go on. The daemon's first step of a clean shutdown.
    pub stop_starting: CancellationToken,
    /// `[fetch]`: the schedule policy's bounds and backoffs.
    pub settings: FetchSettings,
    pub metrics: Arc<Metrics>,
    /// Topics and entities of new items.
    pub classifier: Arc<Classifier>,
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
    Deferred { until: Timestamp },
    /// Not fetched: the pass was cancelled first.
    Cancelled,
    /// The fetch failed; the failure is in the fetch log and the next attempt is scheduled.
    Failed { error: String },
    /// The fetch failed before anything could be recorded (the database did not answer).
    FailedUnrecorded { error: String },
}

impl SourceReport {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, SourceOutcome::Failed { .. } | SourceOutcome::FailedUnrecorded { .. })
    }

    /// Whether the store now holds when to fetch this source next (every outcome but a failure
    /// that never reached the store, and a cancelled fetch).
    pub fn recorded_next_fetch(&self) -> bool {
        !matches!(self.outcome, SourceOutcome::FailedUnrecorded { .. } | SourceOutcome::Cancelled)
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
