//! Entries into items: plain text, sanitized HTML, canonical URLs, UTC dates, a stable identity
//! and a content hash.
//!
//! Pure: the fetch time and base URL come in as parameters. This module decides what an item
//! *is*; it does not decide whether it is new (the store does) or which story it belongs to.

mod dateline;
mod simple_html;
pub mod text;
pub mod url;

use std::collections::HashSet;

use ::url::Url;
use jiff::Timestamp;
use xxhash_rust::xxh3::Xxh3;

use crate::model::{DateOrigin, Entry, Item, display_summary};
pub use dateline::dateline_time;
pub use text::{Layout, html_to_text};

/// Summaries longer than this (in characters) are shortened.
const SUMMARY_MAX_CHARS: usize = 600;

/// What normalization needs to know about where and when an entry was read.
pub struct NormalizeContext {
    pub base_url: Url,
    pub fetched_at: Timestamp,
    sanitizer: ammonia::Builder<'static>,
}

impl NormalizeContext {
    pub fn new(base_url: Url, fetched_at: Timestamp) -> NormalizeContext {
        let mut sanitizer = ammonia::Builder::default();
        sanitizer
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some(simple_html::LINK_REL))
            .url_relative(ammonia::UrlRelative::RewriteWithBase(base_url.clone()));
        NormalizeContext { base_url, fetched_at, sanitizer }
    }

    /// Sanitizes an HTML fragment: allow-listed tags and attributes, web links only.
    pub fn sanitize(&self, html: &str) -> String {
        if !html.contains('<') {
            // No markup: decoded and escaped again, far cheaper than a DOM. As safe, though not
            // byte for byte ammonia's (quotes are escaped, `&copy` without `;` and a leading
            // byte-order mark are kept as written).
            return text::escape_html(&text::decode_entities(html));
        }
        // Linear whatever the nesting: before the nesting limit, which only ammonia needs.
        if let Some(sanitized) = simple_html::sanitize_simple(html) {
            return sanitized;
        }
        let limit = crate::parse::nesting::MAX_NESTING;
        if crate::parse::nesting::nesting_depth(html, limit) > limit
            || serializer_work(html) > MAX_SERIALIZER_WORK
        {
            // The HTML parser under ammonia takes time in the square of the nesting (seconds
            // for 60,000 levels, hours for a 10 MiB trap), and its serializer in the square of
            // a text's length when it has many characters to escape: such a body is kept as
            // its text.
            return text::escape_html(&html_to_text(html, Layout::Paragraphs)).replace('\n', "<br>\n");
        }
        self.sanitizer.clean(html).to_string()
    }
}

/// Above this, ammonia's serializer would take a tenth of a second or more on one body (see
/// [`serializer_work`]).
const MAX_SERIALIZER_WORK: u64 = 10_000_000_000;

/// About how many bytes html5ever's serializer (under ammonia) scans to write `html` out: at
/// each character it escapes (`&`, and the no-break space, whose UTF-8 starts with 0xC2) it
/// searches the rest of the text for `<` or `>` again, so a long text with many of them costs
/// the square of its length (a megabyte of `&` took 9 s, 2 MB 29 s). Counted per run of text
/// between `<` and `>`, an upper bound: a run's escapes times its length.
fn serializer_work(html: &str) -> u64 {
    html.as_bytes()
        .split(|byte| matches!(byte, b'<' | b'>'))
        .map(|run| {
            let escapes = run.iter().filter(|byte| matches!(byte, b'&' | 0xc2)).count() as u64;
            escapes.saturating_mul(run.len() as u64)
        })
        .fold(0u64, u64::saturating_add)
}

