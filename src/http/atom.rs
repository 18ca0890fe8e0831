//! Stories as an Atom 1.0 feed (RFC 4287), so that users can read the deduplicated stream in
//! any feed reader: one entry per story, its canonical item's title, link and summary, its
//! members listed in the content, its topics as categories.
//!
//! Pure: rows in, XML text out. Every text is escaped, and only http(s) links are written (a
//! `javascript:` URL from a feed never reaches a reader as a link).

use std::fmt::Write;

use crate::store::{ItemRow, MemberRow, StoryRow};

/// One story with what its entry shows.
pub struct StoryEntry {
    pub story: StoryRow,
    pub members: Vec<MemberRow>,
    pub canonical: Option<ItemRow>,
}

/// The feed as a whole.
pub struct FeedHead<'a> {
    /// Stable identity of the feed: `urn:lodestone:feed:stories`.
    pub id: &'a str,
    pub title: &'a str,
    /// The feed's own absolute URL, when known (the request's Host).
    pub self_url: Option<&'a str>,
    /// When the feed is empty, its `updated` (else the newest entry's).
    pub now: &'a str,
}

/// Renders the feed.
pub fn render(head: &FeedHead<'_>, entries: &[StoryEntry]) -> String {
    let updated = entries.iter().map(|entry| entry.story.last_seen.as_str()).max().unwrap_or(head.now);
    let mut xml = String::with_capacity(1024 + entries.len() * 1024);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    let _ = writeln!(xml, "  <id>{}</id>", escape(head.id));
    let _ = writeln!(xml, "  <title>{}</title>", escape(head.title));
    let _ = writeln!(xml, "  <updated>{}</updated>", escape(updated));
    if let Some(url) = head.self_url.filter(|url| is_web_link(url)) {
        let _ =
            writeln!(xml, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>", escape(url));
    }
    let _ = writeln!(xml, "  <generator version=\"{}\">lodestone</generator>", env!("CARGO_PKG_VERSION"));
    for entry in entries {
        write_entry(&mut xml, entry);
    }
    xml.push_str("</feed>\n");
    xml
}

fn write_entry(xml: &mut String, entry: &StoryEntry) {
    let story = &entry.story;
    xml.push_str("  <entry>\n");
    let _ = writeln!(xml, "    <id>urn:lodestone:story:{}</id>", story.story);
    let _ = writeln!(xml, "    <title>{}</title>", escape(&story.title));
    if let Some(url) = story.url.as_deref().filter(|url| is_web_link(url)) {
        let _ = writeln!(xml, "    <link rel=\"alternate\" href=\"{}\"/>", escape(url));
    }
    let _ = writeln!(xml, "    <published>{}</published>", escape(&story.first_seen));
    let _ = writeln!(xml, "    <updated>{}</updated>", escape(&story.last_seen));
    let _ = writeln!(xml, "    <author><name>{}</name></author>", escape(&story.sources.join(", ")));
    for topic in &story.topics {
        let _ = writeln!(xml, "    <category term=\"{}\"/>", escape(&topic.topic));
    }
    if let Some(summary) =
        entry.canonical.as_ref().map(|item| item.summary.as_str()).filter(|text| !text.is_empty())
    {
        let _ = writeln!(xml, "    <summary>{}</summary>", escape(summary));
    }
    let _ = writeln!(xml, "    <content type=\"html\">{}</content>", escape(&content_html(entry)));
    xml.push_str("  </entry>\n");
}

/// The entry's body: the summary, then every member with its source and time.
fn content_html(entry: &StoryEntry) -> String {
    let mut html = String::new();
    if let Some(item) = &entry.canonical {
        let _ = write!(html, "<p>{}</p>", escape(&item.summary));
    }
    let sources = entry.story.sources.len();
    let _ = write!(
        html,
        "<p>{} item{} from {} source{}:</p><ul>",
        entry.members.len(),
        if entry.members.len() == 1 { "" } else { "s" },
        sources,
        if sources == 1 { "" } else { "s" }
    );
    for member in &entry.members {
        let title = escape(&member.title);
        match member.url.as_deref().filter(|url| is_web_link(url)) {
            Some(url) => {
                let _ = write!(html, "<li><a href=\"{}\">{title}</a>", escape(url));
            }
            None => {
                let _ = write!(html, "<li>{title}");
            }
        }
        let _ = write!(html, " — {}, {}</li>", escape(&member.source), escape(&member.published));
    }
    html.push_str("</ul>");
    html
}

fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// XML escaping for text and attribute values; characters XML 1.0 forbids are dropped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            control if (control as u32) < 0x20 || matches!(control, '\u{FFFE}' | '\u{FFFF}') => {}
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::query::TopicScore;

    fn story(title: &str, url: &str) -> StoryEntry {
        StoryEntry {
            story: StoryRow {
                story: 7,
                title: title.to_string(),
                url: Some(url.to_string()),
                canonical_item: 1,
                first_seen: "2026-02-06T10:46:00Z".into(),
                last_seen: "2026-02-06T12:00:00Z".into(),
                size: 2,
                sources: vec!["smm-news".into(), "metals-wire".into()],
                topics: vec![TopicScore { topic: "finance".into(), score: 0.9 }],
                items: vec![1, 2],
            },
            members: vec![MemberRow {
                item: 2,
                source: "metals-wire".into(),
                published: "2026-02-06T12:00:00Z".into(),
                title: "<b>DFC</b> & Serra Verde".into(),
                url: Some("javascript:alert(1)".into()),
                reason: "rewrite".into(),
                score: 0.5,
                matched_item: Some(1),
                canonical: false,
            }],
            canonical: None,
        }
    }

    #[test]
    fn feeds_parse_and_hostile_text_stays_text() {
        let head = FeedHead { id: "urn:lodestone:feed:stories", title: "Stories", self_url: None, now: "x" };
        let xml = render(&head, &[story("US $565M <script>alert(1)</script>\u{1}", "javascript:alert(1)")]);
        assert!(!xml.contains("<script>") && !xml.contains("href=\"javascript"), "{xml}");
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("the feed parses");
        assert_eq!(feed.entries.len(), 1);
        let entry = &feed.entries[0];
        assert_eq!(entry.id, "urn:lodestone:story:7");
        assert_eq!(entry.title.as_ref().unwrap().content, "US $565M <script>alert(1)</script>");
        assert!(entry.links.is_empty(), "no javascript: link");
        assert_eq!(entry.categories[0].term, "finance");
        assert_eq!(feed.updated.unwrap().to_rfc3339(), "2026-02-06T12:00:00+00:00");
    }
}
