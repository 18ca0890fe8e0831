//! HTML to plain text: tags stripped, entities decoded (twice when a feed escaped them twice,
//! as in a literal `&amp;#8220;`), whitespace folded.
//!
//! A small hand-written scanner rather than a full HTML parser: it runs on every title, summary
//! and body at ingest, where building a DOM would cost more than the rest of the pipeline. It
//! does not need to understand nesting; it only needs to know where tags are, which ones carry no
//! text (script, style), and which ones end a paragraph.

use std::borrow::Cow;

use crate::html_entities;

/// How to treat line structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Everything on one line (titles, summaries).
    SingleLine,
    /// One line per paragraph or block element (bodies).
    Paragraphs,
}

/// Converts an HTML fragment to plain text.
pub fn html_to_text(html: &str, layout: Layout) -> String {
    let mut writer = TextWriter::new(html.len(), layout);
    let bytes = html.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        let Some(offset) = memchr::memchr2(b'<', b'&', &bytes[position..]) else {
            writer.push_text(&html[position..]);
            break;
        };
        writer.push_text(&html[position..position + offset]);
        position += offset;
        if bytes[position] == b'&' {
            let (decoded, length) = decode_reference(&html[position..]);
            writer.push_char(decoded);
            position += length;
        } else {
            position = consume_markup(html, position, &mut writer);
        }
    }
    let text = writer.finish();
    // A second level of escaping (`&amp;#8220;` in the source) shows as a literal `&#8220;` now.
    match decode_entities(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(decoded) => decoded,
    }
}

/// Decodes character references in text that has no markup.
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut output = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        output.push_str(&rest[..at]);
        let (decoded, length) = decode_reference(&rest[at..]);
        changed |= length > 1;
        output.push(decoded);
        rest = &rest[at + length..];
    }
    output.push_str(rest);
    if changed { Cow::Owned(output) } else { Cow::Borrowed(text) }
}

/// Escapes text for use inside HTML.
pub fn escape_html(text: &str) -> String {
    let mut output = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '&' => output.push_str("&amp;"),
            '<' => output.push_str("&lt;"),
            '>' => output.push_str("&gt;"),
            '"' => output.push_str("&quot;"),
            other => output.push(other),
        }
    }
    output
}

/// Shortens text to at most `max_chars`, at a sentence end if one is near, else at a word.
pub fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut = text.char_indices().nth(max_chars).map(|(at, _)| at).unwrap_or(text.len());
    let head = &text[..cut];
    if let Some(sentence_end) = head.rfind(". ").filter(|at| *at > cut / 2) {
        return head[..=sentence_end].to_string();
    }
    let word_end = head.rfind(' ').filter(|at| *at > cut / 2).unwrap_or(cut);
    format!("{}…", head[..word_end].trim_end())
}

/// Decodes the reference at the start of `text` (which starts with `&`): the character and the
/// number of bytes consumed. Not a reference: `('&', 1)`.
fn decode_reference(text: &str) -> (char, usize) {
    let body = &text[1..];
    // The `;` is looked for in bytes: the 33rd byte after the `&` can be inside a character
    // ("R&D 稀土…"), where a string slice would panic.
    let limit = body.len().min(33);
    let Some(end) = body.as_bytes()[..limit].iter().position(|byte| *byte == b';') else {
        return ('&', 1);
    };
    let name = &body[..end];
    let decoded = if let Some(number) = name.strip_prefix('#') {
        let value = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse::<u32>().ok(),
        };
        value.map(windows_1252_control).and_then(char::from_u32)
    } else if name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        html_entities::lookup(name)
    } else {
        None
    };
    match decoded {
        Some(character) => (character, end + 2),
        None => ('&', 1),
    }
}

/// Numeric references 128-159 are Windows-1252 characters in practice (`&#150;` is an en dash).
fn windows_1252_control(value: u32) -> u32 {
    const MAP: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152,
        0x8D, 0x17D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122,
        0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
    ];
    if (128..160).contains(&value) { MAP[(value - 128) as usize] } else { value }
}

