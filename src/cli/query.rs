//! `lodestone query` and `lodestone sources`: rows from the store, printed as a table, JSON,
//! JSON lines or CSV.

use jiff::Timestamp;

use super::table::{TABLE_WIDTH, cell, csv_field, row, short_time};
use super::time_arg::parse_time_arg;
use super::{Cli, CliError, OutputFormat, QueryArgs, load_config, open_store, runtime};
use crate::filters;
use crate::store::{ItemFilter, ItemRow, SourceStatus, StoreError};

pub fn run_query(cli: &Cli, arguments: &QueryArgs) -> Result<(), CliError> {
    let now = Timestamp::now();
    let time = |text: &Option<String>, flag: &str| -> Result<Option<Timestamp>, CliError> {
        text.as_deref()
            .map(|text| {
                parse_time_arg(text, now)
                    .map_err(|message| CliError::Usage(anyhow::anyhow!("--{flag}: {message}")))
            })
            .transpose()
    };
    let config = load_config(cli)?;
    let topics = arguments
        .topics
        .iter()
        .map(|topic| {
            filters::check_topic(config.classifier.outline()?, topic)
                .map_err(|message| CliError::Usage(anyhow::anyhow!("--topic: {message}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter = ItemFilter {
        since: time(&arguments.since, "since")?,
        until: time(&arguments.until, "until")?,
        sources: arguments.sources.clone(),
        series: arguments.series.clone(),
        topics,
        // Resolving an entity needs the compiled gazetteer; most queries do without.
        entities: if arguments.entities.is_empty() {
            Vec::new()
        } else {
            let classifier = config.classifier.get()?;
            arguments.entities.iter().map(|entity| filters::resolve_entity(&classifier, entity)).collect()
        },
        search: arguments.search.clone(),
        limit: arguments.limit,
    };
    let store = open_store(cli, &config)?;
    let query_error = |error: StoreError| match error {
        StoreError::BadSearch { .. } => CliError::Usage(error.into()),
        other => runtime(other),
    };
    if arguments.stories {
        let stories = store.query_stories(&filter).map_err(query_error)?;
        return super::stories::print_stories(&stories, arguments.format).map_err(runtime);
    }
    let items = store.query_items(&filter).map_err(query_error)?;
    print_items(&items, arguments.format).map_err(runtime)
}

fn print_items(items: &[ItemRow], format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(items)?),
        OutputFormat::Jsonl => {
            for item in items {
                println!("{}", serde_json::to_string(item)?);
            }
        }
        OutputFormat::Csv => {
            println!(
                "id,source,guid,url,title,summary,published,fetched,updated,story,story_size,topics,entities,series"
            );
            for item in items {
                let topics: Vec<String> =
                    item.topics.iter().map(|t| format!("{}:{:.2}", t.topic, t.score)).collect();
                let entities: Vec<String> =
                    item.entities.iter().map(|e| format!("{}:{}", e.kind, e.value)).collect();
                let fields = [
                    item.id.to_string(),
                    item.source.clone(),
                    item.guid.clone(),
                    item.url.clone().unwrap_or_default(),
                    item.title.clone(),
                    item.summary.clone(),
                    item.published.clone(),
                    item.fetched.clone(),
                    item.updated.clone().unwrap_or_default(),
                    item.story.map(|s| s.to_string()).unwrap_or_default(),
                    item.story_size.map(|s| s.to_string()).unwrap_or_default(),
                    topics.join(";"),
                    entities.join(";"),
                    item.series.clone().unwrap_or_default(),
                ];
                let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
                println!("{}", line.join(","));
            }
        }
        OutputFormat::Table => print_item_table(items),
    }
    Ok(())
}

/// The series column is shown only when some item has a series, so that a list of feed items
/// keeps its full title width.
fn print_item_table(items: &[ItemRow]) {
    const SERIES_WIDTH: usize = 18;
    let with_series = items.iter().any(|item| item.series.is_some());
    let mut title_width = TABLE_WIDTH - 7 - 17 - 17 - 3;
    let mut header = vec![cell("ID", 7), cell("PUBLISHED (UTC)", 17), cell("SOURCE", 17)];
    if with_series {
        title_width -= SERIES_WIDTH + 1;
        header.push(cell("SERIES", SERIES_WIDTH));
    }
    header.push("TITLE".into());
    println!("{}", row(&header));
    for item in items {
        let mut cells = vec![
            cell(&item.id.to_string(), 7),
            cell(&short_time(&item.published), 17),
            cell(&item.source, 17),
        ];
        if with_series {
            cells.push(cell(item.series.as_deref().unwrap_or("-"), SERIES_WIDTH));
        }
        cells.push(cell(&item.title, title_width));
        println!("{}", row(&cells));
    }
}

pub fn run_sources(cli: &Cli, format: OutputFormat) -> Result<(), CliError> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    store.sync_sources(&config.sources, Timestamp::now()).map_err(runtime)?;
    let statuses = store.source_statuses().map_err(runtime)?;
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&statuses).map_err(runtime)?),
        OutputFormat::Jsonl => {
            for status in &statuses {
                println!("{}", serde_json::to_string(status).map_err(runtime)?);
            }
        }
        OutputFormat::Csv => {
            println!(
                "name,kind,url,last_fetch,last_success,last_status,items,consecutive_errors,next_run,last_error"
            );
            for status in &statuses {
                let fields = [
                    status.name.clone(),
                    status.kind.clone(),
                    status.url.clone(),
                    status.last_fetch.clone().unwrap_or_default(),
                    status.last_success.clone().unwrap_or_default(),
                    status.last_status.map(|s| s.to_string()).unwrap_or_default(),
                    status.items.to_string(),
                    status.consecutive_errors.to_string(),
                    status.next_run.clone().unwrap_or_default(),
                    status.last_error.clone().unwrap_or_default(),
                ];
                let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
                println!("{}", line.join(","));
            }
        }
        OutputFormat::Table => print_source_table(&statuses),
    }
    Ok(())
}

fn print_source_table(statuses: &[SourceStatus]) {
    let header = [
        cell("SOURCE", 22),
        cell("LAST FETCH", 16),
        cell("LAST SUCCESS", 16),
        cell("HTTP", 4),
        cell("ITEMS", 7),
        cell("ERRS", 4),
        "NEXT RUN".into(),
    ];
    println!("{}", row(&header));
    for status in statuses {
        let time = |value: &Option<String>| value.as_deref().map(short_time).unwrap_or_else(|| "-".into());
        println!(
            "{}",
            row(&[
                cell(&status.name, 22),
                cell(&time(&status.last_fetch), 16),
                cell(&time(&status.last_success), 16),
                cell(&status.last_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()), 4),
                cell(&status.items.to_string(), 7),
                cell(&status.consecutive_errors.to_string(), 4),
                cell(&time(&status.next_run), 16),
            ])
        );
        if let Some(error) = &status.last_error {
            println!("  {}", cell(&format!("last error: {error}"), TABLE_WIDTH - 2).trim_end());
        }
    }
}
