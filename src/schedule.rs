//! When to fetch a source next: the polling interval, and the backoff after errors.
//!
//! Pure functions of the source, its history and `now`; the daemon and the one-shot `fetch`
//! both record the answer in the store, so a restart loses nothing.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// The first wait after an error; it doubles with each consecutive error.
pub const ERROR_BACKOFF_START: Duration = Duration::from_secs(60);
/// Errors never push a source further out than this: a site down for a day is retried.
pub const ERROR_BACKOFF_CAP: Duration = Duration::from_secs(4 * 3600);

/// The wait after the `consecutive_errors`-th error in a row (1 = the first): 1 min, 2 min,
/// 4 min, … up to 4 h; a server's Retry-After is honoured when longer.
pub fn error_backoff(consecutive_errors: u32, retry_after: Option<Duration>) -> Duration {
    let doublings = consecutive_errors.saturating_sub(1).min(16);
    let backoff = ERROR_BACKOFF_START.saturating_mul(1 << doublings).min(ERROR_BACKOFF_CAP);
    backoff.max(retry_after.unwrap_or_default())
}

/// `now + duration`, saturating instead of failing on absurd values.
pub fn after(now: Timestamp, duration: Duration) -> Timestamp {
    let signed = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    now.checked_add(signed).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_to_four_hours() {
        let minutes = |n| error_backoff(n, None).as_secs() / 60;
        assert_eq!([minutes(1), minutes(2), minutes(3), minutes(4)], [1, 2, 4, 8]);
        assert_eq!(error_backoff(9, None), ERROR_BACKOFF_CAP);
        assert_eq!(error_backoff(1000, None), ERROR_BACKOFF_CAP);
    }

    #[test]
    fn retry_after_wins_when_longer() {
        assert_eq!(error_backoff(1, Some(Duration::from_secs(600))), Duration::from_secs(600));
        assert_eq!(error_backoff(3, Some(Duration::from_secs(5))), Duration::from_secs(240));
    }
}
