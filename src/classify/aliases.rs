//! Gazetteer names found in an item's tokens: every alias tried at every token, longest first,
//! whole words only, each alias with its case rule (exact, capitalized, any case) and, for
//! guarded aliases and weak symbols, a context word or neighbouring symbol within three tokens.
//! Element symbols count only in an item that names a rare earth in words.
//!
//! Not here: company names guessed from their suffix (`companies`), measures, deduplication
//! and the entity types (`entities`).

use std::ops::Range;

use super::entities::{Mention, Rule, original};
use super::gazetteer::{
    Alias, COMMODITY_PASS, CaseRule, Gap, Gazetteer, MAX_ALIAS_TOKENS, NAME_PASS, sequence_hash,
};
use crate::analysis::{Analysis, Case, Field, Token, TokenKind, term_hash};

/// Words that make a weak symbol or guarded alias count when they stand next to it.
const SYMBOL_CONTEXT: &[&str] =
    &["oxide", "oxides", "metal", "metals", "alloy", "price", "prices", "carbonate", "fluoride", "chloride"];

/// The term hashes of [`SYMBOL_CONTEXT`].
static SYMBOL_CONTEXT_HASHES: std::sync::LazyLock<Vec<u64>> =
    std::sync::LazyLock::new(|| SYMBOL_CONTEXT.iter().map(|word| term_hash(word)).collect());

pub(crate) fn gazetteer_mentions(
    gazetteer: &Gazetteer,
    analysis: &Analysis,
    title: &str,
    body: &str,
    mentions: &mut Vec<Mention>,
) {
    let mut pending_symbols: Vec<(Mention, bool)> = Vec::new();
    // The entries one match found, reused from match to match (one allocation per item, not
    // one per matched word).
    let mut entries_found: Vec<u32> = Vec::new();
    let mut rare_earth_named = false;
    // Both passes walk the tokens together (one lookup a token), each skipping what it matched.
    let mut next_free = [0usize; 2];
    for index in 0..analysis.tokens.len() {
        let Some(lengths) = gazetteer.longest_from.get(&analysis.tokens[index].norm_hash) else { continue };
        for pass in [COMMODITY_PASS, NAME_PASS] {
            if lengths[pass] == 0 || index < next_free[pass] {
                continue;
            }
            let longest = usize::from(lengths[pass]);
            let used = match_at(
                gazetteer,
                analysis,
                (title, body),
                (index, pass, longest),
                mentions,
                (&mut pending_symbols, &mut entries_found),
            );
            rare_earth_named |= used.1;
            next_free[pass] = index + used.0.max(1);
        }
    }
    if !rare_earth_named {
        return;
    }
    let tokens = &analysis.tokens;
    let symbol_positions: Vec<usize> =
        pending_symbols.iter().map(|(mention, _)| mention.tokens.start).collect();
    for (mention, needs_context) in pending_symbols {
        if !needs_context || has_context(tokens, &mention.tokens, &SYMBOL_CONTEXT_HASHES, &symbol_positions) {
            mentions.push(mention);
        }
    }
}

