//! Company names the gazetteer does not know, guessed from their shape: a run of capitalized
//! words ending in a sector or legal word ("Aclara Resources", "Vulcan Elements", "Shenghe
//! Resources Co., Ltd."), in the body, where capitals mean names (titles are Title Case, so
//! there only names already found in the body count).
//!
//! Guarded against the usual false names: a sentence's first word ("Meanwhile Lynas …"), a
//! demonym or country in front ("Canadian Aclara Resources" is "Aclara Resources"), runs made
//! only of generic words ("Critical Minerals", "Natural Resources", "Rare Earth Materials"),
//! and agencies ("Ministry of Natural Resources"). Legal forms are dropped from the value
//! ("Co., Ltd."). This module does not try to resolve a guessed name to a known one.

use std::ops::Range;
use std::sync::Arc;

use super::entities::{Mention, Rule, original};
use super::gazetteer::EntityKind;
use crate::analysis::{Analysis, Case, Field, Token, TokenKind};

/// Sector and legal words that end company names.
const SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "corp",
    "corporation",
    "inc",
    "plc",
    "llc",
    "resources",
    "materials",
    "mining",
    "metals",
    "elements",
    "minerals",
    "lithium",
    "technologies",
    "earths",
];

/// Legal forms: part of the name's span, dropped from its value.
const LEGAL_FORMS: &[&str] = &[
    "co",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "plc",
    "llc",
    "pty",
    "ag",
    "sa",
    "nv",
    "gmbh",
    "bhd",
    "tbk",
    "jsc",
];

/// Words that alone never make a company name.
const GENERIC: &[&str] = &[
    "rare",
    "earth",
    "earths",
    "critical",
    "mineral",
    "minerals",
    "metal",
    "metals",
    "material",
    "materials",
    "resource",
    "resources",
    "mining",
    "mine",
    "magnet",
    "magnets",
    "battery",
    "batteries",
    "energy",
    "advanced",
    "strategic",
    "global",
    "international",
    "national",
    "new",
    "green",
    "clean",
    "group",
    "holdings",
    "company",
    "corporation",
    "industries",
    "industry",
    "technology",
    "technologies",
    "science",
    "sciences",
    "natural",
    "heavy",
    "light",
    "precious",
    "base",
    "united",
    "state",
    "states",
    "federal",
    "world",
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "department",
    "ministry",
    "royal",
    "first",
    "general",
    "lithium",
    "elements",
    "element",
    "limited",
    "ltd",
    "inc",
    "corp",
    "plc",
    "key",
    "major",
    "leading",
    "local",
    "chinese",
    "foreign",
    "domestic",
    "overseas",
    "other",
    "several",
    "many",
    "all",
    "some",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "q1",
    "q2",
    "q3",
    "q4",
    "h1",
    "h2",
];

/// Capitalized words that open sentences but are not names.
const OPENERS: &[&str] = &[
    "however",
    "meanwhile",
    "additionally",
    "also",
    "moreover",
    "furthermore",
    "separately",
    "earlier",
    "recently",
    "today",
    "yesterday",
    "last",
    "according",
    "since",
    "analysts",
    "sources",
    "shares",
    "previously",
    "currently",
    "now",
    "then",
    "once",
    "besides",
    "overall",
    "notably",
    "specifically",
    "similarly",
    "likewise",
    "instead",
];

/// Words that make a run an agency or a place, not a company.
const NOT_COMPANIES: &[&str] = &[
    "ministry",
    "department",
    "agency",
    "bureau",
    "office",
    "administration",
    "survey",
    "commission",
    "council",
];

