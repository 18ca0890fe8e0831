//! `build` over plain values: sections, the Serra Verde line, filters, hostile text, templates.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::{Time, date};
use jiff::tz::TimeZone;

use super::render::Templates;
use super::*;
use crate::store::query::TopicScore;

pub(crate) fn story(id: i64, title: &str, sources: &[&str], topics: &[(&str, f64)]) -> StoryInput {
    let story = StoryRow {
        story: id,
        title: title.to_string(),
        url: Some(format!("https://news.example.com/{id}")),
        canonical_item: id * 10,
        first_seen: "2026-02-06T10:42:00Z".into(),
        last_seen: "2026-02-06T10:43:00Z".into(),
        size: sources.len() as i64,
        sources: {
            let mut distinct: Vec<String> = Vec::new();
            for source in sources {
                if !distinct.iter().any(|known| known == source) {
                    distinct.push(source.to_string());
                }
            }
            distinct
        },
        topics: topics
            .iter()
            .map(|(topic, score)| TopicScore { topic: topic.to_string(), score: *score })
            .collect(),
        items: (0..sources.len() as i64).map(|n| id * 10 + n).collect(),
    };
    StoryInput {
        story,
        canonical: Some(item(
            id * 10,
            title,
            &format!("Summary of {title}. It goes on for a while after that."),
        )),
        item_sources: sources.iter().map(|source| source.to_string()).collect(),
        entities: Vec::new(),
    }
}

pub(crate) fn item(id: i64, title: &str, summary: &str) -> ItemRow {
    ItemRow {
        id,
        source: "smm-news".into(),
        guid: id.to_string(),
        url: None,
        title: title.into(),
        series: None,
        summary: summary.into(),
        published: "2026-02-06T10:42:00Z".into(),
        published_from: "feed".into(),
        fetched: "2026-02-06T10:50:00Z".into(),
        updated: None,
        story: None,
        story_size: None,
        topics: Vec::new(),
        entities: Vec::new(),
    }
}

fn entity(kind: &str, value: &str) -> EntityValue {
    EntityValue { kind: kind.into(), value: value.into() }
}

pub(crate) fn recipient(topics: &[&str]) -> Recipient {
    Recipient {
        name: "desk".into(),
        email: "desk@example.com".parse().unwrap(),
        topics: topics.iter().map(|topic| topic.to_string()).collect(),
    }
}

pub(crate) fn sources() -> HashMap<String, SourceLabel> {
    [
        ("smm-news", "SMM News", vec![]),
        ("metals-wire", "Metals Wire", vec!["supply"]),
        ("magnet-journal", "Magnet Journal", vec![]),
    ]
    .into_iter()
    .map(|(name, title, topics)| {
        (
            name.to_string(),
            SourceLabel { title: title.into(), topics: topics.into_iter().map(String::from).collect() },
        )
    })
    .collect()
}

fn topic_order() -> Vec<String> {
    let taxonomy = crate::classify::Taxonomy::shipped().unwrap();
    taxonomy.topics.iter().map(|topic| topic.name.clone()).collect()
}

/// Builds with the shipped templates.
fn build_digest(recipient: &Recipient, stories: &[StoryInput], history: &[StoryRow]) -> Digest {
    let zone = TimeZone::get("Europe/Berlin").unwrap();
    let sources = sources();
    let order = topic_order();
    let labels = HashMap::new();
    let request = DigestRequest {
        recipient,
        date: date(2026, 2, 7),
        window_start: "2026-02-06T06:00:00Z".parse().unwrap(),
        window_end: "2026-02-07T06:00:00Z".parse().unwrap(),
        time_zone: &zone,
        time_zone_name: "Europe/Berlin",
        topic_order: &order,
        topic_labels: &labels,
        sources: &sources,
        stories,
        history,
        at: Time::constant(7, 0, 0, 0),
        now: "2026-02-07T06:00:05Z".parse::<Timestamp>().unwrap(),
    };
    build(&request, &Templates::built_in().unwrap()).unwrap()
}

fn serra_verde() -> StoryInput {
    let mut input = story(
        5,
        "US Provides $565 Million in Financing for Brazilian Rare Earth Project",
        &["smm-news", "smm-news", "smm-news"],
        &[("finance", 0.9), ("policy", 0.7)],
    );
    input.entities = vec![
        entity("money", "565000000 USD"),
        entity("company", "Serra Verde"),
        entity("company", "US International Development Finance Corporation"),
        entity("company", "Serra Verde"),
        entity("commodity", "rare earths"),
        entity("money", "565000000 USD"),
    ];
    input
}

