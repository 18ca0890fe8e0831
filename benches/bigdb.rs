//! Large databases for benchmarks, built through the real store (FTS included) and cached under
//! `target/bench-data/` so that repeated runs do not rebuild them.

#![allow(dead_code)]

use std::path::PathBuf;

use jiff::Timestamp;
use lodestone::config::Config;
use lodestone::model::{DateOrigin, Item};
use lodestone::store::{FetchRecord, Store};

use super::corpus::Words;

/// The number of sources the items are spread over.
pub const SOURCES: usize = 20;

/// The config of a big database: its sources (never fetched by the benchmarks).
pub fn config_text() -> String {
    let mut text = String::new();
    for index in 0..SOURCES {
        text.push_str(&format!("[[source]]\nname = \"bulk-{index}\"\nurl = \"http://127.0.0.1:9/bulk-{index}.xml\"\nenabled = false\n\n"));
    }
    text
}

/// A database of `items` items published over the `days` before `now`, built once and reused.
pub fn database(items: usize, days: i64) -> PathBuf {
    database_over_hours(items, days * 24)
}

/// A database of `items` items published over the `hours` before `now`, built once and reused.
/// Items are stored alone, without story features (quick to build).
pub fn database_over_hours(items: usize, hours: i64) -> PathBuf {
    build(items, hours, false)
}

/// The same, but every item placed in its story as the pipeline does (features, window,
/// document frequencies); each item also names a company and an amount of its own, as news
/// does, so the vocabulary grows with the database (two new terms an item).
pub fn database_with_stories(items: usize, hours: i64) -> PathBuf {
    build(items, hours, true)
}

fn build(items: usize, hours: i64, with_stories: bool) -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&directory).unwrap();
    // The build date is in the name: items are dated relative to it, and "the last day" must
    // hold items whenever the benchmark runs.
    let today = Timestamp::now().strftime("%Y%m%d").to_string();
    let span = if hours % 24 == 0 { format!("{}d", hours / 24) } else { format!("{hours}h") };
    let version = if with_stories { "v4-stories" } else { "v2" };
    let path = directory.join(format!("items-{items}-{span}-{today}-{version}.db"));
    if path.exists() {
        return path;
    }
    eprintln!("building {} ({items} items; once, then cached)…", path.display());
    let temporary = path.with_extension("building");
    let _ = std::fs::remove_file(&temporary);
    let config = Config::parse(&config_text(), std::path::Path::new("bench.toml")).unwrap();
    let mut store = Store::open(&temporary).unwrap();
    let now = Timestamp::now();
    store.sync_sources(&config.sources, now).unwrap();
    let mut words = Words::new(11);
    // Items arrive in time order, as from a daemon polling every source: each window of the
    // timeline is stored source by source (one transaction each), so storage order follows
    // publication order up to the window's width (~1.5 h at 100,000 items over 30 days).
    let window = 200;
    let states: Vec<i64> =
        (0..SOURCES).map(|source| store.source_state(&format!("bulk-{source}")).unwrap().id).collect();
    for window_start in (0..items).step_by(window) {
        for (source, source_id) in states.iter().enumerate() {
            let record = FetchRecord::succeeded(*source_id, now, "bench");
            let window_end = (window_start + window).min(items);
            let generated: Vec<Item> = (window_start..window_end)
                .filter(|index| index % SOURCES == source)
                .map(|index| {
                    // Index 0 is the oldest item.
                    let age_seconds = ((items - index) as i64 * hours * 3_600) / items as i64;
                    let published = now.checked_sub(jiff::SignedDuration::from_secs(age_seconds)).unwrap();
                    let mut body_text = format!("{}. {}.", words.sentence(40), words.sentence(40));
                    let title = words.sentence(9);
                    let mut story_features = None;
                    if with_stories {
                        body_text.push_str(&format!(" {} shipped {index} tonnes.", unique_name(index)));
                        let analysis = lodestone::analysis::analyze(&title, &body_text);
                        story_features = Some(Box::new(lodestone::stories::story_features(&analysis, None)));
                    }
                    Item {
                        guid: format!("bulk-{index}"),
                        url: Some(format!("https://bulk.example/{index}")),
                        title,
                        summary: None,
                        body_html: format!("<p>{body_text}</p>"),
                        body_text,
                        author: None,
                        published,
                        published_from: DateOrigin::Published,
                        content_hash: index as i64,
                        series: None,
                        story_features,
                        classification: None,
                    }
                })
                .collect();
            store.record_fetch(&record, generated, now).unwrap();
        }
    }
    drop(store);
    std::fs::rename(&temporary, &path).unwrap();
    path
}

/// A made-up company name for `index`, different for every index.
fn unique_name(mut index: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "Ka", "lo", "mi", "ter", "van", "sul", "dor", "pe", "ri", "gan", "bo", "shi", "ne", "tu", "ra", "zo",
    ];
    let mut name = String::from("Qu");
    loop {
        name.push_str(SYLLABLES[index % 16]);
        index /= 16;
        if index == 0 {
            return name;
        }
    }
}
