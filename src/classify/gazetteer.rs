//! Gazetteers: the names lodestone knows (commodities, countries, companies), read from TOML
//! and indexed for whole-word lookup over analysis tokens.
//!
//! An alias is analyzed exactly like item text, so it matches the same token sequence: a lookup
//! is a hash of the tokens' normalized texts, which gives whole-word matching for free ("Nd"
//! never matches inside "2nd", which is one token). How an alias must be capitalized in the text
//! is part of the alias: `any` case, `capitalized` (names: "China", not "china"), `exact`
//! ("US", "VAC"), or `symbol` (exact, and only where rare earths are discussed: "Nd", "Dy").
//! The shipped files are embedded; users may load their own with [`Gazetteer::parse`]. Matching
//! itself is in `entities`; this module only loads and indexes.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::analysis::{Analyzer, Case, PrehashedHasher, term_hash};

/// The shipped gazetteer files, embedded.
pub const SHIPPED_FILES: &[(&str, &str)] = &[
    ("config/gazetteers/commodities.toml", include_str!("../../config/gazetteers/commodities.toml")),
    ("config/gazetteers/countries.toml", include_str!("../../config/gazetteers/countries.toml")),
    ("config/gazetteers/companies.toml", include_str!("../../config/gazetteers/companies.toml")),
];

/// What an entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Commodity,
    Company,
    Country,
    Money,
    Quantity,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Commodity => "commodity",
            EntityKind::Company => "company",
            EntityKind::Country => "country",
            EntityKind::Money => "money",
            EntityKind::Quantity => "quantity",
        }
    }
}

/// How an alias must be written in the text to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseRule {
    /// Any capitalization: "lithium", "Lithium", "LITHIUM".
    Any,
    /// Each word the alias capitalizes is capitalized in the text: "China", not "china".
    Capitalized,
    /// Exactly as written: "US" (not "us"), "VAC".
    Exact,
    /// Exactly as written, and only in an item about rare earths: element symbols "Nd", "Dy".
    Symbol,
}

/// One alias in the index.
#[derive(Clone, Debug)]
pub(crate) struct Alias {
    /// Index into [`Gazetteer::entries`]; None for an `ignore` phrase.
    pub entry: Option<u32>,
    pub rule: CaseRule,
    /// The alias as configured, for explanations.
    pub text: Arc<str>,
    /// The alias's words as written (for `Exact` and `Symbol`) and their case (for `Capitalized`).
    pub words: Vec<(String, Case)>,
    /// Counts only beside a word of the entry's `context` list (for ambiguous names: "lead").
    pub needs_context: bool,
    /// What stands between consecutive words ("Pr-Nd" and "Pr Nd" alike, but a comma is a comma:
    /// "neodymium, praseodymium" is two names, not "neodymium praseodymium").
    pub gaps: Vec<Gap>,
    /// [`COMMODITY_PASS`] or [`NAME_PASS`].
    pub pass: usize,
    /// A country's adjective or demonym rather than its name.
    pub adjective: bool,
}

/// The text between two words of a name, as far as matching cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// Spaces, hyphens, dashes or a slash: "Pr-Nd", "Pr Nd", "Pr/Nd".
    Joiner,
    /// Anything else, without spaces: ",", "&", "(".
    Other(String),
}

impl Gap {
    pub(crate) fn of(text: &str) -> Gap {
        let kept = text.chars().filter(|c| !c.is_whitespace());
        if kept.clone().all(|c| matches!(c, '-' | '‐' | '‑' | '–' | '—' | '/')) {
            return Gap::Joiner;
        }
        Gap::Other(kept.collect())
    }
}

/// Commodities are matched in a pass of their own, so that a commodity alias never hides a
/// longer company or country name that starts inside it (entities then drops commodities that
/// lie inside company names).
pub(crate) const COMMODITY_PASS: usize = 0;
pub(crate) const NAME_PASS: usize = 1;

/// A known name.
#[derive(Clone, Debug)]
pub struct Entry {
    pub kind: EntityKind,
    /// The canonical value: "neodymium", "United States", "MP Materials".
    pub name: Arc<str>,
    /// Marks the rare-earth names that make symbols ("Nd") count in an item.
    pub rare_earth: bool,
    /// Words that must stand next to a `needs_context` alias.
    pub context: Vec<u64>,
    /// Mentions in titles do not count.
    pub body_only: bool,
    /// A government body that makes or enforces policy (a ministry, a regulator, customs), as
    /// opposed to a state lender or a company: its acting is a `<state-body>` policy cue.
    pub state_body: bool,
}

/// All gazetteers, indexed: token-sequence hash → aliases.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    pub entries: Vec<Entry>,
    pub(crate) aliases: HashMap<u64, Vec<Alias>, BuildHasherDefault<PrehashedHasher>>,
    /// Capital cities as token-hash sequences (see `features`).
    pub(crate) capitals: Vec<Vec<u64>>,
    /// The longest alias (in tokens) starting with a given first token, per matching pass.
    pub(crate) longest_from: HashMap<u64, [u8; 2], BuildHasherDefault<PrehashedHasher>>,
}

