//! Topic scores from the taxonomy's rules: every term, phrase and pattern found in an item adds
//! its weight, scaled by where it is (title, lead sentences, the rest) and with diminishing
//! returns for repeats; negative terms subtract; a source's topic hint adds a fixed share.
//! Matching a term is in `matching`; choosing topics from the scores is in `choice`.

use std::ops::Range;

use super::features::Feature;
use super::matching::{Measures, sentence_has, words_end};
use super::taxonomy::{Settings, Taxonomy, TermWord, Topic};
use crate::analysis::{Analysis, Field, Token};

/// One topic given to an item.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TopicScore {
    pub topic: String,
    /// 0..1; 0.5 means "just at the threshold".
    pub score: f32,
}

/// One reason for a topic's score, for `explain`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TopicEvidence {
    pub topic: String,
    /// `term "financing"`, `negative "price"`, `pattern "\bIPO\b"`, `source hint`, `model`.
    pub rule: String,
    /// What it added to the raw score (after position weights and diminishing repeats).
    pub contribution: f32,
    /// Where it matched (the first match when it matched several times); None for hints.
    pub field: Option<Field>,
    pub span: Option<Range<usize>>,
}

/// Repeats of one term count 1, ½, ¼; a fourth mention adds nothing.
const REPEAT_FACTORS: [f32; 3] = [1.0, 0.5, 0.25];

/// One match of a rule, before saturation.
#[derive(Clone, Debug)]
struct Hit {
    rule: RuleRef,
    topic: u16,
    /// Rule weight × position weight × repeat factor.
    value: f32,
    field: Field,
    sentence: u32,
    span: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleRef {
    Term { term: u32 },
    Pattern { pattern: u32 },
}

/// What an item is scored on: its analysis, texts, source hints, and the token ranges of
/// company names, whose words say nothing about the topic ("Phoenix Tailings").
pub(crate) struct ScoringInput<'a> {
    pub analysis: &'a Analysis,
    pub title: &'a str,
    pub body: &'a str,
    pub source_topics: &'a [&'a str],
    pub excluded: &'a [Range<usize>],
    /// Item features found by the classifier (`<state-actor>`, `<state-pair>`, `<state-body>`).
    pub features: &'a [Feature],
}

/// Raw scores per topic (in taxonomy order).
pub(crate) fn raw_scores(
    taxonomy: &Taxonomy,
    input: &ScoringInput<'_>,
    mut evidence: Option<&mut Vec<TopicEvidence>>,
) -> Vec<f32> {
    let ScoringInput { analysis, title, body, source_topics, excluded, features } = *input;
    let mut hits: Vec<Hit> = Vec::new();
    let measures = Measures::new(analysis, (title, body));
    let mut excluded_ranges = excluded.iter().peekable();
    for (index, token) in analysis.tokens.iter().enumerate() {
        while excluded_ranges.peek().is_some_and(|range| range.end <= index) {
            excluded_ranges.next();
        }
        if excluded_ranges.peek().is_some_and(|range| range.contains(&index)) {
            continue;
        }
        let measure_hash = measures.of(analysis, index);
        let norm_hash = Some(token.norm_hash).filter(|hash| *hash != token.stem_hash);
        for key in [Some(token.stem_hash), norm_hash, measure_hash].into_iter().flatten() {
            let Some(references) = taxonomy.index.get(&key) else { continue };
            for reference in references {
                let topic = &taxonomy.topics[usize::from(reference.topic)];
                let term = &topic.terms[reference.term as usize];
                let Some(end) = words_end(analysis, index, &term.words, &measures) else { continue };
                if term.context.is_empty() || sentence_has(analysis, index, &term.context, &measures) {
                    hits.push(Hit {
                        rule: RuleRef::Term { term: reference.term },
                        topic: reference.topic,
                        value: term.weight * position_weight(&taxonomy.settings, topic, token),
                        field: token.field,
                        sentence: token.sentence,
                        span: token.span.start..analysis.tokens[end - 1].span.end,
                    });
                }
            }
        }
    }
    pattern_hits(taxonomy, analysis, (title, body), &mut hits);
    feature_hits(taxonomy, analysis, features, &mut hits);
    let contributions = saturate(taxonomy, &mut hits);
    let mut raw = vec![0.0f32; taxonomy.topics.len()];
    for (hit, contribution) in hits.iter().zip(&contributions) {
        raw[usize::from(hit.topic)] += contribution;
    }
    let gated = apply_required(taxonomy, &hits, &mut raw);
    if let Some(evidence) = evidence.as_deref_mut() {
        explain_hits(taxonomy, &hits, &contributions, evidence);
        for (topic_index, share) in gated {
            evidence.push(TopicEvidence {
                topic: taxonomy.topics[topic_index].name.clone(),
                rule: format!("no required term: score x{share}"),
                contribution: 0.0,
                field: None,
                span: None,
            });
        }
    }
    for hinted in source_topics {
        if let Some(index) = taxonomy.topic_index(hinted) {
            let contribution = taxonomy.settings.source_hint * taxonomy.topics[index].threshold;
            raw[index] += contribution;
            if let Some(evidence) = evidence.as_deref_mut() {
                evidence.push(TopicEvidence {
                    topic: taxonomy.topics[index].name.clone(),
                    rule: "source hint".to_string(),
                    contribution,
                    field: None,
                    span: None,
                });
            }
        }
    }
    raw
}

