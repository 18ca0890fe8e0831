//! HTML news list pages into entries, by a source's [`ScrapeRules`]: one entry per element the
//! `item` selector matches, its fields read by the other selectors, its date by `parse::dates`,
//! its identity by [`html_guid`], its series by [`series_of`].
//!
//! Pure: the page URL (to resolve links) and `now` (for relative dates) are parameters. It does
//! not fetch article pages (`parse::article` reads one once the pipeline has it) and does not
//! decide which entries are new (the store knows). A list whose `item` selector matches nothing
//! is an error, never an empty success: it means the site changed its layout.

use std::borrow::Cow;
use std::collections::HashMap;

use jiff::Timestamp;
use scraper::{ElementRef, Html};
use url::{Position, Url};

use super::{ParseError, catch_panic, dates, decode};
use crate::config::scrape::{FieldSelector, Pattern, ScrapeRules};
use crate::model::Entry;
use crate::normalize::text::escape_html;
use crate::normalize::url::canonical_url;
use crate::normalize::{Layout, html_to_text};

/// Items read from one list page at most. News lists show 20 to 200; a selector that matches
/// far more has matched the wrong thing, and reading nested matches of a hostile page is
/// quadratic.
pub const MAX_LIST_ITEMS: usize = 2000;

/// What the rules found on a list page.
#[derive(Debug)]
pub struct ListPage {
    /// Elements the `item` selector matched (before items without a link and repeats of one
    /// article were left out).
    pub matched: usize,
    pub items: Vec<ListItem>,
}

/// One entry of a list page, with the date text as found (shown by `lodestone scrape`, so that
/// a user can see why a date did not parse).
#[derive(Clone, Debug)]
pub struct ListItem {
    pub entry: Entry,
    pub date_text: Option<String>,
}

/// Reads a list page. `content_type` is the HTTP Content-Type, if any.
pub fn parse_list(
    body: &[u8],
    content_type: Option<&str>,
    rules: &ScrapeRules,
    page_url: &Url,
    now: Timestamp,
) -> Result<ListPage, ParseError> {
    let text = decode_html(body, content_type)?;
    catch_panic(|| parse_list_text(&text, rules, page_url, now))
        .unwrap_or_else(|panic| Err(ParseError::ParserCrashed(panic)))
}

/// Reads a list page already decoded to text.
pub fn parse_list_text(
    text: &str,
    rules: &ScrapeRules,
    page_url: &Url,
    now: Timestamp,
) -> Result<ListPage, ParseError> {
    let document = Html::parse_document(text);
    let mut matched = 0;
    let mut items = Vec::new();
    for element in document.select(&rules.item.selector).take(MAX_LIST_ITEMS) {
        matched += 1;
        if let Some(item) = read_item(element, rules, page_url, now) {
            items.push(item);
        }
    }
    if matched == 0 {
        return Err(ParseError::NoItems { selector: rules.item.text.clone(), page: page_url.to_string() });
    }
    if items.is_empty() {
        return Err(ParseError::NoLinks {
            selector: rules.link.text.clone(),
            matched,
            page: page_url.to_string(),
        });
    }
    Ok(ListPage { matched, items: merge_repeats(items) })
}

/// The guid of an HTML item: its canonical article URL; or, when the source has an
/// `id_pattern` that matches the URL's path and query, the URL's origin followed by the text
/// from the start of the match to the end of its group. `/newscontent/(\d+)` makes
/// `https://news.metal.com/en/newscontent/104143124-slug`, `…/newscontent/104143124-slug` and
/// `…/newscontent/104143124/` all `https://news.metal.com/newscontent/104143124`: one item, and
/// a guid that is itself a URL of the article.
pub fn html_guid(canonical_link: &str, id_pattern: Option<&Pattern>) -> String {
    let Some(pattern) = id_pattern else { return canonical_link.to_string() };
    let Ok(url) = Url::parse(canonical_link) else { return canonical_link.to_string() };
    let path_and_query = &url[Position::BeforePath..];
    let Some(captures) = pattern.regex.captures(path_and_query) else { return canonical_link.to_string() };
    let (Some(whole), Some(group)) = (captures.get(0), captures.get(1)) else {
        return canonical_link.to_string();
    };
    let identity = &path_and_query[whole.start()..group.end()];
    let separator = if identity.starts_with('/') { "" } else { "/" };
    format!("{}{separator}{identity}", url.origin().ascii_serialization())
}

