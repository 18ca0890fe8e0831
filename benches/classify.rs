//! Classification benchmark (issue: topics and entities). Run with `cargo bench --bench classify`.
//!
//! Topics + entities (`Classifier::classify`: analysis, gazetteer matching, company guesses,
//! measures, topic rules, facts) on one thread, for:
//! - the labelled items of tests/fixtures/labelled (real news texts, ~100-200 words), repeated;
//! - synthetic 200-word items built from the seed text's sentences, so that every item is
//!   exactly the size the target names.
//!
//! The classifier is built once. Each figure is the median of 7 runs of 20,000 items; the
//! analysis alone is timed too, to show where the time goes. Times are the thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), so that other processes on a shared machine do not count; the
//! wall-clock figure is printed beside it.

use std::path::Path;
use std::time::{Duration, Instant};

use lodestone::analysis::{Analysis, Analyzer};
use lodestone::classify::Classifier;

const RUNS: usize = 7;
const ITEMS_PER_RUN: usize = 20_000;

fn main() {
    let classifier = Classifier::shipped().expect("shipped rules load");
    let labelled = labelled_items();
    let synthetic = synthetic_items(200);
    let labelled_words = average_words(&labelled);
    let synthetic_words = average_words(&synthetic);

    let classify_labelled = median(RUNS, || time_classify(&classifier, &labelled));
    let classify_synthetic = median(RUNS, || time_classify(&classifier, &synthetic));
    let analyzer = Analyzer::new();
    let analyze_synthetic = median(RUNS, || time_analyze(&analyzer, &synthetic));

    println!("one thread, median of {RUNS} runs of {ITEMS_PER_RUN} items:");
    report("classify, labelled items", labelled.len(), labelled_words, classify_labelled);
    report("classify, synthetic items", synthetic.len(), synthetic_words, classify_synthetic);
    report("analysis only, synthetic", synthetic.len(), synthetic_words, analyze_synthetic);
}

fn report(label: &str, distinct: usize, words: f64, (cpu, wall): (Duration, Duration)) {
    let per_second = ITEMS_PER_RUN as f64 / cpu.as_secs_f64();
    let micros = cpu.as_secs_f64() * 1e6 / ITEMS_PER_RUN as f64;
    let wall_per_second = ITEMS_PER_RUN as f64 / wall.as_secs_f64();
    println!(
        "  {label:<28} {per_second:>9.0} items/s CPU ({micros:.1} us/item; wall {wall_per_second:.0}/s; {distinct} distinct items, {words:.0} words avg)"
    );
}

/// CPU time used by this thread so far.
fn thread_cpu_time() -> Duration {
    let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `time`.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    assert_eq!(status, 0, "clock_gettime failed");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

/// Runs `work`, returning (thread CPU time, wall time).
fn timed(work: impl FnOnce()) -> (Duration, Duration) {
    let (cpu_start, wall_start) = (thread_cpu_time(), Instant::now());
    work();
    (thread_cpu_time() - cpu_start, wall_start.elapsed())
}

fn time_classify(classifier: &Classifier, items: &[(String, String)]) -> (Duration, Duration) {
    let mut found = 0usize;
    let times = timed(|| {
        for (title, body) in items.iter().cycle().take(ITEMS_PER_RUN) {
            let classification = classifier.classify(title, body, &[]);
            found += classification.topics.len() + classification.entities.len();
        }
    });
    assert!(found > 0, "the classifier found nothing at all");
    times
}

fn time_analyze(analyzer: &Analyzer, items: &[(String, String)]) -> (Duration, Duration) {
    let mut analysis = Analysis::default();
    let mut tokens = 0usize;
    let times = timed(|| {
        for (title, body) in items.iter().cycle().take(ITEMS_PER_RUN) {
            analyzer.analyze_into(title, body, &mut analysis);
            tokens += analysis.tokens.len();
        }
    });
    assert!(tokens > 0);
    times
}

/// The run with the median CPU time.
fn median(runs: usize, mut run: impl FnMut() -> (Duration, Duration)) -> (Duration, Duration) {
    let mut times: Vec<(Duration, Duration)> = (0..runs).map(|_| run()).collect();
    times.sort();
    times[runs / 2]
}

fn average_words(items: &[(String, String)]) -> f64 {
    let words: usize = items
        .iter()
        .map(|(title, body)| title.split_whitespace().count() + body.split_whitespace().count())
        .sum();
    words as f64 / items.len().max(1) as f64
}

/// Title and body of every labelled item.
fn labelled_items() -> Vec<(String, String)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labelled");
    let mut items = Vec::new();
    for entry in std::fs::read_dir(directory).expect("labelled fixtures") {
        let path = entry.expect("readable directory").path();
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
            let field =
                |name: &str| value.get(name).and_then(|field| field.as_str()).unwrap_or("").to_string();
            items.push((field("title"), field("body")));
        }
    }
    assert!(!items.is_empty(), "no labelled items found");
    items
}

/// 64 items of `words` words each, assembled from the sentences of an SMM-style text in
/// rotating order, with varying amounts so that no two items are identical.
fn synthetic_items(words: usize) -> Vec<(String, String)> {
    const SENTENCES: &[&str] = &[
        "US magnet manufacturer eVAC shipped the first batch of NdFeB permanent magnets from its Sumter plant in South Carolina.",
        "The company, a subsidiary of Germany's Vacuumschmelze, sources raw materials from MP Materials, which operates the Mountain Pass mine in California.",
        "The Sumter plant is expected to increase its capacity to 2,000 mt/year by Q1 2026.",
        "South Korea's LS Cable & System announced plans to build a rare earth permanent magnet plant in the US to meet demand from EVs, aerospace and wind power.",
        "A new generation of NdFeB magnets developed in South Korea reduces the usage of dysprosium and terbium by 80%.",
        "A rare metals research center established through cooperation between South Korea and Mongolia opened with a total investment of 9.8 billion won.",
        "The Indian Cabinet approved a 72.8 billion rupee (approximately $815 million) incentive scheme for the rare earth permanent magnet industry.",
        "The plan aims to establish a sintered NdFeB industry chain with an annual capacity of 6,000 mt through competitive tender.",
        "Pr-Nd oxide was quoted at 611,000-615,000 yuan/mt, up 8,000 yuan/mt from the previous trading day.",
        "Dysprosium oxide rose to 1,490-1,510 yuan/kg, while terbium oxide held at 6,650-6,700 yuan/kg.",
        "The US Department of Defense provided a $620 million loan to magnet producer Vulcan Elements to support its expansion.",
        "Canadian company Aclara Resources said its Penco project in Chile enables 95% water recycling and generates no tailings.",
    ];
    let mut items = Vec::new();
    for variant in 0..64usize {
        let mut body = String::new();
        let mut count = 0;
        let mut index = variant;
        while count < words {
            let sentence = SENTENCES[index % SENTENCES.len()];
            count += sentence.split_whitespace().count();
            body.push_str(sentence);
            body.push(' ');
            index += 5;
        }
        body.push_str(&format!("Output reached {} mt in the quarter.", 1_000 + variant * 37));
        let title = format!("Rare Earth Magnet Capacity Update {variant}: Prices Rise as Demand Grows");
        items.push((title, body));
    }
    items
}
