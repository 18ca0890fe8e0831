//! What a digest says about its stories: each story's section (its top topic within the
//! recipient's filter), the one-line summary, source names and key entities, the header's
//! counts and most mentioned names, and the chart's counts per day and topic.
//!
//! Pure functions over plain data. Text from sources is made single-line here (control and
//! bidirectional-override characters become spaces), so nothing a feed writes can break a
//! line, a header or the layout; escaping for HTML is the template engine's job, and links
//! are limited to http and https by [`safe_link`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use super::{CHART_DAYS, DigestRequest, OTHER_TOPIC, SourceLabel, StoryInput, schedule};
use crate::store::StoryRow;

/// Sources named on a story's line before "+N more sources".
const SOURCES_SHOWN: usize = 3;
/// A summary longer than this is cut at a word boundary.
const SUMMARY_MAX_CHARS: usize = 220;
/// Names in the header's "most mentioned" lists.
const MENTIONS_SHOWN: usize = 5;

/// The digest's stories, grouped.
#[derive(Clone, Debug, Default)]
pub struct Grouped {
    pub sections: Vec<Section>,
    /// Every story shown, in section order.
    pub story_ids: Vec<i64>,
    /// The most mentioned companies and commodities: (name, stories mentioning it).
    pub companies: Vec<(String, usize)>,
    pub commodities: Vec<(String, usize)>,
}

#[derive(Clone, Debug)]
pub struct Section {
    pub topic: String,
    pub lines: Vec<Line>,
}

/// One story's line.
#[derive(Clone, Debug)]
pub struct Line {
    pub story: i64,
    pub title: String,
    /// Only http and https links; anything else is shown as plain text.
    pub url: Option<String>,
    /// Display names, each with "×N" when a source reported it more than once.
    pub sources: Vec<String>,
    pub more_sources: usize,
    /// How many items (reports) the story has.
    pub reports: i64,
    pub summary: String,
    /// Amounts, then companies.
    pub entities: Vec<String>,
}

/// Stories per day and topic for the chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartCounts {
    /// One label a day, oldest first ("Sat 7").
    pub days: Vec<String>,
    /// Topics with at least one story, in section order.
    pub topics: Vec<String>,
    /// `counts[day][topic]`.
    pub counts: Vec<Vec<u32>>,
}

impl ChartCounts {
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }
}

/// The section `story` goes in for a recipient with topic `filter` (empty = every topic):
/// its highest-scoring topic that passes the filter; "other" for a story without topics when
/// there is no filter; None when the recipient does not get the story.
pub fn section_topic(
    story: &StoryRow,
    filter: &[String],
    topic_order: &[String],
    sources: &HashMap<String, SourceLabel>,
) -> Option<String> {
    let topics = story_topics(story, topic_order, sources);
    if topics.is_empty() {
        return filter.is_empty().then(|| OTHER_TOPIC.to_string());
    }
    topics.into_iter().find(|topic| filter.is_empty() || filter.contains(topic))
}

/// A story's topics, best first: the classifier's scores when it has any; else the topic hints
/// of its sources' config (so a source declared as `topics = ["prices"]` is sorted before the
/// classifier exists, and tests can set topics through their config).
fn story_topics(
    story: &StoryRow,
    topic_order: &[String],
    sources: &HashMap<String, SourceLabel>,
) -> Vec<String> {
    if !story.topics.is_empty() {
        let mut scored: Vec<(&str, f64)> =
            story.topics.iter().map(|topic| (topic.topic.as_str(), topic.score)).collect();
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1).then_with(|| topic_rank(a.0, topic_order).cmp(&topic_rank(b.0, topic_order)))
        });
        let mut seen = HashSet::new();
        return scored
            .into_iter()
            .filter(|(topic, _)| seen.insert(*topic))
            .map(|(topic, _)| topic.to_string())
            .collect();
    }
    let mut topics: Vec<String> = Vec::new();
    for name in &story.sources {
        for topic in sources.get(name).map(|label| label.topics.as_slice()).unwrap_or_default() {
            if !topics.contains(topic) {
                topics.push(topic.clone());
            }
        }
    }
    topics
}

/// Sort key of a section: taxonomy position, then unknown topics by name, then "other".
fn topic_rank<'a>(topic: &'a str, topic_order: &[String]) -> (usize, &'a str) {
    match topic_order.iter().position(|known| known == topic) {
        Some(position) => (position, ""),
        None if topic == OTHER_TOPIC => (usize::MAX, ""),
        None => (topic_order.len(), topic),
    }
}

