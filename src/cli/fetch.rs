//! `lodestone fetch` (one pass over the sources) and `lodestone ingest` (local files).
//!
//! Both finish every source they can, print one line per failed source on stderr
//! (`error: source NAME: …`) and fail with exit 1 if any source failed.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::table::{cell, row};
use super::{Cli, CliError, load_config, open_store, open_store_as, runtime};
use crate::config::{Config, SourceConfig};
use crate::fetch::{Politeness, format_bytes, http_client};
use crate::pipeline::{self, PassContext, SourceOutcome, SourceReport};
use crate::store::StoreHandle;

pub fn run_fetch(cli: &Cli, names: &[String]) -> Result<(), CliError> {
    let mut config = load_config(cli)?;
    let rules = config.classifier.get()?;
    let sources = select_sources(&config, names)?;
    let mut store = open_store(cli, &config)?;
    let classifier = crate::labels::attach_stored_model(&mut config, &rules, &mut store).map_err(runtime)?;
    store.sync_sources(&config.sources, Timestamp::now()).map_err(runtime)?;
    let (store_handle, store_thread) = StoreHandle::spawn(store).map_err(runtime)?;
    let tokio_runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(runtime)?;
    let cancel = CancellationToken::new();
    let context = Arc::new(PassContext {
        client: http_client().map_err(runtime)?,
        politeness: Arc::new(Politeness::new(config.fetch.concurrency, config.fetch.per_host)),
        store: store_handle,
        cancel: cancel.clone(),
        stop_starting: cancel.clone(),
        settings: config.fetch.clone(),
        metrics: Default::default(),
        classifier,
    });
    let reports = tokio_runtime.block_on(async {
        let cancel = context.cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        });
        pipeline::fetch_pass(context.clone(), sources).await
    });
    drop(context);
    drop(tokio_runtime);
    // The store thread ends once the last handle is gone; wait so the database closes cleanly.
    let _ = store_thread.join();
    print_reports(&reports);
    if reports.iter().any(SourceReport::failed) { Err(CliError::SourcesFailed) } else { Ok(()) }
}

/// The enabled sources, or the named ones (named sources run even when disabled: the user asked).
fn select_sources(config: &Config, names: &[String]) -> Result<Vec<SourceConfig>, CliError> {
    if names.is_empty() {
        return Ok(config.sources.iter().filter(|source| source.enabled).cloned().collect());
    }
    names
        .iter()
        .map(|name| {
            config.source(name).cloned().ok_or_else(|| {
                CliError::Usage(anyhow::anyhow!("unknown source `{name}` (not in {})", config.file.display()))
            })
        })
        .collect()
}

fn print_reports(reports: &[SourceReport]) {
    println!(
        "{}",
        row(&[
            cell("SOURCE", 24),
            cell("RESULT", 12),
            cell("NEW", 6),
            cell("UPDATED", 7),
            cell("SAME", 6),
            cell("HTTP", 4),
            cell("BYTES", 10),
            "MS".into()
        ])
    );
    for report in reports {
        let line = match &report.outcome {
            SourceOutcome::Fetched { outcome, counts, status, bytes, elapsed, .. } => row(&[
                cell(&report.source, 24),
                cell(outcome.as_str(), 12),
                cell(&counts.new.to_string(), 6),
                cell(&counts.updated.to_string(), 7),
                cell(&counts.unchanged.to_string(), 6),
                cell(&status.map(|s| s.to_string()).unwrap_or_default(), 4),
                cell(&format_bytes(*bytes), 10),
                elapsed.as_millis().to_string(),
            ]),
            SourceOutcome::Deferred { until } => {
                row(&[cell(&report.source, 24), format!("deferred until {until} (the server's Retry-After)")])
            }
            SourceOutcome::Cancelled => row(&[cell(&report.source, 24), "cancelled".into()]),
            SourceOutcome::Failed { .. } | SourceOutcome::FailedUnrecorded { .. } => {
                row(&[cell(&report.source, 24), "error".into()])
            }
        };
        println!("{line}");
    }
    for report in reports {
        match &report.outcome {
            SourceOutcome::Failed { error } | SourceOutcome::FailedUnrecorded { error } => {
                eprintln!("error: source {}: {error}", report.source)
            }
            SourceOutcome::Fetched { warnings, .. } => {
                for warning in warnings {
                    eprintln!("warning: source {}: {warning}", report.source);
                }
            }
            _ => {}
        }
    }
}

pub fn run_ingest(cli: &Cli, source_name: &str, files: &[PathBuf]) -> Result<(), CliError> {
    let mut config = load_config(cli)?;
    let source = config.source(source_name).cloned().ok_or_else(|| {
        CliError::Usage(anyhow::anyhow!("unknown source `{source_name}` (not in {})", config.file.display()))
    })?;
    // Start-up is done three ways at once: the files are read (one ahead of the one being
    // ingested), the classifier is compiled, and the database is opened. One after the other
    // they were 20 ms before the first entry of a 10,000-entry file was parsed.
    std::thread::scope(|scope| {
        let (sender, bodies) = mpsc::sync_channel(1);
        scope.spawn(move || {
            for file in files {
                // The receiver is gone when the ingest stopped early: nothing left to read.
                if sender.send(read_input(file)).is_err() {
                    break;
                }
            }
        });
        // A clone shares the compiled classifier with `config`'s.
        let setup = config.classifier.clone();
        let compiling = scope.spawn(move || setup.get());
        // A new database is written without the WAL until the end (see `open_for_bulk_load`).
        let opened = open_store_as(cli, &config, crate::store::Store::open_for_bulk_load);
        let rules = compiling.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let mut store = opened?;
        let classifier =
            crate::labels::attach_stored_model(&mut config, &rules, &mut store).map_err(runtime)?;
        store.sync_sources(&config.sources, Timestamp::now()).map_err(runtime)?;
        let mut failed = false;
        for (file, body) in files.iter().zip(bodies) {
            let label =
                if file.as_os_str() == "-" { "stdin".to_string() } else { file.display().to_string() };
            let body = match body {
                Ok(body) => body,
                Err(error) => {
                    eprintln!("error: source {source_name}: cannot read {label}: {error}");
                    failed = true;
                    continue;
                }
            };
            match pipeline::ingest_body(&mut store, &classifier, &source, &body, &label, Timestamp::now()) {
                Ok((outcome, counts)) => println!(
                    "{source_name}: {label}: {} ({} new, {} updated, {} unchanged)",
                    outcome.as_str(),
                    counts.new,
                    counts.updated,
                    counts.unchanged
                ),
                Err(error) => {
                    eprintln!("error: source {source_name}: {label}: {error}");
                    failed = true;
                }
            }
        }
        store.close_before_exit().map_err(runtime)?;
        if failed { Err(CliError::SourcesFailed) } else { Ok(()) }
    })
}

fn read_input(file: &PathBuf) -> std::io::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body)?;
        Ok(body)
    } else {
        std::fs::read(file)
    }
}
