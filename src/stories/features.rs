//! What story detection needs to know about one item, computed once from its analysis: hashes
//! for exact and flash-reference matches, a MinHash of its word shingles, a term-frequency
//! vector for TF-IDF, and its key facts (money, prices, tonnages) for vetoes.
//!
//! Pure: no I/O, no clock, no document frequencies (those change; they are applied when two
//! items are compared).

use crate::analysis::{Analysis, Field, MeasureKind, TokenKind, analyze, term_hash};
use crate::classify::Classification;

use super::signature::{self, MinHash};

/// Title terms count this many times a body term: the title says what the story is.
pub const TITLE_WEIGHT: f32 = 3.0;
/// The body's first sentences say what happened; later ones add background, which other
/// stories share ("the centre opened with Mongolia in December"): weighed accordingly.
/// Measured on the labelled set: lead 1.5 and tail 0.6 (or 0.5–0.7) cut false merges from 5 to
/// 2 pairs at the same recall; equal weights let shared background merge different events.
const LEAD_SENTENCES: u32 = 2;
const LEAD_WEIGHT: f32 = 1.5;
const TAIL_WEIGHT: f32 = 0.6;

/// An exact hash is only trusted for texts at least this long (short flashes repeat phrasing).
const EXACT_MIN_TOKENS: usize = 20;

/// Features of one item.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryFeatures {
    /// Hash of the normalized body (or title and body, for short bodies); equal hashes are the
    /// same text. None for texts too short to be sure.
    pub exact_hash: Option<u64>,
    /// Hash of the normalized title words.
    pub title_hash: u64,
    /// Hash of the normalized title an `[SMM Flash: …]` prefix refers to.
    pub flash_reference_hash: Option<u64>,
    /// Boxed: 512 bytes inline made every item's features that much larger wherever they are
    /// moved or collected (a 10,000-item batch's vector of them grew through 26 MB).
    pub minhash: Option<Box<MinHash>>,
    /// (term, weighted count), sorted by term: stemmed content words, numbers and measures.
    pub terms: Vec<(u64, f32)>,
    pub facts: Facts,
    /// The title's series tag (a recurring template: "SMM Rare Earth Daily Review").
    pub series: Option<u64>,
}

/// Key facts: different values of the same kind mean different stories.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// Hashes of the companies the item is about (named in the title, or at least twice).
    pub main_companies: Vec<u64>,
    /// Hashes of the commodities named.
    pub commodities: Vec<u64>,
    /// Amounts of money that are not prices: (currency, amount).
    pub money: Vec<(String, f64)>,
    /// Prices: (currency and unit, amount).
    pub prices: Vec<(String, f64)>,
    /// Tonnages in tonnes.
    pub tonnes: Vec<f64>,
    /// Sums of money (not prices) named in the title: the headline figure.
    pub title_amounts: Vec<(String, f64)>,
    /// Every amount in the title, prices included, by currency only.
    pub headline_figures: Vec<(String, f64)>,
    /// Companies and countries named in the title (entity term hashes, sorted).
    pub title_actors: Vec<u64>,
    /// Every company and country named (entity term hashes, sorted).
    pub actors: Vec<u64>,
}

/// An entity counts this much in the term vector: a name shared by two items says more than
/// one ordinary word, and canonical names bridge spellings ("DFC" and the agency's full name,
/// "NdPr" and "Pr-Nd oxide", "Congolese" and "DRC").
const ENTITY_WEIGHT: f32 = 2.0;

