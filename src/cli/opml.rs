//! `lodestone opml import FILE` and `lodestone opml export`.
//!
//! Import appends `[[source]]` entries for feeds whose URL is not configured yet to the end of
//! the config file, leaving the rest of the file (and its comments) as it was; the result is
//! validated before it is written, and written by rename so a failure leaves the old file.

use std::collections::HashSet;
use std::path::Path;

use super::{Cli, CliError, load_config, runtime};
use crate::config::{Config, SourceKind};
use crate::opml::{OpmlFeed, parse_opml, write_opml};

pub fn run_import(cli: &Cli, file: &Path, dry_run: bool) -> Result<(), CliError> {
    let config = load_config(cli)?;
    let text = std::fs::read_to_string(file)
        .map_err(|error| CliError::Usage(anyhow::anyhow!("cannot read {}: {error}", file.display())))?;
    let feeds =
        parse_opml(&text).map_err(|error| CliError::Usage(anyhow::anyhow!("{}: {error}", file.display())))?;
    let mut known_urls: HashSet<String> =
        config.sources.iter().map(|source| source.url.to_string()).collect();
    let mut names: HashSet<String> = config.sources.iter().map(|source| source.name.clone()).collect();
    let mut additions = String::new();
    let mut added = 0;
    for feed in &feeds {
        let Ok(url) = url::Url::parse(&feed.xml_url) else {
            eprintln!("warning: skipped `{}`: invalid URL `{}`", feed.title, feed.xml_url);
            continue;
        };
        if !known_urls.insert(url.to_string()) {
            continue;
        }
        let name = unique_name(&slug(&feed.title), &mut names);
        additions.push_str(&source_entry(&name, feed, url.as_str()));
        added += 1;
    }
    if dry_run {
        print!("{additions}");
        return Ok(());
    }
    if added == 0 {
        println!("nothing to import: every feed of {} is already configured", file.display());
        return Ok(());
    }
    let original = std::fs::read_to_string(&config.file).map_err(runtime)?;
    let separator = if original.ends_with('\n') || original.is_empty() { "" } else { "\n" };
    let updated = format!("{original}{separator}\n# Imported from {}\n{additions}", file.display());
    // Never write a config that would not load.
    Config::parse(&updated, &config.file)?;
    let temporary = config.file.with_extension("toml.tmp");
    std::fs::write(&temporary, &updated).map_err(runtime)?;
    std::fs::rename(&temporary, &config.file).map_err(runtime)?;
    println!("imported {added} of {} feeds into {}", feeds.len(), config.file.display());
    Ok(())
}

pub fn run_export(cli: &Cli) -> Result<(), CliError> {
    let config = load_config(cli)?;
    let feeds: Vec<OpmlFeed> = config
        .sources
        .iter()
        .filter(|source| source.kind == SourceKind::Feed)
        .map(|source| OpmlFeed {
            title: source.title.clone(),
            xml_url: source.url.to_string(),
            html_url: None,
            category: source.category.clone(),
        })
        .collect();
    let skipped = config.sources.len() - feeds.len();
    if skipped > 0 {
        eprintln!("note: {skipped} HTML source(s) left out: OPML lists feeds only");
    }
    print!("{}", write_opml("lodestone sources", &feeds));
    Ok(())
}

fn source_entry(name: &str, feed: &OpmlFeed, url: &str) -> String {
    let quoted = |text: &str| toml::Value::String(text.to_string()).to_string();
    let mut entry = format!(
        "[[source]]\nname = {}\ntitle = {}\nurl = {}\n",
        quoted(name),
        quoted(&feed.title),
        quoted(url)
    );
    if let Some(category) = &feed.category {
        entry.push_str(&format!("category = {}\n", quoted(category)));
    }
    entry.push('\n');
    entry
}

/// A source name from a title: lower-case ASCII letters and digits joined by `-`.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    for character in title.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_alphanumeric() {
            slug.push(character);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(56).collect();
    if slug.is_empty() { "feed".to_string() } else { slug.trim_end_matches('-').to_string() }
}

fn unique_name(base: &str, names: &mut HashSet<String>) -> String {
    let mut candidate = base.to_string();
    let mut counter = 2;
    while !names.insert(candidate.clone()) {
        candidate = format!("{base}-{counter}");
        counter += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_source_names() {
        assert_eq!(slug("Mining Weekly: Asia!"), "mining-weekly-asia");
        assert_eq!(slug("矿业"), "feed");
        let mut names = HashSet::from(["feed".to_string()]);
        assert_eq!(unique_name("feed", &mut names), "feed-2");
    }
}
