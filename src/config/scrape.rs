//! `[source.scrape]`: the rules that read an HTML news list and, with `follow`, its article
//! pages: CSS selectors, date formats and time zone, the identity and series patterns, and the
//! boilerplate to drop.
//!
//! The raw TOML is turned into [`ScrapeRules`] whose selectors and regexes are compiled here,
//! so that `lodestone check` rejects a bad one with file, line and key, and a fetch never meets
//! a rule that does not compile. Nothing here reads a page: `parse::html` applies the rules.

use std::fmt;

use jiff::tz::TimeZone;
use regex::Regex;
use scraper::Selector;
use scraper::error::SelectorErrorKind;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::{ConfigError, Invalid};
use patterns::{compiled, pattern, patterns};

/// Article pages fetched per pass at most, unless `max_follow` says otherwise: a first run over
/// a long list spreads its requests over several passes instead of hammering the site.
pub const DEFAULT_MAX_FOLLOW: usize = 30;

/// Tried in order when a source sets no `date_format`: the forms news lists use most.
pub const DEFAULT_DATE_FORMATS: [&str; 6] =
    ["%b %d, %Y %H:%M", "%b %d, %Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d %b %Y"];

/// Removed from the end of an article's title: SMM appends its name to every `og:title`.
pub const DEFAULT_TITLE_SUFFIX: &str = r"\s*[-|–—]\s*(SMM\s*[-|]\s*)?Shanghai Metals Market.*$";

/// Where an article page's title is looked for when `article_title` is not set, best first.
pub const DEFAULT_ARTICLE_TITLE: [&str; 3] = [r#"meta[property="og:title"]@content"#, "h1", "title"];

/// The validated rules of one HTML source.
#[derive(Clone, Debug, PartialEq)]
pub struct ScrapeRules {
    /// One match per news item on the list page.
    pub item: ItemSelector,
    /// Inside an item (like every field below that reads the list).
    pub title: FieldSelector,
    /// The article URL, resolved against the list page's URL.
    pub link: FieldSelector,
    pub date: Option<FieldSelector>,
    /// strftime-style formats (jiff's `strtime`), tried in order; relative dates ("2 hours
    /// ago", "yesterday 10:00") are always understood.
    pub date_formats: Vec<String>,
    /// The zone that dates without an offset are read in.
    pub timezone: TimeZone,
    pub timezone_name: String,
    pub summary: Option<FieldSelector>,
    /// One capture group: an article's identity in its URL (see `parse::html::html_guid`).
    pub id_pattern: Option<Pattern>,
    /// One capture group each: the series named in a title ("SMM Flash"), first match wins.
    pub series: Vec<Pattern>,
    /// Fetch each new article page for its body, title and date.
    pub follow: bool,
    pub max_follow: usize,
    /// The article's body on its page; several matches are joined in page order.
    pub body: Option<ItemSelector>,
    /// Tried in order for the article's title.
    pub article_title: Vec<FieldSelector>,
    /// The article's date; without it, the text after "Published" is read.
    pub article_date: Option<FieldSelector>,
    /// Removed from the end of an article's title; None when set to "".
    pub title_suffix: Option<Pattern>,
    /// A block of the body whose text starts with a match is dropped, with all it contains.
    pub drop: Vec<Pattern>,
}

/// A CSS selector that picks elements (no `@attribute`).
#[derive(Clone, Debug)]
pub struct ItemSelector {
    /// As written in the config, for messages.
    pub text: String,
    pub selector: Selector,
}

/// A CSS selector for one field, with the `sel@attr` form that reads an attribute instead of
/// the element's content. An empty selector (`@href`) or `:scope` means the item itself.
#[derive(Clone, Debug)]
pub struct FieldSelector {
    /// As written in the config, for messages.
    pub text: String,
    /// None: the item element itself.
    pub selector: Option<Selector>,
    pub attribute: Option<String>,
}

/// A compiled regex and its text as written.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    pub regex: Regex,
}