/// Computes the features of an analyzed item, with its entities when it was classified.
pub fn story_features(analysis: &Analysis, classification: Option<&Classification>) -> StoryFeatures {
    let mut terms: Vec<(u64, f32)> = Vec::with_capacity(analysis.tokens.len());
    let mut all_terms: Vec<u64> = Vec::with_capacity(analysis.tokens.len());
    let mut body_terms: Vec<u64> = Vec::with_capacity(analysis.tokens.len());
    let mut title_words: Vec<u64> = Vec::new();
    for token in &analysis.tokens {
        all_terms.push(token.norm_hash);
        if token.field == Field::Body {
            body_terms.push(token.norm_hash);
        } else if !token.is_stop {
            title_words.push(token.norm_hash);
        }
        let term = match token.kind {
            TokenKind::Word if token.is_stop => continue,
            TokenKind::Word => token.stem_hash,
            _ => token.norm_hash,
        };
        let weight = match (token.field, token.sentence) {
            (Field::Title, _) => TITLE_WEIGHT,
            (Field::Body, sentence) if sentence < LEAD_SENTENCES => LEAD_WEIGHT,
            (Field::Body, _) => TAIL_WEIGHT,
        };
        terms.push((term, weight));
    }
    if let Some(classification) = classification {
        for entity in &classification.entities {
            let kind = entity.kind.as_str();
            if matches!(kind, "company" | "commodity" | "country") {
                terms.push((entity_term(kind, &entity.value), ENTITY_WEIGHT));
            }
        }
    }
    terms.sort_unstable_by_key(|(term, _)| *term);
    terms.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 += later.1;
            true
        } else {
            false
        }
    });
    // Room was made for every token; the distinct terms are fewer, and they are kept until the
    // item is placed (a 10,000-entry batch held 31 MB of terms, half of it unused room).
    terms.shrink_to_fit();
    let exact_source = if body_terms.len() >= EXACT_MIN_TOKENS { &body_terms } else { &all_terms };
    let exact_hash = (exact_source.len() >= EXACT_MIN_TOKENS).then(|| signature::combine(exact_source));
    StoryFeatures {
        exact_hash,
        title_hash: signature::combine(&title_words),
        flash_reference_hash: analysis.flash_reference.as_deref().map(title_hash_of),
        minhash: MinHash::of(&signature::shingles(&all_terms)).map(Box::new),
        terms,
        facts: facts(analysis, classification),
        series: analysis.series.as_deref().map(|series| crate::analysis::term_hash(&series.to_lowercase())),
    }
}

/// The title hash a title would have, for matching flash references against titles.
pub fn title_hash_of(title: &str) -> u64 {
    let analysis = analyze(title, "");
    let words: Vec<u64> =
        analysis.title_tokens().iter().filter(|token| !token.is_stop).map(|token| token.norm_hash).collect();
    signature::combine(&words)
}

/// The term of an entity in the vector (and in facts): its kind and canonical name, hashed.
fn entity_term(kind: &str, value: &str) -> u64 {
    // The text "entity:{kind}:{lower-case value}", built without `format!` and, when short
    // and ASCII, on the stack: this runs for every entity of every item.
    let length = "entity::".len() + kind.len() + value.len();
    let mut buffer = [0u8; 64];
    if let Some(bytes) = buffer.get_mut(..length).filter(|_| value.is_ascii() && kind.is_ascii()) {
        let (prefix, rest) = bytes.split_at_mut("entity:".len() + kind.len());
        prefix[..7].copy_from_slice(b"entity:");
        prefix[7..].copy_from_slice(kind.as_bytes());
        rest[0] = b':';
        for (slot, byte) in rest[1..].iter_mut().zip(value.bytes()) {
            *slot = byte.to_ascii_lowercase();
        }
        if let Ok(text) = std::str::from_utf8(bytes) {
            return term_hash(text);
        }
    }
    let mut text = String::with_capacity(length);
    text.push_str("entity:");
    text.push_str(kind);
    text.push(':');
    if value.is_ascii() {
        text.extend(value.bytes().map(|byte| char::from(byte.to_ascii_lowercase())));
    } else {
        text.push_str(&value.to_lowercase());
    }
    term_hash(&text)
}

