//! The daily digest: one email a recipient a day, one line per story, grouped by topic.
//!
//! [`build`] turns stories into a finished digest (subject, plain text, HTML, chart) and does no
//! I/O: the stories, the sources' names, the templates and `now` are parameters. Around it:
//! `schedule` (when digests are due, across daylight-saving changes; pure), `sections` (topics,
//! summaries, entities; pure), `chart` (the PNG; pure), `render` (templates), `message` (the
//! MIME message and its Message-ID), `send` (SMTP) and `deliver` (claim, build, send, record:
//! the only part that talks to the store and the network). Nothing here decides *when* to run;
//! the daemon and the `digest` command do.

pub mod chart;
pub mod deliver;
mod font;
pub mod message;
pub mod render;
pub mod schedule;
pub mod sections;
pub mod send;

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::config::Recipient;
use crate::store::query::EntityValue;
use crate::store::{ItemRow, StoryRow};
use render::{DigestView, Templates};

/// The section of stories that have no topic.
pub const OTHER_TOPIC: &str = "other";

/// The Content-ID of the chart image, as the HTML refers to it (`cid:` + this).
pub const CHART_CONTENT_ID: &str = "digest-chart@lodestone";

/// How many days the chart covers, the digest's day included.
pub const CHART_DAYS: usize = 7;

/// A source as the digest names it: its display title and the topics its config gives as hints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceLabel {
    pub title: String,
    pub topics: Vec<String>,
}

/// One story with what the digest shows of it: the canonical item (title, link, summary), the
/// source of each of its items, and the entities of all its items.
#[derive(Clone, Debug)]
pub struct StoryInput {
    pub story: StoryRow,
    pub canonical: Option<ItemRow>,
    /// One source name per item, to say "SMM News ×3".
    pub item_sources: Vec<String>,
    pub entities: Vec<EntityValue>,
}

/// Everything one recipient's digest for one date is made from.
pub struct DigestRequest<'a> {
    pub recipient: &'a Recipient,
    pub date: Date,
    /// The period the stories come from, for the header.
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub time_zone: &'a TimeZone,
    pub time_zone_name: &'a str,
    /// Section order (the configured taxonomy's); unknown topics follow, then "Other".
    pub topic_order: &'a [String],
    /// Section titles by topic; a topic without one is titled from its name.
    pub topic_labels: &'a HashMap<String, String>,
    pub sources: &'a HashMap<String, SourceLabel>,
    pub stories: &'a [StoryInput],
    /// Stories first published in the chart's days ([`CHART_DAYS`] digest days up to `date`).
    pub history: &'a [StoryRow],
    /// The digest's `at`, to cut the chart's days the way digest windows are cut.
    pub at: jiff::civil::Time,
    pub now: Timestamp,
}

/// A finished digest, ready to be put in a message.
#[derive(Clone, Debug)]
pub struct Digest {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The chart, PNG; empty when there was nothing to draw.
    pub chart_png: Vec<u8>,
    /// The stories shown, in order.
    pub story_ids: Vec<i64>,
}

/// Why a digest could not be made or sent.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("chart: {0}")]
    Chart(String),
    #[error("message: {0}")]
    Message(String),
    #[error("SMTP: {0}")]
    Send(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The subject line: `lodestone digest — 2026-02-07 — 42 stories`.
pub fn subject(date: Date, story_count: usize) -> String {
    let noun = if story_count == 1 { "story" } else { "stories" };
    format!("lodestone digest — {date} — {story_count} {noun}")
}

/// The ids of the stories among `stories` that `recipient` gets (their topic filter applied).
pub fn select_stories(
    stories: &[StoryInput],
    recipient: &Recipient,
    topic_order: &[String],
    sources: &HashMap<String, SourceLabel>,
) -> Vec<i64> {
    stories
        .iter()
        .filter(|input| {
            sections::section_topic(&input.story, &recipient.topics, topic_order, sources).is_some()
        })
        .map(|input| input.story.story)
        .collect()
}

/// Builds the digest for `request` with `templates`. Pure: no I/O, no clock.
pub fn build(request: &DigestRequest, templates: &Templates) -> Result<Digest, DigestError> {
    let grouped = sections::group(request);
    let chart_counts = sections::chart_counts(request);
    let chart_png = if chart_counts.is_empty() {
        Vec::new()
    } else {
        chart::draw(&chart_counts).map_err(DigestError::Chart)?
    };
    let subject = subject(request.date, grouped.story_ids.len());
    let story_ids = grouped.story_ids.clone();
    let view = DigestView::new(request, grouped, &subject, (!chart_png.is_empty()).then_some(&chart_counts));
    let text = templates.render_text(&view)?;
    let html = templates.render_html(&view)?;
    Ok(Digest { subject, text, html, chart_png, story_ids })
}

#[cfg(test)]
mod tests;
