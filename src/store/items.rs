//! Items: insert new ones, update changed ones in place (same row, same id), leave the rest.
//!
//! Identity is (source, guid). Called inside the transaction of a fetch, never on its own, so a
//! batch of items is all stored or not at all.
//!
//! New items are inserted in multi-row statements of up to [`CHUNK`] rows; their tags are
//! handed back ([`NewItems::tags`]) to be written once all items are in, and they are added to
//! the FTS index in one statement ([`index_new_items`]); updates reach the index through
//! triggers and are tagged at once. FTS5 flushes its pending terms at every statement
//! savepoint, so indexing row by row (an insert trigger) wrote a small segment per statement;
//! one statement writes them once, whatever statements follow.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Transaction, params};

use super::{Store, StoreError};
use crate::classify::Classification;
use crate::model::{DateOrigin, Item, ItemCounts, format_time};
use crate::stories::NewMember;

/// Rows per multi-row INSERT (13 parameters a row, well under SQLite's limit of 32766).
const CHUNK: usize = 256;
const INSERT_HEAD: &str =
    "INSERT INTO items (source_id, guid, url, title, summary, body_text, body_html, author,
                            published, published_from, fetched, content_hash, series) VALUES ";
const INSERT_ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const INSERT_RETURNING: &str = " RETURNING guid, id";

/// Stores `items` of source `source_id`. An entry already stored with the same content hash is
/// left alone; with a different hash its row is updated and `updated` set to `fetched_at`.
/// Within one batch the first entry with a given guid wins (some feeds repeat entries).
pub(super) fn upsert_items(
    tx: &Transaction,
    source_id: i64,
    items: impl IntoIterator<Item = Item>,
    fetched_at: Timestamp,
) -> Result<(ItemCounts, NewItems), StoreError> {
    let fetched = format_time(fetched_at);
    let mut counts = ItemCounts::default();
    let mut new_items = NewItems::default();
    let mut seen_guids = HashSet::new();
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunk.clear();
        for item in items.by_ref() {
            if seen_guids.insert(item.guid.clone()) {
                chunk.push(item);
                if chunk.len() == CHUNK {
                    break;
                }
            }
        }
        counts.add(store_chunk(tx, source_id, &mut chunk, &fetched, &mut new_items)?);
    }
    Ok((counts, new_items))
}

/// The items a transaction added, for story placement: with their story features, or (stored
/// without) by id and date; and their tags, written once all items are in.
#[derive(Default)]
pub(super) struct NewItems {
    pub with_features: Vec<NewMember>,
    pub without_features: Vec<(i64, Timestamp)>,
    pub tags: Vec<(i64, Box<Classification>)>,
}

impl NewItems {
    pub fn ids(&self) -> Vec<i64> {
        let with_features = self.with_features.iter().map(|member| member.item);
        with_features.chain(self.without_features.iter().map(|(item, _)| *item)).collect()
    }
}

