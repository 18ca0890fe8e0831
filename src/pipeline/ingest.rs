//! A body stored in one transaction: `ingest` of local files (an HTML source's list page is
//! read without following its articles), and large bodies in general.
//!
//! A large feed (a backfill file of thousands of entries) is split into parts (`parse::chunks`)
//! that worker threads parse and normalize while this thread stores the items already done, in
//! document order, so parsing, normalizing and SQLite all run at once and memory stays bounded
//! by the parts in flight. If any part fails to parse, the transaction is rolled back and the
//! whole document is parsed the ordinary way (with repairs), which gives the same items.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use url::Url;
use xxhash_rust::xxh3::xxh3_64;

use crate::classify::Classifier;
use crate::config::{SourceConfig, SourceKind};
use crate::model::{Item, ItemCounts};
use crate::normalize::NormalizeContext;
use crate::parse::chunks::{self, FeedParts};
use crate::parse::{self, ParseError, decode, feed};
use crate::store::{FetchOutcome, FetchRecord, Store, StoreError};

/// Bytes of entries per part: small enough to spread over cores and keep memory flat, large
/// enough that the repeated header costs nothing.
const PART_BYTES: usize = 512 * 1024;
/// Parts waiting to be stored, per worker: bounds memory when SQLite is the slow stage.
const PARTS_IN_FLIGHT_PER_WORKER: usize = 2;

/// Why a body could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Ingests `body` (a local file's bytes) as if fetched from `source`, in one transaction. An
/// unchanged body (same hash as the source's last one) is recognised before parsing.
pub fn ingest_body(
    store: &mut Store,
    classifier: &Classifier,
    source: &SourceConfig,
    body: &[u8],
    label: &str,
    now: Timestamp,
) -> Result<(FetchOutcome, ItemCounts), IngestError> {
    let state = store.source_state(&source.name)?;
    let body_hash = xxh3_64(body) as i64;
    let started = Instant::now();
    let mut record = FetchRecord {
        source_id: state.id,
        started_at: now,
        url: label.to_string(),
        http_status: None,
        bytes: body.len() as u64,
        duration: Duration::ZERO,
        outcome: FetchOutcome::Unchanged,
        error: None,
        etag: None,
        last_modified: None,
        body_hash: Some(body_hash),
        permanent_redirect: None,
        retry_after_until: None,
        next_fetch_at: None,
    };
    if state.body_hash == Some(body_hash) {
        let counts = store.record_fetch(&record, Vec::new(), now)?;
        return Ok((FetchOutcome::Unchanged, counts));
    }
    record.outcome = FetchOutcome::Ok;
    let stored = match source.kind {
        SourceKind::Feed => store_body(store, &record, classifier, source, body, None, &source.url, now)?,
        SourceKind::Html => super::html::store_list_body(store, &record, classifier, source, body, now)?,
    };
    match stored {
        Ok(counts) => Ok((FetchOutcome::Ok, counts)),
        Err(parse_error) => {
            record.outcome = FetchOutcome::Error;
            record.error = Some(parse_error.to_string());
            record.body_hash = None;
            record.duration = started.elapsed();
            store.record_fetch(&record, Vec::new(), now)?;
            Err(parse_error.into())
        }
    }
}

/// Parses, normalizes and stores `body` with `record` in one transaction. The outer error is
/// the store's; the inner one says the body was not a readable feed (nothing is stored then).
#[allow(clippy::too_many_arguments)]
pub fn store_body(
    store: &mut Store,
    record: &FetchRecord,
    classifier: &Classifier,
    source: &SourceConfig,
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    fetched_at: Timestamp,
) -> Result<Result<ItemCounts, ParseError>, StoreError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Err(ParseError::Empty));
    }
    let charset = content_type.and_then(decode::charset_from_content_type);
    let decoded = decode::decode(body, charset);
    if let Some(parts) = chunks::split(&decoded.text, PART_BYTES)
        && let Ok(counts) = store_parts(store, record, classifier, source, &parts, base_url, fetched_at)?
    {
        return Ok(Ok(counts));
    }
    let parsed = match feed::parse_feed_text(&decoded.text, base_url) {
        Ok(parsed) => parsed,
        Err(error) => return Ok(Err(error)),
    };
    let context = NormalizeContext::new(base_url.clone(), fetched_at);
    let items = parsed
        .entries
        .into_iter()
        .filter_map(|entry| super::prepare_item(entry, &context, classifier, source));
    Ok(Ok(store.record_fetch(record, items, fetched_at)?))
}

/// A part that did not parse on its own; the caller falls back to the whole document.
struct PartFailed;

fn store_parts(
    store: &mut Store,
    record: &FetchRecord,
    classifier: &Classifier,
    source: &SourceConfig,
    parts: &FeedParts<'_>,
    base_url: &Url,
    fetched_at: Timestamp,
) -> Result<Result<ItemCounts, PartFailed>, StoreError> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(parts.len());
    let next_part = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel(workers * PARTS_IN_FLIGHT_PER_WORKER);
        for _ in 0..workers {
            let sender = sender.clone();
            let next_part = &next_part;
            scope.spawn(move || {
                let context = NormalizeContext::new(base_url.clone(), fetched_at);
                loop {
                    let index = next_part.fetch_add(1, Ordering::Relaxed);
                    if index >= parts.len() {
                        break;
                    }
                    let items = parse::parse_part(parts.reader(index), base_url).map(|parsed| {
                        parsed
                            .entries
                            .into_iter()
                            .filter_map(|entry| super::prepare_item(entry, &context, classifier, source))
                            .collect()
                    });
                    // The receiver is gone when the store stopped early: nothing left to do.
                    if sender.send((index, items)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let in_order = InOrder {
            receiver,
            waiting: BTreeMap::new(),
            next: 0,
            total: parts.len(),
            current: Vec::new().into_iter(),
        };
        store.record_fetch_fallible(record, in_order, fetched_at)
    })
}

/// Items of the parts in document order, whatever order the workers finish them in.
struct InOrder {
    receiver: mpsc::Receiver<(usize, Option<Vec<Item>>)>,
    waiting: BTreeMap<usize, Option<Vec<Item>>>,
    next: usize,
    total: usize,
    current: std::vec::IntoIter<Item>,
}

impl Iterator for InOrder {
    type Item = Result<Item, PartFailed>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            if self.next == self.total {
                return None;
            }
            let part = match self.waiting.remove(&self.next) {
                Some(part) => part,
                None => loop {
                    match self.receiver.recv() {
                        Ok((index, part)) if index == self.next => break part,
                        Ok((index, part)) => {
                            self.waiting.insert(index, part);
                        }
                        Err(_) => return Some(Err(PartFailed)),
                    }
                },
            };
            self.next += 1;
            match part {
                Some(items) => self.current = items.into_iter(),
                None => return Some(Err(PartFailed)),
            }
        }
    }
}