/// Normalizes one parsed entry.
pub fn normalize_entry(entry: Entry, context: &NormalizeContext) -> Item {
    let content_hash = content_hash(&entry);
    let title_text =
        entry.title.as_deref().map(|title| html_to_text(title, Layout::SingleLine)).unwrap_or_default();
    let body_source = entry.content_html.as_deref().or(entry.summary_html.as_deref()).unwrap_or("");
    let body_text = html_to_text(body_source, Layout::Paragraphs);
    let body_html = context.sanitize(body_source);
    // A summary only when the source gave one besides the body; otherwise it is derived.
    let summary = match (&entry.summary_html, &entry.content_html) {
        (Some(summary_html), Some(_)) => {
            Some(text::shorten(&html_to_text(summary_html, Layout::SingleLine), SUMMARY_MAX_CHARS))
                .filter(|summary| !summary.is_empty())
        }
        _ => None,
    };
    let title = if title_text.is_empty() {
        text::shorten(&display_summary(summary.as_deref(), &body_text), 80)
    } else {
        title_text
    };
    let url = entry.link.as_deref().and_then(|link| url::canonical_url(link, &context.base_url));
    let guid = entry
        .guid
        .map(|guid| guid.trim().to_string())
        .or_else(|| url.clone())
        .or_else(|| entry.link.clone())
        .unwrap_or_else(|| synthetic_guid(&title, entry.published.or(entry.updated)));
    let plausible =
        |time: Option<Timestamp>| time.filter(|time| is_plausible_date(*time, context.fetched_at));
    let (published, published_from) = match (plausible(entry.published), plausible(entry.updated)) {
        (Some(published), _) => (published, DateOrigin::Published),
        (None, Some(updated)) => (updated, DateOrigin::Updated),
        (None, None) => match dateline_time(&body_text, context.fetched_at) {
            Some(time) => (time, DateOrigin::Dateline),
            None => (context.fetched_at, DateOrigin::Fetched),
        },
    };
    Item {
        guid,
        url,
        title,
        summary,
        body_text,
        body_html,
        author: entry.author.map(|author| html_to_text(&author, Layout::SingleLine)),
        series: entry.series,
        published,
        published_from,
        content_hash,
        story_features: None,
        classification: None,
    }
}

/// A stable id for an entry with neither id nor link: a hash of its title and date.
fn synthetic_guid(title: &str, date: Option<Timestamp>) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(title.as_bytes());
    if let Some(date) = date {
        hasher.update(&date.as_second().to_le_bytes());
    }
    format!("lodestone:{:032x}", hasher.digest128())
}

/// Hashes what the source said, field by field with separators, so that a moved boundary
/// between fields changes the hash. Derived values (fallback dates) are left out on purpose.
fn content_hash(entry: &Entry) -> i64 {
    let mut hasher = Xxh3::new();
    for field in [&entry.title, &entry.link, &entry.summary_html, &entry.content_html, &entry.author] {
        match field {
            Some(value) => {
                hasher.update(&[1]);
                hasher.update(value.as_bytes());
            }
            None => hasher.update(&[0]),
        }
    }
    hasher.update(&entry.published.map(|time| time.as_second()).unwrap_or(i64::MIN).to_le_bytes());
    // The series comes from the source's rules, not its words; hashed only when there is one, so
    // that items without (every feed's) hash as before, and a series pattern added later
    // reaches the items already stored.
    if let Some(series) = &entry.series {
        hasher.update(&[2]);
        hasher.update(series.as_bytes());
    }
    hasher.digest() as i64
}

#[cfg(test)]
mod tests;

/// Whether a source's date can be believed: not before 1990 (a zero or garbled date, "99999999
/// hours ago") and not more than a day after the fetch (a wrong year, a misread format; a few
/// hours ahead is a time-zone slip and stays). An implausible date is treated as missing, so the
/// next best one is used and a fetch time is flagged as such, rather than an item sitting at
/// the top of every query for years.
pub fn is_plausible_date(time: Timestamp, fetched_at: Timestamp) -> bool {
    const EARLIEST: Timestamp = Timestamp::constant(631_152_000, 0); // 1990-01-01T00:00:00Z
    time >= EARLIEST
        && time <= fetched_at.saturating_add(jiff::SignedDuration::from_hours(24)).unwrap_or(fetched_at)
}
