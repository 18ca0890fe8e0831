//! Stories read in batches, for the digest: a set of stories (an id list, or those first
//! published in a period) with their members, topics, canonical items and entities, in a fixed
//! number of queries whatever the number of stories.
//!
//! One query per kind of row (heads, members, topics, entities, canonical items) over the whole
//! set, each driven by an index (`stories`' primary key or `stories_by_first_published`, then
//! `story_members_by_story`), instead of a handful of queries per story; ordering and sums are
//! done here, story by story, because an SQL sort over every row costs more than the query
//! (`benches/digest.rs` measures it). The rows are those of [`Store::story`] and
//! [`Store::item`], built the same way (the equivalence is tested). No rule about what a digest
//! contains lives here.

use crate::analysis::IdMap;

use rusqlite::ToSql;

use super::query::{EntityValue, ItemRow, SELECT_ITEMS, item_row};
use super::story_query::StoryRow;
use super::tags::{id_list, rank_story_topics};
use super::{Store, StoreError};

/// A story with what a digest shows of it: its canonical item (without tags), the source of each
/// of its items (oldest first) and the companies, commodities and amounts of all of them (item
/// by item, oldest first).
pub type StoryDetails = (StoryRow, Option<ItemRow>, Vec<String>, Vec<EntityValue>);

/// Which stories: a JSON array of ids (`?1`), or those first published in `[?1, ?2)`.
const BY_IDS: &str = "SELECT value FROM json_each(?1)";
const FIRST_PUBLISHED_IN: &str =
    "SELECT id FROM stories WHERE first_published >= ?1 AND first_published < ?2";

/// A set of stories and the values its SQL binds.
struct StorySet<'a> {
    sql: &'static str,
    values: Vec<&'a dyn ToSql>,
}

/// One story's members, in order: (item, source name, canonical).
type Members = Vec<(i64, String, bool)>;

/// One story's topics: (topic, sum of its members' scores, best rank).
type TopicRows = Vec<(String, f64, i64)>;

