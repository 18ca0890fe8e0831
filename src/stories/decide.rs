//! Whether two items report the same event: a score from the similarity signals, and vetoes on
//! conflicting key facts. Pure: two items' features and metadata in, a verdict out.
//!
//! Signals, strongest first: the same text (exact hash); an `[SMM Flash: …]` prefix naming the
//! other's title; near-identical text (MinHash Jaccard); a rewrite (TF-IDF cosine). Vetoes come
//! before the last two: different amounts of money, different prices, different tonnages mean
//! different stories however alike the words (a daily price template, two loans by one agency).
//! A source's own history counts too: it rarely republishes its own story a day later under a
//! new id, so such a pair needs far stronger evidence.

use super::features::Facts;
use super::vector::{Weighted, cosine};
use super::{Settings, StoryFeatures};

/// Why an item joined a story.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Rewritten by another outlet, or in other words: TF-IDF cosine over the threshold.
    Rewrite,
    /// Near-identical text: MinHash Jaccard over the threshold.
    NearCopy,
    /// An `[SMM Flash: …]` prefix names the other item's title.
    FlashReference,
    /// The same normalized text.
    Exact,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rewrite => "rewrite",
            Reason::NearCopy => "near-copy",
            Reason::FlashReference => "flash-reference",
            Reason::Exact => "exact",
        }
    }
}

/// One side of a comparison.
pub struct Side<'a> {
    pub features: &'a StoryFeatures,
    pub weighted: &'a Weighted,
    pub source: i64,
    /// Seconds since the epoch.
    pub published: i64,
}

/// The outcome of comparing two items, with the figures behind it (for `story`, `explain` and
/// the evaluation).
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub same_story: Option<(Reason, f32)>,
    pub jaccard: f32,
    pub cosine: f32,
    pub veto: Option<&'static str>,
}

/// Prices match only when equal (to rounding).
const PRICE_TOLERANCE: f64 = 1e-6;
/// A shared headline figure counts only between items published within a day.
const HEADLINE_FIGURE_GAP: i64 = 24 * 3600;

/// Both headlines quote the same exact figure and the items share a commodity.
fn same_headline_figure(a: &Facts, b: &Facts) -> bool {
    let figure =
        a.headline_figures.iter().any(|x| b.headline_figures.iter().any(|y| matches(x, y, PRICE_TOLERANCE)));
    figure && a.commodities.iter().any(|commodity| b.commodities.binary_search(commodity).is_ok())
}

/// Compares a new item with one already in a story.
pub fn compare(new: &Side, old: &Side, settings: &Settings) -> Comparison {
    let jaccard = jaccard(new, old);
    let cosine = cosine(new.weighted, old.weighted);
    let (same_story, veto) = judge(new, old, settings, || jaccard, || cosine);
    Comparison { same_story, jaccard, cosine, veto }
}

/// What [`compare`] says of the pair's story, computing a similarity only when the decision
/// needs it (most pairs are settled before the cosine, or by it alone).
pub fn same_story(new: &Side, old: &Side, settings: &Settings) -> Option<(Reason, f32)> {
    judge(new, old, settings, || jaccard(new, old), || cosine(new.weighted, old.weighted)).0
}

/// What [`compare`] says of the pair's facts: a veto, unless the texts are the same or one
/// refers to the other (which settle the pair before facts are looked at).
pub fn veto(new: &Side, old: &Side, settings: &Settings) -> Option<&'static str> {
    match settled_by_identity(new.features, old.features) {
        Some(_) => None,
        None => conflicting_facts(&new.features.facts, &old.features.facts, settings.fact_tolerance),
    }
}

fn jaccard(new: &Side, old: &Side) -> f32 {
    match (&new.features.minhash, &old.features.minhash) {
        (Some(a), Some(b)) => a.similarity(b),
        _ => 0.0,
    }
}

/// The same text, or a flash reference from one to the other.
fn settled_by_identity(new: &StoryFeatures, old: &StoryFeatures) -> Option<(Reason, f32)> {
    if new.exact_hash.is_some() && new.exact_hash == old.exact_hash {
        return Some((Reason::Exact, 1.0));
    }
    let refers = |a: &StoryFeatures, b: &StoryFeatures| a.flash_reference_hash == Some(b.title_hash);
    if refers(new, old) || refers(old, new) {
        return Some((Reason::FlashReference, 0.99));
    }
    None
}

/// The decision, strongest signal first; `jaccard` and `cosine` are called at most once, and
/// only when reached.
fn judge(
    new: &Side,
    old: &Side,
    settings: &Settings,
    jaccard: impl FnOnce() -> f32,
    cosine: impl FnOnce() -> f32,
) -> (Option<(Reason, f32)>, Option<&'static str>) {
    if let Some(settled) = settled_by_identity(new.features, old.features) {
        return (Some(settled), None);
    }
    let veto = conflicting_facts(&new.features.facts, &old.features.facts, settings.fact_tolerance);
    if veto.is_some() {
        return (None, veto);
    }
    let gap = (new.published - old.published).abs();
    let same_template = new.features.series.is_some() && new.features.series == old.features.series;
    if !(same_template && gap > settings.same_source_gap_seconds) {
        let jaccard = jaccard();
        if jaccard >= settings.near_copy {
            return (Some((Reason::NearCopy, jaccard)), None);
        }
    }
    let same_source_later = new.source == old.source && gap > settings.same_source_gap_seconds;
    let threshold = if same_source_later || same_template {
        settings.same_source_rewrite
    } else if gap > settings.span_seconds / 2 {
        settings.rewrite + settings.late_penalty
    } else if same_headline_figure(&new.features.facts, &old.features.facts) && gap <= HEADLINE_FIGURE_GAP {
        // Two headlines quoting one exact figure for one commodity on one day report one
        // event, however differently the rest is worded ("PrNd oxide above CNY620,000/t",
        // "Pr-Nd Oxide Prices Break Through 620,000 yuan/mt").
        settings.rewrite - settings.headline_relief
    } else {
        settings.rewrite
    };
    let cosine = cosine();
    (if cosine >= threshold { Some((Reason::Rewrite, cosine)) } else { None }, None)
}

