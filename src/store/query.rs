//! Read queries for the CLI and the HTTP API: items by time, source and full-text search.
//!
//! The SQL text is assembled only from the constant fragments below, one per filter in use, so
//! that SQLite can pick the right index for each combination; every value is a bound parameter.

use jiff::Timestamp;
use rusqlite::OptionalExtension;
use rusqlite::types::Value;

use super::{Store, StoreError};
use crate::model::{display_summary, format_time};

/// Which items to return; newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemFilter {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub sources: Vec<String>,
    /// Only items of these series ("SMM Flash"); empty means any, including none.
    pub series: Vec<String>,
    /// Only items with one of these topics; empty means any.
    pub topics: Vec<String>,
    /// Only items naming every one of these entities (normalized values, see
    /// [`super::normalize_entity`]); empty means any.
    pub entities: Vec<String>,
    /// FTS5 query syntax.
    pub search: Option<String>,
    /// 0 means no limit.
    pub limit: usize,
}

/// An item as the CLI and API print it (the JSON contract).
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct ItemRow {
    pub id: i64,
    pub source: String,
    pub guid: String,
    pub url: Option<String>,
    pub title: String,
    /// The series tag ("SMM Flash"), null when the item has none.
    pub series: Option<String>,
    pub summary: String,
    pub published: String,
    /// Where `published` came from: "feed" (the source's date), "updated", "dateline" (read
    /// from the text) or "fetched" (no usable date: the time lodestone fetched it).
    pub published_from: String,
    pub fetched: String,
    pub updated: Option<String>,
    pub story: Option<i64>,
    pub story_size: Option<i64>,
    pub topics: Vec<TopicScore>,
    pub entities: Vec<EntityValue>,
}

#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct TopicScore {
    pub topic: String,
    pub score: f64,
}

#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct EntityValue {
    pub kind: String,
    pub value: String,
}

pub(super) const SELECT_ITEMS: &str =
    "SELECT i.id, s.name, i.guid, i.url, i.title, i.summary, i.published, i.fetched, i.updated,
            CASE WHEN i.summary IS NULL THEN substr(i.body_text, 1, 400) ELSE '' END, i.series,
            m.story, (SELECT size FROM stories WHERE id = m.story), i.published_from
     FROM items i JOIN sources s ON s.id = i.source_id LEFT JOIN story_members m ON m.item = i.id WHERE 1 = 1";
const BY_ID: &str = " AND i.id = ?";
const SINCE: &str = " AND i.published >= ?";
const UNTIL: &str = " AND i.published < ?";
const IN_SOURCES: &str = " AND s.name IN (SELECT value FROM json_each(?))";
const IN_SERIES: &str = " AND i.series COLLATE NOCASE IN (SELECT value FROM json_each(?))";
const IN_TOPICS: &str =
    " AND i.id IN (SELECT item FROM item_topics WHERE topic IN (SELECT value FROM json_each(?)))";
const NAMES_ENTITY: &str = " AND i.id IN (SELECT item FROM item_entities WHERE normalized = ?)";
const MATCHES_SEARCH: &str = " AND i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)";
pub(super) const NEWEST_FIRST: &str = " ORDER BY i.published DESC, i.id DESC LIMIT ?";

impl Store {
    /// Items matching `filter`, newest first.
    pub fn query_items(&self, filter: &ItemFilter) -> Result<Vec<ItemRow>, StoreError> {
        if filter.search.is_some() && filter.limit > 0 {
            return self.search_newest(filter);
        }
        let (conditions, mut values) = filter_conditions(filter);
        let mut sql = format!("{SELECT_ITEMS}{conditions}");
        if let Some(search) = &filter.search {
            sql.push_str(MATCHES_SEARCH);
            values.push(Value::Text(search.clone()));
        }
        sql.push_str(NEWEST_FIRST);
        values.push(Value::Integer(if filter.limit == 0 { -1 } else { filter.limit as i64 }));
        self.item_rows(&sql, values, filter)
    }

    /// Runs an item SELECT built from the fragments here.
    pub(super) fn item_rows(
        &self,
        sql: &str,
        values: Vec<Value>,
        filter: &ItemFilter,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let mut rows = statement
            .query_map(rusqlite::params_from_iter(values), item_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|error| search_error(error, filter))?;
        self.attach_tags(&mut rows)?;
        Ok(rows)
    }

    /// The item with id `id`, if stored.
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError> {
        let sql = format!("{SELECT_ITEMS}{BY_ID}");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let Some(row) = statement.query_row([id], item_row).optional()? else {
            return Ok(None);
        };
        let mut rows = [row];
        self.attach_tags(&mut rows)?;
        let [row] = rows;
        Ok(Some(row))
    }

    /// How many items of source `source_id` were published at or after `since`.
    pub fn items_published_since(&self, source_id: i64, since: Timestamp) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM items WHERE source_id = ?1 AND published >= ?2",
            rusqlite::params![source_id, format_time(since)],
            |row| row.get(0),
        )?)
    }

    /// The number of stored items.
    pub fn item_count(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0))?)
    }
}

/// The WHERE conditions (after `WHERE 1 = 1`) for every filter but the search, and their values.
pub(super) fn filter_conditions(filter: &ItemFilter) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    if let Some(since) = filter.since {
        sql.push_str(SINCE);
        values.push(Value::Text(format_time(since)));
    }
    if let Some(until) = filter.until {
        sql.push_str(UNTIL);
        values.push(Value::Text(format_time(until)));
    }
    if !filter.sources.is_empty() {
        sql.push_str(IN_SOURCES);
        values.push(Value::Text(serde_json::to_string(&filter.sources).unwrap_or_default()));
    }
    if !filter.series.is_empty() {
        sql.push_str(IN_SERIES);
        values.push(Value::Text(serde_json::to_string(&filter.series).unwrap_or_default()));
    }
    if !filter.topics.is_empty() {
        sql.push_str(IN_TOPICS);
        values.push(Value::Text(serde_json::to_string(&filter.topics).unwrap_or_default()));
    }
    for entity in &filter.entities {
        sql.push_str(NAMES_ENTITY);
        values.push(Value::Text(entity.clone()));
    }
    (sql, values)
}

pub(super) fn item_row(row: &rusqlite::Row) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: row.get(0)?,
        source: row.get(1)?,
        guid: row.get(2)?,
        url: row.get(3)?,
        title: row.get(4)?,
        summary: display_summary(row.get::<_, Option<String>>(5)?.as_deref(), &row.get::<_, String>(9)?),
        published: row.get(6)?,
        published_from: row.get(13)?,
        fetched: row.get(7)?,
        updated: row.get(8)?,
        series: row.get(10)?,
        story: row.get(11)?,
        story_size: row.get(12)?,
        topics: Vec::new(),
        entities: Vec::new(),
    })
}

/// An FTS5 syntax error is the user's search text at fault, not a database failure. FTS5
/// reports all of them as a plain SQLITE_ERROR with a message ("unterminated string", "syntax
/// error near …"), which a query without a search never produces.
pub(super) fn search_error(error: rusqlite::Error, filter: &ItemFilter) -> StoreError {
    match (&filter.search, &error) {
        (Some(expression), rusqlite::Error::SqliteFailure(failure, message))
            if failure.extended_code == 1 =>
        {
            StoreError::BadSearch {
                expression: expression.clone(),
                message: message.clone().unwrap_or_else(|| error.to_string()),
            }
        }
        _ => StoreError::Sqlite(error),
    }
}
