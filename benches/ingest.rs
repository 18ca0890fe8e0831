//! Ingest benchmark (issue: ingestion spine). Run with `cargo bench --bench ingest`.
//!
//! In one run, on one 10,000-entry RSS file of ~1 KB an entry:
//! - feed-rs parsing the bytes alone (in process);
//! - `lodestone ingest` of the file into a new database (the real binary: parse, normalize,
//!   store, FTS) and the same ingest in process (into `:memory:`, on mimalloc as the binary's
//!   `ingest` is: the benchmark installs the binary's allocator and switches it the same way);
//! - re-ingesting the unchanged file;
//! - peak resident memory of `lodestone ingest` (the children's max RSS);
//! - Python feedparser on the same file, when `BENCH_PYTHON` names a Python that has it
//!   (`benches/run.sh` sets that up), and with the same Python the floor SQLite alone sets
//!   (`sqlite_floor.py`: the rows and the FTS index, nothing else).
//!
//! Medians of several runs; figures printed as a table.

#[path = "bigdb.rs"]
mod bigdb;
mod corpus;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: lodestone::allocator::ProcessAllocator = lodestone::allocator::ProcessAllocator;

const ENTRIES: usize = 10_000;
const RUNS: usize = 5;

fn main() {
    let directory = tempfile::tempdir().unwrap();
    let feed_path = directory.path().join("feed-10k.xml");
    let feed = corpus::rss_feed(ENTRIES, 7);
    std::fs::write(&feed_path, &feed).unwrap();
    let file_size = feed.len();
    println!(
        "file: {ENTRIES} entries, {:.1} MB ({:.0} bytes an entry)",
        file_size as f64 / 1e6,
        file_size as f64 / ENTRIES as f64
    );

    let feed_rs = median(RUNS, || {
        let started = Instant::now();
        let parsed = feed_rs::parser::parse(feed.as_bytes()).unwrap();
        assert_eq!(parsed.entries.len(), ENTRIES);
        started.elapsed()
    });

    let config_path = directory.path().join("lodestone.toml");
    std::fs::write(&config_path, "[[source]]\nname = \"bench\"\nurl = \"https://bench.example/feed.xml\"\n")
        .unwrap();
    let mut run_number = 0;
    let binary_first = median(RUNS, || {
        run_number += 1;
        let database = directory.path().join(format!("first-{run_number}.db"));
        time_ingest(&config_path, &database, &feed_path)
    });
    let reingest_database = directory.path().join("reingest.db");
    time_ingest(&config_path, &reingest_database, &feed_path);
    let binary_again = median(RUNS, || time_ingest(&config_path, &reingest_database, &feed_path));
    let peak_rss_bytes = children_max_rss_bytes();

    lodestone::allocator::use_mimalloc_from_now();
    let in_process = median(RUNS, || {
        let config = lodestone::config::Config::load(&config_path).unwrap();
        let classifier = config.classifier.get().unwrap();
        let mut store = lodestone::store::Store::open_in_memory().unwrap();
        store.sync_sources(&config.sources, jiff::Timestamp::now()).unwrap();
        let started = Instant::now();
        lodestone::pipeline::ingest_body(
            &mut store,
            &classifier,
            &config.sources[0],
            feed.as_bytes(),
            "bench",
            jiff::Timestamp::now(),
        )
        .unwrap();
        started.elapsed()
    });

    let rate = |duration: Duration| ENTRIES as f64 / duration.as_secs_f64();
    println!();
    println!("{:<44} {:>10} {:>14}", "what", "median", "entries/s");
    let line = |what: &str, duration: Duration| {
        println!("{what:<44} {:>8.1}ms {:>14.0}", duration.as_secs_f64() * 1e3, rate(duration))
    };
    line("feed-rs parse alone (in process)", feed_rs);
    line("lodestone ingest, new database (binary)", binary_first);
    line("lodestone ingest, in process, :memory:", in_process);
    line("lodestone ingest, unchanged file (binary)", binary_again);
    println!();
    println!("ingest / feed-rs throughput:        {:.2} (goal >= 0.5)", rate(binary_first) / rate(feed_rs));
    println!(
        "first / unchanged re-ingest time:   {:.1}x (goal >= 5x)",
        binary_first.as_secs_f64() / binary_again.as_secs_f64()
    );
    println!(
        "peak RSS of ingest:                 {:.1} MB = {:.2}x the file (goal < 3x)",
        peak_rss_bytes as f64 / 1e6,
        peak_rss_bytes as f64 / file_size as f64
    );
    query_latencies(directory.path());
    if let Ok(python) = std::env::var("BENCH_PYTHON") {
        let script = "import sys, time, feedparser\ndata = open(sys.argv[1], 'rb').read()\nbest = []\nfor _ in range(3):\n    t = time.perf_counter(); d = feedparser.parse(data); best.append(time.perf_counter() - t)\nassert len(d.entries) == int(sys.argv[2])\nbest.sort(); print(best[1])\n";
        let output = Command::new(&python)
            .args(["-c", script, feed_path.to_str().unwrap(), &ENTRIES.to_string()])
            .output()
            .unwrap();
        let seconds: f64 = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(f64::NAN);
        println!(
            "Python feedparser parse alone:      {:.0} ms = {:.0} entries/s; lodestone ingest is {:.1}x faster",
            seconds * 1e3,
            ENTRIES as f64 / seconds,
            seconds / binary_first.as_secs_f64()
        );
        sqlite_floor(&python, directory.path(), &config_path, &feed_path, feed_rs);
    } else {
        println!("Python feedparser: skipped (run benches/run.sh, or set BENCH_PYTHON)");
    }
}

