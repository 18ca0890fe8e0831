use super::*;

fn classifier() -> Classifier {
    Classifier::shipped().expect("shipped data loads")
}

fn values(classification: &Classification, kind: EntityKind) -> Vec<String> {
    classification
        .entities
        .iter()
        .filter(|entity| entity.kind == kind)
        .map(|entity| entity.value.to_string())
        .collect()
}

fn topics(classification: &Classification) -> Vec<&str> {
    classification.topics.iter().map(|topic| topic.topic.as_str()).collect()
}

const WEEKLY_REVIEW: &str = include_str!("../../tests/fixtures/weekly_review.txt");

#[test]
fn weekly_review_entities() {
    let (title, body) = WEEKLY_REVIEW.split_once('\n').expect("title line");
    let result = classifier().classify(title, body, &[]);
    let commodities = values(&result, EntityKind::Commodity);
    for expected in ["rare earths", "NdFeB", "dysprosium", "terbium"] {
        assert!(commodities.contains(&expected.to_string()), "{expected} in {commodities:?}");
    }
    let countries = values(&result, EntityKind::Country);
    for expected in
        ["United States", "South Korea", "Germany", "Canada", "Mongolia", "India", "China", "Japan", "Chile"]
    {
        assert!(countries.contains(&expected.to_string()), "{expected} in {countries:?}");
    }
    let companies = values(&result, EntityKind::Company);
    for expected in [
        "eVAC Magnetics",
        "Vacuumschmelze",
        "MP Materials",
        "Ucore Rare Metals",
        "Aclara Resources",
        "LS Cable & System",
    ] {
        assert!(companies.contains(&expected.to_string()), "{expected} in {companies:?}");
    }
    assert!(
        companies.contains(&"Vulcan Elements".to_string())
            && companies.contains(&"US Department of Defense".to_string())
    );
    let money = values(&result, EntityKind::Money);
    assert_eq!(
        money,
        [
            "9800000000 KRW",
            "72800000000 INR",
            "815000000 USD",
            "7500000000 INR",
            "64500000000 INR",
            "620000000 USD"
        ]
    );
    let quantities = values(&result, EntityKind::Quantity);
    assert_eq!(quantities, ["2000 t/year", "6000 t/year", "50 t/year"]);
    // The related-news block at the end of the page is not this item.
    assert!(!companies.contains(&"Serra Verde".to_string()));
    assert!(!topics(&result).is_empty());
}

#[test]
fn serra_verde_flash_facts_for_story_vetoes() {
    let title = "US DFC Offers $565M Financing to Brazilian Rare Earth Project";
    let body = "[SMM Flash: US Provides $565 Million in Financing for Brazilian Rare Earth Project] Serra Verde (a \
                Brazilian rare earth element producer) announced today that the US International Development \
                Finance Corporation (DFC) has provided it with a financing package worth $565 million. Serra \
                Verde's Pela Ema deposit is expected to turn out 5,000 mt of total rare earth oxides per year.";
    let result = classifier().classify(title, body, &[]);
    assert_eq!(result.topics[0].topic, "finance");
    assert!(result.topics[0].score > 0.5 && result.topics[0].score < 1.0);
    let facts = &result.facts;
    assert_eq!(
        facts.flash_reference.as_deref(),
        Some("US Provides $565 Million in Financing for Brazilian Rare Earth Project")
    );
    assert_eq!(facts.money.len(), 1);
    assert_eq!(
        (facts.money[0].amount.to_string(), facts.money[0].currency.as_str()),
        ("565000000".to_string(), "USD")
    );
    assert_eq!(
        facts.tonnages,
        [TonnageFact { tonnes: crate::analysis::Decimal::parse("5000").unwrap(), rate: Rate::PerYear }]
    );
    assert!(facts.main_companies.iter().any(|company| &**company == "Serra Verde"));
    assert_eq!(facts.commodities.iter().map(|c| c.to_string()).collect::<Vec<_>>(), ["rare earths"]);
    assert_eq!(values(&result, EntityKind::Country), ["United States", "Brazil"]);
}

#[test]
fn element_symbols_only_as_written_and_in_rare_earth_items() {
    let classifier = classifier();
    let rare_earth = classifier.classify(
        "Rare earth prices",
        "Nd and Pr prices rose; Dy oxide held; La, Ce oxides fell.",
        &[],
    );
    let commodities = values(&rare_earth, EntityKind::Commodity);
    for expected in ["neodymium", "praseodymium", "dysprosium oxide", "lanthanum", "cerium"] {
        assert!(commodities.contains(&expected.to_string()), "{expected} in {commodities:?}");
    }
    let other = classifier.classify(
        "Quarterly update",
        "In the 2nd quarter the PR team at Shenghe Co. said Nd was up. La Paz.",
        &[],
    );
    assert_eq!(values(&other, EntityKind::Commodity), Vec::<String>::new());
    let case = classifier.classify("Rare earths", "ND prices and nd prices and pr news", &[]);
    assert_eq!(values(&case, EntityKind::Commodity), ["rare earths"]);
}