/// Groups the request's stories into sections, each story once, and counts the mentions.
pub fn group(request: &DigestRequest) -> Grouped {
    let mut by_topic: HashMap<String, Vec<&StoryInput>> = HashMap::new();
    for input in request.stories {
        let topic =
            section_topic(&input.story, &request.recipient.topics, request.topic_order, request.sources);
        if let Some(topic) = topic {
            by_topic.entry(topic).or_default().push(input);
        }
    }
    let mut topics: Vec<String> = by_topic.keys().cloned().collect();
    topics.sort_by(|a, b| topic_rank(a, request.topic_order).cmp(&topic_rank(b, request.topic_order)));
    let mut grouped = Grouped::default();
    let mut companies: HashMap<String, usize> = HashMap::new();
    let mut commodities: HashMap<String, usize> = HashMap::new();
    for topic in topics {
        let mut inputs = by_topic.remove(&topic).unwrap_or_default();
        inputs.sort_by(|a, b| {
            b.story
                .size
                .cmp(&a.story.size)
                .then_with(|| b.story.last_seen.cmp(&a.story.last_seen))
                .then_with(|| b.story.story.cmp(&a.story.story))
        });
        let mut lines = Vec::with_capacity(inputs.len());
        for input in inputs {
            count_mentions(input, &mut companies, &mut commodities);
            grouped.story_ids.push(input.story.story);
            lines.push(line(input, request.sources));
        }
        grouped.sections.push(Section { topic, lines });
    }
    grouped.companies = most_mentioned(companies);
    grouped.commodities = most_mentioned(commodities);
    grouped
}

fn line(input: &StoryInput, sources: &HashMap<String, SourceLabel>) -> Line {
    let story = &input.story;
    let mut per_source: Vec<(&str, usize)> = Vec::new();
    for name in &story.sources {
        let reports = input.item_sources.iter().filter(|source| *source == name).count().max(1);
        per_source.push((name.as_str(), reports));
    }
    let source_names: Vec<String> = per_source
        .iter()
        .map(|(name, reports)| {
            let title = sources.get(*name).map(|label| label.title.as_str()).unwrap_or(name);
            let title = one_line(title);
            if *reports > 1 { format!("{title} ×{reports}") } else { title }
        })
        .collect();
    let more_sources = source_names.len().saturating_sub(SOURCES_SHOWN);
    let title = one_line(&story.title);
    let summary =
        input.canonical.as_ref().map(|item| summary_line(&item.summary, &title)).unwrap_or_default();
    Line {
        story: story.story,
        title: if title.is_empty() { "(untitled)".to_string() } else { title },
        url: story.url.as_deref().and_then(safe_link),
        sources: source_names.into_iter().take(SOURCES_SHOWN).collect(),
        more_sources,
        reports: story.size,
        summary,
        entities: key_entities(input),
    }
}

/// Amounts first (at most two), then the most named companies (at most three).
fn key_entities(input: &StoryInput) -> Vec<String> {
    let mut amounts: Vec<String> = Vec::new();
    let mut companies: Vec<(Cow<str>, usize)> = Vec::new();
    for entity in &input.entities {
        // The kind first: most entities are commodities, which are not shown here.
        let kind = entity.kind.as_str();
        if kind != "money" && kind != "company" {
            continue;
        }
        let value = one_line_cow(&entity.value);
        if value.is_empty() {
            continue;
        }
        if kind == "money" {
            let amount = display_money(&value);
            if !amounts.contains(&amount) {
                amounts.push(amount);
            }
        } else {
            match companies.iter_mut().find(|(name, _)| *name == value) {
                Some((_, count)) => *count += 1,
                None => companies.push((value, 1)),
            }
        }
    }
    // A stable sort keeps first-named order among equals.
    companies.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let companies = companies.into_iter().take(3).map(|(name, _)| name.into_owned());
    amounts.into_iter().take(2).chain(companies).collect()
}

fn count_mentions(
    input: &StoryInput,
    companies: &mut HashMap<String, usize>,
    commodities: &mut HashMap<String, usize>,
) {
    let mut seen: HashSet<(&str, Cow<str>)> = HashSet::new();
    for entity in &input.entities {
        let kind = entity.kind.as_str();
        if kind != "company" && kind != "commodity" {
            continue;
        }
        let value = one_line_cow(&entity.value);
        if value.is_empty() || seen.contains(&(kind, Cow::Borrowed(value.as_ref()))) {
            continue;
        }
        let counts = if kind == "company" { &mut *companies } else { &mut *commodities };
        match counts.get_mut(value.as_ref()) {
            Some(count) => *count += 1,
            None => {
                counts.insert(value.to_string(), 1);
            }
        }
        seen.insert((kind, value));
    }
}

fn most_mentioned(counts: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut list: Vec<(String, usize)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list.truncate(MENTIONS_SHOWN);
    list
}

