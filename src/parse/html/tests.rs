use super::*;
use crate::config::scrape::testing::test_rules;

fn now() -> Timestamp {
    // 20:00 in Shanghai on Feb 6, 2026.
    "2026-02-06T12:00:00Z".parse().unwrap()
}

fn page_url() -> Url {
    Url::parse("https://news.metal.com/list/industry/rare-earth").unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/smm/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn smm_list() -> ListPage {
    parse_list(&fixture("list.html"), Some("text/html; charset=utf-8"), &test_rules(""), &page_url(), now())
        .unwrap()
}

fn by_title<'a>(page: &'a ListPage, start: &str) -> &'a ListItem {
    page.items
        .iter()
        .find(|item| item.entry.title.as_deref().is_some_and(|title| title.trim().starts_with(start)))
        .unwrap_or_else(|| panic!("no item titled {start}…"))
}

#[test]
fn every_item_of_the_smm_list_with_its_fields() {
    let page = smm_list();
    assert_eq!(page.matched, 21, "20 items and one promo block");
    assert_eq!(page.items.len(), 20, "the promo block has no link");
    let frontier = by_title(&page, "Frontier Rare Earths Raises");
    assert_eq!(
        frontier.entry.link.as_deref(),
        Some(
            "https://news.metal.com/newscontent/104150212-frontier-rare-earths-raises-20-million-and-signs-carester-offtake"
        ),
        "a relative link is resolved against the page"
    );
    assert_eq!(frontier.entry.guid.as_deref(), Some("https://news.metal.com/newscontent/104150212"));
    assert_eq!(frontier.entry.published.unwrap().to_string(), "2026-02-06T10:46:00Z");
    assert_eq!(frontier.date_text.as_deref(), Some("Feb 6, 2026 18:46"));
    assert!(frontier.entry.summary_html.as_deref().unwrap().contains("Industrial Development Corporation"));
    assert_eq!(frontier.entry.series, None);
}

#[test]
fn series_prefixes_suffixes_and_leads() {
    let page = smm_list();
    let series = |start: &str| by_title(&page, start).entry.series.clone();
    assert_eq!(series("【SMM Flash】US DFC Puts").as_deref(), Some("SMM Flash"));
    assert_eq!(series("Pr-Nd Oxide Edges Up").as_deref(), Some("SMM Rare Earth Daily Review"));
    assert_eq!(series("Copper Cathode Social").as_deref(), Some("SMM Weekly Review"));
    assert_eq!(series("[SMM Morning Comment]").as_deref(), Some("SMM Morning Comment"));
    assert_eq!(series("Serra Verde Gets $565M").as_deref(), Some("SMM Flash"), "from the summary's lead");
    assert_eq!(series("US Offers $565 Million"), None);
}

#[test]
fn every_date_form_of_the_list() {
    let page = smm_list();
    let published = |start: &str| by_title(&page, start).entry.published.map(|time| time.to_string());
    assert_eq!(published("Antimony Ingot").as_deref(), Some("2026-02-05T01:05:00Z"), "Feb 5, 2026 9:05");
    assert_eq!(published("Lithium Carbonate").as_deref(), Some("2026-02-06T10:00:00Z"), "2 hours ago");
    assert_eq!(published("Cobalt Hydroxide").as_deref(), Some("2026-02-05T02:00:00Z"), "yesterday 10:00");
    assert_eq!(published("Nickel Ore").as_deref(), Some("2026-02-05T08:20:00Z"), "2026-02-05 16:20");
    assert_eq!(published("Copper Cathode").as_deref(), Some("2026-02-03T16:00:00Z"), "2026-02-04");
    assert_eq!(published("Tin Smelter").as_deref(), Some("2026-01-09T06:38:00Z"), "Jan 9, 2026 14:38");
    assert_eq!(published("Silicon Metal"), None, "`Breaking` is no date");
    assert_eq!(by_title(&page, "Silicon Metal").date_text.as_deref(), Some("Breaking"));
    assert_eq!(published("Manganese Sulphate"), None, "no date element");
}

#[test]
fn hashed_class_names_that_change_still_match() {
    let text = String::from_utf8(fixture("list.html")).unwrap();
    let rehashed = text
        .replace("newsItem___wZtKx", "newsItem___Zz9Qp")
        .replace("title___1baLV", "title___Aa01")
        .replace("description___z7ktb", "description___q8")
        .replace("date___3dzkE", "date___Xy7");
    assert_ne!(rehashed, text);
    let page = parse_list_text(&rehashed, &test_rules(""), &page_url(), now()).unwrap();
    assert_eq!(page.items.len(), 20);
    assert_eq!(page.items[0].entry.published.unwrap().to_string(), "2026-02-06T10:46:00Z");
}

#[test]
fn a_changed_layout_is_an_error_naming_the_selector_and_page() {
    let page = "<html><body><ul><li class=\"article-card\"><a href=\"/newscontent/1-x\">X</a></li></ul></body></html>";
    let error = parse_list_text(page, &test_rules(""), &page_url(), now()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "selector `[class*=\"newsItem___\"]` matched 0 items on https://news.metal.com/list/industry/rare-earth"
    );
    let without_links = "<div class=\"newsItem___a\"><div class=\"title___b\">Only a title</div></div>";
    let error = parse_list_text(without_links, &test_rules(""), &page_url(), now()).unwrap_err();
    assert!(error.to_string().contains("found no link in any of the 1 items"), "{error}");
}