/// Why two items' facts say they are different events, if they do.
pub fn conflicting_facts(a: &Facts, b: &Facts, tolerance: f64) -> Option<&'static str> {
    // An amount may be written as a price in one item and as a plain sum in the other ("620,000
    // yuan/mt" and "tops 620,000 yuan"): money is matched against every amount of the other.
    let shares_money = |money: &[(String, f64)], other: &Facts| {
        money.iter().any(|(currency, value)| {
            amounts(other).any(|(other_currency, other_value)| {
                within(currency, *value, other_currency, other_value, tolerance)
            })
        })
    };
    if !a.money.is_empty() && !b.money.is_empty() && !shares_money(&a.money, b) && !shares_money(&b.money, a)
    {
        return Some("different amounts of money");
    }
    // The headline figures: two loans by one agency, each title with its own amount.
    if disjoint_amounts(&a.title_amounts, &b.title_amounts, tolerance) {
        return Some("different headline amounts");
    }
    // Prices are quoted exactly, and a day's move is often under 1 %: compared exactly.
    if mostly_different_amounts(&a.prices, &b.prices, PRICE_TOLERANCE) {
        return Some("different prices");
    }
    let tonnes_disjoint = !a.tonnes.is_empty()
        && !b.tonnes.is_empty()
        && !a.tonnes.iter().any(|x| b.tonnes.iter().any(|y| within("", *x, "", *y, tolerance)));
    if tonnes_disjoint {
        return Some("different tonnages");
    }
    // Each headline names an actor the other item never mentions: two events.
    if names_a_stranger(&a.title_actors, &b.actors) && names_a_stranger(&b.title_actors, &a.actors) {
        return Some("different actors in the headlines");
    }
    None
}

/// Every amount of money of an item, prices included by their currency: borrowed, not
/// collected, since this runs for every candidate pair.
fn amounts(facts: &Facts) -> impl Iterator<Item = (&str, f64)> {
    let money = facts.money.iter().map(|(currency, value)| (currency.as_str(), *value));
    let prices = facts.prices.iter().map(|(unit, value)| (unit.split('/').next().unwrap_or(""), *value));
    money.chain(prices)
}

/// Some actor of `title_actors` is not among `actors` (both sorted).
fn names_a_stranger(title_actors: &[u64], actors: &[u64]) -> bool {
    !actors.is_empty() && title_actors.iter().any(|actor| actors.binary_search(actor).is_err())
}

fn matches(a: &(String, f64), b: &(String, f64), tolerance: f64) -> bool {
    within(&a.0, a.1, &b.0, b.1, tolerance)
}

/// The same currency (or unit) and values within `tolerance`, relative to the larger.
fn within(unit_a: &str, a: f64, unit_b: &str, b: f64, tolerance: f64) -> bool {
    unit_a == unit_b && (a - b).abs() <= tolerance * a.abs().max(b.abs())
}

/// Both mention amounts of this kind and none is shared.
fn disjoint_amounts(a: &[(String, f64)], b: &[(String, f64)], tolerance: f64) -> bool {
    !a.is_empty() && !b.is_empty() && !a.iter().any(|x| b.iter().any(|y| matches(x, y, tolerance)))
}

/// Both quote prices and fewer than half of the shorter list recur in the other: a new day's
/// prices (a few unchanged ones recur, most move).
fn mostly_different_amounts(a: &[(String, f64)], b: &[(String, f64)], tolerance: f64) -> bool {
    // One price each says too little: a rewrite often quotes another point of the same range.
    if a.len() < 2 || b.len() < 2 {
        return false;
    }
    let (shorter, longer) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let shared = shorter.iter().filter(|x| longer.iter().any(|y| matches(x, y, tolerance))).count();
    shared * 2 < shorter.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(money: &[f64], prices: &[f64], tonnes: &[f64]) -> Facts {
        Facts {
            money: money.iter().map(|v| ("USD".to_string(), *v)).collect(),
            prices: prices.iter().map(|v| ("CNY/t".to_string(), *v)).collect(),
            tonnes: tonnes.to_vec(),
            ..Facts::default()
        }
    }

    #[test]
    fn vetoes_on_conflicting_facts() {
        let serra = facts(&[565e6], &[], &[5000.0, 6500.0]);
        assert_eq!(conflicting_facts(&serra, &facts(&[565e6], &[], &[6500.0]), 0.01), None);
        assert_eq!(
            conflicting_facts(&serra, &facts(&[20e6], &[], &[]), 0.01),
            Some("different amounts of money")
        );
        assert_eq!(conflicting_facts(&serra, &facts(&[], &[], &[]), 0.01), None, "no facts, no veto");
        let monday = facts(&[], &[610_200.0, 1_680_000.0, 7_150_000.0], &[]);
        let tuesday = facts(&[], &[615_000.0, 1_690_000.0, 7_150_000.0], &[]);
        assert_eq!(conflicting_facts(&monday, &tuesday, 0.01), Some("different prices"));
        let rewrite = facts(&[], &[610_200.0], &[]);
        assert_eq!(conflicting_facts(&monday, &rewrite, 0.01), None);
    }
}
