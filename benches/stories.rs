//! Story benchmark (issue: stories). Run with `cargo bench --bench stories`.
//!
//! - Story assignment per item (candidates, comparisons, the decision, adding it to the window)
//!   with 10,000 items in the window: the median over 2,000 new items. Features are computed
//!   beforehand (they are computed off the store's thread, in parallel, in the pipeline).
//! - Brute force against the index: the cost of comparing with every item of the window, for
//!   windows of 100 to 10,000 items, to see where the index starts to pay.
//! - Memory: the heap a window item costs, and the document frequencies' heap after two million
//!   distinct terms (they keep the commonest 200,000).
//! - Per-item cost of storing new items (with their stories) into databases of 10,000, 100,000
//!   and 1,000,000 items, each in a process of its own with its peak memory: spread over a year,
//!   and arriving at one rate (a database growing with time).

#[path = "bigdb.rs"]
mod bigdb;
mod corpus;

use std::time::{Duration, Instant};

use lodestone::analysis::analyze;
use lodestone::stories::{NewMember, Settings, StoryEngine, StoryFeatures, story_features};

/// Features of `count` synthetic items, one minute apart, starting `start` (seconds).
fn synthetic(count: usize, seed: u64, start: i64) -> Vec<(i64, StoryFeatures)> {
    let mut words = corpus::Words::new(seed);
    (0..count)
        .map(|index| {
            let title = words.sentence(9);
            let body = format!("{}. {}. {}.", words.sentence(40), words.sentence(40), words.sentence(30));
            (start + index as i64 * 60, story_features(&analyze(&title, &body), None))
        })
        .collect()
}

fn fill(engine: &mut StoryEngine, items: Vec<(i64, StoryFeatures)>, first_id: i64) {
    for (offset, (published, features)) in items.into_iter().enumerate() {
        let member =
            NewMember { item: first_id + offset as i64, source: offset as i64 % 20, published, features };
        let placement = engine.place(&member);
        let story = placement.joined.unwrap_or(member.item);
        engine.remember(member, story);
    }
}

fn hash_placement(placement: &lodestone::stories::Placement, hasher: &mut std::hash::DefaultHasher) {
    use std::hash::Hash;
    (placement.joined, placement.matched_item, placement.reason, placement.score.to_bits()).hash(hasher);
    for adoption in &placement.adopted {
        (adoption.item, adoption.from_story, adoption.reason, adoption.score.to_bits()).hash(hasher);
    }
}

fn median(mut durations: Vec<Duration>) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}

fn main() {
    // `cargo bench --bench stories -- assignment|rewrites|memory|brute|curve [sizes…]` runs one
    // part (the curve at the given database sizes); `curve-one ITEMS HOURS` is one point of it.
    let arguments: Vec<String> =
        std::env::args().skip(1).filter(|argument| !argument.starts_with('-')).collect();
    let only = arguments.first().cloned();
    let sizes: Vec<usize> = arguments.iter().skip(1).filter_map(|size| size.parse().ok()).collect();
    let runs = |part: &str| only.as_deref().is_none_or(|only| only == part);
    if runs("assignment") {
        assignment(&settings());
    }
    if runs("rewrites") {
        rewrites(&Settings::default());
    }
    if runs("memory") {
        window_memory(&settings());
    }
    if runs("brute") {
        brute_force_against_index(&settings());
    }
    if only.as_deref() == Some("curve-one") {
        let items = arguments[1].parse().unwrap();
        let hours = arguments[2].parse().unwrap();
        curve_point(items, hours);
        return;
    }
    if runs("curve") {
        database_curve(if sizes.is_empty() { &[10_000, 100_000, 1_000_000] } else { &sizes });
    }
}

fn settings() -> Settings {
    // A window of 10,000 items published over the last 7 days (fits a 72 h span by using a
    // wide span, so every item is a possible candidate).
    Settings { span_seconds: 30 * 24 * 3600, close_after_seconds: 30 * 24 * 3600, ..Settings::default() }
}

fn assignment(settings: &Settings) {
    for window in [1_000usize, 10_000] {
        let mut engine = StoryEngine::new(Settings { brute_force_below: 0, ..settings.clone() });
        fill(&mut engine, synthetic(window, 3, 0), 1);
        let new_items = synthetic(2_000, 5, window as i64 * 60);
        let mut times = Vec::with_capacity(new_items.len());
        // A digest of every decision: an optimization must leave it unchanged.
        let mut decisions = std::hash::DefaultHasher::new();
        for (offset, (published, features)) in new_items.into_iter().enumerate() {
            let member = NewMember { item: 10_000_000 + offset as i64, source: 7, published, features };
            let started = Instant::now();
            let placement = engine.place(&member);
            let story = placement.joined.unwrap_or(member.item);
            engine.remember(member, story);
            times.push(started.elapsed());
            hash_placement(&placement, &mut decisions);
        }
        println!(
            "story assignment with {window:>6} items in the window (index): median {:.1} µs (goal <= 50 µs at 10,000); decisions {:016x}",
            median(times).as_secs_f64() * 1e6,
            std::hash::Hasher::finish(&decisions)
        );
    }
}

