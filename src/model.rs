//! The plain data that flows between the pipeline stages.
//!
//! `Entry` is what a parser found (feeds and HTML pages alike), `Item` is an entry after
//! normalization, ready to store. These types carry no behaviour beyond small helpers and know
//! nothing of SQL, HTTP or the clock.

use jiff::Timestamp;

/// One entry as a parser found it: text may still hold markup and entities, dates may be missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    /// The id the source gave the entry (RSS guid, Atom id, JSON Feed id), if any.
    pub guid: Option<String>,
    /// The entry's link, absolute when the parser could resolve it.
    pub link: Option<String>,
    /// The title, possibly with HTML markup or entities.
    pub title: Option<String>,
    /// The summary or description, HTML.
    pub summary_html: Option<String>,
    /// The full content, HTML.
    pub content_html: Option<String>,
    pub published: Option<Timestamp>,
    pub updated: Option<Timestamp>,
    pub author: Option<String>,
    /// A recurring series the source files the entry under ("SMM Flash", "SMM Rare Earth Daily
    /// Review"), when the source's rules can tell; feeds leave it empty.
    pub series: Option<String>,
}

/// Where an item's `published` time came from, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrigin {
    /// The source's publication date.
    Published,
    /// The source's last-updated date, for entries without a publication date.
    Updated,
    /// A dateline at the start of the text ("LONDON, Feb 3 (Reuters) -").
    Dateline,
    /// Nothing usable: the time lodestone fetched it (flagged so users can tell).
    Fetched,
}

impl DateOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrigin::Published => "feed",
            DateOrigin::Updated => "updated",
            DateOrigin::Dateline => "dateline",
            DateOrigin::Fetched => "fetched",
        }
    }

    pub fn parse(text: &str) -> DateOrigin {
        match text {
            "feed" => DateOrigin::Published,
            "updated" => DateOrigin::Updated,
            "dateline" => DateOrigin::Dateline,
            _ => DateOrigin::Fetched,
        }
    }
}

/// A normalized entry: plain text, sanitized HTML, canonical URL, a UTC date, a content hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub guid: String,
    pub url: Option<String>,
    pub title: String,
    /// The source's own summary, when it gave one distinct from the body. None means "the
    /// start of the body", derived when shown (see [`display_summary`]) rather than stored,
    /// so that the same words are neither stored nor indexed twice.
    pub summary: Option<String>,
    pub body_text: String,
    pub body_html: String,
    pub author: Option<String>,
    /// The series tag, as the parser found it (see [`Entry::series`]).
    pub series: Option<String>,
    pub published: Timestamp,
    pub published_from: DateOrigin,
    /// Hash of what the source said (not of derived values such as a fallback date), so that an
    /// unchanged entry always hashes the same and an edited one never does.
    pub content_hash: i64,
    /// What story detection needs, computed by the pipeline after normalization; None for
    /// items stored without it (they each start a story of their own).
    pub story_features: Option<Box<crate::stories::StoryFeatures>>,
    /// Topics and entities, computed by the pipeline; None for items stored without.
    pub classification: Option<Box<crate::classify::Classification>>,
}

/// How one batch of items changed the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// New items that joined a story that existed before them.
    pub joined_stories: usize,
}

impl ItemCounts {
    pub fn add(&mut self, other: ItemCounts) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.joined_stories += other.joined_stories;
    }
}

/// Characters of body text shown as a summary when the source gave none.
pub const DERIVED_SUMMARY_CHARS: usize = 300;

/// The summary to show: the source's own, else the start of the body.
pub fn display_summary(summary: Option<&str>, body_text: &str) -> String {
    match summary {
        Some(summary) => summary.to_string(),
        None => crate::normalize::text::shorten(&body_text.replace('\n', " "), DERIVED_SUMMARY_CHARS),
    }
}

/// Formats a scheduling time (next fetch, Retry-After): like [`format_time`] but always with
/// milliseconds, so that sub-second backoffs survive the round trip and every value of such a
/// column has the same width (and so sorts as text).
pub fn format_time_millis(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Formats a timestamp as stored and printed: UTC, whole seconds, `Z` suffix.
pub fn format_time(time: Timestamp) -> String {
    let whole_seconds = Timestamp::from_second(time.as_second()).unwrap_or(time);
    whole_seconds.to_string()
}
