//! HTML sources that follow their articles, and `lodestone scrape`, end to end: the real binary,
//! a real SQLite file, SMM-shaped list and article pages served on 127.0.0.1.

mod smm_pages;
mod support;

use smm_pages::{LIST_PATH, article_page, list_fixture, list_on, listed_articles, smm_source, sql_rows};
use support::{Response, TestServer, Workspace, fixture, source_block, text};

#[test]
fn follow_fetches_each_new_article_once_within_max_follow_and_drops_boilerplate() {
    let server = TestServer::start();
    let list = list_on(&server);
    let articles = listed_articles(&list);
    assert_eq!(articles.len(), 20);
    let list_for_route = list.clone();
    server.route(LIST_PATH, move |request| {
        if request.header("if-none-match") == Some("\"list-v1\"") {
            return Response::status(304).header("ETag", "\"list-v1\"");
        }
        Response::ok("text/html", list_for_route.clone()).header("ETag", "\"list-v1\"")
    });
    let frontier_path =
        "/newscontent/104150212-frontier-rare-earths-raises-20-million-and-signs-carester-offtake"
            .to_string();
    for (path, title) in &articles {
        let page = if *path == frontier_path {
            fixture("smm/article-104150212.html")
        } else {
            article_page(title).into_bytes()
        };
        server.fixed(path, Response::ok("text/html; charset=utf-8", page));
    }
    let extra = "follow = true\nmax_follow = 8\nbody = '[class*=\"content___\"]'\ndrop = [\"^Data Source Statement\", \"^For (any inquiries|more information)\", \"^Related (News|Price)\", \"^》\"]";
    let workspace = Workspace::new(&smm_source("smm", &server.url(LIST_PATH), extra));
    let article_requests = || articles.iter().map(|(path, _)| server.requests_to(path).len()).sum::<usize>();
    let mut stored = Vec::new();
    for pass in 1..=4 {
        let output = workspace.run(&["fetch"]);
        assert!(output.status.success(), "pass {pass}: {:?}", text(&output));
        stored.push((article_requests(), workspace.items().len()));
    }
    assert_eq!(stored, [(8, 8), (16, 16), (20, 20), (20, 20)], "(article requests, items) after each pass");
    for (path, _) in &articles {
        assert_eq!(server.requests_to(path).len(), 1, "{path} fetched once");
    }
    let list_requests = server.requests_to(LIST_PATH);
    assert_eq!(list_requests.len(), 4);
    assert_eq!(list_requests[1].header("if-none-match"), None, "validators wait until every article is read");
    assert_eq!(list_requests[3].header("if-none-match"), Some("\"list-v1\""), "then the list is revalidated");
    let last = text(&workspace.run(&["fetch"])).0;
    assert!(last.contains("not_modified"), "{last}");
    assert_eq!(article_requests(), 20, "a 304 list leads to no article request");
    let body =
        sql_rows(&workspace, "SELECT title, body_text FROM items WHERE guid LIKE '%/newscontent/104150212'");
    let (title, body_text) = (&body[0][0], &body[0][1]);
    assert_eq!(
        title,
        "Frontier Rare Earths Raises $20 Million From South Africa's IDC and Signs Offtake With Carester"
    );
    assert!(
        body_text.contains("Zandkopsdrift") && body_text.contains("3,038 mt of Pr-Nd oxide"),
        "{body_text}"
    );
    for boilerplate in ["Data Source Statement", "please contact", "Related News", "View SMM"] {
        assert!(!body_text.contains(boilerplate), "`{boilerplate}` kept: {body_text}");
    }
    let undated =
        sql_rows(&workspace, "SELECT published, published_from FROM items WHERE title LIKE 'Manganese%'");
    assert_eq!(
        undated[0],
        ["2026-02-06T10:46:00Z", "feed"],
        "the article's Published date fills a gap of the list"
    );
}