/// Item features (`<state-actor>`, `<state-pair>`, `<state-body>`) as hits of the terms that name them,
/// weighed by where they are like words.
fn feature_hits(taxonomy: &Taxonomy, analysis: &Analysis, features: &[Feature], hits: &mut Vec<Hit>) {
    for feature in features {
        let Some(references) = taxonomy.index.get(&feature.hash) else { continue };
        let Some(token) = analysis.tokens.get(feature.token) else { continue };
        for reference in references {
            let topic = &taxonomy.topics[usize::from(reference.topic)];
            let term = &topic.terms[reference.term as usize];
            if term.words != [TermWord::Feature(feature.hash)] {
                continue;
            }
            hits.push(Hit {
                rule: RuleRef::Term { term: reference.term },
                topic: reference.topic,
                value: term.weight * position_weight(&taxonomy.settings, topic, token),
                field: token.field,
                sentence: token.sentence,
                span: feature.span.clone(),
            });
        }
    }
}

/// Topics with `required` terms of which none matched, and with no term in the title, keep only
/// `missing_required_share` of their score. Returns the topics so reduced.
fn apply_required(taxonomy: &Taxonomy, hits: &[Hit], raw: &mut [f32]) -> Vec<(usize, f32)> {
    let share = taxonomy.settings.missing_required_share;
    let mut gated = Vec::new();
    for (topic_index, topic) in taxonomy.topics.iter().enumerate() {
        if topic.required.is_empty() || raw[topic_index] <= 0.0 {
            continue;
        }
        let open = hits.iter().filter(|hit| usize::from(hit.topic) == topic_index).any(|hit| {
            let required =
                matches!(hit.rule, RuleRef::Term { term } if topic.required.contains(&(term as usize)));
            required || (hit.field == Field::Title && hit.value > 0.0)
        });
        if !open {
            raw[topic_index] *= share;
            gated.push((topic_index, share));
        }
    }
    gated
}

