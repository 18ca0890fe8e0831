//! Topics and entities in SQLite: written with the items that carry them (same transaction),
//! read back in batches for the rows the CLI and API print, users' corrections (`label`), the
//! learned model, and `reclassify`'s batches.
//!
//! Classifying is `classify`'s job (pure); this file only stores and reads its results. A
//! user's label overrides the classifier for that item, on every later update or reclassify.

use std::borrow::Cow;
use std::collections::HashMap;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{OptionalExtension, Transaction, params};

use super::query::{EntityValue, ItemRow, TopicScore};
use super::{Store, StoreError};
use crate::classify::Classification;

/// Rows per multi-row INSERT (4 or 5 parameters a row).
const CHUNK: usize = 200;

/// The settings key holding the fingerprint of the classifier that tagged the stored items.
const CLASSIFIER_KEY: &str = "classifier";

/// Writes the tags of freshly inserted items (nothing stored for them yet). Items a user has
/// labelled keep their label's topics.
///
/// The values are bound borrowed from the classifications, a statement's worth at a time: a
/// bulk ingest writes some 90,000 tag rows, and copying each string into an owned value (with a
/// vector of all of them) cost a tenth of writing them.
pub(super) fn insert_tags(tx: &Transaction, tagged: &[(i64, &Classification)]) -> Result<(), StoreError> {
    if tagged.is_empty() {
        return Ok(());
    }
    let labels = labels_of(tx, tagged.iter().map(|(item, _)| *item))?;
    let topic_rows = tagged.iter().flat_map(|(item, classification)| {
        let item = *item;
        let (labelled, classified) = match labels.get(&item) {
            Some(topics) => (topics.as_slice(), &[][..]),
            None => (&[][..], classification.topics.as_slice()),
        };
        let labelled = labelled.iter().enumerate().map(move |(rank, topic)| label_row(item, topic, rank));
        let classified = classified.iter().enumerate().map(move |(rank, topic)| {
            [
                integer(item),
                text(&topic.topic),
                // Three decimals: an f32 widened to f64 prints as 0.9139999747276306.
                ToSqlOutput::Owned(Value::Real((f64::from(topic.score) * 1000.0).round() / 1000.0)),
                integer(rank as i64),
            ]
        });
        labelled.chain(classified)
    });
    // OR IGNORE, not OR REPLACE: the rows are new and distinct, and a multi-row statement that
    // could abort halfway needs a statement journal, which copied every page it touched (a
    // tenth of the tag writes). A repeated (item, topic) or (item, kind, value) keeps its first.
    insert_rows(tx, "INSERT OR IGNORE INTO item_topics (item, topic, score, rank) VALUES ", topic_rows)?;
    let entity_rows = tagged.iter().flat_map(|(item, classification)| {
        classification.entities.iter().map(move |entity| {
            let normalized = match normalized_entity(&entity.value) {
                Cow::Borrowed(normalized) => text(normalized),
                Cow::Owned(normalized) => ToSqlOutput::Owned(Value::Text(normalized)),
            };
            [
                integer(*item),
                text(entity.kind.as_str()),
                text(&entity.value),
                normalized,
                integer(i64::from(entity.mentions)),
            ]
        })
    });
    insert_rows(
        tx,
        "INSERT OR IGNORE INTO item_entities (item, kind, value, normalized, mentions) VALUES ",
        entity_rows,
    )
}

/// Replaces the tags of items already stored (an updated item, `reclassify`).
pub(super) fn replace_tags(tx: &Transaction, tagged: &[(i64, &Classification)]) -> Result<(), StoreError> {
    if tagged.is_empty() {
        return Ok(());
    }
    let ids = id_list(tagged.iter().map(|(item, _)| *item));
    tx.prepare_cached("DELETE FROM item_topics WHERE item IN (SELECT value FROM json_each(?1))")?
        .execute([&ids])?;
    tx.prepare_cached("DELETE FROM item_entities WHERE item IN (SELECT value FROM json_each(?1))")?
        .execute([&ids])?;
    insert_tags(tx, tagged)
}

/// The lower-case form of an entity value that `--entity` compares.
pub fn normalize_entity(value: &str) -> String {
    normalized_entity(value).into_owned()
}

/// [`normalize_entity`], borrowing `value` when it is already in that form (commodities are).
fn normalized_entity(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim();
    if trimmed.is_ascii() && !trimmed.bytes().any(|byte| byte.is_ascii_uppercase()) {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(trimmed.to_lowercase())
    }
}

fn integer(value: i64) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(Value::Integer(value))
}

fn text(value: &str) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes()))
}

