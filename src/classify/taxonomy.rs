//! The taxonomy file (config/topics.toml): topics with weighted terms, negative terms and
//! regular expressions, read from TOML, validated, and compiled into a lookup by stem.
//!
//! Terms are analyzed like item text, so they match stems: "financing" also matches "financed"
//! and "finance"; a phrase ("offtake agreement") matches consecutive words. `<money>`,
//! `<price>`, `<quantity>` and `<percent>` stand for any measure of that kind. `capacity ~
//! <quantity>` matches "capacity" in a sentence that also has a tonnage (`a ~ b|c`: b or c).
//! Every error names the file, the line and the dotted key (`topic[3].terms.loan`). Scoring is
//! in `topics`.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::compile;
use crate::analysis::{Analyzer, PrehashedHasher};

/// The shipped taxonomy (the eight topics of the product contract), embedded.
pub const SHIPPED_TAXONOMY: &str = include_str!("../../config/topics.toml");

/// A validated, compiled taxonomy.
#[derive(Clone, Debug)]
pub struct Taxonomy {
    pub topics: Vec<Topic>,
    pub settings: Settings,
    /// First word of every term (stem hash or measure-kind hash) → the terms starting with it.
    pub(crate) index: HashMap<u64, Vec<TermRef>, BuildHasherDefault<PrehashedHasher>>,
}

/// How scores become topics; `[settings]` in the file, all optional.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Weight of a term found in the title (a body word in a lead sentence weighs 1).
    pub title_weight: f32,
    /// Body sentences counted as the lead (full weight); later ones weigh `tail_weight`.
    pub lead_sentences: u32,
    pub tail_weight: f32,
    /// At most this many topics an item.
    pub max_topics: usize,
    /// A second or third topic needs at least this share of the main topic's raw score.
    pub secondary_ratio: f32,
    /// An item reaching no threshold still gets its best topic at this share of its threshold.
    pub fallback_ratio: f32,
    /// A source's topic hint adds this share of the topic's threshold.
    pub source_hint: f32,
    /// Within one sentence, a topic's cues after the strongest count this much.
    pub sentence_share: f32,
    /// A topic with `required` terms, none found, keeps this share of its score.
    pub missing_required_share: f32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            title_weight: 2.0,
            lead_sentences: 2,
            tail_weight: 0.5,
            max_topics: 3,
            secondary_ratio: 0.3,
            fallback_ratio: 0.5,
            source_hint: 0.5,
            sentence_share: 0.3,
            missing_required_share: 0.3,
        }
    }
}

/// One topic and its rules.
#[derive(Clone, Debug)]
pub struct Topic {
    pub name: String,
    /// How the digest titles the topic's section ("Rare earth magnets"); None: from the name.
    pub label: Option<String>,
    pub description: String,
    /// The raw score at which an item gets the topic (its score is then 0.5).
    pub threshold: f32,
    /// This topic's weight for body sentences after the lead, when it differs from the settings'
    /// (prices count wherever a price is reported, not only in the lead).
    pub tail_weight: Option<f32>,
    /// Terms, with negative weights for negative terms.
    pub terms: Vec<Term>,
    /// Indices of `terms` of which one must match (or a term in the title) for the topic to
    /// score fully; empty when the topic has no such gate.
    pub required: Vec<usize>,
    pub patterns: Vec<Pattern>,
}

/// A configured term or phrase.
#[derive(Clone, Debug)]
pub struct Term {
    /// As written in the file.
    pub text: String,
    pub weight: f32,
    /// Its words, in order.
    pub(crate) words: Vec<TermWord>,
    /// For `phrase ~ a|b`: the phrases of which one must be in the same sentence (the title is
    /// one sentence); empty for a plain term.
    pub(crate) context: Vec<Vec<TermWord>>,
}

/// One word of a term and what of a token it is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TermWord {
    /// The token's stem hash ("financing" matches "financed").
    Stem(u64),
    /// The token's normalized-text hash (`=production` matches "production" only).
    Exact(u64),
    /// The hash of the token's measure kind (`<price>`).
    Measure(u64),
    /// An item feature (`<state-actor>`), matched by the classifier, not by a token.
    Feature(u64),
}

impl TermWord {
    pub(crate) fn hash(self) -> u64 {
        match self {
            TermWord::Stem(hash)
            | TermWord::Exact(hash)
            | TermWord::Measure(hash)
            | TermWord::Feature(hash) => hash,
        }
    }
}

