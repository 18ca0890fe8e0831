//! Learning from corrections: a one-vs-rest logistic regression over an item's stems (title
//! words apart from body words) and the rules' own scores, trained on labelled items (the
//! user's `label` corrections), serialized as JSON for the store, and blended with the rules.
//!
//! Training is deterministic (fixed item order, no random initialization), so the same labels
//! give the same model. Features are binary word presence scaled by 1/√n, plus each topic's
//! rule score relative to its threshold (so the model learns when to trust the rules). The
//! blend ([`Blend`]) is stored in the model; the default keeps every topic the rules give and
//! lets the model add one it is very sure of (p ≥ 0.9), the least harmful blend measured. On the
//! 308 labelled items (2-fold cross-validation by story, tests/classify_quality.rs) no blend
//! beat the rules alone: a model from a few hundred labels is weaker than the hand-set rules,
//! and is worth turning on only once a user's corrections number in the thousands or the user's
//! taxonomy has topics the shipped rules do not cover. Nothing here reads or writes files.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::Classifier;
use super::choice::{choose_topics, score_of};
use super::taxonomy::Taxonomy;
use super::topics::{TopicEvidence, TopicScore};
use crate::analysis::{Analysis, Field, PrehashedHasher, TokenKind, term_hash};

/// The serialized form's version; bump when features change meaning.
pub const MODEL_VERSION: u32 = 1;

/// A labelled item: what the user (or a fixture) says its topics are, main first.
#[derive(Clone, Debug)]
pub struct Labelled<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub source_topics: Vec<&'a str>,
    pub topics: Vec<String>,
}

/// How model probabilities combine with the rules.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blend {
    /// The rules alone (the model is kept but not used).
    RulesOnly,
    /// Every rule topic stays; the model adds topics it gives at least `add_at` (and chooses
    /// alone when the rules chose nothing).
    RulesThenModel { add_at: f32 },
    /// The model's probabilities decide (it sees the rule scores as features).
    Model { threshold: f32 },
}

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 regularization strength.
    pub l2: f32,
    /// A word must occur in this many training items to become a feature.
    pub min_items: usize,
    pub blend: Blend,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            epochs: 40,
            learning_rate: 0.5,
            l2: 1e-4,
            min_items: 2,
            blend: Blend::RulesThenModel { add_at: 0.9 },
        }
    }
}

/// A trained model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub version: u32,
    /// Topic names, in the order of the weights.
    pub topics: Vec<String>,
    /// Feature names: a stem (`financ`), a title stem (`title:financ`), or a rule score
    /// (`rule:finance`).
    pub features: Vec<String>,
    /// Feature-major weights: `weights[feature * topics.len() + topic]`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    pub blend: Blend,
    /// How many labelled items it was trained on.
    pub trained_on: usize,
    #[serde(skip)]
    index: HashMap<u64, u32, BuildHasherDefault<PrehashedHasher>>,
}

/// A model file that does not fit the taxonomy or the format.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("model version {found} is not {MODEL_VERSION}; retrain it")]
    Version { found: u32 },
    #[error("model has {weights} weights for {features} features and {topics} topics")]
    Shape { weights: usize, features: usize, topics: usize },
}

impl Model {
    /// Reads a model stored with [`Model::to_json`].
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        let mut model: Model = serde_json::from_str(json)?;
        if model.version != MODEL_VERSION {
            return Err(ModelError::Version { found: model.version });
        }
        let (features, topics) = (model.features.len(), model.topics.len());
        if model.weights.len() != features * topics || model.bias.len() != topics {
            return Err(ModelError::Shape { weights: model.weights.len(), features, topics });
        }
        model.rebuild_index();
        Ok(model)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Probabilities per taxonomy topic (0 for topics the model does not know).
    pub fn probabilities(&self, taxonomy: &Taxonomy, analysis: &Analysis, raw: &[f32]) -> Vec<f32> {
        let features = self.active_features(taxonomy, analysis, raw);
        let logits = self.logits(&features);
        taxonomy
            .topics
            .iter()
            .map(|topic| {
                self.topics
                    .iter()
                    .position(|name| *name == topic.name)
                    .map_or(0.0, |index| sigmoid(logits[index]))
            })
            .collect()
    }

    fn rebuild_index(&mut self) {
        self.index = self
            .features
            .iter()
            .enumerate()
            .map(|(index, name)| (feature_hash(name), index as u32))
            .collect();
    }

    /// Active features with their values (title/body stems scaled by 1/√n, rule scores).
    fn active_features(&self, taxonomy: &Taxonomy, analysis: &Analysis, raw: &[f32]) -> Vec<(u32, f32)> {
        let mut active: Vec<(u32, f32)> = word_hashes(analysis)
            .into_iter()
            .filter_map(|hash| self.index.get(&hash).map(|index| (*index, 1.0)))
            .collect();
        active.sort_unstable_by_key(|(index, _)| *index);
        active.dedup_by_key(|(index, _)| *index);
        let scale = 1.0 / (active.len().max(1) as f32).sqrt();
        for feature in &mut active {
            feature.1 = scale;
        }
        for (topic_index, topic) in taxonomy.topics.iter().enumerate() {
            let name_hash = feature_hash(&format!("rule:{}", topic.name));
            if let Some(index) = self.index.get(&name_hash) {
                active.push((*index, (raw[topic_index] / topic.threshold).clamp(0.0, 3.0)));
            }
        }
        active
    }

