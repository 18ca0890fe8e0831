//! The stem memo: Snowball stemming is about half the cost of analysing an item, and news
//! repeats its vocabulary, so an `Analysis` reused across items stems each distinct word once.
//! Also the pass-through hasher for maps keyed by term hashes. Neither changes any result.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Word → stem, keyed by the word's [`term_hash`](crate::analysis::term_hash); the word is kept
/// too, so a hash collision can only cost a miss, never a wrong stem. Word and stem are kept in
/// the entry itself, with the stem's hash: a lookup reads one entry, where ranges into a shared
/// buffer cost two more reads from far apart in memory (the memo was a twentieth of an
/// ingest's CPU samples, nearly all of it waiting for memory). Words too long for an entry are
/// stemmed every time; few are.
#[derive(Clone, Debug, Default)]
pub(crate) struct StemMemo {
    entries: HashMap<u64, MemoEntry, BuildHasherDefault<PrehashedHasher>>,
}

/// One remembered word: 48 bytes with its key.
#[derive(Clone, Copy, Debug)]
struct MemoEntry {
    word: ShortText,
    stem: ShortText,
    stem_hash: u64,
}

/// Text of at most [`SHORT_TEXT_BYTES`] bytes, stored in place.
#[derive(Clone, Copy, Debug)]
struct ShortText {
    length: u8,
    bytes: [u8; SHORT_TEXT_BYTES],
}

const SHORT_TEXT_BYTES: usize = 15;

impl ShortText {
    fn new(text: &str) -> Option<ShortText> {
        let mut bytes = [0; SHORT_TEXT_BYTES];
        bytes.get_mut(..text.len())?.copy_from_slice(text.as_bytes());
        Some(ShortText { length: text.len() as u8, bytes })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.length)]
    }

    fn as_str(&self) -> &str {
        // SAFETY: `new` copied these bytes from a whole `&str` of this length, and nothing
        // changes them since: valid UTF-8. (Checking again cost more than the rest of a lookup.)
        unsafe { std::str::from_utf8_unchecked(self.as_bytes()) }
    }
}

/// Distinct words remembered before the memo starts over (a few MB at most).
const STEM_MEMO_CAPACITY: usize = 50_000;

impl StemMemo {
    /// The stem of `word` (whose term hash is `hash`) and the stem's term hash, if remembered.
    pub(crate) fn get(&self, word: &str, hash: u64) -> Option<(&str, u64)> {
        let entry = self.entries.get(&hash)?;
        (entry.word.as_bytes() == word.as_bytes()).then(|| (entry.stem.as_str(), entry.stem_hash))
    }

    /// Remembers `stem` (with its term hash) for `word`, when both fit an entry.
    pub(crate) fn insert(&mut self, word: &str, hash: u64, stem: &str, stem_hash: u64) {
        let (Some(word), Some(stem)) = (ShortText::new(word), ShortText::new(stem)) else { return };
        if self.entries.len() >= STEM_MEMO_CAPACITY {
            self.entries.clear();
        }
        self.entries.insert(hash, MemoEntry { word, stem, stem_hash });
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
        memo.insert("financing", term_hash("financing"), "financ", term_hash("financ"));
        assert_eq!(memo.get("financing", term_hash("financing")), Some(("financ", term_hash("financ"))));
        // A colliding hash with another word is a miss, not a wrong stem.
        assert_eq!(memo.get("funding", term_hash("financing")), None);
        assert_eq!(memo.get("funding", term_hash("funding")), None);
        // Words longer than an entry holds are not remembered (they are stemmed each time).
        let long = "internationalization";
        memo.insert(long, term_hash(long), "internation", term_hash("internation"));
        assert_eq!(memo.get(long, term_hash(long)), None);
        // Multi-byte text is kept whole.
        memo.insert("équipées", term_hash("équipées"), "équipé", term_hash("équipé"));
        assert_eq!(memo.get("équipées", term_hash("équipées")), Some(("équipé", term_hash("équipé"))));
    }
}
