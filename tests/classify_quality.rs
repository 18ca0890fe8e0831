//! Classification quality on the labelled news set (tests/fixtures/labelled/items-*.jsonl):
//! topics (micro and macro F1, per topic), entities per kind (precision and recall), and the
//! learning experiment (2-fold cross-validation by story: rules alone against rules + model).
//!
//! Prints its figures (`cargo test --release --test classify_quality -- --nocapture`) and
//! asserts the acceptance targets. The set is split in two halves by story (a hash of the story
//! label, so rewrites of one event stay together): rules are designed looking only at the
//! design half's errors, which is all the listing shows; the held-out half's figures, printed
//! beside them, are the check that a change generalizes. `LODESTONE_QUALITY_LIST=all` lists
//! every error (for a final look, not for tuning). Figures per file part (a, b, c) are printed
//! too; `LODESTONE_QUALITY_PARTS=a,c` limits the run to those parts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use lodestone::classify::learn::{self, Blend, Labelled, TrainOptions};
use lodestone::classify::{Classification, Classifier, EntityKind};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Item {
    id: String,
    #[serde(default)]
    story: String,
    title: String,
    body: String,
    topics: Vec<String>,
    entities: Entities,
}

#[derive(Debug, Default, Deserialize)]
struct Entities {
    #[serde(default)]
    commodity: Vec<String>,
    #[serde(default)]
    company: Vec<String>,
    #[serde(default)]
    country: Vec<String>,
    #[serde(default)]
    money: Vec<Money>,
    #[serde(default)]
    quantity: Vec<Quantity>,
}

#[derive(Debug, Deserialize)]
struct Money {
    amount: f64,
    currency: String,
}

#[derive(Debug, Deserialize)]
struct Quantity {
    tonnes: f64,
    per_year: bool,
}

/// Counts for precision and recall.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    true_positives: usize,
    false_positives: usize,
    false_negatives: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }

    fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    fn f1(&self) -> f64 {
        let (precision, recall) = (self.precision(), self.recall());
        if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
    }

    fn compare(expected: &BTreeSet<String>, predicted: &BTreeSet<String>) -> Counts {
        let true_positives = expected.intersection(predicted).count();
        Counts {
            true_positives,
            false_positives: predicted.len() - true_positives,
            false_negatives: expected.len() - true_positives,
        }
    }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 { 1.0 } else { numerator as f64 / denominator as f64 }
}

const KINDS: [&str; 5] = ["commodity", "company", "country", "money", "quantity"];

fn load_items() -> Vec<(String, Item)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labelled");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("tests/fixtures/labelled exists")
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
            name.starts_with("items-") && name.ends_with(".jsonl")
        })
        .collect();
    files.sort();
    let only_parts = std::env::var("LODESTONE_QUALITY_PARTS").ok();
    let mut items = Vec::new();
    for file in files {
        let part = file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("")
            .trim_start_matches("items-")
            .to_string();
        if only_parts.as_ref().is_some_and(|parts| !parts.split(',').any(|wanted| wanted == part)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable fixture");
        for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            let item: Item = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("{}:{}: {error}", file.display(), number + 1));
            items.push((part.clone(), item));
        }
    }
    items
}

/// Expected entity values of one kind, in the form the classifier prints them.
fn expected_values(item: &Item, kind: &str) -> BTreeSet<String> {
    match kind {
        "commodity" => item.entities.commodity.iter().cloned().collect(),
        "company" => item.entities.company.iter().cloned().collect(),
        "country" => item.entities.country.iter().cloned().collect(),
        "money" => item
            .entities
            .money
            .iter()
            .map(|money| format!("{} {}", number(money.amount), money.currency))
            .collect(),
        _ => item
            .entities
            .quantity
            .iter()
            .map(|quantity| {
                format!("{} t{}", number(quantity.tonnes), if quantity.per_year { "/year" } else { "" })
            })
            .collect(),
    }
}

/// Predicted values of one kind; a tonnage per month or day is "not per year", as labelled.
fn predicted_values(classification: &Classification, kind: &str) -> BTreeSet<String> {
    let kind = match kind {
        "commodity" => EntityKind::Commodity,
        "company" => EntityKind::Company,
        "country" => EntityKind::Country,
        "money" => EntityKind::Money,
        _ => EntityKind::Quantity,
    };
    classification
        .entities
        .iter()
        .filter(|entity| entity.kind == kind)
        .map(|entity| entity.value.replace(" t/month", " t").replace(" t/day", " t"))
        .map(|value| match value.split_once(' ') {
            Some((amount, unit)) if kind == EntityKind::Money || kind == EntityKind::Quantity => {
                format!("{} {unit}", amount.parse::<f64>().map(number).unwrap_or_else(|_| amount.to_string()))
            }
            _ => value,
        })
        .collect()
}

