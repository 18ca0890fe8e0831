//! `lodestone reclassify` over 100,000 stored items (issue: topics and entities; goal < 15 s).
//! Run with `cargo bench --bench reclassify`.
//!
//! The items are the labelled news texts (tests/fixtures/labelled, real-sized news, 100–250
//! words) repeated under new guids and dates, stored once through the real store and cached in
//! `target/bench-data/`. Each run copies that file and times the release binary re-tagging
//! every item (read, classify on every core, write topics and entities, in batches), twice:
//! into a database without tags, and again over existing tags (the usual case after a taxonomy
//! edit). Medians of 3 runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use lodestone::config::Config;
use lodestone::model::{DateOrigin, Item};
use lodestone::store::{FetchRecord, Store};

const ITEMS: usize = 100_000;
const RUNS: usize = 3;
const CONFIG: &str = "[[source]]\nname = \"bulk\"\nurl = \"http://127.0.0.1:9/bulk.xml\"\nenabled = false\n";

fn main() {
    let cached = database();
    let directory = tempfile::tempdir().unwrap();
    let config = directory.path().join("lodestone.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut first = Vec::new();
    let mut again = Vec::new();
    for run in 0..RUNS {
        let copy = directory.path().join(format!("run-{run}.db"));
        std::fs::copy(&cached, &copy).unwrap();
        first.push(time_reclassify(&config, &copy));
        again.push(time_reclassify(&config, &copy));
        std::fs::remove_file(&copy).unwrap();
    }
    let report = |label: &str, mut times: Vec<Duration>| {
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "{label:<44} {:>6.2} s  ({:.0} items/s)",
            median.as_secs_f64(),
            ITEMS as f64 / median.as_secs_f64()
        );
    };
    println!("lodestone reclassify, {ITEMS} stored items, median of {RUNS} runs:");
    report("first tagging (no tags stored)", first);
    report("re-tagging (replacing stored tags)", again);
}

fn time_reclassify(config: &Path, database: &Path) -> Duration {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/lodestone");
    assert!(binary.exists(), "build the binary first: cargo build --release");
    let started = Instant::now();
    let output = Command::new(&binary)
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(database)
        .arg("reclassify")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("{ITEMS} items")));
    elapsed
}

/// The labelled news texts: (title, body).
fn texts() -> Vec<(String, String)> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labelled");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "jsonl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                texts.push((
                    value["title"].as_str().unwrap().to_string(),
                    value["body"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    texts.sort();
    texts
}

/// The cached database of `ITEMS` items, built once.
fn database() -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join(format!("reclassify-{ITEMS}-v1.db"));
    if path.exists() {
        return path;
    }
    eprintln!("building {} (once, then cached)…", path.display());
    let temporary = path.with_extension("building");
    let _ = std::fs::remove_file(&temporary);
    let config = Config::parse(CONFIG, Path::new("bench.toml")).unwrap();
    let mut store = Store::open(&temporary).unwrap();
    let now = Timestamp::now();
    store.sync_sources(&config.sources, now).unwrap();
    let source_id = store.source_state("bulk").unwrap().id;
    let texts = texts();
    for batch_start in (0..ITEMS).step_by(1_000) {
        let items: Vec<Item> = (batch_start..(batch_start + 1_000).min(ITEMS))
            .map(|index| {
                let (title, body) = &texts[index % texts.len()];
                let published =
                    now.checked_sub(jiff::SignedDuration::from_secs((ITEMS - index) as i64 * 300)).unwrap();
                Item {
                    guid: format!("bulk-{index}"),
                    url: Some(format!("https://bulk.example/{index}")),
                    title: title.clone(),
                    summary: None,
                    body_html: String::new(),
                    body_text: body.clone(),
                    author: None,
                    published,
                    published_from: DateOrigin::Published,
                    content_hash: index as i64,
                    series: None,
                    story_features: None,
                    classification: None,
                }
            })
            .collect();
        let record = FetchRecord::succeeded(source_id, now, "bench");
        store.record_fetch(&record, items, now).unwrap();
    }
    drop(store);
    std::fs::rename(&temporary, &path).unwrap();
    path
}
