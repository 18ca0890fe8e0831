//! Bytes into entries. `decode` makes the text UTF-8, `feed` reads RSS, Atom and JSON Feed,
//! `html` reads HTML news lists by a source's scrape rules, `article` one article page, and
//! `dates` the dates such pages print.
//!
//! Everything here is a pure function of its inputs: no I/O, no clock. A failure is a
//! [`ParseError`] that says in one sentence what the bytes were instead of a feed.

pub mod article;
pub mod chunks;
pub mod dates;
pub mod decode;
pub mod feed;
pub mod feed_dates;
pub mod html;
pub mod nesting;
mod panic_guard;
pub mod repair;

use url::Url;

pub use feed::{ParsedFeed, parse_part};
pub use panic_guard::catch_panic;

/// Why a body could not be read as entries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the server sent an empty body")]
    Empty,
    #[error("the server sent {0}")]
    NotAFeed(String),
    #[error("malformed feed: {0}")]
    Malformed(String),
    #[error("the feed parser could not handle this input ({0})")]
    ParserCrashed(String),
    /// An HTML source got something else.
    #[error("the server sent {0}")]
    NotHtml(String),
    /// An HTML page nested too deep to parse in reasonable time (see `nesting`).
    #[error("the page nests elements more than {limit} deep (broken or hostile markup); not parsed")]
    TooDeep { limit: usize },
    /// The `item` selector matched nothing: the site most likely changed its layout.
    #[error("selector `{selector}` matched 0 items on {page}")]
    NoItems { selector: String, page: String },
    /// Items matched, but the `link` selector found no link in any of them.
    #[error("selector `{selector}` (link) found no link in any of the {matched} items on {page}")]
    NoLinks { selector: String, matched: usize, page: String },
}

/// Parses a feed body. `content_type` is the HTTP Content-Type, if known, for its charset.
pub fn parse_feed(body: &[u8], content_type: Option<&str>, base_url: &Url) -> Result<ParsedFeed, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let charset = content_type.and_then(decode::charset_from_content_type);
    let decoded = decode::decode(body, charset);
    feed::parse_feed_text(&decoded.text, base_url)
}
