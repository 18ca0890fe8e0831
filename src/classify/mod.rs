//! Classification: every item gets 1–3 topics and its entities (commodities, companies,
//! countries, money, tonnages), each explainable down to the rule, the weight and the bytes.
//!
//! [`Classifier`] is built once from a [`Taxonomy`] (config/topics.toml), a [`Gazetteer`]
//! (config/gazetteers/*.toml) and optionally a learned [`learn::Model`]; [`Classifier::classify`]
//! is then a pure function of an item's title, body and its source's topic hints: no I/O, no
//! clock, no environment, no panics. [`Classifier::explain`] gives the same result with the
//! reasons. [`Facts`] are the numbers and names the story code compares to veto merging two
//! items about different deals.
//!
//! Deliberately not here: storing results, reading files (callers pass text; the shipped data is
//! embedded), and story grouping.

mod aliases;
mod choice;
mod companies;
mod compile;
pub mod entities;
pub mod explain;
mod features;
pub mod gazetteer;
pub mod learn;
mod matching;
pub mod taxonomy;
pub mod topics;

use std::cell::RefCell;
use std::sync::Arc;

pub use entities::{Entity, EntityEvidence};
pub use explain::Explanation;
pub use gazetteer::{EntityKind, Gazetteer, GazetteerError};
pub use taxonomy::{Taxonomy, TaxonomyError, TopicOutline};
pub use topics::{TopicEvidence, TopicScore};

use crate::analysis::{Analysis, Analyzer, Decimal, MeasureKind, Rate};

/// Everything classification says about one item.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    /// 0–3 topics, main first.
    pub topics: Vec<TopicScore>,
    /// Deduplicated; by kind, then by first mention.
    pub entities: Vec<Entity>,
    pub facts: Facts,
}

/// The facts two items must not disagree on to be one story.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    /// Amounts of money (prices excluded: a price moves daily without being another deal).
    pub money: Vec<MoneyFact>,
    /// Tonnages, with their period.
    pub tonnages: Vec<TonnageFact>,
    /// Prices (`75000 CNY/t`).
    pub prices: Vec<MoneyFact>,
    /// Companies named in the title, or at least twice: who the item is about.
    pub main_companies: Vec<Arc<str>>,
    /// Commodities named (canonical names).
    pub commodities: Vec<Arc<str>>,
    /// The earlier title an `[SMM Flash: …]` prefix refers to.
    pub flash_reference: Option<String>,
}

/// An amount of money.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MoneyFact {
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// For prices: per what (`t`, `kg`, `lb`).
    pub per_unit: Option<String>,
}

/// A tonnage in tonnes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TonnageFact {
    pub tonnes: Decimal,
    pub rate: Rate,
}