/// The longest alias of `pass` (at most `longest` tokens) starting at token `index`: how many
/// tokens it covers (0 when none), and whether it named a rare earth. Symbols are set aside until the whole item is read.
fn match_at(
    gazetteer: &Gazetteer,
    analysis: &Analysis,
    (title, body): (&str, &str),
    (index, pass, longest): (usize, usize, usize),
    mentions: &mut Vec<Mention>,
    (pending_symbols, entries_found): (&mut Vec<(Mention, bool)>, &mut Vec<u32>),
) -> (usize, bool) {
    let tokens = &analysis.tokens;
    let field = tokens[index].field;
    let text = if field == Field::Title { title } else { body };
    let mut available = 0;
    while available < longest
        && index + available < tokens.len()
        && tokens[index + available].field == field
        && matches!(tokens[index + available].kind, TokenKind::Word | TokenKind::Cjk)
    {
        available += 1;
    }
    let mut hashes = [0u64; MAX_ALIAS_TOKENS];
    let mut rare_earth_named = false;
    for length in (1..=available).rev() {
        for (offset, slot) in hashes[..length].iter_mut().enumerate() {
            *slot = tokens[index + offset].norm_hash;
        }
        let Some(aliases) = gazetteer.aliases.get(&sequence_hash(&hashes[..length])) else { continue };
        let span_tokens = index..index + length;
        let mut matched = false;
        // An entry spelled two ways that read the same ("rare earth", "rare-earth") is one
        // mention, not two: counts of mentions weigh entities and topics.
        entries_found.clear();
        for alias in aliases.iter().filter(|alias| alias.pass == pass) {
            if !case_matches(alias, &tokens[span_tokens.clone()], title, body)
                || !gaps_match(alias, &tokens[span_tokens.clone()], text)
            {
                continue;
            }
            matched = true;
            let Some(entry_index) = alias.entry.filter(|entry| !entries_found.contains(entry)) else {
                continue;
            };
            let Some(entry) = gazetteer.entry(entry_index) else { continue };
            if (entry.body_only && field == Field::Title)
                || is_proper_noun_start(analysis, alias, &span_tokens)
            {
                continue;
            }
            let mention = Mention {
                kind: entry.kind,
                value: entry.name.clone(),
                field,
                span: tokens[index].span.start..tokens[index + length - 1].span.end,
                tokens: span_tokens.clone(),
                rule: Rule::Alias(alias.text.clone(), alias.rule),
                adjective: alias.adjective,
                state_body: entry.state_body,
            };
            if alias.rule == CaseRule::Symbol {
                pending_symbols.push((mention, alias.needs_context));
                entries_found.push(entry_index);
            } else if !alias.needs_context || has_context(tokens, &span_tokens, &entry.context, &[]) {
                rare_earth_named |= entry.rare_earth;
                mentions.push(mention);
                entries_found.push(entry_index);
            }
        }
        if matched {
            return (length, rare_earth_named);
        }
    }
    (0, false)
}

/// The text between the matched words is what the alias has there (a comma is not a hyphen).
fn gaps_match(alias: &Alias, tokens: &[Token], text: &str) -> bool {
    alias
        .gaps
        .iter()
        .zip(tokens.windows(2))
        .all(|(gap, pair)| *gap == Gap::of(text.get(pair[0].span.end..pair[1].span.start).unwrap_or("")))
}

/// A lower-case name written capitalized in mid-sentence, first word of a run of capitalized
/// words, is the start of a proper noun, not the commodity: "its Silicon Ridge project", "Gold
/// Fields". Titles are Title Case, so the rule only reads bodies.
fn is_proper_noun_start(analysis: &Analysis, alias: &Alias, span: &Range<usize>) -> bool {
    let tokens = &analysis.tokens;
    let first = &tokens[span.start];
    if first.field != Field::Body
        || first.case != Case::Capitalized
        || alias.words.first().is_some_and(|(_, case)| *case != Case::Lower)
    {
        return false;
    }
    let Some(previous) = span.start.checked_sub(1).map(|index| &tokens[index]) else { return false };
    let starts_sentence = previous.field != first.field || previous.sentence != first.sentence;
    if starts_sentence || previous.case != Case::Lower {
        return false;
    }
    tokens.get(span.end).is_some_and(|next| {
        next.field == first.field
            && next.sentence == first.sentence
            && next.kind == TokenKind::Word
            && next.case == Case::Capitalized
            && !next.is_stop
    })
}

/// Whether `tokens` (one match) are written as `alias` requires.
fn case_matches(alias: &Alias, tokens: &[Token], title: &str, body: &str) -> bool {
    if alias.words.len() != tokens.len() {
        return false;
    }
    match alias.rule {
        CaseRule::Any => true,
        CaseRule::Capitalized => alias
            .words
            .iter()
            .zip(tokens)
            .all(|((_, alias_case), token)| *alias_case == Case::Lower || token.case != Case::Lower),
        CaseRule::Exact | CaseRule::Symbol => {
            alias.words.iter().zip(tokens).all(|((word, _), token)| original(token, title, body) == word)
        }
    }
}

/// Whether a token within three of `span` (same field) is a context word or another symbol.
fn has_context(tokens: &[Token], span: &Range<usize>, context: &[u64], symbols: &[usize]) -> bool {
    let field = tokens[span.start].field;
    let from = span.start.saturating_sub(3);
    let to = (span.end + 3).min(tokens.len());
    (from..to).filter(|index| !span.contains(index) && tokens[*index].field == field).any(|index| {
        context.contains(&tokens[index].norm_hash)
            || context.contains(&tokens[index].stem_hash)
            || symbols.contains(&index)
    })
}
