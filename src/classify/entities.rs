//! Entities of an item: gazetteer names matched over the analysis tokens (longest match first,
//! whole words, each alias's case rule), company names guessed from their legal or sector suffix
//! (`companies`), and the money and tonnages `analysis` already read.
//!
//! Element symbols ("Nd", "Dy") count only exactly as written and only in an item that names a
//! rare earth in words; weak symbols and ambiguous words ("La", "lead") also need a neighbouring
//! symbol or context word. A name inside a longer one does not count on its own ("American" in
//! "American Rare Earths" is no country). Output is deduplicated and in a fixed order: by kind,
//! then by first mention. Matching the gazetteer's aliases on tokens is in `aliases`.

use std::ops::Range;
use std::sync::Arc;

use super::aliases::gazetteer_mentions;
use super::companies::find_companies;
use super::gazetteer::{CaseRule, EntityKind, Gazetteer};
use crate::analysis::{Analysis, Field, MeasureKind, Token};

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
    // Sized to the distinct values, not the mentions: the entities live with the item until it
    // is stored, and a commodity named ten times left room for nine more in every item.
    let distinct = mentions.len()
        - mentions
            .windows(2)
            .filter(|pair| pair[0].kind == pair[1].kind && pair[0].value == pair[1].value)
            .count();
    let mut entities: Vec<Entity> = Vec::with_capacity(distinct);
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