/// What each hit adds: repeats of a rule fade (1, ½, ¼, then nothing), and within one sentence
/// a topic's strongest cue counts fully and the others by `sentence_share` (a list such as "EVs,
/// aerospace and wind turbines" is one mention of end uses, not three). Negative terms always
/// count fully.
fn saturate(taxonomy: &Taxonomy, hits: &mut [Hit]) -> Vec<f32> {
    // Repeat factors, in text order (title first, then body).
    hits.sort_by_key(|hit| (hit.topic, hit.field, hit.span.start));
    let mut seen: Vec<(u16, RuleRef, usize)> = Vec::new();
    for hit in hits.iter_mut() {
        let count = match seen.iter_mut().find(|(topic, rule, _)| *topic == hit.topic && *rule == hit.rule) {
            Some(entry) => {
                entry.2 += 1;
                entry.2
            }
            None => {
                seen.push((hit.topic, hit.rule, 0));
                0
            }
        };
        hit.value *= REPEAT_FACTORS.get(count).copied().unwrap_or(0.0);
    }
    let share = taxonomy.settings.sentence_share;
    let mut contributions = vec![0.0f32; hits.len()];
    let mut start = 0;
    while start < hits.len() {
        let key = (hits[start].topic, hits[start].field, hits[start].sentence);
        let end = start
            + hits[start..].iter().take_while(|hit| (hit.topic, hit.field, hit.sentence) == key).count();
        let strongest = (start..end)
            .filter(|index| hits[*index].value > 0.0)
            .max_by(|a, b| hits[*a].value.total_cmp(&hits[*b].value).then(b.cmp(a)));
        for index in start..end {
            let value = hits[index].value;
            contributions[index] =
                if value < 0.0 || Some(index) == strongest { value } else { value * share };
        }
        start = end;
    }
    contributions
}

/// One evidence line per rule and topic: its total contribution and first match.
fn explain_hits(taxonomy: &Taxonomy, hits: &[Hit], contributions: &[f32], evidence: &mut Vec<TopicEvidence>) {
    let mut lines: Vec<(u16, RuleRef, TopicEvidence)> = Vec::new();
    for (hit, contribution) in hits.iter().zip(contributions) {
        if let Some((_, _, line)) =
            lines.iter_mut().find(|(topic, rule, _)| *topic == hit.topic && *rule == hit.rule)
        {
            line.contribution += contribution;
            continue;
        }
        let topic = &taxonomy.topics[usize::from(hit.topic)];
        let rule = match hit.rule {
            RuleRef::Term { term } => {
                let term = &topic.terms[term as usize];
                format!("{} \"{}\"", if term.weight < 0.0 { "negative" } else { "term" }, term.text)
            }
            RuleRef::Pattern { pattern } => format!("pattern \"{}\"", topic.patterns[pattern as usize].text),
        };
        let line = TopicEvidence {
            topic: topic.name.clone(),
            rule,
            contribution: *contribution,
            field: Some(hit.field),
            span: Some(hit.span.clone()),
        };
        lines.push((hit.topic, hit.rule, line));
    }
    evidence.extend(lines.into_iter().map(|(_, _, line)| line));
}

fn position_weight(settings: &Settings, topic: &Topic, token: &Token) -> f32 {
    match token.field {
        Field::Title => settings.title_weight,
        Field::Body if token.sentence < settings.lead_sentences => 1.0,
        Field::Body => topic.tail_weight.unwrap_or(settings.tail_weight),
    }
}

