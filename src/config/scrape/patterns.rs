//! Regular expressions of scrape rules (`id_pattern`, `series`, `drop`, `title_suffix`): compiled
//! once per process, checked for their number of capture groups, their errors on one line.

use std::collections::HashMap;

use regex::Regex;
use toml::Spanned;

use super::{Pattern, StringOrList};
use crate::config::{ConfigError, Invalid};

pub(super) fn pattern(
    text: Spanned<String>,
    groups: Option<usize>,
    source: &str,
    invalid: &Invalid,
) -> Result<Pattern, ConfigError> {
    compile_pattern(text.get_ref(), groups)
        .map_err(|message| invalid(text.span(), format!("source `{source}`: {message}")))
}

pub(super) fn patterns(
    texts: Option<Spanned<StringOrList>>,
    groups: Option<usize>,
    source: &str,
    invalid: &Invalid,
) -> Result<Vec<Pattern>, ConfigError> {
    let Some(texts) = texts else { return Ok(Vec::new()) };
    let span = texts.span();
    let texts = texts.into_inner().0;
    texts
        .iter()
        .map(|text| {
            compile_pattern(text, groups)
                .map_err(|message| invalid(span.clone(), format!("source `{source}`: {message}")))
        })
        .collect()
}

/// Compiles a regex; `groups` is the number of capture groups it must have.
fn compile_pattern(text: &str, groups: Option<usize>) -> Result<Pattern, String> {
    // The regex crate's message spans several lines (the pattern, a caret, the reason): the
    // reason alone keeps the error one line, like every other config error.
    let regex = compiled(text).map_err(|error| {
        let reason = error
            .to_string()
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        format!("invalid regex `{text}`: {}", reason.trim_start_matches("error: "))
    })?;
    if let Some(groups) = groups
        && regex.captures_len() - 1 != groups
    {
        return Err(format!(
            "regex `{text}` must have exactly {groups} capture group (use (?:…) for the others)"
        ));
    }
    Ok(Pattern { text: text.to_string(), regex })
}

/// `text` compiled, once per process: sources of one site repeat the same patterns (the shipped
/// config's seven SMM lists share theirs), and compiling a regex costs far more than the rest
/// of a source's validation. A `Regex` is immutable and its clones share one compiled program.
pub(super) fn compiled(text: &str) -> Result<Regex, regex::Error> {
    static COMPILED: std::sync::LazyLock<std::sync::Mutex<HashMap<String, Regex>>> =
        std::sync::LazyLock::new(Default::default);
    let mut compiled = COMPILED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(regex) = compiled.get(text) {
        return Ok(regex.clone());
    }
    let regex = Regex::new(text)?;
    compiled.insert(text.to_string(), regex.clone());
    Ok(regex)
}