impl Store {
    /// The stories first published in `[from, until)`, in id order, as the digest's chart needs
    /// them: id, first publication, size and topics, and the sources only of the stories without
    /// topics (whose section comes from their sources' topic hints); no title, link or items.
    pub fn chart_stories(&self, from: &str, until: &str) -> Result<Vec<StoryRow>, StoreError> {
        let set = StorySet { sql: FIRST_PUBLISHED_IN, values: vec![&from, &until] };
        let mut topics = self.story_topic_rows(&set)?;
        let mut statement = self.conn.prepare_cached(
            "SELECT id, canonical_item, first_published, last_published, size FROM stories
             WHERE first_published >= ?1 AND first_published < ?2 ORDER BY id",
        )?;
        let mut rows = statement.query([from, until])?;
        let mut stories = Vec::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let size: i64 = row.get(4)?;
            stories.push(StoryRow {
                story: id,
                title: String::new(),
                url: None,
                canonical_item: row.get(1)?,
                first_seen: row.get(2)?,
                last_seen: row.get(3)?,
                size,
                sources: Vec::new(),
                topics: rank_story_topics(topics.remove(&id).unwrap_or_default(), size),
                items: Vec::new(),
            });
        }
        let untagged =
            id_list(stories.iter().filter(|story| story.topics.is_empty()).map(|story| story.story));
        if untagged != "[]" {
            let set = StorySet { sql: BY_IDS, values: vec![&untagged] };
            let mut members = self.story_members_of(&set)?;
            for story in stories.iter_mut().filter(|story| story.topics.is_empty()) {
                story.sources = story_sources(&members.remove(&story.story).unwrap_or_default());
            }
        }
        Ok(stories)
    }

    /// For each of `ids` that still exists, in that order: the story and its details.
    pub fn digest_story_details(&self, ids: &[i64]) -> Result<Vec<StoryDetails>, StoreError> {
        let list = id_list(ids.iter().copied());
        let set = StorySet { sql: BY_IDS, values: vec![&list] };
        let (stories, mut members) = self.story_rows(&set)?;
        let mut entities = self.story_entities(&set, &members)?;
        let canonical_ids = id_list(stories.iter().map(|story| story.canonical_item));
        let mut canonical = self.items_by_ids(&canonical_ids)?;
        let mut by_id: IdMap<StoryRow> = stories.into_iter().map(|story| (story.story, story)).collect();
        let mut details = Vec::with_capacity(by_id.len());
        for id in ids {
            let Some(story) = by_id.remove(id) else { continue };
            let item_sources =
                members.remove(id).unwrap_or_default().into_iter().map(|(_, source, _)| source).collect();
            let item = canonical.remove(&story.canonical_item);
            details.push((story, item, item_sources, entities.remove(id).unwrap_or_default()));
        }
        Ok(details)
    }

    /// The stories of `set` in id order, and each one's members.
    fn story_rows(&self, set: &StorySet) -> Result<(Vec<StoryRow>, IdMap<Members>), StoreError> {
        let members = self.story_members_of(set)?;
        let mut topics = self.story_topic_rows(set)?;
        let sql = format!(
            "SELECT st.id, st.canonical_item, i.title, i.url, st.first_published, st.last_published, st.size
             FROM stories st JOIN items i ON i.id = st.canonical_item
             WHERE st.id IN ({}) ORDER BY st.id",
            set.sql
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(set.values.as_slice())?;
        let mut stories = Vec::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let size: i64 = row.get(6)?;
            let story_members = members.get(&id).map(Vec::as_slice).unwrap_or_default();
            stories.push(StoryRow {
                story: id,
                title: row.get(2)?,
                url: row.get(3)?,
                canonical_item: row.get(1)?,
                first_seen: row.get(4)?,
                last_seen: row.get(5)?,
                size,
                sources: story_sources(story_members),
                topics: rank_story_topics(topics.remove(&id).unwrap_or_default(), size),
                items: story_members.iter().map(|(item, _, _)| *item).collect(),
            });
        }
        Ok((stories, members))
    }

    /// Each story's members, oldest first (by publication, then id). Sorted here, story by
    /// story, rather than by an SQL sort over all of them, which costs more than the query.
    fn story_members_of(&self, set: &StorySet) -> Result<IdMap<Members>, StoreError> {
        let sql = format!(
            "SELECT m.story, m.item, s.name, m.item = st.canonical_item, i.published
             FROM story_members m JOIN items i ON i.id = m.item JOIN sources s ON s.id = i.source_id
                  JOIN stories st ON st.id = m.story
             WHERE m.story IN ({})",
            set.sql
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(set.values.as_slice())?;
        let mut unsorted: IdMap<Vec<(String, i64, String, bool)>> = IdMap::default();
        while let Some(row) = rows.next()? {
            let member = (row.get(4)?, row.get(1)?, row.get(2)?, row.get(3)?);
            unsorted.entry(row.get(0)?).or_default().push(member);
        }
        Ok(unsorted
            .into_iter()
            .map(|(story, mut members)| {
                members.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
                let members =
                    members.into_iter().map(|(_, item, source, canonical)| (item, source, canonical));
                (story, members.collect())
            })
            .collect())
    }

    /// Each story's topics as (topic, sum of its members' scores, best rank) rows, summed here
    /// rather than by an SQL GROUP BY, whose sort costs more than the query.
    fn story_topic_rows(&self, set: &StorySet) -> Result<IdMap<TopicRows>, StoreError> {
        let sql = format!(
            "SELECT m.story, t.topic, t.score, t.rank
             FROM story_members m JOIN item_topics t ON t.item = m.item
             WHERE m.story IN ({})",
            set.sql
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(set.values.as_slice())?;
        let mut topics: IdMap<TopicRows> = IdMap::default();
        while let Some(row) = rows.next()? {
            let story_topics = topics.entry(row.get(0)?).or_default();
            let topic = row.get_ref(1)?.as_str().map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(error))
            })?;
            let (score, rank): (f64, i64) = (row.get(2)?, row.get(3)?);
            match story_topics.iter_mut().find(|(known, ..)| known == topic) {
                Some((_, sum, best)) => {
                    *sum += score;
                    *best = (*best).min(rank);
                }
                None => story_topics.push((topic.to_string(), score, rank)),
            }
        }
        Ok(topics)
    }

    /// The entities a digest shows (companies, commodities, amounts) of every item of each story
    /// of `set`, item by item in `members` order, each item's in the order [`Store::item`] gives
    /// them. Ordered here rather than in SQL: sorting every entity row would cost more than the
    /// query, and the members are in order already. A commodity comes once per story: the digest
    /// only counts the stories naming it, and commodities are most of the rows (every report of
    /// a story names them again).
    fn story_entities(
        &self,
        set: &StorySet,
        members: &IdMap<Members>,
    ) -> Result<IdMap<Vec<EntityValue>>, StoreError> {
        let sql = format!(
            "SELECT m.story, e.item, e.kind, e.value, e.mentions
             FROM story_members m JOIN item_entities e ON e.item = m.item
             WHERE m.story IN ({}) AND e.kind IN ('company', 'commodity', 'money')",
            set.sql
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(set.values.as_slice())?;
        let mut by_item: IdMap<Vec<(u8, i64, EntityValue)>> = IdMap::default();
        let mut commodities_seen: IdMap<Vec<String>> = IdMap::default();
        let text = |row: &rusqlite::Row, index: usize| -> Result<String, StoreError> {
            Ok(row.get::<_, String>(index)?)
        };
        while let Some(row) = rows.next()? {
            let kind = row.get_ref(2)?.as_str().unwrap_or_default();
            // The order of `attach_tags`: companies, commodities, then amounts.
            let rank = match kind {
                "company" => 0,
                "commodity" => 1,
                _ => 3,
            };
            if rank == 1 {
                let value = row.get_ref(3)?.as_str().unwrap_or_default();
                let seen = commodities_seen.entry(row.get(0)?).or_default();
                if seen.iter().any(|known| known == value) {
                    continue;
                }
                seen.push(value.to_string());
            }
            let entity = EntityValue { kind: text(row, 2)?, value: text(row, 3)? };
            by_item.entry(row.get(1)?).or_default().push((rank, row.get(4)?, entity));
        }
        let mut entities = IdMap::with_capacity_and_hasher(members.len(), Default::default());
        for (story, story_members) in members {
            let mut list = Vec::new();
            for (item, _, _) in story_members {
                let Some(mut item_entities) = by_item.remove(item) else { continue };
                item_entities.sort_by(|a, b| {
                    (a.0, std::cmp::Reverse(a.1), &a.2.value).cmp(&(b.0, std::cmp::Reverse(b.1), &b.2.value))
                });
                list.extend(item_entities.into_iter().map(|(_, _, entity)| entity));
            }
            entities.insert(*story, list);
        }
        Ok(entities)
    }

    /// The items of `ids` (a JSON array), without their tags (`topics` and `entities` empty: the
    /// story's come separately).
    fn items_by_ids(&self, ids: &str) -> Result<IdMap<ItemRow>, StoreError> {
        let sql = format!("{SELECT_ITEMS} AND i.id IN ({BY_IDS})");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map([ids], item_row)?;
        Ok(rows.map(|row| row.map(|item| (item.id, item))).collect::<Result<_, _>>()?)
    }
}

/// Source names, the canonical item's first, then in member order, each once.
fn story_sources(members: &[(i64, String, bool)]) -> Vec<String> {
    let mut sources: Vec<String> = Vec::new();
    if let Some((_, source, _)) = members.iter().find(|(_, _, canonical)| *canonical) {
        sources.push(source.clone());
    }
    for (_, source, _) in members {
        if !sources.contains(source) {
            sources.push(source.clone());
        }
    }
    sources
}
