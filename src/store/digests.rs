//! Digests in SQLite: which stories a digest may carry, claiming a digest (its row and its
//! stories, in one transaction), recording each attempt, and what the daemon still owes.
//!
//! The rules (what "new since the previous digest" means, when to retry) are the digest
//! module's; this file only reads and writes rows. See migrations/04-digests/up.sql.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// One row of `digests`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DigestRecord {
    pub id: i64,
    pub recipient: String,
    pub date: String,
    pub kind: String,
    pub status: String,
    pub message_id: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub window_start: String,
    pub window_end: String,
    pub story_count: i64,
    pub resends: i64,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

/// A digest about to be sent: its row and its stories.
#[derive(Clone, Debug)]
pub struct NewDigest {
    pub recipient: String,
    pub date: String,
    pub kind: String,
    pub message_id: String,
    pub window_start: String,
    pub window_end: String,
    pub stories: Vec<i64>,
    pub now: String,
}

/// How an attempt to send a digest ended.
#[derive(Clone, Debug, PartialEq)]
pub enum DigestAttempt {
    Sent,
    /// Nothing to send and `skip_empty` set.
    Skipped,
    /// Failed; tried again at `retry_at`, or never (`None`: the digest is given up).
    Failed {
        error: String,
        retry_at: Option<String>,
    },
}

const SELECT_DIGEST: &str = "SELECT id, recipient, digest_date, kind, status, message_id, attempts, error,
        window_start, window_end, story_count, resends, next_attempt_at, created_at, updated_at, sent_at
     FROM digests";

impl Store {
    /// `recipient`'s digest for `date`, if one was claimed.
    pub fn digest_record(&self, recipient: &str, date: &str) -> Result<Option<DigestRecord>, StoreError> {
        let sql = format!("{SELECT_DIGEST} WHERE recipient = ?1 AND digest_date = ?2");
        Ok(self.conn.prepare_cached(&sql)?.query_row(params![recipient, date], digest_row).optional()?)
    }

