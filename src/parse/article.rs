//! One article page of an HTML source: its title (`og:title` without the site's suffix), its
//! date ("Published: Feb 6, 2026 18:46"), and its body as HTML with the boilerplate blocks the
//! source's `drop` patterns name left out ("Data Source Statement", "Related News").
//!
//! Pure, like the rest of `parse`: the page URL (to make the body's links absolute) and `now`
//! come in as parameters. The body is returned as HTML; `normalize` turns it into text and
//! sanitizes it, as for any feed's content. [`merge_article`] says what an article adds to the
//! entry the list gave.

use ego_tree::iter::Edge;
use jiff::Timestamp;
use scraper::{ElementRef, Html, Node};
use url::Url;

use super::html::{decode_html, entry_series, field_value, fold_whitespace};
use super::{ParseError, catch_panic, dates};
use crate::config::scrape::ScrapeRules;
use crate::model::Entry;
use crate::normalize::text::escape_html;

/// How much of a block's text a `drop` pattern sees: its start, which is where a heading such as
/// "Related News" is.
const DROP_TEXT_CHARS: usize = 200;
/// Nodes read from the top of a block for that text.
const DROP_TEXT_NODES: usize = 64;
/// Characters after "Published" in which the date is looked for.
const PUBLISHED_WINDOW_CHARS: usize = 80;

/// What an article page gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Article {
    /// Plain text, the suffix removed.
    pub title: Option<String>,
    pub published: Option<Timestamp>,
    pub date_text: Option<String>,
    /// The kept body, links absolute; None when the source has no `body` rule or it matched
    /// nothing.
    pub body_html: Option<String>,
    /// The start of each dropped block's text, for `lodestone scrape`.
    pub dropped: Vec<String>,
}

/// Reads an article page fetched from `page_url`.
pub fn parse_article(
    body: &[u8],
    content_type: Option<&str>,
    rules: &ScrapeRules,
    page_url: &Url,
    now: Timestamp,
) -> Result<Article, ParseError> {
    let text = decode_html(body, content_type)?;
    catch_panic(|| read_article(&Html::parse_document(&text), rules, page_url, now))
        .map_err(ParseError::ParserCrashed)
}

/// Adds an article's findings to the entry its list gave: the body; the article's title, the
/// page's own full headline, over the list's (which lists often shorten); the article's date
/// only when the list had none (both read the same clock, and the list's is the one that
/// keeps the item's identity across passes). The series is read again from the new title.
pub fn merge_article(entry: &mut Entry, article: &Article, rules: &ScrapeRules) {
    if let Some(title) = article.title.as_deref().filter(|title| !title.is_empty()) {
        entry.title = Some(escape_html(title));
    }
    if entry.published.is_none() {
        entry.published = article.published;
    }
    if article.body_html.is_some() {
        entry.content_html = article.body_html.clone();
    }
    if let Some(series) = entry_series(entry, &rules.series) {
        entry.series = Some(series);
    }
}

fn read_article(document: &Html, rules: &ScrapeRules, page_url: &Url, now: Timestamp) -> Article {
    let root = document.root_element();
    let title = rules
        .article_title
        .iter()
        .filter_map(|field| field_value(root, field))
        .map(|value| strip_suffix(&value.text(), rules))
        .find(|title| !title.is_empty());
    let date_text = match &rules.article_date {
        Some(field) => field_value(root, field).map(|value| value.text()),
        None => text_after_published(root, rules, now),
    };
    let published = date_text
        .as_deref()
        .and_then(|text| dates::parse_date(text, &rules.date_formats, &rules.timezone, now));
    let mut dropped = Vec::new();
    let body_html = rules.body.as_ref().and_then(|body| {
        let mut html = String::new();
        let mut taken: Vec<ElementRef> = Vec::new();
        for element in root.select(&body.selector) {
            // A match inside an earlier match is already part of it.
            if taken.iter().any(|outer| element.ancestors().any(|node| node.id() == outer.id())) {
                continue;
            }
            write_kept(element, rules, page_url, &mut html, &mut dropped);
            taken.push(element);
        }
        (!taken.is_empty()).then_some(html)
    });
    Article { title, published, date_text, body_html, dropped }
}

fn strip_suffix(title: &str, rules: &ScrapeRules) -> String {
    match &rules.title_suffix {
        Some(suffix) => suffix.regex.replace(title, "").trim().to_string(),
        None => title.trim().to_string(),
    }
}

