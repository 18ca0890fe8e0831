//! Dates as news pages print them: "Feb 6, 2026 18:46", "2026-02-06", "2 hours ago",
//! "yesterday 10:00", read in the source's time zone and returned as UTC instants.
//!
//! Pure: `now` is a parameter (relative dates and year-less formats need it). The order of
//! attempts: an RFC 3339 instant; each configured format against the whole text; a relative
//! date; then each format at every word of the text ("Published: Feb 6, 2026 18:46",
//! "Flash Oct 1, 2026 18:46"), the longest reading at the first word that has one. It does not
//! guess formats of its own: a text no format reads is None, and the caller decides.

use std::sync::LazyLock;

use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use regex::Regex;

/// Only this much of a text is scanned word by word: dates sit near labels, and the scan must
/// stay cheap on a long text.
const SCAN_CHARS: usize = 160;

/// Reads `text` with `formats` (jiff `strtime` syntax) in `zone`; see the module doc.
pub fn parse_date(text: &str, formats: &[String], zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
    let text = fold_whitespace(text);
    if text.is_empty() {
        return None;
    }
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Some(instant);
    }
    for format in formats {
        if let Ok(fields) = BrokenDownTime::parse(format, &text)
            && let Some(instant) = to_instant(fields, zone, now)
        {
            return Some(instant);
        }
    }
    if let Some(instant) = relative_date(&text, zone, now) {
        return Some(instant);
    }
    scan_for_date(&text, formats, zone, now)
}

/// "2 hours ago", "an hour ago", "just now", "yesterday 10:00", "today, 09:30", and the Chinese
/// forms SMM's other editions use ("3小时前", "昨天 10:00").
pub fn relative_date(text: &str, zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
    static AGO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^(?:(?P<n>\d+|an?|one)\s*(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago
              |(?P<cn>\d+)\s*(?P<cnunit>秒|分钟|小时|天)前)$",
        )
        .expect("relative date pattern is valid")
    });
    static DAY_AT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?P<day>today|yesterday|今天|昨天|前天)(?:\s*,?\s*(?:at\s+)?(?P<h>\d{1,2}):(?P<m>\d{2}))?$")
            .expect("relative day pattern is valid")
    });
    let text = text.trim();
    if text.eq_ignore_ascii_case("just now") || text == "刚刚" {
        return Some(now);
    }
    if let Some(captures) = AGO.captures(text) {
        let (count, unit) = match (captures.name("n"), captures.name("cn")) {
            (Some(count), _) => (count.as_str().to_ascii_lowercase(), captures["unit"].to_ascii_lowercase()),
            (None, Some(count)) => (count.as_str().to_string(), captures["cnunit"].to_string()),
            (None, None) => return None,
        };
        let count: i64 = match count.as_str() {
            "a" | "an" | "one" => 1,
            digits => digits.parse().ok()?,
        };
        let seconds_per_unit = match unit.chars().next()? {
            's' | '秒' => 1,
            'm' | '分' => 60,
            'h' | '小' => 3600,
            'd' | '天' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        return now.checked_sub(SignedDuration::from_secs(count.checked_mul(seconds_per_unit)?)).ok();
    }
    let captures = DAY_AT.captures(text)?;
    let today = now.to_zoned_datetime(zone.clone()).date();
    let day = match captures["day"].to_lowercase().as_str() {
        "today" | "今天" => today,
        "yesterday" | "昨天" => today.yesterday().ok()?,
        _ => today.yesterday().ok()?.yesterday().ok()?,
    };
    let time = match (captures.name("h"), captures.name("m")) {
        (Some(hour), Some(minute)) => {
            Time::new(hour.as_str().parse().ok()?, minute.as_str().parse().ok()?, 0, 0).ok()?
        }
        _ => Time::midnight(),
    };
    in_zone(day.to_datetime(time), zone)
}

/// Tries every format at every word start, as a prefix; the first word where some format reads
/// a date wins, and there the format that reads the most text ("Feb 6, 2026 18:46" rather than
/// "Feb 6, 2026").
fn scan_for_date(text: &str, formats: &[String], zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
    let head = match text.char_indices().nth(SCAN_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let mut previous: Option<char> = None;
    for (start, character) in head.char_indices() {
        let at_word_start = character.is_alphanumeric() && !previous.is_some_and(char::is_alphanumeric);
        previous = Some(character);
        if !at_word_start {
            continue;
        }
        let rest = &head[start..];
        let best = formats
            .iter()
            .filter_map(|format| {
                let (fields, length) = BrokenDownTime::parse_prefix(format, rest).ok()?;
                Some((length, to_instant(fields, zone, now)?))
            })
            .max_by_key(|(length, _)| *length);
        if let Some((_, instant)) = best {
            return Some(instant);
        }
        if let Some(instant) = relative_date(rest, zone, now) {
            return Some(instant);
        }
    }
    None
}

/// Parsed fields to an instant: an offset in the text wins over the zone; a missing time is
/// midnight; a missing year is the latest one that does not put the date more than a day ahead
/// of `now` (list pages print "Feb 6 18:46" for this year's items).
fn to_instant(mut fields: BrokenDownTime, zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
    if fields.offset().is_some()
        && let Ok(instant) = fields.to_timestamp()
    {
        return Some(instant);
    }
    if fields.year().is_none() {
        fields.month()?;
        let this_year = now.to_zoned_datetime(zone.clone()).year();
        fields.set_year(Some(this_year)).ok()?;
        let candidate = civil_of(&fields).and_then(|civil| in_zone(civil, zone))?;
        if candidate.as_second() <= now.as_second() + 86_400 {
            return Some(candidate);
        }
        fields.set_year(Some(this_year - 1)).ok()?;
    }
    civil_of(&fields).and_then(|civil| in_zone(civil, zone))
}

fn civil_of(fields: &BrokenDownTime) -> Option<DateTime> {
    match fields.to_datetime() {
        Ok(civil) => Some(civil),
        Err(_) => fields.to_date().ok().map(|date: Date| date.to_datetime(Time::midnight())),
    }
}

/// A wall-clock time in `zone` as an instant; a time in a DST gap or fold is taken the way
/// jiff's "compatible" rule does (later for a gap, earlier for a fold), as most software does.
fn in_zone(civil: DateTime, zone: &TimeZone) -> Option<Timestamp> {
    civil.to_zoned_datetime(zone.clone()).ok().map(|zoned| zoned.timestamp())
}

/// Trims and folds runs of whitespace (including no-break spaces) into one space.
fn fold_whitespace(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace()).filter(|word| !word.is_empty()) {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    folded
}

#[cfg(test)]
mod tests;
