//! Text analysis shared by classification and story dedup: an item's title and body become one
//! stream of normalized tokens, each pointing back at the bytes it came from.
//!
//! What [`analyze`] does, in order, per field:
//! 1. drops source boilerplate (`boilerplate`), keeping an `[SMM Flash: …]` prefix's title
//!    aside as [`Analysis::flash_reference`] (a strong "same story" signal for dedup);
//! 2. splits words (`scan`): letters and digits, `2,000` and `12.5` whole, `U.S.` whole,
//!    possessive `'s` dropped, CJK runs as character bigrams;
//! 3. reads money, tonnages and percentages (`measure`) and replaces their words by one
//!    canonical token, so that `$565 million`, `$565M` and `US$565 mln` are all
//!    `money:USD:565000000`, `2,000 mt`, `2000 tonnes` and `2 kt` are all `qty:t:2000`, and
//!    `12.5%` is `pct:12.5`; other numbers lose their separators (`2,000` → `2000`). Different
//!    amounts always stay different tokens;
//! 4. normalizes each word: NFKC, lower case, one apostrophe; flags English stop words; stems
//!    alphabetic words with the Snowball English stemmer (`financing`, `financed` → `financ`).
//!
//! Every token carries a 64-bit XXH3 hash of its normalized text and of its stem: stable across
//! platforms and versions (XXH3's output is frozen), so stories can persist shingle hashes,
//! MinHash signatures and TF-IDF term ids built from them.
//!
//! Deliberately not here: language detection, entity and topic logic (see `classify`), and
//! per-source boilerplate learned from history (it needs the store). Nothing here does I/O or
//! reads the clock, and no input panics.

mod boilerplate;
mod decimal;
mod measure;
mod memo;
mod scan;
mod stopwords;
mod suffix;
mod tokens;
mod units;

use std::ops::Range;

pub use decimal::Decimal;
pub use measure::MeasureKind;
pub use memo::{IdHasher, IdMap, PrehashedHasher};
pub use tokens::{Analyzer, PhraseToken, analyze, term_hash};
pub use units::Rate;

thread_local! {
    /// One analyzer and one reusable analysis per thread, for [`with_analysis`].
    static WORKSPACE: std::cell::RefCell<(Analyzer, Analysis)> =
        std::cell::RefCell::new((Analyzer::new(), Analysis::default()));
}

/// Calls `use_it` with the analysis of `title` and `body`, as [`analyze`] gives it, in a buffer
/// this thread reuses: no allocations once warm, and the stem memo remembers the vocabulary
/// across items (Snowball is about half the cost of an analysis otherwise). For loops over many
/// items that need the analysis only for a while (the pipeline's workers, window rebuilds).
pub fn with_analysis<R>(title: &str, body: &str, use_it: impl FnOnce(&Analysis) -> R) -> R {
    WORKSPACE.with(|workspace| match workspace.try_borrow_mut() {
        Ok(mut workspace) => {
            let (analyzer, analysis) = &mut *workspace;
            analyzer.analyze_into(title, body, analysis);
            use_it(analysis)
        }
        // Only when `use_it` itself analyzes with this function: a fresh buffer then.
        Err(_) => use_it(&analyze(title, body)),
    })
}

/// Which part of an item a token comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Body,
}

/// What a token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A word of letters (or letters and digits: `Nd2O3`, `2nd`, `Q1`).
    Word,
    /// A number that is not money, a tonnage or a percentage; canonical digits (`2000`, `12.5`).
    Number,
    /// `money:USD:565000000`, or a price `money:CNY:75000/t`.
    Money,
    /// `qty:t:2000` (tonnes; the rate is in the [`Measure`], not the token, so that "5,000 mt"
    /// and "5,000 mt per year" written of one plant still share a token).
    Quantity,
    /// `pct:12.5`.
    Percent,
    /// A character bigram of a Chinese, Japanese or Korean run.
    Cjk,
}

/// How the original word was capitalized; entity rules need it (`US` is a country, `us` is not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    /// No capital letter.
    Lower,
    /// First letter capital, some lower-case letter after it (`Lynas`, `NdFeB`).
    Capitalized,
    /// Two or more letters, all capitals (`DFC`, `US`), or one capital letter alone.
    Upper,
    /// No letters (numbers, CJK).
    Uncased,
}

/// One token. Its text lives in the [`Analysis`] ([`Analysis::norm`], [`Analysis::stem`]), so
/// that analyzing an item allocates one buffer rather than two strings a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub field: Field,
    /// Byte span in the original title or body (as passed to [`analyze`]).
    pub span: Range<usize>,
    pub kind: TokenKind,
    pub case: Case,
    /// An English stop word ("the", "of"); kept in the stream, flagged.
    pub is_stop: bool,
    /// Index of the sentence within its field, from 0.
    pub sentence: u32,
    /// [`term_hash`] of the normalized text.
    pub norm_hash: u64,
    /// [`term_hash`] of the stem (equal to `norm_hash` when the word does not stem).
    pub stem_hash: u64,
    norm: Range<u32>,
    stem: Range<u32>,
}

/// Money, a tonnage, a percentage or a plain number, with its exact value.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub kind: MeasureKind,
    /// Money in units of its currency, tonnages in tonnes, percentages in percent.
    pub value: Decimal,
    pub field: Field,
    pub span: Range<usize>,
    /// Index of its token in [`Analysis::tokens`].
    pub token: usize,
}

/// The analysis of one item: title tokens first, then body tokens.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub tokens: Vec<Token>,
    /// Money, tonnages and percentages (plain numbers are tokens only), in text order.
    pub measures: Vec<Measure>,
    /// The earlier title an `[SMM Flash: …]` prefix (of the title or the body) refers to.
    pub flash_reference: Option<String>,
    /// A trailing column tag of the title (`SMM Rare Earth Overseas Weekly Review`): recurring
    /// templates share it, which makes them look alike without being one story.
    pub series: Option<String>,
    /// How many of `tokens` belong to the title.
    pub title_token_count: usize,
    arena: String,
    scratch: tokens::Scratch,
}

impl Analysis {
    /// The normalized text of `token`: lower case, NFKC; canonical for measures.
    pub fn norm(&self, token: &Token) -> &str {
        self.arena.get(token.norm.start as usize..token.norm.end as usize).unwrap_or("")
    }

    /// The Snowball stem of `token` (its normalized text when it does not stem).
    pub fn stem(&self, token: &Token) -> &str {
        self.arena.get(token.stem.start as usize..token.stem.end as usize).unwrap_or("")
    }

    pub fn title_tokens(&self) -> &[Token] {
        &self.tokens[..self.title_token_count.min(self.tokens.len())]
    }

    pub fn body_tokens(&self) -> &[Token] {
        &self.tokens[self.title_token_count.min(self.tokens.len())..]
    }

    /// The measure whose token is `token_index`, if any.
    pub fn measure_at(&self, token_index: usize) -> Option<&Measure> {
        let position = self.measures.partition_point(|measure| measure.token < token_index);
        self.measures.get(position).filter(|measure| measure.token == token_index)
    }

    /// Clears the analysis for reuse, keeping its buffers.
    pub fn clear(&mut self) {
        self.tokens.clear();
        self.measures.clear();
        self.flash_reference = None;
        self.series = None;
        self.title_token_count = 0;
        self.arena.clear();
    }
}

#[cfg(test)]
mod tests;