/// The page text after a "Published" label (SMM prints "Published: Feb 6, 2026 18:46" under the
/// headline and has no date in its meta tags), when a date parses there. Scripts are skipped:
/// a JSON blob's "publishedAt" is not the label.
fn text_after_published(root: ElementRef, rules: &ScrapeRules, now: Timestamp) -> Option<String> {
    let pieces: Vec<&str> = root
        .descendants()
        .filter_map(|node| match node.value() {
            Node::Text(text) => {
                let parent_is_code = node
                    .parent()
                    .and_then(|parent| parent.value().as_element().map(|element| element.name()))
                    .is_some_and(|name| matches!(name, "script" | "style" | "noscript" | "template"));
                (!parent_is_code).then_some(&**text)
            }
            _ => None,
        })
        .collect();
    for (index, piece) in pieces.iter().enumerate() {
        let Some(at) = piece.to_ascii_lowercase().find("published") else { continue };
        let mut window = piece[at + "published".len()..].to_string();
        for next in &pieces[index + 1..] {
            if window.chars().count() >= PUBLISHED_WINDOW_CHARS {
                break;
            }
            window.push(' ');
            window.push_str(next);
        }
        let window: String = window.chars().take(PUBLISHED_WINDOW_CHARS).collect();
        let window = fold_whitespace([window.trim_start_matches([':', ' '])]);
        if dates::parse_date(&window, &rules.date_formats, &rules.timezone, now).is_some() {
            return Some(window);
        }
    }
    None
}

/// Writes `root` as HTML, leaving out scripts and styles and every element whose text starts
/// with a `drop` pattern (with all it contains). Links and image sources are made absolute
/// against the article's URL, since the body is shown away from its page. The walk is
/// iterative, so a hostile page nested a million deep cannot overflow the stack.
fn write_kept(
    root: ElementRef,
    rules: &ScrapeRules,
    page_url: &Url,
    out: &mut String,
    dropped: &mut Vec<String>,
) {
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if matches!(name, "script" | "style" | "noscript" | "template" | "iframe") {
                        skipping = Some(node.id());
                        continue;
                    }
                    if let Some(element_ref) = ElementRef::wrap(node)
                        && let Some(text) = dropped_block_text(element_ref, rules)
                    {
                        dropped.push(text);
                        skipping = Some(node.id());
                        continue;
                    }
                    out.push('<');
                    out.push_str(name);
                    for (attribute, value) in element.attrs() {
                        let value = match attribute {
                            "href" | "src" => {
                                page_url.join(value.trim()).map(String::from).unwrap_or_default()
                            }
                            _ => value.to_string(),
                        };
                        out.push(' ');
                        out.push_str(attribute);
                        out.push_str("=\"");
                        out.push_str(&escape_html(&value).replace('"', "&quot;"));
                        out.push('"');
                    }
                    out.push('>');
                }
                Node::Text(text) => out.push_str(&escape_html(text)),
                _ => {}
            },
            Edge::Open(_) => {}
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if skipping.is_none()
                    && let Node::Element(element) = node.value()
                    && !is_void(element.name())
                {
                    out.push_str("</");
                    out.push_str(element.name());
                    out.push('>');
                }
            }
        }
    }
}

/// The start of an element's text when a `drop` pattern matches there (at its very start, so
/// that "Related News" inside a paragraph does not drop the article around it). Only the first
/// nodes are read: the start of a block is near its top, and reading whole subtrees for every
/// element would make a deeply nested page quadratic.
fn dropped_block_text(element: ElementRef, rules: &ScrapeRules) -> Option<String> {
    if rules.drop.is_empty() {
        return None;
    }
    let mut start = String::new();
    for node in element.descendants().take(DROP_TEXT_NODES) {
        if let Node::Text(text) = node.value() {
            start.push_str(text);
            start.push(' ');
            if start.len() > DROP_TEXT_CHARS * 4 {
                break;
            }
        }
    }
    let start: String = fold_whitespace([start.as_str()]).chars().take(DROP_TEXT_CHARS).collect();
    let matches_at_start = |pattern: &crate::config::scrape::Pattern| {
        pattern.regex.find(&start).is_some_and(|found| found.start() == 0)
    };
    rules.drop.iter().any(matches_at_start).then(|| start.chars().take(60).collect())
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

#[cfg(test)]
mod tests;
