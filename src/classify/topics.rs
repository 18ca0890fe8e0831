//! Topic scores from the taxonomy's rules: every term, phrase and pattern found in an item adds
//! its weight, scaled by where it is (title, lead sentences, the rest) and with diminishing
//! returns for repeats; negative terms subtract; a source's topic hint adds a fixed share.
//!
//! Then the choice: topics whose raw score reaches their threshold, main first (ranked by score
//! relative to threshold), further topics only when they reach a share of the main one, at most
//! `max_topics`; an item reaching no threshold keeps its best topic when that is at least
//! `fallback_ratio` of the way there, else has none. Scores map to 0..1 as
//! `1 - 0.5^(raw / threshold)`: 0.5 at the threshold, 0.75 at twice it.

use std::ops::Range;

use super::taxonomy::{Settings, Taxonomy, TermRef, TermWord, Topic};
use crate::analysis::{Analysis, Field, Token, TokenKind, term_hash};

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
    /// Item features found by the classifier (`<state-actor>`): hash and where.
    pub features: &'a [(u64, Field, Range<usize>)],
}

/// Raw scores per topic (in taxonomy order).
pub(crate) fn raw_scores(
    taxonomy: &Taxonomy,
    input: &ScoringInput<'_>,
    mut evidence: Option<&mut Vec<TopicEvidence>>,
) -> Vec<f32> {
    let ScoringInput { analysis, title, body, source_topics, excluded, features } = *input;
    let mut hits: Vec<Hit> = Vec::new();
    let measure_hashes = MeasureHashes::new();
    let mut excluded_ranges = excluded.iter().peekable();
    for (index, token) in analysis.tokens.iter().enumerate() {
        while excluded_ranges.peek().is_some_and(|range| range.end <= index) {
            excluded_ranges.next();
        }
        if excluded_ranges.peek().is_some_and(|range| range.contains(&index)) {
            continue;
        }
        let measure_hash = measure_hashes.of(analysis, token);
        let norm_hash = Some(token.norm_hash).filter(|hash| *hash != token.stem_hash);
        for key in [Some(token.stem_hash), norm_hash, measure_hash].into_iter().flatten() {
            let Some(references) = taxonomy.index.get(&key) else { continue };
            for reference in references {
                if let Some(end) = phrase_end(taxonomy, analysis, index, *reference, &measure_hashes) {
                    let topic = &taxonomy.topics[usize::from(reference.topic)];
                    let term = &topic.terms[reference.term as usize];
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
    feature_hits(taxonomy, features, &mut hits);
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

/// Item features (`<state-actor>`) as hits of the terms that name them.
fn feature_hits(taxonomy: &Taxonomy, features: &[(u64, Field, Range<usize>)], hits: &mut Vec<Hit>) {
    for (hash, field, span) in features {
        let Some(references) = taxonomy.index.get(hash) else { continue };
        for reference in references {
            let term = &taxonomy.topics[usize::from(reference.topic)].terms[reference.term as usize];
            if term.words != [TermWord::Feature(*hash)] {
                continue;
            }
            let weight = if *field == Field::Title { taxonomy.settings.title_weight } else { 1.0 };
            hits.push(Hit {
                rule: RuleRef::Term { term: reference.term },
                topic: reference.topic,
                value: term.weight * weight,
                field: *field,
                sentence: 0,
                span: span.clone(),
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

/// The topics an item gets from its raw scores, main first, with scores in 0..1.
pub(crate) fn choose_topics(taxonomy: &Taxonomy, raw: &[f32]) -> Vec<TopicScore> {
    let settings = &taxonomy.settings;
    let mut ranked: Vec<(usize, f32)> = raw
        .iter()
        .enumerate()
        .map(|(index, raw)| (index, raw / taxonomy.topics[index].threshold))
        .filter(|(_, relative)| relative.is_finite() && *relative > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let Some(&(_, main_relative)) = ranked.first() else { return Vec::new() };
    let chosen: Vec<(usize, f32)> = if main_relative >= 1.0 {
        ranked
            .iter()
            .copied()
            .filter(|(_, relative)| *relative >= 1.0 && *relative >= settings.secondary_ratio * main_relative)
            .take(settings.max_topics)
            .collect()
    } else if main_relative >= settings.fallback_ratio {
        ranked.into_iter().take(1).collect()
    } else {
        Vec::new()
    };
    chosen
        .into_iter()
        .map(|(index, relative)| TopicScore {
            topic: taxonomy.topics[index].name.clone(),
            score: score_of(relative),
        })
        .collect()
}

/// `1 - 0.5^relative`: 0.5 at the threshold, 0.75 at twice it, never 1.
pub(crate) fn score_of(relative: f32) -> f32 {
    let score = 1.0 - 0.5f32.powf(relative.max(0.0));
    (score * 1000.0).round() / 1000.0
}

fn position_weight(settings: &Settings, topic: &Topic, token: &Token) -> f32 {
    match token.field {
        Field::Title => settings.title_weight,
        Field::Body if token.sentence < settings.lead_sentences => 1.0,
        Field::Body => topic.tail_weight.unwrap_or(settings.tail_weight),
    }
}

/// The hashes of `<money>`, `<price>`, `<quantity>`, `<percent>`.
struct MeasureHashes([u64; 4]);

impl MeasureHashes {
    fn new() -> MeasureHashes {
        MeasureHashes(["<money>", "<price>", "<quantity>", "<percent>"].map(term_hash))
    }

    fn of(&self, analysis: &Analysis, token: &Token) -> Option<u64> {
        match token.kind {
            TokenKind::Money if analysis.norm(token).contains('/') => Some(self.0[1]),
            TokenKind::Money => Some(self.0[0]),
            TokenKind::Quantity => Some(self.0[2]),
            TokenKind::Percent => Some(self.0[3]),
            _ => None,
        }
    }
}

/// The token index after a term starting at `start`, if the whole term matches there.
fn phrase_end(
    taxonomy: &Taxonomy,
    analysis: &Analysis,
    start: usize,
    reference: TermRef,
    measure_hashes: &MeasureHashes,
) -> Option<usize> {
    let term = &taxonomy.topics[usize::from(reference.topic)].terms[reference.term as usize];
    let end = start + term.words.len();
    let tokens = analysis.tokens.get(start..end)?;
    let field = tokens[0].field;
    let matches = tokens.iter().zip(&term.words).all(|(token, word)| {
        token.field == field
            && match *word {
                TermWord::Stem(hash) => token.stem_hash == hash,
                TermWord::Exact(hash) => token.norm_hash == hash,
                TermWord::Measure(hash) => measure_hashes.of(analysis, token) == Some(hash),
                TermWord::Feature(_) => false,
            }
    });
    matches.then_some(end)
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
    fn choice_keeps_main_topic_first_and_applies_threshold_ratio_and_fallback() {
        let taxonomy = Taxonomy::parse(TAXONOMY, Path::new("t.toml")).unwrap();
        let names = |raw: &[f32]| {
            choose_topics(&taxonomy, raw).into_iter().map(|topic| topic.topic).collect::<Vec<_>>()
        };
        assert_eq!(names(&[3.0, 8.0]), ["demand", "finance"]);
        // Over its threshold, but under 0.3 of the main topic's relative score.
        assert_eq!(names(&[2.2, 8.0]), ["demand"]);
        assert_eq!(names(&[0.6, 8.0]), ["demand"]);
        // Nothing reaches a threshold: the best topic if it is half way there, else none.
        assert_eq!(names(&[1.2, 0.4]), ["finance"]);
        assert_eq!(names(&[0.8, 0.4]), Vec::<String>::new());
        assert_eq!(names(&[0.0, 0.0]), Vec::<String>::new());
        let chosen = choose_topics(&taxonomy, &[2.0, 4.0]);
        assert_eq!((chosen[0].score, chosen[1].score), (0.75, 0.5));
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
