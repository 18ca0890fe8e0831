//! Builds an [`Analysis`]: boilerplate ranges → words → atoms → measures → normalized, stemmed
//! tokens. The order of the steps and the buffers they share live here; each step's rules live
//! in its own module.

use std::fmt::Write;
use std::ops::Range;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

use super::boilerplate::{Content, body_content, title_content};
use super::decimal::Decimal;
use super::measure::{Atom, Found, MeasureKind, find_measures};
use super::memo::StemMemo;
use super::scan::{Word, WordClass, is_apostrophe, scan_words};
use super::stopwords::is_stop_word;
use super::units::{currency_code, currency_word, multiplier, tonne_unit};
use super::{Analysis, Case, Field, Measure, Token, TokenKind};

/// The seed of [`term_hash`]; changing it changes every stored hash.
const TERM_HASH_SEED: u64 = 0x6c6f_6465_7374_6f6e; // "lodeston"

/// The stable 64-bit hash of a normalized term (XXH3, fixed seed). Tokens carry it for their
/// normalized text and their stem.
pub fn term_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), TERM_HASH_SEED)
}

/// Analyzes `title` and `body` (plain text, as stored) with a fresh [`Analyzer`].
pub fn analyze(title: &str, body: &str) -> Analysis {
    Analyzer::new().analyze(title, body)
}

/// One token of a configured phrase, see [`Analyzer::phrase_tokens`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhraseToken {
    /// Byte span in the phrase.
    pub span: Range<usize>,
    pub norm: String,
    pub stem: String,
    /// The word as written in the phrase.
    pub original: String,
    pub case: Case,
    pub is_stop: bool,
}

/// Holds the stemmer; cheap to build, `Send + Sync`, reusable across items and threads.
pub struct Analyzer {
    stemmer: Stemmer,
}

impl Default for Analyzer {
    fn default() -> Analyzer {
        Analyzer::new()
    }
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Analyzer(english)")
    }
}

/// Buffers reused between items by [`Analyzer::analyze_into`], and a memo of stems: Snowball
/// costs about half of the analysis, and news repeats its vocabulary, so an [`Analysis`] reused
/// for many items stems each distinct word once. The memo changes no result.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    words: Vec<Word>,
    atoms: Vec<Atom>,
    found: Vec<Found>,
    words_memo: WordMemo,
}

/// What normalizing one word needs besides the word: a buffer and the stem memo.
#[derive(Clone, Debug, Default)]
struct WordMemo {
    folded: String,
    stems: StemMemo,
}

impl Analyzer {
    pub fn new() -> Analyzer {
        Analyzer { stemmer: Stemmer::create(Algorithm::English) }
    }

    pub fn analyze(&self, title: &str, body: &str) -> Analysis {
        let mut analysis = Analysis::default();
        self.analyze_into(title, body, &mut analysis);
        analysis
    }

    /// Like [`Analyzer::analyze`], reusing `analysis`'s buffers (for loops over many items).
    pub fn analyze_into(&self, title: &str, body: &str, analysis: &mut Analysis) {
        analysis.clear();
        let title_kept = title_content(title);
        let body_kept = body_content(body);
        self.push_field(title, &title_kept, Field::Title, analysis);
        analysis.title_token_count = analysis.tokens.len();
        self.push_field(body, &body_kept, Field::Body, analysis);
        analysis.flash_reference = title_kept.flash_reference.or(body_kept.flash_reference);
        analysis.series = title_kept.series;
    }

    /// The tokens of a configured phrase (a gazetteer alias, a taxonomy term), analyzed exactly
    /// as item text is, but without boilerplate rules.
    pub fn phrase_tokens(&self, phrase: &str) -> Vec<PhraseToken> {
        let mut analysis = Analysis::default();
        let content = Content { ranges: std::iter::once(0..phrase.len()).collect(), ..Content::default() };
        self.push_field(phrase, &content, Field::Body, &mut analysis);
        analysis
            .tokens
            .iter()
            .map(|token| PhraseToken {
                span: token.span.clone(),
                norm: analysis.norm(token).to_string(),
                stem: analysis.stem(token).to_string(),
                original: phrase.get(token.span.clone()).unwrap_or("").to_string(),
                case: token.case,
                is_stop: token.is_stop,
            })
            .collect()
    }

