//! The candidate index: the items of the last few days in memory, keyed so that finding the few
//! items worth comparing with a new one costs the same whatever the size of the database.
//!
//! Keys: each item's terms (a new item looks up only its rarest: names, places, amounts, what
//! rewrites share), its MinHash bands (near-identical text), its exact-text hash and its title
//! hash (flash references). Term hits are ranked by the IDF they share and only the best few
//! candidates are compared, so a lookup costs the same with 1,000 or 100,000 items in the
//! window. The window is a cache of SQLite rows: the store rebuilds it at start-up.

use std::cell::RefCell;
use std::collections::BTreeSet;

use crate::analysis::IdMap;

use super::features::StoryFeatures;
use super::postings::Postings;
use super::shared_weights::SharedWeights;
use super::vector::Weighted;

/// At most this many items are taken from one index key (its most recent).
const MAX_PER_KEY: usize = 32;
/// At most this many items found through shared terms are compared (those sharing the most).
const MAX_TERM_CANDIDATES: usize = 16;

/// One item in the window.
#[derive(Clone, Debug)]
pub struct WindowEntry {
    pub item: i64,
    pub story: i64,
    pub source: i64,
    /// Seconds since the epoch.
    pub published: i64,
    /// Its features; `terms` is emptied (the weighted vector holds the same terms) to keep the
    /// window small.
    pub features: StoryFeatures,
    /// Its TF-IDF vector, weighed when it entered the window.
    pub weighted: Weighted,
}

/// What the window knows of a story: enough to close it, to pick its canonical item, and to
/// tell a lone item's story from one whose other members are older than the window.
#[derive(Clone, Debug, Default)]
pub struct StoryState {
    /// Its members in the window.
    pub members: Vec<i64>,
    /// Its members outside the window: published before it, or evicted from it.
    pub outside: usize,
    /// Seconds since the epoch of its latest member.
    pub last_published: i64,
}

impl StoryState {
    /// How many members the story has, in the window and out of it.
    pub fn size(&self) -> usize {
        self.members.len() + self.outside
    }
}

/// The index.
#[derive(Debug, Default)]
pub struct StoryWindow {
    /// Boxed: an entry is about 1 KB, and a map of them in place would hold up to twice that
    /// per item in empty slots (and move them all when it grows).
    entries: IdMap<Box<WindowEntry>>,
    by_time: BTreeSet<(i64, i64)>,
    by_term: Postings,
    by_band: Postings,
    by_exact: Postings,
    by_title: Postings,
    /// Items whose `[SMM Flash: …]` prefix names a title, keyed by that title's hash.
    by_reference: Postings,
    stories: IdMap<StoryState>,
    /// The buffer `candidates` sums shared IDF in, kept between calls (see [`SharedWeights`]).
    shared_weights: RefCell<SharedWeights>,
}

impl StoryWindow {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn story(&self, story: i64) -> Option<&StoryState> {
        self.stories.get(&story)
    }

    pub fn entry(&self, item: i64) -> Option<&WindowEntry> {
        self.entries.get(&item).map(|entry| &**entry)
    }

    /// Makes room for `items` more items (a batch about to be placed): their entries, stories
    /// and index keys. Most of an item's MinHash bands and its exact and title hashes are keys
    /// of their own; its terms mostly are not, so their map is left to grow.
    pub fn reserve(&mut self, items: usize) {
        self.entries.reserve(items);
        self.stories.reserve(items);
        self.by_band.reserve(items * super::signature::BANDS);
        self.by_exact.reserve(items);
        self.by_title.reserve(items);
    }

    /// Adds an item (already assigned to its story).
    pub fn insert(&mut self, entry: WindowEntry) {
        let item = entry.item;
        // An item inserted again in the same story is no new member: the story keeps its
        // count of older members, even if this item was its last one in the window.
        let outside = self
            .entries
            .get(&item)
            .filter(|old| old.story == entry.story)
            .and_then(|old| self.stories.get(&old.story))
            .map(|story| story.outside);
        self.remove(item);
        for term in &entry.weighted.terms {
            self.by_term.add(*term, item);
        }
        if let Some(minhash) = &entry.features.minhash {
            for key in minhash.band_keys() {
                self.by_band.add(key, item);
            }
        }
        if let Some(exact) = entry.features.exact_hash {
            self.by_exact.add(exact, item);
        }
        self.by_title.add(entry.features.title_hash, item);
        if let Some(reference) = entry.features.flash_reference_hash {
            self.by_reference.add(reference, item);
        }
        self.by_time.insert((entry.published, item));
        let story = self.stories.entry(entry.story).or_default();
        story.outside = outside.unwrap_or(story.outside);
        story.members.push(item);
        story.last_published = story.last_published.max(entry.published);
        self.entries.insert(item, Box::new(entry));
    }

