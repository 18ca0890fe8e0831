//! Entities of an item: gazetteer names matched over the analysis tokens (longest match first,
//! whole words, each alias's case rule), company names guessed from their legal or sector suffix
//! (`companies`), and the money and tonnages `analysis` already read.
//!
//! Element symbols ("Nd", "Dy") count only exactly as written and only in an item that names a
//! rare earth in words; weak symbols and ambiguous words ("La", "lead") also need a neighbouring
//! symbol or context word. A name inside a longer one does not count on its own ("American" in
//! "American Rare Earths" is no country). Output is deduplicated and in a fixed order: by kind,
//! then by first mention.

use std::ops::Range;
use std::sync::Arc;

use super::companies::find_companies;
use super::gazetteer::{
    Alias, COMMODITY_PASS, CaseRule, EntityKind, Gap, Gazetteer, MAX_ALIAS_TOKENS, NAME_PASS, sequence_hash,
};
use crate::analysis::{Analysis, Case, Field, MeasureKind, Token, TokenKind, term_hash};

/// One entity of an item.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// The canonical value: "neodymium", "United States", "Serra Verde", "565000000 USD",
    /// "5000 t/year".
    pub value: Arc<str>,
    /// Where it is first mentioned.
    pub field: Field,
    pub span: Range<usize>,
    /// How many times it is mentioned (title and body).
    pub mentions: u32,
}

/// Why an entity was found, for `explain`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EntityEvidence {
    pub kind: EntityKind,
    pub value: Arc<str>,
    /// "alias \"DFC\" (exact)", "company suffix \"Resources\"", "money pattern".
    pub rule: String,
    pub field: Field,
    pub span: Range<usize>,
}

/// A mention before deduplication.
#[derive(Clone, Debug)]
pub(crate) struct Mention {
    pub kind: EntityKind,
    pub value: Arc<str>,
    pub field: Field,
    pub span: Range<usize>,
    /// First token index and token count, for overlap checks.
    pub tokens: Range<usize>,
    pub rule: Rule,
    /// Found by a country's adjective or demonym ("Chinese").
    pub adjective: bool,
    /// A policy-making government body (see [`super::gazetteer::Entry::state_body`]).
    pub state_body: bool,
}

/// Which rule found a mention.
#[derive(Clone, Debug)]
pub(crate) enum Rule {
    Alias(Arc<str>, CaseRule),
    CompanySuffix(String),
    KnownCompanyInTitle,
    Measure,
}

/// Words that make a weak symbol or guarded alias count when they stand next to it.
const SYMBOL_CONTEXT: &[&str] =
    &["oxide", "oxides", "metal", "metals", "alloy", "price", "prices", "carbonate", "fluoride", "chloride"];

/// Finds the entities of an analyzed item. `title` and `body` are the texts given to `analyze`.
pub fn find_entities(gazetteer: &Gazetteer, analysis: &Analysis, title: &str, body: &str) -> Vec<Entity> {
    deduplicate(find_mentions(gazetteer, analysis, title, body))
}

/// Every entity mention, before deduplication.
pub(crate) fn find_mentions(
    gazetteer: &Gazetteer,
    analysis: &Analysis,
    title: &str,
    body: &str,
) -> Vec<Mention> {
    let mut mentions = Vec::new();
    gazetteer_mentions(gazetteer, analysis, title, body, &mut mentions);
    find_companies(analysis, title, body, &mut mentions);
    // "Tianqi Lithium" names a company, not lithium: labellers do not count commodities inside
    // company names. (They are matched in a pass of their own so that a shorter commodity
    // inside a longer company alias does not hide the company, then dropped here.)
    let companies: Vec<Range<usize>> = company_ranges(&mentions);
    mentions.retain(|mention| {
        mention.kind != EntityKind::Commodity
            || !companies
                .iter()
                .any(|company| company.start < mention.tokens.end && mention.tokens.start < company.end)
    });
    measure_mentions(analysis, &mut mentions);
    mentions
}

/// The token ranges of company names, sorted: topic rules skip them.
pub(crate) fn company_ranges(mentions: &[Mention]) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = mentions
        .iter()
        .filter(|mention| mention.kind == EntityKind::Company)
        .map(|mention| mention.tokens.clone())
        .collect();
    ranges.sort_by_key(|range| range.start);
    ranges
}

/// The reasons for each mention, for `explain`.
pub(crate) fn evidence(mentions: &[Mention]) -> Vec<EntityEvidence> {
    mentions
        .iter()
        .map(|mention| EntityEvidence {
            kind: mention.kind,
            value: mention.value.clone(),
            rule: describe(&mention.rule),
            field: mention.field,
            span: mention.span.clone(),
        })
        .collect()
}

