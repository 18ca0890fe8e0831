//! Topics and entities end to end, with the real binary and a real SQLite file: the labelled
//! news set ingested from RSS, Atom, JSON Feed and an SMM-like HTML list; `query --topic` and
//! `--entity` (aliases and amounts resolved), tags in the JSON output, `explain`, `label`
//! (overrides the classifier, survives `reclassify`, trains a model past the minimum), and
//! `reclassify` after a taxonomy change.

mod support;

use std::collections::HashSet;

use serde_json::Value;
use support::digests::workspace_with;
use support::labelled::{self, Labelled};
use support::{Workspace, text};

const SOURCES: &str = "[[source]]\nname = \"metals-wire\"\nurl = \"http://127.0.0.1:9/wire\"\nenabled = false\n\n\
     [[source]]\nname = \"magnet-journal\"\nurl = \"http://127.0.0.1:9/journal\"\nenabled = false\n\n\
     [[source]]\nname = \"asia-metals-brief\"\nurl = \"http://127.0.0.1:9/brief\"\nenabled = false\n\n\
     [[source]]\nname = \"smm-news\"\nurl = \"http://127.0.0.1:9/smm\"\nkind = \"html\"\nenabled = false\n";

fn config(extra: &str) -> String {
    format!("{extra}\n{SOURCES}{}", labelled::HTML_SCRAPE_RULES)
}