    /// Every item published within `span_seconds` of `published`: the candidates when the window
    /// is small enough that comparing with all of them costs less than looking them up.
    pub fn all_within(&self, published: i64, span_seconds: i64) -> Vec<&WindowEntry> {
        self.by_time
            .range((published - span_seconds, i64::MIN)..=(published + span_seconds, i64::MAX))
            .filter_map(|(_, item)| self.entries.get(item).map(|entry| &**entry))
            .collect()
    }

    /// Items that may be the same story as `features`: those sharing its exact text, a MinHash
    /// band, or a flash reference to or from its title, and the few sharing most of its rarest
    /// terms (by summed IDF); published within `span_seconds` of `published`.
    pub fn candidates(
        &self,
        features: &StoryFeatures,
        query_terms: &[(u64, f32)],
        published: i64,
        span_seconds: i64,
    ) -> Vec<&WindowEntry> {
        let mut found: Vec<i64> = Vec::with_capacity(64 + MAX_TERM_CANDIDATES);
        let mut take = |(front, back): (&[i64], &[i64])| {
            found.extend_from_slice(front);
            found.extend_from_slice(back);
        };
        if let Some(minhash) = &features.minhash {
            for key in minhash.band_keys() {
                take(self.by_band.recent(key, MAX_PER_KEY));
            }
        }
        if let Some(exact) = features.exact_hash {
            take(self.by_exact.recent(exact, MAX_PER_KEY));
        }
        if let Some(reference) = features.flash_reference_hash {
            take(self.by_title.recent(reference, MAX_PER_KEY));
        }
        take(self.by_reference.recent(features.title_hash, MAX_PER_KEY));
        // Each item's IDF is summed in the order of `query_terms`: the same sums, so the same
        // ranking, to the last bit.
        let mut shared = self.shared_weights.borrow_mut();
        shared.start(query_terms.len() * MAX_PER_KEY);
        for (term, idf) in query_terms {
            let (front, back) = self.by_term.recent(*term, MAX_PER_KEY);
            for item in front.iter().chain(back) {
                shared.add(*item, *idf);
            }
        }
        // Most shared weight first, then the latest id (a total order: the same few whatever
        // order the sums come in).
        found.extend(shared.best(MAX_TERM_CANDIDATES).into_iter().map(|(_, item)| item));
        drop(shared);
        found.sort_unstable();
        found.dedup();
        found
            .iter()
            .filter_map(|item| self.entries.get(item).map(|entry| &**entry))
            .filter(|entry| (entry.published - published).abs() <= span_seconds)
            .collect()
    }

    /// Moves an item to another story (a lone item adopted by the story a new item joined).
    pub fn move_to_story(&mut self, item: i64, story: i64) {
        let Some(entry) = self.entries.get_mut(&item) else { return };
        let previous = std::mem::replace(&mut entry.story, story);
        let published = entry.published;
        if let Some(old) = self.stories.get_mut(&previous) {
            old.members.retain(|member| *member != item);
            if old.members.is_empty() {
                self.stories.remove(&previous);
            }
        }
        let state = self.stories.entry(story).or_default();
        state.members.push(item);
        state.last_published = state.last_published.max(published);
    }

    /// Drops items published before `cutoff` (seconds since the epoch). They stay members of
    /// their stories, now outside the window.
    pub fn evict_before(&mut self, cutoff: i64) {
        let old: Vec<i64> = self.by_time.range(..(cutoff, i64::MIN)).map(|(_, item)| *item).collect();
        for item in old {
            if let Some(story) = self.remove(item) {
                story.outside += 1;
            }
        }
    }

    /// Records that `story` has `size` members in all, as stored: those not in the window are
    /// older than it (loaded from the store, a story's earlier members are not).
    pub fn set_stored_size(&mut self, story: i64, size: usize) {
        if let Some(state) = self.stories.get_mut(&story) {
            state.outside = size.saturating_sub(state.members.len());
        }
    }

    /// The published time of the oldest item kept, if any.
    pub fn oldest(&self) -> Option<i64> {
        self.by_time.first().map(|(published, _)| *published)
    }

    /// Takes `item` out of the window; its story's state if the story keeps other members here.
    fn remove(&mut self, item: i64) -> Option<&mut StoryState> {
        let entry = self.entries.remove(&item)?;
        for term in &entry.weighted.terms {
            self.by_term.remove(*term, item);
        }
        if let Some(minhash) = &entry.features.minhash {
            for key in minhash.band_keys() {
                self.by_band.remove(key, item);
            }
        }
        if let Some(exact) = entry.features.exact_hash {
            self.by_exact.remove(exact, item);
        }
        self.by_title.remove(entry.features.title_hash, item);
        if let Some(reference) = entry.features.flash_reference_hash {
            self.by_reference.remove(reference, item);
        }
        self.by_time.remove(&(entry.published, item));
        let story = self.stories.get_mut(&entry.story)?;
        story.members.retain(|member| *member != item);
        if story.members.is_empty() {
            // No item here can join it any more: what the window knows of it can go.
            self.stories.remove(&entry.story);
            return None;
        }
        self.stories.get_mut(&entry.story)
    }
}
