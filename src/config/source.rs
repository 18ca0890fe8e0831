//! One `[[source]]`: its raw TOML, checked and completed with the `[fetch]` defaults into a
//! [`SourceConfig`]; and where in the file to point when a source is found wrong after parsing
//! (a duplicate name, an unknown topic). The scrape rules of HTML sources are `scrape`'s.

use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::units::{ByteSize, HumanDuration};
use super::{ConfigError, FetchSettings, Invalid, SourceConfig, SourceKind, scrape};
use super::{non_empty, positive_duration, positive_size};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    name: Spanned<String>,
    title: Option<String>,
    category: Option<String>,
    url: Spanned<String>,
    kind: Option<SourceKind>,
    enabled: Option<bool>,
    interval: Option<Spanned<HumanDuration>>,
    timeout: Option<Spanned<HumanDuration>>,
    max_body: Option<Spanned<ByteSize>>,
    user_agent: Option<Spanned<String>>,
    #[serde(default)]
    topics: Vec<String>,
    priority: Option<i64>,
    scrape: Option<Spanned<scrape::RawScrape>>,
}

pub(super) fn validate_source(
    raw: RawSource,
    fetch: &FetchSettings,
    invalid: &Invalid,
) -> Result<SourceConfig, ConfigError> {
    let name_span = raw.name.span();
    let name = raw.name.into_inner();
    let name_is_valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_is_valid {
        return Err(invalid(
            name_span,
            format!("source name `{name}` must be 1-64 characters of a-z, 0-9 and -"),
        ));
    }
    let url_span = raw.url.span();
    let url = Url::parse(raw.url.get_ref()).map_err(|error| {
        invalid(url_span.clone(), format!("invalid URL `{}`: {error}", raw.url.get_ref()))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid(url_span, format!("URL `{url}` must be http or https")));
    }
    let kind = raw.kind.unwrap_or(SourceKind::Feed);
    let scrape = scrape::validate_for_kind(kind == SourceKind::Html, raw.scrape, &name, name_span, invalid)?;
    Ok(SourceConfig {
        title: raw.title.filter(|title| !title.trim().is_empty()).unwrap_or_else(|| name.clone()),
        category: raw.category.filter(|category| !category.trim().is_empty()),
        name,
        url,
        kind,
        enabled: raw.enabled.unwrap_or(true),
        interval: positive_duration(raw.interval, fetch.interval, invalid)?,
        timeout: positive_duration(raw.timeout, fetch.timeout, invalid)?,
        max_body: positive_size(raw.max_body, fetch.max_body, invalid)?,
        user_agent: match raw.user_agent {
            Some(agent) => non_empty(agent, invalid)?,
            None => fetch.user_agent.clone(),
        },
        topics: raw.topics,
        priority: raw.priority.unwrap_or(0),
        scrape: scrape.map(Arc::new),
    })
}

/// The span of `key` in the `[[source]]` named `name`, for errors found after parsing.
pub(super) fn source_key_span(text: &str, name: &str, key: &str) -> std::ops::Range<usize> {
    let name_at = text.find(&format!("\"{name}\"")).unwrap_or(0);
    let key_at = text[name_at..].find(&format!("\n{key}")).map(|at| name_at + at + 1).unwrap_or(name_at);
    key_at..key_at + key.len()
}

/// The span of the second `name = "<name>"` line, for duplicate-name errors.
pub(super) fn source_name_span(text: &str, name: &str) -> std::ops::Range<usize> {
    let needle = format!("\"{name}\"");
    let positions: Vec<usize> = text.match_indices(&needle).map(|(at, _)| at).collect();
    let at = positions.get(1).or(positions.first()).copied().unwrap_or(0);
    at..at + needle.len()
}
