//! Everything a fetch writes, in one transaction: its items, their tags, full-text index and
//! stories, the fetch log row and the source's new state. The order of the writes, and what runs
//! beside what, is decided here; each table's statements live in its own module.
//!
//! A new file's first load (`Store::open_for_bulk_load`) builds the story tables' date indexes
//! after their rows, not row by row: [`DeferredIndexes`]. Nothing here parses, decides or classifies.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::StoreError;
use super::sources::{FetchOutcome, FetchRecord};
use crate::classify::Classification;
use crate::model::{Item, ItemCounts, format_time, format_time_millis};

/// Indexes of the story tables that a bulk load builds after placing the items. Not
/// `story_members_by_story`: placing an item that adopts another reads a story's members.
/// Not the tag tables' indexes either: written without them, the tags took 94 -> 58 ms, but
/// building them afterwards took 45 ms of the same thread (medians of twelve timed runs).
const DEFERRED_STORY_INDEXES: &[&str] = &[
    "stories_by_first_published",
    "stories_by_last_published",
    "stories_by_last_stored",
    "story_members_by_joined",
];

/// Everything a fetch writes, in the caller's transaction (see `Store::record_fetch_fallible`).
pub(super) fn write_fetch<E>(
    tx: &Transaction,
    engine: &mut crate::stories::StoryEngine,
    record: &FetchRecord,
    items: impl IntoIterator<Item = Result<Item, E>>,
    fetched_at: Timestamp,
    bulk_load: bool,
) -> Result<Result<ItemCounts, E>, StoreError> {
    let mut failure = None;
    let items = items.into_iter().map_while(|item| match item {
        Ok(item) => Some(item),
        Err(error) => {
            failure = Some(error);
            None
        }
    });
    let (counts, new_items) = super::items::upsert_items(tx, record.source_id, items, fetched_at)?;
    if bulk_load {
        super::start_writeback(tx);
    }
    if let Some(error) = failure {
        // Dropping the transaction rolls back whatever was inserted.
        return Ok(Err(error));
    }
    // Every new item gets its story in the same transaction: an item is never stored
    // without one.
    let stored = format_time(fetched_at);
    let new_ids = new_items.ids();
    // A new file's first load builds some secondary indexes after the rows instead of row by
    // row (see `DeferredIndexes`).
    let deferred_story_indexes = DeferredIndexes::drop_for_bulk_load(tx, bulk_load, DEFERRED_STORY_INDEXES)?;
    for (item, published) in &new_items.without_features {
        super::stories::place_alone(tx, *item, *published, &stored)?;
    }
    // The new items' tags and full-text index are written while the story decisions are made:
    // the decisions wait for the whole document, and the parsing threads are done by then, so
    // writing the tags earlier only took a core from them. The classifications are freed there
    // too (some 100,000 allocations in a 10,000-entry file), not after the decisions.
    let new_tags = new_items.tags;
    let joined = super::placing::place_members(tx, engine, new_items.with_features, &stored, move |tx| {
        let tags: Vec<(i64, &Classification)> =
            new_tags.iter().map(|(item, classification)| (*item, &**classification)).collect();
        super::tags::insert_tags(tx, &tags)?;
        drop(tags);
        drop(new_tags);
        super::items::index_new_items(tx, &new_ids)?;
        if bulk_load {
            super::flush_and_start_writeback(tx)?;
        }
        Ok(())
    })?;
    deferred_story_indexes.rebuild(tx)?;
    tx.execute(
        "INSERT INTO fetches (source_id, started_at, url, http_status, bytes, duration_ms, outcome,
                                  new_items, updated_items, unchanged_items, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            record.source_id,
            format_time(record.started_at),
            record.url,
            record.http_status,
            record.bytes as i64,
            record.duration.as_millis() as i64,
            record.outcome.as_str(),
            counts.new as i64,
            counts.updated as i64,
            counts.unchanged as i64,
            record.error,
        ],
    )?;
    let finished = format_time(record.started_at);
    let retry_after = record.retry_after_until.map(format_time_millis);
    let next_fetch = record.next_fetch_at.map(format_time_millis);
    if record.outcome == FetchOutcome::Error {
        tx.execute(
            "UPDATE sources SET last_fetch_at = ?2, last_status = ?3, last_error = ?4,
                        consecutive_errors = consecutive_errors + 1, retry_after_until = ?5,
                        next_fetch_at = COALESCE(?6, next_fetch_at)
                 WHERE id = ?1",
            params![record.source_id, finished, record.http_status, record.error, retry_after, next_fetch],
        )?;
    } else {
        tx.execute(
                "UPDATE sources SET last_fetch_at = ?2, last_success_at = ?2, last_status = ?3, last_error = NULL,
                        consecutive_errors = 0, retry_after_until = ?9,
                        etag = CASE WHEN ?4 IS NOT NULL OR ?5 IS NOT NULL THEN ?4 ELSE etag END,
                        last_modified = CASE WHEN ?4 IS NOT NULL OR ?5 IS NOT NULL THEN ?5 ELSE last_modified END,
                        body_hash = COALESCE(?6, body_hash),
                        fetch_url = COALESCE(?7, fetch_url),
                        next_fetch_at = COALESCE(?8, next_fetch_at)
                 WHERE id = ?1",
                params![
                    record.source_id,
                    finished,
                    record.http_status,
                    record.etag,
                    record.last_modified,
                    record.body_hash,
                    record.permanent_redirect,
                    next_fetch,
                    // A success can still carry a wait: an HTML source's article answered 429.
                    retry_after,
                ],
            )?;
    }
    Ok(Ok(ItemCounts { joined_stories: joined, ..counts }))
}

