//! Character encodings: turns the bytes a server sent into UTF-8 text before any parser sees it.
//!
//! Order of evidence: a byte-order mark; the UTF-16 shape of `<?xml` without a BOM; then valid
//! UTF-8 wins (a Latin-1 or Windows-1252 text is almost never valid UTF-8 by chance, so a wrong
//! declaration of a single-byte encoding is overruled); otherwise the HTTP charset, then the XML
//! declaration; failing all, Windows-1252 (a superset of Latin-1, what such feeds use in practice).
//! The XML declaration of the result is rewritten to say UTF-8 so that the XML parser does not
//! decode a second time. This module does no parsing beyond the declaration.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Text in UTF-8 and the name of the encoding it was read as.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
}

/// Decodes `bytes`, using `http_charset` (the `charset` parameter of Content-Type) as a hint.
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return finish(text, encoding);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return finish(text, encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return finish(Cow::Borrowed(text), UTF_8);
    }
    let declared = http_charset
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .or_else(|| xml_declared_encoding(bytes))
        // A declaration of UTF-8 (or of UTF-16 for 8-bit bytes) is what just failed.
        .filter(|encoding| *encoding != UTF_8 && *encoding != UTF_16LE && *encoding != UTF_16BE);
    let encoding = declared.unwrap_or(WINDOWS_1252);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    finish(text, encoding)
}

/// Extracts `charset=` from a Content-Type header value.
pub fn charset_from_content_type(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

fn finish<'a>(text: Cow<'a, str>, encoding: &'static Encoding) -> Decoded<'a> {
    let text = match rewrite_declaration_to_utf8(&text) {
        Some(rewritten) => Cow::Owned(rewritten),
        None => text,
    };
    Decoded { text, encoding: encoding.name() }
}

/// `<?xml` in UTF-16 without a byte-order mark starts `3C 00 3F 00` (LE) or `00 3C 00 3F` (BE).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, b'?' | b'r' | b'f' | b'!', 0, ..] => Some(UTF_16LE),
        [0, b'<', 0, b'?' | b'r' | b'f' | b'!', ..] => Some(UTF_16BE),
        _ => None,
    }
}

/// The encoding named by `<?xml ... encoding="..."?>` at the start of an 8-bit document.
fn xml_declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let declaration = head.trim_start().strip_prefix("<?xml")?.split("?>").next()?;
    let value = attribute_value(declaration, "encoding")?;
    Encoding::for_label(value.as_bytes())
}

fn attribute_value<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let at = tag.find(name)?;
    let rest = tag[at + name.len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    value.find(quote).map(|end| &value[..end])
}

/// Returns the text with the XML declaration's encoding replaced by UTF-8, or None when the
/// declaration is absent or already says UTF-8.
fn rewrite_declaration_to_utf8(text: &str) -> Option<String> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if !rest.starts_with("<?xml") {
        return None;
    }
    let end = rest.find("?>")?;
    let declaration = &rest[..end];
    let value = attribute_value(declaration, "encoding")?;
    if value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8") {
        return None;
    }
    let value_start = start + declaration.find(value)?;
    let mut rewritten = String::with_capacity(text.len());
    rewritten.push_str(&text[..value_start]);
    rewritten.push_str("UTF-8");
    rewritten.push_str(&text[value_start + value.len()..]);
    Some(rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_declared_and_used() {
        let bytes =
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><t>\x93quoted\x94 caf\xe9</t></rss>";
        let decoded = decode(bytes, None);
        assert!(decoded.text.contains("\u{201c}quoted\u{201d} caf\u{e9}"));
        assert!(decoded.text.contains("encoding=\"UTF-8\""));
        assert_eq!(decoded.encoding, "windows-1252");
    }

    #[test]
    fn utf8_declared_but_latin1_sent() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><t>S\xe3o Paulo</t></rss>";
        assert!(decode(bytes, None).text.contains("S\u{e3}o Paulo"));
    }

    #[test]
    fn latin1_declared_but_utf8_sent() {
        let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>S\u{e3}o Paulo</t></rss>";
        let decoded = decode(text.as_bytes(), Some("iso-8859-1"));
        assert!(decoded.text.contains("S\u{e3}o Paulo"));
        assert!(decoded.text.contains("encoding=\"UTF-8\""));
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><t>Gr\u{fc}n</t></rss>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let with_bom: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.iter().copied()).collect();
        for bytes in [&le, &be, &with_bom] {
            let decoded = decode(bytes, None);
            assert!(decoded.text.contains("Gr\u{fc}n"), "{:?}", decoded.text);
            assert!(decoded.text.contains("encoding=\"UTF-8\""));
        }
    }

    #[test]
    fn http_charset_used_when_bytes_are_not_utf8() {
        let decoded = decode(b"{\"t\": \"caf\xe9\"}", Some("ISO-8859-1"));
        assert!(decoded.text.contains("caf\u{e9}"));
    }

    #[test]
    fn charset_parameter_is_found() {
        assert_eq!(charset_from_content_type("text/xml; charset=\"utf-8\""), Some("utf-8"));
        assert_eq!(charset_from_content_type("application/rss+xml"), None);
    }
}