/// A configured regular expression, matched on the original title and body.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    pub regex: Regex,
    pub weight: f32,
}

/// Where a term is: topic and term index.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TermRef {
    pub topic: u16,
    pub term: u32,
}

/// A taxonomy problem, located in the file.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {}{message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
pub struct TaxonomyError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

/// A topic's name, label and description, without its rules: what config validation, filters,
/// digests and `/api/topics` need. Reading it costs a TOML parse; compiling the rules (every
/// term analysed and stemmed) is what [`Taxonomy::parse`] adds.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicOutline {
    pub name: String,
    pub label: Option<String>,
    pub description: String,
}

/// The topics of taxonomy `text`, in file order. Only the TOML and the presence of names are
/// checked here; [`Taxonomy::parse`] checks the rest.
pub fn outline(text: &str, file: &Path) -> Result<Vec<TopicOutline>, TaxonomyError> {
    #[derive(Deserialize)]
    struct OutlineFile {
        #[serde(default)]
        topic: Vec<OutlineTopic>,
    }
    #[derive(Deserialize)]
    struct OutlineTopic {
        name: String,
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        description: String,
    }
    let parsed: OutlineFile = toml::from_str(text).map_err(|error| toml_error(text, file, &error))?;
    Ok(parsed
        .topic
        .into_iter()
        .map(|topic| TopicOutline {
            name: topic.name,
            // A label `compile` would refuse falls back to the name here.
            label: topic.label.as_deref().and_then(label_text),
            description: topic.description,
        })
        .collect())
}

/// A topic's `label` as shown: trimmed, one line of text; None for one that is not.
pub(crate) fn label_text(label: &str) -> Option<String> {
    let text = label.trim();
    (!text.is_empty() && !text.chars().any(char::is_control)).then(|| text.to_string())
}

/// A TOML syntax or type error in taxonomy `text`, located where the parser says.
fn toml_error(text: &str, file: &Path, error: &toml::de::Error) -> TaxonomyError {
    let location = error.span().map(|span| crate::config::locate(text, span.start));
    TaxonomyError {
        file: file.to_path_buf(),
        line: location.as_ref().map(|location| location.line),
        key: location.and_then(|location| location.key),
        message: error.message().trim().to_string(),
    }
}

/// The measure kinds a term can name.
pub(crate) const MEASURE_WORDS: &[&str] = &["<money>", "<price>", "<quantity>", "<percent>"];

/// Item features a term can name: `<state-actor>`, a headline whose subject is a state ("US
/// provides…", "China launches…"; not "China's Shenghe…" nor "Chinese magnet maker…"), and
/// `<state-pair>`, a headline naming two states side by side ("Korea-Mongolia…"), and
/// `<state-body>`, a ministry, regulator or other policy-making body named (see `features`).
pub(crate) const FEATURE_WORDS: &[&str] = &["<state-actor>", "<state-pair>", "<state-body>"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxonomy {
    #[serde(default)]
    settings: Option<Spanned<Settings>>,
    #[serde(default)]
    topic: Vec<RawTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTopic {
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) label: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) description: String,
    pub(crate) threshold: Spanned<f32>,
    #[serde(default)]
    pub(crate) tail_weight: Option<Spanned<f32>>,
    #[serde(default)]
    pub(crate) terms: BTreeMap<Spanned<String>, Spanned<f32>>,
    #[serde(default)]
    pub(crate) negative: BTreeMap<Spanned<String>, Spanned<f32>>,
    #[serde(default)]
    pub(crate) patterns: BTreeMap<Spanned<String>, Spanned<f32>>,
    /// Terms of which one must appear for the topic to score fully (unless a term of the topic
    /// is in the title): end-use words are not demand unless demand is discussed.
    #[serde(default)]
    pub(crate) required: Vec<Spanned<String>>,
}

impl Taxonomy {
    /// The shipped taxonomy.
    pub fn shipped() -> Result<Taxonomy, TaxonomyError> {
        Taxonomy::parse(SHIPPED_TAXONOMY, Path::new("config/topics.toml"))
    }

