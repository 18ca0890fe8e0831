//! The topic and entity filters users type (`query --topic/--entity`, the API's `topic` and
//! `entity` parameters), checked and resolved the same way for both.
//!
//! A topic must be one of the taxonomy's. An entity is resolved through the classifier, so
//! that what users type finds what the classifier stored: an alias gives its canonical name
//! ("DFC" → the agency, "U.S." → United States), a symbol its element ("Nd" → neodymium), an
//! amount its normalised value ("$565M" → 565000000 USD). Text the classifier does not
//! recognise is matched as typed, ignoring case. No I/O here.

use crate::classify::{Classifier, TopicOutline};
use crate::store::normalize_entity;

/// Checks that `topic` is one of the taxonomy's `known` topics; the error lists them.
pub fn check_topic(known: &[TopicOutline], topic: &str) -> Result<String, String> {
    if known.iter().any(|known| known.name == topic) {
        return Ok(topic.to_string());
    }
    let names: Vec<&str> = known.iter().map(|topic| topic.name.as_str()).collect();
    Err(format!("unknown topic `{topic}` (the taxonomy has: {})", names.join(", ")))
}

/// The stored (normalized) entity value that `typed` stands for.
pub fn resolve_entity(classifier: &Classifier, typed: &str) -> String {
    let typed = typed.trim();
    // Symbols and guarded aliases count only next to words that make them unambiguous ("Nd"
    // in an item naming rare earths, "La prices"); a filter has no context, so it is given one, and
    // only an entity found in the typed text itself is taken.
    for (after, body) in [("", ""), ("", "Rare earths."), (" prices", "Rare earths.")] {
        let classification = classifier.classify(&format!("{typed}{after}"), body, &[]);
        let whole = classification.entities.iter().find(|entity| {
            entity.field == crate::analysis::Field::Title
                && entity.span.start == 0
                && entity.span.end >= typed.len().saturating_sub(1)
                && entity.span.end <= typed.len()
        });
        if let Some(entity) = whole {
            return normalize_entity(&entity.value);
        }
    }
    normalize_entity(typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Classifier {
        Classifier::shipped().expect("shipped taxonomy loads")
    }

    #[test]
    fn entities_resolve_through_the_gazetteer_and_the_amount_rules() {
        let classifier = classifier();
        assert_eq!(resolve_entity(&classifier, "serra verde"), "serra verde");
        assert_eq!(resolve_entity(&classifier, "U.S."), "united states");
        assert_eq!(resolve_entity(&classifier, "Brazilian"), "brazil");
        assert_eq!(resolve_entity(&classifier, "Nd"), "neodymium");
        assert_eq!(resolve_entity(&classifier, "$565M"), "565000000 usd");
        assert_eq!(resolve_entity(&classifier, "US$565 mln"), "565000000 usd");
        assert_eq!(resolve_entity(&classifier, "  Some Unknown Thing "), "some unknown thing");
    }

    #[test]
    fn unknown_topics_are_refused_with_the_known_ones() {
        let known = classifier().taxonomy().outline();
        assert_eq!(check_topic(&known, "finance").unwrap(), "finance");
        let error = check_topic(&known, "gossip").unwrap_err();
        assert!(error.contains("`gossip`") && error.contains("finance"), "{error}");
    }
}
