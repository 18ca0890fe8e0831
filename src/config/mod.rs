//! The config file: TOML read into raw serde types (unknown keys rejected), then turned into a
//! validated [`Config`] whose values are ready to use (durations, byte sizes, parsed URLs).
//!
//! Every error names the file, the line and the dotted key. This module does not read
//! environment variables (only `main.rs` does) and does not touch the database or the network.

mod dedup;
mod digest;
mod http;
mod location;
pub mod scrape;
mod smtp;
mod source;
pub mod topics;
pub mod units;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

pub use digest::{DigestSettings, Recipient};
pub use http::HttpSettings;
pub use location::{Location, locate};
pub use scrape::ScrapeRules;
pub use smtp::{SmtpSecurity, SmtpSettings};
use units::{ByteSize, HumanDuration};

/// The default `User-Agent`: names the program so site owners can tell who is fetching.
pub const DEFAULT_USER_AGENT: &str = concat!("lodestone/", env!("CARGO_PKG_VERSION"));

/// A fully validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from, for messages.
    pub file: PathBuf,
    pub storage_path: PathBuf,
    pub fetch: FetchSettings,
    pub sources: Vec<SourceConfig>,
    /// The HTTP API, when `[http]` is present.
    pub http: Option<HttpSettings>,
    /// `[dedup]`: how stories are formed.
    pub dedup: crate::stories::Settings,
    /// `[topics]`: the taxonomy and gazetteers, compiled on first use.
    pub classifier: topics::ClassifierSetup,
    /// Identifies the taxonomy and gazetteers (and program version) the classifier was built
    /// from; stored with the tags it makes.
    pub classifier_fingerprint: String,
    /// `[digest]`: the daily digest, when configured.
    pub digest: Option<DigestSettings>,
    /// `[smtp]`: the mail server digests are sent through.
    pub smtp: Option<SmtpSettings>,
}

/// Defaults for every source, from `[fetch]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchSettings {
    pub interval: Duration,
    pub timeout: Duration,
    pub max_body: u64,
    pub concurrency: usize,
    pub per_host: usize,
    pub user_agent: String,
    /// Adaptive polling never goes below this (nor below a source's own smaller interval).
    pub min_interval: Duration,
    /// Adaptive polling never goes above this (nor above a source's own larger interval).
    pub max_interval: Duration,
    /// The first wait after an error; it doubles with each consecutive error.
    pub backoff: Duration,
    /// The longest wait after errors: a failing source is retried at least this often.
    pub backoff_max: Duration,
}

impl FetchSettings {
    /// How `source` is polled: its interval within these bounds and backoffs.
    pub fn schedule_policy(&self, source: &SourceConfig) -> crate::schedule::Policy {
        crate::schedule::Policy {
            interval: source.interval,
            min_interval: self.min_interval,
            max_interval: self.max_interval,
            backoff: self.backoff,
            backoff_max: self.backoff_max,
        }
    }
}

/// What a source serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed; the format is detected from the content.
    Feed,
    /// An HTML news list read with CSS selectors.
    Html,
}

/// One `[[source]]`, with `[fetch]` defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceConfig {
    pub name: String,
    /// A display name ("Mining Weekly"); defaults to `name`.
    pub title: String,
    /// A group for OPML export ("Mining"), as feed readers file their feeds.
    pub category: Option<String>,
    pub url: Url,
    pub kind: SourceKind,
    pub enabled: bool,
    pub interval: Duration,
    pub timeout: Duration,
    pub max_body: u64,
    pub user_agent: String,
    pub topics: Vec<String>,
    /// When a story's canonical item is chosen, sources with a higher priority come first.
    pub priority: i64,
    /// The rules of an HTML source (`kind = "html"` always has them, a feed never does).
    pub scrape: Option<Arc<ScrapeRules>>,
}

/// A config problem, located in the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", file.display())]
    Read { file: PathBuf, source: std::io::Error },
    #[error("{}{}: {}{message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
    Invalid { file: PathBuf, line: Option<usize>, key: Option<String>, message: String },
}