/// The series named by the first pattern that matches the title, else the summary (group 1,
/// trimmed): "[SMM Flash] …", "… [SMM Rare Earth Daily Review]", or a lead "[SMM Flash: …]".
pub fn series_of(patterns: &[Pattern], title_text: &str, summary_text: &str) -> Option<String> {
    [title_text, summary_text].into_iter().find_map(|text| {
        let text = text.trim();
        patterns.iter().find_map(|pattern| {
            let series = pattern.regex.captures(text)?.get(1)?.as_str().trim();
            (!series.is_empty()).then(|| series.to_string())
        })
    })
}

/// The series of an entry from its (HTML) title and summary.
pub fn entry_series(entry: &Entry, patterns: &[Pattern]) -> Option<String> {
    if patterns.is_empty() {
        return None;
    }
    let as_text = |html: &Option<String>| {
        html.as_deref().map(|html| html_to_text(html, Layout::SingleLine)).unwrap_or_default()
    };
    series_of(patterns, &as_text(&entry.title), &as_text(&entry.summary_html))
}

/// Decodes an HTML body to text, refusing what is plainly not HTML (a body with a non-HTML
/// Content-Type: JSON, a feed, an image; one that does not start with markup) and what the
/// HTML parser would take minutes over (elements nested thousands deep).
pub fn decode_html<'a>(body: &'a [u8], content_type: Option<&str>) -> Result<Cow<'a, str>, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let essence = content_type
        .map(|value| value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .filter(|essence| !essence.is_empty());
    if let Some(essence) = &essence {
        let sniffable = matches!(essence.as_str(), "text/plain" | "application/octet-stream");
        if !is_html_type(essence) && !sniffable {
            return Err(ParseError::NotHtml(describe_non_html(essence)));
        }
    }
    let charset = content_type.and_then(decode::charset_from_content_type).or_else(|| meta_charset(body));
    let text = decode::decode(body, charset).text;
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let head = start.get(..start.len().min(200)).unwrap_or(start).to_ascii_lowercase();
    if head.starts_with("<?xml") || head.starts_with("<rss") || head.starts_with("<feed") {
        if !head.contains("<html") {
            return Err(ParseError::NotHtml("a feed, not an HTML page (set kind = \"feed\")".to_string()));
        }
    } else if !head.starts_with('<') {
        let what = if head.starts_with('{') || head.starts_with('[') { "JSON" } else { "text" };
        return Err(ParseError::NotHtml(format!("{what}, not an HTML page")));
    }
    if super::nesting::nesting_depth(&text, super::nesting::MAX_NESTING) > super::nesting::MAX_NESTING {
        return Err(ParseError::TooDeep { limit: super::nesting::MAX_NESTING });
    }
    Ok(text)
}

/// A field's match: an element, or the value of the attribute the selector asked for.
pub enum FieldValue<'a> {
    Element(ElementRef<'a>),
    Attribute(&'a str),
}

impl FieldValue<'_> {
    /// As HTML, the form [`Entry`] fields take: an element's inner HTML, an attribute escaped.
    pub fn html(&self) -> String {
        match self {
            FieldValue::Element(element) => element.inner_html(),
            FieldValue::Attribute(value) => escape_html(value),
        }
    }

    /// As plain text with whitespace folded.
    pub fn text(&self) -> String {
        match self {
            FieldValue::Element(element) => fold_whitespace(element.text()),
            FieldValue::Attribute(value) => fold_whitespace([*value]),
        }
    }
}

/// The first match of `field` within `scope` (the scope itself for `@attr` and `:scope`).
pub fn field_value<'a>(scope: ElementRef<'a>, field: &FieldSelector) -> Option<FieldValue<'a>> {
    let element = match &field.selector {
        None => scope,
        Some(selector) => scope.select(selector).next()?,
    };
    match &field.attribute {
        Some(name) => element.attr(name).map(FieldValue::Attribute),
        None => Some(FieldValue::Element(element)),
    }
}

/// Joins text pieces, folding runs of whitespace into one space and trimming.
pub fn fold_whitespace<'t>(pieces: impl IntoIterator<Item = &'t str>) -> String {
    let mut folded = String::new();
    let mut pending_space = false;
    for piece in pieces {
        for character in piece.chars() {
            if character.is_whitespace() {
                pending_space = !folded.is_empty();
            } else {
                if pending_space {
                    folded.push(' ');
                    pending_space = false;
                }
                folded.push(character);
            }
        }
    }
    folded
}

