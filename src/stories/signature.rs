//! Signatures for near-identical text: MinHash over word 3-shingles, its LSH band keys, and the
//! hashes of exact and title matches.
//!
//! Everything here is persisted, so it is deterministic across runs, platforms and versions:
//! shingle hashes are XXH3 (frozen output format), the MinHash permutations come from a fixed
//! SplitMix64 seed, and [`SIGNATURE_VERSION`] is stored beside each signature so a change here
//! can be detected and the signatures recomputed.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// Bump when anything changes the signature of a text.
pub const SIGNATURE_VERSION: i64 = 1;
/// MinHash values per signature.
pub const PERMUTATIONS: usize = 128;
/// LSH: `BANDS` bands of `ROWS` values; candidates share at least one band.
pub const BANDS: usize = 32;
pub const ROWS: usize = PERMUTATIONS / BANDS;
const PERMUTATION_SEED: u64 = 0x6c6f_6465_7374_6f6e; // "lodeston"

/// A MinHash signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinHash(pub [u32; PERMUTATIONS]);

impl MinHash {
    /// The signature of a set of shingle hashes; None for an empty set.
    pub fn of(shingles: &[u64]) -> Option<MinHash> {
        if shingles.is_empty() {
            return None;
        }
        // The same arithmetic, compiled for wider vectors where the CPU has them: 64-bit
        // multiplies are four to eight to a vector instead of two, for a third of the time
        // a feed item's features take. The result is the same to the bit (tested).
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                // SAFETY: the CPU has the features the function is compiled with.
                return Some(MinHash(unsafe { minimums_avx512(shingles) }));
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return Some(MinHash(unsafe { minimums_avx2(shingles) }));
            }
        }
        Some(MinHash(minimums(shingles)))
    }

    /// The estimated Jaccard similarity of the two sets.
    pub fn similarity(&self, other: &MinHash) -> f32 {
        let equal = self.0.iter().zip(other.0.iter()).filter(|(a, b)| a == b).count();
        equal as f32 / PERMUTATIONS as f32
    }

    /// One key per band; two signatures sharing a key are LSH candidates.
    pub fn band_keys(&self) -> [u64; BANDS] {
        let mut keys = [0u64; BANDS];
        for (band, key) in keys.iter_mut().enumerate() {
            let mut bytes = [0u8; ROWS * 4];
            for (row, value) in self.0[band * ROWS..(band + 1) * ROWS].iter().enumerate() {
                bytes[row * 4..row * 4 + 4].copy_from_slice(&value.to_le_bytes());
            }
            *key = xxh3_64_with_seed(&bytes, band as u64);
        }
        keys
    }

    /// Little-endian bytes, for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|value| value.to_le_bytes()).collect()
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<MinHash> {
        if bytes.len() != PERMUTATIONS * 4 {
            return None;
        }
        let mut values = [0u32; PERMUTATIONS];
        for (value, chunk) in values.iter_mut().zip(bytes.chunks_exact(4)) {
            *value = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Some(MinHash(values))
    }
}

/// Word shingles of `terms` (normalized-term hashes in text order): 3-shingles, or 1- and
/// 2-shingles when the text is too short for 3-shingles to say anything.
pub fn shingles(terms: &[u64]) -> Vec<u64> {
    let mut shingles = Vec::with_capacity(terms.len());
    if terms.len() < 8 {
        shingles.extend(terms.iter().copied());
        for pair in terms.windows(2) {
            shingles.push(combine(&[pair[0], pair[1]]));
        }
    } else {
        for triple in terms.windows(3) {
            shingles.push(combine(&[triple[0], triple[1], triple[2]]));
        }
    }
    shingles.sort_unstable();
    shingles.dedup();
    shingles
}

/// A hash of a sequence of term hashes (order matters).
pub fn combine(terms: &[u64]) -> u64 {
    // Shingles are 1 to 3 terms: their bytes fit on the stack (one allocation per shingle
    // was a tenth of computing the features).
    const SHORT: usize = 4;
    if terms.len() <= SHORT {
        let mut bytes = [0u8; SHORT * 8];
        for (chunk, term) in bytes.chunks_exact_mut(8).zip(terms) {
            chunk.copy_from_slice(&term.to_le_bytes());
        }
        return xxh3_64(&bytes[..terms.len() * 8]);
    }
    let bytes: Vec<u8> = terms.iter().flat_map(|term| term.to_le_bytes()).collect();
    xxh3_64(&bytes)
}

/// The permutations: odd multipliers and addends, from a fixed seed. Two arrays rather than
/// pairs, so that vectors load them as they are.
struct Permutations {
    multipliers: [u64; PERMUTATIONS],
    addends: [u64; PERMUTATIONS],
}

