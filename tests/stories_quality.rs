//! Story quality on the labelled news set, through the real pipeline: the items are served as
//! RSS, Atom, JSON Feed and an SMM-like HTML list on 127.0.0.1, fetched by the real binary into
//! a real SQLite file, and the stories it forms are compared with the labels. Prints pairwise
//! precision and recall, the misclustered pairs, how hard the set is (word-3 Jaccard of the
//! same-story pairs) and which signal joined each item; asserts precision ≥ 0.98 and recall
//! ≥ 0.95. A second fetch brings new variants, which must join the existing stories.
//!
//! Story placement is online, so it depends on the order items arrive in. A pass stores sources
//! as their fetches finish, which varies from run to run; here each source is fetched by its own
//! `fetch --source` in a fixed order so that every figure is reproducible, and a separate test
//! runs the first fetch in all 24 orders of the four sources and reports the spread.

mod support;

use std::collections::{HashMap, HashSet};

use support::labelled::{self, Labelled};
use support::{Response, TestServer, Workspace, text};

fn serve(server: &TestServer, items: &[Labelled]) {
    let grouped = labelled::by_source(items);
    let empty = Vec::new();
    let of = |source: &str| grouped.get(source).unwrap_or(&empty).clone();
    server.fixed("/wire.xml", Response::ok("application/rss+xml", labelled::rss(&of("metals-wire"))));
    server.fixed("/journal.xml", Response::ok("application/atom+xml", labelled::atom(&of("magnet-journal"))));
    server.fixed(
        "/brief.json",
        Response::ok("application/feed+json", labelled::json_feed(&of("asia-metals-brief"))),
    );
    server.fixed("/smm/list", Response::ok("text/html; charset=utf-8", labelled::html_list(&of("smm-news"))));
}

const SOURCES: [&str; 4] = ["metals-wire", "magnet-journal", "asia-metals-brief", "smm-news"];

fn config(server: &TestServer) -> String {
    format!(
        "[[source]]\nname = \"metals-wire\"\nurl = \"{}\"\n\n[[source]]\nname = \"magnet-journal\"\nurl = \"{}\"\n\n[[source]]\nname = \"asia-metals-brief\"\nurl = \"{}\"\n\n[[source]]\nname = \"smm-news\"\nurl = \"{}\"\nkind = \"html\"\n{}",
        server.url("/wire.xml"),
        server.url("/journal.xml"),
        server.url("/brief.json"),
        server.url("/smm/list"),
        labelled::HTML_SCRAPE_RULES
    )
}

/// Fetches the sources one by one in `order` (indexes into [`SOURCES`]).
fn fetch_in_order(workspace: &Workspace, order: [usize; 4]) {
    for index in order {
        let output = workspace.run(&["fetch", "--source", SOURCES[index]]);
        assert!(output.status.success(), "{}: {:?}", SOURCES[index], text(&output));
    }
}

/// The story lodestone gave each labelled item, by labelled id.
fn stories_by_item(workspace: &Workspace, items: &[Labelled]) -> HashMap<String, i64> {
    let by_url: HashMap<&str, &str> =
        items.iter().map(|item| (item.url.as_str(), item.id.as_str())).collect();
    let mut stories = HashMap::new();
    for row in workspace.items() {
        let url = row["url"].as_str().unwrap_or_default();
        let id =
            by_url.get(url).unwrap_or_else(|| panic!("an item lodestone stored is not in the set: {url}"));
        stories.insert(id.to_string(), row["story"].as_i64().expect("every item has a story"));
    }
    assert_eq!(stories.len(), items.len(), "every labelled item was stored once");
    stories
}

struct Scores {
    precision: f64,
    recall: f64,
    false_merges: Vec<(String, String)>,
    missed: Vec<(String, String)>,
}

