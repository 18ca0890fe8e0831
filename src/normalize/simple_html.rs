//! The sanitizer's fast path: a body made only of paragraphs, line breaks, a few inline tags
//! and absolute web links, properly nested, is written out directly, exactly as ammonia would
//! write it (the tests compare the two on generated fragments).
//!
//! Ammonia parses every body into a DOM with a full HTML5 parser, which was the most expensive
//! step of normalizing a feed entry; most feed bodies are this simple. Anything else — another
//! tag, any attribute but a link's `href`, a comment, a stray `<`, an entity outside a short
//! list, a control character, tags that the HTML5 parser would repair (misnested, unclosed,
//! stray end tags, a paragraph inside an inline tag, a link inside a link) — returns None, and
//! the caller takes ammonia's way. So this decides nothing about what is safe: it only
//! recognises fragments whose sanitized form is plain to see.

/// Inline tags kept as they are (all on ammonia's default allow list, none with a parsing rule
/// of its own for properly nested input).
const INLINE_TAGS: &[&str] =
    &["b", "i", "em", "strong", "u", "s", "sub", "sup", "small", "code", "span", "a"];

/// The `rel` ammonia adds to every link (see `NormalizeContext::new`).
pub(super) const LINK_REL: &str = "noopener noreferrer nofollow";

/// The sanitized form of `html`, or None when it is not one of the simple fragments above.
pub(super) fn sanitize_simple(html: &str) -> Option<String> {
    let mut output = String::with_capacity(html.len() + html.len() / 8);
    // Open tags, innermost last; a paragraph is only ever at the bottom.
    let mut open: Vec<&'static str> = Vec::new();
    // Whether a link is open: known without searching `open`, so that deep nesting costs no
    // more than shallow (the fast path runs before the nesting limit is checked).
    let mut in_link = false;
    let mut rest = html;
    while !rest.is_empty() {
        let text_end = memchr::memchr(b'<', rest.as_bytes()).unwrap_or(rest.len());
        push_text(&mut output, &rest[..text_end])?;
        rest = &rest[text_end..];
        if rest.is_empty() {
            break;
        }
        let tag_end = memchr::memchr(b'>', rest.as_bytes())?;
        let tag = &rest[1..tag_end];
        rest = &rest[tag_end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = known_tag(name)?;
            if open.pop() != Some(name) {
                return None;
            }
            in_link &= name != "a";
            output.push_str("</");
            output.push_str(name);
            output.push('>');
        } else if matches!(tag, "br" | "br/" | "br /" | "BR") {
            output.push_str("<br>");
        } else if let Some(href) = tag.strip_prefix("a href=\"").and_then(|rest| rest.strip_suffix('"')) {
            if in_link || !is_plain_web_url(href) {
                return None;
            }
            open_tag(&mut open, "a")?;
            in_link = true;
            output.push_str("<a href=\"");
            output.push_str(href);
            output.push_str("\" rel=\"");
            output.push_str(LINK_REL);
            output.push_str("\">");
        } else {
            let name = known_tag(tag)?;
            // A link needs its href; a paragraph opens only outside any other tag (the HTML5
            // parser closes or moves paragraphs opened inside others).
            if name == "a" || (name == "p" && !open.is_empty()) {
                return None;
            }
            open_tag(&mut open, name)?;
            output.push('<');
            output.push_str(name);
            output.push('>');
        }
    }
    open.is_empty().then_some(output)
}

/// Notes `name` as open; None past the nesting limit (the caller then keeps the body as text,
/// as ammonia's way does for such nesting).
fn open_tag(open: &mut Vec<&'static str>, name: &'static str) -> Option<()> {
    open.push(name);
    (open.len() <= crate::parse::nesting::MAX_NESTING).then_some(())
}

/// The tag's canonical name if it is `p` or one of [`INLINE_TAGS`], written in lower or upper
/// case.
fn known_tag(name: &str) -> Option<&'static str> {
    if name.eq_ignore_ascii_case("p") {
        return Some("p");
    }
    INLINE_TAGS.iter().copied().find(|known| name.eq_ignore_ascii_case(known))
}

/// An absolute http(s) URL with nothing the HTML or URL parsers would rewrite: no entity,
/// quote, space or control character (ammonia keeps such a link's href exactly as written).
fn is_plain_web_url(href: &str) -> bool {
    (href.starts_with("http://") || href.starts_with("https://"))
        && href
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && !matches!(byte, b'&' | b'"' | b'\'' | b'<' | b'>'))
        && ::url::Url::parse(href).is_ok()
}

/// Appends text as the HTML parser reads it and its serializer writes it: the few entities
/// below decoded, then `&`, `<`, `>` and no-break spaces escaped. None for a character or an
/// entity whose handling this does not copy.
fn push_text(output: &mut String, text: &str) -> Option<()> {
    let bytes = text.as_bytes();
    let (mut copied, mut position) = (0, 0);
    while position < bytes.len() {
        // Most bytes are plain text; only a few can start a character that needs care (the
        // table's), and those are never inside another character's bytes.
        if !MAY_NEED_CARE[usize::from(bytes[position])] {
            position += 1;
            continue;
        }
        let character = text[position..].chars().next()?;
        if !needs_care(character) {
            position += character.len_utf8();
            continue;
        }
        output.push_str(&text[copied..position]);
        position += match character {
            '&' => {
                let (decoded, length) = reference(&text[position..])?;
                push_escaped(output, decoded);
                length
            }
            '>' | '\u{a0}' => {
                push_escaped(output, character);
                character.len_utf8()
            }
            _ => return None,
        };
        copied = position;
    }
    output.push_str(&text[copied..]);
    Some(())
}

