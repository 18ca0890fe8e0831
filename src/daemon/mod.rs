//! `lodestone run`: the daemon. Fetches every due source at once on start, then each on its own
//! schedule; sends the daily digests (`digests`); reloads the config on SIGHUP; serves the HTTP
//! API if `[http]` is set; tells systemd how it is (READY, STOPPING, WATCHDOG); stops cleanly
//! on SIGTERM and SIGINT.
//!
//! Shutdown, in three steps: stop starting fetches; let those in flight finish for up to
//! [`SHUTDOWN_GRACE`], then cancel them (a source's results are one transaction, so nothing is
//! half-written); close the database. This module wires the parts together; the scheduling
//! decisions are in `schedule`, the work in `pipeline`, the API in `http`.

mod digests;
mod notify;
mod scheduler;

use std::path::PathBuf;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jiff::Timestamp;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::classify::Classifier;
use crate::config::Config;
use crate::fetch::{Politeness, http_client};
use crate::metrics::Metrics;
use crate::pipeline::PassContext;
use crate::store::{Store, StoreHandle, StoreReaders};
pub use notify::Notifier;
use scheduler::Scheduler;

/// How long fetches in flight may run on after a stop signal before they are cancelled.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Read-only connections serving the HTTP API and the scheduler's reads.
const READER_CONNECTIONS: usize = 2;

/// What the daemon is started with, besides the config file.
#[derive(Clone, Debug, Default)]
pub struct DaemonOptions {
    pub config_file: PathBuf,
    /// `--db`, overriding `[storage] path`.
    pub database: Option<PathBuf>,
    /// `$NOTIFY_SOCKET`, when run by systemd with `Type=notify`.
    pub notify_socket: Option<PathBuf>,
    /// `$WATCHDOG_USEC`, when systemd expects watchdog pings.
    pub watchdog: Option<Duration>,
}

/// Why the daemon could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Bad config or settings: exit 2.
    #[error("{0}")]
    Config(String),
    /// Anything else: exit 1.
    #[error("{0}")]
    Runtime(String),
}

/// The config in use, replaced as a whole on reload.
#[derive(Clone)]
pub struct SharedConfig(Arc<RwLock<Arc<Config>>>);

impl SharedConfig {
    pub fn new(config: Config) -> SharedConfig {
        SharedConfig(Arc::new(RwLock::new(Arc::new(config))))
    }