fn pairwise(items: &[Labelled], assigned: &HashMap<String, i64>) -> Scores {
    let (mut true_positive, mut false_positive, mut false_negative) = (0usize, 0usize, 0usize);
    let (mut false_merges, mut missed) = (Vec::new(), Vec::new());
    for (index, a) in items.iter().enumerate() {
        for b in &items[index + 1..] {
            let truth = a.story == b.story;
            let predicted = assigned[&a.id] == assigned[&b.id];
            match (truth, predicted) {
                (true, true) => true_positive += 1,
                (false, true) => {
                    false_positive += 1;
                    false_merges.push((a.id.clone(), b.id.clone()));
                }
                (true, false) => {
                    false_negative += 1;
                    missed.push((a.id.clone(), b.id.clone()));
                }
                (false, false) => {}
            }
        }
    }
    Scores {
        precision: true_positive as f64 / (true_positive + false_positive).max(1) as f64,
        recall: true_positive as f64 / (true_positive + false_negative).max(1) as f64,
        false_merges,
        missed,
    }
}

fn word_trigrams(item: &Labelled) -> HashSet<String> {
    let text = format!("{} {}", item.title, item.body).to_lowercase();
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(3).map(|window| window.join(" ")).collect()
}

fn print_hardness(items: &[Labelled]) {
    let shingles: HashMap<&str, HashSet<String>> =
        items.iter().map(|item| (item.id.as_str(), word_trigrams(item))).collect();
    let mut buckets = [0usize; 5];
    let mut pairs = 0;
    for (index, a) in items.iter().enumerate() {
        for b in items[index + 1..].iter().filter(|b| b.story == a.story) {
            let (x, y) = (&shingles[a.id.as_str()], &shingles[b.id.as_str()]);
            let jaccard = x.intersection(y).count() as f64 / x.union(y).count().max(1) as f64;
            let bucket = match jaccard {
                j if j < 0.05 => 0,
                j if j < 0.15 => 1,
                j if j < 0.5 => 2,
                j if j < 0.9 => 3,
                _ => 4,
            };
            buckets[bucket] += 1;
            pairs += 1;
        }
    }
    println!(
        "same-story pairs: {pairs}; word-3 Jaccard <0.05: {}, 0.05-0.15: {}, 0.15-0.5: {}, 0.5-0.9: {}, >=0.9: {}",
        buckets[0], buckets[1], buckets[2], buckets[3], buckets[4]
    );
    let rewrites = buckets[0] + buckets[1];
    println!(
        "share of same-story pairs below 0.15 (genuine rewrites): {:.2}",
        rewrites as f64 / pairs.max(1) as f64
    );
    assert!(
        rewrites * 2 >= pairs,
        "at least half the same-story pairs must be rewrites with word-3 Jaccard < 0.15"
    );
}

fn print_scores(label: &str, items: &[Labelled], scores: &Scores) {
    let title: HashMap<&str, &str> =
        items.iter().map(|item| (item.id.as_str(), item.title.as_str())).collect();
    println!("{label}: pairwise precision {:.3}, recall {:.3}", scores.precision, scores.recall);
    for (a, b) in &scores.false_merges {
        println!("  false merge: {a} \"{}\" + {b} \"{}\"", title[a.as_str()], title[b.as_str()]);
    }
    for (a, b) in &scores.missed {
        println!("  missed:      {a} \"{}\" + {b} \"{}\"", title[a.as_str()], title[b.as_str()]);
    }
}

/// Serves `items`, fetches the four sources in order into a new workspace, and prints the
/// pairwise scores of the stories formed.
fn first_fetch(
    server: &TestServer,
    items: &[Labelled],
    label: &str,
) -> (Workspace, HashMap<String, i64>, Scores) {
    serve(server, items);
    let workspace = Workspace::new(&config(server));
    fetch_in_order(&workspace, [0, 1, 2, 3]);
    let assigned = stories_by_item(&workspace, items);
    let scores = pairwise(items, &assigned);
    print_scores(label, items, &scores);
    (workspace, assigned, scores)
}

