//! A digest as an email: the MIME structure, the headers, and a Message-ID that is the same
//! every time the same digest is sent.
//!
//! ```text
//! multipart/alternative
//! ├── text/plain; charset=utf-8
//! └── multipart/related
//!     ├── text/html; charset=utf-8
//!     └── image/png  (Content-ID: <digest-chart@lodestone>, inline)
//! ```
//!
//! The Message-ID is derived from the recipient and the digest's date (and the resend number
//! for a forced resend): a digest sent again after a crash between sending and recording it
//! carries the same id, and mail clients that deduplicate show it once. Headers hold only the
//! configured addresses and the fixed-format subject: nothing from a feed reaches a header.
//! No I/O.

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use jiff::civil::Date;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::{CHART_CONTENT_ID, Digest, DigestError};

/// The Message-ID of `recipient`'s digest for `date`, in the sender's domain. `resend` is 0 for
/// the digest itself and counts forced resends, which must not be deduplicated away.
pub fn message_id(recipient: &str, date: Date, from: &Mailbox, resend: u32) -> String {
    let domain = from.email.domain();
    let suffix = if resend == 0 { String::new() } else { format!(".resend-{resend}") };
    format!("<lodestone-digest.{date}.{recipient}{suffix}@{domain}>")
}

/// The message for `digest`, dated `date`.
pub fn compose(
    digest: &Digest,
    from: &Mailbox,
    to: &Mailbox,
    message_id: &str,
    date: Timestamp,
) -> Result<Message, DigestError> {
    let html = SinglePart::html(digest.html.clone());
    let html_part = if digest.chart_png.is_empty() {
        MultiPart::related().singlepart(html)
    } else {
        let chart = Attachment::new_inline_with_name(CHART_CONTENT_ID.to_string(), "chart.png".to_string())
            .body(digest.chart_png.clone(), ContentType::parse("image/png").map_err(message_error)?);
        MultiPart::related().singlepart(html).singlepart(chart)
    };
    let body =
        MultiPart::alternative().singlepart(SinglePart::plain(digest.text.clone())).multipart(html_part);
    let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(date.as_second().max(0) as u64);
    Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(digest.subject.clone())
        .message_id(Some(message_id.to_string()))
        .date(sent_at)
        .header(AutoSubmitted)
        .multipart(body)
        .map_err(message_error)
}

fn message_error(error: impl std::fmt::Display) -> DigestError {
    DigestError::Message(error.to_string())
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells vacation responders not to answer.
#[derive(Clone, Debug)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(chart: bool) -> Digest {
        Digest {
            subject: "lodestone digest — 2026-02-07 — 1 story".into(),
            text: "Title\r\nBcc: evil@example.com\r\n".into(),
            html: "<p>Title</p>".into(),
            chart_png: if chart { b"\x89PNG\r\n\x1a\nfake".to_vec() } else { Vec::new() },
            story_ids: vec![1],
        }
    }

    #[test]
    fn message_ids_are_deterministic_and_resends_differ() {
        let from: Mailbox = "lodestone <news@example.com>".parse().unwrap();
        let day = jiff::civil::date(2026, 2, 7);
        assert_eq!(message_id("desk", day, &from, 0), "<lodestone-digest.2026-02-07.desk@example.com>");
        assert_eq!(message_id("desk", day, &from, 0), message_id("desk", day, &from, 0));
        assert_eq!(
            message_id("desk", day, &from, 2),
            "<lodestone-digest.2026-02-07.desk.resend-2@example.com>"
        );
    }

    #[test]
    fn alternative_parts_with_the_chart_related_to_the_html() {
        let from: Mailbox = "lodestone <news@example.com>".parse().unwrap();
        let to: Mailbox = "desk@example.com".parse().unwrap();
        let when: Timestamp = "2026-02-07T06:00:00Z".parse().unwrap();
        let message = compose(&digest(true), &from, &to, "<id@example.com>", when).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("Message-ID: <id@example.com>"), "{head}");
        assert!(head.contains("Date: Sat, 07 Feb 2026 06:00:00 +0000"), "{head}");
        assert!(head.contains("Auto-Submitted: auto-generated"));
        assert!(head.contains("multipart/alternative"));
        assert!(!head.contains("evil"), "a body line reached the headers: {head}");
        assert!(body.contains("multipart/related"));
        assert!(body.contains("Content-ID: <digest-chart@lodestone>"));
        assert!(body.contains("image/png"));
        let without_chart = compose(&digest(false), &from, &to, "<id@example.com>", when).unwrap();
        assert!(!String::from_utf8(without_chart.formatted()).unwrap().contains("image/png"));
    }
}
