//! The `lodestone` binary: arguments, logging, then `cli::run`. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use lodestone::cli::{self, Cli, CliError, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
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

/// Logs go to stderr. One-shot commands print their own results, so their default level is
/// `error` (a failing source is reported once, by the command); the daemon logs at `info`.
/// `RUST_LOG` overrides both. Under journald (JOURNAL_STREAM set) timestamps are left to the
/// journal.
fn init_logging(cli: &Cli) {
    let levels = if cli.command.is_daemon() {
        ["warn", "info", "debug", "trace"]
    } else {
        ["off", "error", "info", "debug"]
    };
    let index = if cli.quiet { 0 } else { (1 + cli.verbose as usize).min(3) };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(levels[index]));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let result = match (cli.log_format, under_journald) {
        (LogFormat::Json, _) => builder.json().try_init(),
        (LogFormat::Text, true) => builder.without_time().with_ansi(false).try_init(),
        (LogFormat::Text, false) => builder.try_init(),
    };
    if let Err(error) = result {
        eprintln!("warning: logging not set up: {error}");
    }
}