/// Canonical printing of a labelled number (`82.4`, `565000000`).
fn number(value: f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded}") }
}

/// Topic and entity figures for a set of items.
#[derive(Default)]
struct Report {
    topics: BTreeMap<String, Counts>,
    entities: BTreeMap<&'static str, Counts>,
    main_topic_hits: usize,
    items: usize,
    misclassified: Vec<String>,
    entity_errors: Vec<String>,
}

impl Report {
    fn add_topics(&mut self, item: &Item, predicted: &[String]) {
        self.items += 1;
        let expected: BTreeSet<String> = item.topics.iter().cloned().collect();
        let predicted_set: BTreeSet<String> = predicted.iter().cloned().collect();
        for topic in expected.union(&predicted_set) {
            let (is_expected, is_predicted) = (expected.contains(topic), predicted_set.contains(topic));
            let counts = self.topics.entry(topic.clone()).or_default();
            counts.true_positives += usize::from(is_expected && is_predicted);
            counts.false_positives += usize::from(!is_expected && is_predicted);
            counts.false_negatives += usize::from(is_expected && !is_predicted);
        }
        if predicted.first() == item.topics.first() {
            self.main_topic_hits += 1;
        }
        if expected != predicted_set {
            self.misclassified
                .push(format!("{} expected {:?} got {:?}: {}", item.id, item.topics, predicted, item.title));
        }
    }

    fn add_entities(&mut self, item: &Item, classification: &Classification) {
        for kind in KINDS {
            let expected = expected_values(item, kind);
            let predicted = predicted_values(classification, kind);
            self.entities.entry(kind).or_default().add(Counts::compare(&expected, &predicted));
            let missing: Vec<&String> = expected.difference(&predicted).collect();
            let extra: Vec<&String> = predicted.difference(&expected).collect();
            if !missing.is_empty() || !extra.is_empty() {
                self.entity_errors.push(format!("{} {kind}: missing {missing:?} extra {extra:?}", item.id));
            }
        }
    }

    fn micro(&self) -> Counts {
        let mut total = Counts::default();
        for counts in self.topics.values() {
            total.add(*counts);
        }
        total
    }

    fn macro_f1(&self) -> f64 {
        let scores: Vec<f64> = self.topics.values().map(Counts::f1).collect();
        scores.iter().sum::<f64>() / scores.len().max(1) as f64
    }

    fn print_topics(&self, label: &str) {
        let micro = self.micro();
        println!(
            "{label}: {} items; topic micro P {:.3} R {:.3} F1 {:.3}; macro F1 {:.3}; main topic right {:.3}",
            self.items,
            micro.precision(),
            micro.recall(),
            micro.f1(),
            self.macro_f1(),
            ratio(self.main_topic_hits, self.items)
        );
        for (topic, counts) in &self.topics {
            println!(
                "    {topic:<15} P {:.3} R {:.3} F1 {:.3}  (tp {}, fp {}, fn {})",
                counts.precision(),
                counts.recall(),
                counts.f1(),
                counts.true_positives,
                counts.false_positives,
                counts.false_negatives
            );
        }
    }

    fn print_entities(&self, label: &str) {
        println!("{label}: entities");
        for (kind, counts) in &self.entities {
            println!(
                "    {kind:<10} P {:.3} R {:.3}  (tp {}, fp {}, fn {})",
                counts.precision(),
                counts.recall(),
                counts.true_positives,
                counts.false_positives,
                counts.false_negatives
            );
        }
    }
}

fn topic_names(classification: &Classification) -> Vec<String> {
    classification.topics.iter().map(|topic| topic.topic.clone()).collect()
}

/// The item's half: 0 = design, 1 = held out. By story, so rewrites of one event stay together.
fn fold_of(item: &Item) -> u32 {
    let key = if item.story.is_empty() { &item.id } else { &item.story };
    key.bytes().fold(0u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(byte))) % 2
}

