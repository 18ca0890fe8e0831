use super::*;
use crate::config::scrape::testing::test_rules;
use crate::normalize::{NormalizeContext, normalize_entry};

fn now() -> Timestamp {
    "2026-02-06T12:00:00Z".parse().unwrap()
}

fn article_url() -> Url {
    Url::parse("https://news.metal.com/newscontent/104150212-frontier-rare-earths").unwrap()
}

fn frontier() -> Article {
    let body =
        std::fs::read(format!("{}/tests/fixtures/smm/article-104150212.html", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    parse_article(&body, Some("text/html"), &test_rules(""), &article_url(), now()).unwrap()
}

#[test]
fn title_without_the_site_suffix_and_the_published_date() {
    let article = frontier();
    assert_eq!(
        article.title.as_deref(),
        Some(
            "Frontier Rare Earths Raises $20 Million From South Africa's IDC and Signs Offtake With Carester"
        )
    );
    assert_eq!(article.published.unwrap().to_string(), "2026-02-06T10:46:00Z");
    assert!(
        article.date_text.as_deref().unwrap().starts_with("Feb 6, 2026 18:46"),
        "{:?}",
        article.date_text
    );
}

#[test]
fn boilerplate_blocks_are_dropped_and_links_made_absolute() {
    let article = frontier();
    let body = article.body_html.as_deref().unwrap();
    assert!(body.contains("Zandkopsdrift"), "{body}");
    assert!(body.contains("<strong>$20 million</strong>"), "{body}");
    assert!(body.contains("href=\"https://news.metal.com/company/carester\""), "{body}");
    for boilerplate in
        ["Data Source Statement", "please contact", "Related News", "View SMM Rare Earth Quotations"]
    {
        assert!(!body.contains(boilerplate), "`{boilerplate}` kept in {body}");
    }
    assert_eq!(article.dropped.len(), 4, "{:?}", article.dropped);
    assert!(article.dropped[1].starts_with("Data Source Statement: Except"), "{:?}", article.dropped);
}

#[test]
fn without_drop_patterns_everything_is_kept() {
    let rules = test_rules("").clone();
    let mut rules = rules;
    rules.drop.clear();
    let body =
        std::fs::read(format!("{}/tests/fixtures/smm/article-104150212.html", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    let article = parse_article(&body, None, &rules, &article_url(), now()).unwrap();
    assert!(article.body_html.unwrap().contains("Related News"));
    assert!(article.dropped.is_empty());
}

#[test]
fn a_pattern_matches_at_the_start_of_a_block_only() {
    let page =
        r#"<div class="content___x"><p>Analysts discussed Related News flows.</p><p>Related News</p></div>"#;
    let article = parse_article(page.as_bytes(), None, &test_rules(""), &article_url(), now()).unwrap();
    let body = article.body_html.unwrap();
    assert!(body.contains("Analysts discussed Related News flows."), "{body}");
    assert_eq!(body.matches("Related News").count(), 1, "{body}");
}

#[test]
fn merged_entry_takes_body_title_and_missing_date() {
    let rules = test_rules("");
    let mut entry = Entry {
        guid: Some("https://news.metal.com/newscontent/104150212".into()),
        link: Some(article_url().to_string()),
        title: Some("Frontier Rare Earths Raises $20 Million…".into()),
        summary_html: Some("Short list summary.".into()),
        ..Entry::default()
    };
    merge_article(&mut entry, &frontier(), &rules);
    assert_eq!(entry.published.unwrap().to_string(), "2026-02-06T10:46:00Z");
    let item = normalize_entry(entry, &NormalizeContext::new(article_url(), now()));
    assert_eq!(
        item.title,
        "Frontier Rare Earths Raises $20 Million From South Africa's IDC and Signs Offtake With Carester"
    );
    assert!(
        item.body_text.starts_with("Frontier Rare Earths, a company based in Luxembourg"),
        "{}",
        item.body_text
    );
    assert!(item.body_text.contains("\nWith the funding in place"), "paragraphs kept: {}", item.body_text);
    assert!(!item.body_text.contains("Data Source Statement"));
    assert_eq!(item.summary.as_deref(), Some("Short list summary."));
}

#[test]
fn a_list_date_is_kept_over_the_article_date() {
    let mut entry = Entry { published: Some("2026-02-06T10:45:00Z".parse().unwrap()), ..Entry::default() };
    merge_article(&mut entry, &frontier(), &test_rules(""));
    assert_eq!(entry.published.unwrap().to_string(), "2026-02-06T10:45:00Z");
}

#[test]
fn configured_title_and_date_selectors_and_an_empty_suffix() {
    let rules =
        test_rules("article_title = \"h1\"\narticle_date = \".stamp@data-time\"\ntitle_suffix = \"\"");
    let page = r#"<html><head><title>Ignored - Shanghai Metals Market</title></head><body>
        <h1>Antimony  quotes   unchanged</h1><span class="stamp" data-time="2026-02-05 09:05">x</span>
        <div class="content___a"><p>Body.</p></div></body></html>"#;
    let article = parse_article(page.as_bytes(), None, &rules, &article_url(), now()).unwrap();
    assert_eq!(article.title.as_deref(), Some("Antimony quotes unchanged"));
    assert_eq!(article.published.unwrap().to_string(), "2026-02-05T01:05:00Z");
    assert_eq!(article.body_html.as_deref(), Some("<div class=\"content___a\"><p>Body.</p></div>"));
}

#[test]
fn a_page_without_the_body_or_a_date_gives_none_for_them() {
    let page = "<html><head><meta property=\"og:title\" content=\" - Shanghai Metals Market\"></head><body><h1>Only a headline</h1><p>Published: soon</p></body></html>";
    let article = parse_article(page.as_bytes(), None, &test_rules(""), &article_url(), now()).unwrap();
    assert_eq!(article.body_html, None);
    assert_eq!(article.published, None);
    assert_eq!(
        article.title.as_deref(),
        Some("Only a headline"),
        "an og:title that is only the suffix is skipped"
    );
}

#[test]
fn scripts_are_left_out_and_deep_nesting_is_refused_before_parsing() {
    let page = |depth: usize| {
        format!(
            "<div class=\"content___a\"><script>steal()</script><p>Kept</p>{}deep{}</div>",
            "<span>".repeat(depth),
            "</span>".repeat(depth)
        )
    };
    let article = parse_article(page(400).as_bytes(), None, &test_rules(""), &article_url(), now()).unwrap();
    let body = article.body_html.unwrap();
    assert!(body.contains("<p>Kept</p>") && body.contains("deep") && !body.contains("steal"));
    // 50,000 deep would take the HTML parser a minute: refused at once, with a reason.
    let refused = parse_article(page(50_000).as_bytes(), None, &test_rules(""), &article_url(), now());
    assert!(matches!(refused, Err(ParseError::TooDeep { limit: 512 })), "{:?}", refused.err());
}
