//! Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into entries, with feed-rs and what it lacks.
//!
//! feed-rs gets the raw text after `decode` has made it UTF-8, and the feed URL as base. Around
//! it: a panic guard; our own ids (feed-rs would invent random ones for entries without an id);
//! and, only after a strict parse failed, a bounded series of repairs, each tried at most once.
//! This module does no I/O.

use feed_rs::model;
use feed_rs::parser::{self, ParseErrorKind, ParseFeedError};
use jiff::Timestamp;
use url::Url;

use super::ParseError;
use super::panic_guard::catch_panic;
use super::repair;
use crate::model::Entry;

/// A parsed feed: its entries and what it says about polling.
#[derive(Debug, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub entries: Vec<Entry>,
    /// RSS `<ttl>`: minutes the feed may be cached.
    pub ttl_minutes: Option<u32>,
}

/// Parses UTF-8 feed `text`; `base_url` resolves relative links.
pub fn parse_feed_text(text: &str, base_url: &Url) -> Result<ParsedFeed, ParseError> {
    let mut current = std::borrow::Cow::Borrowed(text);
    let mut tried_version = false;
    let mut tried_types = false;
    let mut tried_entities = false;
    loop {
        let error = match parse_once(current.as_bytes(), base_url) {
            Ok(feed) => return Ok(convert_feed(feed)),
            Err(error) => error,
        };
        let repaired = match &error {
            ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) if !tried_version => {
                tried_version = true;
                repair::rss_version_to_2(&current)
            }
            ParseFeedError::ParseError(ParseErrorKind::UnknownMimeType { .. }) if !tried_types => {
                tried_types = true;
                repair::atom_text_types(&current)
            }
            ParseFeedError::XmlReader(_) | ParseFeedError::IoError(_) if !tried_entities => {
                tried_entities = true;
                repair::fix_ampersands_and_entities(&current)
            }
            _ => None,
        };
        match repaired {
            Some(repaired_text) => {
                tracing::debug!(%error, "Feed failed to parse; retrying after a repair.");
                current = std::borrow::Cow::Owned(repaired_text);
            }
            None => return Err(describe_failure(&current, error)),
        }
    }
}

/// Parses one part of a split document (see `chunks`) strictly: no repairs, None on any failure,
/// since the caller then parses the whole document the ordinary way.
pub fn parse_part(part: impl std::io::Read, base_url: &Url) -> Option<ParsedFeed> {
    parse_once(part, base_url).ok().map(convert_feed)
}

fn parse_once(source: impl std::io::Read, base_url: &Url) -> Result<model::Feed, ParseFeedError> {
    let parser = parser::Builder::new()
        .base_uri(Some(base_url.as_str()))
        // An empty id means "none given": `convert_entry` derives a stable one.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        // feed-rs's own readings first, then the zone-less and other forms it drops.
        .timestamp_parser(super::feed_dates::parse_timestamp)
        .build();
    match catch_panic(|| parser.parse(source)) {
        Ok(result) => result,
        Err(panic_message) => {
            Err(ParseFeedError::IoError(std::io::Error::other(format!("parser crashed: {panic_message}"))))
        }
    }
}

fn describe_failure(text: &str, error: ParseFeedError) -> ParseError {
    let root = repair::root_element_name(text);
    if text.trim().is_empty() {
        return ParseError::Empty;
    }
    if root.as_deref() == Some("html") {
        return ParseError::NotAFeed("an HTML page, not a feed".to_string());
    }
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => match root {
            Some(name) => ParseError::NotAFeed(format!("an XML document with root <{name}>, not a feed")),
            None if text.trim_start().starts_with('{') => {
                ParseError::NotAFeed("JSON that is not a JSON Feed".to_string())
            }
            None => ParseError::NotAFeed("neither XML nor JSON".to_string()),
        },
        ParseFeedError::IoError(io_error) if io_error.to_string().starts_with("parser crashed") => {
            ParseError::ParserCrashed(io_error.to_string())
        }
        other => ParseError::Malformed(other.to_string()),
    }
}

fn convert_feed(feed: model::Feed) -> ParsedFeed {
    ParsedFeed {
        title: feed.title.map(|title| title.content),
        ttl_minutes: feed.ttl,
        entries: feed.entries.into_iter().map(convert_entry).collect(),
    }
}

fn convert_entry(entry: model::Entry) -> Entry {
    let link = entry
        .links
        .iter()
        .find(|link| link.rel.as_deref().is_none_or(|rel| rel == "alternate"))
        .or(entry.links.first())
        .map(|link| link.href.trim().to_string())
        .filter(|href| !href.is_empty());
    let summary_html = entry
        .summary
        .map(text_as_html)
        .or_else(|| entry.media.iter().find_map(|media| media.description.clone().map(text_as_html)));
    let content_html = entry.content.and_then(|content| {
        let is_plain = content.content_type.essence().to_string() == "text/plain";
        content.body.map(|body| if is_plain { plain_to_html(&body) } else { body })
    });
    Entry {
        guid: Some(entry.id).filter(|id| !id.trim().is_empty()),
        link,
        title: entry.title.map(|title| title.content),
        summary_html,
        content_html,
        published: entry.published.and_then(|time| Timestamp::from_second(time.timestamp()).ok()),
        updated: entry.updated.and_then(|time| Timestamp::from_second(time.timestamp()).ok()),
        author: entry
            .authors
            .into_iter()
            .filter_map(|person| person.name)
            .find(|name| !name.trim().is_empty()),
        series: None,
    }
}

fn text_as_html(text: model::Text) -> String {
    if text.content_type.essence().to_string() == "text/plain" {
        plain_to_html(&text.content)
    } else {
        text.content
    }
}

/// Plain text as HTML: escaped, line breaks kept.
fn plain_to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '\n' => html.push_str("<br>"),
            other => html.push(other),
        }
    }
    html
}