/// Secondary indexes dropped for the span of a bulk load and created again before it commits.
///
/// Why: the load inserts its rows in item order, and an index on another column (a date, the
/// time a member joined) takes each row at a random place in its B-tree: a descent and, ever so
/// often, a split of a page in the middle of the tree. Built afterwards, the index is one sort
/// of the finished rows. In a 10,000-entry ingest the placements' writes took some 45 ms less
/// (365 -> 318 ms for all of the second phase's writes, medians of twelve timed runs), and the
/// four index builds 5-8 ms.
///
/// Only when the table is empty: that is when the whole index is this load's rows, and a
/// rebuild costs no more than the rows themselves. The drop and the creation are part of the
/// transaction, so a failed or interrupted load rolls both back with the rows; the definitions
/// are read from the schema, so the index made again is the one the migrations made.
#[must_use = "dropped indexes must be rebuilt before the transaction commits"]
pub(super) struct DeferredIndexes {
    definitions: Vec<String>,
}

impl DeferredIndexes {
    /// Drops the indexes `names` of empty tables, when `bulk_load`; remembers how to make them.
    pub(super) fn drop_for_bulk_load(
        tx: &Transaction,
        bulk_load: bool,
        names: &[&str],
    ) -> Result<DeferredIndexes, StoreError> {
        let mut definitions = Vec::new();
        if !bulk_load {
            return Ok(DeferredIndexes { definitions });
        }
        for name in names {
            let found: Option<(String, String)> = tx
                .prepare_cached("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND name = ?1")?
                .query_row([name], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            let Some((table, definition)) = found else { continue };
            let is_empty: bool =
                tx.query_row(&format!("SELECT NOT EXISTS (SELECT 1 FROM \"{table}\")"), [], |row| {
                    row.get(0)
                })?;
            if is_empty {
                tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
                definitions.push(definition);
            }
        }
        Ok(DeferredIndexes { definitions })
    }

    /// Creates the dropped indexes again, over the rows written since.
    pub(super) fn rebuild(self, tx: &Transaction) -> Result<(), StoreError> {
        for definition in &self.definitions {
            tx.execute_batch(definition)?;
        }
        Ok(())
    }
}
