//! SMM-shaped pages and config for the HTML source tests: the list fixture (with its absolute
//! links pointed at a test server when articles are to be followed), article pages with SMM's
//! boilerplate, and a `[[source]]` block with SMM's selectors.

#![allow(dead_code)]

use crate::support::{TestServer, Workspace, fixture};

pub const LIST_PATH: &str = "/list/industry/rare-earth";

/// An SMM-shaped `[[source]]` with a scrape block; `extra` lines are added to the block.
pub fn smm_source(name: &str, url: &str, extra: &str) -> String {
    format!(
        r#"[[source]]
name = "{name}"
url = "{url}"
kind = "html"
[source.scrape]
item = '[class*="newsItem___"]'
title = '[class*="title___"]'
link = 'a[href*="/newscontent/"]@href'
date = '[class*="date___"]'
date_format = ["%b %d, %Y %H:%M", "%b %d, %Y", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
timezone = "Asia/Shanghai"
summary = '[class*="description___"]'
id_pattern = '/newscontent/(\d+)'
series = ['^[\[【](SMM [^\]】:]+)[\]】:]', '\[(SMM [^\]]+)\]\s*$']
{extra}

"#
    )
}

pub fn list_fixture() -> String {
    String::from_utf8(fixture("smm/list.html")).unwrap()
}

/// The list with its absolute news.metal.com links pointed at `server`, so every article can
/// be followed there.
pub fn list_on(server: &TestServer) -> String {
    list_fixture().replace("https://news.metal.com", &server.url(""))
}

/// (path, title) of every article the list links to.
pub fn listed_articles(list: &str) -> Vec<(String, String)> {
    let pattern =
        regex::Regex::new(r#"<a href="([^"]+)"[^>]*>\s*<div class="title___1baLV">([^<]+)</div>"#).unwrap();
    pattern
        .captures_iter(list)
        .map(|captures| {
            let path = captures[1].split_once("://").map_or(captures[1].to_string(), |(_, rest)| {
                rest.find('/').map_or("/".to_string(), |at| rest[at..].to_string())
            });
            (path, captures[2].to_string())
        })
        .collect()
}

/// An article page shaped like SMM's, with its boilerplate.
pub fn article_page(title: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta property="og:title" content="{title} - Shanghai Metals Market"></head>
<body><div class="detail___G1"><h1>{title}</h1><div class="info___I1"><span>Published: Feb 6, 2026 18:46</span></div>
<div class="content___C1"><p>Full story: {title}.</p><p>Second paragraph with details.</p>
<p>Data Source Statement: Except for publicly available information, all data are processed by SMM.</p>
<div class="relatedNews___R1"><h3>Related News</h3><a href="/newscontent/1-x">Other</a></div></div></div></body></html>"#
    )
}

pub fn sql_rows(workspace: &Workspace, query: &str) -> Vec<Vec<String>> {
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    let mut statement = connection.prepare(query).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|index| row.get::<_, Option<String>>(index).map(Option::unwrap_or_default))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
