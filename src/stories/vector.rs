//! Weighted bag-of-words similarity for rewrites: TF-IDF cosine over an item's terms (stemmed
//! content words, numbers and measures, title counted more), with document frequencies counted
//! over every item stored.
//!
//! Rewrites of one event by different outlets share few word sequences but many rare words
//! (names, places, amounts); IDF is what makes those count and common words not. Pure: the
//! frequencies are a value passed in, kept and persisted by the caller.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasherDefault;

use crate::analysis::PrehashedHasher;

/// Term hashes are hashes already: no need to hash them again.
pub type TermMap<V> = HashMap<u64, V, BuildHasherDefault<PrehashedHasher>>;

/// At most this many terms are counted in memory (some 4.5 MB). The vocabulary of news grows
/// without end (every amount, name and date is a term), so counting all of it would make the
/// process grow with the database (two million terms take 71 MB). Past the bound, the terms
/// seen in the fewest documents are forgotten (see [`DocumentFrequencies`]).
pub const MAX_TERMS_IN_MEMORY: usize = 200_000;
/// What is kept when the bound is passed: the commonest terms.
pub const TERMS_KEPT: usize = MAX_TERMS_IN_MEMORY / 2;

/// How many stored items contain each term, for the terms seen most often: between
/// [`TERMS_KEPT`] and [`MAX_TERMS_IN_MEMORY`] of them. When a new term would pass the bound,
/// the terms with the lowest counts are dropped (those seen longest ago first) until
/// [`TERMS_KEPT`] are left. A dropped term then counts as never seen, and starts again from
/// one if it comes back. Its IDF moves by at most ln(t + 1) for a term seen in t documents, t
/// being the count at the cut (reported by `cargo bench --bench stories -- memory`), against
/// IDFs of 10–15 in a large database: it stays a rare term. The store keeps the same counts in
/// SQLite, dropped terms included ([`DocumentFrequencies::take_changed`]): a table of every
/// term ever seen would grow without end too, and each fetch's updates would land on pages
/// all over it.
#[derive(Clone, Debug)]
pub struct DocumentFrequencies {
    counts: TermMap<Counted>,
    documents: u32,
    limit: usize,
    cut_at: u32,
    /// Terms dropped since the store last asked.
    forgotten: Vec<u64>,
    /// Terms counted since the store last asked, each once: those whose `last_seen` was at most
    /// `taken_at` when counted.
    changed: Vec<u64>,
    /// The number of documents when the store last asked.
    taken_at: u32,
}

/// A term's count, and when it was last counted (the number of documents then). Two u32s:
/// the map's slots are 16 bytes with or without the second.
#[derive(Clone, Copy, Debug)]
struct Counted {
    documents: u32,
    last_seen: u32,
}

impl Default for DocumentFrequencies {
    fn default() -> DocumentFrequencies {
        DocumentFrequencies::with_limit(MAX_TERMS_IN_MEMORY)
    }
}

impl DocumentFrequencies {
    /// Empty frequencies that keep at most `limit` terms in memory.
    pub fn with_limit(limit: usize) -> DocumentFrequencies {
        DocumentFrequencies {
            counts: TermMap::default(),
            documents: 0,
            limit: limit.max(4),
            cut_at: 0,
            forgotten: Vec::new(),
            changed: Vec::new(),
            taken_at: 0,
        }
    }

    /// Frequencies as stored: (term, documents) pairs and the number of documents. Bounded as
    /// they are read (the store keeps no more than the bound, so nothing is dropped then).
    pub fn from_counts(counts: impl IntoIterator<Item = (u64, u32)>, documents: u32) -> DocumentFrequencies {
        let mut frequencies = DocumentFrequencies { documents, ..DocumentFrequencies::default() };
        for (term, count) in counts {
            frequencies.counts.insert(term, Counted { documents: count, last_seen: 0 });
            frequencies.forget_rarest_when_full();
        }
        frequencies
    }

    /// The same counts under another bound (dropping what it no longer holds, as reported by
    /// [`DocumentFrequencies::take_changed`]).
    pub fn limited_to(mut self, limit: usize) -> DocumentFrequencies {
        self.limit = limit.max(4);
        self.forget_rarest_when_full();
        self
    }

    /// Counts one more document with these (distinct) terms.
    pub fn add_document(&mut self, terms: &[(u64, f32)]) {
        self.documents += 1;
        for (term, _) in terms {
            self.count_in(*term);
        }
        self.forget_rarest_when_full();
    }

