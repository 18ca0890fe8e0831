//! Sources and the fetch log: the per-source state a fetch needs (validators, the last body's
//! hash, Retry-After) and the record of every attempt.

use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::config::SourceConfig;
use crate::model::{Item, ItemCounts, format_time, format_time_millis};

/// What a fetch needs to know about a source from earlier passes.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceState {
    pub id: i64,
    pub name: String,
    /// Where to fetch: the config URL, or the target of a permanent redirect.
    pub fetch_url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<i64>,
    pub consecutive_errors: u32,
    pub retry_after_until: Option<Timestamp>,
    pub next_fetch_at: Option<Timestamp>,
}

/// How a fetch attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// A body was parsed and its entries stored.
    Ok,
    /// 304 Not Modified: nothing parsed, nothing written.
    NotModified,
    /// The body was byte-identical to the last one: nothing parsed, nothing written.
    Unchanged,
    Error,
}

impl FetchOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchOutcome::Ok => "ok",
            FetchOutcome::NotModified => "not_modified",
            FetchOutcome::Unchanged => "unchanged",
            FetchOutcome::Error => "error",
        }
    }
}

/// One fetch attempt, as logged and as applied to the source's state.
#[derive(Clone, Debug)]
pub struct FetchRecord {
    pub source_id: i64,
    pub started_at: Timestamp,
    pub url: String,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub duration: Duration,
    pub outcome: FetchOutcome,
    pub error: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<i64>,
    /// Set when every redirect hop was permanent (301/308): the URL to fetch from now on.
    pub permanent_redirect: Option<String>,
    pub retry_after_until: Option<Timestamp>,
    pub next_fetch_at: Option<Timestamp>,
}

impl FetchRecord {
    /// A successful fetch of `url` with nothing else to record (backfills, benchmarks, tests).
    pub fn succeeded(source_id: i64, started_at: Timestamp, url: &str) -> FetchRecord {
        FetchRecord {
            source_id,
            started_at,
            url: url.to_string(),
            http_status: Some(200),
            bytes: 0,
            duration: Duration::ZERO,
            outcome: FetchOutcome::Ok,
            error: None,
            etag: None,
            last_modified: None,
            body_hash: None,
            permanent_redirect: None,
            retry_after_until: None,
            next_fetch_at: None,
        }
    }
}

/// A source's status, for `lodestone sources` and the API.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceStatus {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub last_fetch: Option<String>,
    pub last_success: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub items: i64,
    pub consecutive_errors: u32,
    pub next_run: Option<String>,
    pub retry_after_until: Option<String>,
}

