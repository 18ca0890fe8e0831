//! Time arguments (`--since`, `--until`, API `since`/`until`): an RFC 3339 date or date-time, or
//! a duration before now (`36h`, `7d`). Shared by the CLI and the HTTP API.

use jiff::Timestamp;

use crate::config::units::parse_duration;

/// A command's optional time flag (`--since`), parsed now; a bad value is a usage error naming
/// the flag.
pub fn time_flag(text: Option<&str>, flag: &str) -> Result<Option<Timestamp>, super::CliError> {
    text.map(|text| {
        parse_time_arg(text, Timestamp::now())
            .map_err(|message| super::CliError::Usage(anyhow::anyhow!("--{flag}: {message}")))
    })
    .transpose()
}

/// Parses `text` relative to `now`. Dates without a time mean 00:00 UTC; date-times without an
/// offset are UTC.
pub fn parse_time_arg(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    if let Ok(datetime) = text.parse::<jiff::civil::DateTime>() {
        return datetime
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|error| error.to_string());
    }
    match parse_duration(text) {
        Ok(duration) => {
            let signed = jiff::SignedDuration::try_from(duration).map_err(|error| error.to_string())?;
            Ok(now.checked_sub(signed).unwrap_or(Timestamp::MIN))
        }
        Err(_) => Err(format!(
            "`{text}` is neither a date (2026-02-06, 2026-02-06T10:00:00Z) nor a duration (36h, 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_datetimes_and_durations() {
        let now: Timestamp = "2026-02-10T12:00:00Z".parse().unwrap();
        let parse = |text| parse_time_arg(text, now).map(|t| t.to_string());
        assert_eq!(parse("2026-02-06").as_deref(), Ok("2026-02-06T00:00:00Z"));
        assert_eq!(parse("2026-02-06T10:46:00+08:00").as_deref(), Ok("2026-02-06T02:46:00Z"));
        assert_eq!(parse("2026-02-06T10:46").as_deref(), Ok("2026-02-06T10:46:00Z"));
        assert_eq!(parse("36h").as_deref(), Ok("2026-02-09T00:00:00Z"));
        assert_eq!(parse("7d").as_deref(), Ok("2026-02-03T12:00:00Z"));
        assert!(parse("yesterday").unwrap_err().contains("neither a date"));
    }
}