fn sample_stories() -> Vec<StoryInput> {
    vec![
        serra_verde(),
        story(
            6,
            "Frontier Secures $20 Million and Signs Rare Earth Offtake Agreement",
            &["smm-news"],
            &[("finance", 0.8), ("projects", 0.6)],
        ),
        story(
            7,
            "China tightens rare earth export controls",
            &["metals-wire", "magnet-journal"],
            &[("policy", 0.95)],
        ),
        story(8, "Lithium carbonate output rises", &["metals-wire"], &[]),
        story(9, "An unclassified note", &["magnet-journal"], &[]),
    ]
}

#[test]
fn stories_grouped_by_top_topic_in_taxonomy_order_each_once() {
    let digest = build_digest(&recipient(&[]), &sample_stories(), &[]);
    assert_eq!(digest.subject, "lodestone digest — 2026-02-07 — 5 stories");
    // supply (hint of metals-wire), finance, policy, Other.
    let text = &digest.text;
    let positions: Vec<usize> =
        ["== Supply (1) ==", "== Finance (2) ==", "== Policy (1) ==", "== Other (1) =="]
            .iter()
            .map(|heading| text.find(heading).unwrap_or_else(|| panic!("no {heading} in:\n{text}")))
            .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "sections out of order:\n{text}");
    assert_eq!(text.matches("* US Provides $565 Million").count(), 1, "{text}");
    assert_eq!(digest.story_ids.len(), 5);
    assert!(digest.html.contains("id=\"topic-finance\""));
}

#[test]
fn the_serra_verde_trio_is_one_line_with_its_sources_and_entities() {
    let digest = build_digest(&recipient(&[]), &sample_stories(), &[]);
    let text = &digest.text;
    assert!(text.contains("3 sources: SMM News ×3"), "{text}");
    assert!(
        text.contains("$565M · Serra Verde · US International Development Finance Corporation"),
        "{text}"
    );
    assert!(text.contains("Companies: Serra Verde (1)"), "{text}");
    assert!(text.contains("Commodities: rare earths (1)"), "{text}");
    assert!(digest.html.contains("<strong>3 sources</strong>"));
}

#[test]
fn topic_filter_keeps_matching_stories_under_their_best_allowed_topic() {
    let digest = build_digest(&recipient(&["projects", "policy"]), &sample_stories(), &[]);
    let text = &digest.text;
    assert!(text.contains("== Projects (1) =="), "{text}");
    assert!(text.contains("Frontier Secures"), "{text}");
    // Serra Verde's best topic is finance, but policy is the best the recipient takes.
    assert!(text.contains("== Policy (2) =="), "{text}");
    assert!(!text.contains("Lithium carbonate") && !text.contains("unclassified"), "{text}");
    assert!(!text.contains("== Finance"), "{text}");
    assert_eq!(digest.subject, "lodestone digest — 2026-02-07 — 3 stories");
}

#[test]
fn many_sources_say_how_many_more() {
    let input = story(11, "Widely reported", &["a", "b", "c", "d", "e"], &[("prices", 1.0)]);
    let digest = build_digest(&recipient(&[]), &[input], &[]);
    assert!(digest.text.contains("5 sources: a, b, c +2 more sources"), "{}", digest.text);
}

#[test]
fn hostile_titles_cannot_add_lines_markup_or_links() {
    let mut hostile = story(
        12,
        "Bad\r\nBcc: victim@example.com\r\n\r\n<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a>",
        &["smm-news"],
        &[("finance", 1.0)],
    );
    hostile.story.url = Some("javascript:alert(3)".into());
    let mut data_link = story(13, "Data link", &["smm-news"], &[("finance", 1.0)]);
    data_link.story.url = Some("data:text/html;base64,PHNjcmlwdD4=".into());
    let digest = build_digest(&recipient(&[]), &[hostile, data_link], &[]);
    let html = &digest.html;
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.to_lowercase().contains("href=\"javascript:"), "{html}");
    assert!(!html.contains("href=\"data:"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "the title is shown, escaped");
    for line in digest.text.lines() {
        assert!(!line.starts_with("Bcc:"), "a title broke a line: {line}");
    }
    assert!(digest.text.contains("* Bad Bcc: victim@example.com <script>"), "{}", digest.text);
    // Every link left is http(s) or a section anchor.
    for (at, _) in html.match_indices("href=\"") {
        let target = &html[at + 6..];
        assert!(
            target.starts_with("https://") || target.starts_with('#'),
            "{}",
            &target[..40.min(target.len())]
        );
    }
}