impl Store {
    /// Makes the sources table agree with the config: adds new sources, and forgets the
    /// redirect target and validators of a source whose configured URL changed.
    pub fn sync_sources(&mut self, sources: &[SourceConfig], now: Timestamp) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO sources (name, config_url, fetch_url, kind, created_at, priority) VALUES (?1, ?2, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, priority = excluded.priority",
            )?;
            let mut reset_changed_url = tx.prepare_cached(
                "UPDATE sources SET config_url = ?2, fetch_url = ?2, etag = NULL, last_modified = NULL, body_hash = NULL
                 WHERE name = ?1 AND config_url <> ?2",
            )?;
            for source in sources {
                let kind = match source.kind {
                    crate::config::SourceKind::Feed => "feed",
                    crate::config::SourceKind::Html => "html",
                };
                insert.execute(params![
                    source.name,
                    source.url.as_str(),
                    kind,
                    format_time(now),
                    source.priority
                ])?;
                reset_changed_url.execute(params![source.name, source.url.as_str()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored state of source `name`.
    pub fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        self.conn
            .query_row(
                "SELECT id, name, fetch_url, etag, last_modified, body_hash, consecutive_errors,
                        retry_after_until, next_fetch_at
                 FROM sources WHERE name = ?1",
                [name],
                |row| {
                    Ok(SourceState {
                        id: row.get(0)?,
                        name: row.get(1)?,
                        fetch_url: row.get(2)?,
                        etag: row.get(3)?,
                        last_modified: row.get(4)?,
                        body_hash: row.get(5)?,
                        consecutive_errors: row.get(6)?,
                        retry_after_until: parse_time(row.get(7)?),
                        next_fetch_at: parse_time(row.get(8)?),
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownSource(name.to_string()))
    }

    /// Stores a fetch attempt and its items in one transaction: the items, the fetch log row and
    /// the source's new state commit together or not at all.
    pub fn record_fetch(
        &mut self,
        record: &FetchRecord,
        items: impl IntoIterator<Item = Item>,
        fetched_at: Timestamp,
    ) -> Result<ItemCounts, StoreError> {
        let items = items.into_iter().map(Ok::<Item, std::convert::Infallible>);
        match self.record_fetch_fallible(record, items, fetched_at)? {
            Ok(counts) => Ok(counts),
            Err(never) => match never {},
        }
    }

    /// Like [`Store::record_fetch`], for items still being produced: the first `Err` from
    /// `items` rolls the whole transaction back and is returned as the inner error.
    pub fn record_fetch_fallible<E>(
        &mut self,
        record: &FetchRecord,
        items: impl IntoIterator<Item = Result<Item, E>>,
        fetched_at: Timestamp,
    ) -> Result<Result<ItemCounts, E>, StoreError> {
        let tx = self.conn.transaction()?;
        let written = super::fetch_write::write_fetch(
            &tx,
            &mut self.stories,
            record,
            items,
            fetched_at,
            self.bulk_load,
        );
        let committed = match written {
            Ok(Ok(counts)) => tx.commit().map(|()| Ok(counts)).map_err(StoreError::from),
            // Dropping the transaction rolls back whatever was inserted.
            other => other,
        };
        if committed.is_err() {
            // The window may hold items that were rolled back: rebuild it from the database.
            self.stories.forget();
        }
        committed
    }

    /// Status of every source in the database, in name order.
    pub fn source_statuses(&self) -> Result<Vec<SourceStatus>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT s.name, s.kind, s.fetch_url, s.last_fetch_at, s.last_success_at, s.last_status, s.last_error,
                    (SELECT COUNT(*) FROM items i WHERE i.source_id = s.id), s.consecutive_errors,
                    s.next_fetch_at, s.retry_after_until
             FROM sources s ORDER BY s.name",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(SourceStatus {
                name: row.get(0)?,
                kind: row.get(1)?,
                url: row.get(2)?,
                last_fetch: row.get(3)?,
                last_success: row.get(4)?,
                last_status: row.get(5)?,
                last_error: row.get(6)?,
                items: row.get(7)?,
                consecutive_errors: row.get(8)?,
                next_run: row.get(9)?,
                retry_after_until: row.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When each of `names` is due (None: never fetched, so due now), for the scheduler.
    pub fn next_fetch_times(&self, names: &[String]) -> Result<Vec<(String, Option<Timestamp>)>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT name, next_fetch_at FROM sources WHERE name IN (SELECT value FROM json_each(?1))",
        )?;
        let list = serde_json::to_string(names).unwrap_or_default();
        let rows =
            statement.query_map([list], |row| Ok((row.get::<_, String>(0)?, parse_time(row.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves a source's next fetch to `until` unless it is later already (Retry-After).
    pub fn defer_until(&mut self, name: &str, until: Timestamp) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sources SET next_fetch_at = ?2 WHERE name = ?1 AND (next_fetch_at IS NULL OR next_fetch_at < ?2)",
            params![name, format_time_millis(until)],
        )?;
        Ok(())
    }

    /// Moves a source's next fetch earlier (never later), e.g. after its interval was shortened.
    pub fn reschedule_no_later_than(&mut self, name: &str, at: Timestamp) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sources SET next_fetch_at = ?2 WHERE name = ?1 AND (next_fetch_at IS NULL OR next_fetch_at > ?2)",
            params![name, format_time_millis(at)],
        )?;
        Ok(())
    }

    /// Hosts' Retry-After deadlines still in the future, as (source URL, until), to restore the
    /// per-host cooldowns after a restart.
    pub fn pending_retry_afters(&self, now: Timestamp) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT fetch_url, retry_after_until FROM sources WHERE retry_after_until > ?1",
        )?;
        let rows = statement.query_map([format_time_millis(now)], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut pending = Vec::new();
        for row in rows {
            let (url, until) = row?;
            if let Ok(until) = until.parse() {
                pending.push((url, until));
            }
        }
        Ok(pending)
    }

    /// The most recent successful fetch of any source, for the health check.
    pub fn last_success(&self) -> Result<Option<Timestamp>, StoreError> {
        let last: Option<String> =
            self.conn.query_row("SELECT MAX(last_success_at) FROM sources", [], |row| row.get(0))?;
        Ok(parse_time(last))
    }

    /// The number of fetch log rows of source `name` (tests and diagnostics).
    pub fn fetch_count(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM fetches f JOIN sources s ON s.id = f.source_id WHERE s.name = ?1",
            [name],
            |row| row.get(0),
        )?)
    }
}

pub(super) fn parse_time(text: Option<String>) -> Option<Timestamp> {
    text.and_then(|text| text.parse().ok())
}
