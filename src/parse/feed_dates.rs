//! Timestamps as feeds write them, for feed-rs's `timestamp_parser` hook.
//!
//! First exactly what feed-rs does by default (its lenient RFC 3339, RFC 2822 and RFC 1123
//! readings with the same text fixes, from feed-rs's `parser/util`, MIT), so no date it read
//! before is read differently. Then the forms real feeds use that it drops, which would
//! otherwise leave an item dated by its fetch time: an ISO date and time without a zone
//! ("2026-02-06 18:46:00", common on Chinese sites; taken as UTC, as feedparser does), slashes
//! ("2026/02/06 18:46"), a date alone, JavaScript's `Date.toString()` ("Fri Feb 06 2026 18:46:00
//! GMT+0800 (China Standard Time)") and Drupal's "Friday, February 6, 2026 - 18:46". It does not
//! guess day-first numeric dates ("06/02/2026"): those are ambiguous.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use regex::Regex;

/// A text fix: a pattern and its replacement.
struct Fix(Regex, &'static str);

fn fixes(list: &[(&str, &'static str)]) -> Vec<Fix> {
    list.iter()
        .map(|(pattern, replacement)| Fix(Regex::new(pattern).expect("fix pattern is valid"), replacement))
        .collect()
}

static RFC1123_FIXES: LazyLock<Vec<Fix>> =
    LazyLock::new(|| fixes(&[(" Z$", " +0000"), ("^[[:alpha:]]{3}, ", "")]));

static RFC2822_FIXES: LazyLock<Vec<Fix>> = LazyLock::new(|| {
    fixes(&[
        ("(UTC|-0000$)", "+0000"),
        ("(Sun|Mon|Tue|Wed|Thu|Fri|Sat)[a-z]*, ", ""),
        ("(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*", "$1"),
        ("(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\\d{1,2}) (\\d{4})", "$2 $1 $3"),
        (" 24:", " 00:"),
        (" ([0-9]):", " 0${1}:"),
    ])
});

static RFC3339_FIXES: LazyLock<Vec<Fix>> = LazyLock::new(|| {
    fixes(&[(r"(\+|-)(\d{2})(\d{2})", "${1}${2}:${3}"), (r"-\d{2}$", "${0}T00:00:00+00:00")])
});

/// `Date.toString()`: the zone name in brackets and "GMT" before the offset go.
static JAVASCRIPT_FIXES: LazyLock<Vec<Fix>> =
    LazyLock::new(|| fixes(&[(r"\s*\([^)]*\)\s*$", ""), (r"GMT([+-]\d{4})$", "$1")]));

/// Forms without a zone, read as UTC.
const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%A, %B %d, %Y - %H:%M",
];

/// Reads a feed's timestamp; see the module doc.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    // Well-formed dates first, as they are (less a leading weekday, which the fixes drop too,
    // so that a wrong one does not fail the reading). Most feeds' dates end here, without the
    // fixes' regex passes and copies. The fixes otherwise rewrite only what these strict
    // readings reject (a long month name, `Feb 6 2026`) or read the same (`UTC`, `-0000`, a
    // one-digit hour), except two that can change a date chrono reads: ` 24:` also matches a
    // minute after a spaced colon (`18: 24:00`), and a weekday and comma are dropped anywhere.
    // Texts with either take the fixes' path, as before.
    let rest = without_weekday(text);
    if !rest.contains(" 24:") && !rest.contains(", ") {
        let strict = DateTime::parse_from_rfc3339(text).or_else(|_| DateTime::parse_from_rfc2822(rest));
        if let Ok(time) = strict {
            return Some(time.with_timezone(&Utc));
        }
    }
    rfc3339(text).or_else(|| rfc2822(text)).or_else(|| rfc1123(text)).or_else(|| other_forms(text))
}

/// `text` without a leading "Fri, " or "Friday, ", as the second RFC 2822 fix removes it.
fn without_weekday(text: &str) -> &str {
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let Some(rest) = WEEKDAYS.iter().find_map(|day| text.strip_prefix(day)) else { return text };
    let rest = rest.trim_start_matches(|character: char| character.is_ascii_lowercase());
    rest.strip_prefix(", ").unwrap_or(text)
}

fn fixed(text: &str, fixes: &[Fix]) -> String {
    let mut cleaned = text.to_string();
    for Fix(pattern, replacement) in fixes {
        cleaned = pattern.replace(&cleaned, *replacement).into_owned();
    }
    cleaned
}

fn rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(fixed(text, &RFC3339_FIXES).trim()).map(|time| time.with_timezone(&Utc)).ok()
}