/// Handles the `<` at `start`: a tag, comment or CDATA section, or a literal `<`. Returns the
/// position after it.
fn consume_markup(html: &str, start: usize, writer: &mut TextWriter) -> usize {
    let rest = &html[start..];
    if let Some(inner) = rest.strip_prefix("<!--") {
        return start + 4 + inner.find("-->").map(|end| end + 3).unwrap_or(inner.len());
    }
    if let Some(inner) = rest.strip_prefix("<![CDATA[") {
        let end = inner.find("]]>").unwrap_or(inner.len());
        writer.push_text(&inner[..end]);
        return start + 9 + (end + 3).min(inner.len());
    }
    let next = rest.as_bytes().get(1).copied().unwrap_or(b' ');
    let is_tag = next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?';
    let Some(tag_length) = is_tag.then(|| tag_length(rest)).flatten() else {
        writer.push_char('<');
        return start + 1;
    };
    let tag = &rest[..tag_length];
    let closing = tag.starts_with("</");
    // The element's name in lower case, in a buffer on the stack (this runs for every tag); a
    // name longer than the buffer is none this function knows, so it reads as "".
    let name_bytes = &tag.as_bytes()[if closing { 2 } else { 1 }..];
    let name_length = name_bytes.iter().take_while(|byte| byte.is_ascii_alphanumeric()).count();
    let mut name_buffer = [0u8; 16];
    let name = match name_buffer.get_mut(..name_length) {
        Some(lowered) => {
            for (slot, byte) in lowered.iter_mut().zip(name_bytes) {
                *slot = byte.to_ascii_lowercase();
            }
            std::str::from_utf8(lowered).unwrap_or("")
        }
        None => "",
    };
    let mut end = start + tag_length;
    if !closing && matches!(name, "script" | "style" | "noscript" | "template") && !tag.ends_with("/>") {
        end = skip_to_closing_tag(html, end, name);
    } else if name == "br" || name == "hr" {
        writer.line_break();
    } else if is_block(name) {
        writer.block_boundary();
    } else if name == "td" || name == "th" || name == "img" {
        writer.push_char(' ');
    }
    end
}

/// Length of the tag at the start of `text`, honouring quoted attribute values.
fn tag_length(text: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (index, byte) in text.bytes().enumerate().skip(1) {
        match (quote, byte) {
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'>') => return Some(index + 1),
            (None, b'<') => return None,
            _ => {}
        }
    }
    None
}

fn skip_to_closing_tag(html: &str, from: usize, name: &str) -> usize {
    let closing = format!("</{name}");
    let lower_rest = html[from..].to_ascii_lowercase();
    match lower_rest.find(&closing) {
        Some(at) => {
            let after = from + at;
            html[after..].find('>').map(|end| after + end + 1).unwrap_or(html.len())
        }
        None => html.len(),
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "aside"
            | "nav"
            | "main"
            | "address"
            | "center"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
    )
}

/// Accumulates text with whitespace folded as it is written.
struct TextWriter {
    output: String,
    layout: Layout,
    pending_space: bool,
    pending_break: bool,
}

impl TextWriter {
    fn new(capacity: usize, layout: Layout) -> TextWriter {
        TextWriter {
            output: String::with_capacity(capacity),
            layout,
            pending_space: false,
            pending_break: false,
        }
    }