fn read_item(element: ElementRef, rules: &ScrapeRules, page_url: &Url, now: Timestamp) -> Option<ListItem> {
    let link = link_text(element, &rules.link).and_then(|raw| canonical_url(&raw, page_url))?;
    let non_empty_html = |field: &FieldSelector| {
        field_value(element, field).map(|value| value.html()).filter(|html| !html.trim().is_empty())
    };
    let date_text = rules
        .date
        .as_ref()
        .and_then(|field| field_value(element, field))
        .map(|value| date_text(&value))
        .filter(|text| !text.is_empty());
    let published = date_text
        .as_deref()
        .and_then(|text| dates::parse_date(text, &rules.date_formats, &rules.timezone, now));
    let mut entry = Entry {
        guid: Some(html_guid(&link, rules.id_pattern.as_ref())),
        link: Some(link),
        title: non_empty_html(&rules.title),
        summary_html: rules.summary.as_ref().and_then(non_empty_html),
        published,
        ..Entry::default()
    };
    entry.series = entry_series(&entry, &rules.series);
    Some(ListItem { entry, date_text })
}

/// A link field without `@attr` reads the element's `href` (the usual case: `link = "a"`), and
/// only failing that its text.
fn link_text(scope: ElementRef, field: &FieldSelector) -> Option<String> {
    let value = field_value(scope, field)?;
    let raw = match &value {
        FieldValue::Attribute(value) => value.to_string(),
        FieldValue::Element(element) => match element.attr("href") {
            Some(href) => href.to_string(),
            None => value.text(),
        },
    };
    Some(raw.trim().to_string()).filter(|raw| !raw.is_empty())
}

/// A `<time datetime="…">` element's attribute is more exact than its text.
fn date_text(value: &FieldValue) -> String {
    match value {
        FieldValue::Element(element) if element.value().name() == "time" => match element.attr("datetime") {
            Some(datetime) if !datetime.trim().is_empty() => datetime.trim().to_string(),
            _ => value.text(),
        },
        _ => value.text(),
    }
}

/// One article listed twice (a picture link and a title link; a "top story" box and the list)
/// is one entry: the first, with what it lacks filled in from the later ones.
fn merge_repeats(items: Vec<ListItem>) -> Vec<ListItem> {
    let mut merged: Vec<ListItem> = Vec::with_capacity(items.len());
    let mut index_by_guid: HashMap<String, usize> = HashMap::new();
    for item in items {
        let Some(guid) = item.entry.guid.clone() else {
            merged.push(item);
            continue;
        };
        match index_by_guid.get(&guid) {
            Some(&index) => {
                let first = &mut merged[index];
                first.entry.title = first.entry.title.take().or(item.entry.title);
                first.entry.summary_html = first.entry.summary_html.take().or(item.entry.summary_html);
                first.entry.series = first.entry.series.take().or(item.entry.series);
                if first.entry.published.is_none() {
                    first.entry.published = item.entry.published;
                    first.date_text = first.date_text.take().or(item.date_text);
                }
            }
            None => {
                index_by_guid.insert(guid, merged.len());
                merged.push(item);
            }
        }
    }
    merged
}

fn is_html_type(essence: &str) -> bool {
    essence == "text/html" || essence == "application/xhtml+xml"
}

fn describe_non_html(essence: &str) -> String {
    if essence.contains("json") {
        format!("JSON ({essence}), not an HTML page")
    } else if essence.contains("rss") || essence.contains("atom") || essence.ends_with("xml") {
        format!("XML ({essence}), not an HTML page (for a feed, set kind = \"feed\")")
    } else {
        format!("{essence}, not an HTML page")
    }
}

/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">` in the
/// first KiB, for pages whose server sends no charset.
fn meta_charset(body: &[u8]) -> Option<&str> {
    let head = &body[..body.len().min(1024)];
    let lowered = head.to_ascii_lowercase();
    let at = lowered.windows(8).position(|window| window == b"charset=")? + 8;
    let rest = &head[at..];
    let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
    let end = rest.iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))?;
    std::str::from_utf8(&rest[..end]).ok().filter(|label| !label.is_empty())
}

#[cfg(test)]
mod tests;