fn facts(analysis: &Analysis, classification: Option<&Classification>) -> Facts {
    let mut facts = Facts::default();
    if let Some(classification) = classification {
        facts.main_companies =
            classification.facts.main_companies.iter().map(|name| entity_term("company", name)).collect();
        facts.commodities =
            classification.facts.commodities.iter().map(|name| entity_term("commodity", name)).collect();
        facts.main_companies.sort_unstable();
        facts.commodities.sort_unstable();
        for entity in &classification.entities {
            let kind = entity.kind.as_str();
            if kind == "company" || kind == "country" {
                let term = entity_term(kind, &entity.value);
                facts.actors.push(term);
                if entity.field == Field::Title {
                    facts.title_actors.push(term);
                }
            }
        }
        facts.actors.sort_unstable();
        facts.title_actors.sort_unstable();
    }
    for measure in &analysis.measures {
        let value = measure.value.to_f64();
        if let (Field::Title, MeasureKind::Money { currency, per_unit }) = (measure.field, measure.kind) {
            facts.headline_figures.push((currency.to_string(), value));
            if per_unit.is_none() {
                facts.title_amounts.push((currency.to_string(), value));
            }
        }
        match measure.kind {
            MeasureKind::Money { currency, per_unit: None } => {
                facts.money.push((currency.to_string(), value))
            }
            MeasureKind::Money { currency, per_unit: Some(unit) } => {
                facts.prices.push((format!("{currency}/{unit}"), value))
            }
            MeasureKind::Quantity { .. } => facts.tonnes.push(value),
            MeasureKind::Percent | MeasureKind::Number => {}
        }
    }
    for list in [&mut facts.money, &mut facts.prices, &mut facts.title_amounts, &mut facts.headline_figures] {
        list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        list.dedup();
    }
    facts.tonnes.sort_by(f64::total_cmp);
    facts.tonnes.dedup();
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(title: &str, body: &str) -> StoryFeatures {
        story_features(&analyze(title, body), None)
    }

    #[test]
    fn entity_terms_hash_the_lower_case_text() {
        let long = "Zhongjin Lingnan Nonfemet Company Limited of Shenzhen, Guangdong Province";
        for (kind, value) in
            [("company", "Serra Verde"), ("commodity", "neodymium"), ("country", "Brasil"), ("company", long)]
                .into_iter()
                .chain([("company", "Société Minière"), ("company", "北方稀土"), ("money", "")])
        {
            let expected = term_hash(&format!("entity:{kind}:{}", value.to_lowercase()));
            assert_eq!(entity_term(kind, value), expected, "{kind} {value}");
        }
    }

    #[test]
    fn money_written_differently_is_one_fact_and_prices_are_apart() {
        let a =
            features("US DFC Offers $565M Financing", "The package of US$565 mln covers 5,000 mt of output.");
        let b = features("US Provides $565 Million in Financing", "A $565 million package; 5kt a year.");
        assert_eq!(a.facts.money, vec![("USD".to_string(), 565_000_000.0)]);
        assert_eq!(a.facts.money, b.facts.money);
        assert_eq!(a.facts.tonnes, b.facts.tonnes);
        let price = features("Pr-Nd oxide", "Pr-Nd oxide traded at 610,200 yuan/mt.");
        assert!(price.facts.money.is_empty());
        assert_eq!(price.facts.prices.len(), 1);
    }

    #[test]
    fn flash_reference_matches_the_referenced_title() {
        let flash = features(
            "US DFC Offers $565M Financing to Brazilian Rare Earth Project",
            "[SMM Flash: US Provides $565 Million in Financing for Brazilian Rare Earth Project] Serra Verde said…",
        );
        let original = features(
            "US Provides $565 Million in Financing for Brazilian Rare Earth Project",
            "Serra Verde said…",
        );
        assert_eq!(flash.flash_reference_hash, Some(original.title_hash));
    }

    #[test]
    fn title_and_lead_terms_weigh_more_and_stop_words_are_out() {
        let item = features("Lynas output rises", "Lynas said the output of the plant rose.");
        let lynas = crate::analysis::analyze("Lynas", "").tokens[0].stem_hash;
        let weight = item.terms.iter().find(|(term, _)| *term == lynas).map(|(_, weight)| *weight);
        assert_eq!(weight, Some(TITLE_WEIGHT + LEAD_WEIGHT), "once in the title, once in the lead");
        let late = features("Output rises", "One. Two. Lynas said the output of the plant rose.");
        let weight = late.terms.iter().find(|(term, _)| *term == lynas).map(|(_, weight)| *weight);
        assert_eq!(weight, Some(TAIL_WEIGHT), "past the lead, a mention counts less");
        let the = crate::analysis::term_hash("the");
        assert!(item.terms.iter().all(|(term, _)| *term != the));
    }
}