fn label_row(item: i64, topic: &str, rank: usize) -> [ToSqlOutput<'_>; 4] {
    [integer(item), text(topic), ToSqlOutput::Owned(Value::Real(1.0)), integer(rank as i64)]
}

/// Runs `head` followed by one `(?, …)` group per row, `CHUNK` rows to a statement.
fn insert_rows<'a, const WIDTH: usize>(
    tx: &Transaction,
    head: &str,
    rows: impl Iterator<Item = [ToSqlOutput<'a>; WIDTH]>,
) -> Result<(), StoreError> {
    let group = format!("({})", vec!["?"; WIDTH].join(", "));
    let mut rows = rows.peekable();
    let mut values: Vec<ToSqlOutput<'a>> = Vec::with_capacity(WIDTH * CHUNK);
    while rows.peek().is_some() {
        values.clear();
        values.extend(rows.by_ref().take(CHUNK).flatten());
        let count = values.len() / WIDTH;
        let mut sql = String::with_capacity(head.len() + count * (group.len() + 2));
        sql.push_str(head);
        for index in 0..count {
            if index > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&group);
        }
        tx.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values.iter()))?;
    }
    Ok(())
}

pub(super) fn id_list(ids: impl Iterator<Item = i64>) -> String {
    serde_json::to_string(&ids.collect::<Vec<i64>>()).unwrap_or_default()
}

/// The labels of those of `items` a user has labelled.
fn labels_of(
    conn: &rusqlite::Connection,
    items: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT item, topics FROM topic_labels WHERE item IN (SELECT value FROM json_each(?1))",
    )?;
    let rows =
        statement.query_map([id_list(items)], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))?;
    let mut labels = HashMap::new();
    for row in rows {
        let (item, topics) = row?;
        labels.insert(item, serde_json::from_str(&topics).unwrap_or_default());
    }
    Ok(labels)
}

/// A user's correction of an item's topics.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TopicLabel {
    pub item: i64,
    pub topics: Vec<String>,
    pub labelled: String,
}

/// An item's text as the classifier needs it: (id, title, body text, source name).
pub type ItemText = (i64, String, String, String);

