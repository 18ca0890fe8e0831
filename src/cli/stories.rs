//! `query --stories`, `lodestone story ID` and `lodestone restory`.

use super::table::{TABLE_WIDTH, cell, csv_field, row, short_time};
use super::time_arg::time_flag;
use super::{Cli, CliError, OutputFormat, load_config, open_store, runtime};
use crate::store::{MemberRow, StoryRow};

pub fn print_stories(stories: &[StoryRow], format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(stories)?),
        OutputFormat::Jsonl => {
            for story in stories {
                println!("{}", serde_json::to_string(story)?);
            }
        }
        OutputFormat::Csv => {
            println!("story,title,url,first_seen,last_seen,size,sources,topics,items");
            for story in stories {
                let items: Vec<String> = story.items.iter().map(i64::to_string).collect();
                let topics: Vec<String> =
                    story.topics.iter().map(|t| format!("{}:{:.2}", t.topic, t.score)).collect();
                let fields = [
                    story.story.to_string(),
                    story.title.clone(),
                    story.url.clone().unwrap_or_default(),
                    story.first_seen.clone(),
                    story.last_seen.clone(),
                    story.size.to_string(),
                    story.sources.join(";"),
                    topics.join(";"),
                    items.join(";"),
                ];
                let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
                println!("{}", line.join(","));
            }
        }
        OutputFormat::Table => {
            const TOPIC_WIDTH: usize = 14;
            let title_width = TABLE_WIDTH - 7 - 17 - 5 - 20 - TOPIC_WIDTH - 5;
            println!(
                "{}",
                row(&[
                    cell("STORY", 7),
                    cell("LAST SEEN (UTC)", 17),
                    cell("SIZE", 5),
                    cell("SOURCES", 20),
                    cell("TOPIC", TOPIC_WIDTH),
                    "TITLE".into()
                ])
            );
            for story in stories {
                println!(
                    "{}",
                    row(&[
                        cell(&story.story.to_string(), 7),
                        cell(&short_time(&story.last_seen), 17),
                        cell(&story.size.to_string(), 5),
                        cell(&story.sources.join(","), 20),
                        cell(story.topics.first().map_or("-", |topic| topic.topic.as_str()), TOPIC_WIDTH),
                        cell(&story.title, title_width),
                    ])
                );
            }
        }
    }
    Ok(())
}

pub fn run_story(cli: &Cli, id: i64, format: OutputFormat) -> Result<(), CliError> {
    let config = load_config(cli)?;
    let store = open_store(cli, &config)?;
    let story = store
        .story(id)
        .map_err(runtime)?
        .ok_or_else(|| CliError::Runtime(anyhow::anyhow!("no story {id}")))?;
    let members = store.story_members(id).map_err(runtime)?;
    match format {
        OutputFormat::Json => {
            let value = serde_json::json!({"story": story, "members": members});
            println!("{}", serde_json::to_string_pretty(&value).map_err(runtime)?);
        }
        OutputFormat::Jsonl => {
            for member in &members {
                println!("{}", serde_json::to_string(member).map_err(runtime)?);
            }
        }
        OutputFormat::Csv => {
            println!("item,source,published,reason,score,matched_item,canonical,title,url");
            for member in &members {
                let fields = [
                    member.item.to_string(),
                    member.source.clone(),
                    member.published.clone(),
                    member.reason.clone(),
                    format!("{:.3}", member.score),
                    member.matched_item.map(|item| item.to_string()).unwrap_or_default(),
                    member.canonical.to_string(),
                    member.title.clone(),
                    member.url.clone().unwrap_or_default(),
                ];
                let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
                println!("{}", line.join(","));
            }
        }
        OutputFormat::Table => print_members(&story, &members),
    }
    Ok(())
}

fn print_members(story: &StoryRow, members: &[MemberRow]) {
    println!(
        "story {}: {} ({} items, {} sources)",
        story.story,
        story.title,
        story.size,
        story.sources.len()
    );
    println!(
        "{}",
        row(&[
            cell("ITEM", 7),
            cell("PUBLISHED (UTC)", 17),
            cell("SOURCE", 16),
            cell("JOINED AS", 16),
            cell("SCORE", 5),
            "TITLE".into()
        ])
    );
    let title_width = TABLE_WIDTH - 7 - 17 - 16 - 16 - 5 - 5;
    for member in members {
        let reason = match member.matched_item {
            Some(matched) => format!("{} #{matched}", member.reason),
            None => member.reason.clone(),
        };
        let marker = if member.canonical { "*" } else { " " };
        println!(
            "{}",
            row(&[
                cell(&format!("{marker}{}", member.item), 7),
                cell(&short_time(&member.published), 17),
                cell(&member.source, 16),
                cell(&reason, 16),
                cell(&format!("{:.2}", member.score), 5),
                cell(&member.title, title_width),
            ])
        );
    }
    println!("(* the canonical item)");
}

pub fn run_restory(cli: &Cli, since: Option<&str>) -> Result<(), CliError> {
    let since = time_flag(since, "since")?;
    let mut config = load_config(cli)?;
    let rules = config.classifier.get()?;
    let mut store = open_store(cli, &config)?;
    crate::labels::attach_stored_model(&mut config, &rules, &mut store).map_err(runtime)?;
    let report = store.restory(since).map_err(runtime)?;
    println!(
        "restory: {} items placed again ({} joined a story), {} stories removed",
        report.items, report.joined, report.stories_removed
    );
    Ok(())
}
