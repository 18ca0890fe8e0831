//! A fetch killed with SIGKILL mid-pass, an ingest into a new database (written with a rollback
//! journal, then switched to WAL) finished or killed, and the politeness limits, seen from the
//! server side.

mod support;

use std::time::{Duration, Instant};

use std::sync::Arc;

use support::{Concurrency, Response, TestServer, Workspace, source_block, text};

/// An RSS feed of `entries` entries of about 1 KB, ids prefixed with `prefix`.
fn big_feed(prefix: &str, entries: usize) -> Vec<u8> {
    let mut feed = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title><link>https://big.example/</link><description>d</description>",
    );
    for index in 0..entries {
        feed.push_str(&format!(
            "<item><title>{prefix} item {index} on copper cathode premiums</title><guid>{prefix}-{index}</guid><link>https://big.example/{prefix}/{index}</link><pubDate>Mon, 02 Feb 2026 10:00:00 GMT</pubDate><description>{}</description></item>",
            "Premiums for copper cathode in Yangshan held steady as importers waited. ".repeat(12)
        ));
    }
    feed.push_str("</channel></rss>");
    feed.into_bytes()
}

#[test]
fn kill_9_mid_pass_leaves_a_sound_database_and_the_rerun_completes_without_duplicates() {
    let server = TestServer::start();
    let sources = 24;
    let entries = 400;
    let mut config = String::from("[fetch]\nconcurrency = 3\nper_host = 3\n\n");
    for index in 0..sources {
        let path = format!("/feed-{index}.xml");
        server.fixed(
            &path,
            Response::ok("application/rss+xml", big_feed(&format!("s{index}"), entries))
                .delayed(Duration::from_millis(150)),
        );
        config.push_str(&source_block(&format!("source-{index}"), &server.url(&path)));
    }
    let workspace = Workspace::new(&config);
    let mut child = workspace
        .command(&["fetch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some, but not all, sources are stored, then kill without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stored = count_items(&workspace);
        if stored >= entries as i64 * 2 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = count_items(&workspace);
    assert!(killed_at < (sources * entries) as i64, "the pass was not interrupted ({killed_at} items)");
    assert_eq!(killed_at % entries as i64, 0, "a source is stored whole or not at all");
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.foreign_key_violations().unwrap(), 0);
    drop(store);
    let rerun = workspace.run(&["fetch"]);
    assert!(rerun.status.success(), "{:?}", text(&rerun));
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    let (rows, distinct): (i64, i64) = connection
        .query_row(
            "SELECT COUNT(*), (SELECT COUNT(*) FROM (SELECT DISTINCT source_id, guid FROM items)) FROM items",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, distinct), ((sources * entries) as i64, (sources * entries) as i64));
}

fn count_items(workspace: &Workspace) -> i64 {
    let Ok(connection) = rusqlite::Connection::open_with_flags(
        workspace.database(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    ) else {
        return 0;
    };
    connection.query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0)).unwrap_or(0)
}

