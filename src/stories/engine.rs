//! The story state kept in memory beside the store: the window of recent items, the document
//! frequencies, the settings; and placing a new item in a story.
//!
//! A cache of SQLite rows, nothing more: the store persists every decision in the same
//! transaction as the items, and the window can always be rebuilt (at start-up, after a
//! backfill reaches back in time, after `restory`). Placing items is pure given this state.

use super::vector::{DocumentFrequencies, Weighted, add_and_weigh, weigh};
use super::window::{StoryWindow, WindowEntry};
use super::{Decision, RARE_TERMS, Settings, Side, StoryFeatures, assign};

/// The in-memory story state.
#[derive(Debug, Default)]
pub struct StoryEngine {
    pub window: StoryWindow,
    pub frequencies: DocumentFrequencies,
    pub settings: Settings,
    /// Classifies items whose features are recomputed from their stored text (window rebuilds,
    /// `restory`), so they match what the pipeline computed when storing them. Set by
    /// `labels::attach_stored_model`, which every command that places items calls first;
    /// without it rebuilt features lack entity terms and facts (the store warns).
    pub classifier: Option<std::sync::Arc<crate::classify::Classifier>>,
    /// The window holds every item published at or after this (seconds since the epoch); None
    /// until it has been loaded.
    pub complete_from: Option<i64>,
    /// SQLite's `data_version` when the store last wrote with this state: another connection's
    /// commit changes it, and the state is then reloaded.
    pub database_version: Option<i64>,
    /// The vector `place` weighed for an item, with the number of documents then: reused by
    /// `remember` for the same item while the frequencies have not changed (they change only
    /// when a document is counted, forgotten terms included, so the same count means the same
    /// frequencies).
    last_weighted: Option<(i64, u32, Weighted)>,
}

/// A new item to place.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub item: i64,
    pub source: i64,
    /// Seconds since the epoch.
    pub published: i64,
    pub features: StoryFeatures,
}

/// Where a new item was placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// The story it joined, or None: it starts a new story (the caller creates it).
    pub joined: Option<i64>,
    pub matched_item: Option<i64>,
    pub reason: &'static str,
    pub score: f32,
    /// Lone items it brings into that story (see [`super::assign`]).
    pub adopted: Vec<Adoption>,
}

/// A lone item moved into the story a new item joined, because the new item matches it.
#[derive(Clone, Debug, PartialEq)]
pub struct Adoption {
    pub item: i64,
    /// The story it leaves (it was its only member).
    pub from_story: i64,
    pub reason: &'static str,
    pub score: f32,
}

impl StoryEngine {
    pub fn new(settings: Settings) -> StoryEngine {
        StoryEngine { settings, ..StoryEngine::default() }
    }

    /// Decides where `member` goes and counts its terms in the document frequencies. The caller
    /// then stores the decision and calls [`StoryEngine::remember`] with the story id.
    pub fn place(&mut self, member: &NewMember) -> Placement {
        let (weighted, rare) = add_and_weigh(&member.features.terms, &mut self.frequencies, RARE_TERMS);
        let side = Side {
            features: &member.features,
            weighted: &weighted,
            source: member.source,
            published: member.published,
        };
        let decision = assign(&self.window, &side, &rare, &self.settings);
        self.last_weighted = Some((member.item, self.frequencies.documents(), weighted));
        match decision {
            Decision::Join { story, matched_item, reason, score, adopted } => {
                let adopted: Vec<Adoption> = adopted
                    .into_iter()
                    .map(|(item, from_story, reason, score)| Adoption {
                        item,
                        from_story,
                        reason: reason.as_str(),
                        score,
                    })
                    .collect();
                for adoption in &adopted {
                    self.window.move_to_story(adoption.item, story);
                }
                Placement {
                    joined: Some(story),
                    matched_item: Some(matched_item),
                    reason: reason.as_str(),
                    score,
                    adopted,
                }
            }
            Decision::New => Placement {
                joined: None,
                matched_item: None,
                reason: "first",
                score: 1.0,
                adopted: Vec::new(),
            },
        }
    }

    /// Adds a placed item to the window, so later items can match it.
    pub fn remember(&mut self, member: NewMember, story: i64) {
        let mut features = member.features;
        let weighted = match self.last_weighted.take() {
            Some((item, documents, weighted))
                if item == member.item && documents == self.frequencies.documents() =>
            {
                weighted
            }
            _ => weigh(&features.terms, &self.frequencies),
        };
        // The weighted vector has the same terms: no need to keep them twice.
        features.terms = Vec::new();
        self.window.insert(WindowEntry {
            item: member.item,
            story,
            source: member.source,
            published: member.published,
            features,
            weighted,
        });
    }