/// The bytes that can start a character [`needs_care`] is true for: `&`, `>`, ASCII controls
/// but tab and newline, and the first bytes of U+0080–U+00BF (C1 controls, no-break space)
/// and of U+F000–U+FFFF (the byte-order mark).
const MAY_NEED_CARE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = byte != b'\n' as usize && byte != b'\t' as usize;
        byte += 1;
    }
    table[b'&' as usize] = true;
    table[b'>' as usize] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table[0xef] = true;
    table
};

/// Characters that are not copied as they are.
fn needs_care(character: char) -> bool {
    matches!(character, '&' | '>' | '\u{a0}' | '\u{feff}')
        || (character.is_control() && character != '\n' && character != '\t')
}

/// Escapes as html5ever's serializer does in text (not `text::escape_html`, which escapes
/// quotes too and leaves no-break spaces). Control characters never get here: they make the
/// fragment fall back first, and references to them are refused.
fn push_escaped(output: &mut String, character: char) {
    match character {
        '&' => output.push_str("&amp;"),
        '<' => output.push_str("&lt;"),
        '>' => output.push_str("&gt;"),
        '\u{a0}' => output.push_str("&nbsp;"),
        other => output.push(other),
    }
}

/// The entity names the HTML parser decodes without a closing `;` (WHATWG, "named character
/// references").
const LEGACY_NAMES: &[&str] = &[
    "AElig", "AMP", "Aacute", "Acirc", "Agrave", "Aring", "Atilde", "Auml", "COPY", "Ccedil", "ETH",
    "Eacute", "Ecirc", "Egrave", "Euml", "GT", "Iacute", "Icirc", "Igrave", "Iuml", "LT", "Ntilde", "Oacute",
    "Ocirc", "Ograve", "Oslash", "Otilde", "Ouml", "QUOT", "REG", "THORN", "Uacute", "Ucirc", "Ugrave",
    "Uuml", "Yacute", "aacute", "acirc", "acute", "aelig", "agrave", "amp", "aring", "atilde", "auml",
    "brvbar", "ccedil", "cedil", "cent", "copy", "curren", "deg", "divide", "eacute", "ecirc", "egrave",
    "eth", "euml", "frac12", "frac14", "frac34", "gt", "iacute", "icirc", "iexcl", "igrave", "iquest",
    "iuml", "laquo", "lt", "macr", "micro", "middot", "nbsp", "not", "ntilde", "oacute", "ocirc", "ograve",
    "ordf", "ordm", "oslash", "otilde", "ouml", "para", "plusmn", "pound", "quot", "raquo", "reg", "sect",
    "shy", "sup1", "sup2", "sup3", "szlig", "thorn", "times", "uacute", "ucirc", "ugrave", "uml", "uuml",
    "yacute", "yen", "yuml",
];

/// An ampersand that starts no reference, a named entity of the short list, or a decimal or hex reference to a printable character,
/// with its closing `;`: (the character, bytes used).
fn reference(text: &str) -> Option<(char, usize)> {
    const NAMED: &[(&str, char)] = &[
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&apos;", '\''),
        ("&nbsp;", '\u{a0}'),
        ("&mdash;", '—'),
        ("&ndash;", '–'),
        ("&rsquo;", '’'),
        ("&lsquo;", '‘'),
        ("&rdquo;", '”'),
        ("&ldquo;", '“'),
        ("&hellip;", '…'),
    ];
    if let Some((name, character)) = NAMED.iter().find(|(name, _)| text.starts_with(name)) {
        return Some((*character, name.len()));
    }
    let after = &text[1..];
    if !after.starts_with('#') {
        // `R&D`, `S&P 500`: an ampersand that starts no reference is text. A name followed by
        // `;` may be any of two thousand entities, and a legacy name (`&copy`) needs no `;`:
        // those take the slow path.
        let name_length = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let name = &after[..name_length];
        let is_literal = !after[name_length..].starts_with(';')
            && !LEGACY_NAMES.iter().any(|legacy| name.starts_with(legacy));
        return is_literal.then_some(('&', 1));
    }
    let body = text.strip_prefix("&#")?;
    let end = body.find(';')?;
    let digits = &body[..end];
    let value = match digits.strip_prefix(['x', 'X']) {
        Some(hex) if (1..=6).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()?
        }
        None if (1..=7).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        _ => return None,
    };
    // Below 0xA0 the HTML parser maps some numbers to other characters (windows-1252), and
    // control characters are errors it handles its own way: those take the slow path.
    let character = char::from_u32(value).filter(|_| value >= 0xa0 || (0x20..0x7f).contains(&value))?;
    Some((character, 2 + end + 1))
}

#[cfg(test)]
#[path = "simple_html_tests.rs"]
mod tests;