    /// Every digest of `recipient`, newest date first (all recipients when None).
    pub fn digest_records(&self, recipient: Option<&str>) -> Result<Vec<DigestRecord>, StoreError> {
        let sql =
            format!("{SELECT_DIGEST} WHERE ?1 IS NULL OR recipient = ?1 ORDER BY digest_date DESC, id DESC");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params![recipient], digest_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pending digests whose next attempt is due at `now` (all pending ones when None).
    pub fn pending_digests(&self, now: Option<&str>) -> Result<Vec<DigestRecord>, StoreError> {
        let sql = format!(
            "{SELECT_DIGEST} WHERE status = 'pending' AND (?1 IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?1)
             ORDER BY digest_date, id"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params![now], digest_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest date `recipient` has a scheduled digest recorded for (sent, failed or in
    /// progress). Dated digests (`digest --date`, sent by hand) do not count: the schedule is
    /// the daemon's, and a hand-sent date must not make it skip the days before it.
    pub fn last_scheduled_date(&self, recipient: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT MAX(digest_date) FROM digests WHERE recipient = ?1 AND kind = 'scheduled'",
            )?
            .query_row([recipient], |row| row.get(0))?)
    }

    /// Where `recipient`'s previous scheduled digest stopped: the end of the window of their
    /// latest scheduled digest that was sent (or skipped as empty), or claimed and in progress.
    /// A digest that failed for good does not count, so its stories come again.
    pub fn last_scheduled_cutoff(&self, recipient: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT MAX(window_end) FROM digests
                 WHERE recipient = ?1 AND kind = 'scheduled' AND status IN ('sent', 'skipped', 'pending')",
            )?
            .query_row([recipient], |row| row.get(0))?)
    }

    /// Stories that gained an item stored in `(after, until]` and that none of `recipient`'s
    /// sent or in-progress digests carried.
    pub fn stories_gaining_items(
        &self,
        recipient: &str,
        after: &str,
        until: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT DISTINCT m.story FROM story_members m
             WHERE m.joined > ?2 AND m.joined <= ?3
               AND m.story NOT IN (
                   SELECT ds.story FROM digest_stories ds JOIN digests d ON d.id = ds.digest
                   WHERE d.recipient = ?1 AND d.status IN ('sent', 'pending'))
             ORDER BY m.story",
        )?;
        let rows = statement.query_map(params![recipient, after, until], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stories first published in `[from, until)`.
    pub fn stories_first_published(&self, from: &str, until: &str) -> Result<Vec<i64>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id FROM stories WHERE first_published >= ?1 AND first_published < ?2 ORDER BY id",
        )?;
        let rows = statement.query_map(params![from, until], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stories a digest carried.
    pub fn digest_story_ids(&self, digest: i64) -> Result<Vec<i64>, StoreError> {
        let mut statement =
            self.conn.prepare_cached("SELECT story FROM digest_stories WHERE digest = ?1 ORDER BY story")?;
        let rows = statement.query_map([digest], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records `digest` as pending with its stories, unless the recipient already has a digest
    /// for that date. Returns the row, and whether this call created it.
    pub fn claim_digest(&mut self, digest: &NewDigest) -> Result<(DigestRecord, bool), StoreError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO digests (recipient, digest_date, kind, status, message_id, window_start, window_end,
                                            story_count, next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?8, ?8)",
            params![
                digest.recipient,
                digest.date,
                digest.kind,
                digest.message_id,
                digest.window_start,
                digest.window_end,
                digest.stories.len() as i64,
                digest.now
            ],
        )? == 1;
        if inserted {
            let id = tx.last_insert_rowid();
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO digest_stories (digest, story) VALUES (?1, ?2)")?;
            for story in &digest.stories {
                insert.execute(params![id, story])?;
            }
        }
        tx.commit()?;
        let record = self
            .digest_record(&digest.recipient, &digest.date)?
            .ok_or_else(|| StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))?;
        Ok((record, inserted))
    }

    /// Makes a sent, skipped or failed digest pending again (a forced resend, or a retry by the
    /// command), with `message_id`; `resend` counts it as a forced resend.
    pub fn reopen_digest(
        &self,
        id: i64,
        message_id: &str,
        resend: bool,
        now: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE digests SET status = 'pending', message_id = ?2, resends = resends + ?3, next_attempt_at = ?4,
                                updated_at = ?4
             WHERE id = ?1",
            params![id, message_id, i64::from(resend), now],
        )?;
        Ok(())
    }

    /// Records one attempt at sending digest `id`.
    pub fn record_digest_attempt(
        &self,
        id: i64,
        attempt: &DigestAttempt,
        now: &str,
    ) -> Result<(), StoreError> {
        let (status, error, retry_at, sent_at) = match attempt {
            DigestAttempt::Sent => ("sent", None, None, Some(now)),
            DigestAttempt::Skipped => ("skipped", None, None, None),
            DigestAttempt::Failed { error, retry_at: Some(retry_at) } => {
                ("pending", Some(error.as_str()), Some(retry_at.as_str()), None)
            }
            DigestAttempt::Failed { error, retry_at: None } => ("failed", Some(error.as_str()), None, None),
        };
        self.conn.execute(
            "UPDATE digests SET status = ?2, attempts = attempts + 1, error = ?3, next_attempt_at = ?4,
                                sent_at = COALESCE(?5, sent_at), updated_at = ?6
             WHERE id = ?1",
            params![id, status, error, retry_at, sent_at, now],
        )?;
        Ok(())
    }
}

fn digest_row(row: &rusqlite::Row) -> rusqlite::Result<DigestRecord> {
    Ok(DigestRecord {
        id: row.get(0)?,
        recipient: row.get(1)?,
        date: row.get(2)?,
        kind: row.get(3)?,
        status: row.get(4)?,
        message_id: row.get(5)?,
        attempts: row.get(6)?,
        error: row.get(7)?,
        window_start: row.get(8)?,
        window_end: row.get(9)?,
        story_count: row.get(10)?,
        resends: row.get(11)?,
        next_attempt_at: row.get(12)?,
        created_at: row.get(13)?,
        updated_at: row.get(14)?,
        sent_at: row.get(15)?,
    })
}