    /// Drops items no new item can match any more: published more than a span before both
    /// `oldest_needed` (the oldest item about to be placed) and `now`.
    pub fn evict(&mut self, oldest_needed: i64, now: i64) {
        let cutoff = oldest_needed.min(now) - self.settings.span_seconds;
        self.window.evict_before(cutoff);
        if let Some(complete_from) = self.complete_from {
            self.complete_from = Some(complete_from.max(cutoff));
        }
    }

    /// The range (from, to) of publication times to load from the store before items as old as
    /// `oldest_needed` can be placed, if the window does not cover it yet.
    pub fn missing_range(&self, oldest_needed: i64) -> Option<(i64, i64)> {
        let wanted_from = oldest_needed - self.settings.span_seconds;
        match self.complete_from {
            None => Some((wanted_from, i64::MAX)),
            Some(complete_from) if wanted_from < complete_from => Some((wanted_from, complete_from)),
            Some(_) => None,
        }
    }

    /// Empties the window and frequencies (kept settings), to be reloaded from the database on
    /// next use: after a rolled-back transaction, or `restory`.
    pub fn forget(&mut self) {
        *self =
            StoryEngine { classifier: self.classifier.clone(), ..StoryEngine::new(self.settings.clone()) };
    }

    /// The features of a stored item, from its text: as the pipeline computed them.
    /// Guarded like the pipeline's stages (`pipeline::prepare_item`): a stored item whose text
    /// the analysis cannot read (a bug) gets the features of an empty text and matches nothing,
    /// instead of failing every fetch that rebuilds the window.
    pub fn features_of(&self, title: &str, body_text: &str, source_topics: &[&str]) -> super::StoryFeatures {
        let computed = crate::parse::catch_panic(|| {
            crate::analysis::with_analysis(title, body_text, |analysis| {
                let classification = self.classifier.as_ref().map(|classifier| {
                    classifier.classify_analysis(analysis, title, body_text, source_topics)
                });
                super::story_features(analysis, classification.as_ref())
            })
        });
        computed.unwrap_or_else(|message| {
            tracing::error!(%message, title, "A stored item's story features could not be computed (a bug).");
            super::story_features(&crate::analysis::Analysis::default(), None)
        })
    }

    /// Records that the window now holds every item published from `from`.
    pub fn mark_complete_from(&mut self, from: i64) {
        self.complete_from = Some(self.complete_from.map_or(from, |current| current.min(from)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::stories::story_features;

    const TITLE: &str = "Serra Verde gets $565 million DFC loan for Brazil rare earth mine";
    const BODY: &str = "The US International Development Finance Corporation approved a $565 million \
        loan to Serra Verde for its Pela Ema rare earth project in Goias, Brazil, to expand output \
        of neodymium and praseodymium concentrate by 2027.";

    fn member(item: i64, hour: i64) -> NewMember {
        NewMember {
            item,
            // Each from its own source: a source rarely repeats itself, other outlets do.
            source: item,
            published: 1_770_000_000 + hour * 3600,
            features: story_features(&analyze(TITLE, BODY), None),
        }
    }

    /// Story 10 has three members; item 4 is alone in the window in story 20. A new copy of
    /// the text joins story 10 and brings item 4 along only if story 20 has no other member.
    fn adopted_when_story_20_has(older_members: usize) -> Vec<i64> {
        let mut engine = StoryEngine::default();
        for item in 1..=3 {
            engine.remember(member(item, item), 10);
        }
        engine.remember(member(4, 4), 20);
        engine.window.set_stored_size(20, 1 + older_members);
        let placement = engine.place(&member(5, 5));
        assert_eq!(placement.joined, Some(10));
        placement.adopted.iter().map(|adoption| adoption.item).collect()
    }

    #[test]
    fn a_lone_item_is_brought_along_but_not_one_whose_story_has_older_members() {
        assert_eq!(adopted_when_story_20_has(0), vec![4]);
        assert_eq!(adopted_when_story_20_has(1), Vec::<i64>::new());
    }

    #[test]
    fn evicted_members_still_count_in_their_story() {
        let mut engine = StoryEngine::default();
        engine.remember(member(1, 0), 10);
        engine.remember(member(2, 100), 10);
        engine.window.evict_before(1_770_000_000 + 50 * 3600);
        let story = engine.window.story(10).expect("story 10 keeps a member in the window");
        assert_eq!((story.members.len(), story.size()), (1, 2));
        // Placing the same item again (an update) is not a new member.
        engine.remember(member(2, 100), 10);
        assert_eq!(engine.window.story(10).map(|story| story.size()), Some(2));
        engine.window.evict_before(1_770_000_000 + 200 * 3600);
        assert!(engine.window.story(10).is_none(), "a story with no member in the window is forgotten");
    }
}