/// Decisions that are not all "new": a third of the items rewrite one of the 300 before them
/// (words replaced, an amount kept or changed), with classification, so joins, vetoes and
/// adoptions happen. The digest of the decisions must not change with an optimization.
fn rewrites(settings: &Settings) {
    let config = lodestone::config::Config::parse("", std::path::Path::new("bench.toml")).unwrap();
    let classifier = config.classifier.get().unwrap();
    let mut words = corpus::Words::new(23);
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut members = Vec::new();
    for index in 0..6_000usize {
        let draw = words.next_u64();
        let (title, body) = if draw.is_multiple_of(3) && texts.len() > 10 {
            let (title, body) = &texts[texts.len() - 1 - (draw >> 8) as usize % texts.len().min(300)];
            (rewrite(title, &mut words), rewrite(body, &mut words))
        } else {
            let amount =
                if draw.is_multiple_of(5) { format!(" ${} million", draw % 900) } else { String::new() };
            let title = format!("{}{amount}", words.sentence(9));
            let body =
                format!("{}. {}{amount}. {}.", words.sentence(40), words.sentence(40), words.sentence(30));
            (title, body)
        };
        let analysis = analyze(&title, &body);
        let classification = classifier.classify_analysis(&analysis, &title, &body, &[]);
        let features = story_features(&analysis, Some(&classification));
        members.push(NewMember {
            item: index as i64 + 1,
            source: (draw >> 32) as i64 % 20,
            published: index as i64 * 60,
            features,
        });
        texts.push((title, body));
    }
    let mut engine = StoryEngine::new(Settings { brute_force_below: 0, ..settings.clone() });
    let mut decisions = std::hash::DefaultHasher::new();
    let (mut times, mut joined) = (Vec::new(), 0);
    for member in members {
        let started = Instant::now();
        let placement = engine.place(&member);
        let story = placement.joined.unwrap_or(member.item);
        engine.remember(member, story);
        times.push(started.elapsed());
        joined += usize::from(placement.joined.is_some());
        hash_placement(&placement, &mut decisions);
    }
    println!(
        "story assignment, a third rewrites (6,000 items, 72 h span): median {:.1} µs; {joined} joined; decisions {:016x}",
        median(times).as_secs_f64() * 1e6,
        std::hash::Hasher::finish(&decisions)
    );
}

/// `text` with about a quarter of its words replaced, and its amounts usually kept.
fn rewrite(text: &str, words: &mut corpus::Words) -> String {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(' ') {
        let draw = words.next_u64();
        if word.starts_with('$') && draw.is_multiple_of(4) {
            out.push(format!("${}", draw % 900));
        } else if draw % 4 == 1 && !word.starts_with('$') {
            out.push(words.word().to_string());
        } else {
            out.push(word.to_string());
        }
    }
    out.join(" ")
}

fn brute_force_against_index(settings: &Settings) {
    for window in [100usize, 300, 1_000, 3_000, 10_000] {
        let mut cost = Vec::new();
        for brute in [true, false] {
            let mut engine = StoryEngine::new(Settings {
                brute_force_below: if brute { usize::MAX } else { 0 },
                ..settings.clone()
            });
            fill(&mut engine, synthetic(window, 3, 0), 1);
            let new_items = synthetic(300, 9, window as i64 * 60);
            let mut times = Vec::new();
            for (offset, (published, features)) in new_items.into_iter().enumerate() {
                let member = NewMember { item: 20_000_000 + offset as i64, source: 3, published, features };
                let started = Instant::now();
                let _ = engine.place(&member);
                times.push(started.elapsed());
            }
            cost.push(median(times));
        }
        println!(
            "window {window:>6}: brute force {:>8.1} µs, index {:>6.1} µs per decision",
            cost[0].as_secs_f64() * 1e6,
            cost[1].as_secs_f64() * 1e6
        );
    }
}

/// Hours over which `items` items arrive at the rate of 1,000,000 a year (2,740 a day).
fn hours_at_one_rate(items: usize) -> i64 {
    ((items as f64 * 8_760.0 / 1_000_000.0).round() as i64).max(1)
}

/// The curve: each database in a process of its own (this benchmark run again with `curve-one`),
/// so each peak RSS is that database's alone. Two spreads: every size over a year (the window of
/// 72 h then holds 80, 800 and 8,000 items), and every size at one rate, 1,000,000 items a year
/// (the window holds some 8,000 items at every size: a database growing as time passes).
fn database_curve(sizes: &[usize]) {
    let executable = std::env::current_exe().unwrap();
    // A database in both spreads (a year at 1,000,000 items) is measured once.
    let mut measured: std::collections::HashMap<(usize, i64), String> = Default::default();
    for (spread, hours_of) in [
        ("over a year", (|_| 8_760) as fn(usize) -> i64),
        ("at 1,000,000 items a year", hours_at_one_rate as fn(usize) -> i64),
    ] {
        println!("databases {spread}:");
        for &items in sizes {
            let hours = hours_of(items);
            let line = measured.entry((items, hours)).or_insert_with(|| {
                // Built (once, then cached) here, so that the building is not in the peak RSS.
                bigdb::database_with_stories(items, hours);
                let output = std::process::Command::new(&executable)
                    .args(["curve-one", &items.to_string(), &hours.to_string()])
                    .stderr(std::process::Stdio::inherit())
                    .output()
                    .unwrap();
                assert!(output.status.success(), "the curve's run for {items} items failed");
                String::from_utf8_lossy(&output.stdout).trim_end().to_string()
            });
            println!("{line}");
        }
    }
}