// Compiled selectors and regexes compare by the text they were compiled from, so that a reloaded
// config can be compared with the running one.
impl PartialEq for ItemSelector {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl PartialEq for FieldSelector {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// `[source.scrape]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScrape {
    item: Spanned<String>,
    title: Spanned<String>,
    link: Spanned<String>,
    date: Option<Spanned<String>>,
    date_format: Option<Spanned<StringOrList>>,
    timezone: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    id_pattern: Option<Spanned<String>>,
    series: Option<Spanned<StringOrList>>,
    follow: Option<bool>,
    max_follow: Option<Spanned<i64>>,
    body: Option<Spanned<String>>,
    article_title: Option<Spanned<String>>,
    article_date: Option<Spanned<String>>,
    title_suffix: Option<Spanned<String>>,
    drop: Option<Spanned<StringOrList>>,
}

/// Validates a source's kind against its scrape block: `kind = "html"` needs one, and a scrape
/// block on a feed would be silently ignored, so it is an error too.
pub(super) fn validate_for_kind(
    is_html: bool,
    raw: Option<Spanned<RawScrape>>,
    source_name: &str,
    name_span: std::ops::Range<usize>,
    invalid: &Invalid,
) -> Result<Option<ScrapeRules>, ConfigError> {
    match (is_html, raw) {
        (true, Some(raw)) => validate(raw.into_inner(), source_name, invalid).map(Some),
        (true, None) => Err(invalid(
            name_span,
            format!("source `{source_name}` has kind = \"html\" but no [source.scrape] block"),
        )),
        (false, Some(raw)) => Err(invalid(
            raw.span(),
            format!("source `{source_name}`: a [source.scrape] block needs kind = \"html\""),
        )),
        (false, None) => Ok(None),
    }
}

fn validate(raw: RawScrape, source: &str, invalid: &Invalid) -> Result<ScrapeRules, ConfigError> {
    let field = |value: Spanned<String>| field_selector(value, source, invalid);
    let optional_field = |value: Option<Spanned<String>>| value.map(field).transpose();
    let (timezone, timezone_name) = match raw.timezone {
        None => (TimeZone::UTC, "UTC".to_string()),
        Some(name) => match TimeZone::get(name.get_ref()) {
            Ok(zone) => (zone, name.into_inner()),
            Err(error) => {
                let message = format!("source `{source}`: unknown time zone `{}`: {error}", name.get_ref());
                return Err(invalid(name.span(), message));
            }
        },
    };
    let date_formats = match raw.date_format {
        None => DEFAULT_DATE_FORMATS.iter().map(|format| format.to_string()).collect(),
        Some(formats) => date_formats(formats, source, invalid)?,
    };
    let max_follow = match raw.max_follow {
        None => DEFAULT_MAX_FOLLOW,
        Some(value) if !(1..=1000).contains(value.get_ref()) => {
            return Err(invalid(value.span(), format!("source `{source}`: must be between 1 and 1000")));
        }
        Some(value) => *value.get_ref() as usize,
    };
    let article_title = match raw.article_title {
        Some(selector) => vec![field(selector)?],
        None => DEFAULT_ARTICLE_TITLE.iter().map(|text| parse_field_selector(text).expect("valid")).collect(),
    };
    let title_suffix = match raw.title_suffix {
        Some(text) if text.get_ref().is_empty() => None,
        Some(text) => Some(pattern(text, None, source, invalid)?),
        None => Some(Pattern {
            text: DEFAULT_TITLE_SUFFIX.to_string(),
            regex: compiled(DEFAULT_TITLE_SUFFIX).expect("the default title suffix is valid"),
        }),
    };
    Ok(ScrapeRules {
        item: item_selector(raw.item, source, invalid)?,
        title: field(raw.title)?,
        link: field(raw.link)?,
        date: optional_field(raw.date)?,
        date_formats,
        timezone,
        timezone_name,
        summary: optional_field(raw.summary)?,
        id_pattern: raw.id_pattern.map(|text| pattern(text, Some(1), source, invalid)).transpose()?,
        series: patterns(raw.series, Some(1), source, invalid)?,
        follow: raw.follow.unwrap_or(false),
        max_follow,
        body: raw.body.map(|text| item_selector(text, source, invalid)).transpose()?,
        article_title,
        article_date: optional_field(raw.article_date)?,
        title_suffix,
        drop: patterns(raw.drop, None, source, invalid)?,
    })
}

fn item_selector(
    text: Spanned<String>,
    source: &str,
    invalid: &Invalid,
) -> Result<ItemSelector, ConfigError> {
    if parse_field_selector(text.get_ref()).is_ok_and(|field| field.attribute.is_some()) {
        let message = format!(
            "source `{source}`: `{}` selects elements; `@attribute` is not allowed here",
            text.get_ref()
        );
        return Err(invalid(text.span(), message));
    }
    match Selector::parse(text.get_ref()) {
        Ok(selector) => Ok(ItemSelector { text: text.into_inner(), selector }),
        Err(error) => Err(invalid(
            text.span(),
            format!(
                "source `{source}`: invalid CSS selector `{}`: {}",
                text.get_ref(),
                describe_selector_error(&error)
            ),
        )),
    }
}

fn field_selector(
    text: Spanned<String>,
    source: &str,
    invalid: &Invalid,
) -> Result<FieldSelector, ConfigError> {
    parse_field_selector(text.get_ref()).map_err(|error| {
        invalid(text.span(), format!("source `{source}`: invalid CSS selector `{}`: {error}", text.get_ref()))
    })
}

/// Splits `sel@attr` and compiles the selector. The `@` counts only when what follows is a plain
/// attribute name, so `a[href*="@"]` stays a selector.
pub fn parse_field_selector(text: &str) -> Result<FieldSelector, String> {
    let (selector_text, attribute) = match text.rsplit_once('@') {
        Some((selector_text, name)) if is_attribute_name(name) => {
            (selector_text.trim(), Some(name.to_string()))
        }
        _ => (text.trim(), None),
    };
    let selector = match selector_text {
        "" | ":scope" => None,
        _ => Some(Selector::parse(selector_text).map_err(|error| describe_selector_error(&error))?),
    };
    Ok(FieldSelector { text: text.to_string(), selector, attribute })
}

/// scraper's own message for most selector errors is a developer's ("Unexpected error occurred.
/// Please report this to the developer" and a debug dump over several lines); a config error
/// must be one readable line: "dangling combinator", "unexpected ident (\"x\")".
fn describe_selector_error(error: &SelectorErrorKind) -> String {
    let text = match error {
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => format!("{kind:?}"),
        other => other.to_string(),
    };
    let (name, details) = text.split_once('(').map_or((text.as_str(), ""), |(name, rest)| (name, rest));
    let mut words = String::new();
    for (index, character) in name.trim().chars().enumerate() {
        if character.is_uppercase() && index > 0 && !name[..index].ends_with(' ') {
            words.push(' ');
        }
        words.extend(character.to_lowercase());
    }
    let details = details.trim_end_matches(')').replace('\n', " ");
    if details.is_empty() { words } else { format!("{words} ({details})") }
}

fn is_attribute_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// Checks each format by printing a sample date with it and reading the text back: jiff rejects
/// unknown directives when printing, and a directive it can print but not read (`%Z`) fails
/// the reading.
fn date_formats(
    formats: Spanned<StringOrList>,
    source: &str,
    invalid: &Invalid,
) -> Result<Vec<String>, ConfigError> {
    let span = formats.span();
    let formats = formats.into_inner().0;
    let sample = jiff::civil::date(2026, 2, 6).at(18, 46, 0, 0).to_zoned_datetime(TimeZone::UTC);
    for format in &formats {
        let problem = if !format.contains('%') {
            Some("it has no % directive".to_string())
        } else {
            match &sample {
                Ok(sample) => match jiff::fmt::strtime::format(format, sample) {
                    Err(error) => Some(error.to_string()),
                    Ok(text) => jiff::fmt::strtime::parse(format, &text)
                        .err()
                        .map(|error| format!("a date printed with it cannot be read back ({error})")),
                },
                Err(_) => None,
            }
        };
        if let Some(problem) = problem {
            return Err(invalid(
                span,
                format!("source `{source}`: invalid date_format `{format}`: {problem}"),
            ));
        }
    }
    if formats.is_empty() {
        return Err(invalid(span, format!("source `{source}`: date_format must not be an empty list")));
    }
    Ok(formats)
}

/// A string or a list of strings: `drop = "^Related"` or `drop = ["^Related", "^Data Source"]`.
struct StringOrList(Vec<String>);

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrListVisitor;
        impl<'de> Visitor<'de> for StringOrListVisitor {
            type Value = StringOrList;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<StringOrList, E> {
                Ok(StringOrList(vec![value.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<StringOrList, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = sequence.next_element::<String>()? {
                    values.push(value);
                }
                Ok(StringOrList(values))
            }
        }
        deserializer.deserialize_any(StringOrListVisitor)
    }
}

/// SMM-shaped rules for the unit tests of the modules that apply them.
#[cfg(test)]
pub(crate) mod testing;

mod patterns;
#[cfg(test)]
mod tests;