/// Adds guessed companies to `mentions`, and removes the shorter mentions they contain.
pub(crate) fn find_companies(analysis: &Analysis, title: &str, body: &str, mentions: &mut Vec<Mention>) {
    let tokens = &analysis.tokens;
    let mut covered = vec![false; tokens.len()];
    for mention in mentions.iter().filter(|mention| mention.kind != EntityKind::Commodity) {
        for index in mention.tokens.clone() {
            covered[index] = true;
        }
    }
    let mut found: Vec<Mention> = Vec::new();
    let body_start = analysis.title_token_count;
    let mut index = body_start;
    while index < tokens.len() {
        match guess_at(analysis, index, &covered, title, body) {
            Some(mention) => {
                index = mention.tokens.end;
                found.push(mention);
            }
            None => index += 1,
        }
    }
    if found.is_empty() {
        return;
    }
    let title_mentions = repeat_in_title(analysis, &found, &covered);
    found.extend(title_mentions);
    mentions.retain(|mention| !found.iter().any(|company| overlaps(&company.tokens, &mention.tokens)));
    mentions.extend(found);
}

/// A company whose suffix word is at `index`.
fn guess_at(analysis: &Analysis, index: usize, covered: &[bool], title: &str, body: &str) -> Option<Mention> {
    let tokens = &analysis.tokens;
    let norm = |index: usize| analysis.norm(&tokens[index]);
    let suffix = &tokens[index];
    if suffix.case == Case::Lower || covered[index] || !SUFFIXES.contains(&norm(index)) {
        return None;
    }
    if norm(index) == "earths" && (index == 0 || norm(index - 1) != "rare") {
        return None;
    }
    let body_start = analysis.title_token_count;
    // The name ends before "Rare Earths", or before a chain of legal forms ("Steel Co., Ltd").
    let mut suffix_start = if norm(index) == "earths" { index - 1 } else { index };
    while LEGAL_FORMS.contains(&norm(suffix_start))
        && suffix_start > body_start
        && LEGAL_FORMS.contains(&norm(suffix_start - 1))
        && gap_is(body, &tokens[suffix_start - 1], &tokens[suffix_start], &["", ",", ".", ".,"])
    {
        suffix_start -= 1;
    }
    let name_end = suffix_start;
    let mut name_start = name_end;
    while name_start > body_start {
        let previous = &tokens[name_start - 1];
        let joins = gap_is(body, previous, &tokens[name_start], &["", "&", "-"])
            && previous.sentence == suffix.sentence;
        if !joins || !is_name_word(previous) || covered[name_start - 1] {
            break;
        }
        name_start -= 1;
    }
    // A sentence's first word is capitalized anyway: drop it when it is an opener.
    while name_start < name_end && is_opener(analysis, &tokens[name_start]) {
        name_start += 1;
    }
    let name: Vec<&str> = (name_start..name_end).map(norm).collect();
    if name.is_empty()
        || name.iter().all(|word| GENERIC.contains(word))
        || name.iter().any(|word| NOT_COMPANIES.contains(word))
    {
        return None;
    }
    let mut end = index + 1;
    while end < tokens.len()
        && LEGAL_FORMS.contains(&norm(end))
        && tokens[end].case != Case::Lower
        && gap_is(body, &tokens[end - 1], &tokens[end], &["", ",", ".", ".,"])
    {
        end += 1;
    }
    // The value drops trailing legal forms, but keeps at least one word of the name.
    let mut value_end = end;
    while value_end > name_start + 1 && LEGAL_FORMS.contains(&norm(value_end - 1)) {
        value_end -= 1;
    }
    let value_span = tokens[name_start].span.start..tokens[value_end - 1].span.end;
    let value = collapse_whitespace(body.get(value_span).unwrap_or(""));
    Some(Mention {
        kind: EntityKind::Company,
        value: Arc::from(value),
        field: Field::Body,
        span: tokens[name_start].span.start..tokens[end - 1].span.end,
        tokens: name_start..end,
        rule: Rule::CompanySuffix(original(suffix, title, body).to_string()),
        adjective: false,
        state_body: false,
    })
}

fn is_name_word(token: &Token) -> bool {
    token.kind == TokenKind::Word
        && token.case != Case::Lower
        && !(token.is_stop && token.case != Case::Upper)
}