    /// The number of terms counted in memory.
    pub fn terms_in_memory(&self) -> usize {
        self.counts.len()
    }

    /// Counts `term` in the latest document; its count now.
    fn count_in(&mut self, term: u64) -> u32 {
        let seen_now = self.documents;
        let counted = match self.counts.entry(term) {
            Entry::Vacant(vacant) => {
                self.changed.push(term);
                vacant.insert(Counted { documents: 0, last_seen: seen_now })
            }
            Entry::Occupied(occupied) => {
                let counted = occupied.into_mut();
                if counted.last_seen <= self.taken_at {
                    // First counted since the store last asked.
                    self.changed.push(term);
                }
                counted
            }
        };
        counted.documents += 1;
        counted.last_seen = seen_now;
        counted.documents
    }

    /// The count at the last cut: terms seen in this many documents or fewer may have been
    /// forgotten. Zero until the bound was first passed.
    pub fn forgotten_below(&self) -> u32 {
        self.cut_at
    }

    /// The terms counted or dropped since the last call, each once and sorted, for the store to
    /// write their counts (0: dropped). Kept as they are counted, where collecting them from
    /// each placed item's terms cost the deciding thread a hash-map insert per term.
    pub fn take_changed(&mut self) -> Vec<u64> {
        let mut terms = std::mem::take(&mut self.changed);
        terms.append(&mut self.forgotten);
        terms.sort_unstable();
        terms.dedup();
        self.taken_at = self.documents;
        terms
    }

    /// Past the limit, drops the terms with the lowest counts, oldest first (then by term, for
    /// a total order), until half the limit is left, so this runs once per many new terms.
    fn forget_rarest_when_full(&mut self) {
        if self.counts.len() <= self.limit {
            return;
        }
        let keep = self.limit / 2;
        let mut order: Vec<(u32, u32, u64)> =
            self.counts.iter().map(|(term, counted)| (counted.documents, counted.last_seen, *term)).collect();
        let (_, first_kept, _) = order.select_nth_unstable(self.counts.len() - keep);
        let first_kept = *first_kept;
        drop(order);
        self.cut_at = first_kept.0;
        let forgotten = &mut self.forgotten;
        self.counts.retain(|term, counted| {
            let kept = (counted.documents, counted.last_seen, *term) >= first_kept;
            if !kept {
                forgotten.push(*term);
            }
            kept
        });
        // Rebuilt without the removed entries' marks: a hash map keeps them, counts them as
        // taken, and would double its room as new terms fill it, past the limit's.
        self.counts.shrink_to_fit();
    }

    pub fn documents(&self) -> u32 {
        self.documents
    }

    pub fn count(&self, term: u64) -> u32 {
        self.counts.get(&term).map_or(0, |counted| counted.documents)
    }

    /// Smoothed inverse document frequency: ln((N + 1) / (df + 1)) + 1.
    pub fn idf(&self, term: u64) -> f32 {
        self.idf_of_count(self.count(term))
    }

    fn idf_of_count(&self, count: u32) -> f32 {
        let documents = self.documents as f32 + 1.0;
        let frequency = count as f32 + 1.0;
        (documents / frequency).ln() + 1.0
    }
}

/// The TF-IDF weight of a term seen `count` times (sublinear: a word repeated ten times is not
/// ten times as telling).
fn weight(count: f32, idf: f32) -> f32 {
    // Linear up to one mention (a weighed-down mention counts less), logarithmic above.
    let tf = if count <= 1.0 { count } else { 1.0 + count.ln() };
    tf * idf
}

/// A TF-IDF vector ready for cosines: terms sorted, their weights beside them (two arrays, so
/// the merge in [`cosine`] walks a dense array of terms), and its norm.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Weighted {
    pub terms: Vec<u64>,
    pub weights: Vec<f32>,
    pub norm: f32,
}

/// Weighs `terms` (sorted (term, count) pairs) with `frequencies`.
pub fn weigh(terms: &[(u64, f32)], frequencies: &DocumentFrequencies) -> Weighted {
    weigh_with_idf(terms, |term| frequencies.idf(term))
}

