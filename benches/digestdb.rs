//! The digest benchmark's database: 5,000 stories of three reports each (three sources, the
//! same text, minutes apart) first published in the 24 hours before the digest's time, and 500
//! a day in the six days before them for the chart. Built once through the real store (story
//! detection and classification included) and cached under `target/bench-data/`.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use lodestone::analysis::analyze;
use lodestone::classify::Classifier;
use lodestone::config::Config;
use lodestone::model::{DateOrigin, Item};
use lodestone::store::{FetchRecord, Store};
use lodestone::stories::story_features;

use super::corpus::Words;

/// Stories in the digest's window.
pub const STORIES: usize = 5_000;
/// Stories a day in each of the six days before it (the chart's other days).
pub const EARLIER_PER_DAY: usize = 500;
/// The digest's date; its window is the 24 hours before 07:00 UTC that day.
pub const DATE: &str = "2026-02-07";
const WINDOW_END: &str = "2026-02-07T07:00:00Z";
const SOURCES: usize = 3;
const COMMODITIES: [&str; 6] = ["rare earth", "lithium", "cobalt", "nickel", "NdFeB magnet", "copper"];

/// Three sources, a digest at 07:00 UTC to one recipient of every topic, an SMTP server that
/// is never used (nothing is sent).
pub fn config() -> Config {
    let mut text = String::new();
    for index in 0..SOURCES {
        text.push_str(&format!(
            "[[source]]\nname = \"wire-{index}\"\ntitle = \"Metals Wire {index}\"\nurl = \"http://127.0.0.1:9/{index}.xml\"\nenabled = false\n\n"
        ));
    }
    text.push_str(
        "[digest]\nat = \"07:00\"\ntimezone = \"UTC\"\n\n[[digest.recipient]]\nname = \"desk\"\nemail = \"desk@example.com\"\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = 9\nsecurity = \"none\"\nfrom = \"news@example.com\"\n",
    );
    Config::parse(&text, Path::new("benches/digest.toml")).unwrap()
}

/// The database, built on first use.
pub fn database() -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join(format!("digest-{STORIES}-{EARLIER_PER_DAY}-v1.db"));
    if path.exists() {
        return path;
    }
    eprintln!("building {} (once, then cached)…", path.display());
    let temporary = path.with_extension("building");
    let _ = std::fs::remove_file(&temporary);
    let config = config();
    let classifier = Classifier::shipped().unwrap();
    let mut store = Store::open(&temporary).unwrap();
    let now = Timestamp::now();
    store.sync_sources(&config.sources, now).unwrap();
    let sources: Vec<i64> =
        (0..SOURCES).map(|source| store.source_state(&format!("wire-{source}")).unwrap().id).collect();
    // First publication times, oldest first: six earlier days, then the digest's window.
    let end: Timestamp = WINDOW_END.parse().unwrap();
    let mut published: Vec<Timestamp> = Vec::new();
    for day in (1..=6).rev() {
        published.extend(spread(end - SignedDuration::from_hours(24 * (day + 1)), EARLIER_PER_DAY));
    }
    published.extend(spread(end - SignedDuration::from_hours(24), STORIES));
    let mut words = Words::new(23);
    // Stored in time order, a batch of stories source by source, as a daemon would.
    for (batch, times) in published.chunks(200).enumerate() {
        let stories: Vec<(String, String, Timestamp)> = times
            .iter()
            .enumerate()
            .map(|(offset, time)| {
                let index = batch * 200 + offset;
                let (title, body) = text(index, &mut words);
                (title, body, *time)
            })
            .collect();
        let tagged: Vec<_> = stories
            .iter()
            .map(|(title, body, _)| {
                let classification = classifier.classify(title, body, &[]);
                let features = story_features(&analyze(title, body), Some(&classification));
                (classification, features)
            })
            .collect();
        for (source, source_id) in sources.iter().enumerate() {
            let items =
                stories.iter().zip(&tagged).enumerate().map(|(offset, ((title, body, time), tags))| {
                    let index = batch * 200 + offset;
                    Item {
                        guid: format!("{index}-{source}"),
                        url: Some(format!("https://wire{source}.example/{index}")),
                        title: title.clone(),
                        summary: None,
                        body_html: format!("<p>{body}</p>"),
                        body_text: body.clone(),
                        author: None,
                        published: *time + SignedDuration::from_mins(source as i64 * 3),
                        published_from: DateOrigin::Published,
                        content_hash: (index * SOURCES + source) as i64,
                        series: None,
                        story_features: Some(Box::new(tags.1.clone())),
                        classification: Some(Box::new(tags.0.clone())),
                    }
                });
            store.record_fetch(&fetch_record(*source_id, now), items, now).unwrap();
        }
    }
    drop(store);
    std::fs::rename(&temporary, &path).unwrap();
    path
}

/// `count` instants evenly spread over the 24 hours from `start`.
fn spread(start: Timestamp, count: usize) -> Vec<Timestamp> {
    (0..count).map(|index| start + SignedDuration::from_secs((index * 86_000 / count) as i64)).collect()
}

/// A financing story of its own company, amount and commodity, with words of its own.
fn text(index: usize, words: &mut Words) -> (String, String) {
    let company = format!("{} Resources", capitalized(&words.sentence(1)));
    let amount = 10 + index % 900;
    let commodity = COMMODITIES[index % COMMODITIES.len()];
    let title =
        format!("{company} secures ${amount} million for {commodity} project in {}", words.sentence(3));
    let body = format!(
        "{company} said on Friday that a development bank offered it ${amount} million to build a {commodity} \
         plant producing {} t a year from 2028. {}. {}.",
        1_000 + index % 7_000,
        words.sentence(30),
        words.sentence(30)
    );
    (title, body)
}

fn capitalized(word: &str) -> String {
    let mut characters = word.trim_end_matches('.').chars();
    characters.next().map(|first| first.to_uppercase().chain(characters).collect()).unwrap_or_default()
}

fn fetch_record(source_id: i64, now: Timestamp) -> FetchRecord {
    FetchRecord::succeeded(source_id, now, "bench")
}
