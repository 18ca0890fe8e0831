//! The daemon's HTTP API: every endpoint's JSON, 400s naming the parameter, 404s, the bearer
//! token, health and Prometheus metrics, the OpenAPI document.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Daemon, Response, TestServer, Workspace, fixture, free_port, http_get, source_block, text};

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("not JSON ({error}): {body}"))
}

fn start_with_feeds(extra_http: &str) -> (TestServer, Workspace, Daemon, u16) {
    let server = TestServer::start();
    server.fixed("/rss2.xml", Response::ok("application/rss+xml", fixture("feeds/rss2.xml")));
    server.fixed("/atom.xml", Response::ok("application/atom+xml", fixture("feeds/atom.xml")));
    let port = free_port();
    let workspace = Workspace::new(&format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n{extra_http}\n{}{}",
        source_block("wire", &server.url("/rss2.xml")),
        source_block("magnets", &server.url("/atom.xml"))
    ));
    let daemon = Daemon::start(&workspace, &[("API_TOKEN", "s3cret-token")]);
    let ready = daemon.wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && workspace.items_unchecked().is_some_and(|items| items.len() == 5)
    });
    assert!(ready, "the daemon did not fetch and listen:\n{}", daemon.log());
    (server, workspace, daemon, port)
}

#[test]
fn items_sources_health_metrics_and_openapi() {
    let (_server, _workspace, _daemon, port) = start_with_feeds("");
    let (status, headers, body) = http_get(port, "/api/items", &[]);
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("application/json"));
    let items = json(&body);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 5);
    for key in [
        "id",
        "source",
        "guid",
        "url",
        "title",
        "summary",
        "published",
        "published_from",
        "fetched",
        "updated",
        "story",
        "story_size",
        "topics",
        "entities",
    ] {
        assert!(items[0].get(key).is_some(), "item JSON has no `{key}`: {}", items[0]);
    }
    let (_, _, body) = http_get(port, "/api/items?source=magnets&limit=1", &[]);
    let magnets = json(&body);
    assert_eq!(magnets.as_array().unwrap().len(), 1);
    assert_eq!(magnets[0]["source"], "magnets");
    let (_, _, body) = http_get(port, "/api/items?search=%22financing+package%22", &[]);
    assert_eq!(json(&body)[0]["guid"], "wire-2026-0206-001");
    let id = items[0]["id"].as_i64().unwrap();
    let (status, _, body) = http_get(port, &format!("/api/items/{id}"), &[]);
    assert_eq!((status, json(&body)["id"].as_i64()), (200, Some(id)));
    let (status, _, body) = http_get(port, "/api/items/999999", &[]);
    assert_eq!(status, 404);
    assert!(json(&body)["error"].as_str().unwrap().contains("999999"));
    for (query, parameter) in [
        ("since=yesterday", "since"),
        ("until=soon", "until"),
        ("limit=many", "limit"),
        ("search=%22open", "search"),
        ("colour=red", "colour"),
    ] {
        let (status, _, body) = http_get(port, &format!("/api/items?{query}"), &[]);
        assert_eq!(status, 400, "{query}");
        assert_eq!(json(&body)["parameter"], parameter, "{query}: {body}");
    }
    let (status, _, body) = http_get(port, "/api/sources", &[]);
    assert_eq!(status, 200);
    let sources = json(&body);
    assert_eq!(sources.as_array().unwrap().len(), 2);
    assert_eq!(sources[0]["last_status"], 200);
    let (status, _, body) = http_get(port, "/healthz", &[]);
    assert_eq!(status, 200, "{body}");
    let health = json(&body);
    assert_eq!((health["status"].as_str(), health["scheduler"]["alive"].as_bool()), (Some("ok"), Some(true)));
    assert!(health["last_successful_fetch_age_seconds"].as_i64().unwrap() < 60);
    let (status, headers, body) = http_get(port, "/metrics", &[]);
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/plain"));
    check_prometheus_text(&body);
    assert!(body.contains("lodestone_fetches_total{source=\"wire\",outcome=\"ok\"} 1"), "{body}");
    assert!(body.contains("lodestone_items 5"), "{body}");
    let (status, _, body) = http_get(port, "/api/openapi.json", &[]);
    assert_eq!(status, 200);
    let document = json(&body);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/items",
        "/api/items/{id}",
        "/api/stories",
        "/api/stories/{id}",
        "/api/topics",
        "/api/sources",
        "/feeds/stories.atom",
        "/feeds/topics/{topic}.atom",
        "/healthz",
        "/metrics",
    ] {
        assert!(document["paths"].get(path).is_some(), "OpenAPI misses {path}");
    }
    let (status, _, _) = http_get(port, "/api/nothing-here", &[]);
    assert_eq!(status, 404);
}

