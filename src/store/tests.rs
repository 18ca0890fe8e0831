use jiff::Timestamp;

use super::*;
use crate::config::Config;
use crate::model::{DateOrigin, Item};

fn store_with_source() -> (Store, i64) {
    let config = Config::parse(
        "[[source]]\nname = \"wire\"\nurl = \"https://wire.example/feed\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store.sync_sources(&config.sources, now()).unwrap();
    let id = store.source_state("wire").unwrap().id;
    (store, id)
}

/// A store holding items "a" and "b" of source "wire", each in a story of its own.
fn store_with_items_a_and_b() -> Store {
    let (mut store, source_id) = store_with_source();
    store
        .record_fetch(&record(source_id), vec![item("a", "First", 1), item("b", "Second", 2)], now())
        .unwrap();
    store
}

fn now() -> Timestamp {
    "2026-02-06T11:00:00Z".parse().unwrap()
}

fn item(guid: &str, title: &str, hash: i64) -> Item {
    Item {
        guid: guid.into(),
        url: Some(format!("https://wire.example/{guid}")),
        title: title.into(),
        summary: Some("Serra Verde financing summary".into()),
        body_text: "The DFC offered a financing package.".into(),
        body_html: "<p>The DFC offered a financing package.</p>".into(),
        author: None,
        series: None,
        published: "2026-02-06T10:46:00Z".parse().unwrap(),
        published_from: DateOrigin::Published,
        content_hash: hash,
        story_features: None,
        classification: None,
    }
}

fn record(source_id: i64) -> FetchRecord {
    FetchRecord {
        source_id,
        started_at: now(),
        url: "https://wire.example/feed".into(),
        http_status: Some(200),
        bytes: 100,
        duration: Duration::from_millis(5),
        outcome: FetchOutcome::Ok,
        error: None,
        etag: Some("\"v1\"".into()),
        last_modified: None,
        body_hash: Some(1),
        permanent_redirect: None,
        retry_after_until: None,
        next_fetch_at: None,
    }
}

#[test]
fn migrations_are_valid_and_all_listed() {
    assert!(migrations::MIGRATIONS.validate().is_ok());
    let mut on_disk: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, migrations::MIGRATION_DIRECTORIES);
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.schema_version().unwrap(), migrations::MIGRATION_DIRECTORIES.len() as i64);
}

#[test]
fn same_guid_updates_in_place_and_new_guid_adds_a_row() {
    let (mut store, source_id) = store_with_source();
    let counts = store
        .record_fetch(&record(source_id), vec![item("a", "First", 1), item("b", "Second", 2)], now())
        .unwrap();
    assert_eq!((counts.new, counts.updated, counts.unchanged), (2, 0, 0));
    let first_id =
        store.query_items(&ItemFilter::default()).unwrap().iter().find(|row| row.guid == "a").unwrap().id;
    let counts = store
        .record_fetch(
            &record(source_id),
            vec![item("a", "First, edited", 11), item("b", "Second", 2), item("c", "Third", 3)],
            now(),
        )
        .unwrap();
    assert_eq!((counts.new, counts.updated, counts.unchanged), (1, 1, 1));
    let rows = store.query_items(&ItemFilter::default()).unwrap();
    assert_eq!(rows.len(), 3);
    let edited = rows.iter().find(|row| row.guid == "a").unwrap();
    assert_eq!((edited.id, edited.title.as_str()), (first_id, "First, edited"));
    assert_eq!(edited.updated.as_deref(), Some("2026-02-06T11:00:00Z"));
    assert_eq!(rows.iter().find(|row| row.guid == "b").unwrap().updated, None);
}

/// References are checked, not enforced: the writes leave none broken, and the check finds one.
#[test]
fn the_reference_check_finds_rows_that_name_no_item() {
    let store = store_with_items_a_and_b();
    assert_eq!(store.foreign_key_violations().unwrap(), 0);
    store
        .conn
        .execute("INSERT INTO item_topics (item, topic, score, rank) VALUES (999, 'prices', 1, 0)", [])
        .unwrap();
    assert_eq!(store.foreign_key_violations().unwrap(), 1);
}

