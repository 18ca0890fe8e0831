//! Stories: one story per event. Republications and rewrites of one event, across and within
//! sources, are grouped; an item joins the story of its best match, or starts a new one.
//!
//! - `features`: what an item brings (hashes, MinHash, a term vector, key facts), from its text
//!   analysis; `signature`: MinHash and LSH; `vector`: TF-IDF cosine and document frequencies;
//! - `window`: recent items in memory with the keys that find candidates;
//! - `decide`: whether two items report one event; [`assign`]: the best story for a new item.
//!
//! All pure: the store persists features, frequencies and memberships, and rebuilds the window.
//! Two existing stories are never merged (no chaining into giants), and a story stops taking
//! members `close_after` after its latest one.

pub mod decide;
pub mod engine;
pub mod features;
pub mod signature;
pub mod vector;
pub mod window;

use std::time::Duration;

pub use decide::{Comparison, Reason, Side, compare};
pub use engine::{NewMember, Placement, StoryEngine};
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
    /// Joins the story of `matched_item`.
    Join { story: i64, matched_item: i64, reason: Reason, score: f32 },
    /// Starts a story of its own.
    New,
}

/// The best story for a new item among the window's candidates.
pub fn assign(window: &StoryWindow, new: &Side, rare_terms: &[(u64, f32)], settings: &Settings) -> Decision {
    let mut best: Option<(Reason, f32, &WindowEntry)> = None;
    let candidates = if window.len() <= settings.brute_force_below {
        window.all_within(new.published, settings.span_seconds)
    } else {
        window.candidates(new.features, rare_terms, new.published, settings.span_seconds)
    };
    for candidate in candidates {
        let story_open = window
            .story(candidate.story)
            .is_some_and(|story| new.published <= story.last_published + settings.close_after_seconds);
        if !story_open {
            continue;
        }
        let old = Side {
            features: &candidate.features,
            weighted: &candidate.weighted,
            source: candidate.source,
            published: candidate.published,
        };
        if let Some((reason, score)) = compare(new, &old, settings).same_story {
            let better =
                best.is_none_or(|(best_reason, best_score, _)| (reason, score) > (best_reason, best_score));
            if better {
                best = Some((reason, score, candidate));
            }
        }
    }
    match best {
        Some((reason, score, entry)) => {
            Decision::Join { story: entry.story, matched_item: entry.item, reason, score }
        }
        None => Decision::New,
    }
}
