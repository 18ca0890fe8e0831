//! The labelled news set (`tests/fixtures/labelled/*.jsonl`) and its rendering into the four
//! source formats the pipeline reads: RSS 2.0, Atom, JSON Feed and an SMM-like HTML list page.

#![allow(dead_code)]

use std::collections::HashMap;

use serde::Deserialize;

/// One labelled item.
#[derive(Clone, Debug, Deserialize)]
pub struct Labelled {
    pub id: String,
    pub source: String,
    pub format: String,
    pub story: String,
    pub title: String,
    pub body: String,
    pub published: String,
    pub url: String,
    pub topics: Vec<String>,
    pub entities: Entities,
    #[serde(default)]
    pub variant: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Entities {
    #[serde(default)]
    pub commodity: Vec<String>,
    #[serde(default)]
    pub company: Vec<String>,
    #[serde(default)]
    pub country: Vec<String>,
    #[serde(default)]
    pub money: Vec<Money>,
    #[serde(default)]
    pub quantity: Vec<Quantity>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Money {
    pub amount: f64,
    pub currency: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Quantity {
    pub tonnes: f64,
    pub per_year: bool,
}

/// Every item of the files whose names start with `prefix` (`items-`, `second-fetch-`).
pub fn load(prefix: &str) -> Vec<Labelled> {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labelled");
    let mut names: Vec<String> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix) && name.ends_with(".jsonl"))
        .collect();
    names.sort();
    let mut items = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(directory.join(&name)).unwrap();
        for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            items.push(
                serde_json::from_str(line).unwrap_or_else(|error| panic!("{name}:{}: {error}", number + 1)),
            );
        }
    }
    items
}

/// The items grouped by source name.
pub fn by_source(items: &[Labelled]) -> HashMap<String, Vec<Labelled>> {
    let mut grouped: HashMap<String, Vec<Labelled>> = HashMap::new();
    for item in items {
        grouped.entry(item.source.clone()).or_default().push(item.clone());
    }
    grouped
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn paragraphs_html(body: &str) -> String {
    body.split("\n\n").map(|paragraph| format!("<p>{}</p>", escape(paragraph.trim()))).collect()
}

fn timestamp(item: &Labelled) -> jiff::ZonedDateTime {
    let instant: jiff::Timestamp = item.published.parse().unwrap();
    // Keep the item's own offset: the pipeline must convert it.
    let offset_text = &item.published[item.published.len() - 6..];
    let offset = if offset_text.ends_with('Z') { "+00:00" } else { offset_text };
    let hours: i8 = offset[1..3].parse().unwrap();
    let minutes: i8 = offset[4..6].parse().unwrap();
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let tz = jiff::tz::TimeZone::fixed(
        jiff::tz::Offset::from_seconds(sign * (i32::from(hours) * 3600 + i32::from(minutes) * 60)).unwrap(),
    );
    instant.to_zoned_datetime(tz)
}

/// RSS 2.0; the guid is the item's id.
pub fn rss(items: &[Labelled]) -> String {
    let mut text = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Metals Wire</title><link>https://wire.example-metals.com/</link><description>Test wire</description>\n",
    );
    for item in items {
        let date = timestamp(item).strftime("%a, %d %b %Y %H:%M:%S %z").to_string();
        text.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid><pubDate>{date}</pubDate><description>{}</description></item>\n",
            escape(&item.title),
            escape(&item.url),
            item.id,
            escape(&paragraphs_html(&item.body))
        ));
    }
    text.push_str("</channel></rss>\n");
    text
}

/// Atom 1.0; the id is the item's id.
pub fn atom(items: &[Labelled]) -> String {
    let mut text = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Magnet Journal</title><id>urn:test:magnet-journal</id><updated>2026-02-12T00:00:00Z</updated>\n",
    );
    for item in items {
        let date = timestamp(item).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
        text.push_str(&format!(
            "<entry><title>{}</title><id>{}</id><link rel=\"alternate\" href=\"{}\"/><published>{date}</published><updated>{date}</updated><content type=\"html\">{}</content></entry>\n",
            escape(&item.title),
            item.id,
            escape(&item.url),
            escape(&paragraphs_html(&item.body))
        ));
    }
    text.push_str("</feed>\n");
    text
}

/// JSON Feed 1.1; the id is the item's id.
pub fn json_feed(items: &[Labelled]) -> String {
    let entries: Vec<serde_json::Value> = items
        .iter()
        .map(|item| {
            serde_json::json!({
                "id": item.id,
                "url": item.url,
                "title": item.title,
                "content_html": paragraphs_html(&item.body),
                "date_published": timestamp(item).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            })
        })
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "Asia Metals Brief", "items": entries}).to_string()
}

/// An SMM-like news list: hashed CSS-module classes, dates in Asia/Shanghai time, the body as
/// the item's description. Read with [`HTML_SCRAPE_RULES`].
pub fn html_list(items: &[Labelled]) -> String {
    let mut text = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>News - SMM</title></head><body><div class=\"newsList___x1\">\n",
    );
    for item in items {
        let local = item
            .published
            .parse::<jiff::Timestamp>()
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap());
        text.push_str(&format!(
            "<div class=\"newsItem___wZtKx\"><a href=\"{}\"><div class=\"title___1baLV\">{}</div></a><div class=\"description___z7ktb\">{}</div><div class=\"date___3dzkE\">{}</div></div>\n",
            escape(&item.url),
            escape(&item.title),
            paragraphs_html(&item.body),
            local.strftime("%b %-d, %Y %H:%M")
        ));
    }
    text.push_str("</div></body></html>\n");
    text
}

/// The scrape block that reads [`html_list`].
pub const HTML_SCRAPE_RULES: &str = "[source.scrape]\nitem = '[class*=\"newsItem___\"]'\ntitle = '[class*=\"title___\"]'\nlink = 'a@href'\nsummary = '[class*=\"description___\"]'\ndate = '[class*=\"date___\"]'\ndate_format = \"%b %d, %Y %H:%M\"\ntimezone = \"Asia/Shanghai\"\n";