/// One point of the curve, in this process: 2,000 new items stored (with their stories) into a
/// copy of a database of `items` items published over the last `hours`.
fn curve_point(items: usize, hours: i64) {
    use lodestone::config::Config;
    use lodestone::store::{FetchRecord, Store};
    let source_database = bigdb::database_with_stories(items, hours);
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("curve.db");
    std::fs::copy(&source_database, &database).unwrap();
    // The copy's pages are still dirty in the OS cache: flushed now, or the store's first
    // checkpoint (its fsync) would write the whole file and count it as the store's cost.
    std::fs::File::open(&database).unwrap().sync_all().unwrap();
    let config = Config::parse(&bigdb::config_text(), std::path::Path::new("bench.toml")).unwrap();
    let mut store = Store::open(&database).unwrap();
    store.sync_sources(&config.sources, jiff::Timestamp::now()).unwrap();
    let state = store.source_state("bulk-0").unwrap();
    let now = jiff::Timestamp::now();
    let mut words = corpus::Words::new(17);
    let batches: Vec<Vec<lodestone::model::Item>> = (0..20)
        .map(|batch| {
            (0..100)
                .map(|index| {
                    let title = words.sentence(9);
                    let body_text = format!("{}. {}.", words.sentence(40), words.sentence(40));
                    let features = story_features(&analyze(&title, &body_text), None);
                    lodestone::model::Item {
                        guid: format!("curve-{batch}-{index}"),
                        url: None,
                        title,
                        summary: None,
                        body_html: String::new(),
                        body_text,
                        author: None,
                        series: None,
                        published: now,
                        published_from: lodestone::model::DateOrigin::Published,
                        content_hash: index,
                        story_features: Some(Box::new(features)),
                        classification: None,
                    }
                })
                .collect()
        })
        .collect();
    let record = FetchRecord::succeeded(state.id, now, "bench");
    // The first batch loads the window (items of the last 72 h) and the frequencies.
    let mut batches = batches.into_iter();
    let started = Instant::now();
    store.record_fetch(&record, batches.next().unwrap(), now).unwrap();
    let load = started.elapsed();
    let started = Instant::now();
    let mut stored = 0;
    for batch in batches {
        stored += batch.len();
        store.record_fetch(&record, batch, now).unwrap();
    }
    let per_item = started.elapsed() / stored as u32;
    let window = store.story_engine().window.len();
    let frequencies = &store.story_engine().frequencies;
    let (terms, cut) = (frequencies.terms_in_memory(), frequencies.forgotten_below());
    println!(
        "  {items:>9} items over {hours:>4} h: {:>4.0} µs per new item stored (with its story); first batch incl. window load {:>4.0} ms; {window:>5} items in the window; {terms:>6} terms counted in memory (cut at {cut}); peak RSS {:.0} MB",
        per_item.as_secs_f64() * 1e6,
        load.as_secs_f64() * 1e3,
        peak_rss_mb()
    );
}

/// Heap in use: glibc's count of allocated bytes, in its arenas and in blocks of their own.
fn heap_bytes() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

/// The heap a window item costs: 10,000 items placed, the heap before and after.
fn window_memory(settings: &Settings) {
    // What is left on the heap once the items are in the window and their features consumed.
    let before = heap_bytes();
    let mut engine = StoryEngine::new(Settings { brute_force_below: 0, ..settings.clone() });
    fill(&mut engine, synthetic(10_000, 3, 0), 1);
    let after = heap_bytes();
    println!(
        "window memory: {:.0} bytes of heap a window item (10,000 items, document frequencies included)",
        after.saturating_sub(before) as f64 / 10_000.0
    );
    drop(engine);
    // A vocabulary that never stops growing, as news (amounts, names, dates): 20,000
    // documents of 20 common terms and 100 never seen before, 2,000,000 distinct terms.
    let before = heap_bytes();
    let mut frequencies = lodestone::stories::DocumentFrequencies::default();
    let mut terms: Vec<(u64, f32)> = Vec::with_capacity(120);
    for document in 0..20_000u64 {
        terms.clear();
        terms.extend((0..20).map(|common| (common, 1.0)));
        terms.extend((0..100).map(|new| (1_000 + document * 100 + new, 1.0)));
        frequencies.add_document(&terms);
        // What the store does after each transaction: the counted and forgotten terms go to
        // SQLite.
        drop(frequencies.take_changed());
    }
    println!(
        "document frequencies after 2,000,000 distinct terms: {} terms in memory (the last cut at {} documents), {:.1} MB of heap",
        frequencies.terms_in_memory(),
        frequencies.forgotten_below(),
        heap_bytes().saturating_sub(before) as f64 / 1e6
    );
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("VmHWM"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}
