//! The command line: arguments, one function per subcommand, and how results are printed.
//!
//! Commands load the config, open the store and call the pipeline or the store's queries; the
//! work itself lives in those modules. Errors come back as [`CliError`], which carries the exit
//! code of the contract: 1 for a runtime failure, 2 for bad usage or bad config.

mod check;
mod classify;
mod digest;
mod fetch;
mod opml;
mod query;
mod scrape;
mod stories;
mod table;
pub mod time_arg;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigError};
pub use scrape::ScrapeArgs;

/// lodestone: metals and rare-earth news, fetched politely, deduplicated into stories, tagged,
/// stored in one SQLite file, and sent as a daily digest.
#[derive(Debug, Parser)]
#[command(name = "lodestone", version, about, max_term_width = 100)]
pub struct Cli {
    /// The config file.
    #[arg(long, global = true, env = "LODESTONE_CONFIG", default_value = "config/lodestone.toml")]
    pub config: PathBuf,
    /// The database file (overrides `[storage] path`).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: every source on its schedule, the HTTP API if `[http]` is set; SIGHUP
    /// reloads the config; SIGTERM/SIGINT stop it cleanly.
    Run {
        /// systemd's notification socket (set by systemd for `Type=notify`).
        #[arg(long, env = "NOTIFY_SOCKET", hide = true)]
        notify_socket: Option<PathBuf>,
        /// systemd's watchdog interval in microseconds (set by systemd with `WatchdogSec`).
        #[arg(long, env = "WATCHDOG_USEC", hide = true)]
        watchdog_usec: Option<u64>,
    },
    /// One pass over all (or the named) sources now, then exit.
    Fetch {
        /// Fetch only this source (repeatable).
        #[arg(long = "source", value_name = "NAME")]
        sources: Vec<String>,
    },
    /// Ingest local feed files (or an HTML source's list pages) as if fetched from a source
    /// (`-` reads stdin).
    Ingest {
        #[arg(long, value_name = "NAME")]
        source: String,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Items (or stories), newest first.
    Query(QueryArgs),
    /// Per-source status: last fetch, last success, HTTP status, items, errors, next run.
    Sources {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Validate the config and print what would run.
    Check,
    /// The items of one story, with the score and the reason each joined.
    Story {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Recompute stories (after a [dedup] change) for items published since a time, or all;
    /// items are not touched.
    Restory {
        /// RFC 3339 date or date-time, or a duration before now (7d); default: every item.
        #[arg(long)]
        since: Option<String>,
    },
    /// Why an item has its topics and entities: each rule's contribution, the matched text and
    /// where it is.
    Explain {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Tag stored items again (after a taxonomy or gazetteer change), in batches; items a user
    /// labelled keep their label.
    Reclassify {
        /// RFC 3339 date or date-time, or a duration before now (7d); default: every item.
        #[arg(long)]
        since: Option<String>,
    },
    /// Correct an item's topics (main first). The label overrides the classifier for that item;
    /// once there are enough labels, a model learned from them is blended with the rules.
    Label {
        id: i64,
        #[arg(required = true, value_name = "TOPIC")]
        topics: Vec<String>,
    },
    /// Show what an HTML source's rules extract from one page, without storing anything.
    Scrape(ScrapeArgs),
    /// Build the digest now: print it (--dry-run), write it to files (--out), or send and
    /// record it. A digest already sent for a recipient and date is not sent again without
    /// --force.
    Digest(DigestArgs),
    /// Exchange source lists with feed readers.
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum OpmlAction {
    /// Add the feeds of an OPML file to the config file (existing URLs are skipped).
    Import {
        file: PathBuf,
        /// Print the new [[source]] entries instead of appending them to the config file.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the configured feed sources as OPML.
    Export,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Only items published at or after this: RFC 3339 (2026-02-06, 2026-02-06T10:00:00Z) or a
    /// duration before now (36h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only items published before this (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Only items from this source (repeatable).
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// Only items of this series, as `query` shows it ("SMM Flash"; any case; repeatable).
    #[arg(long = "series", value_name = "SERIES")]
    pub series: Vec<String>,
    /// Only items with this topic (repeatable: any of them).
    #[arg(long = "topic", value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Only items naming this entity: a company, commodity, country, amount or tonnage, as
    /// written or by any alias ("DFC", "Nd", "$565M"; repeatable: all of them).
    #[arg(long = "entity", value_name = "VALUE")]
    pub entities: Vec<String>,
    /// Full-text search (FTS5 syntax: words, "phrases", OR, NOT, prefix*).
    #[arg(long)]
    pub search: Option<String>,
    /// At most this many rows; 0 = all.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// One row per story (stories with at least one matching item, latest first).
    #[arg(long)]
    pub stories: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// The digest of this date (YYYY-MM-DD): the stories first published in the 24 hours before
    /// it at `[digest] at`. Default: today's digest, with everything new since the previous one.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Only this recipient (a `[[digest.recipient]]` name); default: every recipient.
    #[arg(long, value_name = "NAME")]
    pub recipient: Option<String>,
    /// Print the text part; send and record nothing.
    #[arg(long, conflicts_with = "out")]
    pub dry_run: bool,
    /// Write NAME.eml, .html and .txt (and the chart's .png) to DIR; send and record nothing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Send again a digest already sent for that recipient and date (with a new Message-ID).
    #[arg(long)]
    pub force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// A command's failure and its exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or bad config: exit 2.
    Usage(anyhow::Error),
    /// Something failed at run time: exit 1.
    Runtime(anyhow::Error),
    /// Some sources failed; each was already reported on stderr: exit 1.
    SourcesFailed,
}

impl Command {
    /// The long-running command, which logs its work instead of printing results.
    pub fn is_daemon(&self) -> bool {
        matches!(self, Command::Run { .. })
    }

    /// The commands that turn many entries into items, tags and stories at once, and run on
    /// mimalloc (see `allocator`).
    pub fn is_batch(&self) -> bool {
        matches!(
            self,
            Command::Fetch { .. }
                | Command::Ingest { .. }
                | Command::Restory { .. }
                | Command::Reclassify { .. }
        )
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Runtime(_) | CliError::SourcesFailed => 1,
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> CliError {
        CliError::Usage(error.into())
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Run { notify_socket, watchdog_usec } => {
            let options = crate::daemon::DaemonOptions {
                config_file: cli.config.clone(),
                database: cli.db.clone(),
                notify_socket: notify_socket.clone(),
                watchdog: watchdog_usec.map(std::time::Duration::from_micros),
            };
            crate::daemon::run(options).map_err(|error| match error {
                crate::daemon::DaemonError::Config(message) => CliError::Usage(anyhow::anyhow!(message)),
                crate::daemon::DaemonError::Runtime(message) => CliError::Runtime(anyhow::anyhow!(message)),
            })
        }
        Command::Check => check::run(&cli),
        Command::Story { id, format } => stories::run_story(&cli, *id, *format),
        Command::Restory { since } => stories::run_restory(&cli, since.as_deref()),
        Command::Explain { id, format } => classify::run_explain(&cli, *id, *format),
        Command::Reclassify { since } => classify::run_reclassify(&cli, since.as_deref()),
        Command::Label { id, topics } => classify::run_label(&cli, *id, topics),
        Command::Scrape(arguments) => scrape::run(&cli, arguments),
        Command::Digest(arguments) => digest::run(&cli, arguments),
        Command::Fetch { sources } => fetch::run_fetch(&cli, sources),
        Command::Ingest { source, files } => fetch::run_ingest(&cli, source, files),
        Command::Query(arguments) => query::run_query(&cli, arguments),
        Command::Sources { format } => query::run_sources(&cli, *format),
        Command::Opml { action: OpmlAction::Import { file, dry_run } } => {
            opml::run_import(&cli, file, *dry_run)
        }
        Command::Opml { action: OpmlAction::Export } => opml::run_export(&cli),
    }
}

/// Loads the config named on the command line.
fn load_config(cli: &Cli) -> Result<Config, CliError> {
    Ok(Config::load(&cli.config)?)
}

/// Opens the store named by `--db` or the config.
fn open_store(cli: &Cli, config: &Config) -> Result<crate::store::Store, CliError> {
    open_store_as(cli, config, crate::store::Store::open)
}

/// [`open_store`] with another way of opening (`Store::open_for_bulk_load`).
fn open_store_as(
    cli: &Cli,
    config: &Config,
    open: fn(&std::path::Path) -> Result<crate::store::Store, crate::store::StoreError>,
) -> Result<crate::store::Store, CliError> {
    let path = cli.db.clone().unwrap_or_else(|| config.storage_path.clone());
    let mut store = open(&path).map_err(|error| CliError::Runtime(error.into()))?;
    store.story_engine().settings = config.dedup.clone();
    Ok(store)
}

fn runtime<E: Into<anyhow::Error>>(error: E) -> CliError {
    CliError::Runtime(error.into())
}
