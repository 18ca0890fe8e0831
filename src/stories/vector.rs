//! Weighted bag-of-words similarity for rewrites: TF-IDF cosine over an item's terms (stemmed
//! content words, numbers and measures, title counted more), with document frequencies counted
//! over every item stored.
//!
//! Rewrites of one event by different outlets share few word sequences but many rare words
//! (names, places, amounts); IDF is what makes those count and common words not. Pure: the
//! frequencies are a value passed in, kept and persisted by the caller.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::analysis::PrehashedHasher;

/// Term hashes are hashes already: no need to hash them again.
pub type TermMap<V> = HashMap<u64, V, BuildHasherDefault<PrehashedHasher>>;

/// How many stored items contain each term.
#[derive(Clone, Debug, Default)]
pub struct DocumentFrequencies {
    counts: TermMap<u32>,
    documents: u32,
}

impl DocumentFrequencies {
    /// Frequencies as stored: (term, documents) pairs and the number of documents.
    pub fn from_counts(counts: impl IntoIterator<Item = (u64, u32)>, documents: u32) -> DocumentFrequencies {
        DocumentFrequencies { counts: counts.into_iter().collect(), documents }
    }

    /// Counts one more document with these (distinct) terms.
    pub fn add_document(&mut self, terms: &[(u64, f32)]) {
        self.documents += 1;
        for (term, _) in terms {
            *self.counts.entry(*term).or_insert(0) += 1;
        }
    }

    pub fn documents(&self) -> u32 {
        self.documents
    }

    pub fn count(&self, term: u64) -> u32 {
        self.counts.get(&term).copied().unwrap_or(0)
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
    let counts: Vec<u32> = terms
        .iter()
        .map(|(term, _)| {
            let count = frequencies.counts.entry(*term).or_insert(0);
            *count += 1;
            *count
        })
        .collect();
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