fn weigh_with_idf(terms: &[(u64, f32)], mut idf: impl FnMut(u64) -> f32) -> Weighted {
    let mut weighted = Weighted {
        terms: Vec::with_capacity(terms.len()),
        weights: Vec::with_capacity(terms.len()),
        norm: 0.0,
    };
    for (term, count) in terms {
        weighted.terms.push(*term);
        weighted.weights.push(weight(*count, idf(*term)));
    }
    weighted.norm = weighted.weights.iter().map(|w| w * w).sum::<f32>().sqrt();
    weighted
}

/// Cosine similarity of two weighted vectors, in [0, 1].
pub fn cosine(a: &Weighted, b: &Weighted) -> f32 {
    if a.norm == 0.0 || b.norm == 0.0 {
        return 0.0;
    }
    let (terms_a, weights_a) = (&a.terms[..], &a.weights[..a.terms.len()]);
    let (terms_b, weights_b) = (&b.terms[..], &b.weights[..b.terms.len()]);
    // A merge of the two sorted term lists. The steps are computed rather than branched on
    // (which list advances is unpredictable), and products are added in term order, as a
    // plain merge would: the same sum to the last bit.
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < terms_a.len() && j < terms_b.len() {
        let (x, y) = (terms_a[i], terms_b[j]);
        if x == y {
            dot += weights_a[i] * weights_b[j];
        }
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    (dot / (a.norm * b.norm)).clamp(0.0, 1.0)
}

/// Below this many documents the frequencies cannot tell rare terms from common ones (most
/// are seen once or never): more terms are looked up.
const COLD_START_DOCUMENTS: u32 = 2000;
const COLD_START_TERMS: usize = 64;

/// The `count` terms of `terms` with the highest IDF, with their IDF: what an item is most
/// specifically about, looked up in the candidate index. While the frequencies are too young
/// to rank terms, all of them.
pub fn rarest_terms(
    terms: &[(u64, f32)],
    frequencies: &DocumentFrequencies,
    count: usize,
) -> Vec<(u64, f32)> {
    let ranked: Vec<(u32, u64)> = terms.iter().map(|(term, _)| (frequencies.count(*term), *term)).collect();
    rarest_of(ranked, frequencies, count)
}

/// The rarest of (count, term) pairs: the `count` lowest, in order, with their IDF.
fn rarest_of(
    mut ranked: Vec<(u32, u64)>,
    frequencies: &DocumentFrequencies,
    count: usize,
) -> Vec<(u64, f32)> {
    let count =
        if frequencies.documents() < COLD_START_DOCUMENTS { count.max(COLD_START_TERMS) } else { count };
    // Only the first `count` are wanted in order: select them, then sort those few. The pairs
    // are distinct, so the result is the full sort's.
    if ranked.len() > count {
        ranked.select_nth_unstable(count);
        ranked.truncate(count);
    }
    ranked.sort_unstable();
    ranked.into_iter().map(|(documents, term)| (term, frequencies.idf_of_count(documents))).collect()
}

/// A new document: counted in `frequencies`, then weighed with them, with its rarest terms;
/// what [`DocumentFrequencies::add_document`], [`weigh`] and [`rarest_terms`] give in turn,
/// with one lookup of each term instead of three.
pub fn add_and_weigh(
    terms: &[(u64, f32)],
    frequencies: &mut DocumentFrequencies,
    rare_count: usize,
) -> (Weighted, Vec<(u64, f32)>) {
    frequencies.documents += 1;
    // The terms are distinct (sorted and deduplicated), so each count is final once
    // incremented, as when all are counted before any is read.
    let counts: Vec<u32> = terms.iter().map(|(term, _)| frequencies.count_in(*term)).collect();
    // After the counts are read: this document's terms are weighed with their true counts
    // even if some are forgotten now.
    frequencies.forget_rarest_when_full();
    let mut index = 0;
    let weighted = weigh_with_idf(terms, |_| {
        let idf = frequencies.idf_of_count(counts[index]);
        index += 1;
        idf
    });
    let ranked = counts.iter().zip(terms).map(|(count, (term, _))| (*count, *term)).collect();
    (weighted, rarest_of(ranked, frequencies, rare_count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_terms_are_reported_once_until_taken() {
        let mut frequencies = DocumentFrequencies::from_counts([(1, 5)], 5);
        frequencies.add_document(&[(1, 1.0), (2, 1.0)]);
        frequencies.add_document(&[(2, 1.0), (3, 1.0)]);
        assert_eq!(frequencies.take_changed(), vec![1, 2, 3]);
        assert!(frequencies.take_changed().is_empty(), "nothing counted since");
        frequencies.add_document(&[(3, 1.0)]);
        assert_eq!(frequencies.take_changed(), vec![3]);
        // Dropped terms are reported too (to be deleted), with the counted ones.
        let mut small = DocumentFrequencies::with_limit(4);
        for term in 10..16 {
            small.add_document(&[(term, 1.0)]);
        }
        let changed = small.take_changed();
        assert_eq!(changed, (10..16).collect::<Vec<u64>>());
        assert!(changed.iter().any(|term| small.count(*term) == 0), "some were dropped: {changed:?}");
    }

    fn frequencies() -> DocumentFrequencies {
        let mut frequencies = DocumentFrequencies::default();
        for _ in 0..100 {
            frequencies.add_document(&[(1, 1.0)]);
        }
        frequencies.add_document(&[(2, 1.0), (3, 1.0)]);
        frequencies
    }

    #[test]
    fn rare_shared_terms_count_more_than_common_ones() {
        let frequencies = frequencies();
        let a = weigh(&[(1, 1.0), (2, 1.0), (4, 1.0)], &frequencies);
        let shares_rare = weigh(&[(2, 1.0), (5, 1.0)], &frequencies);
        let shares_common = weigh(&[(1, 1.0), (5, 1.0)], &frequencies);
        assert!(cosine(&a, &shares_rare) > cosine(&a, &shares_common));
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        assert_eq!(cosine(&a, &Weighted::default()), 0.0);
    }

    #[test]
    fn past_their_limit_the_frequencies_forget_the_rarest_terms_only() {
        let mut frequencies = DocumentFrequencies::with_limit(8);
        for _ in 0..10 {
            frequencies.add_document(&[(1, 1.0), (2, 1.0)]);
        }
        for _ in 0..5 {
            frequencies.add_document(&[(2, 1.0), (3, 1.0)]);
        }
        for term in 100..120 {
            frequencies.add_document(&[(1, 1.0), (term, 1.0)]);
        }
        assert!(frequencies.terms_in_memory() <= 8, "{} terms kept", frequencies.terms_in_memory());
        assert_eq!(frequencies.documents(), 35, "every document is still counted");
        assert_eq!((frequencies.count(1), frequencies.count(2), frequencies.count(3)), (30, 15, 5));
        assert_eq!(frequencies.count(100), 0, "seen once, long ago: forgotten");
        let changed = frequencies.take_changed();
        assert!(
            changed.contains(&100) && frequencies.count(100) == 0,
            "reported, to be deleted: {changed:?}"
        );
        assert!(frequencies.take_changed().is_empty(), "reported once");
        assert_eq!(frequencies.count(119), 1, "seen once, in the latest document: kept");
        assert_eq!(frequencies.idf(100), frequencies.idf(9_999), "a forgotten term reads as never seen");
        // The same bound whichever way the counts come in.
        let (weighted, _) = add_and_weigh(&[(1, 1.0), (200, 1.0), (201, 1.0)], &mut frequencies, 2);
        assert_eq!(weighted.terms.len(), 3);
        assert!(frequencies.terms_in_memory() <= 8);
        let loaded =
            DocumentFrequencies::from_counts((0..(MAX_TERMS_IN_MEMORY as u64 + 10)).map(|term| (term, 1)), 7);
        assert!(loaded.terms_in_memory() <= MAX_TERMS_IN_MEMORY);
        assert_eq!(loaded.documents(), 7);
    }

    #[test]
    fn rarest_terms_come_first_once_the_frequencies_can_tell() {
        let mut frequencies = frequencies();
        let young: Vec<u64> = rarest_terms(&[(1, 1.0), (2, 1.0), (9, 1.0)], &frequencies, 2)
            .iter()
            .map(|(term, _)| *term)
            .collect();
        assert_eq!(young, vec![9, 2, 1], "too few documents to rank terms: all are looked up");
        for _ in 0..COLD_START_DOCUMENTS {
            frequencies.add_document(&[(1, 1.0)]);
        }
        let rarest: Vec<u64> = rarest_terms(&[(1, 1.0), (2, 1.0), (9, 1.0)], &frequencies, 2)
            .iter()
            .map(|(term, _)| *term)
            .collect();
        assert_eq!(rarest, vec![9, 2]);
    }
}
