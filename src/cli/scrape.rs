//! `lodestone scrape`: what an HTML source's rules extract from one page (and, with `--follow`,
//! from its first article), printed for a person tuning selectors.
//!
//! It reads a local file, a given URL or the source's own URL, and never opens the database:
//! trying rules has no effect on what is stored. One request at a time, so no politeness limits
//! are needed beyond that.

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;
use url::Url;

use super::{Cli, CliError, load_config};
use crate::config::{ScrapeRules, SourceConfig, SourceKind};
use crate::fetch::{self, FetchRequest, FetchResponse, http_client};
use crate::model::format_time;
use crate::normalize::text::shorten;
use crate::normalize::{Layout, NormalizeContext, html_to_text, normalize_entry};
use crate::parse::article::{Article, merge_article, parse_article};
use crate::parse::html::{ListItem, ListPage, parse_list};

#[derive(Debug, Args)]
pub struct ScrapeArgs {
    /// The HTML source whose rules to apply.
    #[arg(long, value_name = "NAME")]
    pub source: String,
    /// Read the list page from this file (links resolve against the source's URL).
    #[arg(long, value_name = "PATH", conflicts_with = "url")]
    pub file: Option<PathBuf>,
    /// Fetch the list page from this URL instead of the source's.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Also fetch the first item's article page and show what the article rules extract.
    #[arg(long)]
    pub follow: bool,
}

pub fn run(cli: &Cli, arguments: &ScrapeArgs) -> Result<(), CliError> {
    let config = load_config(cli)?;
    let source = config.source(&arguments.source).ok_or_else(|| {
        CliError::Usage(anyhow::anyhow!(
            "unknown source `{}` (not in {})",
            arguments.source,
            config.file.display()
        ))
    })?;
    let Some(rules) = source.scrape.as_deref().filter(|_| source.kind == SourceKind::Html) else {
        return Err(CliError::Usage(anyhow::anyhow!(
            "source `{}` is not kind = \"html\"; `scrape` shows what HTML rules extract",
            source.name
        )));
    };
    let failed = |error: String| CliError::Runtime(anyhow::anyhow!("source {}: {error}", source.name));
    let now = Timestamp::now();
    let (page_url, body, content_type) = match (&arguments.file, &arguments.url) {
        (Some(file), _) => {
            let body = std::fs::read(file)
                .map_err(|error| failed(format!("cannot read {}: {error}", file.display())))?;
            (source.url.clone(), body, None)
        }
        (None, url) => {
            let url = match url {
                Some(text) => Url::parse(text)
                    .map_err(|error| CliError::Usage(anyhow::anyhow!("--url {text}: {error}")))?,
                None => source.url.clone(),
            };
            let response = fetch_page(source, &url).map_err(failed)?;
            (response.final_url, response.body, response.content_type)
        }
    };
    let list = parse_list(&body, content_type.as_deref(), rules, &page_url, now)
        .map_err(|e| failed(e.to_string()))?;
    print_list(&page_url, rules, &list, now);
    if arguments.follow {
        let first = &list.items[0];
        let link = first.entry.link.as_deref().unwrap_or_default();
        let article_url = Url::parse(link).map_err(|error| failed(format!("link `{link}`: {error}")))?;
        let response = fetch_page(source, &article_url).map_err(failed)?;
        let article =
            parse_article(&response.body, response.content_type.as_deref(), rules, &response.final_url, now)
                .map_err(|error| failed(format!("article {article_url}: {error}")))?;
        print_article(&response.final_url, rules, first, &article, now);
    }
    Ok(())
}

fn fetch_page(source: &SourceConfig, url: &Url) -> Result<FetchResponse, String> {
    let client = http_client().map_err(|error| error.to_string())?;
    let request = FetchRequest {
        url: url.clone(),
        etag: None,
        last_modified: None,
        timeout: source.timeout,
        max_body: source.max_body,
        user_agent: source.user_agent.clone(),
    };
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(fetch::fetch(&client, &request)).map_err(|error| format!("{error} ({url})"))
}

fn print_list(page_url: &Url, rules: &ScrapeRules, list: &ListPage, now: Timestamp) {
    println!("page:  {page_url}");
    println!(
        "items: {} matched by `{}`, {} kept (without a link or repeated: {})",
        list.matched,
        rules.item.text,
        list.items.len(),
        list.matched - list.items.len()
    );
    let context = NormalizeContext::new(page_url.clone(), now);
    for (index, item) in list.items.iter().enumerate() {
        let normalized = normalize_entry(item.entry.clone(), &context);
        println!();
        println!("{:>3}. {}", index + 1, normalized.title);
        println!("     link:      {}", normalized.url.as_deref().unwrap_or("-"));
        println!("     guid:      {}", normalized.guid);
        println!(
            "     published: {}",
            published_line(item.entry.published, item.date_text.as_deref(), rules)
        );
        println!("     series:    {}", normalized.series.as_deref().unwrap_or("-"));
        let summary = item.entry.summary_html.as_deref().map(|html| html_to_text(html, Layout::SingleLine));
        println!("     summary:   {}", summary.map(|text| shorten(&text, 160)).unwrap_or_else(|| "-".into()));
    }
}

fn print_article(
    article_url: &Url,
    rules: &ScrapeRules,
    first: &ListItem,
    article: &Article,
    now: Timestamp,
) {
    let mut entry = first.entry.clone();
    merge_article(&mut entry, article, rules);
    let item = normalize_entry(entry, &NormalizeContext::new(article_url.clone(), now));
    println!();
    println!("article: {article_url}");
    println!("     title:     {}", article.title.as_deref().unwrap_or("- (the list's title is kept)"));
    println!("     published: {}", published_line(article.published, article.date_text.as_deref(), rules));
    println!("     series:    {}", item.series.as_deref().unwrap_or("-"));
    match (&rules.body, &article.body_html) {
        (None, _) => println!("     body:      - (no `body` rule)"),
        (Some(body), None) => println!("     body:      - (selector `{}` matched nothing)", body.text),
        (Some(_), Some(_)) => {
            println!("     dropped:   {} block(s)", article.dropped.len());
            for dropped in &article.dropped {
                println!("                \"{dropped}…\"");
            }
            println!("     body ({} characters):", item.body_text.chars().count());
            for line in item.body_text.lines() {
                println!("       {line}");
            }
        }
    }
}

/// "2026-02-06T10:46:00Z ← "Feb 6, 2026 18:46" (Asia/Shanghai)", or why there is no date.
fn published_line(published: Option<Timestamp>, date_text: Option<&str>, rules: &ScrapeRules) -> String {
    match (published, date_text) {
        (Some(time), Some(text)) => format!("{} ← \"{text}\" ({})", format_time(time), rules.timezone_name),
        (Some(time), None) => format_time(time),
        (None, Some(text)) => {
            format!("- (\"{text}\" matches no date_format; the fetch time would be used)")
        }
        (None, None) => "- (no date found; the fetch time would be used)".to_string(),
    }
}