/// A gazetteer file problem, located.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {}{message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
pub struct GazetteerError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

/// How one alias matches.
#[derive(Clone, Copy, Debug)]
struct AliasOptions {
    rule: CaseRule,
    needs_context: bool,
    pass: usize,
    adjective: bool,
}

/// Aliases longer than this many tokens are refused (and never looked for).
pub(crate) const MAX_ALIAS_TOKENS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    kind: Spanned<String>,
    #[serde(default = "default_case")]
    case: CaseRule,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    entry: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    /// Aliases that count exactly as written.
    #[serde(default)]
    exact: Vec<Spanned<String>>,
    /// Element symbols: exactly as written, in rare-earth items only.
    #[serde(default)]
    symbols: Vec<Spanned<String>>,
    /// Symbols that are also common words or names ("La", "Ce"): as `symbols`, and only beside
    /// another symbol or a word of `context`.
    #[serde(default)]
    weak_symbols: Vec<Spanned<String>>,
    /// Aliases that count only beside a word of `context` ("lead" beside "zinc").
    #[serde(default)]
    guarded: Vec<Spanned<String>>,
    /// Aliases that count in any case, whatever the file's `case` ("the defence department").
    #[serde(default)]
    any_case: Vec<Spanned<String>>,
    /// As `guarded`, in any case ("commerce ministry" beside "China").
    #[serde(default)]
    guarded_any_case: Vec<Spanned<String>>,
    /// Only mentions in the body count (a source naming its own columns in titles).
    #[serde(default)]
    body_only: bool,
    /// A ministry, regulator or other policy-making body (see [`Entry::state_body`]).
    #[serde(default)]
    state_body: bool,
    /// Adjectives and demonyms ("Brazilian", "Chinese"): aliases that name the country without
    /// being the state as a grammatical subject ("Chinese magnet maker…").
    #[serde(default)]
    adjectives: Vec<Spanned<String>>,
    /// Seats of government that headlines use for the state ("Beijing lowers…"): not mentions of
    /// the country, only a policy cue when they open a headline.
    #[serde(default)]
    capitals: Vec<Spanned<String>>,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    rare_earth: bool,
    /// Whether `name` itself is an alias (default true).
    #[serde(default = "yes")]
    name_is_alias: bool,
}

fn default_case() -> CaseRule {
    CaseRule::Any
}

fn yes() -> bool {
    true
}

impl Gazetteer {
    /// The shipped gazetteers (commodities, countries, companies).
    pub fn shipped() -> Result<Gazetteer, GazetteerError> {
        let mut gazetteer = Gazetteer::default();
        for (file, text) in SHIPPED_FILES {
            gazetteer.add_file(text, Path::new(file))?;
        }
        Ok(gazetteer)
    }

    /// Parses one gazetteer file's `text` (`file` names it in errors).
    pub fn parse(text: &str, file: &Path) -> Result<Gazetteer, GazetteerError> {
        let mut gazetteer = Gazetteer::default();
        gazetteer.add_file(text, file)?;
        Ok(gazetteer)
    }

    /// Adds the entries of another gazetteer file (a user's additions to the shipped lists).
    pub fn add_file(&mut self, text: &str, file: &Path) -> Result<(), GazetteerError> {
        let error_at = |offset: Option<usize>, message: String| {
            let location = offset.map(|offset| crate::config::locate(text, offset));
            GazetteerError {
                file: file.to_path_buf(),
                line: location.as_ref().map(|location| location.line),
                key: location.and_then(|location| location.key),
                message,
            }
        };
        let raw: RawFile = toml::from_str(text).map_err(|error| {
            error_at(error.span().map(|span| span.start), error.message().trim().to_string())
        })?;
        let kind = match raw.kind.get_ref().as_str() {
            "commodity" => EntityKind::Commodity,
            "country" => EntityKind::Country,
            "company" => EntityKind::Company,
            other => {
                let message = format!("unknown kind `{other}` (expected commodity, country or company)");
                return Err(error_at(Some(raw.kind.span().start), message));
            }
        };
        let analyzer = Analyzer::new();
        let pass = if kind == EntityKind::Commodity { COMMODITY_PASS } else { NAME_PASS };
        for phrase in &raw.ignore {
            let options = AliasOptions { rule: raw.case, needs_context: false, pass, adjective: false };
            self.add_alias(&analyzer, phrase, None, options)
                .map_err(|message| error_at(Some(phrase.span().start), message))?;
        }
        for entry in raw.entry {
            let name = entry.name.get_ref().trim();
            if name.is_empty() {
                return Err(error_at(Some(entry.name.span().start), "empty name".to_string()));
            }
            let index = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
            let context = entry
                .context
                .iter()
                .flat_map(|word| analyzer.phrase_tokens(word))
                .map(|token| term_hash(&token.norm))
                .collect();
            for capital in &entry.capitals {
                let hashes: Vec<u64> = analyzer
                    .phrase_tokens(capital.get_ref())
                    .iter()
                    .map(|token| term_hash(&token.norm))
                    .collect();
                if hashes.is_empty() {
                    return Err(error_at(
                        Some(capital.span().start),
                        format!("capital `{}` has no words", capital.get_ref()),
                    ));
                }
                self.capitals.push(hashes);
            }
            let body_only = entry.body_only;
            self.entries.push(Entry {
                kind,
                name: Arc::from(name),
                rare_earth: entry.rare_earth,
                context,
                body_only,
                state_body: entry.state_body,
            });
            let mut lists: Vec<(&Spanned<String>, CaseRule, bool)> = Vec::new();
            if entry.name_is_alias {
                lists.push((&entry.name, raw.case, false));
            }
            lists.extend(entry.aliases.iter().map(|alias| (alias, raw.case, false)));
            lists.extend(entry.exact.iter().map(|alias| (alias, CaseRule::Exact, false)));
            lists.extend(entry.symbols.iter().map(|alias| (alias, CaseRule::Symbol, false)));
            lists.extend(entry.weak_symbols.iter().map(|alias| (alias, CaseRule::Symbol, true)));
            lists.extend(entry.guarded.iter().map(|alias| (alias, raw.case, true)));
            let adjectives_start = lists.len();
            lists.extend(entry.adjectives.iter().map(|alias| (alias, raw.case, false)));
            let adjectives = adjectives_start..lists.len();
            lists.extend(entry.any_case.iter().map(|alias| (alias, CaseRule::Any, false)));
            lists.extend(entry.guarded_any_case.iter().map(|alias| (alias, CaseRule::Any, true)));
            for (position, (alias, rule, needs_context)) in lists.into_iter().enumerate() {
                let options =
                    AliasOptions { rule, needs_context, pass, adjective: adjectives.contains(&position) };
                self.add_alias(&analyzer, alias, Some(index), options)
                    .map_err(|message| error_at(Some(alias.span().start), message))?;
            }
        }
        Ok(())
    }

