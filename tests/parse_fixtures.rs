//! Every fixture feed through the real parse and normalize stages (no server, no database):
//! the awkward-but-readable ones must give the right text, the broken ones a clear error.

mod support;

use lodestone::model::Item;
use lodestone::normalize::{NormalizeContext, normalize_entry};
use lodestone::parse::{ParseError, parse_feed};
use url::Url;

fn items(fixture: &str, content_type: Option<&str>) -> Result<Vec<Item>, ParseError> {
    let base = Url::parse("https://feeds.example.com/feed.xml").unwrap();
    let parsed = parse_feed(&support::fixture(&format!("feeds/{fixture}")), content_type, &base)?;
    let context = NormalizeContext::new(base, "2026-02-10T00:00:00Z".parse().unwrap());
    Ok(parsed.entries.into_iter().map(|entry| normalize_entry(entry, &context)).collect())
}

fn titles(fixture: &str) -> Vec<String> {
    items(fixture, None)
        .unwrap_or_else(|error| panic!("{fixture}: {error}"))
        .into_iter()
        .map(|item| item.title)
        .collect()
}

#[test]
fn rss2_fields_dates_and_links() {
    let items = items("rss2.xml", Some("application/rss+xml")).unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].title, "Serra Verde gets $565 million DFC financing offer");
    assert_eq!(items[0].guid, "wire-2026-0206-001");
    assert_eq!(items[0].url.as_deref(), Some("https://wire.example.com/news/serra-verde-dfc"));
    assert_eq!(items[0].published.to_string(), "2026-02-06T10:43:00Z");
    assert_eq!(
        items[0].summary.as_deref(),
        Some("The US development bank offered the Brazilian producer a $565 million package.")
    );
    assert!(items[0].body_text.starts_with("The US International Development Finance Corporation offered"));
    assert_eq!(items[0].author.as_deref(), Some("Desk"));
    assert_eq!(items[1].url.as_deref(), Some("https://feeds.example.com/news/copper-stocks-week"));
    assert_eq!(items[1].published.to_string(), "2026-02-05T09:15:30Z");
    // No guid: the canonical link is the identity.
    assert_eq!(items[2].guid, "https://wire.example.com/news/lithium-steady");
    assert_eq!(items[2].published.to_string(), "2026-02-05T04:30:00Z");
}

#[test]
fn rss1_atom_and_json_feed() {
    let rdf = items("rss1.xml", None).unwrap();
    assert_eq!(rdf[0].title, "Antimony supply review published");
    assert_eq!(rdf[0].published.to_string(), "2026-02-03T19:00:00Z");
    let atom = items("atom.xml", None).unwrap();
    assert_eq!(atom[0].title, "eVAC ships first NdFeB magnets from Sumter");
    assert_eq!(atom[0].guid, "tag:magnets.example.net,2026:evac-sumter");
    assert_eq!(atom[0].published.to_string(), "2026-02-06T07:00:00Z");
    assert_eq!(atom[1].published.to_string(), "2026-02-06T00:45:00Z");
    assert_eq!(atom[1].body_text, "Two recyclers agreed to supply swarf.");
    let json = items("jsonfeed.json", Some("application/feed+json")).unwrap();
    assert_eq!(json[0].guid, "brief-1001");
    assert_eq!(json[0].published.to_string(), "2026-02-04T08:00:00Z");
    assert_eq!(json[1].body_text, "Output of nickel pig iron rose 6% in January.");
}

#[test]
fn encodings_are_detected_and_transcoded() {
    assert_eq!(
        titles("windows-1252.xml"),
        ["\u{201c}Record\u{201d} tungsten price \u{2013} APT at $600/mtu"]
    );
    assert_eq!(
        titles("utf8-declared-latin1-sent.xml"),
        ["Produ\u{e7}\u{e3}o de ni\u{f3}bio em S\u{e3}o Paulo"]
    );
    assert_eq!(titles("utf16le-bom.xml"), ["Gr\u{fc}ne Metalle: mit BOM"]);
    assert_eq!(titles("utf16be-no-bom.xml"), ["Gr\u{fc}ne Metalle: ohne BOM"]);
}

#[test]
fn repairable_feeds_are_repaired() {
    assert_eq!(titles("rss-no-version.xml"), ["Zinc smelter restarts"]);
    assert_eq!(titles("rss-version-093.xml"), ["Tin mine reopens"]);
    assert_eq!(titles("stray-ampersand.xml"), ["Iluka & Arafura talk M&A; nothing agreed"]);
    let entities = items("undeclared-entities.xml", None).unwrap();
    assert_eq!(entities[0].title, "Rare earth prices \u{2014} weekly\u{2026} \u{e9}dition");
    assert_eq!(entities[0].summary, None);
    assert_eq!(entities[0].body_text, "Pr\u{2011}Nd oxide rose.");
    assert!(items("empty-feed.xml", None).unwrap().is_empty());
}

#[test]
fn unreadable_bodies_say_what_they_are() {
    assert!(matches!(items("broken-beyond-repair.xml", None), Err(ParseError::Malformed(_))));
    let html = items("page.html", Some("text/html")).unwrap_err();
    assert_eq!(html.to_string(), "the server sent an HTML page, not a feed");
    let base = Url::parse("https://x.example/").unwrap();
    assert_eq!(parse_feed(b"  \n", None, &base).unwrap_err(), ParseError::Empty);
    assert!(matches!(
        parse_feed(b"{\"hello\": 1}", None, &base),
        Err(ParseError::NotAFeed(_) | ParseError::Malformed(_))
    ));
}
