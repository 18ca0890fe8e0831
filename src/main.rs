//! The `lodestone` binary: process setup (the allocator, malloc arenas, SIGPIPE), arguments,
//! logging, then `cli::run`. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use lodestone::cli::{self, Cli, CliError, LogFormat};

#[global_allocator]
static ALLOCATOR: lodestone::allocator::ProcessAllocator = lodestone::allocator::ProcessAllocator;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    if cli.command.is_batch() {
        lodestone::allocator::use_mimalloc_from_now();
    }
    if !cli.command.is_daemon() {
        // Rust ignores SIGPIPE, so printing to a closed pipe (`lodestone query | head`) is an
        // error that `println!` turns into a panic. A one-shot command should simply end, as
        // other Unix tools do. The daemon keeps ignoring it (a client hanging up is not fatal).
        // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    init_logging(&cli);
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                CliError::Usage(cause) | CliError::Runtime(cause) => eprintln!("error: {cause:#}"),
                // Each failed source has printed its own line.
                CliError::SourcesFailed => {}
            }
            ExitCode::from(error.exit_code())
        }
    }
}

/// One glibc malloc arena per core instead of eight: memory that parsing threads free stays
/// in their arenas for them to reuse, and with eight per core a 10,000-entry ingest held 18 MB
/// more (150 MB peak against 132) for no gain in speed (same times, measured).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |count| count.get()).max(2);
        // SAFETY: called first in main, before any other thread exists; mallopt takes no pointers.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores as libc::c_int);
        }
    }
}

/// Logs go to stderr. One-shot commands print their own results, so their default level is
/// `error` (a failing source is reported once, by the command); the daemon logs at `info`.
/// `RUST_LOG` overrides both: a level, or targets with levels (`info,lodestone::fetch=debug`).
/// Under journald (JOURNAL_STREAM set) timestamps are left to the journal.
///
/// `Targets`, not `EnvFilter`: EnvFilter's span-field filters pull in a DFA regex builder that
/// every `Regex::new` in the program then runs (it tripled the cost of loading a config with
/// scrape rules, which each command pays before doing anything).
fn init_logging(cli: &Cli) {
    let levels = if cli.command.is_daemon() {
        ["warn", "info", "debug", "trace"]
    } else {
        ["off", "error", "info", "debug"]
    };
    let index = if cli.quiet { 0 } else { (1 + cli.verbose as usize).min(3) };
    let from_environment = std::env::var("RUST_LOG").ok().filter(|text| !text.trim().is_empty());
    let filter = match from_environment.as_deref().map(str::parse::<Targets>) {
        Some(Ok(filter)) => filter,
        Some(Err(error)) => {
            eprintln!("warning: RUST_LOG not understood ({error}); using the default log level");
            levels[index].parse().unwrap_or_default()
        }
        None => levels[index].parse().unwrap_or_default(),
    };
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    let result = match (cli.log_format, under_journald) {
        (LogFormat::Json, _) => registry.with(layer.json()).try_init(),
        (LogFormat::Text, true) => registry.with(layer.without_time().with_ansi(false)).try_init(),
        (LogFormat::Text, false) => registry.with(layer).try_init(),
    };
    if let Err(error) = result {
        eprintln!("warning: logging not set up: {error}");
    }
}
