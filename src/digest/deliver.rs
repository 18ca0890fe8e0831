//! Claim, build, send, record: the steps of delivering one digest, shared by the daemon and the
//! `digest` command. The only part of the digest that touches the store and the network.
//!
//! Exactly once, as far as SMTP allows: a digest is *claimed* first (its row, its window and
//! its stories in one transaction, status pending), then built from exactly those stories,
//! sent, and recorded as sent. A crash after the send and before the record leaves the row
//! pending; it is sent again with the same stories and the same Message-ID, which mail clients
//! that deduplicate drop. A restart never claims a date twice (one row per recipient and date).
//! When to try again is the caller's decision.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::{DigestError, DigestRequest, SourceLabel, StoryInput, message, schedule, select_stories};
use crate::config::{Config, DigestSettings, Recipient, SmtpSettings};
use crate::model::format_time;
use crate::store::{DigestAttempt, DigestRecord, NewDigest, StoreHandle, StoryRow};

/// A scheduled digest also looks at items stored this long before the previous digest's end:
/// an item whose transaction was still open when that digest was claimed carries an earlier
/// time. Stories already sent are excluded, so the overlap never repeats one.
const OVERLAP: SignedDuration = SignedDuration::from_hours(1);

/// Which stories a digest takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every story that gained an item since the recipient's previous digest and was never in
    /// one of their digests.
    Scheduled,
    /// `digest --date D`: the stories first published in the 24 hours before D at `at`.
    Dated,
}

impl Selection {
    fn kind(self) -> &'static str {
        match self {
            Selection::Scheduled => "scheduled",
            Selection::Dated => "dated",
        }
    }
}

/// What delivering works with.
#[derive(Clone)]
pub struct Deliverer {
    pub config: Arc<Config>,
    pub store: StoreHandle,
}

/// A digest's stories and window, chosen but not claimed.
pub struct Chosen {
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub stories: Vec<StoryInput>,
}

impl Deliverer {
    pub fn settings(&self) -> Result<&DigestSettings, DigestError> {
        self.config
            .digest
            .as_ref()
            .ok_or_else(|| DigestError::Config("the config has no [digest] section".into()))
    }

    pub fn smtp(&self) -> Result<&SmtpSettings, DigestError> {
        self.config
            .smtp
            .as_ref()
            .ok_or_else(|| DigestError::Config("the config has no [smtp] section".into()))
    }

    /// The recipient called `name`.
    pub fn recipient(&self, name: &str) -> Option<&Recipient> {
        self.config.digest.as_ref()?.recipients.iter().find(|recipient| recipient.name == name)
    }

    /// Display titles and topic hints of the configured sources.
    pub fn source_labels(&self) -> HashMap<String, SourceLabel> {
        self.config
            .sources
            .iter()
            .map(|source| {
                (
                    source.name.clone(),
                    SourceLabel { title: source.title.clone(), topics: source.topics.clone() },
                )
            })
            .collect()
    }

    /// Chooses `recipient`'s stories for `date` at `now`, their topic filter applied.
    pub async fn choose(
        &self,
        recipient: &Recipient,
        date: Date,
        selection: Selection,
        now: Timestamp,
    ) -> Result<Chosen, DigestError> {
        let settings = self.settings()?;
        let (window_start, window_end, candidates) = match selection {
            Selection::Dated => {
                let (start, end) = schedule::dated_window(date, settings.at, &settings.time_zone);
                let (from, until) = (format_time(start), format_time(end));
                let ids = self.store.call(move |store| store.stories_first_published(&from, &until)).await?;
                (start, end, ids)
            }
            Selection::Scheduled => {
                let name = recipient.name.clone();
                let previous = self.store.call(move |store| store.last_scheduled_cutoff(&name)).await?;
                let end = schedule::instant_of(date, settings.at, &settings.time_zone).min(now);
                // The window is nominal (it starts where the previous one ended: the header
                // says so and the row records it); only the query looks back the overlap.
                let (start, look_from) = match previous.and_then(|text| text.parse::<Timestamp>().ok()) {
                    Some(previous_end) => {
                        (previous_end, previous_end.checked_sub(OVERLAP).unwrap_or(previous_end))
                    }
                    None => {
                        let start = schedule::dated_window(date, settings.at, &settings.time_zone).0;
                        (start, start)
                    }
                };
                let (name, after, until) = (recipient.name.clone(), format_time(look_from), format_time(end));
                let ids = if look_from < end {
                    self.store.call(move |store| store.stories_gaining_items(&name, &after, &until)).await?
                } else {
                    Vec::new()
                };
                (start, end, ids)
            }
        };
        let mut stories = self.story_inputs(candidates).await?;
        let chosen: std::collections::HashSet<i64> =
            select_stories(&stories, recipient, &settings.topic_order, &self.source_labels())
                .into_iter()
                .collect();
        stories.retain(|input| chosen.contains(&input.story.story));
        Ok(Chosen { window_start, window_end, stories })
    }

