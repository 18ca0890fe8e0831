//! Item features that topic rules can name but no single word carries, computed from the
//! analysis and the entities: `<state-actor>`, a headline whose grammatical subject is a state;
//! `<state-pair>`, a headline naming two states side by side ("Korea-Mongolia centre", "South
//! Korea and Mongolia's…", "US, Japan sign…"), the way headlines name what two governments do
//! together; and `<state-body>`, a mention of a policy-making government body (a ministry, a
//! regulator, customs: gazetteer entries marked `state_body`), whose name's words are otherwise
//! not scored because they belong to a name.
//!
//! The labelling convention makes an item `policy` when the state acts as such; headlines say
//! so by putting the country first, as subject of a verb: "US Provides $565 Million…", "China
//! launches crackdown…", "India to…", "Uzbekistan, U.S. sign…". Not features: "China's Shenghe
//! closes…" (possessive), "Chinese magnet maker…" (adjective), "U.S.-backed venture" (compound),
//! "China NdPr oxide tops…" (a noun follows, not a verb). A heuristic by design: it is one
//! weighted cue among the terms, shown by `explain`, not a decision.

use std::ops::Range;

use super::entities::Mention;
use super::gazetteer::{EntityKind, Gazetteer};
use crate::analysis::{Analysis, Case, Field, Token, TokenKind, term_hash};

/// A feature of an item: the placeholder's hash, the token where it starts (for its field and
/// sentence) and its bytes.
#[derive(Clone, Debug)]
pub(crate) struct Feature {
    pub hash: u64,
    pub token: usize,
    pub span: Range<usize>,
}

/// Features of an item.
pub(crate) fn item_features(
    gazetteer: &Gazetteer,
    analysis: &Analysis,
    mentions: &[Mention],
    title: &str,
) -> Vec<Feature> {
    let mut features = Vec::new();
    if let Some((token, span)) = state_actor(gazetteer, analysis, mentions, title) {
        features.push(Feature { hash: term_hash("<state-actor>"), token, span });
    }
    if let Some((token, span)) = state_pair(mentions, title) {
        features.push(Feature { hash: term_hash("<state-pair>"), token, span });
    }
    let state_body = term_hash("<state-body>");
    for mention in mentions.iter().filter(|mention| mention.state_body) {
        features.push(Feature { hash: state_body, token: mention.tokens.start, span: mention.span.clone() });
    }
    features
}

/// Words that follow a subject as (part of) its verb phrase, whatever their case.
const VERB_STARTS: &[&str] =
    &["to", "will", "has", "have", "is", "plans", "says", "said", "may", "could", "must", "should"];

fn state_actor(
    gazetteer: &Gazetteer,
    analysis: &Analysis,
    mentions: &[Mention],
    title: &str,
) -> Option<(usize, Range<usize>)> {
    let tokens = analysis.title_tokens();
    let mut index = usize::from(tokens.first().is_some_and(|token| analysis.norm(token) == "the"));
    let first = index;
    let mut span: Option<Range<usize>> = None;
    let mut compound = false;
    // The subject: one or more countries by name (or seat of government), joined by "and" or
    // commas.
    loop {
        let (subject_span, subject_end) = match country_at(mentions, index) {
            Some(country) if country.adjective => return None,
            Some(country) => (country.span.clone(), country.tokens.end),
            None => capital_at(gazetteer, tokens, index)?,
        };
        if follows(title, &subject_span, &["'", "’", "-", "‑", ":"]) {
            return None;
        }
        span = Some(span.map_or(subject_span.clone(), |span| span.start..subject_span.end));
        index = subject_end;
        let next = tokens.get(index)?;
        let joined_by_and = analysis.norm(next) == "and";
        let joined_by_comma =
            title.get(subject_span.end..next.span.start).is_some_and(|gap| gap.trim() == ",");
        if joined_by_and {
            index += 1;
        } else if !joined_by_comma {
            break;
        }
        compound = true;
    }
    // Adverbs ("Successfully") may stand between subject and verb.
    while tokens.get(index).is_some_and(|token| analysis.norm(token).ends_with("ly")) {
        index += 1;
    }
    let verb = tokens.get(index)?;
    let norm = analysis.norm(verb);
    // A singular subject's verb ends in "s" ("Provides", "launches") or "ed"; after "A and B" it
    // need not. "US battery storage…" has a noun there.
    let inflected = (norm.ends_with('s') && !norm.ends_with("ss")) || norm.ends_with("ed");
    let looks_like_verb = VERB_STARTS.contains(&norm)
        || (verb.kind == TokenKind::Word
            && !verb.is_stop
            && verb.case != Case::Upper
            && (compound || inflected));
    looks_like_verb.then(|| (first, span.unwrap_or(0..0)))
}

