//! Which topics an item gets from its raw scores: every topic whose score reaches its
//! threshold, main first (ranked by score relative to threshold); a second or third topic only
//! when it also reaches `secondary_ratio` of the main topic's relative score, at most
//! `max_topics`. An item reaching no threshold keeps its best topic when that is at least
//! `fallback_ratio` of the way there, else has none. Scores map to 0..1 as
//! `1 - 0.5^(raw / threshold)`: 0.5 at the threshold, 0.75 at twice it.
//!
//! The secondary rule is deliberately strict: the labelling convention is to label what an item
//! reports, and an item that reports one event mostly names the others' words in passing.

use super::taxonomy::Taxonomy;
use super::topics::TopicScore;

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const TAXONOMY: &str = "
[settings]
secondary_ratio = 0.3

[[topic]]
name = \"finance\"
threshold = 2.0
[topic.terms]
loan = 2.0

[[topic]]
name = \"demand\"
threshold = 2.0
[topic.terms]
robot = 2.0
";

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
}