/// Sentence openers ("Meanwhile", "However") are capitalized without being names. Stop words
/// ("The") never enter a run in the first place.
fn is_opener(analysis: &Analysis, token: &Token) -> bool {
    OPENERS.contains(&analysis.norm(token))
}

/// Whether the text between two tokens of the body is, trimmed, one of `allowed`.
fn gap_is(body: &str, left: &Token, right: &Token, allowed: &[&str]) -> bool {
    left.field == right.field
        && body.get(left.span.end..right.span.start).is_some_and(|gap| allowed.contains(&gap.trim()))
}

/// Title tokens spelling a company found in the body.
fn repeat_in_title(analysis: &Analysis, found: &[Mention], covered: &[bool]) -> Vec<Mention> {
    let tokens = &analysis.tokens;
    let title_count = analysis.title_token_count;
    let mut repeats = Vec::new();
    for company in found {
        let name: Vec<u64> = company.tokens.clone().map(|index| tokens[index].norm_hash).collect();
        let name_length = name.len();
        for start in 0..(title_count + 1).saturating_sub(name_length) {
            let window = start..start + name_length;
            if window.end <= title_count
                && window.clone().all(|index| !covered[index])
                && window.clone().zip(&name).all(|(index, hash)| tokens[index].norm_hash == *hash)
            {
                repeats.push(Mention {
                    field: Field::Title,
                    span: tokens[window.start].span.start..tokens[window.end - 1].span.end,
                    tokens: window,
                    rule: Rule::KnownCompanyInTitle,
                    ..company.clone()
                });
            }
        }
    }
    repeats
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a != b && a.start < b.end && b.start < a.end
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;
    use crate::classify::entities::find_entities;
    use crate::classify::gazetteer::{EntityKind, Gazetteer};

    fn companies(title: &str, body: &str) -> Vec<String> {
        let gazetteer = Gazetteer::shipped().expect("shipped gazetteers");
        let analysis = analyze(title, body);
        find_entities(&gazetteer, &analysis, title, body)
            .into_iter()
            .filter(|entity| entity.kind == EntityKind::Company)
            .map(|entity| entity.value.to_string())
            .collect()
    }

    #[test]
    fn unknown_companies_are_found_by_their_suffix() {
        assert_eq!(
            companies("", "Canadian company Zentara Resources said output rose."),
            ["Zentara Resources"]
        );
        assert_eq!(companies("", "Meanwhile Korvik Metals Ltd. raised funds."), ["Korvik Metals"]);
        assert_eq!(companies("", "Output at Qilu Steel Co., Ltd. rose."), ["Qilu Steel"]);
        assert_eq!(companies("", "Ardent Rare Earths plans a plant."), ["Ardent Rare Earths"]);
    }

    #[test]
    fn a_guessed_name_in_the_body_is_found_in_the_title_too() {
        let found = companies("Zentara Resources Raises Output", "Zentara Resources said output rose.");
        assert_eq!(found, ["Zentara Resources"]);
        let gazetteer = Gazetteer::shipped().unwrap();
        let analysis = analyze("Zentara Resources Raises Output", "Zentara Resources said output rose.");
        let entity = find_entities(
            &gazetteer,
            &analysis,
            "Zentara Resources Raises Output",
            "Zentara Resources said output rose.",
        )
        .into_iter()
        .next()
        .unwrap();
        assert_eq!(entity.mentions, 2);
    }

    #[test]
    fn generic_phrases_agencies_and_title_case_are_not_companies() {
        assert_eq!(
            companies("", "The Department of Mineral Resources said Critical Minerals matter."),
            Vec::<String>::new()
        );
        assert_eq!(
            companies("", "Demand for Rare Earth Materials and Battery Metals grew."),
            Vec::<String>::new()
        );
        assert_eq!(
            companies("Brazilian Rare Earth Materials Output Rises", "Output rose."),
            Vec::<String>::new()
        );
        assert_eq!(companies("", "However, Strategic Minerals rose."), Vec::<String>::new());
    }
}
