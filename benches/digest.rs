//! Digest building benchmark. Run with `cargo bench --bench digest`.
//!
//! `digest::build` over 5,000 stories (three sources and one to three topics each, amounts and
//! companies, a summary), with the chart over the same stories spread across seven days, and
//! the shipped templates from `config/templates/`: grouping, both renderings and the PNG, in
//! process. The store's reads are not included (they are the same queries as `query`).
//! Medians of several runs; the goal is under 200 ms.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::{Time, date};
use jiff::tz::TimeZone;
use lodestone::config::Recipient;
use lodestone::digest::render::Templates;
use lodestone::digest::{DigestRequest, SourceLabel, StoryInput, build};
use lodestone::store::query::{EntityValue, TopicScore};
use lodestone::store::{ItemRow, StoryRow};

const STORIES: usize = 5_000;
/// The shipped taxonomy's topics, in its order.
const TOPICS: [&str; 8] =
    ["supply", "projects", "finance", "policy", "prices", "technology", "demand", "sustainability"];
const RUNS: usize = 15;
const GOAL: Duration = Duration::from_millis(200);

fn main() {
    let templates = Templates::load(std::path::Path::new("config/templates")).expect("config/templates");
    let sources: HashMap<String, SourceLabel> = (0..12)
        .map(|index| {
            let label = SourceLabel { title: format!("Source number {index}"), topics: Vec::new() };
            (format!("source-{index}"), label)
        })
        .collect();
    let stories: Vec<StoryInput> = (0..STORIES).map(story).collect();
    let history: Vec<StoryRow> = stories.iter().map(|input| input.story.clone()).collect();
    let order: Vec<String> = TOPICS.iter().map(|topic| topic.to_string()).collect();
    let recipient =
        Recipient { name: "desk".into(), email: "desk@example.com".parse().unwrap(), topics: Vec::new() };
    let zone = TimeZone::get("Europe/Berlin").unwrap();
    let request = DigestRequest {
        recipient: &recipient,
        date: date(2026, 2, 7),
        window_start: "2026-02-06T06:00:00Z".parse().unwrap(),
        window_end: "2026-02-07T06:00:00Z".parse().unwrap(),
        time_zone: &zone,
        time_zone_name: "Europe/Berlin",
        topic_order: &order,
        topic_labels: &HashMap::new(),
        sources: &sources,
        stories: &stories,
        history: &history,
        at: Time::constant(7, 0, 0, 0),
        now: "2026-02-07T06:00:01Z".parse::<Timestamp>().unwrap(),
    };
    let mut sizes = (0, 0, 0);
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let digest = build(&request, &templates).expect("build");
            let elapsed = started.elapsed();
            assert_eq!(digest.story_ids.len(), STORIES);
            assert!(!digest.chart_png.is_empty());
            sizes = (digest.html.len(), digest.text.len(), digest.chart_png.len());
            elapsed
        })
        .collect();
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "digest of {STORIES} stories: HTML {:.0} KB, text {:.0} KB, chart {:.1} KB",
        sizes.0 as f64 / 1e3,
        sizes.1 as f64 / 1e3,
        sizes.2 as f64 / 1e3
    );
    println!(
        "build (sections, HTML, text, chart): median {:.1} ms, min {:.1} ms over {RUNS} runs; goal < {} ms: {}",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        GOAL.as_millis(),
        if median < GOAL { "met" } else { "NOT met" }
    );
}

/// Story `index`: published across the seven chart days, one to three topics, three sources.
fn story(index: usize) -> StoryInput {
    let id = index as i64 + 1;
    let published = Timestamp::from_second(1_769_925_600 + (index as i64 * 6 * 86_400 / STORIES as i64))
        .unwrap()
        .to_string();
    let topics: Vec<TopicScore> = (0..1 + index % 3)
        .map(|rank| TopicScore {
            topic: TOPICS[(index * 7 + rank * 3) % TOPICS.len()].to_string(),
            score: 0.9 - rank as f64 * 0.2,
        })
        .collect();
    let item_sources: Vec<String> = (0..3).map(|n| format!("source-{}", (index + n * 5) % 12)).collect();
    let mut distinct = item_sources.clone();
    distinct.dedup();
    let title =
        format!("Company {index} secures ${} million for rare earth project number {id}", index % 900 + 10);
    let story = StoryRow {
        story: id,
        title: title.clone(),
        url: Some(format!("https://news.example.com/articles/{id}-company-secures-financing")),
        canonical_item: id * 10,
        first_seen: published.clone(),
        last_seen: published.clone(),
        size: 3,
        sources: distinct,
        topics,
        items: vec![id * 10, id * 10 + 1, id * 10 + 2],
    };
    let canonical = ItemRow {
        id: id * 10,
        source: item_sources[0].clone(),
        guid: id.to_string(),
        url: story.url.clone(),
        title,
        series: None,
        summary: format!(
            "Company {index} said on Friday that a development bank offered it a financing package for its \
             rare earth project, which is expected to produce 5,000 t of oxides a year by 2028. The rest of \
             the article goes on about the details of the package and the project."
        ),
        published: published.clone(),
        fetched: published,
        updated: None,
        story: Some(id),
        story_size: Some(3),
        topics: Vec::new(),
        entities: Vec::new(),
    };
    let entities = vec![
        EntityValue { kind: "money".into(), value: format!("{}000000 USD", index % 900 + 10) },
        EntityValue { kind: "company".into(), value: format!("Company {index}") },
        EntityValue { kind: "company".into(), value: format!("Bank {}", index % 40) },
        EntityValue {
            kind: "commodity".into(),
            value: ["rare earths", "lithium", "cobalt", "NdFeB"][index % 4].into(),
        },
    ];
    StoryInput { story, canonical: Some(canonical), item_sources, entities }
}
