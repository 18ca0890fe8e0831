//! Items: insert new ones, update changed ones in place (same row, same id), leave the rest.
//!
//! Identity is (source, guid). Called inside the transaction of a fetch, never on its own, so a
//! batch of items is all stored or not at all.

use std::collections::HashSet;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::StoreError;
use crate::model::{DateOrigin, Item, ItemCounts, format_time};

/// Stores `items` of source `source_id`. An entry already stored with the same content hash is
/// left alone; with a different hash its row is updated and `updated` set to `fetched_at`.
/// Within one batch the first entry with a given guid wins (some feeds repeat entries).
pub(super) fn upsert_items(
    tx: &Transaction,
    source_id: i64,
    items: impl IntoIterator<Item = Item>,
    fetched_at: Timestamp,
) -> Result<ItemCounts, StoreError> {
    let fetched = format_time(fetched_at);
    let mut find = tx.prepare_cached(
        "SELECT id, content_hash, published, published_from FROM items WHERE source_id = ?1 AND guid = ?2",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO items (source_id, guid, url, title, summary, body_text, body_html, author,
                            published, published_from, fetched, content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE items SET url = ?2, title = ?3, summary = ?4, body_text = ?5, body_html = ?6, author = ?7,
                          published = ?8, published_from = ?9, content_hash = ?10, updated = ?11
         WHERE id = ?1",
    )?;
    let mut counts = ItemCounts::default();
    let mut seen_guids = HashSet::new();
    for item in items {
        if !seen_guids.insert(item.guid.clone()) {
            continue;
        }
        let existing = find
            .query_row(params![source_id, item.guid], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .optional()?;
        match existing {
            None => {
                insert.execute(params![
                    source_id,
                    item.guid,
                    item.url,
                    item.title,
                    item.summary,
                    item.body_text,
                    item.body_html,
                    item.author,
                    format_time(item.published),
                    item.published_from.as_str(),
                    fetched,
                    item.content_hash,
                ])?;
                counts.new += 1;
            }
            Some((_, stored_hash, _, _)) if stored_hash == item.content_hash => {
                counts.unchanged += 1
            }
            Some((id, _, stored_published, stored_origin)) => {
                // A fallback date (the fetch time) must not move forward on every edit.
                let (published, origin) = if item.published_from == DateOrigin::Fetched {
                    (stored_published, stored_origin)
                } else {
                    (
                        format_time(item.published),
                        item.published_from.as_str().to_string(),
                    )
                };
                update.execute(params![
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
                ])?;
                counts.updated += 1;
            }
        }
    }
    Ok(counts)
}
