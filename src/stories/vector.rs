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
        let documents = self.documents as f32 + 1.0;
        let frequency = self.count(term) as f32 + 1.0;
        (documents / frequency).ln() + 1.0
    }
}

/// The TF-IDF weight of a term seen `count` times (sublinear: a word repeated ten times is not
/// ten times as telling).
fn weight(count: f32, idf: f32) -> f32 {
    (1.0 + count.max(1.0).ln()) * idf
}

/// A TF-IDF vector ready for cosines: (term, weight) sorted by term, and its norm.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Weighted {
    pub terms: Vec<(u64, f32)>,
    pub norm: f32,
}

/// Weighs `terms` (sorted (term, count) pairs) with `frequencies`.
pub fn weigh(terms: &[(u64, f32)], frequencies: &DocumentFrequencies) -> Weighted {
    let terms: Vec<(u64, f32)> =
        terms.iter().map(|(term, count)| (*term, weight(*count, frequencies.idf(*term)))).collect();
    let norm = terms.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    Weighted { terms, norm }
}

/// Cosine similarity of two weighted vectors, in [0, 1].
pub fn cosine(a: &Weighted, b: &Weighted) -> f32 {
    if a.norm == 0.0 || b.norm == 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < a.terms.len() && j < b.terms.len() {
        match a.terms[i].0.cmp(&b.terms[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a.terms[i].1 * b.terms[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    (dot / (a.norm * b.norm)).clamp(0.0, 1.0)
}

/// Below this many documents the frequencies cannot tell rare terms from common ones (most
/// are seen once or never): every term is looked up.
const COLD_START_DOCUMENTS: u32 = 2000;

/// The `count` terms of `terms` with the highest IDF, with their IDF: what an item is most
/// specifically about, looked up in the candidate index. While the frequencies are too young
/// to rank terms, all of them.
pub fn rarest_terms(
    terms: &[(u64, f32)],
    frequencies: &DocumentFrequencies,
    count: usize,
) -> Vec<(u64, f32)> {
    let count = if frequencies.documents() < COLD_START_DOCUMENTS { terms.len() } else { count };
    let mut ranked: Vec<(u32, u64)> =
        terms.iter().map(|(term, _)| (frequencies.count(*term), *term)).collect();
    ranked.sort_unstable();
    ranked.into_iter().take(count).map(|(_, term)| (term, frequencies.idf(term))).collect()
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
    fn rarest_terms_come_first() {
        // Past the cold start, when only the rarest terms are kept.
        let mut frequencies = frequencies();
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