fn print_reasons(workspace: &Workspace) {
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    let mut statement = connection
        .prepare("SELECT reason, COUNT(*) FROM story_members GROUP BY reason ORDER BY reason")
        .unwrap();
    let counts: Vec<(String, i64)> =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect();
    println!("how items joined: {counts:?}");
}

#[test]
fn the_labelled_set_forms_the_labelled_stories_and_later_variants_join_them() {
    let first = labelled::load("items-");
    let second = labelled::load("second-fetch-");
    assert!(first.len() >= 200, "the set has {} items", first.len());
    print_hardness(&[first.clone(), second.clone()].concat());
    let server = TestServer::start();
    let (workspace, assigned, scores) = first_fetch(&server, &first, "first fetch");
    print_reasons(&workspace);

    let all = [first.clone(), second.clone()].concat();
    serve(&server, &all);
    fetch_in_order(&workspace, [0, 1, 2, 3]);
    let assigned_after = stories_by_item(&workspace, &all);
    for item in &first {
        assert_eq!(assigned_after[&item.id], assigned[&item.id], "story ids are stable: {}", item.id);
    }
    // A new variant joins an existing story when it lands in a story holding an item of the
    // first fetch with the same label.
    let mut first_stories: HashMap<&str, HashSet<i64>> = HashMap::new();
    for item in &first {
        first_stories.entry(item.story.as_str()).or_default().insert(assigned_after[&item.id]);
    }
    let mut joined = 0;
    let mut should_join = 0;
    for item in second.iter().filter(|item| first_stories.contains_key(item.story.as_str())) {
        should_join += 1;
        if first_stories[item.story.as_str()].contains(&assigned_after[&item.id]) {
            joined += 1;
        } else {
            println!("  second fetch: {} \"{}\" did not join story {}", item.id, item.title, item.story);
        }
    }
    println!("second fetch: {joined} of {should_join} new variants joined their existing story");
    let scores_after = pairwise(&all, &assigned_after);
    print_scores("after the second fetch", &all, &scores_after);
    assert!(should_join >= 10);
    assert!(joined * 100 >= should_join * 95, "new variants must join the existing stories");
    assert!(scores.precision >= 0.98 && scores_after.precision >= 0.98, "precision below 0.98");
    assert!(scores.recall >= 0.95 && scores_after.recall >= 0.95, "recall below 0.95");
}

/// A held-out set (`holdout-d.jsonl`: 94 items, 22 stories of two or three genuine rewrites,
/// 16 hard negatives), written apart from the rest and never used to set a threshold. It shows
/// how far the figures above carry to news the settings never saw. Precision must hold there
/// too; recall is lower (rewrites that share almost no words, or name the same actor two ways:
/// "MOFCOM" and "China"), and its floor, under the figure measured when the set was added
/// (0.69), only catches a regression.
#[test]
fn a_held_out_set_keeps_its_precision() {
    let items = labelled::load("holdout-");
    assert!(items.len() >= 90, "the held-out set has {} items", items.len());
    print_hardness(&items);
    let (_, _, scores) = first_fetch(&TestServer::start(), &items, "held-out set");
    assert!(scores.precision >= 0.98, "held-out precision below 0.98");
    assert!(scores.recall >= 0.6, "held-out recall below its floor");
}