/// Adds items stored in this transaction to the full-text index, in one statement, and writes
/// the index out. Called after the items' other rows: FTS5 flushes pending terms at every
/// statement savepoint, so indexing before the tag statements would write them in many small
/// segments (migration 06).
///
/// The flush is asked for here, with an empty savepoint, rather than left to happen: otherwise
/// the next statement that opens a savepoint pays it, and in a bulk ingest that was the first
/// write after the story decisions, where the flush (a fiftieth of the whole ingest) waited for
/// them instead of being done while they were made.
pub(super) fn index_new_items(tx: &Transaction, ids: &[i64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO items_fts (rowid, title, summary, body_text)
         SELECT id, title, summary, body_text FROM items WHERE id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([serde_json::to_string(&ids).unwrap_or_default()])?;
    tx.execute_batch("SAVEPOINT flush_full_text; RELEASE flush_full_text;")?;
    Ok(())
}

impl Store {
    /// Which of `guids` source `source_id` has stored already. An HTML source asks before it
    /// fetches article pages, so that an article is fetched once, when it is new.
    pub fn existing_guids(&self, source_id: i64, guids: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT guid FROM items WHERE source_id = ?1 AND guid IN (SELECT value FROM json_each(?2))",
        )?;
        let guid_list = serde_json::to_string(guids).unwrap_or_default();
        let rows = statement.query_map(params![source_id, guid_list], |row| row.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// What is stored already for a guid: id, content hash, published and its origin.
type Existing = (i64, i64, String, String);

fn store_chunk(
    tx: &Transaction,
    source_id: i64,
    chunk: &mut Vec<Item>,
    fetched: &str,
    added: &mut NewItems,
) -> Result<ItemCounts, StoreError> {
    let mut counts = ItemCounts::default();
    let existing = find_existing(tx, source_id, chunk)?;
    let mut new_items = Vec::with_capacity(chunk.len());
    let mut updated_tags = Vec::new();
    for item in chunk.drain(..) {
        match existing.get(&item.guid) {
            None => new_items.push(item),
            Some((_, stored_hash, _, _)) if *stored_hash == item.content_hash => counts.unchanged += 1,
            Some(stored) => {
                update_item(tx, stored, &item, fetched)?;
                // New content, new tags; the item keeps its story (see ARCHITECTURE.md).
                if let Some(classification) = item.classification {
                    updated_tags.push((stored.0, *classification));
                }
                counts.updated += 1;
            }
        }
    }
    let borrowed: Vec<(i64, &Classification)> = updated_tags.iter().map(|(id, tags)| (*id, tags)).collect();
    super::tags::replace_tags(tx, &borrowed)?;
    counts.new = new_items.len();
    if !new_items.is_empty() {
        let ids = insert_items(tx, source_id, &new_items, fetched)?;
        for mut item in new_items {
            let Some(id) = ids.get(&item.guid).copied() else { continue };
            if let Some(mut classification) = item.classification.take() {
                // Held until the tags are written; the story facts are not tags.
                classification.facts = Default::default();
                added.tags.push((id, classification));
            }
            match item.story_features.take() {
                Some(features) => added.with_features.push(NewMember {
                    item: id,
                    source: source_id,
                    published: item.published.as_second(),
                    features: *features,
                }),
                None => added.without_features.push((id, item.published)),
            }
        }
    }
    Ok(counts)
}

fn find_existing(
    tx: &Transaction,
    source_id: i64,
    chunk: &[Item],
) -> Result<HashMap<String, Existing>, StoreError> {
    let guids: Vec<&str> = chunk.iter().map(|item| item.guid.as_str()).collect();
    let mut statement = tx.prepare_cached(
        "SELECT guid, id, content_hash, published, published_from FROM items
         WHERE source_id = ?1 AND guid IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = statement
        .query_map(params![source_id, serde_json::to_string(&guids).unwrap_or_default()], |row| {
            Ok((row.get::<_, String>(0)?, (row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
        })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Inserts `items` and returns their ids by guid.
fn insert_items<'a>(
    tx: &Transaction,
    source_id: i64,
    items: &'a [Item],
    fetched: &'a str,
) -> Result<HashMap<String, i64>, StoreError> {
    let mut sql = String::with_capacity(INSERT_HEAD.len() + items.len() * (INSERT_ROW.len() + 2));
    sql.push_str(INSERT_HEAD);
    for index in 0..items.len() {
        if index > 0 {
            sql.push_str(", ");
        }
        sql.push_str(INSERT_ROW);
    }
    sql.push_str(INSERT_RETURNING);
    // The texts are bound borrowed: copying them all first (about 20 MB for a 10,000-entry
    // file) cost the writer a twentieth of its time.
    let text = |value: &'a str| ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes()));
    let optional = |value: &'a Option<String>| value.as_deref().map_or(ToSqlOutput::Owned(Value::Null), text);
    let mut values: Vec<ToSqlOutput<'a>> = Vec::with_capacity(items.len() * 13);
    for item in items {
        values.extend([
            ToSqlOutput::Owned(Value::Integer(source_id)),
            text(&item.guid),
            optional(&item.url),
            text(&item.title),
            optional(&item.summary),
            text(&item.body_text),
            text(&item.body_html),
            optional(&item.author),
            ToSqlOutput::Owned(Value::Text(format_time(item.published))),
            text(item.published_from.as_str()),
            text(fetched),
            ToSqlOutput::Owned(Value::Integer(item.content_hash)),
            optional(&item.series),
        ]);
    }
    let mut statement = tx.prepare_cached(&sql)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(values), |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn update_item(tx: &Transaction, stored: &Existing, item: &Item, fetched: &str) -> Result<(), StoreError> {
    let (id, _, stored_published, stored_origin) = stored;
    // A fallback date (the fetch time) must not move forward on every edit.
    let (published, origin) = if item.published_from == DateOrigin::Fetched {
        (stored_published.clone(), stored_origin.clone())
    } else {
        (format_time(item.published), item.published_from.as_str().to_string())
    };
    tx.prepare_cached(
        "UPDATE items SET url = ?2, title = ?3, summary = ?4, body_text = ?5, body_html = ?6, author = ?7,
                          published = ?8, published_from = ?9, content_hash = ?10, updated = ?11,
                          series = ?12
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        item.url,
        item.title,
        item.summary,
        item.body_text,
        item.body_html,
        item.author,
        published,
        origin,
        item.content_hash,
        fetched,
        item.series,
    ])?;
    Ok(())
}
