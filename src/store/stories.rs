//! Stories in SQLite: the window and document frequencies loaded for placing (and loaded again
//! when another connection has written; `placing` writes the decisions), the story id counter,
//! a lone item's story, the canonical item, and `restory`.
//!
//! The decisions are `stories`' (pure); this file persists them. The in-memory window lives in
//! [`Store`] beside the connection, as a cache of these tables.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError};
use crate::model::format_time;
use crate::stories::vector::{MAX_TERMS_IN_MEMORY, TERMS_KEPT};
use crate::stories::{DocumentFrequencies, NewMember, StoryEngine};

/// Makes the window cover what items published at `oldest` can match: on first use the
/// document frequencies and the recent items; for a backfill, the older period too. Then drops
/// what no new item can match any more.
pub(super) fn ensure_window(
    tx: &Transaction,
    engine: &mut StoryEngine,
    oldest: i64,
) -> Result<(), StoreError> {
    // Another process may have written since (a CLI fetch beside the daemon): the window and
    // the frequencies are a cache of the tables, and the frequencies are stored whole, so a
    // stale copy would write its old counts over the other's.
    let version: i64 = tx.query_row("PRAGMA data_version", [], |row| row.get(0))?;
    if engine.database_version.is_some_and(|seen| seen != version) {
        engine.forget();
    }
    engine.database_version = Some(version);
    let now = Timestamp::now().as_second();
    if engine.complete_from.is_none() {
        engine.frequencies = load_term_frequencies(tx)?;
        let recent_from = now.min(oldest) - engine.settings.span_seconds;
        load_window(tx, engine, recent_from, None)?;
        engine.mark_complete_from(recent_from);
    }
    if let Some((from, to)) = engine.missing_range(oldest) {
        load_window(tx, engine, from, Some(to))?;
        engine.mark_complete_from(from);
    }
    engine.evict(oldest, now);
    Ok(())
}

fn load_window(
    tx: &Transaction,
    engine: &mut StoryEngine,
    from: i64,
    to: Option<i64>,
) -> Result<(), StoreError> {
    if engine.classifier.is_none() {
        tracing::warn!("Rebuilding the story window without a classifier: entity facts are missing.");
    }
    let time = |seconds: i64| format_time(Timestamp::from_second(seconds).unwrap_or_default());
    let mut statement = tx.prepare_cached(
        "SELECT i.id, m.story, i.source_id, i.published, i.title, i.body_text, COALESCE(s.size, 0)
         FROM items i INDEXED BY items_by_published JOIN story_members m ON m.item = i.id
         LEFT JOIN stories s ON s.id = m.story
         WHERE i.published >= ?1 AND (?2 IS NULL OR i.published < ?2) ORDER BY i.published, i.id",
    )?;
    let rows = statement.query_map(params![time(from), to.map(time)], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, i64>(6)?,
        ))
    })?;
    let mut stored_sizes: HashMap<i64, i64> = HashMap::new();
    for row in rows {
        let (item, story, source, published, title, body_text, size) = row?;
        // The same text gives the same features as when the item was stored.
        let features = engine.features_of(&title, &body_text, &[]);
        let published = published.parse::<Timestamp>().map(|time| time.as_second()).unwrap_or(from);
        engine.remember(NewMember { item, source, published, features }, story);
        stored_sizes.insert(story, size);
    }
    // A story's members published before the window are not loaded, but count: its size is
    // what tells a lone item's story from one that only looks lone in the window.
    for (story, size) in stored_sizes {
        engine.window.set_stored_size(story, usize::try_from(size).unwrap_or(0));
    }
    Ok(())
}

fn load_term_frequencies(tx: &Transaction) -> Result<DocumentFrequencies, StoreError> {
    let documents: u32 = tx.query_row("SELECT COUNT(*) FROM story_signatures", [], |row| row.get(0))?;
    let terms: i64 = tx.query_row("SELECT COUNT(*) FROM term_frequencies", [], |row| row.get(0))?;
    if terms > MAX_TERMS_IN_MEMORY as i64 {
        // A table from before the bound (every term ever seen): once, keep the commonest.
        tx.execute(
            "DELETE FROM term_frequencies WHERE term NOT IN
                (SELECT term FROM term_frequencies ORDER BY documents DESC, term LIMIT ?1)",
            [TERMS_KEPT as i64],
        )?;
    }
    let mut statement = tx.prepare("SELECT term, documents FROM term_frequencies")?;
    let rows = statement.query_map([], |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, u32>(1)?)))?;
    let mut failure = None;
    let counts = rows.map_while(|row| row.map_err(|error| failure = Some(error)).ok());
    let frequencies = DocumentFrequencies::from_counts(counts, documents);
    match failure {
        Some(error) => Err(error.into()),
        None => Ok(frequencies),
    }
}

