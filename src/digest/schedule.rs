//! When digests are due: the instant of a date's digest, a date's window, the dates a daemon
//! owes a recipient now (catch-up included) and when to wake next.
//!
//! A digest is identified by its *date* in the digest's time zone, never by an instant, so a
//! clock that jumps (daylight saving) can neither skip nor repeat one. Each date has exactly one
//! instant: a local time that does not exist (inside the spring-forward gap) moves forward by
//! the gap's length (02:30 becomes 03:30), and a local time that happens twice (in the fall-back
//! overlap) is the first of the two. This is RFC 5545's and Temporal's "compatible" rule.
//! Pure functions: `now` is a parameter; nothing here reads the clock or the database.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// The instant date `date`'s digest is due: `at` on that day in `zone`.
pub fn instant_of(date: Date, at: Time, zone: &TimeZone) -> Timestamp {
    // Only dates near the ends of jiff's range have no instant; treat them as never due.
    zone.to_timestamp(date.to_datetime(at)).unwrap_or(Timestamp::MAX)
}

/// The stories of `digest --date D` are those first published in `[start, end)`: from the day
/// before at `at` to D at `at`. 24 hours, or 23 or 25 across a daylight-saving change.
pub fn dated_window(date: Date, at: Time, zone: &TimeZone) -> (Timestamp, Timestamp) {
    let start = date.yesterday().map(|day| instant_of(day, at, zone)).unwrap_or(Timestamp::MIN);
    (start, instant_of(date, at, zone))
}

/// The latest date whose digest instant is at or before `now`.
pub fn latest_due(now: Timestamp, at: Time, zone: &TimeZone) -> Option<Date> {
    let today = now.to_zoned_datetime(zone.clone()).date();
    let mut day = today;
    // Today's instant may still be ahead; yesterday's has always passed (a day is at least 23 h
    // of local time and `at` is the same clock time), but look one more day back to be sure.
    for _ in 0..3 {
        if instant_of(day, at, zone) <= now {
            return Some(day);
        }
        day = day.yesterday().ok()?;
    }
    None
}

/// The first date whose digest instant is after `now`, and that instant.
pub fn next_due(now: Timestamp, at: Time, zone: &TimeZone) -> Option<(Date, Timestamp)> {
    let mut day = latest_due(now, at, zone).unwrap_or_else(|| now.to_zoned_datetime(zone.clone()).date());
    for _ in 0..4 {
        let instant = instant_of(day, at, zone);
        if instant > now {
            return Some((day, instant));
        }
        day = day.tomorrow().ok()?;
    }
    None
}

/// What the daemon owes one recipient at `now`.
#[derive(Clone, Copy, Debug)]
pub struct DueQuestion<'a> {
    pub now: Timestamp,
    pub at: Time,
    pub zone: &'a TimeZone,
    /// At most this many dates, the most recent ones (the one due now counts).
    pub catch_up: u32,
    /// The latest date this recipient has a scheduled digest recorded for (sent, failed or in
    /// progress); dated ones sent by hand are not part of the schedule.
    pub last_recorded: Option<Date>,
    /// When this daemon started: a recipient with no digest yet gets its first one at the first
    /// digest time after that, so a new install or a new recipient is not sent old days.
    pub started: Timestamp,
}

/// The dates whose digests are due and not recorded yet, oldest first.
pub fn due_dates(question: &DueQuestion) -> Vec<Date> {
    let Some(latest) = latest_due(question.now, question.at, question.zone) else {
        return Vec::new();
    };
    let mut dates = Vec::new();
    let mut day = latest;
    for _ in 0..question.catch_up.max(1) {
        let recorded_already = question.last_recorded.is_some_and(|last| day <= last);
        let before_first = question.last_recorded.is_none()
            && instant_of(day, question.at, question.zone) < question.started;
        if recorded_already || before_first {
            break;
        }
        dates.push(day);
        match day.yesterday() {
            Ok(previous) => day = previous,
            Err(_) => break,
        }
    }
    dates.reverse();
    dates
}

