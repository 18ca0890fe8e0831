//! `[digest]` and its `[[digest.recipient]]` entries: when the daily digest goes out, in which
//! time zone, to whom, with which topics, and which templates render it.
//!
//! The templates are read and compiled here, at start (and on reload), so a broken template is
//! a config error naming the template file and line, never a failure at 07:00. Retry timings
//! have defaults meant for production; they are settable (and documented briefly) so that tests
//! and impatient operators can shorten them. This module does not send or schedule anything.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use lettre::message::Mailbox;
use serde::Deserialize;
use toml::Spanned;

use super::units::{HumanDuration, parse_duration};
use super::{ConfigError, Invalid};
use crate::classify::TopicOutline;
use crate::digest::render::{Templates, topic_label};

/// Validated `[digest]` settings.
#[derive(Clone, Debug)]
pub struct DigestSettings {
    /// The local time of day the digest goes out.
    pub at: Time,
    pub time_zone: TimeZone,
    /// The IANA name (`Europe/Berlin`), for messages and the footer.
    pub time_zone_name: String,
    pub recipients: Vec<Recipient>,
    /// An empty day sends nothing (instead of a short "no new stories" mail).
    pub skip_empty: bool,
    /// After downtime, at most this many missed days are sent (the most recent ones), one
    /// digest a day.
    pub catch_up: u32,
    pub templates: Arc<Templates>,
    /// Section order: the configured taxonomy's topics, in the order of its file.
    pub topic_order: Vec<String>,
    /// Section titles: the taxonomy's `label`, else the topic's name capitalized.
    pub topic_labels: HashMap<String, String>,
    /// The daemon retries a failed send for this long after the first attempt.
    pub retry_for: Duration,
    /// The first wait between retries; it doubles up to `retry_backoff_max`.
    pub retry_backoff: Duration,
    pub retry_backoff_max: Duration,
    /// How long the `digest` command keeps trying before it gives up.
    pub command_deadline: Duration,
}

/// One `[[digest.recipient]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    /// A short unique name (`desk`): `--recipient`, the database and the Message-ID use it.
    pub name: String,
    pub email: Mailbox,
    /// Only stories with one of these topics; empty means every story.
    pub topics: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDigest {
    at: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    skip_empty: Option<bool>,
    catch_up: Option<Spanned<RawCatchUp>>,
    templates: Option<Spanned<PathBuf>>,
    #[serde(default)]
    recipient: Vec<RawRecipient>,
    retry_for: Option<Spanned<HumanDuration>>,
    retry_backoff: Option<Spanned<HumanDuration>>,
    retry_backoff_max: Option<Spanned<HumanDuration>>,
    command_deadline: Option<Spanned<HumanDuration>>,
}

/// `catch_up = 3` or `catch_up = "3d"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawCatchUp {
    Count(i64),
    Days(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    name: Spanned<String>,
    email: Spanned<String>,
    topics: Option<Spanned<Vec<String>>>,
}

