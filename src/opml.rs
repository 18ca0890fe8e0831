//! OPML, the format feed readers exchange subscription lists in: reading an export into a list
//! of feeds, and writing our sources as one.
//!
//! Pure text in, text out. Turning feeds into `[[source]]` entries (names, duplicates) is the
//! CLI's job; this module only knows the format. Nested outlines are categories: a feed keeps
//! the title of its nearest enclosing outline as `category`.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// One feed from an OPML file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpmlFeed {
    pub title: String,
    pub xml_url: String,
    pub html_url: Option<String>,
    pub category: Option<String>,
}

/// Why an OPML file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("malformed OPML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("not an OPML file: no <opml> root element")]
    NotOpml,
}

/// Reads every outline that has an `xmlUrl`, in document order.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut feeds = Vec::new();
    // The titles of the open outlines that are not feeds themselves (categories).
    let mut categories: Vec<Option<String>> = Vec::new();
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|error| OpmlError::Malformed {
            position: reader.error_position(),
            message: error.to_string(),
        })?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = element.local_name();
                if name.as_ref().eq_ignore_ascii_case("opml") {
                    saw_root = true;
                }
                if !name.as_ref().eq_ignore_ascii_case("outline") {
                    continue;
                }
                let attribute = |wanted: &str| -> Option<String> {
                    element.attributes().flatten().find_map(|attribute| {
                        attribute
                            .key
                            .local_name()
                            .as_ref()
                            .eq_ignore_ascii_case(wanted)
                            .then(|| {
                                attribute
                                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|value| value.trim().to_string())
                            })
                            .flatten()
                    })
                };
                let title = attribute("title").or_else(|| attribute("text")).filter(|t| !t.is_empty());
                match attribute("xmlUrl").filter(|url| !url.is_empty()) {
                    Some(xml_url) => feeds.push(OpmlFeed {
                        title: title.unwrap_or_else(|| xml_url.clone()),
                        xml_url,
                        html_url: attribute("htmlUrl").filter(|url| !url.is_empty()),
                        category: categories.iter().rev().flatten().next().cloned(),
                    }),
                    None if !is_empty => categories.push(title),
                    None => {}
                }
                if attribute("xmlUrl").is_some() && !is_empty {
                    // A feed outline with children: keep the stack balanced.
                    categories.push(None);
                }
            }
            Event::End(element) if element.local_name().as_ref().eq_ignore_ascii_case("outline") => {
                categories.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(OpmlError::NotOpml);
    }
    Ok(feeds)
}

/// Writes `feeds` as an OPML 2.0 document, grouped under one outline per category.
pub fn write_opml(title: &str, feeds: &[OpmlFeed]) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail.
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let mut opml = BytesStart::new("opml");
    opml.push_attribute(("version", "2.0"));
    let _ = writer.write_event(Event::Start(opml));
    let _ = writer.write_event(Event::Start(BytesStart::new("head")));
    let _ = writer.write_event(Event::Start(BytesStart::new("title")));
    let _ = writer.write_event(Event::Text(BytesText::new(title)));
    let _ = writer.write_event(Event::End(BytesEnd::new("title")));
    let _ = writer.write_event(Event::End(BytesEnd::new("head")));
    let _ = writer.write_event(Event::Start(BytesStart::new("body")));
    let mut categories: Vec<Option<&str>> = Vec::new();
    for feed in feeds {
        if !categories.contains(&feed.category.as_deref()) {
            categories.push(feed.category.as_deref());
        }
    }
    for category in categories {
        if let Some(category) = category {
            let mut outline = BytesStart::new("outline");
            outline.push_attribute(("text", category));
            outline.push_attribute(("title", category));
            let _ = writer.write_event(Event::Start(outline));
        }
        for feed in feeds.iter().filter(|feed| feed.category.as_deref() == category) {
            let mut outline = BytesStart::new("outline");
            outline.push_attribute(("type", "rss"));
            outline.push_attribute(("text", feed.title.as_str()));
            outline.push_attribute(("title", feed.title.as_str()));
            outline.push_attribute(("xmlUrl", feed.xml_url.as_str()));
            if let Some(html_url) = &feed.html_url {
                outline.push_attribute(("htmlUrl", html_url.as_str()));
            }
            let _ = writer.write_event(Event::Empty(outline));
        }
        if category.is_some() {
            let _ = writer.write_event(Event::End(BytesEnd::new("outline")));
        }
    }
    let _ = writer.write_event(Event::End(BytesEnd::new("body")));
    let _ = writer.write_event(Event::End(BytesEnd::new("opml")));
    let mut text = String::from_utf8(writer.into_inner()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Reader export</title></head><body>
  <outline text="Mining" title="Mining">
    <outline type="rss" text="Mining Weekly" title="Mining Weekly" xmlUrl="https://www.miningweekly.com/page/home/feed" htmlUrl="https://www.miningweekly.com"/>
    <outline type="rss" text="Q&amp;A feed" xmlUrl="https://example.com/qa.xml"/>
  </outline>
  <outline type="rss" text="USGS" xmlUrl="https://www.usgs.gov/news/minerals/feed"/>
</body></opml>"#;

    #[test]
    fn reads_feeds_with_categories() {
        let feeds = parse_opml(EXPORT).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].title, "Mining Weekly");
        assert_eq!(feeds[0].category.as_deref(), Some("Mining"));
        assert_eq!(feeds[1].title, "Q&A feed");
        assert_eq!(feeds[2].category, None);
    }

    #[test]
    fn write_then_read_round_trips() {
        let feeds = parse_opml(EXPORT).unwrap();
        assert_eq!(parse_opml(&write_opml("lodestone", &feeds)).unwrap(), feeds);
    }

    #[test]
    fn not_opml_is_an_error() {
        assert!(matches!(parse_opml("<rss></rss>"), Err(OpmlError::NotOpml)));
        assert!(parse_opml("<opml><body><outline").is_err());
    }
}
