//! SMM-shaped scrape rules for unit tests, built from TOML so that they go through the same
//! validation as a user's.

use super::ScrapeRules;

/// The rules, with `extra` TOML lines added to the scrape block.
pub(crate) fn test_rules(extra: &str) -> ScrapeRules {
    let text = format!(
        r#"[[source]]
name = "smm"
url = "https://news.metal.com/list/industry/rare-earth"
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
series = ['^[\[【](SMM [^\]】:]+)[\]】:]', '\[(SMM [^\]]+)\]$']
body = '[class*="content___"]'
drop = ["^Data Source Statement", "^For (any inquiries|more information)", "^Related (News|Price)", "^》"]
{extra}
"#
    );
    let config =
        crate::config::Config::parse(&text, std::path::Path::new("test.toml")).expect("test rules are valid");
    config.sources[0].scrape.as_deref().cloned().expect("an html source has rules")
}
