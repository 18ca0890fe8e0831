//! HTML list extraction benchmark (issue: HTML sources). Run with `cargo bench --bench scrape`.
//!
//! On one SMM-shaped list page of 200 items (hashed CSS-module class names matched with
//! `[class*=…]`, a summary and a "Mon D, YYYY HH:MM" date in Asia/Shanghai per item, an
//! `id_pattern` and two `series` patterns), in process:
//! - `parse_list`: decode, build the DOM, run the selectors, read the dates, guids and series;
//! - the same plus `normalize` (plain text, sanitized HTML, hash): the items as stored;
//! - `parse_article` on one article page with boilerplate to drop, for scale.
//!
//! Medians of several runs; the goal is at least 5,000 list items a second.

use std::time::{Duration, Instant};

use lodestone::config::Config;
use lodestone::normalize::{NormalizeContext, normalize_entry};
use lodestone::parse::article::parse_article;
use lodestone::parse::html::parse_list;

const ITEMS: usize = 200;
const RUNS: usize = 25;
const GOAL_ITEMS_PER_SECOND: f64 = 5_000.0;

const CONFIG: &str = r#"
[[source]]
name = "bench"
url = "https://news.metal.com/list/industry/rare-earth"
kind = "html"
[source.scrape]
item = '[class*="newsItem___"]'
title = '[class*="title___"]'
link = 'a[href*="/newscontent/"]@href'
date = '[class*="date___"]'
date_format = ["%b %d, %Y %H:%M", "%b %d, %Y"]
timezone = "Asia/Shanghai"
summary = '[class*="description___"]'
id_pattern = '/newscontent/(\d+)'
series = ['^[\[【](SMM [^\]】:]+)[\]】:]', '\[(SMM [^\]]+)\]\s*$']
body = '[class*="content___"]'
drop = ["^Data Source Statement", "^For (any inquiries|more information)", "^Related (News|Price)", "^》"]
"#;

fn main() {
    let config = Config::parse(CONFIG, std::path::Path::new("bench.toml")).unwrap();
    let source = &config.sources[0];
    let rules = source.scrape.as_deref().unwrap();
    let page = list_page(ITEMS);
    let article = article_page();
    let now: jiff::Timestamp = "2026-02-06T12:00:00Z".parse().unwrap();
    println!("list page: {ITEMS} items, {:.0} KB", page.len() as f64 / 1e3);

    let extract = median(RUNS, || {
        let started = Instant::now();
        let list =
            parse_list(page.as_bytes(), Some("text/html; charset=utf-8"), rules, &source.url, now).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(list.items.len(), ITEMS);
        assert!(list.items.iter().all(|item| item.entry.published.is_some()));
        elapsed
    });
    let extract_and_normalize = median(RUNS, || {
        let started = Instant::now();
        let list =
            parse_list(page.as_bytes(), Some("text/html; charset=utf-8"), rules, &source.url, now).unwrap();
        let context = NormalizeContext::new(source.url.clone(), now);
        let items: Vec<_> =
            list.items.into_iter().map(|item| normalize_entry(item.entry, &context)).collect();
        let elapsed = started.elapsed();
        assert_eq!(items.len(), ITEMS);
        elapsed
    });
    let article_url = source.url.join("/newscontent/104150212-frontier").unwrap();
    let one_article = median(RUNS, || {
        let started = Instant::now();
        let parsed = parse_article(article.as_bytes(), Some("text/html"), rules, &article_url, now).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(parsed.dropped.len(), 3);
        elapsed
    });

    let per_second = |count: usize, duration: Duration| count as f64 / duration.as_secs_f64();
    println!();
    println!("{:<46} {:>10} {:>12}", "what", "median", "per second");
    let line = |what: &str, count: usize, duration: Duration| {
        println!("{what:<46} {:>8.2}ms {:>12.0}", duration.as_secs_f64() * 1e3, per_second(count, duration))
    };
    line("parse_list, 200-item page (items)", ITEMS, extract);
    line("parse_list + normalize (items)", ITEMS, extract_and_normalize);
    line("parse_article with drop (pages)", 1, one_article);
    let rate = per_second(ITEMS, extract_and_normalize);
    println!();
    println!(
        "list items/s, extraction + normalize: {rate:.0} (goal >= {GOAL_ITEMS_PER_SECOND:.0}: {})",
        if rate >= GOAL_ITEMS_PER_SECOND { "met" } else { "NOT met" }
    );
}

/// An SMM-shaped list page: the class names and nesting of news.metal.com's lists.
fn list_page(items: usize) -> String {
    let mut page = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rare Earth - News - SMM</title>\
         <script>window.g_initialProps = {};</script></head><body><div id=\"root\"><div class=\"newsList___x1\">",
    );
    let series = ["【SMM Flash】", "[SMM Analysis] ", "", "", ""];
    for index in 0..items {
        let id = 104_150_000 + index;
        let day = 1 + index % 28;
        let (hour, minute) = (index % 24, (index * 7) % 60);
        page.push_str(&format!(
            "<div class=\"newsItem___wZtKx\"><div class=\"newsItemContent___2oFIU\">\
             <a href=\"/newscontent/{id}-rare-earth-market-note-{index}\" target=\"_blank\">\
             <div class=\"title___1baLV\">{}Pr-Nd oxide prices edge up as magnet makers restock, note {index}{}</div></a>\
             <div class=\"description___z7ktb descriptionspec___lj3uG\">Pr-Nd oxide rose slightly on thin trade while \
             dysprosium and terbium oxides were flat; magnet makers bought for prompt needs and traders held offers \
             firm ahead of the weekly tender, item {index}.</div>\
             <div class=\"typeAndTime___3oQRN\"><span>Analysis</span> <div class=\"date___3dzkE\">Jan {day}, 2026 {hour}:{minute:02}</div></div>\
             </div></div>\n",
            series[index % series.len()],
            if index % 7 == 0 { " [SMM Rare Earth Daily Review]" } else { "" },
        ));
    }
    page.push_str("</div><div class=\"footer___PvIjk\"><span>More News</span></div></div></body></html>");
    page
}

fn article_page() -> String {
    let paragraphs: String = (0..12)
        .map(|index| format!("<p>Paragraph {index}: Pr-Nd oxide quotes were steady while <a href=\"/price/{index}\">terbium</a> eased.</p>"))
        .collect();
    format!(
        "<html><head><meta property=\"og:title\" content=\"Rare earth weekly - Shanghai Metals Market\"></head><body>\
         <h1>Rare earth weekly</h1><div><span>Published:</span> <span>Feb 6, 2026 18:46</span></div>\
         <div class=\"content___C3cc\">{paragraphs}<p>》View SMM Rare Earth Quotations</p>\
         <p>Data Source Statement: Except for publicly available information, all data are processed by SMM.</p>\
         <div class=\"relatedNews___R8\"><h3>Related News</h3><a href=\"/newscontent/1-x\">Other</a></div></div></body></html>"
    )
}

fn median(runs: usize, mut measure: impl FnMut() -> Duration) -> Duration {
    let mut durations: Vec<Duration> = (0..runs).map(|_| measure()).collect();
    durations.sort();
    durations[runs / 2]
}
