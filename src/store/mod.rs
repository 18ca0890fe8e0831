//! The SQLite file: opening it, the schema migrations, and every SQL statement of the program.
//!
//! [`Store`] owns one connection and is used from one thread at a time; async code reaches it
//! through [`StoreHandle`], which runs it on a thread of its own. No other module contains SQL.

mod digests;
mod fetch_write;
mod handle;
mod items;
mod migrations;
mod placing;
pub mod query;
mod readers;
mod search;
mod sources;
mod stories;
mod story_batch;
mod story_query;
mod tags;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use digests::{DigestAttempt, DigestRecord, NewDigest};
pub use handle::StoreHandle;
pub use query::{ItemFilter, ItemRow};
pub use readers::StoreReaders;
pub use sources::{FetchOutcome, FetchRecord, SourceState, SourceStatus};
pub use stories::RestoryReport;
pub use story_batch::StoryDetails;
pub use story_query::{MemberRow, StoryRow};
pub use tags::{ItemText, TopicLabel, normalize_entity};

/// The writer's page cache, in KiB (SQLite takes a negative cache_size as KiB).
const WRITER_CACHE_KIB: i64 = -16 * 1024;

/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {}: {source}", path.display())]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot create directory {} for the database: {source}", path.display())]
    CreateDirectory { path: PathBuf, source: std::io::Error },
    #[error("cannot migrate database {}: {source}", path.display())]
    Migrate { path: PathBuf, source: rusqlite_migration::Error },
    #[error("bad search expression `{expression}`: {message}")]
    BadSearch { expression: String, message: String },
    #[error("unknown source `{0}`")]
    UnknownSource(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database task has stopped")]
    Closed,
    #[error("cannot start a database thread: {0}")]
    Thread(String),
}