    pub fn current(&self) -> Arc<Config> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn replace(&self, config: Config) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(config);
    }
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(options: DaemonOptions) -> Result<(), DaemonError> {
    let mut config =
        Config::load(&options.config_file).map_err(|error| DaemonError::Config(error.to_string()))?;
    let rules = config.classifier.get().map_err(|error| DaemonError::Config(error.to_string()))?;
    let token = match &config.http {
        Some(http) => http.read_token().map_err(DaemonError::Config)?,
        None => None,
    };
    // A missing SMTP password is a config error now, not a failed digest at 07:00.
    if let Some(smtp) = &config.smtp {
        smtp.read_password().map_err(DaemonError::Config)?;
    }
    let database = options.database.clone().unwrap_or_else(|| config.storage_path.clone());
    let mut store = Store::open(&database).map_err(|error| DaemonError::Runtime(error.to_string()))?;
    store.story_engine().settings = config.dedup.clone();
    let classifier = crate::labels::attach_stored_model(&mut config, &rules, &mut store)
        .map_err(|error| DaemonError::Runtime(error.to_string()))?;
    store
        .sync_sources(&config.sources, Timestamp::now())
        .map_err(|error| DaemonError::Runtime(error.to_string()))?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("lodestone")
            .build()
            .map_err(|error| DaemonError::Runtime(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(serve(options, config, classifier, token, store, database))
}

async fn serve(
    options: DaemonOptions,
    config: Config,
    classifier: Arc<Classifier>,
    token: Option<String>,
    store: Store,
    database: PathBuf,
) -> Result<(), DaemonError> {
    let runtime_error = |error: &dyn std::fmt::Display| DaemonError::Runtime(error.to_string());
    let listener = match &config.http {
        Some(http) => Some(tokio::net::TcpListener::bind(http.listen).await.map_err(|error| {
            DaemonError::Runtime(format!("cannot listen on {} ([http] listen): {error}", http.listen))
        })?),
        None => None,
    };
    let pending_cooldowns = store.pending_retry_afters(Timestamp::now()).map_err(|e| runtime_error(&e))?;
    let (writer, writer_thread) = StoreHandle::spawn(store).map_err(|e| runtime_error(&e))?;
    let (readers, reader_threads) =
        StoreReaders::open(&database, READER_CONNECTIONS).map_err(|e| runtime_error(&e))?;
    let readers = Arc::new(readers);
    let politeness = Politeness::new(config.fetch.concurrency, config.fetch.per_host);
    for (url, until) in pending_cooldowns {
        if let Ok(url) = url::Url::parse(&url) {
            politeness.set_cooldown(&url, until);
        }
    }
    let metrics = Arc::new(Metrics::default());
    let stop = CancellationToken::new();
    let context = Arc::new(PassContext {
        client: http_client().map_err(|e| runtime_error(&e))?,
        politeness: Arc::new(politeness),
        store: writer.clone(),
        cancel: CancellationToken::new(),
        stop_starting: stop.clone(),
        settings: config.fetch.clone(),
        metrics: metrics.clone(),
        classifier,
    });
    let shared_config = SharedConfig::new(config);
    let notifier = Notifier::new(options.notify_socket.clone());
    let (reload_sender, reload_receiver) = mpsc::unbounded_channel();
    spawn_signal_handlers(stop.clone(), reload_sender, options.config_file.clone(), notifier.clone())
        .map_err(|e| runtime_error(&e))?;
    let heartbeat = Arc::new(AtomicI64::new(Timestamp::now().as_second()));
    if let Some(interval) = options.watchdog {
        spawn_watchdog(interval, readers.clone(), notifier.clone(), stop.clone());
    }
    let http_task = match listener {
        Some(listener) => {
            let state = crate::http::AppState {
                readers: readers.clone(),
                metrics: metrics.clone(),
                config: shared_config.clone(),
                heartbeat: heartbeat.clone(),
                token,
            };
            let shutdown = stop.clone();
            tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "HTTP API listening.");
            Some(tokio::spawn(crate::http::serve(listener, state, shutdown)))
        }
        None => None,
    };
    let digest_task = tokio::spawn(digests::run(
        shared_config.clone(),
        writer.clone(),
        metrics.clone(),
        stop.clone(),
        Timestamp::now(),
    ));
    let tracker = TaskTracker::new();
    let scheduler = Scheduler {
        config: shared_config,
        context,
        readers: readers.clone(),
        tracker: tracker.clone(),
        heartbeat,
    };
    let ready_notifier = notifier.clone();
    let context = scheduler
        .run(stop.clone(), reload_receiver, move || {
            tracing::info!("Ready: first schedule made.");
            ready_notifier.ready();
        })
        .await;
    notifier.stopping();
    tracing::info!(in_flight = tracker.len(), "Stopping: no new fetches; waiting for those in flight.");
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait()).await.is_err() {
        tracing::warn!(
            in_flight = tracker.len(),
            "Fetches still running after the grace period; cancelling them."
        );
        context.cancel.cancel();
        tracker.wait().await;
    }
    if let Some(task) = http_task {
        let _ = task.await;
    }
    let _ = digest_task.await;
    drop(context);
    drop(writer);
    drop(readers);
    // The store threads end when their last handle is gone; joining closes the database.
    tokio::task::spawn_blocking(move || {
        let _ = writer_thread.join();
        for thread in reader_threads {
            let _ = thread.join();
        }
    })
    .await
    .map_err(|e| runtime_error(&e))?;
    tracing::info!("Stopped cleanly.");
    Ok(())
}

/// SIGTERM and SIGINT stop the daemon; SIGHUP reloads the config (a broken one is rejected
/// with a log line naming the key, and the running config stays).
fn spawn_signal_handlers(
    stop: CancellationToken,
    reloads: mpsc::UnboundedSender<Config>,
    config_file: PathBuf,
    notifier: Notifier,
) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = terminate.recv() => { tracing::info!("SIGTERM received."); stop.cancel(); break; }
                _ = interrupt.recv() => { tracing::info!("SIGINT received."); stop.cancel(); break; }
                _ = hangup.recv() => {
                    notifier.reloading();
                    // The classifier is compiled here, so that a broken taxonomy rejects the reload
                    // like any other config error.
                    match Config::load(&config_file).and_then(|config| config.classifier.get().map(|_| config)) {
                        Ok(config) => { let _ = reloads.send(config); }
                        Err(error) => tracing::error!(%error, "Config reload rejected; the running config stays."),
                    }
                    notifier.ready();
                }
            }
        }
    });
    Ok(())
}

/// Pings systemd's watchdog at half its interval, but only while the database answers, so a
/// wedged database gets the service restarted.
fn spawn_watchdog(
    interval: Duration,
    readers: Arc<StoreReaders>,
    notifier: Notifier,
    stop: CancellationToken,
) {
    let period = interval / 2;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(period) => {}
            }
            match tokio::time::timeout(period, readers.call(|store| store.ping())).await {
                Ok(Ok(())) => notifier.watchdog(),
                Ok(Err(error)) => tracing::error!(%error, "Database check failed; not pinging the watchdog."),
                Err(_) => tracing::error!("Database check timed out; not pinging the watchdog."),
            }
        }
    });
}