fn rfc2822(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(&fixed(text, &RFC2822_FIXES)).map(|time| time.with_timezone(&Utc)).ok()
}

fn rfc1123(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(&fixed(text, &RFC1123_FIXES), "%d %b %Y %H:%M:%S %z")
        .map(|time| time.with_timezone(&Utc))
        .ok()
}

fn other_forms(text: &str) -> Option<DateTime<Utc>> {
    let javascript = fixed(text, &JAVASCRIPT_FIXES);
    if let Ok(time) = DateTime::parse_from_str(&javascript, "%a %b %d %Y %H:%M:%S %z") {
        return Some(time.with_timezone(&Utc));
    }
    for format in NAIVE_FORMATS {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc());
        }
    }
    ["%Y-%m-%d", "%Y/%m/%d"].iter().find_map(|format| {
        NaiveDate::parse_from_str(text, format)
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .map(|time| time.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What feed-rs's default parser makes of `text` as an RSS pubDate.
    fn feed_rs_default(text: &str) -> Option<DateTime<Utc>> {
        let xml = format!(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>i</title><pubDate>{text}</pubDate></item></channel></rss>"
        );
        feed_rs::parser::parse(xml.as_bytes()).ok()?.entries.first()?.published
    }

    #[test]
    fn every_date_feed_rs_reads_is_read_the_same() {
        let dates = [
            "Fri, 06 Feb 2026 18:46:00 +0800",
            "Fri, 6 Feb 2026 18:46:00 GMT",
            "Fri, 06 Feb 2026 18:46 GMT",
            "06 Feb 2026 18:46:00 CST",
            "Fri, 06 Feb 2026 18:46:00 +08:00",
            "Fri, 06 Feb 2026 18:46:00 UT",
            "Fri, 06 Feb 26 18:46:00 EST",
            "Fri, 06 Feb 2026 18:46:00 Z",
            "Fri, 06 Feb 2026 18:46:00 UTC",
            "Friday, 06 February 2026 18:46:00 +0000",
            "Mon, 06 Feb 2026 18:46:00 +0000",
            "Monday, 06 Feb 2026 18:46:00 +0000",
            "Sat,  06 Feb 2026 18:46:00 +0000",
            "Fri,06 Feb 2026 18:46:00 +0000",
            "Fri, 06 Feb 2026 18: 24:00 +0000",
            "Fri, 06 Feb 2026 18 : 24:00 +0040",
            "06 Feb 2026 18:46:00 +0000 (a\\Fri, )",
            "Fri, 06 Feb 2026 24:10:00 +0000",
            "Fri, 06 Feb 2026 8:46:00 +0000",
            "Feb 06 2026 18:46:00 +0000",
            "2026-02-06T18:46:00+08:00",
            "2026-02-06T18:46:00Z",
            "2026-02-06T18:46:00.123Z",
            "2026-02-06T18:46:00+0800",
            "2026-02-06",
            "2026-02-06t18:46:00z",
        ];
        for date in dates {
            if let Some(expected) = feed_rs_default(date) {
                assert_eq!(parse_timestamp(date), Some(expected), "{date}");
            }
        }
        assert!(dates.iter().filter(|date| feed_rs_default(date).is_some()).count() >= 15);
    }

    #[test]
    fn forms_feed_rs_drops_are_read() {
        let cases = [
            ("2026-02-06 18:46:00", "2026-02-06T18:46:00Z"),
            ("2026-02-06T18:46:00", "2026-02-06T18:46:00Z"),
            ("2026-02-06 18:46:00.5", "2026-02-06T18:46:00.500Z"),
            ("2026-02-06 18:46", "2026-02-06T18:46:00Z"),
            ("2026/02/06 18:46", "2026-02-06T18:46:00Z"),
            ("2026/02/06", "2026-02-06T00:00:00Z"),
            ("Fri Feb 06 2026 18:46:00 GMT+0800 (China Standard Time)", "2026-02-06T10:46:00Z"),
            ("Friday, February 6, 2026 - 18:46", "2026-02-06T18:46:00Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(feed_rs_default(text), None, "feed-rs reads {text} itself now: drop the case");
            let parsed =
                parse_timestamp(text).map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            assert_eq!(parsed.as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn ambiguous_and_broken_dates_stay_unread() {
        for text in
            ["06/02/2026", "yesterday", "", "2026-13-45 10:00:00", "Fri, 32 Feb 2026 18:46:00 +0000", "12:30"]
        {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }
}
