//! Datelines at the start of a text: "LONDON, Feb 3 (Reuters) -", "SMM, Feb 3:", "SMM June 20:".
//!
//! Used only when an entry has no date of its own. A dateline names a day, usually without a
//! year, so the year is the latest one that does not put the day after the fetch (plus a day of
//! slack for time zones). The time of day is unknown and taken as 00:00 UTC.

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::Date;
use regex::Regex;

static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^
        (?:[A-Z][A-Za-z.'’\x20-]{0,40}?,?\s+)?          # place or agency: LONDON, / SMM,
        (?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+
        (?P<day>\d{1,2})(?:st|nd|rd|th)?
        (?:,?\s+(?P<year>(?:19|20)\d{2}))?
        \s*(?:\([^)]{1,30}\)\s*)?                        # (Reuters)
        (?:News\s*)?[-–—:]",
    )
    .expect("dateline pattern is valid")
});

/// The day named by a dateline at the start of `text`, as 00:00 UTC, or None.
pub fn dateline_time(text: &str, fetched_at: Timestamp) -> Option<Timestamp> {
    let head: String = text.trim_start().chars().take(80).collect();
    let captures = DATELINE.captures(&head)?;
    let month = month_number(&captures["month"])?;
    let day: i8 = captures["day"].parse().ok()?;
    let fetched_date = fetched_at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let date = match captures.name("year") {
        Some(year) => Date::new(year.as_str().parse().ok()?, month, day).ok()?,
        None => {
            let latest_allowed = fetched_date.tomorrow().ok()?;
            let this_year = Date::new(fetched_date.year(), month, day).ok();
            match this_year.filter(|date| *date <= latest_allowed) {
                Some(date) => date,
                None => Date::new(fetched_date.year() - 1, month, day).ok()?,
            }
        }
    };
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok().map(|zoned| zoned.timestamp())
}

fn month_number(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let prefix = name.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|month| *month == prefix).map(|index| index as i8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched() -> Timestamp {
        "2026-02-10T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn agency_and_smm_datelines() {
        let expected: Timestamp = "2026-02-03T00:00:00Z".parse().unwrap();
        assert_eq!(dateline_time("LONDON, Feb 3 (Reuters) - Copper rose", fetched()), Some(expected));
        assert_eq!(dateline_time("SMM, Feb 3: Prices of Pr-Nd oxide", fetched()), Some(expected));
        assert_eq!(dateline_time("SMM February 3 News: Prices", fetched()), Some(expected));
    }

    #[test]
    fn year_rolls_back_for_a_december_dateline_read_in_january() {
        let january: Timestamp = "2026-01-02T08:00:00Z".parse().unwrap();
        let expected: Timestamp = "2025-12-30T00:00:00Z".parse().unwrap();
        assert_eq!(dateline_time("BEIJING, Dec 30 (Xinhua) - Output", january), Some(expected));
    }

    #[test]
    fn ordinary_sentences_are_not_datelines() {
        assert_eq!(dateline_time("Lynas said on Feb 3 that output rose", fetched()), None);
        assert_eq!(dateline_time("May 3 tonnes of ore", fetched()), None);
    }
}
