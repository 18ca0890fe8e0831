//! HTML sources end to end: the real binary, a real SQLite file, SMM-shaped list pages
//! (tests/fixtures/smm) served by a real HTTP server on 127.0.0.1. Following articles is in
//! `html_follow.rs`.

mod smm_pages;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use smm_pages::{LIST_PATH, list_fixture, smm_source, sql_rows};
use support::{Response, TestServer, Workspace, fixture, text};

#[test]
fn a_list_page_gives_every_item_with_utc_dates_links_and_series() {
    let server = TestServer::start();
    server.fixed(LIST_PATH, Response::ok("text/html; charset=utf-8", list_fixture()));
    let rehashed = list_fixture()
        .replace("newsItem___wZtKx", "newsItem___Zz9Qp")
        .replace("title___1baLV", "title___Q0")
        .replace("date___3dzkE", "date___Xy7");
    server.fixed("/rehashed", Response::ok("text/html", rehashed));
    let workspace = Workspace::new(
        &[
            smm_source("smm", &server.url(LIST_PATH), ""),
            smm_source("smm-rehashed", &server.url("/rehashed"), ""),
        ]
        .concat(),
    );
    let output = workspace.run(&["fetch"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let items = workspace.items();
    let smm: Vec<&serde_json::Value> = items.iter().filter(|item| item["source"] == "smm").collect();
    assert_eq!(smm.len(), 20, "20 items; the promo block without a link is left out");
    assert_eq!(items.len(), 40, "hashed class names that changed still match");
    let by_start = |start: &str| {
        *smm.iter()
            .find(|item| item["title"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("no item titled {start}…"))
    };
    let frontier = by_start("Frontier Rare Earths Raises $20 Million");
    assert_eq!(frontier["published"], "2026-02-06T10:46:00Z", "18:46 in Shanghai");
    let relative_link = server
        .url("/newscontent/104150212-frontier-rare-earths-raises-20-million-and-signs-carester-offtake");
    assert_eq!(frontier["url"], relative_link.as_str(), "a relative link resolved against the page");
    assert_eq!(frontier["guid"], server.url("/newscontent/104150212").as_str());
    assert!(frontier["summary"].as_str().unwrap().contains("Industrial Development Corporation"));
    let flash = by_start("【SMM Flash】US DFC Puts $565M");
    assert_eq!(flash["guid"], "https://news.metal.com/newscontent/104150190", "an absolute link kept");
    assert_eq!(flash["series"], "SMM Flash");
    assert_eq!(flash["published"], "2026-02-06T10:42:00Z");
    let lead = by_start("Serra Verde Gets $565M");
    assert_eq!(
        (lead["series"].as_str(), lead["published"].as_str()),
        (Some("SMM Flash"), Some("2026-02-06T10:41:00Z"))
    );
    assert_eq!(lead["guid"], server.url("/newscontent/104150187").as_str(), "the /en/ form");
    assert!(by_start("US Offers $565 Million")["series"].is_null());
    assert_eq!(by_start("Antimony Ingot")["published"], "2026-02-05T01:05:00Z", "Feb 5, 2026 9:05");
    assert_eq!(by_start("Tin Smelter")["published"], "2026-01-09T06:38:00Z", "Jan 9, 2026 14:38");
    assert_eq!(by_start("Copper Cathode")["series"], "SMM Weekly Review");
    let fetched: jiff::Timestamp = frontier["fetched"].as_str().unwrap().parse().unwrap();
    let two_hours_ago: jiff::Timestamp =
        by_start("Lithium Carbonate")["published"].as_str().unwrap().parse().unwrap();
    let lag = fetched.as_second() - two_hours_ago.as_second();
    assert!((7200 - 120..=7200 + 120).contains(&lag), "`2 hours ago` is {lag}s before the fetch");
    // Without a readable date an item gets the fetch time, flagged as such.
    let origins = sql_rows(
        &workspace,
        "SELECT i.title, i.published_from, CAST(i.published = i.fetched AS TEXT) FROM items i JOIN sources s ON s.id = i.source_id
         WHERE s.name = 'smm' AND i.published_from <> 'feed' ORDER BY i.title",
    );
    let origins: Vec<(&str, &str, &str)> =
        origins.iter().map(|row| (&row[0][..12], row[1].as_str(), row[2].as_str())).collect();
    assert_eq!(origins, [("Manganese Su", "fetched", "1"), ("Silicon Meta", "fetched", "1")]);
    // The flag is in the JSON users read.
    assert_eq!(by_start("Manganese Su")["published_from"], "fetched");
    assert_eq!(by_start("Tin Smelter")["published_from"], "feed");
    // The series is a filter (in any case) and a column.
    for series in ["SMM Flash", "smm flash"] {
        let flashes = workspace.run(&["query", "--series", series, "--format", "json"]);
        let flashes: Vec<serde_json::Value> = serde_json::from_slice(&flashes.stdout).unwrap();
        assert_eq!(flashes.len(), 4, "two sources, two flashes each: `{series}`");
    }
    let table = text(&workspace.run(&["query", "--source", "smm", "--limit", "0"])).0;
    assert!(table.lines().next().unwrap().contains("SERIES"), "{table}");
    assert!(table.lines().all(|line| line.chars().count() <= 100), "{table}");
}

/// A list page linking one article under each of `hrefs`.
fn one_article_page(hrefs: &[&str], title: &str) -> String {
    let items: String = hrefs
        .iter()
        .map(|href| {
            format!(
                r#"<div class="newsItem___wZtKx"><a href="{href}"><div class="title___1baLV">{title}</div></a><div class="date___3dzkE">Oct 1, 2026 18:46</div></div>"#
            )
        })
        .collect();
    format!("<html><body>{items}</body></html>")
}

#[test]
fn three_url_forms_of_one_article_are_one_item() {
    let server = TestServer::start();
    let forms = [
        "/newscontent/104143124-smm-flash-news-masivo-intersects-3250-metres",
        "/en/newscontent/104143124-smm-flash-news-masivo-intersects-3250-metres",
        "/newscontent/104143124/",
    ];
    let version = Arc::new(AtomicUsize::new(0));
    let served = version.clone();
    server.route(LIST_PATH, move |_| {
        let body = match served.load(Ordering::SeqCst) {
            0 => one_article_page(&forms, "【SMM Flash News】Masivo intersects 32.50 metres"),
            _ => {
                one_article_page(&forms[2..], "【SMM Flash News】Masivo intersects 32.50 metres of lead-zinc")
            }
        };
        Response::ok("text/html", body)
    });
    let workspace = Workspace::new(&smm_source("smm", &server.url(LIST_PATH), ""));
    assert!(workspace.run(&["fetch"]).status.success());
    let first = workspace.items();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["guid"], server.url("/newscontent/104143124").as_str());
    assert_eq!(first[0]["url"], server.url(forms[0]).as_str(), "the first form seen is the link");
    assert_eq!(first[0]["series"], "SMM Flash News");
    version.store(1, Ordering::SeqCst);
    assert!(workspace.run(&["fetch"]).status.success());
    let second = workspace.items();
    assert_eq!(second.len(), 1, "another form on a later pass is the same item");
    assert_eq!(second[0]["id"], first[0]["id"]);
    assert!(second[0]["title"].as_str().unwrap().ends_with("of lead-zinc"), "updated in place");
    // And a local copy of the page ingests to the same guid.
    let file = workspace.directory.path().join("list.html");
    std::fs::write(&file, one_article_page(&forms[1..2], "Masivo")).unwrap();
    let ingest = workspace.run(&["ingest", "--source", "smm", file.to_str().unwrap()]);
    assert!(text(&ingest).0.contains("ok (0 new, 1 updated, 0 unchanged)"), "{:?}", text(&ingest));
}

#[test]
fn a_changed_layout_is_a_clear_source_error_and_nothing_stored_is_touched() {
    let server = TestServer::start();
    let redesigned = Arc::new(AtomicUsize::new(0));
    let served = redesigned.clone();
    server.route(LIST_PATH, move |_| {
        if served.load(Ordering::SeqCst) == 0 {
            Response::ok("text/html", list_fixture())
        } else {
            let cards = "<html><body><ul><li class=\"card\"><a href=\"/newscontent/104150300-x\">New look</a></li></ul></body></html>";
            Response::ok("text/html", cards)
        }
    });
    let workspace = Workspace::new(&smm_source("smm", &server.url(LIST_PATH), ""));
    assert!(workspace.run(&["fetch"]).status.success());
    let before = workspace.items();
    redesigned.store(1, Ordering::SeqCst);
    let output = workspace.run(&["fetch"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let expected = format!(
        "error: source smm: selector `[class*=\"newsItem___\"]` matched 0 items on {}",
        server.url(LIST_PATH)
    );
    assert_eq!(stderr.trim_end(), expected);
    assert_eq!(workspace.items(), before, "nothing stored is touched");
    let sources = text(&workspace.run(&["sources"])).0;
    assert!(
        sources.contains("last error: selector `[class*=\"newsItem___\"]` matched 0 items on"),
        "{sources}"
    );
    let log = sql_rows(&workspace, "SELECT outcome, COALESCE(error, '') FROM fetches ORDER BY id");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1][0], "error");
    assert!(log[1][1].contains("matched 0 items"), "{log:?}");
    // The user adapts the rules to the new layout: the same page is read again at once.
    workspace.write_config(&smm_source("smm", &server.url(LIST_PATH), "").replace(
        "item = '[class*=\"newsItem___\"]'\ntitle = '[class*=\"title___\"]'\nlink = 'a[href*=\"/newscontent/\"]@href'",
        "item = 'li.card'\ntitle = 'a'\nlink = 'a'",
    ));
    let output = workspace.run(&["fetch"]);
    assert!(output.status.success(), "{:?}", text(&output));
    assert_eq!(workspace.items().len(), before.len() + 1);
    assert!(!text(&workspace.run(&["sources"])).0.contains("last error"));
}

#[test]
fn changed_rules_read_an_unchanged_page_again() {
    let server = TestServer::start();
    server.fixed(LIST_PATH, Response::ok("text/html", list_fixture()));
    let without_series = smm_source("smm", &server.url(LIST_PATH), "").replace("series = [", "# series = [");
    let workspace = Workspace::new(&without_series);
    assert!(workspace.run(&["fetch"]).status.success());
    assert!(workspace.items().iter().all(|item| item["series"].is_null()));
    let again = text(&workspace.run(&["fetch"])).0;
    assert!(again.contains("unchanged"), "same page, same rules: not parsed again: {again}");
    workspace.write_config(&smm_source("smm", &server.url(LIST_PATH), ""));
    let output = workspace.run(&["fetch"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains(" ok "), "new rules, same page: parsed again: {stdout}");
    let tagged = workspace.items().iter().filter(|item| !item["series"].is_null()).count();
    assert_eq!(tagged, 5, "the added series patterns reach the stored items");
}

#[test]
fn non_html_oversized_and_missing_list_pages_fail_alone() {
    let server = TestServer::start();
    server.fixed(LIST_PATH, Response::ok("text/html", list_fixture()));
    server.fixed("/api/list", Response::ok("application/json", "{\"items\": []}"));
    server.fixed("/feed", Response::ok("text/html", fixture("feeds/rss2.xml")));
    server.fixed("/big", Response::ok("text/html", list_fixture().repeat(4)));
    server.fixed("/gone", Response::status(404));
    let broken = [
        ("json", "/api/list", "the server sent JSON (application/json), not an HTML page"),
        ("feed-not-page", "/feed", "a feed, not an HTML page (set kind = \"feed\")"),
        ("too-large", "/big", "body larger than the limit of 32 KiB (max_body)"),
        ("gone", "/gone", "HTTP 404"),
    ];
    let mut config = String::from("[fetch]\nmax_body = \"32KiB\"\n\n");
    config.push_str(&smm_source("smm", &server.url(LIST_PATH), ""));
    for (name, path, _) in &broken {
        config.push_str(&smm_source(name, &server.url(path), ""));
    }
    let workspace = Workspace::new(&config);
    let output = workspace.run(&["fetch"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    for (name, _, expected) in &broken {
        let line = stderr
            .lines()
            .find(|line| line.starts_with(&format!("error: source {name}: ")))
            .unwrap_or_else(|| panic!("no error line for {name} in:\n{stderr}"));
        assert!(line.contains(expected), "{name}: expected `{expected}` in `{line}`");
    }
    assert_eq!(stderr.lines().count(), broken.len(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(workspace.items().len(), 20, "the good source still ingests");
}

#[test]
fn check_names_the_source_and_key_of_a_bad_selector() {
    let workspace = Workspace::new(&smm_source(
        "smm",
        "https://news.metal.com/list/industry/rare-earth",
        "body = 'div >> p'",
    ));
    let output = workspace.run(&["check"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let config = workspace.config().display().to_string();
    assert!(
        stderr.starts_with(&format!(
            "error: {config}:18: key `source[1].scrape.body`: source `smm`: invalid CSS selector `div >> p`: dangling combinator"
        )),
        "{stderr}"
    );
    let good = Workspace::new(&smm_source("smm", "https://news.metal.com/list/industry/rare-earth", ""));
    let (stdout, _) = text(&good.run(&["check"]));
    assert!(
        stdout.contains("smm: item `[class*=\"newsItem___\"]`, Asia/Shanghai, list only, series"),
        "{stdout}"
    );
}