impl Store {
    /// Fills in the topics and entities of `rows`, two queries for all of them.
    pub(super) fn attach_tags(&self, rows: &mut [ItemRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let position: HashMap<i64, usize> =
            rows.iter().enumerate().map(|(index, row)| (row.id, index)).collect();
        let ids = id_list(rows.iter().map(|row| row.id));
        let mut topics = self.conn.prepare_cached(
            "SELECT item, topic, score FROM item_topics WHERE item IN (SELECT value FROM json_each(?1))
             ORDER BY item, rank",
        )?;
        let topic_rows = topics.query_map([&ids], |row| {
            Ok((row.get::<_, i64>(0)?, TopicScore { topic: row.get(1)?, score: row.get(2)? }))
        })?;
        for row in topic_rows {
            let (item, topic) = row?;
            if let Some(index) = position.get(&item) {
                rows[*index].topics.push(topic);
            }
        }
        let mut entities = self.conn.prepare_cached(
            "SELECT item, kind, value FROM item_entities WHERE item IN (SELECT value FROM json_each(?1))
             ORDER BY item, CASE kind WHEN 'company' THEN 0 WHEN 'commodity' THEN 1 WHEN 'country' THEN 2
                                      WHEN 'money' THEN 3 ELSE 4 END, mentions DESC, value",
        )?;
        let entity_rows = entities.query_map([&ids], |row| {
            Ok((row.get::<_, i64>(0)?, EntityValue { kind: row.get(1)?, value: row.get(2)? }))
        })?;
        for row in entity_rows {
            let (item, entity) = row?;
            if let Some(index) = position.get(&item) {
                rows[*index].entities.push(entity);
            }
        }
        Ok(())
    }

    /// A story's topics: every topic of its members, scored by the members' mean score (a topic
    /// a member lacks counts 0 for it), best first. So a story matches `--topic` exactly when
    /// one of its items does, and its main topic is the one most of its items share.
    pub(super) fn story_topics(&self, story: i64, size: i64) -> Result<Vec<TopicScore>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT t.topic, SUM(t.score), MIN(t.rank) FROM story_members m JOIN item_topics t ON t.item = m.item
             WHERE m.story = ?1 GROUP BY t.topic",
        )?;
        let rows = statement.query_map([story], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, f64>(1)?, row.get::<_, i64>(2)?))
        })?;
        Ok(rank_story_topics(rows.collect::<Result<_, _>>()?, size))
    }

    /// Items and stories per topic, over items published in [since, until).
    pub fn topic_counts(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<HashMap<String, (i64, i64)>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT t.topic, COUNT(*), COUNT(DISTINCT m.story)
             FROM item_topics t JOIN items i ON i.id = t.item LEFT JOIN story_members m ON m.item = t.item
             WHERE (?1 IS NULL OR i.published >= ?1) AND (?2 IS NULL OR i.published < ?2)
             GROUP BY t.topic",
        )?;
        let rows = statement.query_map(params![since, until], |row| {
            Ok((row.get::<_, String>(0)?, (row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// An item's text for the classifier, if stored.
    pub fn item_text(&self, id: i64) -> Result<Option<ItemText>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT i.id, i.title, i.body_text, s.name FROM items i JOIN sources s ON s.id = i.source_id
                 WHERE i.id = ?1",
            )?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .optional()?)
    }

    /// Up to `limit` items with an id above `after`, published at or after `since`, in id
    /// order: one batch of `reclassify`.
    pub fn item_texts_after(
        &self,
        after: i64,
        since: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ItemText>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT i.id, i.title, i.body_text, s.name FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.id > ?1 AND (?2 IS NULL OR i.published >= ?2) ORDER BY i.id LIMIT ?3",
        )?;
        let rows = statement.query_map(params![after, since, limit as i64], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces the tags of a batch of items in one transaction (`reclassify`).
    pub fn retag(&mut self, tagged: &[(i64, Classification)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let borrowed: Vec<(i64, &Classification)> = tagged.iter().map(|(item, tags)| (*item, tags)).collect();
        replace_tags(&tx, &borrowed)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a user's topics for an item (replacing an earlier label) and makes them the
    /// item's topics now.
    pub fn label_item(&mut self, item: i64, topics: &[String], now: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO topic_labels (item, topics, labelled) VALUES (?1, ?2, ?3)
             ON CONFLICT (item) DO UPDATE SET topics = excluded.topics, labelled = excluded.labelled",
        )?
        .execute(params![item, serde_json::to_string(topics).unwrap_or_default(), now])?;
        tx.prepare_cached("DELETE FROM item_topics WHERE item = ?1")?.execute([item])?;
        let rows = topics.iter().enumerate().map(|(rank, topic)| label_row(item, topic, rank));
        insert_rows(&tx, "INSERT INTO item_topics (item, topic, score, rank) VALUES ", rows)?;
        tx.commit()?;
        Ok(())
    }

    /// Every label, oldest first.
    pub fn topic_labels(&self) -> Result<Vec<TopicLabel>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT item, topics, labelled FROM topic_labels ORDER BY labelled, item")?;
        let rows = statement.query_map([], |row| {
            Ok(TopicLabel {
                item: row.get(0)?,
                topics: serde_json::from_str(&row.get::<_, String>(1)?).unwrap_or_default(),
                labelled: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The label of one item, if any.
    pub fn topic_label(&self, item: i64) -> Result<Option<Vec<String>>, StoreError> {
        Ok(labels_of(&self.conn, std::iter::once(item))?.remove(&item))
    }

    /// Stores a newly trained model (JSON); the newest one is used.
    pub fn save_topic_model(
        &mut self,
        model_json: &str,
        trained_on: usize,
        now: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO topic_models (trained, trained_on, model) VALUES (?1, ?2, ?3)",
            params![now, trained_on as i64, model_json],
        )?;
        Ok(())
    }

    /// The newest model's JSON, if one was trained.
    pub fn topic_model(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT model FROM topic_models ORDER BY id DESC LIMIT 1", [], |row| row.get(0))
            .optional()?)
    }

    /// The fingerprint of the classifier that tagged the stored items, if recorded.
    pub fn classifier_fingerprint(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [CLASSIFIER_KEY], |row| row.get(0))
            .optional()?)
    }

    /// Records the fingerprint of the classifier that tagged the stored items.
    pub fn set_classifier_fingerprint(&mut self, fingerprint: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![CLASSIFIER_KEY, fingerprint],
        )?;
        Ok(())
    }
}

/// A story's topics from (topic, sum of its members' scores, best rank) rows: the mean over the
/// story's `size` members, best first (ties: the better rank, then the name).
pub(super) fn rank_story_topics(rows: Vec<(String, f64, i64)>, size: i64) -> Vec<TopicScore> {
    let mut topics: Vec<(TopicScore, i64)> = rows
        .into_iter()
        .map(|(topic, sum, best_rank)| {
            let score = (sum / size.max(1) as f64 * 1000.0).round() / 1000.0;
            (TopicScore { topic, score }, best_rank)
        })
        .collect();
    topics
        .sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then(a.1.cmp(&b.1)).then(a.0.topic.cmp(&b.0.topic)));
    topics.into_iter().map(|(topic, _)| topic).collect()
}
