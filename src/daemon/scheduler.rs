//! The scheduling loop: fetch every due source, wake when the next one is due, reload the
//! config on request, stop starting work when told to.
//!
//! All scheduling state is in SQLite (`sources.next_fetch_at`, written by the pipeline after
//! each fetch), so this loop holds nothing a restart would lose: it only remembers which
//! sources are in flight right now.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::SharedConfig;
use crate::config::topics::ClassifierSetup;
use crate::config::{Config, SourceConfig};
use crate::fetch::Politeness;
use crate::pipeline::{self, PassContext};
use crate::store::StoreReaders;

/// The loop never sleeps longer than this, so config reloads and clock jumps are noticed.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// A source whose fetch left no new due time (a failure before anything was recorded) is not
/// retried sooner than this.
const MIN_RETRY: Duration = Duration::from_secs(5);

/// What the loop works with.
pub struct Scheduler {
    pub config: SharedConfig,
    pub context: Arc<PassContext>,
    pub readers: Arc<StoreReaders>,
    pub tracker: TaskTracker,
    /// Seconds since the epoch of the loop's last turn, for the health check.
    pub heartbeat: Arc<AtomicI64>,
}

impl Scheduler {
    /// Runs until `stop` is cancelled. `on_first_schedule` is called once, after the first round
    /// of due sources has been started (systemd's READY). `reloads` asks for a config reload.
    pub async fn run(
        mut self,
        stop: CancellationToken,
        mut reloads: mpsc::UnboundedReceiver<Config>,
        on_first_schedule: impl FnOnce(),
    ) -> Arc<PassContext> {
        // Each finished fetch says whether it recorded its next due time.
        let (finished_sender, mut finished) = mpsc::unbounded_channel::<(String, bool)>();
        let mut in_flight: HashSet<String> = HashSet::new();
        // A fetch that could not record a new due time (it failed before reaching the store) is
        // not retried sooner than MIN_RETRY after it ended.
        let mut not_before: HashMap<String, Timestamp> = HashMap::new();
        let mut on_first_schedule = Some(on_first_schedule);
        loop {
            let now = Timestamp::now();
            self.heartbeat.store(now.as_second(), Ordering::Relaxed);
            let config = self.config.current();
            let next_wake = match self.due_sources(&config, &in_flight, &not_before, now).await {
                Ok((due, next_wake)) => {
                    for source in due {
                        in_flight.insert(source.name.clone());
                        not_before.remove(&source.name);
                        self.spawn_fetch(source, finished_sender.clone());
                    }
                    next_wake
                }
                Err(error) => {
                    tracing::error!(%error, "Cannot read the schedule from the database; retrying.");
                    schedule_after(now, MIN_RETRY)
                }
            };
            if let Some(callback) = on_first_schedule.take() {
                callback();
            }
            let sleep = next_wake.duration_since(Timestamp::now()).try_into().unwrap_or(Duration::ZERO);
            tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                Some(new_config) = reloads.recv() => self.apply_reload(new_config).await,
                Some((name, recorded)) = finished.recv() => {
                    in_flight.remove(&name);
                    if !recorded {
                        not_before.insert(name, schedule_after(Timestamp::now(), MIN_RETRY));
                    }
                }
                _ = tokio::time::sleep(sleep.clamp(Duration::from_millis(5), MAX_SLEEP)) => {}
            }
        }
        self.context
    }

    /// The enabled sources that are due and not in flight, and when the loop should wake next.
    async fn due_sources(
        &self,
        config: &Config,
        in_flight: &HashSet<String>,
        not_before: &HashMap<String, Timestamp>,
        now: Timestamp,
    ) -> Result<(Vec<SourceConfig>, Timestamp), crate::store::StoreError> {
        let names: Vec<String> =
            config.sources.iter().filter(|s| s.enabled).map(|s| s.name.clone()).collect();
        let times: HashMap<String, Option<Timestamp>> =
            self.readers.call(move |store| store.next_fetch_times(&names)).await?.into_iter().collect();
        let mut due = Vec::new();
        let mut next_wake = schedule_after(now, MAX_SLEEP);
        for source in
            config.sources.iter().filter(|source| source.enabled && !in_flight.contains(&source.name))
        {
            let stored = times.get(&source.name).copied().flatten().unwrap_or(now);
            let due_at = match not_before.get(&source.name) {
                Some(earliest) => stored.max(*earliest),
                None => stored,
            };
            if due_at <= now {
                due.push(source.clone());
            } else {
                next_wake = next_wake.min(due_at);
            }
        }
        Ok((due, next_wake))
    }

    fn spawn_fetch(&self, source: SourceConfig, finished: mpsc::UnboundedSender<(String, bool)>) {
        let context = self.context.clone();
        let span = tracing::info_span!("source", name = %source.name);
        self.tracker.spawn(
            async move {
                let report = pipeline::refresh_source(&context, &source).await;
                let _ = finished.send((report.source.clone(), report.recorded_next_fetch()));
            }
            .instrument(span),
        );
    }

    /// Takes a new, already validated config into use: new sources are due at once, removed ones
    /// are no longer scheduled, shortened intervals take effect now.
    async fn apply_reload(&mut self, mut new_config: Config) {
        let old_config = self.config.current();
        if new_config.storage_path != old_config.storage_path || new_config.http != old_config.http {
            tracing::warn!("[storage] and [http] changes take effect at the next restart.");
        }
        // The signal handler compiled the classifier before sending the config (a broken
        // taxonomy never gets here); this only takes the compiled one, before anything changes.
        let rules = match new_config.classifier.get() {
            Ok(rules) => rules,
            Err(error) => {
                tracing::error!(%error, "Config reload rejected; the running config stays.");
                return;
            }
        };
        let sources = new_config.sources.clone();
        let now = Timestamp::now();
        let shortened: Vec<(String, Duration)> = new_config
            .sources
            .iter()
            .filter(|new| old_config.source(&new.name).is_some_and(|old| new.interval < old.interval))
            .map(|source| (source.name.clone(), source.interval))
            .collect();
        let synced = self
            .context
            .store
            .call(move |store| {
                store.sync_sources(&sources, now)?;
                for (name, interval) in &shortened {
                    store.reschedule_no_later_than(name, schedule_after(now, *interval))?;
                }
                Ok(())
            })
            .await;
        if let Err(error) = synced {
            tracing::error!(%error, "Config reload could not update the database; keeping the old config.");
            return;
        }
        // The learned model (if any) joins the new taxonomy, as at start-up.
        let with_model = rules.clone();
        let classifier = match self
            .context
            .store
            .call(move |store| crate::labels::classifier_with_stored_model(&with_model, store))
            .await
        {
            Ok(classifier) => classifier,
            Err(error) => {
                tracing::warn!(%error, "The stored topic model could not be read; using the rules alone.");
                rules
            }
        };
        new_config.classifier = ClassifierSetup::ready(classifier.clone());
        // New settings and classifier for the fetches started from now on; the politeness
        // limits (and the hosts' Retry-After cooldowns) are kept unless they changed.
        let limits_changed = new_config.fetch.concurrency != old_config.fetch.concurrency
            || new_config.fetch.per_host != old_config.fetch.per_host;
        self.context = Arc::new(PassContext {
            client: self.context.client.clone(),
            politeness: if limits_changed {
                Arc::new(Politeness::new(new_config.fetch.concurrency, new_config.fetch.per_host))
            } else {
                self.context.politeness.clone()
            },
            store: self.context.store.clone(),
            cancel: self.context.cancel.clone(),
            stop_starting: self.context.stop_starting.clone(),
            settings: new_config.fetch.clone(),
            metrics: self.context.metrics.clone(),
            classifier: classifier.clone(),
        });
        let settings = new_config.dedup.clone();
        let _ = self
            .context
            .store
            .call(move |store| {
                let engine = store.story_engine();
                engine.settings = settings;
                engine.classifier = Some(classifier);
                Ok(())
            })
            .await;
        tracing::info!(sources = new_config.sources.len(), "Config reloaded.");
        self.config.replace(new_config);
    }
}

fn schedule_after(now: Timestamp, wait: Duration) -> Timestamp {
    crate::schedule::after(now, wait)
}