/// Regular-expression rules, matched on the original texts; a match counts where a token of the
/// analysis overlaps it (so text dropped as boilerplate never counts).
fn pattern_hits(taxonomy: &Taxonomy, analysis: &Analysis, (title, body): (&str, &str), hits: &mut Vec<Hit>) {
    for (topic_index, topic) in taxonomy.topics.iter().enumerate() {
        for (pattern_index, pattern) in topic.patterns.iter().enumerate() {
            for (field, text, tokens) in
                [(Field::Title, title, analysis.title_tokens()), (Field::Body, body, analysis.body_tokens())]
            {
                for found in pattern.regex.find_iter(text).take(REPEAT_FACTORS.len()) {
                    let position = tokens.partition_point(|token| token.span.end <= found.start());
                    let overlapping = tokens
                        .get(position)
                        .filter(|token| token.span.start < found.end().max(found.start() + 1));
                    let Some(token) = overlapping else { continue };
                    hits.push(Hit {
                        rule: RuleRef::Pattern { pattern: pattern_index as u32 },
                        topic: topic_index as u16,
                        value: pattern.weight * position_weight(&taxonomy.settings, topic, token),
                        field,
                        sentence: token.sentence,
                        span: found.range(),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::analysis::analyze;

    const TAXONOMY: &str = "
[settings]
title_weight = 2.0
lead_sentences = 1
tail_weight = 0.5
sentence_share = 0.5
missing_required_share = 0.25

[[topic]]
name = \"finance\"
threshold = 2.0
[topic.terms]
financing = 2.0
loan = 2.0
\"=EV\" = 1.0
[topic.negative]
scheme = 1.0

[[topic]]
name = \"demand\"
threshold = 2.0
required = [\"demand\"]
[topic.terms]
\"electric vehicle\" = 2.0
\"wind turbine\" = 2.0
robot = 2.0
";

    fn raw(title: &str, body: &str) -> Vec<f32> {
        let taxonomy = Taxonomy::parse(TAXONOMY, Path::new("t.toml")).unwrap();
        let analysis = analyze(title, body);
        let input = ScoringInput {
            analysis: &analysis,
            title,
            body,
            source_topics: &[],
            excluded: &[],
            features: &[],
        };
        raw_scores(&taxonomy, &input, None)
    }

    #[test]
    fn terms_match_stems_and_weigh_by_position() {
        assert_eq!(raw("", "The plant was financed.")[0], 2.0);
        assert_eq!(raw("Financing", "")[0], 4.0);
        // Second sentence: tail weight.
        assert_eq!(raw("", "Output rose. The loan closed.")[0], 1.0);
        // `=EV` is the exact word only.
        assert_eq!(raw("", "EVs sold.")[0], 0.0);
    }

    #[test]
    fn repeats_fade_and_one_sentence_counts_its_strongest_cue_fully() {
        // loan, loan (½), loan (¼) in three sentences: 2 + 0.5×(1 + 0.5) ... in the lead only the first.
        assert_eq!(
            raw("", "Loan talks. Loan signed. Loan drawn.")[0],
            2.0 + 0.5 * 2.0 * 0.5 + 0.5 * 2.0 * 0.25
        );
        // Two cues in one sentence: the second counts by the sentence share.
        assert_eq!(raw("", "Demand from electric vehicle and wind turbine makers grew.")[1], 2.0 + 0.5 * 2.0);
    }

    #[test]
    fn negative_terms_subtract_and_required_terms_gate() {
        assert_eq!(raw("", "A financing scheme.")[0], 2.0 - 1.0);
        // No "demand": end uses listed as applications keep a quarter of their score…
        assert_eq!(raw("", "Magnets for robot arms.")[1], 0.5);
        // …unless one is in the title.
        assert!(raw("Robot makers", "Magnets for robot arms.")[1] > 4.0);
        assert_eq!(raw("", "Robot demand grew.")[1], 2.0);
    }

    #[test]
    fn evidence_adds_up_to_the_raw_score() {
        let taxonomy = Taxonomy::parse(TAXONOMY, Path::new("t.toml")).unwrap();
        let (title, body) =
            ("Loan for robot maker", "The financing scheme covers demand for robot arms. Loan terms.");
        let analysis = analyze(title, body);
        let input = ScoringInput {
            analysis: &analysis,
            title,
            body,
            source_topics: &[],
            excluded: &[],
            features: &[],
        };
        let mut evidence = Vec::new();
        let raw = raw_scores(&taxonomy, &input, Some(&mut evidence));
        for (index, topic) in taxonomy.topics.iter().enumerate() {
            let total: f32 =
                evidence.iter().filter(|line| line.topic == topic.name).map(|line| line.contribution).sum();
            assert!((total - raw[index]).abs() < 1e-4, "{}: {total} vs {}", topic.name, raw[index]);
        }
        assert!(evidence.iter().any(|line| line.rule == "negative \"scheme\"" && line.contribution < 0.0));
    }
}
