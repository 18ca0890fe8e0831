//! The stem memo: Snowball stemming is about half the cost of analysing an item, and news
//! repeats its vocabulary, so an `Analysis` reused across items stems each distinct word once.
//! Also the pass-through hasher for maps keyed by term hashes. Neither changes any result.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

/// Word → stem, keyed by the word's [`term_hash`]; the word is kept too, so a hash collision
/// can only cost a miss, never a wrong stem.
#[derive(Clone, Debug, Default)]
pub(crate) struct StemMemo {
    entries: HashMap<u64, (Range<u32>, Range<u32>), BuildHasherDefault<PrehashedHasher>>,
    text: String,
}

/// Distinct words remembered before the memo starts over (a few MB at most).
const STEM_MEMO_CAPACITY: usize = 50_000;

impl StemMemo {
    pub(crate) fn get(&self, word: &str, hash: u64) -> Option<&str> {
        let (word_range, stem_range) = self.entries.get(&hash)?;
        let remembered = &self.text[word_range.start as usize..word_range.end as usize];
        (remembered == word).then(|| &self.text[stem_range.start as usize..stem_range.end as usize])
    }

    pub(crate) fn insert(&mut self, word: &str, hash: u64, stem: &str) {
        if self.entries.len() >= STEM_MEMO_CAPACITY || self.text.len() > u32::MAX as usize / 2 {
            self.entries.clear();
            self.text.clear();
        }
        let word_start = self.text.len();
        self.text.push_str(word);
        let stem_start = self.text.len();
        self.text.push_str(stem);
        let word_range = super::tokens::as_u32_range(word_start, stem_start);
        let stem_range = super::tokens::as_u32_range(stem_start, self.text.len());
        self.entries.insert(hash, (word_range, stem_range));
    }
}

/// A `Hasher` for keys that are already hashes ([`term_hash`](crate::analysis::term_hash) values): passes them through.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// A fast hasher for row ids (sequential integers): one multiplication, no SipHash. The
/// multiplication spreads small ids over the high bits, which the map's probing uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_i64(&mut self, value: i64) {
        self.0 = (value as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by item or story id.
pub type IdMap<V> = std::collections::HashMap<i64, V, std::hash::BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::term_hash;

    #[test]
    fn remembers_stems_and_never_returns_another_words_stem() {
        let mut memo = StemMemo::default();
        memo.insert("financing", term_hash("financing"), "financ");
        assert_eq!(memo.get("financing", term_hash("financing")), Some("financ"));
        // A colliding hash with another word is a miss, not a wrong stem.
        assert_eq!(memo.get("funding", term_hash("financing")), None);
        assert_eq!(memo.get("funding", term_hash("funding")), None);
    }
}
