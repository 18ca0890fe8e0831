//! Human-friendly units in the config file: durations (`90s`, `15m`, `1h30m`, `7d`) and byte
//! sizes (`512KiB`, `10MiB`, `10MB`, `4096`).
//!
//! Both are newtypes with a serde `Deserialize` that fails with a sentence naming the bad value,
//! so that the TOML deserializer attaches the file position and key to the error. Nothing here
//! knows about defaults or limits; `config` decides what is a sensible value.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// A duration written as one or more `<number><unit>` groups: `ms`, `s`, `m`, `h`, `d`, `w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

/// A size in bytes written as an integer with an optional unit: `B`, `KB`, `KiB`, `MB`, `MiB`,
/// `GB`, `GiB` (case-insensitive; `K`, `M`, `G` alone mean the binary units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

/// Parses a duration such as `15m`, `1h30m`, `36h`, `7d` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty duration".to_string());
    }
    let mut total_millis: u128 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(format!("invalid duration `{text}`: expected a number before the unit"));
        }
        let number: f64 =
            rest[..digits_end].parse().map_err(|_| format!("invalid duration `{text}`: bad number"))?;
        rest = rest[digits_end..].trim_start();
        let unit_end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        let millis_per_unit: f64 = match unit {
            "ms" => 1.0,
            "s" | "sec" | "secs" => 1_000.0,
            "m" | "min" | "mins" => 60_000.0,
            "h" | "hr" | "hrs" => 3_600_000.0,
            "d" | "day" | "days" => 86_400_000.0,
            "w" | "week" | "weeks" => 604_800_000.0,
            "" => {
                return Err(format!(
                    "invalid duration `{text}`: missing unit (use ms, s, m, h, d or w, e.g. `15m`)"
                ));
            }
            other => {
                return Err(format!(
                    "invalid duration `{text}`: unknown unit `{other}` (use ms, s, m, h, d or w)"
                ));
            }
        };
        total_millis += (number * millis_per_unit).round() as u128;
        rest = rest[unit_end..].trim_start();
    }
    u64::try_from(total_millis)
        .map(Duration::from_millis)
        .map_err(|_| format!("invalid duration `{text}`: too large"))
}

/// Parses a byte size such as `10MiB`, `512 KB` or `4096`.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end =
        trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(trimmed.len());
    if digits_end == 0 {
        return Err(format!("invalid size `{text}`: expected a number, e.g. `10MiB`"));
    }
    let number: f64 = trimmed[..digits_end]
        .replace('_', "")
        .parse()
        .map_err(|_| format!("invalid size `{text}`: bad number"))?;
    let unit = trimmed[digits_end..].trim().to_ascii_lowercase();
    let multiplier: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "invalid size `{text}`: unknown unit `{other}` (use B, KB, KiB, MB, MiB, GB or GiB)"
            ));
        }
    };
    Ok((number * multiplier).round() as u64)
}

/// Formats a duration the way the config file writes it: `15m`, `1h30m`, `45s`.
pub fn format_duration(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    if seconds == 0 {
        return format!("{}ms", duration.as_millis());
    }
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            text.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    text
}

impl<'de> serde::Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = HumanDuration;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a duration such as \"30s\", \"15m\" or \"2h\"")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<HumanDuration, E> {
                parse_duration(value).map(HumanDuration).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DurationVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl Visitor<'_> for SizeVisitor {
            type Value = ByteSize;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a size such as \"10MiB\" or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<ByteSize, E> {
                parse_byte_size(value).map(ByteSize).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<ByteSize, E> {
                u64::try_from(value).map(ByteSize).map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(value))
            }
        }
        deserializer.deserialize_any(SizeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit_and_combined() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("36h"), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_durations_name_the_problem() {
        assert!(parse_duration("15").unwrap_err().contains("missing unit"));
        assert!(parse_duration("15x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn sizes_decimal_and_binary() {
        assert_eq!(parse_byte_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_byte_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_byte_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_byte_size("4096"), Ok(4096));
        assert!(parse_byte_size("10 parsecs").is_err());
    }

    #[test]
    fn durations_format_back() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(45)), "45s");
    }
}