    /// Validates and compiles taxonomy `text`; `file` is only used in messages.
    pub fn parse(text: &str, file: &Path) -> Result<Taxonomy, TaxonomyError> {
        let error_at = |offset: usize, message: String| {
            let location = crate::config::locate(text, offset);
            TaxonomyError { file: file.to_path_buf(), line: Some(location.line), key: location.key, message }
        };
        let raw: RawTaxonomy = toml::from_str(text).map_err(|error| toml_error(text, file, &error))?;
        let settings = match raw.settings {
            Some(settings) => {
                let span = settings.span();
                let settings = settings.into_inner();
                compile::validate_settings(&settings).map_err(|message| error_at(span.start, message))?;
                settings
            }
            None => Settings::default(),
        };
        if raw.topic.is_empty() {
            return Err(TaxonomyError {
                file: file.to_path_buf(),
                line: None,
                key: None,
                message: "no [[topic]]".into(),
            });
        }
        let analyzer = Analyzer::new();
        let mut taxonomy = Taxonomy { topics: Vec::new(), settings, index: HashMap::default() };
        for raw_topic in raw.topic {
            let topic = compile::compile_topic(&analyzer, raw_topic, &taxonomy.topics, &error_at)?;
            taxonomy.topics.push(topic);
        }
        if taxonomy.topics.len() > usize::from(u16::MAX) {
            return Err(error_at(0, "too many topics".into()));
        }
        taxonomy.build_index();
        Ok(taxonomy)
    }

    /// The topics' names, labels and descriptions.
    pub fn outline(&self) -> Vec<TopicOutline> {
        let outline = |topic: &Topic| TopicOutline {
            name: topic.name.clone(),
            label: topic.label.clone(),
            description: topic.description.clone(),
        };
        self.topics.iter().map(outline).collect()
    }

    /// The index of the topic called `name`.
    pub fn topic_index(&self, name: &str) -> Option<usize> {
        self.topics.iter().position(|topic| topic.name == name)
    }

    fn build_index(&mut self) {
        for (topic_index, topic) in self.topics.iter().enumerate() {
            for (term_index, term) in topic.terms.iter().enumerate() {
                let reference = TermRef { topic: topic_index as u16, term: term_index as u32 };
                self.index.entry(term.words[0].hash()).or_default().push(reference);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::term_hash;

    #[track_caller]
    fn error(text: &str) -> String {
        Taxonomy::parse(text, Path::new("topics.toml")).unwrap_err().to_string()
    }

    #[test]
    fn shipped_taxonomy_has_the_eight_topics() {
        let taxonomy = Taxonomy::shipped().expect("shipped taxonomy is valid");
        let names: Vec<&str> = taxonomy.topics.iter().map(|topic| topic.name.as_str()).collect();
        assert_eq!(
            names,
            ["supply", "projects", "finance", "policy", "prices", "technology", "demand", "sustainability"]
        );
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let base = "[[topic]]\nname = \"finance\"\nthreshold = 2\n[topic.terms]\nloan = 2\n";
        assert_eq!(
            error(&format!("{base}\"--\" = 1\n")),
            "topics.toml:6: key `topic[1].terms.--`: term `--` has no words"
        );
        assert_eq!(
            error(&format!("{base}bond = -1\n")),
            "topics.toml:6: key `topic[1].terms.bond`: weight must be > 0, not -1"
        );
        let bad_regex = format!("{base}[topic.patterns]\n'(' = 1\n");
        assert!(
            error(&bad_regex)
                .starts_with("topics.toml:7: key `topic[1].patterns.'('`: bad regular expression")
        );
        let twice = format!("{base}[[topic]]\nname = \"finance\"\nthreshold = 1\n[topic.terms]\nx = 1\n");
        assert_eq!(error(&twice), "topics.toml:7: key `topic[2].name`: duplicate topic `finance`");
        assert!(error("[[topic]]\nname = \"x\"\nthreshold = 1\ncolour = 1\n").starts_with("topics.toml:4"));
        assert_eq!(error(""), "topics.toml: no [[topic]]");
        let placeholder = format!("{base}\"<pirce>\" = 1\n");
        assert!(error(&placeholder).contains("unknown placeholder `<pirce>`"));
    }

    #[test]
    fn terms_match_stems() {
        let taxonomy = Taxonomy::parse(
            "[[topic]]\nname = \"finance\"\nthreshold = 2\n[topic.terms]\nfinancing = 2\n\"offtake agreements\" = 3\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let terms = &taxonomy.topics[0].terms;
        assert_eq!(terms[0].words, [TermWord::Stem(term_hash("financ"))]);
        assert_eq!(
            terms[1].words,
            [TermWord::Stem(term_hash("offtak")), TermWord::Stem(term_hash("agreement"))]
        );
    }
}