/// `query --search` and `query --since 1d --limit 50` over 100,000 stored items: the binary
/// (process start included) and the store call alone.
fn query_latencies(directory: &Path) {
    let database = bigdb::database(100_000, 30);
    let config = directory.join("query.toml");
    std::fs::write(&config, bigdb::config_text()).unwrap();
    let searches = [
        "copper",
        "\"rare earth\"",
        "lithium AND carbonate",
        "smelter OR refinery",
        "export NOT quota",
        "neodym*",
    ];
    let run = |arguments: &[&str]| {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_lodestone"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "--db",
                database.to_str().unwrap(),
                "query",
                "--format",
                "jsonl",
            ])
            .args(arguments)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        started.elapsed()
    };
    let mut search_times: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        for search in searches {
            search_times.push(run(&["--search", search]));
        }
    }
    search_times.sort();
    let recent = median(21, || run(&["--since", "1d", "--limit", "50"]));
    let store = lodestone::store::Store::open(&database).unwrap();
    let mut in_process: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        for search in searches {
            let filter = lodestone::store::ItemFilter {
                search: Some(search.to_string()),
                limit: 50,
                ..Default::default()
            };
            let started = Instant::now();
            store.query_items(&filter).unwrap();
            in_process.push(started.elapsed());
        }
    }
    in_process.sort();
    let since = jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_hours(24)).unwrap();
    let recent_in_process = median(21, || {
        let filter = lodestone::store::ItemFilter { since: Some(since), limit: 50, ..Default::default() };
        let started = Instant::now();
        store.query_items(&filter).unwrap();
        started.elapsed()
    });
    println!();
    println!("query over 100,000 stored items        binary (incl. process start)   store call");
    println!(
        "--search (6 expressions x 5), median   {:>8.2} ms (goal < 20 ms)        {:>6.2} ms",
        search_times[search_times.len() / 2].as_secs_f64() * 1e3,
        in_process[in_process.len() / 2].as_secs_f64() * 1e3
    );
    println!(
        "--since 1d --limit 50, median          {:>8.2} ms (goal < 5 ms)         {:>6.2} ms",
        recent.as_secs_f64() * 1e3,
        recent_in_process.as_secs_f64() * 1e3
    );
}

/// What SQLite alone takes to store the file's entries with their full-text index, the way
/// lodestone writes them (`benches/sqlite_floor.py`): a floor for the ingest figure, set against
/// the goal of half of feed-rs's throughput.
fn sqlite_floor(python: &str, directory: &Path, config: &Path, feed: &Path, feed_rs: Duration) {
    let schema = directory.join("floor-schema.db");
    let made = Command::new(env!("CARGO_BIN_EXE_lodestone"))
        .args(["--config", config.to_str().unwrap(), "--db", schema.to_str().unwrap(), "sources"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/sqlite_floor.py");
    let output = Command::new(python)
        .args([script, feed.to_str().unwrap(), schema.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let [alone, indexed, version] = fields[..] else {
        println!("SQLite floor: failed: {}", String::from_utf8_lossy(&output.stderr));
        return;
    };
    println!(
        "SQLite {version} alone, same rows: {alone} ms items, {indexed} ms with the FTS index; \
         half of feed-rs's throughput leaves {:.0} ms for everything",
        2.0 * feed_rs.as_secs_f64() * 1e3
    );
}

fn time_ingest(config: &Path, database: &Path, feed: &Path) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_lodestone"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--db",
            database.to_str().unwrap(),
            "ingest",
            "--source",
            "bench",
            feed.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    elapsed
}

fn median(runs: usize, mut measure: impl FnMut() -> Duration) -> Duration {
    let mut durations: Vec<Duration> = (0..runs).map(|_| measure()).collect();
    durations.sort();
    durations[runs / 2]
}

/// The largest resident set of any child process waited for so far.
fn children_max_rss_bytes() -> u64 {
    // SAFETY: getrusage writes into the zeroed struct we own; RUSAGE_CHILDREN is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}