/// `taxonomy` is the configured one (`[topics] file`, or the shipped one): recipients' topics
/// must be among its topics, and the digest's sections follow its order.
pub(super) fn validate_digest(
    raw: RawDigest,
    taxonomy: &[TopicOutline],
    config_file: &Path,
    invalid: &Invalid,
) -> Result<DigestSettings, ConfigError> {
    let at = match raw.at {
        None => Time::constant(7, 0, 0, 0),
        Some(spanned) => {
            parse_time_of_day(spanned.get_ref()).map_err(|message| invalid(spanned.span(), message))?
        }
    };
    let (time_zone, time_zone_name) = match raw.timezone {
        None => (TimeZone::UTC, "UTC".to_string()),
        Some(spanned) => {
            let name = spanned.get_ref().trim().to_string();
            let zone = TimeZone::get(&name).map_err(|_| {
                invalid(
                    spanned.span(),
                    format!("unknown time zone `{name}` (use an IANA name such as Europe/Berlin)"),
                )
            })?;
            (zone, name)
        }
    };
    let catch_up = match raw.catch_up {
        None => 3,
        Some(spanned) => {
            catch_up_days(spanned.get_ref()).map_err(|message| invalid(spanned.span(), message))?
        }
    };
    let topic_order: Vec<String> = taxonomy.iter().map(|topic| topic.name.clone()).collect();
    let topic_labels: HashMap<String, String> = taxonomy
        .iter()
        .map(|topic| (topic.name.clone(), topic.label.clone().unwrap_or_else(|| topic_label(&topic.name))))
        .collect();
    let mut names = HashSet::new();
    let mut recipients = Vec::new();
    for raw_recipient in raw.recipient {
        let name_span = raw_recipient.name.span();
        let recipient = validate_recipient(raw_recipient, &topic_order, invalid)?;
        if !names.insert(recipient.name.clone()) {
            return Err(invalid(name_span, format!("duplicate digest recipient name `{}`", recipient.name)));
        }
        recipients.push(recipient);
    }
    let templates = load_templates(raw.templates, config_file, invalid)?;
    let day = Duration::from_secs(86_400);
    let duration = |value: Option<Spanned<HumanDuration>>, default: Duration, max: Duration| match value {
        None => Ok(default),
        Some(spanned) if spanned.get_ref().0.is_zero() || spanned.get_ref().0 > max => Err(invalid(
            spanned.span(),
            format!("must be longer than zero and at most {}", super::units::format_duration(max)),
        )),
        Some(spanned) => Ok(spanned.into_inner().0),
    };
    Ok(DigestSettings {
        at,
        time_zone,
        time_zone_name,
        recipients,
        skip_empty: raw.skip_empty.unwrap_or(false),
        catch_up,
        templates: Arc::new(templates),
        topic_order,
        topic_labels,
        retry_for: duration(raw.retry_for, Duration::from_secs(6 * 3600), 7 * day)?,
        retry_backoff: duration(raw.retry_backoff, Duration::from_secs(60), day)?,
        retry_backoff_max: duration(raw.retry_backoff_max, Duration::from_secs(30 * 60), day)?,
        command_deadline: duration(raw.command_deadline, Duration::from_secs(60), day)?,
    })
}

fn validate_recipient(
    raw: RawRecipient,
    topic_order: &[String],
    invalid: &Invalid,
) -> Result<Recipient, ConfigError> {
    let name = raw.name.get_ref().trim().to_string();
    let name_is_valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_is_valid {
        return Err(invalid(
            raw.name.span(),
            format!("recipient name `{name}` must be 1-64 characters of a-z, 0-9 and -"),
        ));
    }
    // Mailbox parsing rejects CR, LF and anything else that could end a header early.
    let email: Mailbox = raw.email.get_ref().parse().map_err(|error| {
        invalid(raw.email.span(), format!("`{}` is not a mail address ({error})", raw.email.get_ref()))
    })?;
    let topics = match raw.topics {
        None => Vec::new(),
        Some(spanned) => {
            let span = spanned.span();
            let topics = spanned.into_inner();
            if let Some(unknown) = topics.iter().find(|topic| !topic_order.contains(topic)) {
                return Err(invalid(
                    span,
                    format!(
                        "unknown topic `{unknown}` (the taxonomy's topics are: {})",
                        topic_order.join(", ")
                    ),
                ));
            }
            topics
        }
    };
    Ok(Recipient { name, email, topics })
}

/// `07:00` or `07:00:30`, 24-hour clock.
fn parse_time_of_day(text: &str) -> Result<Time, String> {
    let bad = || format!("`{text}` is not a time of day such as 07:00");
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|part| part.len() != 2) {
        return Err(bad());
    }
    let number = |part: &str| part.parse::<i8>().map_err(|_| bad());
    let hour = number(parts[0])?;
    let minute = number(parts[1])?;
    let second = if parts.len() == 3 { number(parts[2])? } else { 0 };
    Time::new(hour, minute, second, 0).map_err(|_| bad())
}

