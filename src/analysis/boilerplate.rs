//! Source boilerplate: what to leave out of a title or body before analysis, and the one piece
//! of it worth keeping, the earlier title an `[SMM Flash: …]` prefix refers to.
//!
//! The result is a list of byte ranges of the original text, not a cleaned copy, so that token
//! spans still point into what the source sent. Recognized: `[SMM Flash: T]` and `【SMM Flash
//! News】` prefixes, a trailing `[SMM … Weekly Review]` column tag, `SMM News:` / `SMM Feb 6
//! News:` lead-ins, "Data Source Statement" and contact paragraphs, "Read more", `》View SMM …`
//! promo lines, a "Related News" block (the rest of the page), URLs and e-mail addresses.
//! Per-source rules and learned boilerplate (lines seen in many items of a source) are not
//! here: they need the store.

use std::ops::Range;

/// What boilerplate removal keeps of one field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Content {
    pub ranges: Vec<Range<usize>>,
    /// The title inside an `[SMM Flash: …]` prefix.
    pub flash_reference: Option<String>,
    /// A trailing column tag such as `SMM Rare Earth Overseas Weekly Review`.
    pub series: Option<String>,
}

/// The content of a title: one range, without a flash prefix or a column tag.
pub(crate) fn title_content(title: &str) -> Content {
    let mut content = Content::default();
    let mut range = 0..title.len();
    if let Some((end, reference)) = flash_prefix(title) {
        range.start = end;
        content.flash_reference = reference;
    }
    if let Some((start, tag)) = trailing_tag(&title[range.clone()]) {
        range.end = range.start + start;
        content.series = Some(tag);
    }
    content.ranges.push(range);
    content
}

/// The content of a body: its paragraphs without boilerplate, URLs and e-mail addresses.
pub(crate) fn body_content(body: &str) -> Content {
    let mut content = Content::default();
    let mut line_start = 0;
    if let Some((end, reference)) = flash_prefix(body) {
        line_start = end;
        content.flash_reference = reference;
    }
    for line in body[line_start..].split_inclusive('\n') {
        let range = line_start..line_start + line.len();
        line_start = range.end;
        let trimmed = line.trim();
        if trimmed.eq_ignore_ascii_case("related news") {
            break;
        }
        if is_boilerplate_line(trimmed) {
            continue;
        }
        let mut kept = range.clone();
        kept.start += smm_lead_in(line).unwrap_or(0);
        if let Some(statement) = line.find("Data Source Statement") {
            kept.end = range.start + statement;
        }
        if kept.start >= kept.end {
            // The statement starts within the lead-in ("SMM Data Source Statement: …"): the
            // whole line is the statement.
            continue;
        }
        push_without_links(body, kept, &mut content.ranges);
    }
    content
}

/// `[SMM Flash: T]`, `【SMM Flash News】`, `[SMM Flash]` at the start: the end offset of the
/// bracket and T when the bracket names a title.
fn flash_prefix(text: &str) -> Option<(usize, Option<String>)> {
    let leading = text.len() - text.trim_start().len();
    let rest = &text[leading..];
    let (close, open_len) = match rest.chars().next()? {
        '[' => (']', 1),
        '【' => ('】', '【'.len_utf8()),
        _ => return None,
    };
    let inner_end = rest.find(close)?;
    let inner = rest[open_len..inner_end].trim();
    let head = inner.get(..3)?;
    if !head.eq_ignore_ascii_case("SMM") || !inner.to_ascii_lowercase().contains("flash") {
        return None;
    }
    let reference = inner
        .split_once([':', '：'])
        .map(|(_, title)| title.trim())
        .filter(|title| !title.is_empty())
        .map(str::to_string);
    Some((leading + inner_end + close.len_utf8(), reference))
}

/// A `[SMM …]` tag at the end of a title: its start and its text.
fn trailing_tag(title: &str) -> Option<(usize, String)> {
    let trimmed = title.trim_end();
    let (open, close) = if trimmed.ends_with(']') {
        ('[', ']')
    } else if trimmed.ends_with('】') {
        ('【', '】')
    } else {
        return None;
    };
    let start = trimmed.rfind(open)?;
    let inner = trimmed[start + open.len_utf8()..trimmed.len() - close.len_utf8()].trim();
    let is_smm = inner.get(..3).is_some_and(|head| head.eq_ignore_ascii_case("SMM"));
    (is_smm && start > 0).then(|| (start, inner.to_string()))
}

/// Whole lines that are never news: disclaimers, contacts, "Read more", promo links.
fn is_boilerplate_line(trimmed: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "Data Source Statement",
        "For any inquiries",
        "For more information on how to access",
        "Published:",
        "Click to view",
        "》",
        ">>",
        "Source:",
        "Note: The above",
    ];
    trimmed.is_empty()
        || trimmed.eq_ignore_ascii_case("read more")
        || trimmed == ","
        || PREFIXES.iter().any(|prefix| trimmed.starts_with(prefix))
}