/// A story a new item takes a member from keeps its other members (the window may not show
/// them: they can be older than 72 h), and goes only when none is left.
#[test]
fn a_story_that_loses_a_member_keeps_the_others_and_goes_when_none_is_left() {
    let mut store = store_with_items_a_and_b();
    let member = |store: &Store, guid: &str| -> (i64, i64) {
        let sql = "SELECT i.id, m.story FROM story_members m JOIN items i ON i.id = m.item WHERE i.guid = ?1";
        store.conn.query_row(sql, [guid], |row| Ok((row.get(0)?, row.get(1)?))).unwrap()
    };
    let ((a, first), (b, second)) = (member(&store, "a"), member(&store, "b"));
    let tx = store.conn.transaction().unwrap();
    // b joins a's story, and b's own story, now empty, goes.
    tx.execute("UPDATE story_members SET story = ?1 WHERE item = ?2", [first, b]).unwrap();
    assert!(super::stories::after_members_left(&tx, second).unwrap());
    super::stories::recompute_story(&tx, first).unwrap();
    // A new story takes a: b stays, so the story stays, one member smaller.
    super::stories::insert_story(&tx, 999, a, "2026-02-06T10:46:00Z", "2026-02-06T11:00:00Z").unwrap();
    tx.execute("UPDATE story_members SET story = 999 WHERE item = ?1", [a]).unwrap();
    assert!(!super::stories::after_members_left(&tx, first).unwrap());
    let size: i64 =
        tx.query_row("SELECT size FROM stories WHERE id = ?1", [first], |row| row.get(0)).unwrap();
    assert_eq!(size, 1);
    tx.execute("UPDATE story_members SET story = 999 WHERE item = ?1", [b]).unwrap();
    assert!(super::stories::after_members_left(&tx, first).unwrap());
    tx.commit().unwrap();
    assert_eq!(store.foreign_key_violations().unwrap(), 0);
    let left: i64 = store.conn.query_row("SELECT COUNT(*) FROM stories", [], |row| row.get(0)).unwrap();
    assert_eq!(left, 1, "only the new story is left");
}

/// The window rebuilt from the file knows each story's stored size, members older than the
/// window included: a story is not taken for a lone item's because only one member is recent.
#[test]
fn the_rebuilt_window_counts_members_older_than_it() {
    let mut store = store_with_items_a_and_b();
    let sql = "SELECT m.story FROM story_members m JOIN items i ON i.id = m.item WHERE i.guid = 'a'";
    let story: i64 = store.conn.query_row(sql, [], |row| row.get(0)).unwrap();
    // As if the story had a second member, published long before the window.
    store.conn.execute("UPDATE stories SET size = 2 WHERE id = ?1", [story]).unwrap();
    store.stories.forget();
    let tx = store.conn.transaction().unwrap();
    let published = "2026-02-06T10:46:00Z".parse::<Timestamp>().unwrap().as_second();
    super::stories::ensure_window(&tx, &mut store.stories, published).unwrap();
    let state = store.stories.window.story(story).expect("item a is in the window");
    assert_eq!((state.members.len(), state.size()), (1, 2));
}

#[test]
fn full_text_search_follows_updates() {
    let (mut store, source_id) = store_with_source();
    store.record_fetch(&record(source_id), vec![item("a", "Lynas output rises", 1)], now()).unwrap();
    let search = |store: &Store, text: &str| {
        store.query_items(&ItemFilter { search: Some(text.into()), ..ItemFilter::default() }).unwrap().len()
    };
    assert_eq!(search(&store, "lynas"), 1);
    store.record_fetch(&record(source_id), vec![item("a", "Iluka output rises", 2)], now()).unwrap();
    assert_eq!(search(&store, "lynas"), 0);
    assert_eq!(search(&store, "iluka"), 1);
    // New items are indexed by the store at the end of the transaction, updates by a trigger:
    // FTS5 compares its index with the items table (rank 1: against the content).
    store.record_fetch(&record(source_id), vec![item("b", "Arafura financing closes", 3)], now()).unwrap();
    assert_eq!(search(&store, "arafura"), 1);
    store.conn.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)", []).unwrap();
    let bad = store.query_items(&ItemFilter { search: Some("\"unbalanced".into()), ..ItemFilter::default() });
    assert!(matches!(bad, Err(StoreError::BadSearch { .. })), "{bad:?}");
}