    fn push_field(&self, text: &str, content: &Content, field: Field, analysis: &mut Analysis) {
        let mut scratch = std::mem::take(&mut analysis.scratch);
        scratch.words.clear();
        scratch.atoms.clear();
        scratch.found.clear();
        for range in &content.ranges {
            scan_words(text, range.clone(), &mut scratch.words);
        }
        for word in &scratch.words {
            push_atoms(text, word, &mut scratch.words_memo.folded, &mut scratch.atoms);
        }
        find_measures(text, &scratch.atoms, &mut scratch.found);
        let mut sentence = 0u32;
        let mut found = scratch.found.iter().peekable();
        let mut index = 0;
        while index < scratch.atoms.len() {
            let atom = scratch.atoms[index];
            if atom.starts_sentence && index > 0 {
                sentence += 1;
            }
            while found.peek().is_some_and(|measure| measure.first < index) {
                found.next();
            }
            if let Some(measure) = found.peek().filter(|measure| measure.first == index) {
                push_measure(measure, field, sentence, analysis);
                index = measure.last + 1;
                found.next();
                continue;
            }
            self.push_word(text, &atom, (field, sentence), &mut scratch.words_memo, analysis);
            index += 1;
        }
        analysis.scratch = scratch;
    }
}

fn push_measure(found: &Found, field: Field, sentence: u32, analysis: &mut Analysis) {
    let norm_start = analysis.arena.len();
    let kind = match found.kind {
        MeasureKind::Money { currency, per_unit } => {
            let _ = write!(analysis.arena, "money:{currency}:{}", found.value);
            if let Some(unit) = per_unit {
                let _ = write!(analysis.arena, "/{unit}");
            }
            TokenKind::Money
        }
        MeasureKind::Quantity { .. } => {
            let _ = write!(analysis.arena, "qty:t:{}", found.value);
            TokenKind::Quantity
        }
        MeasureKind::Percent => {
            let _ = write!(analysis.arena, "pct:{}", found.value);
            TokenKind::Percent
        }
        MeasureKind::Number => {
            let _ = write!(analysis.arena, "{}", found.value);
            TokenKind::Number
        }
    };
    let norm = as_u32_range(norm_start, analysis.arena.len());
    let hash = term_hash(&analysis.arena[norm_start..]);
    let span = found.start..found.end;
    if kind != TokenKind::Number {
        analysis.measures.push(Measure {
            kind: found.kind,
            value: found.value,
            field,
            span: span.clone(),
            token: analysis.tokens.len(),
        });
    }
    let case = Case::Uncased;
    let stem = norm.clone();
    let is_stop = false;
    let token =
        Token { field, span, kind, case, is_stop, sentence, norm_hash: hash, stem_hash: hash, norm, stem };
    analysis.tokens.push(token);
}

impl Analyzer {
    fn push_word(
        &self,
        text: &str,
        atom: &Atom,
        (field, sentence): (Field, u32),
        memo: &mut WordMemo,
        analysis: &mut Analysis,
    ) {
        let WordMemo { folded, stems } = memo;
        let original = &text[atom.start..atom.end];
        let norm_start = analysis.arena.len();
        fold_into(original, &mut analysis.arena);
        let is_numeral = original.as_bytes()[0].is_ascii_digit()
            && original.bytes().all(|byte| byte.is_ascii_digit() || byte == b',' || byte == b'.');
        if is_numeral {
            // A numeral too long to be a number: still lose the separators.
            analysis.arena.retain_from(norm_start, |c| c != ',');
        }
        let norm_end = analysis.arena.len();
        let norm_text = &analysis.arena[norm_start..norm_end];
        let case = case_of(original);
        let is_stop = is_stop_word(norm_text) && case != Case::Upper;
        let norm_hash = term_hash(norm_text);
        let kind = if atom.is_cjk { TokenKind::Cjk } else { TokenKind::Word };
        let stemmable = kind == TokenKind::Word
            && !is_stop
            && norm_text.len() > 3
            && if norm_text.is_ascii() {
                norm_text.bytes().all(|byte| byte.is_ascii_alphabetic() || byte == b'\'')
            } else {
                norm_text.chars().all(|c| c.is_alphabetic() || c == '\'')
            };
        let (stem, stem_hash) = if stemmable {
            folded.clear();
            let folded_hash = match stems.get(norm_text, norm_hash) {
                Some((stem, stem_hash)) => {
                    folded.push_str(stem);
                    stem_hash
                }
                None => {
                    folded.push_str(&self.stemmer.stem(norm_text));
                    let stem_hash = term_hash(folded);
                    stems.insert(norm_text, norm_hash, folded, stem_hash);
                    stem_hash
                }
            };
            if folded.as_str() == norm_text {
                (as_u32_range(norm_start, norm_end), norm_hash)
            } else {
                let stem_start = analysis.arena.len();
                analysis.arena.push_str(folded);
                (as_u32_range(stem_start, analysis.arena.len()), folded_hash)
            }
        } else {
            (as_u32_range(norm_start, norm_end), norm_hash)
        };
        let norm = as_u32_range(norm_start, norm_end);
        let span = atom.start..atom.end;
        analysis.tokens.push(Token {
            field,
            span,
            kind,
            case,
            is_stop,
            sentence,
            norm_hash,
            stem_hash,
            norm,
            stem,
        });
    }
}