/// What may stand between the two states of a pair: "Korea-Mongolia", "US and Japan", "US, EU".
const PAIR_JOINS: &[&str] = &["-", "‑", "–", "/", "and", ",", "&"];

/// Two different countries named next to each other in the title: the first one's token and the
/// pair's bytes.
fn state_pair(mentions: &[Mention], title: &str) -> Option<(usize, Range<usize>)> {
    let mut countries: Vec<&Mention> = mentions
        .iter()
        .filter(|mention| mention.kind == EntityKind::Country && mention.field == Field::Title)
        .collect();
    countries.sort_by_key(|mention| mention.span.start);
    countries.windows(2).find_map(|pair| {
        let (first, second) = (pair[0], pair[1]);
        // "U.S.-…": the token "U.S" ends before its last dot.
        let gap = title.get(first.span.end..second.span.start)?.trim_start_matches('.').trim();
        (first.value != second.value && PAIR_JOINS.contains(&gap))
            .then_some((first.tokens.start, first.span.start..second.span.end))
    })
}

fn country_at(mentions: &[Mention], index: usize) -> Option<&Mention> {
    mentions.iter().find(|mention| {
        mention.kind == EntityKind::Country && mention.field == Field::Title && mention.tokens.start == index
    })
}

/// A capital city starting at title token `index`: its span and the token after it.
fn capital_at(gazetteer: &Gazetteer, tokens: &[Token], index: usize) -> Option<(Range<usize>, usize)> {
    gazetteer.capitals.iter().find_map(|capital| {
        let words = tokens.get(index..index + capital.len())?;
        let matches = words
            .iter()
            .zip(capital)
            .all(|(token, hash)| token.norm_hash == *hash && token.case != Case::Lower);
        matches.then(|| (words[0].span.start..words[words.len() - 1].span.end, index + capital.len()))
    })
}

/// Whether the text right after `span` starts with one of `marks`.
fn follows(text: &str, span: &Range<usize>, marks: &[&str]) -> bool {
    // "U.S.-backed": the token "U.S" ends before its last dot.
    text.get(span.end..).is_some_and(|rest| {
        let rest = rest.trim_start_matches('.');
        marks.iter().any(|mark| rest.starts_with(mark))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classifier;

    fn is_state_actor(title: &str) -> bool {
        let classifier = Classifier::shipped().expect("shipped data loads");
        let analysis = crate::analysis::analyze(title, "");
        let mentions = crate::classify::entities::find_mentions(classifier.gazetteer(), &analysis, title, "");
        item_features(classifier.gazetteer(), &analysis, &mentions, title)
            .iter()
            .any(|feature| feature.hash == term_hash("<state-actor>"))
    }

    #[test]
    fn a_state_as_headline_subject_is_a_feature() {
        assert!(is_state_actor("US Provides $565 Million in Financing for Brazilian Rare Earth Project"));
        assert!(is_state_actor("China launches crackdown on illegal rare earth mining"));
        assert!(is_state_actor("India to halt exports"));
        assert!(is_state_actor("Uzbekistan, U.S. sign critical minerals pact"));
        assert!(is_state_actor("South Korea and Vietnam Agree Joint Research"));
        assert!(is_state_actor("Beijing lowers tungsten mining allowance again"));
    }

    #[test]
    fn two_states_side_by_side_in_a_headline_are_a_pair() {
        let pair = |title: &str| {
            let classifier = Classifier::shipped().expect("shipped data loads");
            let analysis = crate::analysis::analyze(title, "");
            let mentions =
                crate::classify::entities::find_mentions(classifier.gazetteer(), &analysis, title, "");
            item_features(classifier.gazetteer(), &analysis, &mentions, title)
                .iter()
                .any(|feature| feature.hash == term_hash("<state-pair>"))
        };
        assert!(pair("Korea-Mongolia rare metals centre starts first tests"));
        assert!(pair("South Korea and Mongolia's Joint Rare Metals Center Launches Projects"));
        assert!(pair("Uzbekistan, U.S. sign critical minerals pact"));
        assert!(!pair("Chinese magnet maker opens plant in Vietnam"));
        assert!(!pair("China's exports to Japan fall"));
    }

    #[test]
    fn possessives_adjectives_compounds_and_nouns_are_not() {
        assert!(!is_state_actor("China's Shenghe closes Peak Rare Earths deal"));
        assert!(!is_state_actor("Chinese magnet maker raises prices"));
        assert!(!is_state_actor("U.S.-backed venture wins licence"));
        assert!(!is_state_actor("China NdPr oxide tops 620,000 yuan"));
        assert!(!is_state_actor("Lynas ships first heavy rare earths"));
        assert!(!is_state_actor(""));
        assert!(!is_state_actor("Washington Post reports"));
        assert!(!is_state_actor("US battery storage installations hit quarterly record"));
    }
}
