//! `lodestone fetch` end to end: the real binary, a real SQLite file, fixture feeds served by a
//! real HTTP server on 127.0.0.1.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{Response, TestServer, Workspace, fixture, source_block, text};

fn serve_fixture(server: &TestServer, path: &str, file: &str, content_type: &str) {
    server.fixed(path, Response::ok(content_type, fixture(file)));
}

#[test]
fn every_format_ingests_with_titles_links_guids_and_utc_dates() {
    let server = TestServer::start();
    serve_fixture(&server, "/rss2.xml", "feeds/rss2.xml", "application/rss+xml; charset=utf-8");
    serve_fixture(&server, "/rss1.xml", "feeds/rss1.xml", "application/rdf+xml");
    serve_fixture(&server, "/atom.xml", "feeds/atom.xml", "application/atom+xml");
    serve_fixture(&server, "/feed.json", "feeds/jsonfeed.json", "application/feed+json");
    let workspace = Workspace::new(
        &[
            source_block("wire", &server.url("/rss2.xml")),
            source_block("survey", &server.url("/rss1.xml")),
            source_block("magnets", &server.url("/atom.xml")),
            source_block("brief", &server.url("/feed.json")),
        ]
        .concat(),
    );
    let output = workspace.run(&["fetch"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let items = workspace.items();
    assert_eq!(items.len(), 9);
    let by_guid = |guid: &str| {
        items.iter().find(|item| item["guid"] == guid).unwrap_or_else(|| panic!("no item {guid}"))
    };
    let serra = by_guid("wire-2026-0206-001");
    assert_eq!(serra["source"], "wire");
    assert_eq!(serra["title"], "Serra Verde gets $565 million DFC financing offer");
    assert_eq!(serra["url"], "https://wire.example.com/news/serra-verde-dfc");
    assert_eq!(serra["published"], "2026-02-06T10:43:00Z");
    assert!(serra["updated"].is_null());
    for key in ["id", "fetched", "summary", "story", "story_size", "topics", "entities"] {
        assert!(serra.get(key).is_some(), "JSON has no `{key}`");
    }
    assert_eq!(
        by_guid("https://survey.example.org/notes/antimony-2026")["published"],
        "2026-02-03T19:00:00Z"
    );
    let magnets = by_guid("tag:magnets.example.net,2026:evac-sumter");
    assert_eq!(magnets["title"], "eVAC ships first NdFeB magnets from Sumter");
    assert_eq!(magnets["published"], "2026-02-06T07:00:00Z");
    assert_eq!(by_guid("brief-1001")["url"], "https://brief.example.io/posts/cobalt-quota");
    // Newest first.
    let published: Vec<&str> = items.iter().map(|item| item["published"].as_str().unwrap()).collect();
    let mut sorted = published.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(published, sorted);
}

#[test]
fn unchanged_feed_is_revalidated_with_304_and_nothing_is_written() {
    let server = TestServer::start();
    let body = fixture("feeds/rss2.xml");
    server.route("/feed.xml", move |request| {
        if request.header("if-none-match") == Some("\"v1\"") {
            return Response::status(304).header("ETag", "\"v1\"");
        }
        Response::ok("application/rss+xml", body.clone())
            .header("ETag", "\"v1\"")
            .header("Last-Modified", "Fri, 06 Feb 2026 11:00:00 GMT")
    });
    let workspace = Workspace::new(&source_block("wire", &server.url("/feed.xml")));
    assert!(workspace.run(&["fetch"]).status.success());
    let before = workspace.items();
    let output = workspace.run(&["fetch"]);
    let (stdout, _) = text(&output);
    assert!(output.status.success());
    assert!(stdout.contains("not_modified"), "{stdout}");
    let requests = server.requests_to("/feed.xml");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("if-none-match"), None);
    assert_eq!(requests[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(requests[1].header("if-modified-since"), Some("Fri, 06 Feb 2026 11:00:00 GMT"));
    assert_eq!(workspace.items(), before);
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    assert_eq!(store.fetch_count("wire").unwrap(), 2);
}

#[test]
fn edited_entry_updates_its_row_and_a_new_entry_adds_one() {
    let server = TestServer::start();
    let version = Arc::new(AtomicUsize::new(1));
    let served_version = version.clone();
    server.route("/feed.xml", move |_| {
        let body = String::from_utf8(fixture("feeds/rss2.xml")).unwrap();
        let body = if served_version.load(Ordering::SeqCst) == 1 {
            body
        } else {
            body.replace("Copper stocks in Shanghai fall for a third week", "Copper stocks in Shanghai fall for a fourth week")
                .replace(
                    "<item>\n    <title>Lithium",
                    "<item><title>Tungsten APT climbs</title><guid>wire-new</guid><pubDate>Sat, 07 Feb 2026 08:00:00 GMT</pubDate><description>APT rose.</description></item>\n  <item>\n    <title>Lithium",
                )
        };
        Response::ok("application/rss+xml", body)
    });
    let workspace = Workspace::new(&source_block("wire", &server.url("/feed.xml")));
    assert!(workspace.run(&["fetch"]).status.success());
    let before = workspace.items();
    version.store(2, Ordering::SeqCst);
    let output = workspace.run(&["fetch"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let after = workspace.items();
    assert_eq!(after.len(), before.len() + 1);
    let copper_guid = "https://wire.example.com/news/copper-stocks-week";
    let old = before.iter().find(|item| item["guid"] == copper_guid).unwrap();
    let new = after.iter().find(|item| item["guid"] == copper_guid).unwrap();
    assert_eq!(new["id"], old["id"]);
    assert_eq!(new["title"], "Copper stocks in Shanghai fall for a fourth week");
    assert!(new["updated"].is_string());
    assert!(after.iter().any(|item| item["guid"] == "wire-new"));
    let untouched = after.iter().find(|item| item["guid"] == "wire-2026-0206-001").unwrap();
    assert!(untouched["updated"].is_null());
}

#[test]
fn broken_and_hostile_sources_fail_alone_with_clear_errors() {
    let server = TestServer::start();
    serve_fixture(&server, "/good.xml", "feeds/rss2.xml", "application/rss+xml");
    serve_fixture(&server, "/broken.xml", "feeds/broken-beyond-repair.xml", "application/rss+xml");
    serve_fixture(&server, "/page.html", "feeds/page.html", "text/html; charset=utf-8");
    server.fixed("/empty.xml", Response::ok("application/rss+xml", Vec::new()));
    server.fixed("/missing.xml", Response::status(404));
    server.fixed("/error.xml", Response::status(500));
    server.fixed("/huge.xml", Response::ok("application/rss+xml", vec![b' '; 300 * 1024]));
    server.fixed(
        "/bomb.xml",
        Response::ok("application/rss+xml", gzip_bomb(64 * 1024 * 1024)).header("Content-Encoding", "gzip"),
    );
    let mut stall = Response::ok("application/rss+xml", fixture("feeds/rss2.xml"));
    stall.stall_after_headers = Some(Duration::from_secs(20));
    server.fixed("/stall.xml", stall);
    server.fixed("/loop-a", Response::status(302).header("Location", "/loop-b"));
    server.fixed("/loop-b", Response::status(302).header("Location", "/loop-a"));
    let broken = [
        ("broken", "/broken.xml", "malformed feed"),
        ("html-page", "/page.html", "an HTML page, not a feed"),
        ("empty", "/empty.xml", "empty body"),
        ("missing", "/missing.xml", "HTTP 404"),
        ("server-error", "/error.xml", "HTTP 500"),
        ("too-large", "/huge.xml", "larger than the limit of 256 KiB"),
        ("gzip-bomb", "/bomb.xml", "larger than the limit of 256 KiB"),
        ("stalls", "/stall.xml", "timed out after 2s"),
        ("redirect-loop", "/loop-a", "redirect loop"),
    ];
    let mut config = String::from("[fetch]\ntimeout = \"2s\"\nmax_body = \"256KiB\"\n\n");
    config.push_str(&source_block("good", &server.url("/good.xml")));
    for (name, path, _) in &broken {
        config.push_str(&source_block(name, &server.url(path)));
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
    assert_eq!(stderr.lines().count(), broken.len(), "one line per failed source:\n{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    assert_eq!(workspace.items().len(), 3, "the good source still ingests");
    let sources = workspace.run(&["sources"]);
    let (sources_text, _) = text(&sources);
    assert!(sources_text.contains("last error: HTTP 404"), "{sources_text}");
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    for (name, _, _) in &broken {
        assert_eq!(store.fetch_count(name).unwrap(), 1, "{name} has its fetch logged");
    }
}

#[test]
fn awkward_but_readable_feeds_ingest_with_the_right_text() {
    let server = TestServer::start();
    let fixtures = [
        ("cp1252", "windows-1252.xml", "\u{201c}Record\u{201d} tungsten price \u{2013} APT at $600/mtu"),
        ("latin1", "utf8-declared-latin1-sent.xml", "Produ\u{e7}\u{e3}o de ni\u{f3}bio em S\u{e3}o Paulo"),
        ("utf16-bom", "utf16le-bom.xml", "Gr\u{fc}ne Metalle: mit BOM"),
        ("utf16-no-bom", "utf16be-no-bom.xml", "Gr\u{fc}ne Metalle: ohne BOM"),
        ("no-version", "rss-no-version.xml", "Zinc smelter restarts"),
        ("stray-amp", "stray-ampersand.xml", "Iluka & Arafura talk M&A; nothing agreed"),
        ("entities", "undeclared-entities.xml", "Rare earth prices \u{2014} weekly\u{2026} \u{e9}dition"),
    ];
    let mut config = String::new();
    for (name, file, _) in &fixtures {
        let path = format!("/{file}");
        serve_fixture(&server, &path, &format!("feeds/{file}"), "text/xml");
        config.push_str(&source_block(name, &server.url(&path)));
    }
    serve_fixture(&server, "/empty-feed.xml", "feeds/empty-feed.xml", "application/rss+xml");
    config.push_str(&source_block("quiet", &server.url("/empty-feed.xml")));
    let workspace = Workspace::new(&config);
    let output = workspace.run(&["fetch"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let items = workspace.items();
    for (name, _, title) in &fixtures {
        let item = items
            .iter()
            .find(|item| item["source"] == *name)
            .unwrap_or_else(|| panic!("nothing from {name}"));
        assert_eq!(item["title"], *title, "source {name}");
    }
    assert_eq!(items.len(), fixtures.len());
}

#[test]
fn permanent_redirect_moves_the_source_and_retry_after_defers_the_next_pass() {
    let server = TestServer::start();
    server.fixed("/old.xml", Response::status(301).header("Location", "/new.xml"));
    serve_fixture(&server, "/new.xml", "feeds/atom.xml", "application/atom+xml");
    server.fixed("/busy.xml", Response::status(429).header("Retry-After", "3600"));
    let workspace = Workspace::new(
        &[source_block("moved", &server.url("/old.xml")), source_block("busy", &server.url("/busy.xml"))]
            .concat(),
    );
    let first = workspace.run(&["fetch"]);
    assert_eq!(first.status.code(), Some(1));
    assert!(
        text(&first).1.contains("error: source busy: HTTP 429 Too Many Requests (Retry-After 3600s)"),
        "{:?}",
        text(&first)
    );
    let second = workspace.run(&["fetch"]);
    let (stdout, stderr) = text(&second);
    assert!(second.status.success(), "a deferred source is not a failure: {stdout}\n{stderr}");
    assert!(stdout.contains("deferred until"), "{stdout}");
    assert_eq!(server.requests_to("/busy.xml").len(), 1, "no request while Retry-After runs");
    assert_eq!(server.requests_to("/old.xml").len(), 1, "the permanent redirect target is used directly");
    assert_eq!(server.requests_to("/new.xml").len(), 2);
}

#[test]
fn ingest_reads_files_and_recognises_an_unchanged_one_before_parsing() {
    let workspace = Workspace::new(&source_block("wire", "https://wire.example.com/feed.xml"));
    let path = workspace.directory.path().join("feed.xml");
    std::fs::write(&path, fixture("feeds/rss2.xml")).unwrap();
    let path_text = path.to_str().unwrap();
    let first = workspace.run(&["ingest", "--source", "wire", path_text]);
    assert!(text(&first).0.contains("ok (3 new, 0 updated, 0 unchanged)"), "{:?}", text(&first));
    let second = workspace.run(&["ingest", "--source", "wire", path_text]);
    assert!(text(&second).0.contains("unchanged (0 new, 0 updated, 0 unchanged)"), "{:?}", text(&second));
    let mut child = workspace
        .command(&["ingest", "--source", "wire", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&fixture("feeds/page.html")).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(workspace.items().len(), 3);
}

/// A gzip stream that inflates to `size` zero bytes (a few dozen KiB on the wire).
fn gzip_bomb(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..size / block.len() {
        encoder.write_all(&block).unwrap();
    }
    encoder.finish().unwrap()
}