#[test]
fn stories_topics_and_atom_feeds() {
    let (_server, _workspace, _daemon, port) = start_with_feeds("");
    let get_json = |path: &str| {
        let (status, _, body) = http_get(port, path, &[]);
        assert_eq!(status, 200, "{path}: {body}");
        json(&body)
    };
    let stories = get_json("/api/stories?limit=0");
    let stories = stories.as_array().unwrap();
    for key in ["story", "title", "first_seen", "last_seen", "size", "sources", "topics", "items"] {
        assert!(stories[0].get(key).is_some(), "story JSON has no `{key}`: {}", stories[0]);
    }
    let sizes: i64 = stories.iter().map(|story| story["size"].as_i64().unwrap()).sum();
    assert_eq!(sizes, 5, "every item in exactly one story");
    let id = stories[0]["story"].as_i64().unwrap();
    assert_eq!(get_json(&format!("/api/stories/{id}")), stories[0]);
    assert_eq!(http_get(port, "/api/stories/999999", &[]).0, 404);
    let (status, _, body) = http_get(port, "/api/stories/abc", &[]);
    assert_eq!((status, json(&body)["parameter"].as_str()), (400, Some("id")));

    // Topics: the taxonomy in order, with counts that agree with the filtered items.
    let topics = get_json("/api/topics");
    let names: Vec<&str> =
        topics.as_array().unwrap().iter().map(|topic| topic["topic"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["supply", "projects", "finance", "policy", "prices", "technology", "demand", "sustainability"]
    );
    let finance = topics.as_array().unwrap().iter().find(|topic| topic["topic"] == "finance").unwrap();
    let finance_items = get_json("/api/items?topic=finance&limit=0");
    assert!(!finance_items.as_array().unwrap().is_empty());
    assert_eq!(finance["items"].as_u64().unwrap() as usize, finance_items.as_array().unwrap().len());
    let serra = get_json("/api/items?entity=%24565M&entity=Serra+Verde");
    assert!(
        serra.as_array().unwrap().iter().all(|item| item["title"].as_str().unwrap().contains("Serra Verde"))
    );
    assert!(!serra.as_array().unwrap().is_empty());
    for query in [
        "/api/items?topic=gossip",
        "/api/stories?topic=gossip",
        "/api/topics?colour=red",
        "/api/topics?since=soon",
    ] {
        let (status, _, body) = http_get(port, query, &[]);
        assert_eq!(status, 400, "{query}: {body}");
        assert!(json(&body)["parameter"].is_string(), "{body}");
    }

    // Atom: one entry per story, parsed by feed-rs.
    let (status, headers, body) = http_get(port, "/feeds/stories.atom", &[]);
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("application/atom+xml"));
    let feed = feed_rs::parser::parse(body.as_bytes()).expect("the stories feed parses");
    assert_eq!(feed.entries.len(), stories.len());
    let entry_ids: std::collections::HashSet<&str> =
        feed.entries.iter().map(|entry| entry.id.as_str()).collect();
    assert_eq!(entry_ids.len(), stories.len(), "one entry per story");
    assert!(entry_ids.contains(format!("urn:lodestone:story:{id}").as_str()));
    let (status, _, body) = http_get(port, "/feeds/topics/finance.atom", &[]);
    assert_eq!(status, 200);
    let feed = feed_rs::parser::parse(body.as_bytes()).expect("the topic feed parses");
    let finance_stories = get_json("/api/stories?topic=finance&limit=0");
    assert_eq!(feed.entries.len(), finance_stories.as_array().unwrap().len());
    assert!(
        feed.entries.iter().all(|entry| entry.categories.iter().any(|category| category.term == "finance"))
    );
    assert_eq!(http_get(port, "/feeds/topics/gossip.atom", &[]).0, 404);
}

#[test]
fn a_configured_token_is_required_everywhere_but_healthz() {
    let (_server, _workspace, _daemon, port) = start_with_feeds("token_env = \"API_TOKEN\"\n");
    assert_eq!(http_get(port, "/api/items", &[]).0, 401);
    assert_eq!(http_get(port, "/metrics", &[("Authorization", "Bearer wrong")]).0, 401);
    assert_eq!(http_get(port, "/api/items", &[("Authorization", "Bearer s3cret-token")]).0, 200);
    assert_eq!(http_get(port, "/healthz", &[]).0, 200);
}

#[test]
fn a_non_loopback_address_without_a_token_refuses_to_start() {
    let workspace = Workspace::new("[http]\nlisten = \"0.0.0.0:8410\"\n");
    let output = workspace.run(&["run"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("key `http.listen`: `0.0.0.0:8410` is not a loopback address"), "{stderr}");
    let unset =
        Workspace::new("[http]\nlisten = \"0.0.0.0:8410\"\ntoken_env = \"LODESTONE_TEST_UNSET_TOKEN\"\n");
    let output = unset.run(&["run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("LODESTONE_TEST_UNSET_TOKEN is not set"), "{:?}", text(&output));
}

/// Every line is a comment, blank, or `name{labels} value` with a number for value, and every
/// sample belongs to a family declared with # TYPE.
fn check_prometheus_text(text: &str) {
    let mut families = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            families.insert(parts.next().unwrap().to_string());
            assert!(matches!(parts.next(), Some("counter" | "gauge" | "histogram")), "{line}");
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name_and_labels, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("bad sample: {line}"));
        assert!(value.parse::<f64>().is_ok(), "bad value in: {line}");
        let name = name_and_labels.split('{').next().unwrap();
        assert!(name.starts_with("lodestone_"), "{line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| families.contains(*base))
            .unwrap_or(name);
        assert!(families.contains(family), "sample without # TYPE: {line}");
        if let Some(labels) = name_and_labels.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')), "{line}");
        }
    }
}