#[test]
fn an_article_that_fails_keeps_its_list_item_and_the_failure_is_recorded() {
    let server = TestServer::start();
    let list = list_on(&server);
    let articles = listed_articles(&list);
    server.fixed(LIST_PATH, Response::ok("text/html", list));
    let (missing_path, missing_title) = articles[1].clone();
    for (path, title) in &articles {
        server.fixed(path, Response::ok("text/html", article_page(title)));
    }
    server.fixed(&missing_path, Response::status(404));
    let extra = "follow = true\nbody = '[class*=\"content___\"]'\ndrop = \"^Data Source Statement\"";
    let workspace = Workspace::new(&smm_source("smm", &server.url(LIST_PATH), extra));
    let output = workspace.run(&["fetch"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "an article is not the source: {stdout}\n{stderr}");
    let missing_url = server.url(&missing_path);
    assert_eq!(stderr.trim_end(), format!("warning: source smm: article {missing_url}: HTTP 404 Not Found"));
    let items = workspace.items();
    assert_eq!(items.len(), 20);
    let kept = items.iter().find(|item| item["url"] == missing_url.as_str()).unwrap();
    assert_eq!(kept["title"], missing_title.as_str());
    assert!(
        kept["summary"].as_str().unwrap().starts_with("The US International Development Finance"),
        "{kept}"
    );
    let log = sql_rows(&workspace, "SELECT outcome, error FROM fetches");
    assert_eq!(log[0][0], "ok");
    assert!(log[0][1].contains("HTTP 404") && log[0][1].contains(&missing_path), "{log:?}");
    assert!(text(&workspace.run(&["sources"])).0.lines().all(|line| !line.contains("last error")));
    assert_eq!(server.requests_to(&missing_path).len(), 1);
    assert!(workspace.run(&["fetch"]).status.success());
    assert_eq!(server.requests_to(&missing_path).len(), 1, "a stored item's article is not fetched again");
}

#[test]
fn scrape_prints_what_the_rules_extract_and_stores_nothing() {
    let server = TestServer::start();
    let list = list_on(&server);
    server.fixed(LIST_PATH, Response::ok("text/html", list.clone()));
    let first_article = listed_articles(&list)[0].0.clone();
    server.fixed(&first_article, Response::ok("text/html", fixture("smm/article-104150212.html")));
    let extra = "body = '[class*=\"content___\"]'\ndrop = [\"^Data Source Statement\", \"^For any inquiries\", \"^Related News\", \"^》\"]";
    let workspace = Workspace::new(
        &[
            smm_source("smm", &server.url(LIST_PATH), extra),
            source_block("wire", "https://wire.example/feed"),
        ]
        .concat(),
    );
    let file = workspace.directory.path().join("list.html");
    std::fs::write(&file, list_fixture()).unwrap();
    let output = workspace.run(&["scrape", "--source", "smm", "--file", file.to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("items: 21 matched by `[class*=\"newsItem___\"]`, 20 kept"), "{stdout}");
    assert!(
        stdout.contains("  1. Frontier Rare Earths Raises $20 Million From South Africa's IDC"),
        "{stdout}"
    );
    assert!(
        stdout.contains("published: 2026-02-06T10:46:00Z ← \"Feb 6, 2026 18:46\" (Asia/Shanghai)"),
        "{stdout}"
    );
    assert!(stdout.contains("guid:      https://news.metal.com/newscontent/104150190"), "{stdout}");
    assert!(stdout.contains("series:    SMM Rare Earth Daily Review"), "{stdout}");
    assert!(stdout.contains("\"Breaking\" matches no date_format"), "{stdout}");
    let followed = workspace.run(&["scrape", "--source", "smm", "--follow"]);
    let (stdout, stderr) = text(&followed);
    assert!(followed.status.success(), "{stderr}");
    assert!(stdout.contains(&format!("article: {}", server.url(&first_article))), "{stdout}");
    assert!(stdout.contains("dropped:   4 block(s)"), "{stdout}");
    assert!(stdout.contains("       With the funding in place the company has started"), "{stdout}");
    assert!(!stdout.contains("all other data are processed"), "dropped blocks are not in the body: {stdout}");
    let missing = workspace.run(&["scrape", "--source", "smm", "--url", &server.url("/moved")]);
    assert_eq!(missing.status.code(), Some(1));
    let expected = format!("error: source smm: HTTP 404 Not Found ({})\n", server.url("/moved"));
    assert_eq!(text(&missing).1, expected);
    assert!(!workspace.database().exists(), "scrape never opens the database");
    let feed = workspace.run(&["scrape", "--source", "wire"]);
    assert_eq!(feed.status.code(), Some(2));
    assert!(text(&feed).1.contains("source `wire` is not kind = \"html\""), "{:?}", text(&feed));
}

/// Serves `list` and an article page for each of its links; returns (path, title) of each.
fn serve_list_and_articles(server: &TestServer, list: String) -> Vec<(String, String)> {
    let articles = listed_articles(&list);
    server.fixed(LIST_PATH, Response::ok("text/html", list));
    for (path, title) in &articles {
        server.fixed(path, Response::ok("text/html", article_page(title)));
    }
    articles
}

/// The list with every date made recent ("2 hours ago"), so that articles failing for now are
/// worth following again.
fn recent_list_on(server: &TestServer) -> String {
    let dates = regex::Regex::new(r#"(date___[A-Za-z0-9]+">)[^<]+<"#).unwrap();
    dates.replace_all(&list_on(server), "${1}2 hours ago<").into_owned()
}

#[test]
fn an_article_that_fails_for_now_is_followed_again_on_the_next_pass() {
    let server = TestServer::start();
    let articles = serve_list_and_articles(&server, recent_list_on(&server));
    // The third article's backend is down for the first pass (502: not an overload, so the
    // host is not held off), then back.
    let (flaky_path, flaky_title) = articles[2].clone();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let flaky_page = article_page(&flaky_title);
    server.route(&flaky_path, move |_| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Response::status(502)
        } else {
            Response::ok("text/html", flaky_page.clone())
        }
    });
    let extra = "follow = true\nbody = '[class*=\"content___\"]'";
    let workspace = Workspace::new(&smm_source("smm", &server.url(LIST_PATH), extra));
    let first = workspace.run(&["fetch"]);
    assert!(first.status.success(), "{:?}", text(&first));
    let flaky_url = server.url(&flaky_path);
    let items = workspace.items();
    let log = sql_rows(&workspace, "SELECT error FROM fetches");
    assert_eq!(items.len(), articles.len() - 1, "the failing article waits for the next pass: {log:?}");
    assert!(items.iter().all(|item| item["url"] != flaky_url.as_str()));
    let log = sql_rows(&workspace, "SELECT error FROM fetches");
    assert!(log[0][0].contains("HTTP 502") && log[0][0].contains("followed again next pass"), "{log:?}");
    assert!(workspace.run(&["fetch"]).status.success());
    assert_eq!(server.requests_to(LIST_PATH).len(), 2, "the list is read again, not revalidated away");
    assert_eq!(server.requests_to(&flaky_path).len(), 2);
    let bodies = sql_rows(&workspace, &format!("SELECT body_text FROM items WHERE url = '{flaky_url}'"));
    assert!(bodies[0][0].starts_with("Full story:"), "stored with its article: {bodies:?}");
    assert_eq!(workspace.items().len(), articles.len());
}

#[test]
fn an_article_answering_429_holds_off_the_host_for_this_pass_and_the_next() {
    let server = TestServer::start();
    let articles = serve_list_and_articles(&server, recent_list_on(&server));
    let (throttled_path, _) = articles[3].clone();
    server.fixed(&throttled_path, Response::status(429).header("Retry-After", "600"));
    // One request at a time to the host: articles are asked for in list order.
    let config = format!(
        "[fetch]\nper_host = 1\n\n{}",
        smm_source("smm", &server.url(LIST_PATH), "follow = true\nbody = '[class*=\"content___\"]'")
    );
    let workspace = Workspace::new(&config);
    let output = workspace.run(&["fetch"]);
    assert!(output.status.success(), "{:?}", text(&output));
    let article_requests = || articles.iter().map(|(path, _)| server.requests_to(path).len()).sum::<usize>();
    assert_eq!(article_requests(), 4, "nothing more is asked of the host after its 429");
    let items = workspace.items();
    let urls: Vec<&str> = items.iter().filter_map(|item| item["url"].as_str()).collect();
    // The three read before the 429, and the list's one undated entry: without a date there is
    // no telling how long its article has been failing, so it is stored with the list's data.
    assert_eq!(urls.len(), 4, "the others wait for the next pass: {urls:?}");
    assert!(urls.iter().any(|url| url.contains("manganese")), "{urls:?}");
    let waits = sql_rows(
        &workspace,
        "SELECT CAST(retry_after_until > strftime('%Y-%m-%dT%H:%M', 'now', '+9 minutes') AS TEXT) FROM sources",
    );
    assert_eq!(waits, [["1"]], "the source records the host's Retry-After");
    let again = workspace.run(&["fetch"]);
    assert!(again.status.success(), "{:?}", text(&again));
    assert_eq!(server.requests_to(LIST_PATH).len(), 1, "the next pass waits for the Retry-After");
    assert_eq!(article_requests(), 4);
}
