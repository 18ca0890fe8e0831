//! `lodestone check`: validate the config (every selector and regex of HTML sources compiled,
//! the digest templates loaded and test-rendered) and print what would run.

use super::table::{TABLE_WIDTH, cell, row};
use super::{Cli, CliError, load_config};
use crate::config::SourceKind;
use crate::config::units::format_duration;
use crate::fetch::format_bytes;

pub fn run(cli: &Cli) -> Result<(), CliError> {
    let config = load_config(cli)?;
    // Compiling the taxonomy and gazetteers is part of checking them.
    let classifier = config.classifier.get()?;
    let database = cli.db.clone().unwrap_or_else(|| config.storage_path.clone());
    println!("config:   {} (valid)", config.file.display());
    println!("database: {}", database.display());
    let fetch = &config.fetch;
    println!(
        "fetch:    every {}, timeout {}, max body {}, {} at once, {} per host",
        format_duration(fetch.interval),
        format_duration(fetch.timeout),
        format_bytes(fetch.max_body),
        fetch.concurrency,
        fetch.per_host
    );
    println!("user agent: {}", fetch.user_agent);
    let topics: Vec<&str> = classifier.taxonomy().topics.iter().map(|topic| topic.name.as_str()).collect();
    println!("topics:   {} (taxonomy and gazetteers compiled)", topics.join(", "));
    let enabled = config.sources.iter().filter(|source| source.enabled).count();
    println!("sources:  {} ({} enabled)", config.sources.len(), enabled);
    println!();
    println!("{}", row(&[cell("NAME", 22), cell("KIND", 4), cell("EVERY", 6), cell("ON", 3), "URL".into()]));
    for source in &config.sources {
        let kind = match source.kind {
            SourceKind::Feed => "feed",
            SourceKind::Html => "html",
        };
        let url_width = TABLE_WIDTH - 22 - 4 - 6 - 3 - 4;
        println!(
            "{}",
            row(&[
                cell(&source.name, 22),
                cell(kind, 4),
                cell(&format_duration(source.interval), 6),
                cell(if source.enabled { "yes" } else { "no" }, 3),
                cell(source.url.as_str(), url_width),
            ])
        );
    }
    let html_sources: Vec<_> =
        config.sources.iter().filter_map(|s| Some((s, s.scrape.as_deref()?))).collect();
    if !html_sources.is_empty() {
        println!();
        println!("html rules (selectors and patterns compiled):");
        for (source, rules) in html_sources {
            let follow = if rules.follow {
                format!("follow {} a pass", rules.max_follow)
            } else {
                "list only".to_string()
            };
            let line = format!(
                "{}: item `{}`, {}, {follow}{}",
                source.name,
                rules.item.text,
                rules.timezone_name,
                if rules.series.is_empty() { "" } else { ", series" }
            );
            println!("  {}", cell(&line, TABLE_WIDTH - 2).trim_end());
        }
    }
    print_digest(&config);
    Ok(())
}

fn print_digest(config: &crate::config::Config) {
    let Some(digest) = &config.digest else { return };
    println!();
    let templates = match &digest.templates.directory {
        Some(directory) => directory.display().to_string(),
        None => "built in".to_string(),
    };
    println!(
        "digest:   daily at {} {}, catch up {} day(s){}, templates {templates}",
        digest.at.strftime("%H:%M"),
        digest.time_zone_name,
        digest.catch_up,
        if digest.skip_empty { ", empty days skipped" } else { "" }
    );
    for recipient in &digest.recipients {
        let topics =
            if recipient.topics.is_empty() { "every topic".to_string() } else { recipient.topics.join(", ") };
        println!("  {} <{}>: {topics}", recipient.name, recipient.email.email);
    }
    if let Some(smtp) = &config.smtp {
        let login = smtp.username.as_deref().map(|user| format!(", as {user}")).unwrap_or_default();
        let security = format!("{:?}", smtp.security).to_lowercase();
        println!("smtp:     {}:{} ({security}{login}), from {}", smtp.host, smtp.port, smtp.from);
    }
}