#[test]
fn error_fetch_counts_errors_and_success_resets_them() {
    let (mut store, source_id) = store_with_source();
    let mut failed = record(source_id);
    failed.outcome = FetchOutcome::Error;
    failed.error = Some("HTTP 500".into());
    store.record_fetch(&failed, Vec::new(), now()).unwrap();
    store.record_fetch(&failed, Vec::new(), now()).unwrap();
    let status = &store.source_statuses().unwrap()[0];
    assert_eq!((status.consecutive_errors, status.last_error.as_deref()), (2, Some("HTTP 500")));
    store.record_fetch(&record(source_id), Vec::new(), now()).unwrap();
    let state = store.source_state("wire").unwrap();
    assert_eq!((state.consecutive_errors, state.etag.as_deref()), (0, Some("\"v1\"")));
    assert_eq!(store.source_statuses().unwrap()[0].last_error, None);
    assert_eq!(store.fetch_count("wire").unwrap(), 3);
}

#[test]
fn changed_config_url_forgets_redirect_and_validators() {
    let (mut store, source_id) = store_with_source();
    let mut redirected = record(source_id);
    redirected.permanent_redirect = Some("https://wire.example/new-feed".into());
    store.record_fetch(&redirected, Vec::new(), now()).unwrap();
    assert_eq!(store.source_state("wire").unwrap().fetch_url, "https://wire.example/new-feed");
    let config = Config::parse(
        "[[source]]\nname = \"wire\"\nurl = \"https://other.example/feed\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    store.sync_sources(&config.sources, now()).unwrap();
    let state = store.source_state("wire").unwrap();
    assert_eq!((state.fetch_url.as_str(), state.etag), ("https://other.example/feed", None));
}

#[test]
fn search_returns_the_newest_matches_even_when_storage_order_disagrees() {
    let (mut store, source_id) = store_with_source();
    let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let mut items = Vec::new();
    for index in 0..1800 {
        let mut copper = item(&format!("c{index}"), &format!("Copper note {index}"), index);
        // Stored in date order, except item 3, stored early but published last of all.
        let minutes = if index == 3 { 100_000 } else { index * 10 };
        copper.published = base.checked_add(jiff::SignedDuration::from_mins(minutes)).unwrap();
        if index % 3 == 0 {
            copper.title = format!("Zinc note {index}");
            copper.body_text = "Zinc stocks fell.".into();
        }
        items.push(copper);
    }
    store.record_fetch(&record(source_id), items, now()).unwrap();
    let search = |text: &str, limit: usize| {
        let filter = ItemFilter { search: Some(text.into()), limit, ..ItemFilter::default() };
        store.query_items(&filter).unwrap().into_iter().map(|row| row.guid).collect::<Vec<_>>()
    };
    let all = search("copper", 0);
    assert_eq!(all.len(), 1200);
    let newest = search("copper", 5);
    assert_eq!(newest, all[..5].to_vec());
    assert_eq!(newest[0], "c1799", "item 3 is zinc, so not a match");
    let zinc = search("zinc", 3);
    assert_eq!(
        zinc[0], "c3",
        "stored early, published last: found by the exact plan (600 zinc items > candidates)"
    );
    assert_eq!(zinc, search("zinc", 0)[..3].to_vec());
    let since = ItemFilter {
        search: Some("copper".into()),
        since: Some(base.checked_add(jiff::SignedDuration::from_mins(17_900)).unwrap()),
        limit: 50,
        ..ItemFilter::default()
    };
    assert_eq!(store.query_items(&since).unwrap().len(), 7, "filters apply to candidates too");
}

#[test]
fn existing_guids_and_series_round_trip_and_filter() {
    let (mut store, source_id) = store_with_source();
    let mut flash = item("flash", "[SMM Flash] Serra Verde offer", 1);
    flash.series = Some("SMM Flash".into());
    store.record_fetch(&record(source_id), vec![flash, item("plain", "Copper", 2)], now()).unwrap();
    let asked = ["flash".to_string(), "plain".to_string(), "new".to_string()];
    let mut existing: Vec<String> = store.existing_guids(source_id, &asked).unwrap().into_iter().collect();
    existing.sort();
    assert_eq!(existing, ["flash", "plain"]);
    assert!(store.existing_guids(source_id + 1, &asked).unwrap().is_empty(), "per source");
    let series = |names: &[&str]| {
        let filter =
            ItemFilter { series: names.iter().map(|s| s.to_string()).collect(), ..ItemFilter::default() };
        store.query_items(&filter).unwrap().into_iter().map(|row| (row.guid, row.series)).collect::<Vec<_>>()
    };
    assert_eq!(series(&["SMM Flash"]), [("flash".to_string(), Some("SMM Flash".to_string()))]);
    assert_eq!(series(&[]).len(), 2);
    assert!(series(&["SMM Analysis"]).is_empty());
}

/// The digest's batched reads give what the per-story reads give (entities: the kinds a
/// digest shows), for stories of one and of several items.
#[test]
fn batched_story_reads_match_the_per_story_reads() {
    let (mut store, source_id) = store_with_source();
    let classifier = crate::classify::Classifier::shipped().unwrap();
    let texts = [
        ("a", "US DFC offers $565 million to Serra Verde rare earth project", "10:46"),
        ("b", "US DFC offers $565 million to Serra Verde rare earth project", "10:52"),
        ("c", "Frontier Rare Earths secures $20 million and signs NdFeB offtake with Lynas", "10:46"),
        ("d", "Lithium prices in China slip as CATL cuts output", "09:00"),
    ];
    let items = texts.iter().enumerate().map(|(index, (guid, title, time))| {
        let body = format!("{title}. The company said so on Friday in Sydney; copper and cobalt rose.");
        let classification = classifier.classify(title, &body, &[]);
        let analysis = crate::analysis::analyze(title, &body);
        let mut item = item(guid, title, index as i64);
        item.body_text = body;
        item.summary = (index % 2 == 0).then(|| format!("Summary of {guid}"));
        item.published = format!("2026-02-06T{time}:00Z").parse().unwrap();
        item.story_features =
            Some(Box::new(crate::stories::story_features(&analysis, Some(&classification))));
        item.classification = Some(Box::new(classification));
        item
    });
    store.record_fetch(&record(source_id), items.collect::<Vec<_>>(), now()).unwrap();
    let mut ids = store.stories_first_published("2026-02-06T00:00:00Z", "2026-02-07T00:00:00Z").unwrap();
    ids.reverse();
    ids.push(9_999);
    let details = store.digest_story_details(&ids).unwrap();
    assert_eq!(details.len(), 3, "the two Serra Verde items are one story; 9999 does not exist");
    assert!(details.iter().any(|(story, ..)| story.size == 2));
    for (position, (story, canonical, sources, entities)) in details.iter().enumerate() {
        assert_eq!(story.story, ids[position], "in the order asked");
        assert_eq!(Some(story), store.story(story.story).unwrap().as_ref());
        let mut expected = store.item(story.canonical_item).unwrap().unwrap();
        (expected.topics, expected.entities) = (Vec::new(), Vec::new());
        assert_eq!(canonical.as_ref(), Some(&expected));
        let members = store.story_members(story.story).unwrap();
        assert_eq!(sources, &members.iter().map(|member| member.source.clone()).collect::<Vec<_>>());
        let shown = ["company", "commodity", "money"];
        let expected_entities: Vec<_> = members
            .iter()
            .flat_map(|member| store.item(member.item).unwrap().unwrap().entities)
            .filter(|entity| shown.contains(&entity.kind.as_str()))
            .collect();
        assert!(!expected_entities.is_empty());
        // Companies and amounts item by item, in order; each commodity once (only which
        // stories name it matters to a digest).
        let (commodities, others): (Vec<_>, Vec<_>) =
            entities.iter().partition(|entity| entity.kind == "commodity");
        let (expected_commodities, expected_others): (Vec<_>, Vec<_>) =
            expected_entities.iter().partition(|entity| entity.kind == "commodity");
        assert_eq!(others, expected_others);
        let distinct: std::collections::BTreeSet<_> = expected_commodities.iter().map(|e| &e.value).collect();
        assert_eq!(commodities.len(), distinct.len(), "each commodity once: {commodities:?}");
        assert_eq!(commodities.iter().map(|e| &e.value).collect::<std::collections::BTreeSet<_>>(), distinct);
    }
    let chart = store.chart_stories("2026-02-06T00:00:00Z", "2026-02-07T00:00:00Z").unwrap();
    assert_eq!(chart.len(), 3);
    for row in chart {
        let full = store.story(row.story).unwrap().unwrap();
        assert_eq!((&row.first_seen, row.size, &row.topics), (&full.first_seen, full.size, &full.topics));
        assert!(!row.topics.is_empty() || row.sources == full.sources);
    }
}

/// The stored document frequencies are the ones in memory, also once terms are dropped there.
#[test]
fn stored_frequencies_follow_the_bounded_ones_in_memory() {
    let (mut store, source_id) = store_with_source();
    let with_features = |guid: &str, words: &str| {
        let mut item =
            item(guid, &format!("{guid} {words}"), xxhash_rust::xxh3::xxh3_64(guid.as_bytes()) as i64);
        item.body_text = format!("{words} and {guid} shipped more.");
        let analysis = crate::analysis::analyze(&item.title, &item.body_text);
        item.story_features = Some(Box::new(crate::stories::story_features(&analysis, None)));
        item
    };
    let first: Vec<Item> =
        (0..10).map(|index| with_features(&format!("alpha{index}"), "copper cathode premiums")).collect();
    store.record_fetch(&record(source_id), first, now()).unwrap();
    let stored = |store: &Store| -> Vec<(i64, u32)> {
        let mut statement =
            store.conn.prepare("SELECT term, documents FROM term_frequencies ORDER BY term").unwrap();
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    // Each stored term with its count in memory; and memory holds no other term.
    let in_memory = |store: &mut Store| -> Vec<(i64, u32)> {
        let terms = stored(store);
        let frequencies = &store.story_engine().frequencies;
        assert_eq!(frequencies.terms_in_memory(), terms.len());
        terms.iter().map(|(term, _)| (*term, frequencies.count(*term as u64))).collect()
    };
    assert_eq!(stored(&store), in_memory(&mut store));
    let terms_before = stored(&store).len();
    // A tight bound: the next fetch's new terms push the rarest out, in memory and stored.
    let engine = store.story_engine();
    engine.frequencies = std::mem::take(&mut engine.frequencies).limited_to(terms_before);
    let second: Vec<Item> =
        (0..10).map(|index| with_features(&format!("beta{index}"), "lithium carbonate output")).collect();
    store.record_fetch(&record(source_id), second, now()).unwrap();
    let after = stored(&store);
    assert!(after.len() <= terms_before, "{} rows stored, the bound is {terms_before}", after.len());
    assert_eq!(after, in_memory(&mut store), "the table holds what memory holds");
    assert!(after.iter().all(|(_, count)| *count > 0));
}

/// Two connections writing one file (a CLI fetch beside the daemon): each reloads the story
/// state the other changed, so neither writes stale document frequencies over the other's.
#[test]
fn a_second_writer_is_seen_before_frequencies_are_stored() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("two.db");
    let config = Config::parse(
        "[[source]]\nname = \"wire\"\nurl = \"https://wire.example/feed\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let mut daemon = Store::open(&path).unwrap();
    daemon.sync_sources(&config.sources, now()).unwrap();
    let source_id = daemon.source_state("wire").unwrap().id;
    let mut cli = Store::open(&path).unwrap();
    let batch = |prefix: &str| -> Vec<Item> {
        (0..5)
            .map(|index| {
                let guid = format!("{prefix}{index}");
                let mut item = item(&guid, &format!("Copper {guid} output"), index);
                let analysis = crate::analysis::analyze(&item.title, &item.body_text);
                item.story_features = Some(Box::new(crate::stories::story_features(&analysis, None)));
                item
            })
            .collect()
    };
    daemon.record_fetch(&record(source_id), batch("daemon-a"), now()).unwrap();
    cli.record_fetch(&record(source_id), batch("cli"), now()).unwrap();
    daemon.record_fetch(&record(source_id), batch("daemon-b"), now()).unwrap();
    let copper = crate::analysis::analyze("copper", "").tokens[0].stem_hash as i64;
    let stored: u32 = daemon
        .conn
        .query_row("SELECT documents FROM term_frequencies WHERE term = ?1", [copper], |row| row.get(0))
        .unwrap();
    assert_eq!(stored, 15, "every item names copper: five from each fetch");
    assert_eq!(daemon.story_engine().frequencies.count(copper as u64), 15);
}
