//! The daemon's digest task: at `[digest] at` in its time zone, claim each recipient's digest
//! for the day (and, after downtime, for up to `catch_up` missed days, each once), send every
//! pending digest, and retry failures with backoff for `retry_for` before giving up.
//!
//! All state is in SQLite (the `digests` table: claimed dates, attempts, when to try next), so
//! a restart resumes where the last run stopped and never claims a date twice. The decisions
//! are `digest::schedule`'s; the steps are `digest::deliver`'s. This task only loops.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::SharedConfig;
use crate::config::{Config, DigestSettings};
use crate::digest::deliver::{Deliverer, Selection};
use crate::digest::schedule::{self, DueQuestion};
use crate::metrics::Metrics;
use crate::model::format_time;
use crate::schedule::after;
use crate::store::{DigestAttempt, DigestRecord, StoreHandle};

/// The loop never sleeps longer than this, so config reloads and clock jumps are noticed.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// Runs until `stop` is cancelled. `started` is when the daemon started: a recipient without
/// any digest yet gets their first at the first digest time after it.
pub async fn run(
    config: SharedConfig,
    store: StoreHandle,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
    started: Timestamp,
) {
    loop {
        let current = config.current();
        let next_wake = match current.digest.as_ref().filter(|settings| !settings.recipients.is_empty()) {
            Some(settings) => {
                let deliverer = Deliverer { config: current.clone(), store: store.clone() };
                tokio::select! {
                    biased;
                    _ = stop.cancelled() => break,
                    wake = turn(&deliverer, settings, &metrics, started) => wake,
                }
            }
            None => after(Timestamp::now(), MAX_SLEEP),
        };
        let sleep: Duration = next_wake.duration_since(Timestamp::now()).try_into().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(sleep.clamp(Duration::from_millis(10), MAX_SLEEP)) => {}
        }
    }
}

/// One turn: claim what is due, attempt what is pending. Returns when to wake next.
async fn turn(
    deliverer: &Deliverer,
    settings: &DigestSettings,
    metrics: &Metrics,
    started: Timestamp,
) -> Timestamp {
    let now = Timestamp::now();
    for recipient in &settings.recipients {
        let name = recipient.name.clone();
        let last = match deliverer.store.call(move |store| store.last_scheduled_date(&name)).await {
            Ok(last) => last.and_then(|text| text.parse().ok()),
            Err(error) => {
                tracing::error!(%error, "Cannot read the digests from the database; retrying.");
                return after(now, MAX_SLEEP);
            }
        };
        let question = DueQuestion {
            now,
            at: settings.at,
            zone: &settings.time_zone,
            catch_up: settings.catch_up,
            last_recorded: last,
            started,
        };
        for date in schedule::due_dates(&question) {
            match deliverer.claim(recipient, date, Selection::Scheduled, now).await {
                Ok((record, true)) => tracing::info!(
                    recipient = %recipient.name, %date, stories = record.story_count, "Digest due; stories chosen."
                ),
                Ok((_, false)) => {}
                Err(error) => {
                    tracing::error!(recipient = %recipient.name, %date, %error, "Cannot prepare the digest.");
                }
            }
        }
    }
    let at = format_time(now);
    let pending =
        deliverer.store.call(move |store| store.pending_digests(Some(&at))).await.unwrap_or_else(|error| {
            tracing::error!(%error, "Cannot read pending digests from the database.");
            Vec::new()
        });
    for record in pending {
        attempt(deliverer, settings, metrics, &record).await;
    }
    next_wake(deliverer, &deliverer.config, now).await
}

/// One attempt at a pending digest, with the retry decision recorded.
async fn attempt(deliverer: &Deliverer, settings: &DigestSettings, metrics: &Metrics, record: &DigestRecord) {
    let now = Timestamp::now();
    let Some(recipient) = deliverer.recipient(&record.recipient).cloned() else {
        // The recipient left the config: the digest will never be sent.
        let failed =
            DigestAttempt::Failed { error: "the recipient is no longer configured".into(), retry_at: None };
        let (id, at) = (record.id, format_time(now));
        let _ = deliverer.store.call(move |store| store.record_digest_attempt(id, &failed, &at)).await;
        return;
    };
    let first_attempt = record.created_at.parse::<Timestamp>().unwrap_or(now);
    let give_up_at = after(first_attempt, settings.retry_for);
    let retry_at = |attempts: i64| {
        let wait = schedule::retry_delay(
            u32::try_from(attempts).unwrap_or(u32::MAX),
            settings.retry_backoff,
            settings.retry_backoff_max,
        );
        let next = after(Timestamp::now(), wait);
        (next <= give_up_at).then_some(next)
    };
    let outcome = match deliverer.build_recorded(&recipient, record, now).await {
        Ok(digest) => deliverer.send_and_record(&recipient, record, &digest, retry_at, now).await,
        Err(error) => {
            // A digest that cannot be built (a store failure) is retried like a failed send.
            let failed = DigestAttempt::Failed {
                error: error.to_string(),
                retry_at: retry_at(record.attempts + 1).map(format_time),
            };
            let (id, recorded, at) = (record.id, failed.clone(), format_time(now));
            deliverer
                .store
                .call(move |store| store.record_digest_attempt(id, &recorded, &at))
                .await
                .map(|()| failed)
                .map_err(Into::into)
        }
    };
    let (name, date) = (&record.recipient, &record.date);
    match outcome {
        Ok(DigestAttempt::Sent) => {
            metrics.record_digest("sent");
            tracing::info!(recipient = %name, %date, stories = record.story_count, message_id = %record.message_id, "Digest sent.");
        }
        Ok(DigestAttempt::Skipped) => {
            metrics.record_digest("skipped");
            tracing::info!(recipient = %name, %date, "No new stories; digest skipped (skip_empty).");
        }
        Ok(DigestAttempt::Failed { error, retry_at: Some(retry_at) }) => {
            metrics.record_digest("retry");
            tracing::warn!(recipient = %name, %date, %error, %retry_at, attempts = record.attempts + 1, "Digest not sent; will retry.");
        }
        Ok(DigestAttempt::Failed { error, retry_at: None }) => {
            metrics.record_digest("failed");
            tracing::error!(recipient = %name, %date, %error, attempts = record.attempts + 1, "Digest not sent; giving up.");
        }
        Err(error) => tracing::error!(recipient = %name, %date, %error, "Cannot record the digest attempt."),
    }
}

/// The next digest time of any recipient, or the next retry, whichever is first.
async fn next_wake(deliverer: &Deliverer, config: &Config, now: Timestamp) -> Timestamp {
    let mut wake = after(now, MAX_SLEEP);
    if let Some(settings) = &config.digest
        && let Some((_, instant)) = schedule::next_due(now, settings.at, &settings.time_zone)
    {
        wake = wake.min(instant);
    }
    if let Ok(pending) = deliverer.store.call(|store| store.pending_digests(None)).await {
        for record in pending {
            if let Some(at) = record.next_attempt_at.and_then(|text| text.parse::<Timestamp>().ok()) {
                wake = wake.min(at.max(now));
            }
        }
    }
    wake
}
