//! Story queries: stories matching the item filters (newest first), one story, its members with
//! the reason each joined.

use rusqlite::OptionalExtension;
use rusqlite::types::Value;

use super::query::{ItemFilter, TopicScore, filter_conditions, search_error};
use super::{Store, StoreError};

/// A story as the CLI and API print it (the JSON contract).
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct StoryRow {
    pub story: i64,
    /// The canonical item's title.
    pub title: String,
    /// The canonical item's URL.
    pub url: Option<String>,
    pub canonical_item: i64,
    /// The earliest and latest `published` of its items.
    pub first_seen: String,
    pub last_seen: String,
    pub size: i64,
    /// Source names, the canonical item's first.
    pub sources: Vec<String>,
    pub topics: Vec<TopicScore>,
    /// Item ids, oldest first.
    pub items: Vec<i64>,
}

/// One member of a story and why it joined.
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct MemberRow {
    pub item: i64,
    pub source: String,
    pub published: String,
    pub title: String,
    pub url: Option<String>,
    /// first | exact | flash-reference | near-copy | rewrite
    pub reason: String,
    pub score: f64,
    /// The item it was matched with.
    pub matched_item: Option<i64>,
    pub canonical: bool,
}

const MATCHING_STORIES_HEAD: &str = "SELECT st.id FROM stories st WHERE st.id IN (
     SELECT m.story FROM story_members m JOIN items i ON i.id = m.item JOIN sources s ON s.id = i.source_id
     WHERE 1 = 1";
const MATCHING_SEARCH: &str = " AND i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)";
const MATCHING_STORIES_TAIL: &str = ") ORDER BY st.last_published DESC, st.id DESC LIMIT ?";

impl Store {
    /// Stories with at least one item matching `filter`, latest first.
    pub fn query_stories(&self, filter: &ItemFilter) -> Result<Vec<StoryRow>, StoreError> {
        let (conditions, mut values) = filter_conditions(filter);
        let mut sql = format!("{MATCHING_STORIES_HEAD}{conditions}");
        if let Some(search) = &filter.search {
            sql.push_str(MATCHING_SEARCH);
            values.push(Value::Text(search.clone()));
        }
        sql.push_str(MATCHING_STORIES_TAIL);
        values.push(Value::Integer(if filter.limit == 0 { -1 } else { filter.limit as i64 }));
        let ids: Vec<i64> = {
            let mut statement = self.conn.prepare_cached(&sql)?;
            statement
                .query_map(rusqlite::params_from_iter(values), |row| row.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|error| search_error(error, filter))?
        };
        let mut stories = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(story) = self.story(id)? {
                stories.push(story);
            }
        }
        Ok(stories)
    }

    /// The story with id `id`, if any.
    pub fn story(&self, id: i64) -> Result<Option<StoryRow>, StoreError> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT st.canonical_item, i.title, i.url, st.first_published, st.last_published, st.size
                 FROM stories st JOIN items i ON i.id = st.canonical_item WHERE st.id = ?1",
            )?
            .query_row([id], |row| {
                Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
            })
            .optional()?;
        let Some((canonical_item, title, url, first_seen, last_seen, size)) = head else {
            return Ok(None);
        };
        let members = self.story_members(id)?;
        let mut sources: Vec<String> = Vec::new();
        if let Some(canonical) = members.iter().find(|member| member.canonical) {
            sources.push(canonical.source.clone());
        }
        for member in &members {
            if !sources.contains(&member.source) {
                sources.push(member.source.clone());
            }
        }
        Ok(Some(StoryRow {
            story: id,
            title,
            url,
            canonical_item,
            first_seen,
            last_seen,
            size,
            sources,
            topics: self.story_topics(id, size)?,
            items: members.iter().map(|member| member.item).collect(),
        }))
    }

    /// The members of story `id`, oldest first.
    pub fn story_members(&self, id: i64) -> Result<Vec<MemberRow>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT m.item, s.name, i.published, i.title, i.url, m.reason, m.score, m.matched_item,
                    m.item = st.canonical_item
             FROM story_members m JOIN items i ON i.id = m.item JOIN sources s ON s.id = i.source_id
                  JOIN stories st ON st.id = m.story
             WHERE m.story = ?1 ORDER BY i.published, i.id",
        )?;
        let rows = statement.query_map([id], |row| {
            Ok(MemberRow {
                item: row.get(0)?,
                source: row.get(1)?,
                published: row.get(2)?,
                title: row.get(3)?,
                url: row.get(4)?,
                reason: row.get(5)?,
                score: row.get(6)?,
                matched_item: row.get(7)?,
                canonical: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
