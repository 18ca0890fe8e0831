//! Stories: one story per event. Republications and rewrites of one event, across and within
//! sources, are grouped; an item joins the story of its best match, or starts a new one.
//!
//! - `features`: what an item brings (hashes, MinHash, a term vector, key facts), from its text
//!   analysis; `signature`: MinHash and LSH; `vector`: TF-IDF cosine and document frequencies;
//! - `window`: recent items in memory with the keys that find candidates (`postings`: the items
//!   of each key);
//! - `decide`: whether two items report one event; [`assign`]: the best story for a new item.
//!
//! All pure: the store persists features, frequencies and memberships, and rebuilds the window.
//! Two existing stories are never merged (no chaining into giants), and a story stops taking
//! members `close_after` after its latest one.

pub mod decide;
pub mod engine;
pub mod features;
mod postings;
mod shared_weights;
pub mod signature;
pub mod vector;
pub mod window;

use std::time::Duration;

pub use decide::{Comparison, Reason, Side, compare, same_story, veto};
pub use engine::{Adoption, NewMember, Placement, StoryEngine};
pub use features::{Facts, StoryFeatures, story_features};
pub use vector::{DocumentFrequencies, Weighted, rarest_terms, weigh};
pub use window::{StoryWindow, WindowEntry};

/// A new item looks up this many of its rarest terms in the candidate index.
pub const RARE_TERMS: usize = 24;

/// The `[dedup]` settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Candidates are items published within this of the new one.
    pub span_seconds: i64,
    /// A story takes no new member published this long after its latest.
    pub close_after_seconds: i64,
    /// MinHash Jaccard at or above this: near-identical text.
    pub near_copy: f32,
    /// TF-IDF cosine at or above this: a rewrite of the same event.
    pub rewrite: f32,
    /// Added to `rewrite` for items more than half the span apart.
    pub late_penalty: f32,
    /// Taken from `rewrite` for items within a day whose headlines quote the same exact figure
    /// and that share a commodity.
    pub headline_relief: f32,
    /// The cosine needed between items of one source (or one template series) published more
    /// than `same_source_gap_seconds` apart.
    pub same_source_rewrite: f32,
    pub same_source_gap_seconds: i64,
    /// Relative tolerance when comparing amounts (money, prices, tonnages).
    pub fact_tolerance: f64,
    /// Below this many items in the window every item in the span is compared (exact); above
    /// it, only those the index finds (see ARCHITECTURE.md for where the two cross).
    pub brute_force_below: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            span_seconds: 72 * 3600,
            close_after_seconds: 72 * 3600,
            near_copy: 0.5,
            rewrite: 0.35,
            late_penalty: 0.1,
            headline_relief: 0.15,
            same_source_rewrite: 0.8,
            same_source_gap_seconds: 12 * 3600,
            fact_tolerance: 0.01,
            brute_force_below: 100,
        }
    }
}

impl Settings {
    pub fn span(&self) -> Duration {
        Duration::from_secs(self.span_seconds.max(0) as u64)
    }
}

/// Where a new item goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Joins the story of `matched_item`, bringing along `adopted`: items that started a story
    /// alone (before the new item arrived there was nothing to match) and that the new item
    /// matches as well, as (item, its lone story, reason, score).
    Join { story: i64, matched_item: i64, reason: Reason, score: f32, adopted: Vec<(i64, i64, Reason, f32)> },
    /// Starts a story of its own.
    New,
}

/// The best story for a new item among the window's candidates.
///
/// Items arrive source by source, so an item may have started a story alone because its
/// rewrites came later. When the new item joins a story and also matches such lone items (their
/// story has no other member), it brings them along, provided none of them conflicts with a
/// member of the story it joins: one hop, from an item to its direct matches, never a merge of
/// two stories that already had several members.
pub fn assign(window: &StoryWindow, new: &Side, rare_terms: &[(u64, f32)], settings: &Settings) -> Decision {
    let candidates = if window.len() <= settings.brute_force_below {
        window.all_within(new.published, settings.span_seconds)
    } else {
        window.candidates(new.features, rare_terms, new.published, settings.span_seconds)
    };
    let mut matches: Vec<(Reason, f32, &WindowEntry)> = Vec::new();
    for candidate in candidates {
        let story_open = window
            .story(candidate.story)
            .is_some_and(|story| new.published <= story.last_published + settings.close_after_seconds);
        if !story_open {
            continue;
        }
        if let Some((reason, score)) = same_story(new, &side_of(candidate), settings) {
            matches.push((reason, score, candidate));
        }
    }
    // Best first: the strongest kind of evidence, then the highest score; a multi-item story
    // wins a tie over a lone item, so lone items are the ones brought along.
    // Sizes count members older than the window too: a story whose other members are older
    // is not a lone item's, and is never emptied into another.
    let size = |entry: &WindowEntry| window.story(entry.story).map_or(0, |story| story.size());
    matches.sort_by(|a, b| {
        (b.0, b.1)
            .partial_cmp(&(a.0, a.1))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(size(b.2).cmp(&size(a.2)))
    });
    let Some(&(reason, score, best)) = matches.first() else {
        return Decision::New;
    };
    let members: Vec<&WindowEntry> = window
        .story(best.story)
        .map(|story| story.members.iter().filter_map(|item| window.entry(*item)).collect())
        .unwrap_or_default();
    let mut adopted = Vec::new();
    for &(lone_reason, lone_score, lone) in &matches[1..] {
        // Cheap tests first: most matches are members of the story joined (or of other
        // multi-item stories), and comparing them with every member would cost members².
        let is_alone = lone.story != best.story && size(lone) == 1;
        if !is_alone || adopted.iter().any(|(_, story, _, _)| *story == lone.story) {
            continue;
        }
        let conflicts =
            members.iter().any(|member| veto(&side_of(lone), &side_of(member), settings).is_some());
        if !conflicts {
            adopted.push((lone.item, lone.story, lone_reason, lone_score));
        }
    }
    Decision::Join { story: best.story, matched_item: best.item, reason, score, adopted }
}

fn side_of(entry: &WindowEntry) -> Side<'_> {
    Side {
        features: &entry.features,
        weighted: &entry.weighted,
        source: entry.source,
        published: entry.published,
    }
}