/// The length of an `SMM News:` / `SMM Feb 6 News:` / `SMM, Feb 6:` lead-in at the start of
/// `line`: "SMM", then up to five short words (dates, "News", "Flash"), then a colon.
fn smm_lead_in(line: &str) -> Option<usize> {
    let leading = line.len() - line.trim_start().len();
    let rest = &line[leading..];
    if !rest.starts_with("SMM") {
        return None;
    }
    let colon = rest.find([':', '：'])?;
    let words = &rest[3..colon];
    let word_count = words.split_whitespace().count();
    let plausible = colon <= 40
        && word_count <= 5
        && words.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == ',' || c == '.' || c == '-');
    plausible.then(|| leading + colon + rest[colon..].chars().next().map_or(1, char::len_utf8))
}

/// Pushes `range` minus any URL or e-mail address in it (whitespace-delimited chunks containing
/// `://`, `www.` or `@`).
fn push_without_links(text: &str, range: Range<usize>, ranges: &mut Vec<Range<usize>>) {
    let slice = &text[range.clone()];
    if !slice.contains("://") && !slice.contains("www.") && !slice.contains('@') {
        if !slice.trim().is_empty() {
            ranges.push(range);
        }
        return;
    }
    let mut kept_start = range.start;
    let mut chunk_start = range.start;
    for (offset, character) in slice.char_indices().chain(std::iter::once((slice.len(), ' '))) {
        if !character.is_whitespace() {
            continue;
        }
        let chunk_end = range.start + offset;
        let chunk = &text[chunk_start..chunk_end];
        if chunk.contains("://") || chunk.contains("www.") || chunk.contains('@') {
            if chunk_start > kept_start {
                ranges.push(kept_start..chunk_start);
            }
            kept_start = chunk_end;
        }
        chunk_start = chunk_end + character.len_utf8().min(range.end - chunk_end);
    }
    if kept_start < range.end && !text[kept_start..range.end].trim().is_empty() {
        ranges.push(kept_start..range.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str, content: &Content) -> String {
        content.ranges.iter().map(|range| text[range.clone()].trim()).collect::<Vec<_>>().join("|")
    }

    #[test]
    fn flash_prefix_is_kept_aside() {
        let title = "[SMM Flash: US Provides $565 Million in Financing] Serra Verde gets DFC package";
        let content = title_content(title);
        assert_eq!(content.flash_reference.as_deref(), Some("US Provides $565 Million in Financing"));
        assert_eq!(kept(title, &content), "Serra Verde gets DFC package");
        let content = title_content("【SMM Flash News】Lithium prices rise");
        assert_eq!(content.flash_reference, None);
        assert_eq!(kept("【SMM Flash News】Lithium prices rise", &content), "Lithium prices rise");
    }

    #[test]
    fn column_tag_is_the_series() {
        let title = "US Magnets Achieve Breakthrough [SMM Rare Earth Overseas Weekly Review]";
        let content = title_content(title);
        assert_eq!(content.series.as_deref(), Some("SMM Rare Earth Overseas Weekly Review"));
        assert_eq!(kept(title, &content), "US Magnets Achieve Breakthrough");
        assert_eq!(title_content("[SMM Review]").series, None);
    }

    #[test]
    fn body_boilerplate_is_dropped() {
        let body = "SMM Feb 6 News: Lynas raised output.\nRead more\n》View SMM Rare Earth Quotations\n\
                    Prices held. Data Source Statement: Except for publicly available information...\n\
                    For any inquiries, please contact: lemonzhao@smm.cn\nSee https://x.example/a now\n\
                    Related News\nFrontier Secures $20 Million";
        let content = body_content(body);
        assert_eq!(kept(body, &content), "Lynas raised output.|Prices held.|See|now");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in
            ["", "[", "【", "[SMM", "[SMM Flash:]", "]", "SMM:", "SMM News：中文", "@", "a@b ://", "\n\n"]
        {
            let _ = title_content(text);
            let _ = body_content(text);
        }
        assert_eq!(body_content("[SMM Flash:] x").flash_reference, None);
    }

    #[test]
    fn a_statement_inside_a_lead_in_drops_the_line() {
        // The lead-in "SMM …:" would start the kept text after the statement's own start.
        for body in ["SMMData Source Statement:", "SMM Data Source Statement: data from public sources"] {
            assert_eq!(kept(body, &body_content(body)), "", "{body}");
        }
        let body = "Prices held.\n  SMM Data Source Statement: except public information\nLynas rose.";
        assert_eq!(kept(body, &body_content(body)), "Prices held.|Lynas rose.");
    }
}