/// 2-fold cross-validation by story: the model never sees a rewrite of an item it is tested on.
fn learning_experiment(classifier_factory: &dyn Fn() -> Classifier, items: &[(String, Item)]) {
    let blends = [
        ("rules alone", None),
        ("rules + model adds at p>=0.9", Some(Blend::RulesThenModel { add_at: 0.9 })),
        ("rules + model adds at p>=0.8", Some(Blend::RulesThenModel { add_at: 0.8 })),
        ("rules + model adds at p>=0.6", Some(Blend::RulesThenModel { add_at: 0.6 })),
        ("model decides (p>=0.5)", Some(Blend::Model { threshold: 0.5 })),
    ];
    println!("learning experiment: 2-fold cross-validation by story ({} items)", items.len());
    for (label, blend) in blends {
        let mut report = Report::default();
        for test_fold in 0..2 {
            let training: Vec<Labelled<'_>> = items
                .iter()
                .map(|(_, item)| item)
                .filter(|item| fold_of(item) != test_fold)
                .map(|item| Labelled {
                    title: &item.title,
                    body: &item.body,
                    source_topics: Vec::new(),
                    topics: item.topics.clone(),
                })
                .collect();
            let rules = classifier_factory();
            let classifier = match blend {
                None => rules,
                Some(blend) => {
                    let options = TrainOptions { blend, ..TrainOptions::default() };
                    let model = learn::train(&rules, &training, &options);
                    let model =
                        learn::Model::from_json(&model.to_json()).expect("model round-trips through JSON");
                    rules.with_model(model)
                }
            };
            for (_, item) in items.iter().filter(|(_, item)| fold_of(item) == test_fold) {
                let classification = classifier.classify(&item.title, &item.body, &[]);
                report.add_topics(item, &topic_names(&classification));
            }
        }
        let micro = report.micro();
        println!(
            "    {label:<32} micro F1 {:.3}  macro F1 {:.3}  (P {:.3} R {:.3})",
            micro.f1(),
            report.macro_f1(),
            micro.precision(),
            micro.recall()
        );
    }
}

#[test]
fn classification_quality_on_the_labelled_set() {
    let items = load_items();
    assert!(items.len() >= 100, "only {} labelled items found", items.len());
    let classifier = Classifier::shipped().expect("shipped rules load");
    let mut overall = Report::default();
    let mut halves = [Report::default(), Report::default()];
    let mut by_part: BTreeMap<String, Report> = BTreeMap::new();
    for (part, item) in &items {
        let classification = classifier.classify(&item.title, &item.body, &[]);
        let topics = topic_names(&classification);
        let half = &mut halves[fold_of(item) as usize];
        let part = by_part.entry(part.clone()).or_default();
        for report in [&mut overall, half, part] {
            report.add_topics(item, &topics);
            report.add_entities(item, &classification);
        }
    }
    for (part, report) in &by_part {
        report.print_topics(&format!("part {part}"));
    }
    halves[0].print_topics("design half");
    halves[1].print_topics("held-out half");
    overall.print_topics("all items");
    overall.print_entities("all items");
    let list_all = std::env::var("LODESTONE_QUALITY_LIST").is_ok_and(|value| value == "all");
    let listed = if list_all { &overall } else { &halves[0] };
    println!(
        "misclassified ({}, {}):",
        listed.misclassified.len(),
        if list_all { "all" } else { "design half" }
    );
    for line in &listed.misclassified {
        println!("    {line}");
    }
    println!("entity differences ({} item-kinds):", listed.entity_errors.len());
    for line in &listed.entity_errors {
        println!("    {line}");
    }
    learning_experiment(&|| Classifier::shipped().expect("shipped rules load"), &items);

    let micro = overall.micro();
    let entity = |kind: &str| overall.entities.get(kind).copied().unwrap_or_default();
    // The targets, asserted on the whole set: topic micro-F1 >= 0.90, macro-F1 >= 0.85.
    // The held-out half's figures (printed above) are the honest estimate for unseen news: the
    // rules were designed on the design half, whose figures are higher.
    println!(
        "targets: topic micro-F1 {:.3} (target 0.90{}), macro-F1 {:.3} (target 0.85{})",
        micro.f1(),
        if micro.f1() >= 0.90 { ", met" } else { ", NOT met" },
        overall.macro_f1(),
        if overall.macro_f1() >= 0.85 { ", met" } else { ", NOT met" },
    );
    assert!(
        micro.f1() >= TOPIC_MICRO_F1_TARGET,
        "topic micro-F1 {:.3} < {TOPIC_MICRO_F1_TARGET}",
        micro.f1()
    );
    assert!(
        overall.macro_f1() >= TOPIC_MACRO_F1_TARGET,
        "topic macro-F1 {:.3} < {TOPIC_MACRO_F1_TARGET}",
        overall.macro_f1()
    );
    // Entity targets: normalised money and tonnages found and right; countries and commodities
    // rarely wrong.
    let entity_targets =
        [("money", 0.97, 0.95), ("quantity", 0.97, 0.95), ("country", 0.95, 0.0), ("commodity", 0.95, 0.0)];
    for (kind, precision, recall) in entity_targets {
        let counts = entity(kind);
        assert!(counts.precision() >= precision, "{kind} precision {:.3} < {precision}", counts.precision());
        assert!(counts.recall() >= recall, "{kind} recall {:.3} < {recall}", counts.recall());
    }
}

/// The topic targets (whole set).
const TOPIC_MICRO_F1_TARGET: f64 = 0.90;
const TOPIC_MACRO_F1_TARGET: f64 = 0.85;