/// The shipped data did not load (a build defect, caught by the unit tests) or a user file is bad.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error(transparent)]
    Taxonomy(#[from] TaxonomyError),
    #[error(transparent)]
    Gazetteer(#[from] GazetteerError),
}

/// Rules, names and (optionally) a learned model, ready to classify items.
#[derive(Debug)]
pub struct Classifier {
    analyzer: Analyzer,
    taxonomy: Taxonomy,
    gazetteer: Gazetteer,
    model: Option<learn::Model>,
}

thread_local! {
    /// One reusable analysis per thread: keeps per-item work free of buffer allocations and
    /// lets the stem memo warm up. Reusing it changes no result.
    static WORKSPACE: RefCell<Analysis> = RefCell::new(Analysis::default());
}

impl Classifier {
    pub fn new(taxonomy: Taxonomy, gazetteer: Gazetteer) -> Classifier {
        Classifier { analyzer: Analyzer::new(), taxonomy, gazetteer, model: None }
    }

    /// The shipped taxonomy and gazetteers.
    pub fn shipped() -> Result<Classifier, ClassifierError> {
        Ok(Classifier::new(Taxonomy::shipped()?, Gazetteer::shipped()?))
    }

    /// Adds a model learned from corrections (see [`learn`]); rules still decide first.
    pub fn with_model(mut self, model: learn::Model) -> Classifier {
        self.model = Some(model);
        self
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    pub fn model(&self) -> Option<&learn::Model> {
        self.model.as_ref()
    }

    /// Topics, entities and facts of one item. `source_topics` is the source's `topics` hint.
    pub fn classify(&self, title: &str, body: &str, source_topics: &[&str]) -> Classification {
        WORKSPACE.with(|workspace| match workspace.try_borrow_mut() {
            Ok(mut analysis) => {
                self.analyzer.analyze_into(title, body, &mut analysis);
                self.classify_analysis(&analysis, title, body, source_topics)
            }
            // Only reachable if classify is called from inside itself; fall back to a fresh buffer.
            Err(_) => self.classify_analysis(&self.analyzer.analyze(title, body), title, body, source_topics),
        })
    }

    /// Like [`Classifier::classify`] for an item already analyzed (the story code analyzes each
    /// item once and shares the result).
    pub fn classify_analysis(
        &self,
        analysis: &Analysis,
        title: &str,
        body: &str,
        source_topics: &[&str],
    ) -> Classification {
        let (raw, mentions) = self.scores_and_mentions(analysis, title, body, source_topics);
        let topics = self.choose(analysis, &raw, None);
        let entities = entities::deduplicate(mentions);
        let facts = facts_of(analysis, &entities);
        Classification { topics, entities, facts }
    }

    /// The rules' raw score per taxonomy topic (what [`learn`] uses as features).
    pub(crate) fn raw_scores(
        &self,
        analysis: &Analysis,
        title: &str,
        body: &str,
        source_topics: &[&str],
    ) -> Vec<f32> {
        self.scores_and_mentions(analysis, title, body, source_topics).0
    }

    /// The rules' raw scores and the entity mentions they were scored with (company names are
    /// kept out of the topic terms).
    fn scores_and_mentions(
        &self,
        analysis: &Analysis,
        title: &str,
        body: &str,
        source_topics: &[&str],
    ) -> (Vec<f32>, Vec<entities::Mention>) {
        let mentions = entities::find_mentions(&self.gazetteer, analysis, title, body);
        let excluded = entities::company_ranges(&mentions);
        let features = features::item_features(&self.gazetteer, analysis, &mentions, title);
        let input = topics::ScoringInput {
            analysis,
            title,
            body,
            source_topics,
            excluded: &excluded,
            features: &features,
        };
        (topics::raw_scores(&self.taxonomy, &input, None), mentions)
    }

    /// The classification with its reasons, for `lodestone explain ID`.
    pub fn explain(&self, title: &str, body: &str, source_topics: &[&str]) -> Explanation {
        let analysis = self.analyzer.analyze(title, body);
        let mentions = entities::find_mentions(&self.gazetteer, &analysis, title, body);
        let excluded = entities::company_ranges(&mentions);
        let features = features::item_features(&self.gazetteer, &analysis, &mentions, title);
        let input = topics::ScoringInput {
            analysis: &analysis,
            title,
            body,
            source_topics,
            excluded: &excluded,
            features: &features,
        };
        let mut topic_evidence = Vec::new();
        let raw = topics::raw_scores(&self.taxonomy, &input, Some(&mut topic_evidence));
        let topics = self.choose(&analysis, &raw, Some(&mut topic_evidence));
        let entity_evidence = entities::evidence(&mentions);
        let entities = entities::deduplicate(mentions);
        let facts = facts_of(&analysis, &entities);
        explain::build(
            &self.taxonomy,
            Classification { topics, entities, facts },
            &raw,
            topic_evidence,
            entity_evidence,
            (title, body),
        )
    }

    /// Rules choose; a model, when present, is blended in (see [`learn::blend`]).
    fn choose(
        &self,
        analysis: &Analysis,
        raw: &[f32],
        evidence: Option<&mut Vec<TopicEvidence>>,
    ) -> Vec<TopicScore> {
        match &self.model {
            Some(model) => learn::blend(&self.taxonomy, model, analysis, raw, evidence),
            None => choice::choose_topics(&self.taxonomy, raw),
        }
    }
}

/// The facts of an item, from its measures and entities; sorted and deduplicated.
fn facts_of(analysis: &Analysis, entities: &[Entity]) -> Facts {
    let mut facts = Facts { flash_reference: analysis.flash_reference.clone(), ..Facts::default() };
    for measure in &analysis.measures {
        match measure.kind {
            MeasureKind::Money { currency, per_unit } => {
                let fact = MoneyFact {
                    amount: measure.value,
                    currency: currency.to_string(),
                    per_unit: per_unit.map(str::to_string),
                };
                let list = if per_unit.is_some() { &mut facts.prices } else { &mut facts.money };
                if !list.contains(&fact) {
                    list.push(fact);
                }
            }
            MeasureKind::Quantity { rate } => {
                let fact = TonnageFact { tonnes: measure.value, rate };
                if !facts.tonnages.contains(&fact) {
                    facts.tonnages.push(fact);
                }
            }
            MeasureKind::Percent | MeasureKind::Number => {}
        }
    }
    for entity in entities {
        match entity.kind {
            EntityKind::Company if entity.field == crate::analysis::Field::Title || entity.mentions >= 2 => {
                facts.main_companies.push(entity.value.clone());
            }
            EntityKind::Commodity => facts.commodities.push(entity.value.clone()),
            _ => {}
        }
    }
    facts.money.sort_by(|a, b| {
        (a.amount.to_f64(), &a.currency)
            .partial_cmp(&(b.amount.to_f64(), &b.currency))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    facts.tonnages.sort_by(|a, b| a.tonnes.to_f64().total_cmp(&b.tonnes.to_f64()));
    facts.main_companies.sort();
    facts.commodities.sort();
    facts
}

#[cfg(test)]
mod tests;