    /// Claims `recipient`'s digest for `date`: chooses its stories and records them, unless a
    /// digest for that date exists already. Returns the row and whether it is new.
    pub async fn claim(
        &self,
        recipient: &Recipient,
        date: Date,
        selection: Selection,
        now: Timestamp,
    ) -> Result<(DigestRecord, bool), DigestError> {
        let (name, day) = (recipient.name.clone(), date.to_string());
        if let Some(existing) = self.store.call(move |store| store.digest_record(&name, &day)).await? {
            return Ok((existing, false));
        }
        let chosen = self.choose(recipient, date, selection, now).await?;
        let new = NewDigest {
            recipient: recipient.name.clone(),
            date: date.to_string(),
            kind: selection.kind().to_string(),
            message_id: message::message_id(&recipient.name, date, &self.smtp()?.from, 0),
            window_start: format_time(chosen.window_start),
            window_end: format_time(chosen.window_end),
            stories: chosen.stories.iter().map(|input| input.story.story).collect(),
            now: format_time(now),
        };
        Ok(self.store.call(move |store| store.claim_digest(&new)).await?)
    }

    /// Builds the digest a claimed `record` stands for, from the stories it recorded.
    pub async fn build_recorded(
        &self,
        recipient: &Recipient,
        record: &DigestRecord,
        now: Timestamp,
    ) -> Result<super::Digest, DigestError> {
        let id = record.id;
        let ids = self.store.call(move |store| store.digest_story_ids(id)).await?;
        let stories = self.story_inputs(ids).await?;
        let date: Date = record
            .date
            .parse()
            .map_err(|_| DigestError::Config(format!("bad digest date {}", record.date)))?;
        let window_start = record.window_start.parse().unwrap_or(now);
        let window_end = record.window_end.parse().unwrap_or(now);
        self.build(recipient, date, Chosen { window_start, window_end, stories }, now).await
    }

    /// Builds `recipient`'s digest for `date` from `chosen` stories (the chart reads the store).
    pub async fn build(
        &self,
        recipient: &Recipient,
        date: Date,
        chosen: Chosen,
        now: Timestamp,
    ) -> Result<super::Digest, DigestError> {
        let history = self.history(date).await?;
        self.build_with_history(recipient, date, &chosen, &history, now)
    }

    /// Builds the digest from stories and chart history already read (the benchmark times the
    /// reads and the build apart).
    pub fn build_with_history(
        &self,
        recipient: &Recipient,
        date: Date,
        chosen: &Chosen,
        history: &[StoryRow],
        now: Timestamp,
    ) -> Result<super::Digest, DigestError> {
        let settings = self.settings()?;
        let sources = self.source_labels();
        let request = DigestRequest {
            recipient,
            date,
            window_start: chosen.window_start,
            window_end: chosen.window_end,
            time_zone: &settings.time_zone,
            time_zone_name: &settings.time_zone_name,
            topic_order: &settings.topic_order,
            topic_labels: &settings.topic_labels,
            sources: &sources,
            stories: &chosen.stories,
            history,
            at: settings.at,
            now,
        };
        super::build(&request, &settings.templates)
    }

    /// Sends `digest` for `record` to `recipient` and records the outcome: sent, skipped (empty
    /// with `skip_empty`), or failed with `retry_at` (None: given up).
    pub async fn send_and_record(
        &self,
        recipient: &Recipient,
        record: &DigestRecord,
        digest: &super::Digest,
        retry_at: impl FnOnce(i64) -> Option<Timestamp>,
        now: Timestamp,
    ) -> Result<DigestAttempt, DigestError> {
        let attempt = if digest.story_ids.is_empty() && self.settings()?.skip_empty {
            DigestAttempt::Skipped
        } else {
            match self.send(recipient, record, digest, now).await {
                Ok(()) => DigestAttempt::Sent,
                Err(error) => DigestAttempt::Failed {
                    error: error.to_string(),
                    retry_at: retry_at(record.attempts + 1).map(format_time),
                },
            }
        };
        let (id, recorded, at) = (record.id, attempt.clone(), format_time(Timestamp::now().max(now)));
        self.store.call(move |store| store.record_digest_attempt(id, &recorded, &at)).await?;
        Ok(attempt)
    }

    async fn send(
        &self,
        recipient: &Recipient,
        record: &DigestRecord,
        digest: &super::Digest,
        now: Timestamp,
    ) -> Result<(), DigestError> {
        let smtp = self.smtp()?;
        let password = smtp.read_password().map_err(DigestError::Config)?;
        let message = message::compose(digest, &smtp.from, &recipient.email, &record.message_id, now)?;
        super::send::send(smtp, password.as_deref(), &message).await
    }

    /// Stories first published in the chart's days, as the chart needs them (see
    /// `Store::chart_stories`: no titles or items).
    pub async fn history(&self, date: Date) -> Result<Vec<StoryRow>, DigestError> {
        let settings = self.settings()?;
        let first_day = date.checked_sub(jiff::Span::new().days(super::CHART_DAYS as i64)).unwrap_or(date);
        let from = format_time(schedule::instant_of(first_day, settings.at, &settings.time_zone));
        let until = format_time(schedule::instant_of(date, settings.at, &settings.time_zone));
        Ok(self.store.call(move |store| store.chart_stories(&from, &until)).await?)
    }

    async fn story_inputs(&self, ids: Vec<i64>) -> Result<Vec<StoryInput>, DigestError> {
        let details = self.store.call(move |store| store.digest_story_details(&ids)).await?;
        Ok(details
            .into_iter()
            .map(|(story, canonical, item_sources, entities)| StoryInput {
                story,
                canonical,
                item_sources,
                entities,
            })
            .collect())
    }
}
