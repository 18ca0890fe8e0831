//! Repairs for common XML breakage in real feeds, applied only after a strict parse failed.
//!
//! Each repair is a text-to-text function that returns `None` when it changed nothing, so the
//! caller can tell whether a retry is worth it. They are deliberately narrow: a repair never
//! guesses at structure (no tag balancing), it only fixes what has one obvious meaning.

use crate::html_entities;

/// Escapes every `&` that does not start a valid reference, and turns HTML named entities that
/// XML does not know (`&nbsp;`, `&eacute;`) into numeric references. CDATA sections are left
/// alone, since `&` is literal there.
pub fn fix_ampersands_and_entities(text: &str) -> Option<String> {
    let mut output = String::with_capacity(text.len() + 64);
    let mut changed = false;
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<']) {
        output.push_str(&rest[..at]);
        rest = &rest[at..];
        if rest.starts_with("<![CDATA[") {
            let end = rest.find("]]>").map(|end| end + 3).unwrap_or(rest.len());
            output.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        if rest.starts_with('<') {
            output.push('<');
            rest = &rest[1..];
            continue;
        }
        match reference_at(rest) {
            Reference::Valid(length) => {
                output.push_str(&rest[..length]);
                rest = &rest[length..];
            }
            Reference::HtmlNamed(length, character) => {
                output.push_str(&format!("&#{};", character as u32));
                rest = &rest[length..];
                changed = true;
            }
            Reference::Invalid => {
                output.push_str("&amp;");
                rest = &rest[1..];
                changed = true;
            }
        }
    }
    output.push_str(rest);
    changed.then_some(output)
}

/// Gives an `<rss>` root without a version, or with one feed-rs does not know (0.93, 2.01),
/// version 2.0: the elements of every RSS 0.9x/2.x are a subset of 2.0.
pub fn rss_version_to_2(text: &str) -> Option<String> {
    let root_start = root_element_start(text)?;
    let tag_end = root_start + text[root_start..].find('>')?;
    let tag = &text[root_start..tag_end];
    if !(tag.starts_with("<rss ") || tag.starts_with("<rss\n") || tag == "<rss" || tag.starts_with("<rss\t"))
    {
        return None;
    }
    let new_tag = match tag.find("version") {
        Some(at) => {
            let after = &tag[at + "version".len()..];
            let value_start = after.find(['"', '\''])?;
            let quote = after[value_start..].chars().next()?;
            let value_end = after[value_start + 1..].find(quote)?;
            let value = &after[value_start + 1..value_start + 1 + value_end];
            if value == "2.0" || value == "0.91" || value == "0.92" {
                return None;
            }
            let absolute_value_start = at + "version".len() + value_start + 1;
            format!("{}2.0{}", &tag[..absolute_value_start], &tag[absolute_value_start + value.len()..])
        }
        None => format!("<rss version=\"2.0\"{}", &tag[4..]),
    };
    Some(format!("{}{}{}", &text[..root_start], new_tag, &text[tag_end..]))
}

/// Rewrites `type` attributes on Atom text constructs that feed-rs rejects (`text/plain`,
/// `TEXT`, `application/octet-stream`) to `text`, or to `html` for HTML-like values.
pub fn atom_text_types(text: &str) -> Option<String> {
    const TEXT_CONSTRUCTS: [&str; 6] = ["title", "subtitle", "summary", "content", "rights", "tagline"];
    let mut output = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        output.push_str(&rest[..at]);
        rest = &rest[at..];
        let tag_end = rest.find('>').map(|end| end + 1).unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let name = tag[1..].split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or("");
        let local_name = name.rsplit(':').next().unwrap_or(name);
        let is_text_construct = TEXT_CONSTRUCTS.contains(&local_name);
        match is_text_construct.then(|| fix_type_attribute(tag)).flatten() {
            Some(fixed) => {
                output.push_str(&fixed);
                changed = true;
            }
            None => output.push_str(tag),
        }
        rest = &rest[tag_end..];
    }
    output.push_str(rest);
    changed.then_some(output)
}

