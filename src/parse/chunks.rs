//! Large feeds split into parts that parse on their own, so that a backfill file can be parsed
//! on several cores and stored while the rest is still being parsed, in bounded memory.
//!
//! A part is the feed's header (everything before the first entry), a run of whole entries, and
//! the footer (everything after the last entry), so each part is a well-formed feed with the
//! same namespaces and base URL as the whole. Split points are only taken between an entry's end
//! tag and the next entry's start tag, outside CDATA sections and comments. A split the scanner
//! got wrong can only produce malformed XML, which fails to parse; the caller then parses the
//! whole document the ordinary way, so this is an optimization that cannot change results.

use std::io::Read;

/// A feed document cut into parts.
#[derive(Debug)]
pub struct FeedParts<'a> {
    header: &'a str,
    footer: &'a str,
    bodies: Vec<&'a str>,
}

impl<'a> FeedParts<'a> {
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// Part `index` as a readable document, without copying the text.
    pub fn reader(&self, index: usize) -> impl Read + 'a {
        self.header.as_bytes().chain(self.bodies[index].as_bytes()).chain(self.footer.as_bytes())
    }
}

/// The last parts shrink down to this fraction of the target size (see [`part_size`]).
const SMALLEST_PART_DIVISOR: usize = 8;

/// Splits `text` into parts of about `target_bytes` of entries each, smaller towards the end (see
/// [`part_size`]), or None when the document is small, not RSS or Atom, or has no safe split
/// points.
pub fn split(text: &str, target_bytes: usize) -> Option<FeedParts<'_>> {
    if text.len() < target_bytes * 2 {
        return None;
    }
    let entry_tag = match super::repair::root_element_name(text)?.as_str() {
        "rss" | "rdf" => "item",
        "feed" => "entry",
        _ => return None,
    };
    let open = format!("<{entry_tag}");
    let close = format!("</{entry_tag}>");
    let first_start = find_start_tag(text, &open, 0)?;
    let last_end = text.rfind(&close)? + close.len();
    if last_end <= first_start || !outside_cdata_and_comments(&text[..first_start]) {
        return None;
    }
    let region = &text[first_start..last_end];
    let mut bodies = Vec::new();
    let mut part_start = 0;
    let mut search_from = part_size(region.len(), target_bytes);
    let mut nesting = Nesting::default();
    while search_from < region.len() {
        let Some(at) = region[search_from..].find(&close) else { break };
        let split_at = search_from + at + close.len();
        let next = region[split_at..].trim_start();
        let is_boundary = next.starts_with(&open) && nesting.outside_after(region, split_at);
        if is_boundary && split_at < region.len() {
            bodies.push(&region[part_start..split_at]);
            part_start = split_at;
            search_from = split_at + part_size(region.len() - split_at, target_bytes);
        } else {
            search_from = split_at;
        }
    }
    bodies.push(&region[part_start..]);
    (bodies.len() > 1).then(|| FeedParts { header: &text[..first_start], footer: &text[last_end..], bodies })
}

/// The size of the next part when `remaining` bytes of entries are left: `target_bytes`, but
/// never more than a quarter of what is left, nor less than an eighth of the target. Workers
/// take parts in order, so the last ones decide how long one worker runs alone while the other
/// has nothing left: with equal parts that was up to a whole part's time (tens of ms of a
/// 10,000-entry file on one core of two); parts that shrink towards the end leave a few ms.
fn part_size(remaining: usize, target_bytes: usize) -> usize {
    (remaining / 4).clamp((target_bytes / SMALLEST_PART_DIVISOR).max(1), target_bytes.max(1))
}

/// The first `<item` (as a whole tag name, not `<itemized`) at or after `from`.
fn find_start_tag(text: &str, open: &str, from: usize) -> Option<usize> {
    let mut position = from;
    while let Some(at) = text[position..].find(open) {
        let start = position + at;
        let after = text.as_bytes().get(start + open.len()).copied();
        if matches!(after, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')) {
            return Some(start);
        }
        position = start + open.len();
    }
    None
}

/// True when `prefix` does not end inside a CDATA section or a comment.
fn outside_cdata_and_comments(prefix: &str) -> bool {
    Nesting::default().outside_after(prefix, prefix.len())
}

/// Counts CDATA and comment openings and closings in a growing prefix, scanning each byte once.
#[derive(Default)]
struct Nesting {
    scanned: usize,
    cdata: isize,
    comments: isize,
}

impl Nesting {
    /// True when `text[..end]` does not end inside a CDATA section or comment; `end` must not
    /// decrease between calls.
    fn outside_after(&mut self, text: &str, end: usize) -> bool {
        let bytes = text.as_bytes();
        let mut position = self.scanned;
        while let Some(offset) = memchr_any(&bytes[position..end]) {
            let at = position + offset;
            let rest = &bytes[at..];
            if rest.starts_with(b"<![CDATA[") {
                self.cdata += 1;
            } else if rest.starts_with(b"]]>") {
                self.cdata -= 1;
            } else if rest.starts_with(b"<!--") {
                self.comments += 1;
            } else if rest.starts_with(b"-->") {
                self.comments -= 1;
            }
            position = at + 1;
        }
        // Every marker that starts before `end` has been counted, whole.
        self.scanned = end;
        self.cdata == 0 && self.comments == 0
    }
}

/// The offset of the first byte that can start a marker (`<`, `]`, `-`).
fn memchr_any(bytes: &[u8]) -> Option<usize> {
    memchr::memchr3(b'<', b']', b'-', bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(items: usize) -> String {
        let mut text =
            String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\n");
        for index in 0..items {
            text.push_str(&format!("<item><title>Item {index}</title><description><![CDATA[<p>a </item><item> b</p>]]></description></item>\n"));
        }
        text.push_str("</channel></rss>");
        text
    }

    fn read_all(parts: &FeedParts, index: usize) -> String {
        let mut text = String::new();
        parts.reader(index).read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn parts_hold_whole_entries_with_header_and_footer() {
        let text = feed(40);
        let parts = split(&text, 500).unwrap();
        assert!(parts.len() > 3);
        let mut total = 0;
        for index in 0..parts.len() {
            let part = read_all(&parts, index);
            assert!(
                part.starts_with("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>")
            );
            assert!(part.ends_with("</channel></rss>"));
            let parsed = feed_rs::parser::parse(part.as_bytes()).unwrap();
            total += parsed.entries.len();
        }
        assert_eq!(total, 40);
    }

    #[test]
    fn parts_shrink_towards_the_end_but_not_below_an_eighth() {
        let text = feed(400);
        let parts = split(&text, 4000).unwrap();
        let sizes: Vec<usize> = parts.bodies.iter().map(|body| body.len()).collect();
        let entry = sizes.iter().min().copied().unwrap();
        assert!(sizes[0] >= 4000 && sizes[0] < 4000 + 2 * entry, "the first part has the target size");
        let last = sizes[sizes.len() - 2];
        assert!(last < 1500, "the last parts are small: {sizes:?}");
        let (_, before_last) = sizes.split_last().unwrap();
        assert!(
            before_last.iter().all(|size| *size >= 500),
            "no part but the rest under an eighth: {sizes:?}"
        );
        assert!(sizes.windows(2).all(|pair| pair[1] <= pair[0] + 2 * entry), "sizes never grow: {sizes:?}");
    }

    #[test]
    fn small_or_unknown_documents_are_not_split() {
        assert!(split(&feed(2), 500).is_none());
        assert!(split(&"<html><body>".repeat(1000), 500).is_none());
    }
}