fn catch_up_days(raw: &RawCatchUp) -> Result<u32, String> {
    let days = match raw {
        RawCatchUp::Count(count) => *count,
        RawCatchUp::Days(text) => {
            let duration = parse_duration(text)?;
            if duration.as_secs() % 86_400 != 0 {
                return Err(format!("`{text}` must be whole days, such as \"3d\""));
            }
            (duration.as_secs() / 86_400) as i64
        }
    };
    if !(1..=31).contains(&days) {
        return Err("must be between 1 and 31 days (the digest due now counts as one)".to_string());
    }
    Ok(days as u32)
}

/// The `templates` directory (relative to the config file), else `templates/` beside the config
/// file when it exists, else the templates built into the binary.
fn load_templates(
    setting: Option<Spanned<PathBuf>>,
    config_file: &Path,
    invalid: &Invalid,
) -> Result<Templates, ConfigError> {
    let base = config_file.parent().unwrap_or(Path::new("."));
    let directory = match setting {
        Some(spanned) => {
            let directory = base.join(spanned.get_ref());
            if !directory.is_dir() {
                return Err(invalid(
                    spanned.span(),
                    format!("template directory {} does not exist", directory.display()),
                ));
            }
            directory
        }
        None if base.join("templates").is_dir() => base.join("templates"),
        None => return Templates::built_in().map_err(template_error),
    };
    Templates::load(&directory).map_err(template_error)
}

fn template_error(error: crate::digest::render::TemplateError) -> ConfigError {
    ConfigError::Invalid { file: error.file, line: error.line, key: None, message: error.message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("07:00").unwrap(), Time::constant(7, 0, 0, 0));
        assert_eq!(parse_time_of_day("23:59:30").unwrap(), Time::constant(23, 59, 30, 0));
        for bad in ["7:00", "24:00", "07:60", "0700", "07:00:00:00", "aa:bb"] {
            assert!(parse_time_of_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_and_a_recipient_filter() {
        let text = "[digest]\n[[digest.recipient]]\nname = \"desk\"\nemail = \"Desk <desk@example.com>\"\ntopics = [\"finance\"]\n\n[smtp]\nhost = \"smtp.example.com\"\nfrom = \"news@example.com\"\n";
        let config = crate::config::Config::parse(text, Path::new("/nonexistent/lodestone.toml")).unwrap();
        let digest = config.digest.unwrap();
        assert_eq!(
            (digest.at, digest.time_zone_name.as_str(), digest.catch_up),
            (Time::constant(7, 0, 0, 0), "UTC", 3)
        );
        assert!(!digest.skip_empty && digest.templates.directory.is_none());
        assert_eq!(digest.retry_for, Duration::from_secs(6 * 3600));
        assert_eq!(digest.recipients[0].topics, vec!["finance".to_string()]);
        let smtp = config.smtp.unwrap();
        assert_eq!((smtp.port, smtp.security), (587, crate::config::SmtpSecurity::Starttls));
        let unknown = text.replace("\"finance\"", "\"finace\"");
        let error = crate::config::Config::parse(&unknown, Path::new("x.toml")).unwrap_err().to_string();
        assert!(
            error.contains("digest.recipient[1].topics") && error.contains("unknown topic `finace`"),
            "{error}"
        );
    }

    #[test]
    fn catch_up_as_count_or_days() {
        assert_eq!(catch_up_days(&RawCatchUp::Count(2)).unwrap(), 2);
        assert_eq!(catch_up_days(&RawCatchUp::Days("3d".into())).unwrap(), 3);
        assert!(catch_up_days(&RawCatchUp::Days("36h".into())).is_err());
        assert!(catch_up_days(&RawCatchUp::Count(0)).is_err());
    }
}