#[test]
fn countries_by_name_demonym_and_acronym_but_not_pronoun() {
    let result = classifier().classify(
        "South Korea's LS Cable picks US site",
        "The Congolese government and the DRC ministry told us that Brazilian and American buyers met in \
         North America.",
        &[],
    );
    assert_eq!(
        values(&result, EntityKind::Country),
        ["South Korea", "United States", "Democratic Republic of the Congo", "Brazil"]
    );
}

#[test]
fn source_hint_adds_weight_to_a_topic() {
    let classifier = classifier();
    let title = "Lithium update";
    let body = "The lithium market was quiet; quotes were steady.";
    let without = classifier.classify(title, body, &[]);
    let with = classifier.classify(title, body, &["prices"]);
    let score = |classification: &Classification| {
        classification.topics.iter().find(|topic| topic.topic == "prices").map_or(0.0, |topic| topic.score)
    };
    assert!(score(&with) > score(&without), "{with:?} vs {without:?}");
}

#[test]
fn a_users_topic_is_one_file_edit_away() {
    let taxonomy = Taxonomy::parse(
        "[[topic]]\nname = \"shipping\"\nthreshold = 2\n[topic.terms]\nvessel = 2\nfreight = 2\n",
        std::path::Path::new("mine.toml"),
    )
    .unwrap();
    let classifier = Classifier::new(taxonomy, Gazetteer::shipped().unwrap());
    let result =
        classifier.classify("Freight rates climb", "Vessel charter rates rose as freight demand held.", &[]);
    assert_eq!(topics(&result), ["shipping"]);
}

#[test]
fn explanation_names_rules_weights_and_spans() {
    let title = "Lynas secures A$200 million loan";
    let body = "Lynas Rare Earths said a loan of A$200 million will fund its Malaysian plant.";
    let explanation = classifier().explain(title, body, &[]);
    let finance =
        explanation.topics.iter().find(|topic| topic.topic == "finance").expect("finance explained");
    assert!(finance.chosen);
    let loan =
        finance.reasons.iter().find(|reason| reason.rule == "term \"loan\"").expect("loan is a reason");
    assert_eq!((loan.field, loan.text.as_deref()), (Some(crate::analysis::Field::Title), Some("loan")));
    assert!(loan.contribution > 0.0);
    let printed = explanation.to_string();
    assert!(
        printed.contains("finance")
            && printed.contains("term \"loan\"")
            && printed.contains("Lynas Rare Earths"),
        "{printed}"
    );
    assert!(
        serde_json::to_string(&explanation)
            .unwrap()
            .contains("\"rule\":\"alias \\\"Lynas\\\" (capitalized)\"")
    );
    assert_eq!(explanation.classification, classifier().classify(title, body, &[]));
}

#[test]
fn classification_is_deterministic_and_serializable() {
    let classifier = classifier();
    let (title, body) = WEEKLY_REVIEW.split_once('\n').unwrap();
    let first = classifier.classify(title, body, &[]);
    let second = classifier.classify(title, body, &[]);
    assert_eq!(first, second);
    let json = serde_json::to_string(&first).unwrap();
    let back: Classification = serde_json::from_str(&json).unwrap();
    assert_eq!(back, first);
}

#[test]
fn odd_input_never_panics() {
    let classifier = classifier();
    let long = "rare earth ".repeat(5_000);
    let digits = "9".repeat(400);
    let inputs = [
        "",
        " ",
        "\u{0}\u{FEFF}\u{202E}",
        "ǅ Ǆ İ ß ﬁ Ｎｄ ＄５",
        "稀土价格上涨，钕铁硼需求增加",
        "$$$ US$ A$ 5 million million billion",
        "1,000,000,000,000,000,000,000,000,000,000,000,000,000 t per year a year annual",
        digits.as_str(),
        long.as_str(),
        "[SMM Flash: [SMM Flash:",
        "Nd Pr Dy Tb La Ce Sm Eu Gd Ho Er Tm Yb Lu Sc",
        "between and to - – $ % /",
    ];
    for title in inputs {
        for body in inputs {
            let result = classifier.classify(title, body, &["prices", "no-such-topic"]);
            assert!(result.topics.len() <= 3);
            for entity in &result.entities {
                let text = if entity.field == crate::analysis::Field::Title { title } else { body };
                assert!(text.get(entity.span.clone()).is_some(), "bad span for {entity:?}");
            }
            let _ = classifier.explain(title, body, &[]).to_string();
        }
    }
}

#[test]
fn a_classifier_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Classifier>();
    let classifier = std::sync::Arc::new(classifier());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let classifier = classifier.clone();
            std::thread::spawn(move || {
                classifier.classify("Lithium prices rise", "Lithium carbonate rose to 75,000 yuan/mt.", &[])
            })
        })
        .collect();
    let results: Vec<Classification> = handles.into_iter().map(|handle| handle.join().unwrap()).collect();
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0].topics[0].topic, "prices");
}

#[test]
fn an_entry_spelled_two_ways_that_read_the_same_is_one_mention() {
    // The gazetteer lists both "rare earth" and "rare-earth"; the text names rare earths twice.
    let result = classifier().classify(
        "Rare earth magnet exports fall",
        "China shipped fewer rare-earth magnets in October.",
        &[],
    );
    let rare_earths = result.entities.iter().find(|entity| entity.value.as_ref() == "rare earths");
    assert_eq!(rare_earths.map(|entity| entity.mentions), Some(2), "{:?}", result.entities);
}