impl Config {
    /// Reads and validates the config file at `file`.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(file)
            .map_err(|source| ConfigError::Read { file: file.to_path_buf(), source })?;
        Config::parse(&text, file)
    }

    /// Validates config `text`; `file` is only used in messages.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let location = error.span().map(|span| locate(text, span.start));
            ConfigError::Invalid {
                file: file.to_path_buf(),
                line: location.as_ref().map(|l| l.line),
                key: location.and_then(|l| l.key),
                message: error.message().trim().to_string(),
            }
        })?;
        let invalid = |span: std::ops::Range<usize>, message: String| {
            let location = locate(text, span.start);
            ConfigError::Invalid {
                file: file.to_path_buf(),
                line: Some(location.line),
                key: location.key,
                message,
            }
        };
        let fetch = validate_fetch(raw.fetch.unwrap_or_default(), &invalid)?;
        let mut seen_names = HashSet::new();
        let mut sources = Vec::new();
        for raw_source in raw.source {
            let source = validate_source(raw_source, &fetch, &invalid)?;
            if !seen_names.insert(source.name.clone()) {
                return Err(invalid(
                    source_name_span(text, &source.name),
                    format!("duplicate source name `{}`", source.name),
                ));
            }
            sources.push(source);
        }
        let http = match raw.http {
            Some(spanned) => {
                let span = spanned.span();
                Some(http::validate_http(spanned.into_inner(), span, &invalid)?)
            }
            None => None,
        };
        let storage_path = raw
            .storage
            .and_then(|storage| storage.path)
            .unwrap_or_else(|| PathBuf::from("data/lodestone.db"));
        let dedup = dedup::validate_dedup(raw.dedup.unwrap_or_default(), &invalid)?;
        let (classifier, classifier_fingerprint) =
            topics::load_classifier(raw.topics.unwrap_or_default(), file, &invalid)?;
        // Topic names come from the taxonomy's outline, read only when a source names topics.
        for (index, source) in sources.iter().enumerate().filter(|(_, source)| !source.topics.is_empty()) {
            let known = classifier.outline()?;
            if let Some(unknown) = source.topics.iter().find(|topic| !known.iter().any(|k| &k.name == *topic))
            {
                return Err(invalid(
                    source_key_span(text, &source.name, "topics"),
                    format!("source[{}]: unknown topic `{unknown}` (not in the taxonomy)", index + 1),
                ));
            }
        }
        let smtp = match raw.smtp {
            Some(spanned) => {
                let span = spanned.span();
                Some(smtp::validate_smtp(spanned.into_inner(), span, &invalid)?)
            }
            None => None,
        };
        let digest = match raw.digest {
            Some(spanned) => {
                let span = spanned.span();
                let digest =
                    digest::validate_digest(spanned.into_inner(), classifier.outline()?, file, &invalid)?;
                if !digest.recipients.is_empty() && smtp.is_none() {
                    return Err(invalid(
                        span,
                        "[digest] has recipients but there is no [smtp] section to send through".to_string(),
                    ));
                }
                Some(digest)
            }
            None => None,
        };
        Ok(Config {
            file: file.to_path_buf(),
            storage_path,
            fetch,
            sources,
            http,
            dedup,
            classifier,
            classifier_fingerprint,
            digest,
            smtp,
        })
    }

    /// The source called `name`, if configured.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|source| source.name == name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    storage: Option<RawStorage>,
    fetch: Option<RawFetch>,
    #[serde(default)]
    source: Vec<RawSource>,
    http: Option<Spanned<http::RawHttp>>,
    dedup: Option<dedup::RawDedup>,
    topics: Option<topics::RawTopics>,
    digest: Option<Spanned<digest::RawDigest>>,
    smtp: Option<Spanned<smtp::RawSmtp>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    interval: Option<Spanned<HumanDuration>>,
    timeout: Option<Spanned<HumanDuration>>,
    max_body: Option<Spanned<ByteSize>>,
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    user_agent: Option<Spanned<String>>,
    min_interval: Option<Spanned<HumanDuration>>,
    max_interval: Option<Spanned<HumanDuration>>,
    backoff: Option<Spanned<HumanDuration>>,
    backoff_max: Option<Spanned<HumanDuration>>,
}

pub(crate) type Invalid<'a> = dyn Fn(std::ops::Range<usize>, String) -> ConfigError + 'a;

fn validate_fetch(raw: RawFetch, invalid: &Invalid) -> Result<FetchSettings, ConfigError> {
    let interval = positive_duration(raw.interval, Duration::from_secs(15 * 60), invalid)?;
    let timeout = positive_duration(raw.timeout, Duration::from_secs(30), invalid)?;
    let max_body = positive_size(raw.max_body, 10 * 1024 * 1024, invalid)?;
    let concurrency = bounded_count(raw.concurrency, 16, 1..=1024, invalid)?;
    let per_host = bounded_count(raw.per_host, 2, 1..=64, invalid)?;
    let user_agent = match raw.user_agent {
        Some(agent) => non_empty(agent, invalid)?,
        None => DEFAULT_USER_AGENT.to_string(),
    };
    let min_interval = positive_duration(raw.min_interval, Duration::from_secs(5 * 60), invalid)?;
    let max_interval = positive_duration(raw.max_interval, Duration::from_secs(6 * 3600), invalid)?;
    let backoff = positive_duration(raw.backoff, Duration::from_secs(60), invalid)?;
    let backoff_max = positive_duration(raw.backoff_max, Duration::from_secs(4 * 3600), invalid)?;
    Ok(FetchSettings {
        interval,
        timeout,
        max_body,
        concurrency,
        per_host,
        user_agent,
        min_interval,
        max_interval,
        backoff,
        backoff_max,
    })
}

fn positive_duration(
    value: Option<Spanned<HumanDuration>>,
    default: Duration,
    invalid: &Invalid,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(spanned) if spanned.get_ref().0.is_zero() => {
            Err(invalid(spanned.span(), "must be longer than zero".to_string()))
        }
        Some(spanned) => Ok(spanned.into_inner().0),
    }
}

fn positive_size(
    value: Option<Spanned<ByteSize>>,
    default: u64,
    invalid: &Invalid,
) -> Result<u64, ConfigError> {
    match value {
        None => Ok(default),
        Some(spanned) if spanned.get_ref().0 == 0 => {
            Err(invalid(spanned.span(), "must be larger than zero".to_string()))
        }
        Some(spanned) => Ok(spanned.into_inner().0),
    }
}

fn bounded_count(
    value: Option<Spanned<i64>>,
    default: usize,
    bounds: std::ops::RangeInclusive<i64>,
    invalid: &Invalid,
) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(spanned) if !bounds.contains(spanned.get_ref()) => {
            Err(invalid(spanned.span(), format!("must be between {} and {}", bounds.start(), bounds.end())))
        }
        Some(spanned) => Ok(*spanned.get_ref() as usize),
    }
}

fn non_empty(value: Spanned<String>, invalid: &Invalid) -> Result<String, ConfigError> {
    if value.get_ref().trim().is_empty() {
        return Err(invalid(value.span(), "must not be empty".to_string()));
    }
    Ok(value.into_inner())
}

use source::{RawSource, source_key_span, source_name_span, validate_source};

#[cfg(test)]
mod tests;