fn permutations() -> &'static Permutations {
    static PERMUTATIONS_TABLE: std::sync::OnceLock<Permutations> = std::sync::OnceLock::new();
    PERMUTATIONS_TABLE.get_or_init(|| {
        let mut state = PERMUTATION_SEED;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut table = Permutations { multipliers: [0; PERMUTATIONS], addends: [0; PERMUTATIONS] };
        for index in 0..PERMUTATIONS {
            table.multipliers[index] = next() | 1;
            table.addends[index] = next();
        }
        table
    })
}

/// The minimum of each permutation over the shingles. Inlined into each caller, so that the
/// callers compiled for wider vectors get this loop in their instructions.
#[inline(always)]
fn minimums(shingles: &[u64]) -> [u32; PERMUTATIONS] {
    let permutations = permutations();
    let mut minimums = [u32::MAX; PERMUTATIONS];
    for shingle in shingles {
        for ((minimum, multiplier), addend) in
            minimums.iter_mut().zip(&permutations.multipliers).zip(&permutations.addends)
        {
            // Multiply-shift hashing: the high 32 bits of a*x + b are a good permutation.
            let value = (multiplier.wrapping_mul(*shingle).wrapping_add(*addend) >> 32) as u32;
            *minimum = (*minimum).min(value);
        }
    }
    minimums
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
fn minimums_avx512(shingles: &[u64]) -> [u32; PERMUTATIONS] {
    minimums(shingles)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn minimums_avx2(shingles: &[u64]) -> [u32; PERMUTATIONS] {
    minimums(shingles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<u64> {
        text.split_whitespace().map(|word| xxh3_64(word.as_bytes())).collect()
    }

    #[test]
    fn identical_texts_are_identical_and_different_ones_are_not() {
        let text =
            "serra verde said the dfc offered a financing package worth 565 million dollars to expand output";
        let a = MinHash::of(&shingles(&terms(text))).unwrap();
        let b = MinHash::of(&shingles(&terms(text))).unwrap();
        assert_eq!(a.similarity(&b), 1.0);
        let other = MinHash::of(&shingles(&terms(
            "frontier rare earths secured a 20 million investment and signed an offtake with carester",
        )))
        .unwrap();
        assert!(a.similarity(&other) < 0.1);
        assert_eq!(MinHash::from_bytes(&a.to_bytes()), Some(a.clone()));
        assert!(MinHash::of(&[]).is_none());
    }

    #[test]
    fn estimate_tracks_the_true_jaccard() {
        let base: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let mut changed = base.clone();
        for word in changed.iter_mut().skip(150) {
            *word = format!("{word}x");
        }
        let a = shingles(&terms(&base.join(" ")));
        let b = shingles(&terms(&changed.join(" ")));
        let intersection = a.iter().filter(|s| b.contains(s)).count() as f32;
        let truth = intersection / (a.len() as f32 + b.len() as f32 - intersection);
        let estimate = MinHash::of(&a).unwrap().similarity(&MinHash::of(&b).unwrap());
        assert!((estimate - truth).abs() < 0.12, "estimate {estimate}, truth {truth}");
    }

    #[test]
    fn the_signature_is_stable_across_versions() {
        // If this fails, stored signatures no longer match: bump SIGNATURE_VERSION.
        let signature = MinHash::of(&shingles(&terms("rare earth prices rose on the week"))).unwrap();
        assert_eq!(xxh3_64(&signature.to_bytes()), STABLE_SIGNATURE_HASH);
    }

    #[test]
    fn every_instruction_set_gives_the_same_signature() {
        // Shingles from a fixed generator, in counts around a vector's width.
        let mut state = 7u64;
        for count in [1usize, 3, 17, 200] {
            let shingles: Vec<u64> = (0..count)
                .map(|_| {
                    state =
                        state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    state
                })
                .collect();
            let portable = minimums(&shingles);
            assert_eq!(MinHash::of(&shingles).unwrap().0, portable, "{count} shingles");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                assert_eq!(unsafe { minimums_avx2(&shingles) }, portable, "{count} shingles, AVX2");
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                // SAFETY: the CPU has AVX-512F and DQ.
                assert_eq!(unsafe { minimums_avx512(&shingles) }, portable, "{count} shingles, AVX-512");
            }
        }
        assert_eq!(combine(&[1, 2, 3]), xxh3_64(&[1u64, 2, 3].map(u64::to_le_bytes).concat()));
        let long: Vec<u64> = (0..9).collect();
        assert_eq!(
            combine(&long),
            xxh3_64(&long.iter().flat_map(|term| term.to_le_bytes()).collect::<Vec<u8>>())
        );
    }

    const STABLE_SIGNATURE_HASH: u64 = 14_637_588_255_434_754_282;
}
