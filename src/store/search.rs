//! Full-text search, newest first, without sorting every match.
//!
//! A common word matches most items; fetching all of them to sort by date is what makes a naive
//! search slow. FTS5 can walk its matches in descending rowid order cheaply, and rowid (the
//! order items were stored) nearly always follows the publication date. So: take the newest
//! matches by rowid (a few times the limit), sort those by date, and then *prove* the answer
//! exact by checking that no item stored earlier was published after the last one kept. In the
//! rare case the proof fails (re-dated or future-dated items), the exact plan runs: the date
//! index walked newest first, probing the set of matches.

use rusqlite::OptionalExtension;
use rusqlite::types::Value;

use super::query::{ItemFilter, ItemRow, NEWEST_FIRST, SELECT_ITEMS, filter_conditions, search_error};
use super::{Store, StoreError};

/// Candidates taken by rowid, as a multiple of the limit (at least `MIN_CANDIDATES`).
const CANDIDATE_FACTOR: usize = 8;
const MIN_CANDIDATES: usize = 400;

const CANDIDATES_HEAD: &str = "SELECT i.id, i.published FROM items_fts f JOIN items i ON i.id = f.rowid
     JOIN sources s ON s.id = i.source_id WHERE items_fts MATCH ?";
const CANDIDATES_TAIL: &str = " ORDER BY f.rowid DESC LIMIT ?";
const VALIDATE_SEARCH: &str = "SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT 1";
const IN_IDS: &str = " AND i.id IN (SELECT value FROM json_each(?))";
const STORED_EARLIER_BUT_NEWER: &str =
    "SELECT 1 FROM items INDEXED BY items_by_published WHERE published > ?1 AND id < ?2 LIMIT 1";
const EXACT_HEAD: &str =
    "SELECT i.id, s.name, i.guid, i.url, i.title, i.summary, i.published, i.fetched, i.updated,
            CASE WHEN i.summary IS NULL THEN substr(i.body_text, 1, 400) ELSE '' END, i.series,
            m.story, (SELECT size FROM stories WHERE id = m.story), i.published_from
     FROM items i INDEXED BY items_by_published JOIN sources s ON s.id = i.source_id
     LEFT JOIN story_members m ON m.item = i.id
     WHERE i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)";

impl Store {
    /// `filter` with a search and a limit: the newest `limit` matches.
    pub(super) fn search_newest(&self, filter: &ItemFilter) -> Result<Vec<ItemRow>, StoreError> {
        let search = filter.search.clone().unwrap_or_default();
        // FTS5 parses the expression when it first runs; the join below may never run it (no
        // rows to join), so a syntax error is surfaced here, on its own, cheaply.
        self.conn
            .prepare_cached(VALIDATE_SEARCH)?
            .query_row([&search], |_| Ok(()))
            .optional()
            .map_err(|error| search_error(error, filter))?;
        let (conditions, condition_values) = filter_conditions(filter);
        let wanted = CANDIDATE_FACTOR.saturating_mul(filter.limit).max(MIN_CANDIDATES);
        let sql = format!("{CANDIDATES_HEAD}{conditions}{CANDIDATES_TAIL}");
        let mut values = vec![Value::Text(search.clone())];
        values.extend(condition_values.iter().cloned());
        values.push(Value::Integer(wanted as i64 + 1));
        let mut candidates: Vec<(i64, String)> = {
            let mut statement = self.conn.prepare_cached(&sql)?;
            statement
                .query_map(rusqlite::params_from_iter(values), |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|error| search_error(error, filter))?
        };
        let all_matches = candidates.len() <= wanted;
        let oldest_candidate = candidates.iter().map(|(id, _)| *id).min().unwrap_or(0);
        candidates.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        candidates.truncate(filter.limit);
        let exact = all_matches
            || candidates.len() < filter.limit
            || !self.stored_earlier_but_newer(&candidates[candidates.len() - 1].1, oldest_candidate)?;
        if exact {
            let ids: Vec<i64> = candidates.iter().map(|(id, _)| *id).collect();
            let sql = format!("{SELECT_ITEMS}{IN_IDS}{NEWEST_FIRST}");
            let values = vec![
                Value::Text(serde_json::to_string(&ids).unwrap_or_default()),
                Value::Integer(filter.limit as i64),
            ];
            return self.item_rows(&sql, values, filter);
        }
        let sql = format!("{EXACT_HEAD}{conditions}{NEWEST_FIRST}");
        let mut values = vec![Value::Text(search)];
        values.extend(condition_values);
        values.push(Value::Integer(filter.limit as i64));
        self.item_rows(&sql, values, filter)
    }

    /// Whether some item stored before `id` was published after `published`: then rowid order
    /// and date order disagree and the candidates may miss a newer match.
    fn stored_earlier_but_newer(&self, published: &str, id: i64) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn
            .query_row(STORED_EARLIER_BUT_NEWER, rusqlite::params![published, id], |row| row.get(0))
            .optional()?;
        Ok(found.is_some())
    }
}