fn json(workspace: &Workspace, arguments: &[&str]) -> Vec<Value> {
    let output = workspace.run(arguments);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{arguments:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{arguments:?}: {error}: {stdout}"))
}

fn topics_of(item: &Value) -> Vec<String> {
    item["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|topic| topic["topic"].as_str().unwrap().to_string())
        .collect()
}

fn ids(items: &[Value]) -> HashSet<i64> {
    items.iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

fn items() -> Vec<Labelled> {
    labelled::load("items-")
}

#[test]
fn topic_and_entity_filters_match_the_stored_tags() {
    let workspace = workspace_with(&items(), &config(""));
    let all = json(&workspace, &["query", "--format", "json", "--limit", "0"]);
    assert_eq!(all.len(), items().len());
    for item in &all {
        let topics = item["topics"].as_array().unwrap();
        assert!(topics.len() <= 3, "{item}");
        for topic in topics {
            let score = topic["score"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&score), "{item}");
        }
    }
    assert!(all.iter().filter(|item| !topics_of(item).is_empty()).count() * 10 >= all.len() * 9);

    // --topic returns exactly the items tagged with it; repeated, any of them.
    let finance = json(&workspace, &["query", "--topic", "finance", "--format", "json", "--limit", "0"]);
    let tagged: HashSet<i64> = ids(&all
        .iter()
        .filter(|item| topics_of(item).contains(&"finance".into()))
        .cloned()
        .collect::<Vec<_>>());
    assert!(!finance.is_empty());
    assert_eq!(ids(&finance), tagged);
    let either = json(
        &workspace,
        &["query", "--topic", "finance", "--topic", "prices", "--format", "json", "--limit", "0"],
    );
    assert!(ids(&either).is_superset(&tagged) && either.len() > finance.len());

    // --entity: the $565 million financing of Serra Verde, however the amount is written.
    let serra = all.iter().filter(|item| item["title"].as_str().unwrap().contains("$565")).count();
    for typed in ["$565M", "US$565 million", "565000000 USD"] {
        let found = json(&workspace, &["query", "--entity", typed, "--format", "json", "--limit", "0"]);
        assert!(found.len() >= serra && serra >= 2, "{typed}: {} items", found.len());
        for item in &found {
            let entities = item["entities"].as_array().unwrap();
            assert!(
                entities.iter().any(|entity| entity["kind"] == "money" && entity["value"] == "565000000 USD"),
                "{item}"
            );
        }
    }
    // An alias finds the canonical name; two entities must both be named.
    let us = json(&workspace, &["query", "--entity", "U.S.", "--format", "json", "--limit", "0"]);
    let us_and_money = json(
        &workspace,
        &["query", "--entity", "U.S.", "--entity", "$565M", "--format", "json", "--limit", "0"],
    );
    assert!(!us.is_empty() && !us_and_money.is_empty() && us_and_money.len() < us.len());
    assert!(ids(&us_and_money).is_subset(&ids(&us)));
    for item in &us {
        assert!(item["entities"].as_array().unwrap().iter().any(|entity| entity["value"] == "United States"));
    }

    // Stories: the topics of their members, filtered the same way.
    let stories =
        json(&workspace, &["query", "--stories", "--topic", "finance", "--format", "json", "--limit", "0"]);
    assert!(!stories.is_empty());
    for story in &stories {
        assert!(
            story["topics"].as_array().unwrap().iter().any(|topic| topic["topic"] == "finance"),
            "{story}"
        );
    }

    let unknown = workspace.run(&["query", "--topic", "gossip"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = text(&unknown).1;
    assert!(
        stderr.contains("--topic") && stderr.contains("gossip") && stderr.contains("finance"),
        "{stderr}"
    );
}

#[test]
fn explain_shows_rules_weights_and_spans() {
    let workspace = workspace_with(&items(), &config(""));
    let all = json(&workspace, &["query", "--entity", "$565M", "--format", "json", "--limit", "1"]);
    let id = all[0]["id"].as_i64().unwrap().to_string();
    let output = workspace.run(&["explain", &id]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("finance"), "{stdout}");
    assert!(stdout.contains("565"), "the money mention is shown: {stdout}");
    let explained: Value =
        serde_json::from_str(&text(&workspace.run(&["explain", &id, "--format", "json"])).0)
            .expect("explain --format json prints JSON");
    let topics = explained["explanation"]["topics"].as_array().unwrap();
    let finance = topics.iter().find(|topic| topic["topic"] == "finance").expect("finance is explained");
    assert!(!finance["reasons"].as_array().unwrap().is_empty());
    assert!(!explained["explanation"]["entity_mentions"].as_array().unwrap().is_empty());
    let missing = workspace.run(&["explain", "999999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing).1.contains("no item 999999"));
}

#[test]
fn labels_override_survive_reclassify_and_train_a_model() {
    let workspace = workspace_with(&items(), &config(""));
    let all = json(&workspace, &["query", "--format", "json", "--limit", "0"]);
    let first = all[0]["id"].as_i64().unwrap().to_string();
    let output = workspace.run(&["label", &first, "sustainability", "policy"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert!(text(&output).0.contains("1 of the 50 labels"), "{}", text(&output).0);
    let labelled =
        json(&workspace, &["query", "--topic", "sustainability", "--format", "json", "--limit", "0"]);
    let item = labelled.iter().find(|item| item["id"].as_i64().unwrap().to_string() == first).unwrap();
    assert_eq!(topics_of(item), ["sustainability", "policy"]);
    assert_eq!(item["topics"][0]["score"], 1.0);

    let bad = workspace.run(&["label", &first, "gossip"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad).1);
    assert_eq!(workspace.run(&["label", "999999", "finance"]).status.code(), Some(1));

    let reclassified = workspace.run(&["reclassify"]);
    assert!(reclassified.status.success(), "{}", text(&reclassified).1);
    assert!(text(&reclassified).0.contains(&format!("{} items", all.len())), "{}", text(&reclassified).0);
    let after = json(&workspace, &["query", "--format", "json", "--limit", "0"]);
    let item = after.iter().find(|item| item["id"].as_i64().unwrap().to_string() == first).unwrap();
    assert_eq!(topics_of(item), ["sustainability", "policy"], "the label survives reclassify");
    let untouched: Vec<&Value> = after.iter().filter(|item| item["id"] != all[0]["id"]).collect();
    assert!(untouched.iter().zip(all.iter().skip(1)).all(|(a, b)| a["topics"] == b["topics"]));

    // Past the minimum, the labels (here: the set's own) train a model that explain shows.
    let labels = items();
    let by_url: std::collections::HashMap<&str, &Labelled> =
        labels.iter().map(|item| (item.url.as_str(), item)).collect();
    let mut trained = false;
    for item in all.iter().skip(1).take(50) {
        let truth = by_url[item["url"].as_str().unwrap()];
        if truth.topics.is_empty() {
            continue;
        }
        let mut arguments = vec!["label".to_string(), item["id"].as_i64().unwrap().to_string()];
        arguments.extend(truth.topics.iter().take(3).cloned());
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let output = workspace.run(&arguments);
        assert!(output.status.success(), "{}", text(&output).1);
        trained |= text(&output).0.contains("retrained on");
    }
    assert!(trained, "a model is trained once 50 items are labelled");
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    let model = store.topic_model().unwrap().expect("the model is stored");
    assert!(lodestone::classify::learn::Model::from_json(&model).is_ok());
    drop(store);
    let explained = text(&workspace.run(&["explain", &all[60]["id"].to_string(), "--format", "json"])).0;
    assert!(explained.contains("model probability"), "the model's say is explained: {explained}");
}

#[test]
fn reclassify_applies_a_changed_taxonomy() {
    let workspace = workspace_with(&items(), &config(""));
    let taxonomy = workspace.directory.path().join("topics.toml");
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml")).unwrap();
    std::fs::write(
        &taxonomy,
        format!(
            "{shipped}\n[[topic]]\nname = \"magnets\"\ndescription = \"Permanent magnets.\"\nthreshold = 2.0\n\n[topic.terms]\nndfeb = 2.0\nmagnet = 1.5\n"
        ),
    )
    .unwrap();
    // A relative path is taken from the config file's directory, wherever the command runs.
    workspace.write_config(&config("[topics]\nfile = \"topics.toml\"\n"));
    let check = workspace.run(&["check"]);
    assert!(check.status.success(), "{}", text(&check).1);
    let before = json(&workspace, &["query", "--topic", "magnets", "--format", "json", "--limit", "0"]);
    assert!(before.is_empty(), "stored tags change only when asked");
    let output = workspace.run(&["reclassify"]);
    assert!(output.status.success(), "{}", text(&output).1);
    let after = json(&workspace, &["query", "--topic", "magnets", "--format", "json", "--limit", "0"]);
    assert!(!after.is_empty(), "the new topic is given after reclassify");
    // A broken taxonomy is a config error naming its file and line.
    std::fs::write(&taxonomy, format!("{shipped}\n[[topic]]\nname = \"broken\"\nthreshold = \"high\"\n"))
        .unwrap();
    let broken = workspace.run(&["reclassify"]);
    assert_eq!(broken.status.code(), Some(2));
    let stderr = text(&broken).1;
    assert!(stderr.contains("topics.toml") && stderr.contains("threshold"), "{stderr}");
}

/// The taxonomy's rules are compiled only by the commands that tag or place stories, so an error
/// only compiling finds (a term with no words) stops each of them before any work, while reading
/// what is stored does not need the rules.
#[test]
fn a_taxonomy_error_found_when_compiling_stops_the_commands_that_tag() {
    let workspace = workspace_with(&items(), &config(""));
    let stored = workspace.items().len();
    let taxonomy = workspace.directory.path().join("topics.toml");
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml")).unwrap();
    std::fs::write(
        &taxonomy,
        format!("{shipped}\n[[topic]]\nname = \"broken\"\nthreshold = 1.0\n\n[topic.terms]\n\"--\" = 1.0\n"),
    )
    .unwrap();
    workspace.write_config(&config("[topics]\nfile = \"topics.toml\"\n"));
    let feed = workspace.directory.path().join("one.xml");
    std::fs::write(
        &feed,
        "<rss version=\"2.0\"><channel><title>t</title><item><title>Lithium prices rise</title>\
         <link>https://example.com/one</link><guid>one</guid></item></channel></rss>",
    )
    .unwrap();
    let first_id = workspace.items()[0]["id"].to_string();
    for arguments in [
        vec!["check"],
        vec!["fetch"],
        vec!["reclassify"],
        vec!["restory"],
        vec!["explain", &first_id],
        vec!["label", &first_id, "policy"],
        vec!["ingest", "--source", "metals-wire", feed.to_str().unwrap()],
        vec!["query", "--entity", "lithium"],
    ] {
        let output = workspace.run(&arguments);
        let stderr = text(&output).1;
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {stderr}");
        assert!(stderr.contains("topics.toml") && stderr.contains("has no words"), "{arguments:?}: {stderr}");
    }
    assert_eq!(workspace.items().len(), stored, "nothing was ingested");
    // Topic names come from the file without compiling it: `--topic` is checked against them.
    let policy = workspace.run(&["query", "--topic", "broken", "--format", "json"]);
    assert!(policy.status.success(), "{}", text(&policy).1);
    let unknown = workspace.run(&["query", "--topic", "gossip"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).1.contains("broken"), "{}", text(&unknown).1);
}
