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
    let jaccard = match (&new.features.minhash, &old.features.minhash) {
        (Some(a), Some(b)) => a.similarity(b),
        _ => 0.0,
    };
    let cosine = cosine(new.weighted, old.weighted);
    let mut comparison = Comparison { same_story: None, jaccard, cosine, veto: None };
    if new.features.exact_hash.is_some() && new.features.exact_hash == old.features.exact_hash {
        comparison.same_story = Some((Reason::Exact, 1.0));
        return comparison;
    }
    let refers = |a: &StoryFeatures, b: &StoryFeatures| a.flash_reference_hash == Some(b.title_hash);
    if refers(new.features, old.features) || refers(old.features, new.features) {
        comparison.same_story = Some((Reason::FlashReference, 0.99));
        return comparison;
    }
    comparison.veto = conflicting_facts(&new.features.facts, &old.features.facts, settings.fact_tolerance);
    if comparison.veto.is_some() {
        return comparison;
    }
    let gap = (new.published - old.published).abs();
    let same_template = new.features.series.is_some() && new.features.series == old.features.series;
    if jaccard >= settings.near_copy && !(same_template && gap > settings.same_source_gap_seconds) {
        comparison.same_story = Some((Reason::NearCopy, jaccard));
        return comparison;
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
    if cosine >= threshold {
        comparison.same_story = Some((Reason::Rewrite, cosine));
    }
    comparison
}

/// Why two items' facts say they are different events, if they do.
pub fn conflicting_facts(a: &Facts, b: &Facts, tolerance: f64) -> Option<&'static str> {
    // An amount may be written as a price in one item and as a plain sum in the other ("620,000
    // yuan/mt" and "tops 620,000 yuan"): money is matched against every amount of the other.
    let amounts = |facts: &Facts| {
        let mut all = facts.money.clone();
        all.extend(
            facts
                .prices
                .iter()
                .map(|(unit, value)| (unit.split('/').next().unwrap_or("").to_string(), *value)),
        );
        all
    };
    let (amounts_a, amounts_b) = (amounts(a), amounts(b));
    let shared_money = |money: &[(String, f64)], other: &[(String, f64)]| {
        money.iter().any(|x| other.iter().any(|y| matches(x, y, tolerance)))
    };
    if !a.money.is_empty()
        && !b.money.is_empty()
        && !shared_money(&a.money, &amounts_b)
        && !shared_money(&b.money, &amounts_a)
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
    let tonnes = |facts: &Facts| facts.tonnes.iter().map(|value| (String::new(), *value)).collect::<Vec<_>>();
    if disjoint_amounts(&tonnes(a), &tonnes(b), tolerance) {
        return Some("different tonnages");
    }
    // Each headline names an actor the other item never mentions: two events.
    if names_a_stranger(&a.title_actors, &b.actors) && names_a_stranger(&b.title_actors, &a.actors) {
        return Some("different actors in the headlines");
    }
    None
}

/// Some actor of `title_actors` is not among `actors` (both sorted).
fn names_a_stranger(title_actors: &[u64], actors: &[u64]) -> bool {
    !actors.is_empty() && title_actors.iter().any(|actor| actors.binary_search(actor).is_err())
}

fn matches(a: &(String, f64), b: &(String, f64), tolerance: f64) -> bool {
    a.0 == b.0 && (a.1 - b.1).abs() <= tolerance * a.1.abs().max(b.1.abs())
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
