//! Turning a taxonomy file's raw topics into compiled ones: settings checked, terms analyzed
//! into stems (`=word` exact, `<price>` measures, `<state-actor>` features), duplicates refused,
//! regular expressions compiled. Every error is a message the caller locates in the file.

use regex::Regex;

use super::taxonomy::{
    FEATURE_WORDS, MEASURE_WORDS, Pattern, RawTopic, Settings, TaxonomyError, Term, TermWord, Topic,
};
use crate::analysis::{Analyzer, term_hash};

pub(crate) fn validate_settings(settings: &Settings) -> Result<(), String> {
    let weights = [
        ("title_weight", settings.title_weight),
        ("tail_weight", settings.tail_weight),
        ("secondary_ratio", settings.secondary_ratio),
        ("fallback_ratio", settings.fallback_ratio),
        ("source_hint", settings.source_hint),
        ("sentence_share", settings.sentence_share),
        ("missing_required_share", settings.missing_required_share),
    ];
    for (name, value) in weights {
        if !value.is_finite() || value < 0.0 {
            return Err(format!("`{name}` must be a number ≥ 0, not {value}"));
        }
    }
    if settings.max_topics == 0 {
        return Err("`max_topics` must be at least 1".into());
    }
    Ok(())
}

pub(crate) fn compile_topic(
    analyzer: &Analyzer,
    raw: RawTopic,
    earlier: &[Topic],
    error_at: &impl Fn(usize, String) -> TaxonomyError,
) -> Result<Topic, TaxonomyError> {
    let name = raw.name.get_ref().clone();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'_');
    if !valid_name {
        return Err(error_at(raw.name.span().start, format!("topic name `{name}` must be [a-z0-9_-]+")));
    }
    if earlier.iter().any(|topic| topic.name == name) {
        return Err(error_at(raw.name.span().start, format!("duplicate topic `{name}`")));
    }
    let threshold = *raw.threshold.get_ref();
    if !threshold.is_finite() || threshold <= 0.0 {
        return Err(error_at(raw.threshold.span().start, format!("threshold must be > 0, not {threshold}")));
    }
    let mut terms = Vec::new();
    for (sign, table) in [(1.0, &raw.terms), (-1.0, &raw.negative)] {
        for (text, weight) in table {
            let value = *weight.get_ref();
            if !value.is_finite() || value <= 0.0 {
                return Err(error_at(weight.span().start, format!("weight must be > 0, not {value}")));
            }
            let (words, context) = term_parts(analyzer, text.get_ref())
                .map_err(|message| error_at(text.span().start, message))?;
            if let Some(same) =
                terms.iter().find(|term: &&Term| term.words == words && term.context == context)
            {
                let message = format!(
                    "term `{}` matches the same words as `{}` (same stems); keep one",
                    text.get_ref(),
                    same.text
                );
                return Err(error_at(text.span().start, message));
            }
            terms.push(Term { text: text.get_ref().clone(), weight: sign * value, words, context });
        }
    }
    let mut required = Vec::new();
    for text in &raw.required {
        let words =
            term_words(analyzer, text.get_ref()).map_err(|message| error_at(text.span().start, message))?;
        match terms.iter().position(|term| term.words == words && term.context.is_empty()) {
            Some(index) => required.push(index),
            None => {
                required.push(terms.len());
                terms.push(Term { text: text.get_ref().clone(), weight: 0.0, words, context: Vec::new() });
            }
        }
    }
    let mut patterns = Vec::new();
    for (text, weight) in &raw.patterns {
        let regex = Regex::new(text.get_ref())
            .map_err(|error| error_at(text.span().start, format!("bad regular expression: {error}")))?;
        let value = *weight.get_ref();
        if !value.is_finite() || value == 0.0 {
            return Err(error_at(weight.span().start, format!("weight must be non-zero, not {value}")));
        }
        patterns.push(Pattern { text: text.get_ref().clone(), regex, weight: value });
    }
    if terms.is_empty() && patterns.is_empty() {
        return Err(error_at(raw.name.span().start, format!("topic `{name}` has no terms or patterns")));
    }
    let tail_weight = match raw.tail_weight {
        Some(weight) if !weight.get_ref().is_finite() || *weight.get_ref() < 0.0 => {
            return Err(error_at(
                weight.span().start,
                format!("tail_weight must be ≥ 0, not {}", weight.get_ref()),
            ));
        }
        Some(weight) => Some(*weight.get_ref()),
        None => None,
    };
    let label = match raw.label {
        Some(label) => Some(
            super::taxonomy::label_text(label.get_ref())
                .ok_or_else(|| error_at(label.span().start, "`label` must be one line of text".into()))?,
        ),
        None => None,
    };
    Ok(Topic { name, label, description: raw.description, threshold, tail_weight, terms, required, patterns })
}

/// A term's words and, for `phrase ~ a|b`, the phrases one of which must share its sentence.
fn term_parts(analyzer: &Analyzer, text: &str) -> Result<(Vec<TermWord>, Vec<Vec<TermWord>>), String> {
    let Some((anchor, context)) = text.split_once('~') else {
        return Ok((term_words(analyzer, text)?, Vec::new()));
    };
    let words = term_words(analyzer, anchor)?;
    let mut phrases = Vec::new();
    for phrase in context.split('|') {
        let phrase_words = term_words(analyzer, phrase)?;
        if phrase_words.iter().chain(&words).any(|word| matches!(word, TermWord::Feature(_))) {
            return Err(format!("`{}` cannot be part of a `~` term", FEATURE_WORDS.join(", ")));
        }
        phrases.push(phrase_words);
    }
    Ok((words, phrases))
}

/// The words of a term: stems, exact words (`=word`), measure kinds (`<price>`).
fn term_words(analyzer: &Analyzer, text: &str) -> Result<Vec<TermWord>, String> {
    let mut words = Vec::new();
    for part in text.split_whitespace() {
        if part.starts_with('<') && part.ends_with('>') {
            if FEATURE_WORDS.contains(&part) {
                if text.split_whitespace().count() > 1 {
                    return Err(format!("`{part}` stands alone; it cannot be part of a phrase"));
                }
                words.push(TermWord::Feature(term_hash(part)));
                continue;
            }
            if !MEASURE_WORDS.contains(&part) {
                let known = [MEASURE_WORDS, FEATURE_WORDS].concat().join(", ");
                return Err(format!("unknown placeholder `{part}` (expected one of {known})"));
            }
            words.push(TermWord::Measure(term_hash(part)));
        } else if let Some(exact) = part.strip_prefix('=') {
            words.extend(
                analyzer.phrase_tokens(exact).iter().map(|token| TermWord::Exact(term_hash(&token.norm))),
            );
        } else {
            words.extend(
                analyzer.phrase_tokens(part).iter().map(|token| TermWord::Stem(term_hash(&token.stem))),
            );
        }
    }
    match words.len() {
        0 => Err(format!("term `{text}` has no words")),
        1..=8 => Ok(words),
        _ => Err(format!("term `{text}` has more than 8 words")),
    }
}