fn fix_type_attribute(tag: &str) -> Option<String> {
    let at = tag.find(" type=")?;
    let value_start = at + " type=".len();
    let quote = tag[value_start..].chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value_end = value_start + 1 + tag[value_start + 1..].find(quote)?;
    let value = &tag[value_start + 1..value_end];
    let known = ["text", "html", "xhtml", "text/html"];
    if known.contains(&value) || value.ends_with("+xml") || value.ends_with("/xml") {
        return None;
    }
    let lowered = value.trim().to_ascii_lowercase();
    let replacement = match lowered.as_str() {
        "html" | "text/html" | "escaped" => "html",
        "xhtml" | "application/xhtml+xml" => "xhtml",
        _ => "text",
    };
    Some(format!("{}{replacement}{}", &tag[..value_start + 1], &tag[value_end..]))
}

enum Reference {
    /// A reference XML understands; its length in bytes.
    Valid(usize),
    /// An HTML named entity XML does not declare: length and the character it means.
    HtmlNamed(usize, char),
    Invalid,
}

fn reference_at(text: &str) -> Reference {
    let body = &text[1..];
    let end = body
        .char_indices()
        .take(33)
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
        .map(|(index, _)| index);
    let Some(end) = end.filter(|end| body[*end..].starts_with(';')) else {
        return Reference::Invalid;
    };
    let name = &body[..end];
    let length = end + 2;
    if let Some(number) = name.strip_prefix('#') {
        let parsed = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse::<u32>().ok(),
        };
        return match parsed.and_then(char::from_u32) {
            Some(_) => Reference::Valid(length),
            None => Reference::Invalid,
        };
    }
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return Reference::Valid(length);
    }
    match html_entities::lookup(name) {
        Some(character) => Reference::HtmlNamed(length, character),
        None => Reference::Invalid,
    }
}

/// The byte offset of the first element's `<`, skipping the declaration, comments and DOCTYPE.
pub fn root_element_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    loop {
        let rest = &text[offset..];
        let at = rest.find('<')?;
        let candidate = &rest[at..];
        if candidate.starts_with("<?") {
            offset += at + candidate.find("?>")? + 2;
        } else if candidate.starts_with("<!--") {
            offset += at + candidate.find("-->")? + 3;
        } else if candidate.starts_with("<!") {
            offset += at + candidate.find('>')? + 1;
        } else {
            return Some(offset + at);
        }
    }
}

/// The root element's name, lower-cased, without a namespace prefix (`rss`, `feed`, `html`).
pub fn root_element_name(text: &str) -> Option<String> {
    let start = root_element_start(text)? + 1;
    let name: String =
        text[start..].chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
    let local = name.rsplit(':').next().unwrap_or(&name).to_ascii_lowercase();
    (!local.is_empty()).then_some(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stray_ampersand_and_html_entities() {
        let fixed =
            fix_ampersands_and_entities("<t>Q&A &amp; more&nbsp;here &#8220;x&#x201D; &bogus;</t>").unwrap();
        assert_eq!(fixed, "<t>Q&amp;A &amp; more&#160;here &#8220;x&#x201D; &amp;bogus;</t>");
    }

    #[test]
    fn cdata_is_left_alone() {
        assert_eq!(fix_ampersands_and_entities("<t><![CDATA[a & b]]></t>"), None);
    }

    #[test]
    fn rss_without_version_or_unusual_version() {
        assert_eq!(
            rss_version_to_2("<?xml version=\"1.0\"?><rss><channel/></rss>").unwrap(),
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(
            rss_version_to_2("<rss version=\"0.93\"><channel/></rss>").unwrap(),
            "<rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(rss_version_to_2("<rss version=\"2.0\"><channel/></rss>"), None);
        assert_eq!(rss_version_to_2("<feed><entry/></feed>"), None);
    }

    #[test]
    fn unknown_atom_types_become_text() {
        let fixed = atom_text_types(
            "<feed><title type=\"text/plain\">T</title><link type=\"text/html\" href=\"x\"/></feed>",
        )
        .unwrap();
        assert_eq!(fixed, "<feed><title type=\"text\">T</title><link type=\"text/html\" href=\"x\"/></feed>");
    }

    #[test]
    fn root_name_skips_prolog() {
        assert_eq!(
            root_element_name("<?xml version='1.0'?>\n<!-- c --><!DOCTYPE html><html lang=en>").as_deref(),
            Some("html")
        );
        assert_eq!(root_element_name("<rdf:RDF xmlns:rdf='x'>").as_deref(), Some("rdf"));
    }
}