    fn logits(&self, features: &[(u32, f32)]) -> Vec<f32> {
        let topic_count = self.topics.len();
        let mut logits = self.bias.clone();
        for (feature, value) in features {
            let row = *feature as usize * topic_count;
            for (topic, logit) in logits.iter_mut().enumerate() {
                *logit += self.weights.get(row + topic).copied().unwrap_or(0.0) * value;
            }
        }
        logits
    }
}

/// One training item: active features with values, and 0/1 targets per topic.
type Example = (Vec<(u32, f32)>, Vec<f32>);

/// Trains a model on `items` with the classifier's rules as extra features.
pub fn train(classifier: &Classifier, items: &[Labelled<'_>], options: &TrainOptions) -> Model {
    let taxonomy = classifier.taxonomy();
    let topics: Vec<String> = taxonomy.topics.iter().map(|topic| topic.name.clone()).collect();
    let analyses: Vec<(Analysis, Vec<f32>)> = items
        .iter()
        .map(|item| {
            let analysis = crate::analysis::analyze(item.title, item.body);
            let raw = classifier.raw_scores(&analysis, item.title, item.body, &item.source_topics);
            (analysis, raw)
        })
        .collect();
    let features = vocabulary(&analyses, options.min_items, &topics);
    let mut model = Model {
        version: MODEL_VERSION,
        weights: vec![0.0; features.len() * topics.len()],
        bias: vec![0.0; topics.len()],
        topics,
        features,
        blend: options.blend,
        trained_on: items.len(),
        index: HashMap::default(),
    };
    model.rebuild_index();
    let examples: Vec<Example> = analyses
        .iter()
        .zip(items)
        .map(|((analysis, raw), item)| {
            let targets =
                model.topics.iter().map(|topic| f32::from(u8::from(item.topics.contains(topic)))).collect();
            (model.active_features(taxonomy, analysis, raw), targets)
        })
        .collect();
    for epoch in 0..options.epochs {
        let rate = options.learning_rate / (1.0 + epoch as f32 * 0.1);
        for (features, targets) in &examples {
            sgd_step(&mut model, features, targets, rate, options.l2);
        }
    }
    model
}

/// Topics from rules and model together, per the model's [`Blend`].
pub(crate) fn blend(
    taxonomy: &Taxonomy,
    model: &Model,
    analysis: &Analysis,
    raw: &[f32],
    evidence: Option<&mut Vec<TopicEvidence>>,
) -> Vec<TopicScore> {
    let rules = choose_topics(taxonomy, raw);
    if model.blend == Blend::RulesOnly {
        return rules;
    }
    let probabilities = model.probabilities(taxonomy, analysis, raw);
    if let Some(evidence) = evidence {
        for (index, probability) in probabilities.iter().enumerate().filter(|(_, p)| **p >= 0.2) {
            evidence.push(TopicEvidence {
                topic: taxonomy.topics[index].name.clone(),
                rule: format!("model probability {probability:.2}"),
                contribution: 0.0,
                field: None,
                span: None,
            });
        }
    }
    let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let max_topics = taxonomy.settings.max_topics;
    let as_score = |(index, probability): (usize, f32)| TopicScore {
        topic: taxonomy.topics[index].name.clone(),
        score: (probability * 1000.0).round() / 1000.0,
    };
    match model.blend {
        Blend::RulesOnly => rules,
        Blend::RulesThenModel { add_at } => {
            let mut chosen = rules;
            if chosen.is_empty() {
                return ranked.into_iter().take(1).filter(|(_, p)| *p >= 0.5).map(as_score).collect();
            }
            for (index, probability) in ranked {
                let name = &taxonomy.topics[index].name;
                if chosen.len() < max_topics
                    && probability >= add_at
                    && !chosen.iter().any(|t| &t.topic == name)
                {
                    chosen.push(TopicScore { topic: name.clone(), score: score_of(1.0).min(probability) });
                }
            }
            chosen
        }
        Blend::Model { threshold } => {
            let best = ranked.first().copied();
            let mut chosen: Vec<TopicScore> =
                ranked.into_iter().filter(|(_, p)| *p >= threshold).take(max_topics).map(as_score).collect();
            if chosen.is_empty()
                && let Some(best) = best.filter(|(_, p)| *p >= threshold * 0.6)
            {
                chosen.push(as_score(best));
            }
            chosen
        }
    }
}

/// Word features of an analysis: body stems, `title:` stems, and measure kinds, as hashes.
fn word_hashes(analysis: &Analysis) -> Vec<u64> {
    analysis
        .tokens
        .iter()
        .filter(|token| !token.is_stop && matches!(token.kind, TokenKind::Word | TokenKind::Cjk))
        .map(|token| match token.field {
            Field::Title => title_hash(token.stem_hash),
            Field::Body => token.stem_hash,
        })
        .collect()
}

fn title_hash(stem_hash: u64) -> u64 {
    stem_hash.rotate_left(17) ^ 0x7469_746c_653a_0000 // "title:"
}

/// The hash a feature name stands for (see [`word_hashes`]).
fn feature_hash(name: &str) -> u64 {
    match name.strip_prefix("title:") {
        Some(stem) => title_hash(term_hash(stem)),
        None => term_hash(name),
    }
}

/// Feature names: words in at least `min_items` items (sorted, so training is deterministic),
/// then one rule feature per topic.
fn vocabulary(analyses: &[(Analysis, Vec<f32>)], min_items: usize, topics: &[String]) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (analysis, _) in analyses {
        let mut seen: Vec<String> = analysis
            .tokens
            .iter()
            .filter(|token| !token.is_stop && matches!(token.kind, TokenKind::Word | TokenKind::Cjk))
            .map(|token| match token.field {
                Field::Title => format!("title:{}", analysis.stem(token)),
                Field::Body => analysis.stem(token).to_string(),
            })
            .collect();
        seen.sort();
        seen.dedup();
        for name in seen {
            *counts.entry(name).or_default() += 1;
        }
    }
    let mut names: Vec<String> =
        counts.into_iter().filter(|(_, count)| *count >= min_items).map(|(name, _)| name).collect();
    names.sort();
    names.extend(topics.iter().map(|topic| format!("rule:{topic}")));
    names
}