#[test]
fn three_url_forms_of_one_article_share_one_guid() {
    let rules = test_rules("");
    let forms = [
        "https://news.metal.com/newscontent/104143124-smm-flash-masivo-intersects-lead-zinc",
        "https://news.metal.com/en/newscontent/104143124-smm-flash-masivo-intersects-lead-zinc",
        "https://news.metal.com/newscontent/104143124/",
        "https://news.metal.com/newscontent/104143124/Masivo-Intersects-%5BSMM-Flash%5D?utm_source=x",
    ];
    for form in forms {
        let canonical = canonical_url(form, &page_url()).unwrap();
        assert_eq!(
            html_guid(&canonical, rules.id_pattern.as_ref()),
            "https://news.metal.com/newscontent/104143124"
        );
    }
    assert_eq!(html_guid(forms[0], None), forms[0], "without a pattern the URL is the guid");
    let other = "https://news.metal.com/about";
    assert_eq!(html_guid(other, rules.id_pattern.as_ref()), other, "no match: the URL");
    let on_a_port = "http://127.0.0.1:8080/en/newscontent/7-x";
    assert_eq!(html_guid(on_a_port, rules.id_pattern.as_ref()), "http://127.0.0.1:8080/newscontent/7");
}

#[test]
fn an_id_pattern_without_a_leading_slash_or_with_trailing_context() {
    let rules = test_rules("");
    let mut pattern = rules.id_pattern.clone().unwrap();
    pattern.regex = regex::Regex::new(r"newscontent/(\d+)[-/]").unwrap();
    assert_eq!(
        html_guid("https://news.metal.com/newscontent/5-x", Some(&pattern)),
        "https://news.metal.com/newscontent/5",
        "the guid ends with the group"
    );
}

#[test]
fn repeats_of_one_article_on_a_page_merge_into_the_first() {
    let page = r#"<div class="newsItem___a"><a href="/newscontent/104143124/"><img src="x.png"></a></div>
        <div class="newsItem___a"><a href="/en/newscontent/104143124-masivo"><div class="title___b">Masivo intersects 32.50 metres</div></a>
          <div class="date___c">Oct 1, 2026 18:46</div></div>"#;
    let list = parse_list_text(page, &test_rules(""), &page_url(), now()).unwrap();
    assert_eq!((list.matched, list.items.len()), (2, 1));
    let entry = &list.items[0].entry;
    assert_eq!(
        entry.link.as_deref(),
        Some("https://news.metal.com/newscontent/104143124/"),
        "the first form"
    );
    assert_eq!(entry.title.as_deref(), Some("Masivo intersects 32.50 metres"), "filled in from the repeat");
    assert_eq!(entry.published.unwrap().to_string(), "2026-10-01T10:46:00Z");
}

#[test]
fn selectors_on_the_item_itself_and_default_attributes() {
    let rules = test_rules("").clone();
    let mut rules = rules;
    rules.item = crate::config::scrape::ItemSelector {
        text: "a.card".into(),
        selector: scraper::Selector::parse("a.card").unwrap(),
    };
    rules.link = crate::config::scrape::parse_field_selector("@href").unwrap();
    rules.title = crate::config::scrape::parse_field_selector(":scope").unwrap();
    rules.date = Some(crate::config::scrape::parse_field_selector("time").unwrap());
    let page = r#"<a class="card" href="/newscontent/9-a">Nine &amp; <b>bold</b><time datetime="2026-02-06T10:46:00Z">today</time></a>"#;
    let list = parse_list_text(page, &rules, &page_url(), now()).unwrap();
    let entry = &list.items[0].entry;
    assert_eq!(entry.guid.as_deref(), Some("https://news.metal.com/newscontent/9"));
    assert!(entry.title.as_deref().unwrap().starts_with("Nine &amp; <b>bold</b>"), "{:?}", entry.title);
    assert_eq!(entry.published.unwrap().to_string(), "2026-02-06T10:46:00Z", "<time datetime> wins");
    let mut plain_link = rules.clone();
    plain_link.link = crate::config::scrape::parse_field_selector(":scope").unwrap();
    let list = parse_list_text(page, &plain_link, &page_url(), now()).unwrap();
    assert_eq!(
        list.items[0].entry.link.as_deref(),
        Some("https://news.metal.com/newscontent/9-a"),
        "href by default"
    );
}

#[test]
fn non_html_bodies_are_refused_in_words() {
    let rules = test_rules("");
    let refuse = |body: &[u8], content_type: Option<&str>| {
        parse_list(body, content_type, &rules, &page_url(), now()).unwrap_err().to_string()
    };
    assert_eq!(
        refuse(b"{\"items\": []}", Some("application/json")),
        "the server sent JSON (application/json), not an HTML page"
    );
    assert!(
        refuse(b"<?xml version=\"1.0\"?><rss/>", Some("application/rss+xml")).contains("set kind = \"feed\"")
    );
    assert!(
        refuse(b"<?xml version=\"1.0\"?><rss version=\"2.0\"/>", None).contains("a feed, not an HTML page")
    );
    assert_eq!(refuse(b"\x89PNG\r\n", Some("image/png")), "the server sent image/png, not an HTML page");
    assert_eq!(refuse(b"{\"a\": 1}", None), "the server sent JSON, not an HTML page");
    assert_eq!(refuse(b"  \n", Some("text/html")), "the server sent an empty body");
}

#[test]
fn a_charset_named_only_in_the_page_is_used() {
    let mut page = b"<html><head><meta charset=\"windows-1252\"></head><body><div class=\"newsItem___a\"><a href=\"/newscontent/3-x\"><div class=\"title___b\">".to_vec();
    page.extend_from_slice(b"\x93Record\x94 tungsten \x96 APT</div></a></div></body></html>");
    let list = parse_list(&page, Some("text/html"), &test_rules(""), &page_url(), now()).unwrap();
    assert_eq!(list.items[0].entry.title.as_deref(), Some("\u{201c}Record\u{201d} tungsten \u{2013} APT"));
}