#[test]
fn an_empty_day_says_so_and_has_no_chart() {
    let digest = build_digest(&recipient(&[]), &[], &[]);
    assert_eq!(digest.subject, "lodestone digest — 2026-02-07 — 0 stories");
    assert!(
        digest.text.contains("No new stories from Fri 6 Feb 07:00 to Sat 7 Feb 07:00 (Europe/Berlin)."),
        "{}",
        digest.text
    );
    assert!(digest.chart_png.is_empty());
    assert!(
        digest.text.contains("0 stories\n\nNo new stories") && digest.text.contains(").\n\n-- \n"),
        "{}",
        digest.text
    );
    assert!(!digest.html.contains("cid:"));
}

#[test]
fn the_chart_counts_seven_digest_days_and_is_referenced_by_content_id() {
    let mut history: Vec<StoryRow> = Vec::new();
    for (index, published) in [
        "2026-02-01T05:00:00Z",
        "2026-02-06T07:00:00Z",
        "2026-02-07T05:59:59Z",
        "2026-02-07T06:00:00Z",
        "2026-01-30T12:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let mut row = serra_verde().story;
        row.story = 100 + index as i64;
        row.first_seen = published.to_string();
        history.push(row);
    }
    let zone = TimeZone::get("Europe/Berlin").unwrap();
    let sources = sources();
    let order = topic_order();
    let labels = HashMap::new();
    let desk = recipient(&[]);
    let request = DigestRequest {
        recipient: &desk,
        date: date(2026, 2, 7),
        window_start: "2026-02-06T06:00:00Z".parse().unwrap(),
        window_end: "2026-02-07T06:00:00Z".parse().unwrap(),
        time_zone: &zone,
        time_zone_name: "Europe/Berlin",
        topic_order: &order,
        topic_labels: &labels,
        sources: &sources,
        stories: &[],
        history: &history,
        at: Time::constant(7, 0, 0, 0),
        now: "2026-02-07T06:00:05Z".parse().unwrap(),
    };
    let counts = sections::chart_counts(&request);
    assert_eq!(counts.days.first().map(String::as_str), Some("Sun 1"));
    assert_eq!(counts.days.last().map(String::as_str), Some("Sat 7"));
    assert_eq!(counts.topics, vec!["finance".to_string()]);
    // 02-01 05:00Z is before 07:00 Berlin: the 1st's day. 02-07 06:00Z is the 8th's; 01-30 is too old.
    let per_day: Vec<u32> = counts.counts.iter().map(|day| day[0]).collect();
    assert_eq!(per_day, vec![1, 0, 0, 0, 0, 0, 2]);
    let digest = build(&request, &Templates::built_in().unwrap()).unwrap();
    assert_eq!(&digest.chart_png[..4], b"\x89PNG");
    assert!(digest.html.contains(&format!("src=\"cid:{CHART_CONTENT_ID}\"")));
    assert!(digest.html.contains("alt=\"Stories per topic over the last 7 days: finance 3\""));
}

#[test]
fn summaries_money_and_links() {
    use sections::{display_money, one_line, safe_link};
    assert_eq!(display_money("565000000 USD"), "$565M");
    assert_eq!(display_money("20000000 USD"), "$20M");
    assert_eq!(display_money("1250000000 EUR"), "€1.2B");
    assert_eq!(display_money("3000000 CNY"), "CNY 3M");
    assert_eq!(display_money("about $5"), "about $5");
    assert_eq!(one_line(" a\r\n b\u{202E}c\t\td "), "a b c d");
    assert_eq!(safe_link("https://example.com/a b").as_deref(), Some("https://example.com/a%20b"));
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "ftp://example.com/",
        "/relative",
        "mailto:a@b.c",
    ] {
        assert_eq!(safe_link(bad), None, "{bad}");
    }
}

#[test]
fn a_broken_template_names_its_file_and_line() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("digest.txt"), "{{ subject }}\n").unwrap();
    std::fs::write(
        directory.path().join("digest.html"),
        "<p>{{ subject }}</p>\n<p>{{ no_such_variable }}</p>\n",
    )
    .unwrap();
    let error = Templates::load(directory.path()).unwrap_err();
    assert_eq!(error.file, directory.path().join("digest.html"));
    assert_eq!(error.line, Some(2));
    assert!(error.message.contains("undefined"), "{}", error.message);
    std::fs::write(directory.path().join("digest.html"), "{% for x in sections %}\n").unwrap();
    let error = Templates::load(directory.path()).unwrap_err();
    assert!(error.message.contains("syntax"), "{}", error.message);
    std::fs::remove_file(directory.path().join("digest.txt")).unwrap();
    let error = Templates::load(directory.path()).unwrap_err();
    assert_eq!(error.file, directory.path().join("digest.txt"));
}