    /// Same as `push_char` for each character, a run of non-space characters at a time: the
    /// per-character path (a Unicode whitespace test and a one-character push each) was most
    /// of the conversion's cost.
    fn push_text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut run_start = 0;
        let mut index = 0;
        while index < bytes.len() {
            let (is_space, length) = match bytes[index] {
                // `char::is_whitespace` for ASCII (vertical tab included, unlike
                // `u8::is_ascii_whitespace`).
                b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ' => (true, 1),
                byte if byte.is_ascii() => (false, 1),
                _ => {
                    let character = text[index..].chars().next().unwrap_or(' ');
                    (character.is_whitespace() || character == '\u{a0}', character.len_utf8())
                }
            };
            if is_space {
                self.push_run(&text[run_start..index]);
                self.pending_space = true;
                run_start = index + length;
            }
            index += length;
        }
        self.push_run(&text[run_start..]);
    }

    /// Characters none of which is a space, as `push_char` would push them one by one.
    fn push_run(&mut self, run: &str) {
        let Some(first) = run.chars().next() else { return };
        let rest = &run[first.len_utf8()..];
        self.push_char(first);
        self.output.push_str(rest);
    }

    fn push_char(&mut self, character: char) {
        if character.is_whitespace() || character == '\u{a0}' {
            self.pending_space = true;
            return;
        }
        if !self.output.is_empty() {
            if self.pending_break {
                self.output.push('\n');
            } else if self.pending_space {
                self.output.push(' ');
            }
        }
        self.pending_space = false;
        self.pending_break = false;
        self.output.push(character);
    }

    fn block_boundary(&mut self) {
        match self.layout {
            Layout::SingleLine => self.pending_space = true,
            Layout::Paragraphs => self.pending_break = true,
        }
    }

    fn line_break(&mut self) {
        self.block_boundary();
    }

    fn finish(self) -> String {
        self.output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_stripped_entities_decoded_whitespace_folded() {
        let html = "<p>Rare  earth <b>prices</b>&nbsp;rose &amp; fell</p>\n<p>Second&#8217;s para</p>";
        assert_eq!(
            html_to_text(html, Layout::SingleLine),
            "Rare earth prices rose & fell Second\u{2019}s para"
        );
        assert_eq!(
            html_to_text(html, Layout::Paragraphs),
            "Rare earth prices rose & fell\nSecond\u{2019}s para"
        );
    }

    #[test]
    fn text_is_pushed_as_character_by_character() {
        let samples = [
            "",
            "   ",
            "plain words",
            "  lead and trail  ",
            "tab\tnew\nline\rcarriage\x0Bvertical\x0Cfeed",
            "no\u{a0}break\u{2003}em\u{3000}ideographic",
            "\u{1c}file separator is not a space",
            "稀土 价格\u{3000}上涨, déjà vu",
            "x",
        ];
        for layout in [Layout::SingleLine, Layout::Paragraphs] {
            for first in samples {
                for second in samples {
                    let mut fast = TextWriter::new(0, layout);
                    let mut slow = TextWriter::new(0, layout);
                    fast.push_text(first);
                    first.chars().for_each(|character| slow.push_char(character));
                    fast.block_boundary();
                    slow.block_boundary();
                    fast.push_text(second);
                    second.chars().for_each(|character| slow.push_char(character));
                    assert_eq!(fast.finish(), slow.finish(), "{first:?} then {second:?}");
                }
            }
        }
    }

    #[test]
    fn double_escaped_entities_are_decoded() {
        assert_eq!(
            html_to_text("&amp;#8220;Quoted&amp;#8221; &amp;amp; co", Layout::SingleLine),
            "\u{201c}Quoted\u{201d} & co"
        );
    }

    #[test]
    fn script_and_style_carry_no_text() {
        let html = "a<script>var x = '<p>';</script>b<style>p{}</style>c<!-- hidden -->d";
        assert_eq!(html_to_text(html, Layout::SingleLine), "abcd");
    }

    #[test]
    fn a_lone_less_than_is_text() {
        assert_eq!(html_to_text("price < 50 and x<y", Layout::SingleLine), "price < 50 and x<y");
        assert_eq!(html_to_text("AT&T & co", Layout::SingleLine), "AT&T & co");
    }

    #[test]
    fn windows_1252_numeric_references() {
        assert_eq!(html_to_text("2020&#150;2021", Layout::SingleLine), "2020\u{2013}2021");
    }

    #[test]
    fn shorten_prefers_sentence_ends() {
        let text = "First sentence is here. Second sentence is rather longer than the first one.";
        assert_eq!(shorten(text, 40), "First sentence is here.");
        assert_eq!(shorten("short", 40), "short");
    }
}