#[test]
fn sources_are_fetched_concurrently_but_never_more_than_per_host_at_once() {
    let both_servers = Arc::new(Concurrency::default());
    let server = TestServer::start_sharing(both_servers.clone());
    let other = TestServer::start_sharing(both_servers.clone());
    let mut config = String::from("[fetch]\nconcurrency = 8\nper_host = 2\n\n");
    for index in 0..8 {
        let path = format!("/f{index}.xml");
        let response = Response::ok("application/rss+xml", big_feed(&format!("h{index}"), 1))
            .delayed(Duration::from_millis(300));
        server.fixed(&path, response.clone());
        other.fixed(&path, response);
        config.push_str(&source_block(&format!("a-{index}"), &server.url(&path)));
        config.push_str(&source_block(&format!("b-{index}"), &other.url(&path)));
    }
    let workspace = Workspace::new(&config);
    let output = workspace.run(&["fetch"]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(server.max_in_flight(), 2, "per_host caps one host");
    assert_eq!(other.max_in_flight(), 2);
    // Each answer takes 300 ms, so requests overlap only if they were sent concurrently.
    assert_eq!(
        both_servers.max.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "both hosts were fetched side by side"
    );
    assert_eq!(workspace.items().len(), 16);
}

fn journal_mode(database: &std::path::Path) -> String {
    let connection = rusqlite::Connection::open(database).unwrap();
    connection.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap()
}

/// Every index of the schema, with its definition, in name order.
fn index_definitions(database: &std::path::Path) -> Vec<(String, Option<String>)> {
    let connection = rusqlite::Connection::open(database).unwrap();
    let mut statement =
        connection.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").unwrap();
    statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// The indexes the migrations alone make (a new, empty database).
fn migrated_index_definitions(workspace: &Workspace) -> Vec<(String, Option<String>)> {
    let empty = workspace.directory.path().join("migrated-only.db");
    drop(lodestone::store::Store::open(&empty).unwrap());
    index_definitions(&empty)
}

/// The `-journal` file beside `database`, as SQLite names it.
fn rollback_journal(database: &std::path::Path) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-journal");
    name.into()
}

#[test]
fn ingest_into_a_new_database_leaves_it_in_wal_mode_where_readers_do_not_block_the_next_write() {
    let workspace = Workspace::new(&source_block("big", "https://big.example/feed.xml"));
    let first = workspace.directory.path().join("first.xml");
    // Large enough to take the parallel path (parts of 512 KiB).
    std::fs::write(&first, big_feed("first", 1500)).unwrap();
    assert!(!workspace.database().exists());
    let output = workspace.run(&["ingest", "--source", "big", first.to_str().unwrap()]);
    assert!(text(&output).0.contains("ok (1500 new, 0 updated, 0 unchanged)"), "{:?}", text(&output));
    assert_eq!(journal_mode(&workspace.database()), "wal");
    assert!(!rollback_journal(&workspace.database()).exists(), "no rollback journal is left");
    // The load builds some indexes after their rows: every one is back, as the migrations made it
    // (and the integrity check below finds each holding every row).
    let expected_indexes = migrated_index_definitions(&workspace);
    assert!(expected_indexes.iter().any(|(name, _)| name == "stories_by_first_published"));
    assert_eq!(index_definitions(&workspace.database()), expected_indexes);
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.foreign_key_violations().unwrap(), 0);
    drop(store);
    // A reader in the middle of a read transaction: with WAL the next ingest still commits.
    let reader = rusqlite::Connection::open(workspace.database()).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let before: i64 = reader.query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0)).unwrap();
    assert_eq!(before, 1500);
    let second = workspace.directory.path().join("second.xml");
    std::fs::write(&second, big_feed("second", 20)).unwrap();
    let output = workspace.run(&["ingest", "--source", "big", second.to_str().unwrap()]);
    assert!(text(&output).0.contains("ok (20 new, 0 updated, 0 unchanged)"), "{:?}", text(&output));
    let during: i64 = reader.query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0)).unwrap();
    assert_eq!(during, 1500, "the reader keeps its snapshot");
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(count_items(&workspace), 1520);
}

#[test]
fn kill_9_mid_ingest_into_a_new_database_leaves_it_sound_and_in_wal_mode() {
    let workspace = Workspace::new(&source_block("big", "https://big.example/feed.xml"));
    let feed = workspace.directory.path().join("feed.xml");
    // Some 30 MB stored: more than the 16 MiB page cache, so pages reach the file mid-write.
    let entries = 8000;
    std::fs::write(&feed, big_feed("k", entries)).unwrap();
    let mut child = workspace
        .command(&["ingest", "--source", "big", feed.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The empty schema is about 0.6 MB: wait until the ingest's pages are being written.
    let deadline = Instant::now() + Duration::from_secs(60);
    let database_size = || std::fs::metadata(workspace.database()).map_or(0, |metadata| metadata.len());
    while database_size() < 4 * 1024 * 1024 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(running, "the ingest ended before it could be interrupted");
    // The next command opens the file: SQLite rolls the interrupted write back, WAL goes on.
    let output = workspace.run(&["sources"]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(journal_mode(&workspace.database()), "wal");
    assert_eq!(index_definitions(&workspace.database()), migrated_index_definitions(&workspace));
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.foreign_key_violations().unwrap(), 0);
    drop(store);
    let stored = count_items(&workspace);
    assert!(stored == 0 || stored == entries as i64, "one transaction: all or nothing, not {stored}");
}