/// The wait before retry number `attempts` (1 = the first retry): `first`, doubling, at most
/// `max`.
pub fn retry_delay(
    attempts: u32,
    first: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    let factor = 1u32.checked_shl(attempts.saturating_sub(1).min(20)).unwrap_or(u32::MAX);
    first.saturating_mul(factor).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(hour: i8, minute: i8) -> Time {
        Time::constant(hour, minute, 0, 0)
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn utc(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn spring_forward_gap_moves_the_digest_forward_by_the_gap() {
        let berlin = zone("Europe/Berlin");
        // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist and means 03:30 CEST.
        assert_eq!(instant_of(date(2026, 3, 29), at(2, 30), &berlin), utc("2026-03-29T01:30:00Z"));
        assert_eq!(instant_of(date(2026, 3, 28), at(2, 30), &berlin), utc("2026-03-28T01:30:00Z"));
        assert_eq!(instant_of(date(2026, 3, 30), at(2, 30), &berlin), utc("2026-03-30T00:30:00Z"));
        let new_york = zone("America/New_York");
        // 2026-03-08: 02:00 EST becomes 03:00 EDT.
        assert_eq!(instant_of(date(2026, 3, 8), at(2, 30), &new_york), utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn fall_back_overlap_takes_the_first_occurrence() {
        let berlin = zone("Europe/Berlin");
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice, first at 00:30Z.
        assert_eq!(instant_of(date(2026, 10, 25), at(2, 30), &berlin), utc("2026-10-25T00:30:00Z"));
        let new_york = zone("America/New_York");
        // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 happens twice, first at 05:30Z.
        assert_eq!(instant_of(date(2026, 11, 1), at(1, 30), &new_york), utc("2026-11-01T05:30:00Z"));
    }

    #[test]
    fn dated_windows_are_23_or_25_hours_across_a_switch() {
        let berlin = zone("Europe/Berlin");
        let hours = |day| {
            let (start, end) = dated_window(day, at(7, 0), &berlin);
            (end.as_second() - start.as_second()) / 3600
        };
        assert_eq!(hours(date(2026, 3, 28)), 24);
        assert_eq!(hours(date(2026, 3, 29)), 23);
        assert_eq!(hours(date(2026, 10, 25)), 25);
        assert_eq!(hours(date(2026, 10, 26)), 24);
        let (start, end) = dated_window(date(2026, 2, 7), at(7, 0), &berlin);
        assert_eq!((start, end), (utc("2026-02-06T06:00:00Z"), utc("2026-02-07T06:00:00Z")));
    }

    /// A daemon waking every 5 minutes across both switch days sends every date exactly once,
    /// in order, and never before its time: for `at` in the gap, in the overlap and ordinary.
    #[test]
    fn every_date_once_across_both_switches() {
        let cases = [
            ("Europe/Berlin", "2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z"),
            ("Europe/Berlin", "2026-10-23T00:00:00Z", "2026-10-28T00:00:00Z"),
            ("America/New_York", "2026-03-06T00:00:00Z", "2026-03-11T00:00:00Z"),
            ("America/New_York", "2026-10-30T00:00:00Z", "2026-11-04T00:00:00Z"),
        ];
        for (name, from, to) in cases {
            let zone = zone(name);
            for time in [at(1, 30), at(2, 0), at(2, 30), at(3, 0), at(7, 0)] {
                let started = utc(from);
                let mut sent: Vec<(Date, Timestamp)> = Vec::new();
                let mut now = started;
                while now < utc(to) {
                    let question = DueQuestion {
                        now,
                        at: time,
                        zone: &zone,
                        catch_up: 3,
                        last_recorded: sent.last().map(|(day, _)| *day),
                        started,
                    };
                    for day in due_dates(&question) {
                        assert!(instant_of(day, time, &zone) <= now);
                        sent.push((day, now));
                    }
                    now = now.checked_add(jiff::SignedDuration::from_mins(5)).unwrap();
                }
                let days: Vec<Date> = sent.iter().map(|(day, _)| *day).collect();
                let first = days[0];
                let expected: Vec<Date> = first.series(jiff::Span::new().days(1)).take(days.len()).collect();
                assert_eq!(days, expected, "{name} at {time}: a date skipped or repeated");
                assert!(days.len() >= 4, "{name} at {time}: only {} digests", days.len());
                // Each is sent within one 5-minute tick of its instant.
                for (day, sent_at) in &sent {
                    let late = sent_at.as_second() - instant_of(*day, time, &zone).as_second();
                    assert!((0..300).contains(&late), "{name} {day} at {time}: {late} s late");
                }
            }
        }
    }

    #[test]
    fn catch_up_sends_each_missed_day_once_up_to_the_limit() {
        let berlin = zone("Europe/Berlin");
        let now = utc("2026-02-10T09:00:00Z");
        let question = |last_recorded, catch_up| DueQuestion {
            now,
            at: at(7, 0),
            zone: &berlin,
            catch_up,
            last_recorded,
            started: now,
        };
        // Down since the 6th's digest: the 7th, 8th and 9th were missed, the 10th is due.
        let days = due_dates(&question(Some(date(2026, 2, 6)), 3));
        assert_eq!(days, vec![date(2026, 2, 8), date(2026, 2, 9), date(2026, 2, 10)]);
        assert_eq!(due_dates(&question(Some(date(2026, 2, 6)), 1)), vec![date(2026, 2, 10)]);
        assert_eq!(due_dates(&question(Some(date(2026, 2, 9)), 3)), vec![date(2026, 2, 10)]);
        assert!(due_dates(&question(Some(date(2026, 2, 10)), 3)).is_empty());
        // A recipient with no digest yet: nothing from before the daemon started.
        assert!(due_dates(&question(None, 3)).is_empty());
    }

    #[test]
    fn next_due_and_retry_delays() {
        let berlin = zone("Europe/Berlin");
        let (day, instant) = next_due(utc("2026-03-28T23:00:00Z"), at(2, 30), &berlin).unwrap();
        assert_eq!((day, instant), (date(2026, 3, 29), utc("2026-03-29T01:30:00Z")));
        let (day, _) = next_due(utc("2026-03-29T01:30:00Z"), at(2, 30), &berlin).unwrap();
        assert_eq!(day, date(2026, 3, 30));
        let minute = std::time::Duration::from_secs(60);
        let delays: Vec<u64> =
            (1..=7).map(|attempt| retry_delay(attempt, minute, 30 * minute).as_secs() / 60).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(retry_delay(u32::MAX, minute, 30 * minute), 30 * minute);
    }
}