    fn add_alias(
        &mut self,
        analyzer: &Analyzer,
        alias: &Spanned<String>,
        entry: Option<u32>,
        options: AliasOptions,
    ) -> Result<(), String> {
        let AliasOptions { rule, needs_context, pass, adjective } = options;
        let text = alias.get_ref();
        let tokens = analyzer.phrase_tokens(text);
        if tokens.is_empty() {
            return Err(format!("alias `{text}` has no words"));
        }
        if tokens.len() > MAX_ALIAS_TOKENS {
            return Err(format!("alias `{text}` has more than {MAX_ALIAS_TOKENS} words"));
        }
        let hashes: Vec<u64> = tokens.iter().map(|token| term_hash(&token.norm)).collect();
        let length = u8::try_from(tokens.len()).unwrap_or(u8::MAX);
        let gaps = tokens
            .windows(2)
            .map(|pair| Gap::of(text.get(pair[0].span.end..pair[1].span.start).unwrap_or("")))
            .collect();
        let words = tokens.into_iter().map(|token| (token.original, token.case)).collect();
        let longest = self.longest_from.entry(hashes[0]).or_insert([0, 0]);
        longest[pass] = longest[pass].max(length);
        let alias = Alias {
            entry,
            rule,
            text: Arc::from(text.as_str()),
            words,
            needs_context,
            gaps,
            pass,
            adjective,
        };
        self.aliases.entry(sequence_hash(&hashes)).or_default().push(alias);
        Ok(())
    }

    /// The entry an alias points to.
    pub(crate) fn entry(&self, index: u32) -> Option<&Entry> {
        self.entries.get(index as usize)
    }
}

/// The hash of a token sequence, from the tokens' [`term_hash`]es; order matters.
pub(crate) fn sequence_hash(hashes: &[u64]) -> u64 {
    hashes.iter().fold(0x243f_6a88_85a3_08d3, |combined, hash| {
        (combined ^ hash).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_gazetteers_load() {
        let gazetteer = Gazetteer::shipped().expect("shipped gazetteers are valid");
        let companies = gazetteer.entries.iter().filter(|entry| entry.kind == EntityKind::Company).count();
        assert!(companies >= 150, "only {companies} companies");
        assert!(gazetteer.entries.iter().any(|entry| &*entry.name == "Democratic Republic of the Congo"));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let text =
            "kind = \"company\"\n\n[[entry]]\nname = \"A\"\n\n[[entry]]\nname = \"B\"\naliases = [\"--\"]\n";
        let error = Gazetteer::parse(text, Path::new("mine.toml")).unwrap_err();
        assert_eq!(error.to_string(), "mine.toml:8: key `entry[2].aliases`: alias `--` has no words");
        let error = Gazetteer::parse("kind = \"planet\"\n", Path::new("p.toml")).unwrap_err();
        assert_eq!(error.line, Some(1));
        let error = Gazetteer::parse("kind = \"company\"\n[[entry]]\nnam = \"x\"\n", Path::new("p.toml"))
            .unwrap_err();
        assert!(error.to_string().starts_with("p.toml:3"), "{error}");
    }
}
