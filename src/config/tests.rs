use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

fn error_text(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn full_config_with_defaults_filled_in() {
    let config = parse(
        r#"
[storage]
path = "/var/lib/lodestone/db.sqlite"

[fetch]
interval = "10m"
max_body = "5MiB"
per_host = 1

[[source]]
name = "mining-weekly"
url = "https://www.miningweekly.com/page/home/feed"

[[source]]
name = "usgs"
title = "USGS minerals"
url = "https://www.usgs.gov/news/minerals/feed"
interval = "1h"
enabled = false
topics = ["policy"]
"#,
    )
    .unwrap();
    assert_eq!(config.storage_path, PathBuf::from("/var/lib/lodestone/db.sqlite"));
    assert_eq!(config.fetch.interval, Duration::from_secs(600));
    assert_eq!(config.fetch.timeout, Duration::from_secs(30));
    assert_eq!(config.fetch.max_body, 5 * 1024 * 1024);
    assert_eq!((config.fetch.concurrency, config.fetch.per_host), (16, 1));
    assert_eq!(config.sources[0].interval, Duration::from_secs(600));
    assert_eq!(config.sources[0].title, "mining-weekly");
    assert_eq!(config.sources[1].interval, Duration::from_secs(3600));
    assert_eq!(config.sources[1].title, "USGS minerals");
    assert!(!config.sources[1].enabled);
    assert_eq!(config.sources[1].kind, SourceKind::Feed);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let message = error_text("[fetch]\ninterval = \"10m\"\nintervall = \"5m\"\n");
    assert!(message.starts_with("test.toml:3: key `fetch.intervall`:"), "{message}");
    assert!(message.contains("unknown field `intervall`"), "{message}");
}

#[test]
fn bad_duration_names_the_key() {
    let message = error_text(
        "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\n\n[[source]]\nname = \"b\"\nurl = \"https://b.example/\"\ninterval = \"15 parsecs\"\n",
    );
    assert!(message.starts_with("test.toml:8: key `source[2].interval`:"), "{message}");
    assert!(message.contains("unknown unit"), "{message}");
}

#[test]
fn bad_source_name_url_and_duplicates() {
    assert!(
        error_text("[[source]]\nname = \"Mining Weekly\"\nurl = \"https://a.example/\"\n")
            .contains("a-z, 0-9 and -")
    );
    let message = error_text("[[source]]\nname = \"a\"\nurl = \"ftp://a.example/\"\n");
    assert!(message.starts_with("test.toml:3: key `source[1].url`"), "{message}");
    let message = error_text(
        "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\n[[source]]\nname = \"a\"\nurl = \"https://b.example/\"\n",
    );
    assert!(message.starts_with("test.toml:5: key `source[2].name`: duplicate source name `a`"), "{message}");
}

#[test]
fn limits_are_checked() {
    assert!(error_text("[fetch]\nconcurrency = 0\n").contains("between 1 and 1024"));
    assert!(error_text("[fetch]\ntimeout = \"0s\"\n").contains("longer than zero"));
    assert!(error_text("[[source]]\nname = \"a\"\n").contains("missing field `url`"));
}

#[test]
fn syntax_error_has_a_line() {
    let message = error_text("[fetch\ninterval = 3\n");
    assert!(message.starts_with("test.toml:1"), "{message}");
}
