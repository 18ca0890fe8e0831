//! The command line surface: `check`, exit codes, `opml import/export`, and `query` formats.

mod support;

use support::{Response, TestServer, Workspace, fixture, source_block, text};

#[test]
fn check_passes_on_every_config_file_shipped() {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut checked = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        let is_main_config = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("lodestone") && n.ends_with(".toml"));
        if !is_main_config {
            continue;
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_lodestone"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--config", path.to_str().unwrap(), "check"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}: {:?}", path.display(), text(&output));
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn broken_config_exits_2_naming_file_line_and_key() {
    let workspace = Workspace::new("[fetch]\ntimeout = \"30 seconds\"\n");
    let output = workspace.run(&["check"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let config = workspace.config().display().to_string();
    assert!(
        stderr.starts_with(&format!("error: {config}:5: key `fetch.timeout`: invalid duration")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
    let unknown =
        Workspace::new("[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nkinds = \"feed\"\n");
    let (_, stderr) = text(&unknown.run(&["fetch"]));
    assert!(stderr.contains(":7: key `source[1].kinds`: unknown field `kinds`"), "{stderr}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_lodestone"))
        .args(["--config", "/nonexistent/lodestone.toml", "check"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).1.contains("cannot read config file /nonexistent/lodestone.toml"));
}

#[test]
fn bad_usage_exits_2() {
    let workspace = Workspace::new(&source_block("wire", "https://wire.example.com/feed"));
    assert_eq!(workspace.run(&["fetch", "--source", "nope"]).status.code(), Some(2));
    assert_eq!(workspace.run(&["query", "--since", "last tuesday"]).status.code(), Some(2));
    let bad_search = workspace.run(&["query", "--search", "\"unbalanced"]);
    assert_eq!(bad_search.status.code(), Some(2));
    assert!(text(&bad_search).1.contains("bad search expression"));
}

#[test]
fn opml_import_then_export_round_trips_a_feed_reader_export() {
    let workspace = Workspace::new("# my sources\n[fetch]\ninterval = \"20m\"\n");
    let opml_path = workspace.directory.path().join("export.opml");
    std::fs::write(&opml_path, fixture("opml/freshrss-export.opml")).unwrap();
    let import = workspace.run(&["opml", "import", opml_path.to_str().unwrap()]);
    assert!(import.status.success(), "{:?}", text(&import));
    assert!(text(&import).0.contains("imported 5 of 5 feeds"));
    let config_text = std::fs::read_to_string(workspace.config()).unwrap();
    assert!(config_text.contains("# my sources"), "comments are kept");
    let again = workspace.run(&["opml", "import", opml_path.to_str().unwrap()]);
    assert!(text(&again).0.contains("nothing to import"), "{:?}", text(&again));
    assert!(workspace.run(&["check"]).status.success());
    let export = workspace.run(&["opml", "export"]);
    assert!(export.status.success());
    let exported = lodestone::opml::parse_opml(&text(&export).0).unwrap();
    let original =
        lodestone::opml::parse_opml(&String::from_utf8(fixture("opml/freshrss-export.opml")).unwrap())
            .unwrap();
    let key = |feeds: &[lodestone::opml::OpmlFeed]| {
        let mut keys: Vec<(String, String, Option<String>)> =
            feeds.iter().map(|f| (f.title.clone(), f.xml_url.clone(), f.category.clone())).collect();
        keys.sort();
        keys
    };
    assert_eq!(key(&exported), key(&original));
}

#[test]
fn query_filters_and_every_output_format() {
    let server = TestServer::start();
    server.fixed("/rss2.xml", Response::ok("application/rss+xml", fixture("feeds/rss2.xml")));
    server.fixed("/atom.xml", Response::ok("application/atom+xml", fixture("feeds/atom.xml")));
    let workspace = Workspace::new(
        &[source_block("wire", &server.url("/rss2.xml")), source_block("magnets", &server.url("/atom.xml"))]
            .concat(),
    );
    assert!(workspace.run(&["fetch"]).status.success());
    let run = |arguments: &[&str]| {
        let output = workspace.run(arguments);
        assert!(output.status.success(), "{arguments:?}: {:?}", text(&output));
        text(&output).0
    };
    let table = run(&["query"]);
    assert!(table.lines().all(|line| line.chars().count() <= 100), "{table}");
    assert!(table.contains("Serra Verde gets $565 million DFC financing offer"));
    let jsonl = run(&["query", "--format", "jsonl", "--source", "magnets"]);
    assert_eq!(jsonl.lines().count(), 2);
    for line in jsonl.lines() {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(item["source"], "magnets");
    }
    let csv = run(&["query", "--format", "csv", "--search", "\"financing package\""]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("id,source,guid,url,title,summary,published"));
    assert!(lines[1].contains("wire-2026-0206-001"));
    let window: Vec<serde_json::Value> = serde_json::from_str(&run(&[
        "query",
        "--format",
        "json",
        "--since",
        "2026-02-05",
        "--until",
        "2026-02-06T09:00:00Z",
    ]))
    .unwrap();
    let guids: Vec<&str> = window.iter().map(|item| item["guid"].as_str().unwrap()).collect();
    assert_eq!(
        guids,
        [
            "tag:magnets.example.net,2026:evac-sumter",
            "tag:magnets.example.net,2026:recycling",
            "https://wire.example.com/news/copper-stocks-week",
            "https://wire.example.com/news/lithium-steady"
        ]
    );
    let limited: Vec<serde_json::Value> =
        serde_json::from_str(&run(&["query", "--format", "json", "--limit", "2"])).unwrap();
    assert_eq!(limited.len(), 2);
}

#[test]
fn the_systemd_unit_is_hardened_to_an_exposure_of_at_most_2() {
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/lodestone.service");
    let output = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager", unit.to_str().unwrap()])
        .output()
        .expect("systemd-analyze is installed (.ci/run installs the systemd package)");
    let report = String::from_utf8_lossy(&output.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|line| line.split("Overall exposure level for lodestone.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| {
            panic!("no exposure figure in:\n{report}\n{}", String::from_utf8_lossy(&output.stderr))
        });
    assert!(exposure <= 2.0, "exposure {exposure}:\n{report}");
    let text = std::fs::read_to_string(&unit).unwrap();
    for setting in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "DynamicUser=yes",
        "StateDirectory=lodestone",
        "ConfigurationDirectory=lodestone",
        "LoadCredential=smtp-password",
    ] {
        assert!(text.contains(setting), "the unit lacks {setting}");
    }
}