fn sgd_step(model: &mut Model, features: &[(u32, f32)], targets: &[f32], rate: f32, l2: f32) {
    let logits = model.logits(features);
    let topic_count = model.topics.len();
    for topic in 0..topic_count {
        let error = sigmoid(logits[topic]) - targets[topic];
        model.bias[topic] -= rate * error;
        for (feature, value) in features {
            let slot = &mut model.weights[*feature as usize * topic_count + topic];
            *slot -= rate * (error * value + l2 * *slot);
        }
    }
}

fn sigmoid(value: f32) -> f32 {
    1.0 / (1.0 + (-value).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<Labelled<'static>> {
        let item = |title: &'static str, body: &'static str, topic: &str| Labelled {
            title,
            body,
            source_topics: Vec::new(),
            topics: vec![topic.to_string()],
        };
        vec![
            item(
                "Smelter output rises",
                "Smelter output rose in March as the plant ran at full rate.",
                "supply",
            ),
            item("Mine output falls", "Output fell after the plant halted its kilns.", "supply"),
            item("Plant raises output", "The plant ran at full rate and output rose.", "supply"),
            item("Miner signs loan", "The miner signed a loan with its bankers.", "finance"),
            item("Bank lends to miner", "Bankers agreed a loan to the miner.", "finance"),
            item("Miner closes loan", "The loan from bankers closed on Monday.", "finance"),
        ]
    }

    #[test]
    fn training_is_deterministic_and_round_trips_through_json() {
        let classifier = Classifier::shipped().unwrap();
        let options = TrainOptions { min_items: 1, ..TrainOptions::default() };
        let first = train(&classifier, &examples(), &options);
        let second = train(&classifier, &examples(), &options);
        assert_eq!(first, second);
        let restored = Model::from_json(&first.to_json()).unwrap();
        assert_eq!(restored, first);
        assert_eq!(restored.trained_on, 6);
        assert!(restored.features.iter().any(|feature| feature == "loan"));
    }

    #[test]
    fn the_model_learns_words_the_rules_do_not_have() {
        let classifier = Classifier::shipped().unwrap();
        let options = TrainOptions {
            min_items: 1,
            epochs: 80,
            blend: Blend::Model { threshold: 0.5 },
            ..TrainOptions::default()
        };
        let model = train(&classifier, &examples(), &options);
        let analysis = crate::analysis::analyze("Bankers back miner", "Bankers backed the miner.");
        let raw = classifier.raw_scores(&analysis, "Bankers back miner", "Bankers backed the miner.", &[]);
        let probabilities = model.probabilities(classifier.taxonomy(), &analysis, &raw);
        let finance = classifier.taxonomy().topic_index("finance").unwrap();
        let supply = classifier.taxonomy().topic_index("supply").unwrap();
        assert!(probabilities[finance] > probabilities[supply], "{probabilities:?}");
        let blended =
            classifier.with_model(model).classify("Bankers back miner", "Bankers backed the miner.", &[]);
        assert_eq!(blended.topics.first().map(|topic| topic.topic.as_str()), Some("finance"));
    }

    #[test]
    fn bad_model_files_are_errors() {
        assert!(matches!(Model::from_json("{"), Err(ModelError::Json(_))));
        let classifier = Classifier::shipped().unwrap();
        let model =
            train(&classifier, &examples(), &TrainOptions { min_items: 1, ..TrainOptions::default() });
        let wrong_version = model.to_json().replace("\"version\":1", "\"version\":99");
        assert!(matches!(Model::from_json(&wrong_version), Err(ModelError::Version { found: 99 })));
        let mut truncated = model.clone();
        truncated.weights.pop();
        assert!(matches!(Model::from_json(&truncated.to_json()), Err(ModelError::Shape { .. })));
    }
}