/// The first fetch in every order of the four sources (two at a time, on two threads): the
/// spread of precision and recall that arrival order alone causes.
#[test]
fn precision_and_recall_whatever_order_the_sources_arrive_in() {
    let first = labelled::load("items-");
    let mut orders = Vec::new();
    for a in 0..4 {
        for b in (0..4).filter(|b| *b != a) {
            for c in (0..4).filter(|c| *c != a && *c != b) {
                orders.push([a, b, c, 6 - a - b - c]);
            }
        }
    }
    let run = |order: [usize; 4]| {
        let server = TestServer::start();
        serve(&server, &first);
        let workspace = Workspace::new(&config(&server));
        fetch_in_order(&workspace, order);
        let scores = pairwise(&first, &stories_by_item(&workspace, &first));
        (order, scores.precision, scores.recall)
    };
    let mut results: Vec<([usize; 4], f64, f64)> = Vec::new();
    for pair in orders.chunks(2) {
        let handles: Vec<_> = std::thread::scope(|scope| {
            let spawned: Vec<_> = pair.iter().map(|order| scope.spawn(move || run(*order))).collect();
            spawned.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        results.extend(handles);
    }
    for (order, precision, recall) in &results {
        println!("order {order:?}: precision {precision:.3}, recall {recall:.3}");
    }
    let count = results.len() as f64;
    let mean_precision = results.iter().map(|result| result.1).sum::<f64>() / count;
    let mean_recall = results.iter().map(|result| result.2).sum::<f64>() / count;
    let min_precision = results.iter().map(|result| result.1).fold(1.0, f64::min);
    let min_recall = results.iter().map(|result| result.2).fold(1.0, f64::min);
    let max_recall = results.iter().map(|result| result.2).fold(0.0, f64::max);
    let below = results.iter().filter(|result| result.2 < 0.95).count();
    println!(
        "over {} orders: precision mean {mean_precision:.3} (min {min_precision:.3}); recall mean {mean_recall:.3} (min {min_recall:.3}, max {max_recall:.3}; {below} orders below 0.95)",
        results.len()
    );
    assert_eq!(results.len(), 24);
    assert!(min_precision >= 0.98, "precision below 0.98 in some order");
    assert!(mean_recall >= 0.95, "mean recall over the orders below 0.95");
}

/// Which signal finds which same-story pair: the republication signals (exact text, flash
/// reference, MinHash Jaccard ≥ the near-copy threshold) against TF-IDF cosine ≥ the rewrite
/// threshold, each computed for every same-story pair with frequencies over the whole set.
#[test]
fn republication_signals_and_tf_idf_find_different_pairs() {
    use lodestone::analysis::analyze;
    use lodestone::stories::{DocumentFrequencies, Settings, Side, compare, story_features, weigh};
    let items = [labelled::load("items-"), labelled::load("second-fetch-")].concat();
    let classifier = lodestone::classify::Classifier::shipped().unwrap();
    let settings = Settings::default();
    let mut frequencies = DocumentFrequencies::default();
    let features: Vec<_> = items
        .iter()
        .map(|item| {
            let analysis = analyze(&item.title, &item.body);
            let classification = classifier.classify_analysis(&analysis, &item.title, &item.body, &[]);
            let features = story_features(&analysis, Some(&classification));
            frequencies.add_document(&features.terms);
            features
        })
        .collect();
    let weighted: Vec<_> = features.iter().map(|features| weigh(&features.terms, &frequencies)).collect();
    let published: Vec<i64> =
        items.iter().map(|item| item.published.parse::<jiff::Timestamp>().unwrap().as_second()).collect();
    let (mut republication_only, mut tf_idf_only, mut both, mut neither, mut pairs) = (0, 0, 0, 0, 0);
    for a in 0..items.len() {
        for b in a + 1..items.len() {
            if items[a].story != items[b].story {
                continue;
            }
            pairs += 1;
            let side = |index: usize| Side {
                features: &features[index],
                weighted: &weighted[index],
                source: index as i64,
                published: published[index],
            };
            let comparison = compare(&side(a), &side(b), &settings);
            let exact = features[a].exact_hash.is_some() && features[a].exact_hash == features[b].exact_hash;
            let flash = features[a].flash_reference_hash == Some(features[b].title_hash)
                || features[b].flash_reference_hash == Some(features[a].title_hash);
            let republication = exact || flash || comparison.jaccard >= settings.near_copy;
            let tf_idf = comparison.cosine >= settings.rewrite;
            match (republication, tf_idf) {
                (true, true) => both += 1,
                (true, false) => republication_only += 1,
                (false, true) => tf_idf_only += 1,
                (false, false) => neither += 1,
            }
        }
    }
    println!("same-story pairs: {pairs}");
    println!("  found by the republication signals only: {republication_only}");
    println!("  found by TF-IDF cosine only:             {tf_idf_only}");
    println!("  found by both:                           {both}");
    println!(
        "  found by neither on their own:           {neither} (joined through other members, or missed)"
    );
    // Shingle signals alone find few pairs of a rewrite-heavy set; TF-IDF must find most.
    assert!(republication_only + both < pairs / 2, "the set is not rewrite-heavy");
    assert!(tf_idf_only + both > pairs * 3 / 4, "TF-IDF finds too few pairs");
}

/// References are not enforced on write (the store checks them instead): every membership,
/// signature and tag row must still name a stored item and story.
fn assert_references_hold(workspace: &Workspace) {
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    assert_eq!(store.foreign_key_violations().unwrap(), 0, "rows that name no item or story");
}

/// Rows of a table, sorted, for comparing before and after.
fn table_rows(workspace: &Workspace, sql: &str) -> Vec<(i64, i64)> {
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    let mut statement = connection.prepare(sql).unwrap();
    let mut rows: Vec<(i64, i64)> =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect();
    rows.sort_unstable();
    rows
}

/// `restory` recomputes every story from the stored items, in publication order, with the
/// current `[dedup]` settings: items and document frequencies come out as they went in, the
/// stories still match the labels, no story id is given twice, and a stricter setting splits.
#[test]
fn restory_recomputes_the_stories_without_touching_items_and_never_reuses_an_id() {
    let first = labelled::load("items-");
    let server = TestServer::start();
    serve(&server, &first);
    let workspace = Workspace::new(&config(&server));
    fetch_in_order(&workspace, [0, 1, 2, 3]);
    assert_references_hold(&workspace);
    let items_sql = "SELECT id, length(title) + length(body_text) FROM items";
    let frequencies_sql = "SELECT term, documents FROM term_frequencies";
    let items_before = table_rows(&workspace, items_sql);
    let frequencies_before = table_rows(&workspace, frequencies_sql);
    let largest_id_before = table_rows(&workspace, "SELECT MAX(id), COUNT(*) FROM stories")[0].0;

    let output = workspace.run(&["restory"]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_references_hold(&workspace);
    assert_eq!(table_rows(&workspace, items_sql), items_before, "restory leaves the items alone");
    assert_eq!(
        table_rows(&workspace, frequencies_sql),
        frequencies_before,
        "the document frequencies are taken out and counted back"
    );
    let assigned = stories_by_item(&workspace, &first);
    assert!(
        assigned.values().all(|story| *story > largest_id_before),
        "every recomputed story has a new id, none given before"
    );
    let scores = pairwise(&first, &assigned);
    print_scores("after restory (publication order)", &first, &scores);
    assert!(scores.precision >= 0.98 && scores.recall >= 0.95, "restory's stories match the labels");
    let stories_before = assigned.values().collect::<HashSet<_>>().len();

    // A rewrite threshold no rewrite reaches: only republications stay together.
    workspace.write_config(&format!("{}\n[dedup]\nrewrite = 0.99\n", config(&server)));
    let output = workspace.run(&["restory"]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_references_hold(&workspace);
    let strict = stories_by_item(&workspace, &first);
    let stories_strict = strict.values().collect::<HashSet<_>>().len();
    println!("stories: {stories_before} with the defaults, {stories_strict} with rewrite = 0.99");
    assert!(stories_strict > stories_before, "a stricter setting gives more stories");
    assert_eq!(table_rows(&workspace, items_sql), items_before);
}
