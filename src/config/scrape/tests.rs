use std::path::Path;

use crate::config::{Config, ConfigError, SourceKind};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

fn error_text(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const SMM: &str = r#"
[[source]]
name = "smm-rare-earth"
url = "https://news.metal.com/list/industry/rare-earth"
kind = "html"
[source.scrape]
item = '[class*="newsItem___"]'
title = '[class*="title___"]'
link = 'a[href*="/newscontent/"]@href'
date = '[class*="date___"]'
date_format = ["%b %d, %Y %H:%M", "%b %d, %Y"]
timezone = "Asia/Shanghai"
summary = '[class*="description___"]'
id_pattern = '/newscontent/(\d+)'
series = ['^[\[【](SMM [^\]】:]+)[\]】:]', '\[(SMM [^\]]+)\]$']
follow = true
body = '[class*="content___"]'
drop = ["^Data Source Statement", "^Related (News|Price)"]
"#;

#[test]
fn a_full_scrape_block_compiles_with_defaults_filled_in() {
    let config = parse(SMM).unwrap();
    let source = &config.sources[0];
    assert_eq!(source.kind, SourceKind::Html);
    let rules = source.scrape.as_deref().unwrap();
    assert_eq!(rules.item.text, r#"[class*="newsItem___"]"#);
    assert_eq!(rules.link.attribute.as_deref(), Some("href"));
    assert!(rules.link.selector.is_some());
    assert_eq!(rules.title.attribute, None);
    assert_eq!(rules.date_formats, ["%b %d, %Y %H:%M", "%b %d, %Y"]);
    assert_eq!(rules.timezone_name, "Asia/Shanghai");
    assert_eq!(rules.series.len(), 2);
    assert_eq!(rules.drop.len(), 2);
    assert!(rules.follow);
    assert_eq!(rules.max_follow, super::DEFAULT_MAX_FOLLOW);
    assert_eq!(rules.article_title.len(), super::DEFAULT_ARTICLE_TITLE.len());
    assert!(rules.title_suffix.as_ref().unwrap().regex.is_match("Title - Shanghai Metals Market"));
}

#[test]
fn minimal_block_uses_utc_and_the_default_formats() {
    let config = parse(
        "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nkind = \"html\"\n[source.scrape]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a@href\"\ntitle_suffix = \"\"\n",
    )
    .unwrap();
    let rules = config.sources[0].scrape.as_deref().unwrap();
    assert_eq!(rules.timezone_name, "UTC");
    assert_eq!(rules.date_formats.len(), super::DEFAULT_DATE_FORMATS.len());
    assert!(!rules.follow);
    assert!(rules.title_suffix.is_none());
}

#[test]
fn field_selectors_split_at_a_trailing_attribute_only() {
    let field = super::parse_field_selector(r#"a[href*="@"]"#).unwrap();
    assert_eq!(field.attribute, None);
    let field = super::parse_field_selector(r#"meta[property="og:title"]@content"#).unwrap();
    assert_eq!(field.attribute.as_deref(), Some("content"));
    let own = super::parse_field_selector("@href").unwrap();
    assert!(own.selector.is_none() && own.attribute.as_deref() == Some("href"));
    assert!(super::parse_field_selector(":scope").unwrap().selector.is_none());
    assert!(super::parse_field_selector("div[").is_err());
}

#[test]
fn a_bad_selector_names_file_line_key_and_source() {
    let broken = SMM.replace(r#"item = '[class*="newsItem___"]'"#, r#"item = '..newsItem___'"#);
    let message = error_text(&broken);
    assert!(
        message.starts_with(
            "test.toml:7: key `source[1].scrape.item`: source `smm-rare-earth`: invalid CSS selector"
        ),
        "{message}"
    );
    let broken = SMM.replace(r#"link = 'a[href*="/newscontent/"]@href'"#, "link = 'a:nth-child(x)@href'");
    let message = error_text(&broken);
    assert!(message.starts_with("test.toml:9: key `source[1].scrape.link`:"), "{message}");
    let broken = SMM.replace("body = '[class*=\"content___\"]'", "body = 'div@href'");
    assert!(error_text(&broken).contains("`@attribute` is not allowed here"));
}

#[test]
fn bad_regexes_formats_and_zones_are_named() {
    let cases = [
        (
            r"id_pattern = '/newscontent/(\d+)'",
            r"id_pattern = '/newscontent/\d+'",
            "id_pattern`",
            "exactly 1 capture group",
        ),
        (
            r"id_pattern = '/newscontent/(\d+)'",
            r"id_pattern = '/newscontent/(\d+'",
            "id_pattern`",
            "invalid regex",
        ),
        ("drop = [\"^Data Source Statement\"", "drop = [\"^Data (Source\"", "drop`", "invalid regex"),
        ("series = ['^", "series = ['^(a)(b)', '^", "series`", "exactly 1 capture group"),
        (
            "timezone = \"Asia/Shanghai\"",
            "timezone = \"Asia/Shanghia\"",
            "timezone`",
            "unknown time zone `Asia/Shanghia`",
        ),
        (
            "date_format = [\"%b %d, %Y %H:%M\"",
            "date_format = [\"%b %d, %Y %H:%M %8\"",
            "date_format`",
            "invalid date_format",
        ),
        (
            "date_format = [\"%b %d, %Y %H:%M\", \"%b %d, %Y\"]",
            "date_format = \"yesterday\"",
            "date_format`",
            "no % directive",
        ),
        (
            "date_format = [\"%b %d, %Y %H:%M\"",
            "date_format = [\"%b %d, %Y %H:%M %Z\"",
            "date_format`",
            "cannot be read back",
        ),
        ("follow = true", "follow = true\nmax_follow = 0", "max_follow`", "between 1 and 1000"),
    ];
    for (from, to, key, expected) in cases {
        assert!(SMM.contains(from), "{from}");
        let message = error_text(&SMM.replace(from, to));
        assert_eq!(message.lines().count(), 1, "one line: {message}");
        assert!(message.contains(&format!("scrape.{key}")), "{to}: {message}");
        assert!(message.contains("source `smm-rare-earth`"), "{to}: {message}");
        assert!(message.contains(expected), "{to}: {message}");
    }
}

#[test]
fn kind_and_scrape_block_go_together() {
    let message = error_text("[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nkind = \"html\"\n");
    assert!(
        message.starts_with(
            "test.toml:2: key `source[1].name`: source `a` has kind = \"html\" but no [source.scrape]"
        ),
        "{message}"
    );
    let message = error_text(
        "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\n[source.scrape]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a@href\"\n",
    );
    assert!(message.contains("a [source.scrape] block needs kind = \"html\""), "{message}");
    let message = error_text(
        "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nkind = \"html\"\n[source.scrape]\nitem = \"li\"\nlink = \"a@href\"\n",
    );
    assert!(message.contains("missing field `title`"), "{message}");
    let message = error_text(
        "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nkind = \"html\"\n[source.scrape]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a@href\"\nfollows = true\n",
    );
    assert!(message.contains("key `source[1].scrape.follows`: unknown field `follows`"), "{message}");
}