/// The one connection to the database, with the schema up to date.
pub struct Store {
    conn: Connection,
    /// Story detection's in-memory state: a cache of the story tables (see `stories.rs`).
    stories: crate::stories::StoryEngine,
    /// A new file's first write (`open_for_bulk_load`): a rollback journal until the close turns
    /// WAL on, and the pages the cache spills sent to disk early (`start_writeback`).
    bulk_load: bool,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::prepare(Store::connect(path)?, path, "WAL")
    }

    /// A connection to the file at `path`, made with its directory if need be.
    fn connect(path: &Path) -> Result<Connection, StoreError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| StoreError::CreateDirectory { path: parent.to_path_buf(), source })?;
        }
        Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })
    }

    /// [`Store::open`] for one large write (`ingest` of a backfill). A database that does not
    /// exist yet is created with a rollback journal, and WAL is turned on when the store is
    /// closed ([`Store::close_before_exit`]). WAL writes every page twice, to the WAL and then
    /// to the file at the checkpoint, each with its fsync; a rollback journal keeps only the
    /// old content of pages that existed, which a new file hardly has, so the pages are written
    /// once. For a 10,000-entry file that was a tenth of the ingest. Atomicity is the same (a
    /// failed or interrupted ingest rolls back); the price is that other processes cannot read
    /// the new file until the ingest is over (they wait up to the busy timeout). An existing
    /// database is opened as by [`Store::open`]: others may be reading it.
    pub fn open_for_bulk_load(path: &Path) -> Result<Store, StoreError> {
        let is_new = std::fs::metadata(path).map_or(true, |metadata| metadata.len() == 0);
        if !is_new {
            return Store::open(path);
        }
        let conn = Store::connect(path)?;
        // TRUNCATE rather than DELETE: the schema's migrations commit one by one, and
        // truncating the journal costs less than deleting and creating it each time.
        let mut store = Store::prepare(conn, path, "TRUNCATE")?;
        store.bulk_load = true;
        Ok(store)
    }

    /// Opens an existing database for reading only (the HTTP API's connections). The writer
    /// applied the migrations; WAL lets these read while it writes.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(Store { conn, stories: crate::stories::StoryEngine::default(), bulk_load: false })
    }

    /// A trivial query: does the database answer? (health checks, the systemd watchdog)
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Gives memory this connection holds but does not need back: the unused pages of its cache
    /// (SQLite's `shrink_memory`), then the heap pages free'd memory leaves (glibc keeps them
    /// otherwise). For a long-running process between bursts of work; failures only cost memory.
    pub fn release_memory(&self) {
        if let Err(error) = self.conn.execute_batch("PRAGMA shrink_memory") {
            tracing::debug!(%error, "Could not shrink the page cache.");
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only returns free heap memory to the system; it takes no pointers.
        unsafe {
            libc::malloc_trim(0);
        }
    }

    /// Closes the connection of a process that is about to exit, leaving the story window to
    /// the operating system: after a 10,000-item ingest, freeing the window's many small
    /// allocations one by one took 20 ms, a fiftieth of the whole ingest, for memory the exit
    /// returns at once. The connection itself is closed properly (SQLite finishes the WAL), and
    /// a file made by [`Store::open_for_bulk_load`] is switched to WAL first. (Should that
    /// fail, the next open of the file turns WAL on, as every open does.)
    pub fn close_before_exit(self) -> Result<(), StoreError> {
        let Store { conn, stories, bulk_load } = self;
        std::mem::forget(stories);
        if bulk_load {
            // The load is committed by now: a failure here (another process holds the file)
            // only leaves WAL to the next open, so it is not the command's error.
            match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0)) {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => {}
                Ok(mode) => {
                    tracing::warn!(%mode, "WAL is not on after the bulk load; the next open turns it on.")
                }
                Err(error) => {
                    tracing::warn!(%error, "Could not turn on WAL after the bulk load; the next open will.")
                }
            }
        }
        conn.close().map_err(|(_, error)| StoreError::Sqlite(error))
    }

    /// An in-memory database, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::prepare(conn, Path::new(":memory:"), "WAL")
    }

    /// Settings, then migrations. `journal` is WAL but for a new file's bulk load.
    fn prepare(mut conn: Connection, path: &Path, journal: &str) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // 16 KiB pages: an item is a few KB, and larger pages cut the B-tree work of bulk
        // inserts. Only a new, empty file takes it (before WAL is on); an existing file keeps
        // the page size it was made with.
        conn.pragma_update(None, "page_size", 16_384)?;
        // WAL lets readers (queries, the HTTP API) work while a fetch writes; NORMAL sync is
        // safe in WAL mode (a crash can lose the last commit, never corrupt the file).
        conn.pragma_update(None, "journal_mode", journal)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The schema declares its references, but SQLite does not enforce them on this
        // connection: every tag, membership and signature row names an item stored in the same
        // transaction, and checking each against `items` (whose rows are large, so the parent
        // pages keep leaving the cache) plus the statement journals the checks require cost a
        // fifth of a bulk ingest's writes. `foreign_key_violations` checks the whole file
        // instead; the tests run it after every kind of write (ingest, stories, restory).
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // Statement journals (a multi-row INSERT that may abort has one) in memory, not in a
        // temporary file: they are small, and writing them out was a tenth of a bulk
        // re-tagging's time.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // A page cache of 16 MiB instead of SQLite's 2 MiB: a fetch's transaction touches the
        // items, FTS, story and tag indexes at once, and with 2 MiB it spilled pages to the WAL
        // mid-transaction and read them back. Allocated only as used.
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        migrations::MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migrate { path: path.to_path_buf(), source })?;
        Ok(Store { conn, stories: crate::stories::StoryEngine::default(), bulk_load: false })
    }

    /// Sets the page cache for a bulk job (`reclassify`, `restory`) that rewrites indexes
    /// across the whole file.
    pub fn use_bulk_cache(&self, mebibytes: i64) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -mebibytes * 1024)?;
        Ok(())
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?)
    }

    /// Rows whose declared reference names no row (`PRAGMA foreign_key_check`): none in a
    /// sound file. References are not enforced on write (see `prepare`); this is their check.
    pub fn foreign_key_violations(&self) -> Result<usize, StoreError> {
        let mut statement = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = statement.query([])?;
        let mut count = 0;
        while rows.next()?.is_some() {
            count += 1;
        }
        Ok(count)
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }
}

/// Starts writing the database file's dirty pages to disk without waiting for them (Linux's
/// `sync_file_range`). For a bulk load (`Store::open_for_bulk_load`), where SQLite writes the
/// pages its cache spills into the file itself: the commit's fsync then finds most of them on
/// disk, written while both cores were busy computing (the commit of a 10,000-entry ingest
/// 41 → 28 ms, medians of six timed runs). A failure only loses that head start.
fn start_writeback(conn: &Connection) {
    #[cfg(target_os = "linux")]
    if let Some(file) = conn.path().and_then(|path| std::fs::File::open(path).ok()) {
        use std::os::fd::AsRawFd;
        // SAFETY: a descriptor of a file we hold open; the call only schedules writeback.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = conn;
}

/// [`start_writeback`] of every page the transaction has changed so far: SQLite first writes the
/// dirty pages of its cache into the file (`sqlite3_db_cacheflush`; the transaction stays open
/// and can still roll back, through the journal as for any spilled page). For a bulk load's
/// writes that run beside the story decisions: up to the cache's 16 MiB no longer wait for the
/// commit, when nothing else runs. The commit of a 10,000-entry ingest 25 -> 12 ms (medians of
/// twenty timed runs), for a few ms more of the writes beside the decisions.
fn flush_and_start_writeback(conn: &Connection) -> Result<(), StoreError> {
    conn.cache_flush()?;
    start_writeback(conn);
    Ok(())
}

#[cfg(test)]
mod tests;