/// The original text of a token.
pub(crate) fn original<'t>(token: &Token, title: &'t str, body: &'t str) -> &'t str {
    let text = if token.field == Field::Title { title } else { body };
    text.get(token.span.clone()).unwrap_or("")
}

fn gazetteer_mentions(
    gazetteer: &Gazetteer,
    analysis: &Analysis,
    title: &str,
    body: &str,
    mentions: &mut Vec<Mention>,
) {
    let mut pending_symbols: Vec<(Mention, bool)> = Vec::new();
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
                &mut pending_symbols,
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
    let context: Vec<u64> = SYMBOL_CONTEXT.iter().map(|word| term_hash(word)).collect();
    for (mention, needs_context) in pending_symbols {
        if !needs_context || has_context(tokens, &mention.tokens, &context, &symbol_positions) {
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
    pending_symbols: &mut Vec<(Mention, bool)>,
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
        for alias in aliases.iter().filter(|alias| alias.pass == pass) {
            if !case_matches(alias, &tokens[span_tokens.clone()], title, body)
                || !gaps_match(alias, &tokens[span_tokens.clone()], text)
            {
                continue;
            }
            matched = true;
            let Some(entry) = alias.entry.and_then(|entry| gazetteer.entry(entry)) else { continue };
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
            } else if !alias.needs_context || has_context(tokens, &span_tokens, &entry.context, &[]) {
                rare_earth_named |= entry.rare_earth;
                mentions.push(mention);
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

fn measure_mentions(analysis: &Analysis, mentions: &mut Vec<Mention>) {
    for measure in &analysis.measures {
        let (kind, value) = match measure.kind {
            // A price is an amount too ("75,000 yuan/mt" is 75000 CNY); its unit is in the facts.
            MeasureKind::Money { currency, .. } => {
                (EntityKind::Money, format!("{} {currency}", measure.value))
            }
            MeasureKind::Quantity { rate } => {
                (EntityKind::Quantity, format!("{} t{}", measure.value, rate.suffix()))
            }
            MeasureKind::Percent | MeasureKind::Number => continue,
        };
        mentions.push(Mention {
            kind,
            value: Arc::from(value),
            field: measure.field,
            span: measure.span.clone(),
            tokens: measure.token..measure.token + 1,
            rule: Rule::Measure,
            adjective: false,
            state_body: false,
        });
    }
}

/// One entity per (kind, value), first mention kept, mentions counted; ordered by kind, then by
/// first mention (title before body).
pub(crate) fn deduplicate(mut mentions: Vec<Mention>) -> Vec<Entity> {
    // One tonnage written once with its period and once without ("a 2,000-ton plant … 2,000
    // tonnes a year") is one fact: keep the period.
    let yearly: Vec<Arc<str>> = mentions
        .iter()
        .filter(|mention| mention.kind == EntityKind::Quantity && mention.value.ends_with(" t/year"))
        .map(|mention| mention.value.clone())
        .collect();
    for mention in mentions.iter_mut().filter(|mention| mention.kind == EntityKind::Quantity) {
        if let Some(value) = yearly.iter().find(|value| value.strip_suffix("/year") == Some(&mention.value)) {
            mention.value = value.clone();
        }
    }
    mentions.sort_by(|a, b| {
        (a.kind, &a.value, a.field, a.span.start).cmp(&(b.kind, &b.value, b.field, b.span.start))
    });
    let mut entities: Vec<Entity> = Vec::with_capacity(mentions.len());
    for mention in mentions {
        match entities.last_mut() {
            Some(last) if last.kind == mention.kind && last.value == mention.value => last.mentions += 1,
            _ => entities.push(Entity {
                kind: mention.kind,
                value: mention.value,
                field: mention.field,
                span: mention.span,
                mentions: 1,
            }),
        }
    }
    entities.sort_by_key(|entity| (entity.kind, entity.field, entity.span.start));
    entities
}

fn describe(rule: &Rule) -> String {
    match rule {
        Rule::Alias(text, CaseRule::Any) => format!("alias \"{text}\""),
        Rule::Alias(text, CaseRule::Capitalized) => format!("alias \"{text}\" (capitalized)"),
        Rule::Alias(text, CaseRule::Exact) => format!("alias \"{text}\" (exact case)"),
        Rule::Alias(text, CaseRule::Symbol) => format!("symbol \"{text}\" in a rare-earth item"),
        Rule::CompanySuffix(suffix) => format!("capitalized name ending in \"{suffix}\""),
        Rule::KnownCompanyInTitle => "company named in the body, repeated in the title".to_string(),
        Rule::Measure => "money / tonnage pattern".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;

    fn found(title: &str, body: &str) -> Vec<(EntityKind, String)> {
        let gazetteer = Gazetteer::shipped().expect("shipped gazetteers");
        let analysis = analyze(title, body);
        find_entities(&gazetteer, &analysis, title, body)
            .into_iter()
            .map(|entity| (entity.kind, entity.value.to_string()))
            .collect()
    }

    fn of_kind(title: &str, body: &str, kind: EntityKind) -> Vec<String> {
        found(title, body)
            .into_iter()
            .filter(|(found_kind, _)| *found_kind == kind)
            .map(|(_, value)| value)
            .collect()
    }

    #[test]
    fn products_keep_their_spelling_and_the_longest_name_wins() {
        let body = "NdPr oxide and Pr-Nd metal rose; dysprosium oxide and lithium carbonate fell; APT held; \
                    neodymium-iron-boron magnets; Tb oxide; LiOH.";
        assert_eq!(
            of_kind("", body, EntityKind::Commodity),
            [
                "Pr-Nd oxide",
                "Pr-Nd metal",
                "dysprosium oxide",
                "lithium carbonate",
                "APT",
                "NdFeB",
                "terbium oxide",
                "lithium hydroxide"
            ]
        );
    }

    #[test]
    fn a_comma_separates_names_that_a_hyphen_joins() {
        let list = of_kind("", "oxides of neodymium, praseodymium and terbium", EntityKind::Commodity);
        assert_eq!(list, ["neodymium", "praseodymium", "terbium"]);
        assert_eq!(of_kind("", "neodymium-praseodymium oxide", EntityKind::Commodity), ["Pr-Nd oxide"]);
    }

    #[test]
    fn ambiguous_words_need_context() {
        assert_eq!(of_kind("", "Zinc and lead prices rose.", EntityKind::Commodity), ["zinc", "lead"]);
        assert_eq!(
            of_kind("", "The rally could lead to higher output.", EntityKind::Commodity),
            Vec::<String>::new()
        );
        assert_eq!(
            of_kind("", "The company holds its Silicon Ridge project.", EntityKind::Commodity),
            Vec::<String>::new()
        );
        assert_eq!(of_kind("", "Silicon prices rose.", EntityKind::Commodity), ["silicon"]);
    }

    #[test]
    fn commodities_inside_company_names_do_not_count() {
        let body = "Tianqi Lithium said Lynas Rare Earths would buy cobalt.";
        assert_eq!(of_kind("", body, EntityKind::Commodity), ["cobalt"]);
        assert_eq!(of_kind("", body, EntityKind::Company), ["Tianqi Lithium", "Lynas Rare Earths"]);
    }

    #[test]
    fn agencies_leave_their_country_to_the_country_list() {
        let body =
            "China's Ministry of Commerce and the U.S. Department of Defense spoke; the Pentagon agreed.";
        assert_eq!(
            of_kind("", body, EntityKind::Company),
            ["Chinese Ministry of Commerce", "US Department of Defense"]
        );
        assert_eq!(of_kind("", body, EntityKind::Country), ["China", "United States"]);
        assert_eq!(
            of_kind("SMM Morning Comment", "SMM learned that prices rose.", EntityKind::Company),
            ["SMM"]
        );
    }

    #[test]
    fn money_and_tonnages_are_normalized_and_merged() {
        let body = "A 2,000-ton plant will make 2,000 tonnes a year; it costs $565M or US$565 mln, and Pr-Nd oxide \
                    sells at 600,000 yuan/mt.";
        assert_eq!(of_kind("", body, EntityKind::Quantity), ["2000 t/year"]);
        assert_eq!(of_kind("", body, EntityKind::Money), ["565000000 USD", "600000 CNY"]);
    }

    #[test]
    fn entities_are_deduplicated_and_ordered_by_kind_then_first_mention() {
        let entities =
            found("Lynas ships to Japan", "Japan's buyers and Lynas Rare Earths agreed; China watched.");
        let summary: Vec<(EntityKind, &str)> =
            entities.iter().map(|(kind, value)| (*kind, value.as_str())).collect();
        assert_eq!(
            summary,
            [
                (EntityKind::Company, "Lynas Rare Earths"),
                (EntityKind::Country, "Japan"),
                (EntityKind::Country, "China"),
            ]
        );
        let gazetteer = Gazetteer::shipped().unwrap();
        let analysis = analyze("Lynas ships to Japan", "Japan's buyers and Lynas Rare Earths agreed.");
        let lynas = find_entities(
            &gazetteer,
            &analysis,
            "Lynas ships to Japan",
            "Japan's buyers and Lynas Rare Earths agreed.",
        )
        .into_iter()
        .find(|entity| entity.kind == EntityKind::Company)
        .unwrap();
        assert_eq!((lynas.field, lynas.span.clone(), lynas.mentions), (Field::Title, 0..5, 2));
    }
}
