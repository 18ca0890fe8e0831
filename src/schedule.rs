//! When to fetch a source next: its interval adapted to how often it posts, what the server says
//! about caching (`<ttl>`, `Cache-Control: max-age`), errors backing off, and jitter.
//!
//! Pure functions of the source's policy, its recent history and `now`; the daemon and the
//! one-shot `fetch` both record the answer in the store, so a restart loses nothing. Randomness
//! (jitter) is a parameter too, derived by the caller from the source name and the time.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use xxhash_rust::xxh3::xxh3_64;

/// Jitter spreads fetches of sources with equal intervals by up to this share of the wait.
const JITTER_SHARE: f64 = 0.1;
/// Server caching hints (`<ttl>`, max-age) are honoured up to a day.
const MAX_HINT: Duration = Duration::from_secs(24 * 3600);
/// A source that published nothing in the last week is polled this many times less often.
const QUIET_FACTOR: u32 = 4;

/// How one source is polled, from its config.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// The configured interval: the starting point.
    pub interval: Duration,
    /// Adaptive polling never goes below this (nor below the interval when it is smaller).
    pub min_interval: Duration,
    /// Adaptive polling never goes above this (nor above the interval when it is larger).
    pub max_interval: Duration,
    /// The first wait after an error; it doubles with each consecutive error.
    pub backoff: Duration,
    /// Errors never push a source further out than this: a site down for a day is retried.
    pub backoff_max: Duration,
}

/// What a successful fetch taught us about the source.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Observations {
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// Items the source published in the last 7 days, when known.
    pub items_last_week: Option<u32>,
}

/// The wait before the next fetch after a success: the interval, adapted to the source's
/// posting rate (half the average gap between its items, as CommaFeed does), within
/// [floor, cap]; then at least the server's caching hint; then jittered.
pub fn wait_after_success(policy: &Policy, observations: &Observations, jitter: f64) -> Duration {
    let floor = policy.interval.min(policy.min_interval);
    let cap = policy.interval.max(policy.max_interval);
    let adapted = match observations.items_last_week {
        None => policy.interval,
        Some(0) => policy.interval.saturating_mul(QUIET_FACTOR),
        Some(count) => Duration::from_secs(7 * 24 * 3600) / count / 2,
    };
    let adapted = adapted.clamp(floor, cap);
    let hint =
        observations.ttl.into_iter().chain(observations.max_age).max().unwrap_or_default().min(MAX_HINT);
    apply_jitter(adapted.max(hint), jitter).max(hint)
}

/// The wait after the `consecutive_errors`-th error in a row (1 = the first): `backoff`,
/// doubling up to `backoff_max`; a server's Retry-After is honoured when longer.
pub fn wait_after_error(
    policy: &Policy,
    consecutive_errors: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    let doublings = consecutive_errors.saturating_sub(1).min(30);
    let backoff = policy.backoff.saturating_mul(1u32 << doublings.min(20)).min(policy.backoff_max);
    let retry_after = retry_after.unwrap_or_default();
    apply_jitter(backoff, jitter).max(retry_after)
}

/// A jitter value in [-1, 1] that differs between sources and between fetches of one source.
pub fn jitter_for(source_name: &str, now: Timestamp) -> f64 {
    let hash = xxh3_64(format!("{source_name}@{}", now.as_millisecond()).as_bytes());
    (hash as f64 / u64::MAX as f64) * 2.0 - 1.0
}

/// `now + duration`, saturating instead of failing on absurd values.
pub fn after(now: Timestamp, duration: Duration) -> Timestamp {
    let signed = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    now.checked_add(signed).unwrap_or(Timestamp::MAX)
}

fn apply_jitter(wait: Duration, jitter: f64) -> Duration {
    let factor = 1.0 + JITTER_SHARE * jitter.clamp(-1.0, 1.0);
    wait.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            interval: Duration::from_secs(15 * 60),
            min_interval: Duration::from_secs(5 * 60),
            max_interval: Duration::from_secs(6 * 3600),
            backoff: Duration::from_secs(60),
            backoff_max: Duration::from_secs(4 * 3600),
        }
    }

    fn minutes(duration: Duration) -> u64 {
        duration.as_secs() / 60
    }

    #[test]
    fn backoff_doubles_from_a_minute_to_four_hours_and_never_stops() {
        let wait = |n| minutes(wait_after_error(&policy(), n, None, 0.0));
        assert_eq!([wait(1), wait(2), wait(3), wait(4)], [1, 2, 4, 8]);
        assert_eq!(wait(9), 240);
        assert_eq!(wait(10_000), 240);
    }

    #[test]
    fn retry_after_wins_when_longer() {
        let wait = wait_after_error(&policy(), 1, Some(Duration::from_secs(600)), 0.0);
        assert_eq!(wait, Duration::from_secs(600));
        assert_eq!(minutes(wait_after_error(&policy(), 3, Some(Duration::from_secs(5)), 0.0)), 4);
    }

    #[test]
    fn busy_sources_are_polled_more_often_quiet_ones_less_within_bounds() {
        let wait = |items| {
            minutes(wait_after_success(
                &policy(),
                &Observations { items_last_week: items, ..Default::default() },
                0.0,
            ))
        };
        assert_eq!(wait(None), 15, "no history: the interval");
        assert_eq!(wait(Some(2000)), 5, "a busy source: down to the floor");
        assert_eq!(wait(Some(168)), 30, "hourly posts: half an hour");
        assert_eq!(wait(Some(0)), 60, "silent for a week: four times the interval");
        assert_eq!(wait(Some(1)), 360, "almost silent: up to the cap");
    }

    #[test]
    fn caching_hints_are_respected() {
        let observations = Observations { ttl: Some(Duration::from_secs(3600)), ..Default::default() };
        assert_eq!(minutes(wait_after_success(&policy(), &observations, -1.0)), 60);
        let observations =
            Observations { max_age: Some(Duration::from_secs(30 * 3600)), ..Default::default() };
        assert_eq!(minutes(wait_after_success(&policy(), &observations, 0.0)), 24 * 60, "capped at a day");
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_varies() {
        let now: Timestamp = "2026-02-06T10:00:00Z".parse().unwrap();
        let a = jitter_for("wire", now);
        let b = jitter_for("magnets", now);
        assert!((-1.0..=1.0).contains(&a) && a != b);
        let wait = wait_after_success(&policy(), &Observations::default(), 1.0);
        assert_eq!(wait, Duration::from_secs(15 * 60).mul_f64(1.1));
    }
}