/// Counts the history's stories per digest day (the same cut as `digest --date`) and section.
pub fn chart_counts(request: &DigestRequest) -> ChartCounts {
    let days: Vec<jiff::civil::Date> = (0..CHART_DAYS as i64)
        .rev()
        .filter_map(|back| request.date.checked_sub(jiff::Span::new().days(back)).ok())
        .collect();
    let bounds: Vec<(Timestamp, Timestamp)> =
        days.iter().map(|day| schedule::dated_window(*day, request.at, request.time_zone)).collect();
    let mut per_topic: HashMap<String, Vec<u32>> = HashMap::new();
    for story in request.history {
        let Ok(published) = story.first_seen.parse::<Timestamp>() else { continue };
        let Some(day) = bounds.iter().position(|(start, end)| *start <= published && published < *end) else {
            continue;
        };
        let Some(topic) =
            section_topic(story, &request.recipient.topics, request.topic_order, request.sources)
        else {
            continue;
        };
        per_topic.entry(topic).or_insert_with(|| vec![0; days.len()])[day] += 1;
    }
    let mut topics: Vec<String> = per_topic.keys().cloned().collect();
    topics.sort_by(|a, b| topic_rank(a, request.topic_order).cmp(&topic_rank(b, request.topic_order)));
    let counts = (0..days.len())
        .map(|day| topics.iter().map(|topic| per_topic.get(topic).map_or(0, |counts| counts[day])).collect())
        .collect();
    ChartCounts { days: days.iter().map(|day| day.strftime("%a %-d").to_string()).collect(), topics, counts }
}

/// `text` on one line: control characters (CR, LF, tab…) and bidirectional overrides become
/// spaces, runs of spaces one space.
pub fn one_line(text: &str) -> String {
    one_line_cow(text).into_owned()
}

/// [`one_line`], borrowing `text` when it is one line already (most entity names and titles):
/// a digest of thousands of stories calls this for every entity.
pub fn one_line_cow(text: &str) -> Cow<'_, str> {
    let mut after_space = true;
    let clean = text.chars().all(|character| {
        let fine = if character == ' ' { !after_space } else { !is_break(character) };
        after_space = character == ' ';
        fine
    });
    if clean && !text.ends_with(' ') {
        return Cow::Borrowed(text);
    }
    let mut line = String::with_capacity(text.len());
    let mut pending_space = false;
    for character in text.chars() {
        if is_break(character) {
            pending_space = !line.is_empty();
        } else {
            if pending_space {
                line.push(' ');
                pending_space = false;
            }
            line.push(character);
        }
    }
    Cow::Owned(line)
}

/// Characters that end a line or could reorder it: control characters, any space, zero-width
/// characters and bidirectional overrides.
fn is_break(character: char) -> bool {
    character.is_control()
        || character.is_whitespace()
        || matches!(character, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The summary as one line: a leading "[SMM Flash: <title>]" dropped, the first sentence when
/// it is long enough to stand alone, at most [`SUMMARY_MAX_CHARS`] characters.
fn summary_line(summary: &str, title: &str) -> String {
    let mut text = one_line(summary);
    if text.starts_with('[')
        && let Some(end) = text.find(']').filter(|end| *end < 300)
    {
        text = text[end + 1..].trim_start().to_string();
    }
    if text == title {
        return String::new();
    }
    if let Some(end) = text.match_indices(". ").map(|(at, _)| at + 1).find(|end| *end >= 60) {
        text.truncate(end);
    }
    if text.chars().count() <= SUMMARY_MAX_CHARS {
        return text;
    }
    let cut: String = text.chars().take(SUMMARY_MAX_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > SUMMARY_MAX_CHARS / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

/// `url` when it is an absolute http or https URL (normalized), else None: a `javascript:` or
/// `data:` link is never written into a digest.
pub fn safe_link(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    let allowed =
        matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some_and(|h| !h.is_empty());
    allowed.then(|| parsed.to_string())
}

/// A normalized amount ("565000000 USD") as people write it ("$565M"); anything else as given.
pub fn display_money(value: &str) -> String {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let (number, currency) = match parts.as_slice() {
        [number, currency] if currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()) => {
            (*number, *currency)
        }
        [currency, number] if currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()) => {
            (*number, *currency)
        }
        _ => return value.to_string(),
    };
    let Ok(amount) = number.replace(',', "").parse::<f64>() else {
        return value.to_string();
    };
    let (scaled, suffix) = if amount.abs() >= 1e9 {
        (amount / 1e9, "B")
    } else if amount.abs() >= 1e6 {
        (amount / 1e6, "M")
    } else if amount.abs() >= 1e3 {
        (amount / 1e3, "K")
    } else {
        (amount, "")
    };
    let figure =
        if (scaled - scaled.round()).abs() < 0.05 { format!("{scaled:.0}") } else { format!("{scaled:.1}") };
    match currency {
        "USD" => format!("${figure}{suffix}"),
        "EUR" => format!("€{figure}{suffix}"),
        "GBP" => format!("£{figure}{suffix}"),
        _ => format!("{currency} {figure}{suffix}"),
    }
}
