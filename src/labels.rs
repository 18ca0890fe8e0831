//! Users' topic corrections and what is learned from them: `lodestone label` records a
//! correction (it overrides the classifier for that item from then on) and, once there are
//! [`MIN_LABELS_FOR_MODEL`] of them, trains a model (`classify::learn`) that is stored in the
//! database and blended with the rules for every item classified afterwards.
//!
//! The rules stay in charge: the model's default blend only adds a topic it is very sure of
//! (see `classify::learn`, whose doc gives the measurement behind that choice). Training is
//! deterministic and takes well under a second for thousands of labels, so it simply reruns
//! on every label past the minimum.

use std::sync::Arc;

use crate::classify::learn::{self, Labelled, Model, TrainOptions};
use crate::classify::{Classifier, TopicOutline};
use crate::config::topics::ClassifierSetup;
use crate::config::{Config, ConfigError};
use crate::store::{Store, StoreError};

/// Labels needed before a model is trained: fewer says too little to beat hand-set rules.
pub const MIN_LABELS_FOR_MODEL: usize = 50;

/// A label that cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("no item {0}")]
    UnknownItem(i64),
    #[error("{0}")]
    BadTopics(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// What `label` did.
#[derive(Debug, PartialEq)]
pub struct LabelOutcome {
    /// Labels stored now, this one included.
    pub labels: usize,
    /// Items the model was retrained on, when it was.
    pub trained_on: Option<usize>,
}

/// The config's classifier with the stored model blended in, when one was trained and still
/// fits the taxonomy; otherwise the config's own. A model that cannot be read is logged and
/// left out (classification goes on with the rules).
pub fn classifier_with_stored_model(
    rules: &Arc<Classifier>,
    store: &Store,
) -> Result<Arc<Classifier>, StoreError> {
    let Some(json) = store.topic_model()? else {
        return Ok(rules.clone());
    };
    match Model::from_json(&json) {
        Ok(model) => {
            let known = |topic: &String| rules.taxonomy().topic_index(topic).is_some();
            if !model.topics.iter().all(known) {
                tracing::warn!(
                    "The stored topic model names topics the taxonomy no longer has; it is not used. \
                     Label an item to retrain it."
                );
                return Ok(rules.clone());
            }
            let classifier = Classifier::new(rules.taxonomy().clone(), rules.gazetteer().clone());
            Ok(Arc::new(classifier.with_model(model)))
        }
        Err(error) => {
            tracing::warn!(%error, "The stored topic model cannot be read; classifying with the rules alone.");
            Ok(rules.clone())
        }
    }
}

/// Makes `config` classify with `rules` and the stored model (if any), and the store's story
/// engine use the same classifier, which is returned; notes the classifier's fingerprint on
/// first use, and warns when the stored items were tagged by a different taxonomy or gazetteer
/// (`reclassify` is due).
pub fn attach_stored_model(
    config: &mut Config,
    rules: &Arc<Classifier>,
    store: &mut Store,
) -> Result<Arc<Classifier>, StoreError> {
    let classifier = classifier_with_stored_model(rules, store)?;
    config.classifier = ClassifierSetup::ready(classifier.clone());
    store.story_engine().classifier = Some(classifier.clone());
    match store.classifier_fingerprint()? {
        None => store.set_classifier_fingerprint(&config.classifier_fingerprint)?,
        Some(stored) if stored != config.classifier_fingerprint => tracing::warn!(
            "The taxonomy or gazetteers changed since the stored items were tagged; \
             `lodestone reclassify` tags them again with the current ones."
        ),
        Some(_) => {}
    }
    Ok(classifier)
}

/// Checks a label's topics: one to three, each in the taxonomy, none twice.
pub fn check_label_topics(known: &[TopicOutline], topics: &[String]) -> Result<(), LabelError> {
    if topics.is_empty() || topics.len() > 3 {
        return Err(LabelError::BadTopics(format!("give 1 to 3 topics, main first (got {})", topics.len())));
    }
    for (index, topic) in topics.iter().enumerate() {
        crate::filters::check_topic(known, topic).map_err(LabelError::BadTopics)?;
        if topics[..index].contains(topic) {
            return Err(LabelError::BadTopics(format!("topic `{topic}` given twice")));
        }
    }
    Ok(())
}

/// Records that item `item` is about `topics` (main first) and retrains the model when there
/// are enough labels.
pub fn label(
    store: &mut Store,
    config: &Config,
    item: i64,
    topics: &[String],
    now: &str,
) -> Result<LabelOutcome, LabelError> {
    let classifier = config.classifier.get()?;
    check_label_topics(config.classifier.outline()?, topics)?;
    if store.item_text(item)?.is_none() {
        return Err(LabelError::UnknownItem(item));
    }
    store.label_item(item, topics, now)?;
    let labels = store.topic_labels()?;
    if labels.len() < MIN_LABELS_FOR_MODEL {
        return Ok(LabelOutcome { labels: labels.len(), trained_on: None });
    }
    let mut texts = Vec::with_capacity(labels.len());
    for label in &labels {
        if let Some((_, title, body, source)) = store.item_text(label.item)? {
            texts.push((title, body, source, label.topics.clone()));
        }
    }
    let training: Vec<Labelled<'_>> = texts
        .iter()
        .map(|(title, body, source, topics)| Labelled {
            title,
            body,
            source_topics: config
                .source(source)
                .map(|source| source.topics.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            topics: topics.clone(),
        })
        .collect();
    let model = learn::train(&classifier, &training, &TrainOptions::default());
    store.save_topic_model(&model.to_json(), training.len(), now)?;
    Ok(LabelOutcome { labels: labels.len(), trained_on: Some(training.len()) })
}
