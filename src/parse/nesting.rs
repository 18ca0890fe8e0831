//! A cheap estimate of how deep an HTML page nests its elements, taken before the page goes to
//! the HTML parser.
//!
//! html5ever checks the stack of open elements for every tag it sees, so its time grows with
//! the square of the nesting: 80,000 nested `<div>`s (400 KB) take 12 s, and a 10 MiB page of
//! them hours. Real pages nest a few dozen deep. The estimate counts start and end tags in one
//! pass: void elements (`<br>`, `<img>`…), self-closed tags and elements whose end tag is
//! optional (`<p>`, `<li>`, `<td>`…) do not count, and the raw text of `<script>`, `<style>`,
//! `<textarea>` and `<title>` and comments are skipped. It does not build a tree or apply the
//! HTML5 rules that close elements implicitly; it only has to tell a page from a trap.

/// Deeper than this, a page is refused. Generous: sloppy pages leave some inline tags open.
pub const MAX_NESTING: usize = 512;

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr",
];

/// Elements whose end tag may be left out (the parser closes them).
const OPTIONAL_END: &[&str] = &[
    "html", "head", "body", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
    "tfoot", "colgroup", "caption", "rt", "rp",
];

/// Elements whose content is raw text up to their end tag.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript"];

/// The deepest nesting of `html`, stopping early once it passes `limit`.
pub fn nesting_depth(html: &str, limit: usize) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while let Some(offset) = memchr(b'<', &bytes[at..]) {
        at += offset + 1;
        let rest = &bytes[at..];
        if rest.starts_with(b"!--") {
            at += find(rest, b"-->").map_or(rest.len(), |end| end + 3);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = usize::from(closing);
        let name_length = rest[name_start..].iter().take_while(|byte| byte.is_ascii_alphanumeric()).count();
        if name_length == 0 || !rest[name_start].is_ascii_alphabetic() {
            continue;
        }
        // Every listed name is short: a longer one is an ordinary element. Lower-cased in a
        // buffer, since this runs on every feed body with markup.
        let mut buffer = [0u8; 10];
        let name =
            match rest.get(name_start..name_start + name_length).filter(|name| name.len() <= buffer.len()) {
                Some(raw) => {
                    buffer[..raw.len()].copy_from_slice(raw);
                    buffer[..raw.len()].make_ascii_lowercase();
                    std::str::from_utf8(&buffer[..raw.len()]).unwrap_or("")
                }
                None => "",
            };
        let tag_end = memchr(b'>', rest).map_or(rest.len(), |end| end + 1);
        at += tag_end;
        if VOID.contains(&name) || OPTIONAL_END.contains(&name) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        if rest[..tag_end].ends_with(b"/>") {
            continue;
        }
        depth += 1;
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
        if RAW_TEXT.contains(&name) {
            // On to the matching end tag, which the next round reads as one.
            let end_tag = format!("</{name}");
            at += find_ignoring_case(&bytes[at..], end_tag.as_bytes()).unwrap_or(bytes.len() - at);
        }
    }
    deepest
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn find_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_open_elements_and_ignores_what_closes_itself() {
        assert_eq!(nesting_depth("<html><body><div><div><span>x</span></div><div></div></div>", 100), 3);
        assert_eq!(nesting_depth("<div><p>one<p>two<br><img src=x><li>a<li>b<hr/></div>", 100), 1);
        assert_eq!(nesting_depth("<div><svg><path d='M0'/></svg></div>", 100), 2);
        assert_eq!(nesting_depth("<DIV><Div>x</DIV></div>", 100), 2);
    }

    #[test]
    fn raw_text_and_comments_are_skipped() {
        let page = "<div><script>if (a<b && c<d) { x = '<div><div>'; }</script><style>p<q{}</style>\
                    <!-- <div><div><div> --><textarea><div></textarea><span>ok</span></div>";
        assert_eq!(nesting_depth(page, 100), 2);
    }

    #[test]
    fn a_trap_is_told_from_a_page_and_the_scan_stops_at_the_limit() {
        let trap = "<div>".repeat(100_000);
        assert_eq!(nesting_depth(&trap, MAX_NESTING), MAX_NESTING + 1);
        let smm =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smm/list.html"))
                .unwrap();
        assert!(nesting_depth(&smm, MAX_NESTING) < 40, "{}", nesting_depth(&smm, MAX_NESTING));
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for page in ["<", "</", "<!--", "<script>", "<a", "< div>", "<1>", "</>", "<\u{e9}>", "<div"] {
            assert!(nesting_depth(page, 10) <= 1, "{page}");
        }
    }
}