/// Stores document frequencies as (term, count) rows, in key order; count 0 drops the term.
/// The table holds what the in-memory frequencies hold, no more (see `DocumentFrequencies`).
pub(super) fn write_term_frequencies(tx: &Transaction, rows: &[(i64, u32)]) -> Result<(), StoreError> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO term_frequencies (term, documents) VALUES (?1, ?2)
         ON CONFLICT (term) DO UPDATE SET documents = excluded.documents",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM term_frequencies WHERE term = ?1")?;
    for (term, count) in rows {
        if *count == 0 {
            delete.execute([term])?;
        } else {
            upsert.execute(params![term, count])?;
        }
    }
    Ok(())
}

/// Gives an item without story features a story of its own (nothing to match it on).
pub(super) fn place_alone(
    tx: &Transaction,
    item: i64,
    published: Timestamp,
    stored: &str,
) -> Result<(), StoreError> {
    let story = next_story_id(tx)?;
    set_next_story_id(tx, story + 1)?;
    insert_story(tx, story, item, &format_time(published), stored)?;
    insert_member(tx, item, story, (1.0, "first", None), stored)
}

/// A new story of one member: (id, canonical item, published, stored).
pub(super) const INSERT_STORY: &str = "INSERT INTO stories (id, canonical_item, first_published, last_published, first_stored, last_stored, size)
     VALUES (?1, ?2, ?3, ?3, ?4, ?4, 1)";
/// A membership: (item, story, score, reason, matched item, joined).
pub(super) const INSERT_MEMBER: &str = "INSERT INTO story_members (item, story, score, reason, matched_item, joined) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// A new story of one item, `story` its id from [`next_story_id`].
pub(super) fn insert_story(
    tx: &Transaction,
    story: i64,
    item: i64,
    published: &str,
    stored: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(INSERT_STORY)?.execute(params![story, item, published, stored])?;
    Ok(())
}

/// An item's membership: its score, the reason it joined and the item it matched.
pub(super) fn insert_member(
    tx: &Transaction,
    item: i64,
    story: i64,
    (score, reason, matched_item): (f32, &str, Option<i64>),
    stored: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(INSERT_MEMBER)?.execute(params![
        item,
        story,
        f64::from(score),
        reason,
        matched_item,
        stored
    ])?;
    Ok(())
}

/// The canonical item: the highest source priority, then the richest body (longest text), then
/// the earliest published. Only the new member can displace the current canonical item, so the
/// two are compared, whatever the size of the story.
pub(super) fn update_canonical(tx: &Transaction, story: i64, new_member: i64) -> Result<(), StoreError> {
    let rank = |item: i64| -> Result<Option<(i64, i64, String, i64)>, StoreError> {
        Ok(tx
            .prepare_cached(
                "SELECT s.priority, length(i.body_text), i.published, i.id FROM items i JOIN sources s ON s.id = i.source_id
                 WHERE i.id = ?1",
            )?
            .query_row([item], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .optional()?)
    };
    let current: Option<i64> = tx
        .prepare_cached("SELECT canonical_item FROM stories WHERE id = ?1")?
        .query_row([story], |row| row.get(0))
        .optional()?;
    let (Some(current), Some(candidate)) = (current.map(rank).transpose()?.flatten(), rank(new_member)?)
    else {
        return Ok(());
    };
    // Higher priority, longer body, earlier date, lower id: the order of preference.
    let better =
        (candidate.0, candidate.1, std::cmp::Reverse(candidate.2.clone()), std::cmp::Reverse(candidate.3))
            > (current.0, current.1, std::cmp::Reverse(current.2.clone()), std::cmp::Reverse(current.3));
    if better {
        tx.prepare_cached("UPDATE stories SET canonical_item = ?2 WHERE id = ?1")?
            .execute(params![story, new_member])?;
    }
    Ok(())
}

impl Store {
    /// The in-memory story state (window, frequencies, settings).
    pub fn story_engine(&mut self) -> &mut StoryEngine {
        &mut self.stories
    }
}

/// What `restory` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestoryReport {
    pub items: usize,
    pub stories_removed: usize,
    /// Items that joined a story (the rest started one).
    pub joined: usize,
}

/// Items are re-placed in batches of this many, oldest first, so memory stays bounded.
const RESTORY_BATCH: usize = 2000;

impl Store {
    /// Recomputes the stories of the items published at or after `since` (every item when
    /// None), in publication order, with the current settings; the items themselves are not
    /// touched. Stories wholly before `since` keep their ids. One transaction.
    pub fn restory(&mut self, since: Option<Timestamp>) -> Result<RestoryReport, StoreError> {
        let from = format_time(since.unwrap_or(Timestamp::UNIX_EPOCH));
        let stored = format_time(Timestamp::now());
        let tx = self.conn.transaction()?;
        let result = restory_in(&tx, &mut self.stories, &from, &stored);
        let result = result.and_then(|report| tx.commit().map(|()| report).map_err(StoreError::from));
        // The window and frequencies were rebuilt around the removed memberships: reload them.
        self.stories.forget();
        result
    }
}

