//! Why an item got its topics and entities: the data behind `lodestone explain ID`.
//!
//! [`Explanation`] is plain data (serializable, for `--format json`) and prints itself as text
//! for the terminal. It lists every topic that scored anything, chosen or not, with each rule's
//! contribution and where it matched, and every entity mention with the rule that found it.

use std::fmt;
use std::ops::Range;

use super::Classification;
use super::choice::score_of;
use super::entities::EntityEvidence;
use super::taxonomy::Taxonomy;
use super::topics::TopicEvidence;
use crate::analysis::Field;

/// A classification and its reasons.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub classification: Classification,
    /// Every topic with a non-zero raw score, best first.
    pub topics: Vec<TopicExplanation>,
    /// Every entity mention, in text order, with the rule that found it.
    pub entity_mentions: Vec<MentionExplanation>,
}

/// One topic's score and what made it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TopicExplanation {
    pub topic: String,
    pub raw: f32,
    pub threshold: f32,
    pub score: f32,
    pub chosen: bool,
    /// Largest contribution first.
    pub reasons: Vec<Reason>,
}

/// One rule's contribution to a topic.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reason {
    pub rule: String,
    pub contribution: f32,
    pub field: Option<Field>,
    pub span: Option<Range<usize>>,
    /// The matched text, as written.
    pub text: Option<String>,
}

/// One entity mention and the rule that found it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MentionExplanation {
    #[serde(flatten)]
    pub evidence: EntityEvidence,
    pub text: String,
}

pub(crate) fn build(
    taxonomy: &Taxonomy,
    classification: Classification,
    raw: &[f32],
    topic_evidence: Vec<TopicEvidence>,
    entity_evidence: Vec<EntityEvidence>,
    (title, body): (&str, &str),
) -> Explanation {
    let text_of = |field: Field, span: &Range<usize>| {
        let text = if field == Field::Title { title } else { body };
        text.get(span.clone()).unwrap_or("").to_string()
    };
    let mut topics: Vec<TopicExplanation> = taxonomy
        .topics
        .iter()
        .enumerate()
        .filter(|(index, topic)| {
            raw[*index] != 0.0 || topic_evidence.iter().any(|evidence| evidence.topic == topic.name)
        })
        .map(|(index, topic)| {
            let mut reasons: Vec<Reason> = topic_evidence
                .iter()
                .filter(|evidence| evidence.topic == topic.name)
                .map(|evidence| Reason {
                    rule: evidence.rule.clone(),
                    contribution: evidence.contribution,
                    field: evidence.field,
                    span: evidence.span.clone(),
                    text: evidence
                        .field
                        .zip(evidence.span.as_ref())
                        .map(|(field, span)| text_of(field, span)),
                })
                .collect();
            reasons.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            let chosen = classification.topics.iter().any(|chosen| chosen.topic == topic.name);
            let score = classification
                .topics
                .iter()
                .find(|chosen| chosen.topic == topic.name)
                .map_or(score_of(raw[index] / topic.threshold), |chosen| chosen.score);
            TopicExplanation {
                topic: topic.name.clone(),
                raw: raw[index],
                threshold: topic.threshold,
                score,
                chosen,
                reasons,
            }
        })
        .collect();
    topics.sort_by(|a, b| b.chosen.cmp(&a.chosen).then(b.score.total_cmp(&a.score)));
    let mut entity_mentions: Vec<MentionExplanation> = entity_evidence
        .into_iter()
        .map(|evidence| MentionExplanation { text: text_of(evidence.field, &evidence.span), evidence })
        .collect();
    entity_mentions.sort_by_key(|mention| (mention.evidence.field, mention.evidence.span.start));
    Explanation { classification, topics, entity_mentions }
}

impl fmt::Display for Explanation {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(out, "topics:")?;
        if self.topics.is_empty() {
            writeln!(out, "  (no rule matched)")?;
        }
        for topic in &self.topics {
            let mark = if topic.chosen { "*" } else { " " };
            writeln!(
                out,
                "{mark} {:<15} score {:.2}  (raw {:.2}, threshold {:.2})",
                topic.topic, topic.score, topic.raw, topic.threshold
            )?;
            for reason in &topic.reasons {
                write!(out, "      {:+6.2}  {}", reason.contribution, reason.rule)?;
                if let (Some(field), Some(span), Some(text)) = (reason.field, &reason.span, &reason.text) {
                    write!(out, "  at {} {}..{} \"{text}\"", field_name(field), span.start, span.end)?;
                }
                writeln!(out)?;
            }
        }
        writeln!(out, "entities:")?;
        if self.entity_mentions.is_empty() {
            writeln!(out, "  (none)")?;
        }
        for mention in &self.entity_mentions {
            let evidence = &mention.evidence;
            writeln!(
                out,
                "  {:<10} {:<28} {}  at {} {}..{} \"{}\"",
                evidence.kind.as_str(),
                evidence.value,
                evidence.rule,
                field_name(evidence.field),
                evidence.span.start,
                evidence.span.end,
                mention.text
            )?;
        }
        Ok(())
    }
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Title => "title",
        Field::Body => "body",
    }
}

#[cfg(test)]
mod tests {
    use crate::classify::Classifier;

    #[test]
    fn unchosen_topics_and_every_mention_are_listed() {
        let classifier = Classifier::shipped().unwrap();
        let title = "Lynas posts record output";
        let body = "Lynas Rare Earths produced 2,103 mt of NdPr oxide, and prices rose.";
        let explanation = classifier.explain(title, body, &[]);
        assert!(explanation.topics.first().is_some_and(|topic| topic.chosen), "chosen topics come first");
        assert!(explanation.topics.windows(2).all(|pair| pair[0].chosen >= pair[1].chosen));
        let texts: Vec<&str> =
            explanation.entity_mentions.iter().map(|mention| mention.text.as_str()).collect();
        assert_eq!(texts, ["Lynas", "Lynas Rare Earths", "2,103 mt", "NdPr oxide"]);
        let printed = explanation.to_string();
        assert!(printed.starts_with("topics:\n* supply"), "{printed}");
        assert!(printed.contains("quantity   2103 t"), "{printed}");
    }

    #[test]
    fn an_empty_item_explains_that_nothing_matched() {
        let explanation = Classifier::shipped().unwrap().explain("", "", &[]);
        assert_eq!(explanation.to_string(), "topics:\n  (no rule matched)\nentities:\n  (none)\n");
    }
}