/// Splits a scanned word into atoms: `565M` → `565` + `M`, `2kt` → `2` + `kt` (only when the
/// letters are a multiplier, tonne unit or currency, so `2nd` and `Nd2O3` stay whole), and parses
/// numerals.
fn push_atoms(text: &str, word: &Word, folded: &mut String, atoms: &mut Vec<Atom>) {
    let original = &text[word.start..word.end];
    let plain = Atom {
        start: word.start,
        end: word.end,
        number: None,
        is_cjk: false,
        starts_sentence: word.starts_sentence,
    };
    match word.class {
        WordClass::Cjk => atoms.push(Atom { is_cjk: true, ..plain }),
        WordClass::Alphabetic => atoms.push(plain),
        WordClass::Numeric => atoms.push(Atom { number: parse_numeral(original, folded), ..plain }),
        WordClass::Mixed => push_mixed_atoms(original, &plain, atoms),
    }
}

/// `565M` → `565` + `M`, `2kt` → `2` + `kt`, `CNY650` → `CNY` + `650`, `EUR216m` → `EUR` +
/// `216` + `m`: only when the letters are a currency code, a multiplier or a unit, so that `2nd`,
/// `Q1` and `Nd2O3` stay whole.
fn push_mixed_atoms(original: &str, plain: &Atom, atoms: &mut Vec<Atom>) {
    let is_numeral_byte = |byte: u8| byte.is_ascii_digit() || byte == b',' || byte == b'.';
    let bytes = original.as_bytes();
    let prefix_end = bytes.iter().position(|byte| !byte.is_ascii_alphabetic()).unwrap_or(bytes.len());
    let digits_end = prefix_end
        + bytes[prefix_end..]
            .iter()
            .position(|byte| !is_numeral_byte(*byte))
            .unwrap_or(bytes.len() - prefix_end);
    let (prefix, numeral, suffix) =
        (&original[..prefix_end], &original[prefix_end..digits_end], &original[digits_end..]);
    let prefix_ok = prefix.is_empty() || currency_code(prefix).is_some() || prefix == "Rs";
    let suffix_ok = suffix.is_empty()
        || multiplier(suffix).is_some()
        || tonne_unit(suffix).is_some()
        || currency_code(suffix).is_some()
        || currency_word(suffix).is_some();
    let number = Decimal::parse(numeral)
        .filter(|_| prefix_ok && suffix_ok && !(prefix.is_empty() && suffix.is_empty()));
    let Some(number) = number else {
        atoms.push(*plain);
        return;
    };
    let start = plain.start;
    if !prefix.is_empty() {
        atoms.push(Atom { end: start + prefix_end, ..*plain });
    }
    let starts_sentence = plain.starts_sentence && prefix.is_empty();
    atoms.push(Atom {
        start: start + prefix_end,
        end: start + digits_end,
        number: Some(number),
        starts_sentence,
        ..*plain
    });
    if !suffix.is_empty() {
        atoms.push(Atom { start: start + digits_end, starts_sentence: false, ..*plain });
    }
}

fn parse_numeral(original: &str, folded: &mut String) -> Option<Decimal> {
    if original.is_ascii() {
        return Decimal::parse(original);
    }
    folded.clear();
    folded.extend(original.nfkc());
    Decimal::parse(folded)
}

/// Appends the normalized form of `word`: NFKC, lower case, `'` for every apostrophe.
fn fold_into(word: &str, output: &mut String) {
    if word.is_ascii() {
        let start = output.len();
        output.push_str(word);
        output[start..].make_ascii_lowercase();
        return;
    }
    for character in word.nfkc() {
        if is_apostrophe(character) {
            output.push('\'');
        } else {
            output.extend(character.to_lowercase());
        }
    }
}

fn case_of(word: &str) -> Case {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let Some(first) = letters.next() else { return Case::Uncased };
    let any_lower = letters.any(char::is_lowercase);
    match (first.is_uppercase(), any_lower) {
        (true, true) => Case::Capitalized,
        (true, false) => Case::Upper,
        (false, _) => Case::Lower,
    }
}

fn as_u32_range(start: usize, end: usize) -> Range<u32> {
    u32::try_from(start).unwrap_or(u32::MAX)..u32::try_from(end).unwrap_or(u32::MAX)
}

/// `String::retain` on a suffix only.
trait RetainFrom {
    fn retain_from(&mut self, start: usize, keep: impl FnMut(char) -> bool);
}

impl RetainFrom for String {
    fn retain_from(&mut self, start: usize, mut keep: impl FnMut(char) -> bool) {
        let tail: String = self[start..].chars().filter(|c| keep(*c)).collect();
        self.truncate(start);
        self.push_str(&tail);
    }
}