fn restory_in(
    tx: &Transaction,
    engine: &mut StoryEngine,
    from: &str,
    stored: &str,
) -> Result<RestoryReport, StoreError> {
    let mut report = RestoryReport::default();
    // Take the items out of their stories, and their terms out of the frequencies.
    let mut decrements: HashMap<u64, i64> = HashMap::new();
    {
        let mut statement = tx.prepare(
            "SELECT i.title, i.body_text FROM items i JOIN story_signatures g ON g.item = i.id WHERE i.published >= ?1",
        )?;
        let rows =
            statement.query_map([from], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        for row in rows {
            let (title, body_text) = row?;
            for (term, _) in engine.features_of(&title, &body_text, &[]).terms {
                *decrements.entry(term).or_default() += 1;
            }
        }
    }
    let mut decrement =
        tx.prepare_cached("UPDATE term_frequencies SET documents = documents - ?2 WHERE term = ?1")?;
    for (term, count) in decrements {
        decrement.execute(params![term as i64, count])?;
    }
    tx.execute("DELETE FROM term_frequencies WHERE documents <= 0", [])?;
    let affected = "(SELECT id FROM items WHERE published >= ?1)";
    tx.execute(&format!("DELETE FROM story_signatures WHERE item IN {affected}"), [from])?;
    let touched: Vec<i64> = {
        let sql = format!("SELECT DISTINCT story FROM story_members WHERE item IN {affected}");
        let mut statement = tx.prepare(&sql)?;
        let rows = statement.query_map([from], |row| row.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    tx.execute(&format!("DELETE FROM story_members WHERE item IN {affected}"), [from])?;
    for story in touched {
        if after_members_left(tx, story)? {
            report.stories_removed += 1;
        }
    }
    // Place them again, oldest first, in batches.
    engine.forget();
    let mut after: (String, i64) = (from.to_string(), i64::MIN);
    loop {
        let batch: Vec<NewMember> = {
            let mut statement = tx.prepare_cached(
                "SELECT id, source_id, published, title, body_text FROM items
                 WHERE published >= ?1 AND (published > ?1 OR id > ?2) ORDER BY published, id LIMIT ?3",
            )?;
            let rows = statement.query_map(params![after.0, after.1, RESTORY_BATCH as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })?;
            let mut batch = Vec::new();
            for row in rows {
                let (item, source, published, title, body_text) = row?;
                after = (published.clone(), item);
                let published =
                    published.parse::<Timestamp>().map(|time| time.as_second()).unwrap_or_default();
                batch.push(NewMember {
                    item,
                    source,
                    published,
                    features: engine.features_of(&title, &body_text, &[]),
                });
            }
            batch
        };
        if batch.is_empty() {
            break;
        }
        report.items += batch.len();
        report.joined += super::placing::place_members(tx, engine, batch, stored, |_| Ok(()))?;
    }
    Ok(report)
}

/// The id the next new story gets (migration 07: ids are never given twice).
pub(super) fn next_story_id(tx: &Transaction) -> Result<i64, StoreError> {
    Ok(tx.prepare_cached("SELECT next_id FROM story_ids")?.query_row([], |row| row.get(0))?)
}

pub(super) fn set_next_story_id(tx: &Transaction, next: i64) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE story_ids SET next_id = ?1")?.execute([next])?;
    Ok(())
}

/// After members left `story`: deletes it if none is left (true), or recomputes its size,
/// dates and canonical item from those that stay. The window sees only a story's members of the
/// last 72 h, so a story it takes for a lone item can still have older members; deleting it
/// then would leave them naming no story (references are checked, not enforced: see `prepare`).
pub(super) fn after_members_left(tx: &Transaction, story: i64) -> Result<bool, StoreError> {
    let remaining: i64 =
        tx.query_row("SELECT COUNT(*) FROM story_members WHERE story = ?1", [story], |row| row.get(0))?;
    if remaining == 0 {
        tx.prepare_cached("DELETE FROM stories WHERE id = ?1")?.execute([story])?;
        return Ok(true);
    }
    recompute_story(tx, story)?;
    Ok(false)
}

/// Size, dates and canonical item of a story, recomputed from its members.
pub(super) fn recompute_story(tx: &Transaction, story: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE stories SET
            size = (SELECT COUNT(*) FROM story_members WHERE story = ?1),
            first_published = (SELECT MIN(i.published) FROM story_members m JOIN items i ON i.id = m.item WHERE m.story = ?1),
            last_published = (SELECT MAX(i.published) FROM story_members m JOIN items i ON i.id = m.item WHERE m.story = ?1),
            canonical_item = (SELECT m.item FROM story_members m JOIN items i ON i.id = m.item JOIN sources s ON s.id = i.source_id
                              WHERE m.story = ?1 ORDER BY s.priority DESC, length(i.body_text) DESC, i.published, i.id LIMIT 1)
         WHERE id = ?1",
        [story],
    )?;
    Ok(())
}
