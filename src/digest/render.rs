//! The digest templates (minijinja): loading them, checking them, and rendering a digest's view.
//!
//! Operators edit `digest.html` and `digest.txt` without rebuilding; every `.html` and `.txt`
//! file of the directory is loaded at start, so one can `{% include %}` another. Undefined
//! variables are errors (`UndefinedBehavior::Strict`), and each template is rendered once
//! against sample digests when loaded, so a typo is a config error naming the file and line
//! rather than a failed digest. `.html` templates escape every value; the view only ever holds
//! plain text and http(s) links, so a story cannot add markup or a script to the mail.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::sections::{ChartCounts, Grouped};
use super::{CHART_CONTENT_ID, DigestError, DigestRequest, OTHER_TOPIC, chart};

const HTML_TEMPLATE: &str = "digest.html";
const TEXT_TEMPLATE: &str = "digest.txt";
const BUILT_IN_HTML: &str = include_str!("../../config/templates/digest.html");
const BUILT_IN_TEXT: &str = include_str!("../../config/templates/digest.txt");

/// The compiled templates.
pub struct Templates {
    environment: Environment<'static>,
    /// Where they came from, for messages: a directory, or None for the built-in ones.
    pub directory: Option<PathBuf>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Templates").field("directory", &self.directory).finish_non_exhaustive()
    }
}

/// A template that does not load, compile or render, located in its file.
#[derive(Debug)]
pub struct TemplateError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl Templates {
    /// The templates shipped in `config/templates/`, compiled into the binary.
    pub fn built_in() -> Result<Templates, TemplateError> {
        let sources = vec![
            (HTML_TEMPLATE.to_string(), BUILT_IN_HTML.to_string()),
            (TEXT_TEMPLATE.to_string(), BUILT_IN_TEXT.to_string()),
        ];
        Templates::compile(sources, None)
    }

    /// Every `.html` and `.txt` file of `directory`; `digest.html` and `digest.txt` must be
    /// among them.
    pub fn load(directory: &Path) -> Result<Templates, TemplateError> {
        let unreadable = |error: std::io::Error| TemplateError {
            file: directory.to_path_buf(),
            line: None,
            message: error.to_string(),
        };
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(directory).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            let is_template =
                path.extension().is_some_and(|extension| extension == "html" || extension == "txt");
            let Some(name) = path.file_name().and_then(|name| name.to_str()).filter(|_| is_template) else {
                continue;
            };
            let source = std::fs::read_to_string(&path).map_err(|error| TemplateError {
                file: path.clone(),
                line: None,
                message: error.to_string(),
            })?;
            sources.push((name.to_string(), source));
        }
        for required in [HTML_TEMPLATE, TEXT_TEMPLATE] {
            if !sources.iter().any(|(name, _)| name == required) {
                return Err(TemplateError {
                    file: directory.join(required),
                    line: None,
                    message: "missing: the digest needs this template".to_string(),
                });
            }
        }
        Templates::compile(sources, Some(directory.to_path_buf()))
    }

    fn compile(
        sources: Vec<(String, String)>,
        directory: Option<PathBuf>,
    ) -> Result<Templates, TemplateError> {
        let mut environment = Environment::new();
        environment.set_undefined_behavior(UndefinedBehavior::Strict);
        // Templates are text: keep the final newline so the text part ends like a text file.
        let syntax = minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build();
        if let Ok(syntax) = syntax {
            environment.set_syntax(syntax);
        }
        let file_of = |name: &str| template_file(directory.as_deref(), name);
        for (name, source) in sources {
            environment.add_template_owned(name.clone(), source).map_err(|error| TemplateError {
                file: file_of(&name),
                line: error.line(),
                message: template_message(&error),
            })?;
        }
        let templates = Templates { environment, directory: directory.clone() };
        for view in [DigestView::sample(true), DigestView::sample(false)] {
            for name in [HTML_TEMPLATE, TEXT_TEMPLATE] {
                templates.render(name, &view).map_err(|error| TemplateError {
                    file: file_of(error.name().unwrap_or(name)),
                    line: error.line(),
                    message: template_message(&error),
                })?;
            }
        }
        Ok(templates)
    }

    pub fn render_html(&self, view: &DigestView) -> Result<String, DigestError> {
        self.render(HTML_TEMPLATE, view).map_err(|error| self.rendering_error(HTML_TEMPLATE, &error))
    }

    pub fn render_text(&self, view: &DigestView) -> Result<String, DigestError> {
        self.render(TEXT_TEMPLATE, view).map_err(|error| self.rendering_error(TEXT_TEMPLATE, &error))
    }

    /// A template that failed on a real digest (the samples rendered when it was loaded did not
    /// reach that path), named like a load-time error: the file (the included one, when the
    /// error is there) and line, so the operator knows which file to fix.
    fn rendering_error(&self, name: &str, error: &minijinja::Error) -> DigestError {
        let file = template_file(self.directory.as_deref(), error.name().unwrap_or(name));
        let line = error.line().map(|line| format!(":{line}")).unwrap_or_default();
        DigestError::Template { name: format!("{}{line}", file.display()), message: template_message(error) }
    }

    fn render(&self, name: &str, view: &DigestView) -> Result<String, minijinja::Error> {
        self.environment.get_template(name)?.render(minijinja::Value::from(minijinja::value::Serde(view)))
    }
}

fn template_message(error: &minijinja::Error) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

/// Where template `name` comes from: its file in `directory`, or the built-in copy.
fn template_file(directory: Option<&Path>, name: &str) -> PathBuf {
    match directory {
        Some(directory) => directory.join(name),
        None => PathBuf::from("config/templates (built in)").join(name),
    }
}

/// What the templates see. Every string is plain text (one line where it comes from a source);
/// `url` fields are http(s) or absent.
#[derive(Clone, Debug, Serialize)]
pub struct DigestView {
    pub subject: String,
    /// `2026-02-07`, and `Saturday 7 February 2026`.
    pub date: String,
    pub date_long: String,
    pub recipient: String,
    pub story_count: usize,
    /// The period covered, local time (`Fri 6 Feb 07:00`), and the zone's name.
    pub window_start: String,
    pub window_end: String,
    pub time_zone: String,
    pub topic_counts: Vec<TopicCountView>,
    pub companies: Vec<MentionView>,
    pub commodities: Vec<MentionView>,
    pub sections: Vec<SectionView>,
    pub chart: Option<ChartView>,
    /// The recipient's topic filter; empty when they get every topic.
    pub topics_filter: Vec<String>,
    pub version: String,
    /// When it was made, local time.
    pub generated_at: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TopicCountView {
    pub topic: String,
    pub label: String,
    pub anchor: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct MentionView {
    pub name: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionView {
    pub topic: String,
    pub label: String,
    pub anchor: String,
    pub stories: Vec<StoryView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StoryView {
    pub title: String,
    pub url: Option<String>,
    pub sources: Vec<String>,
    pub more_sources: usize,
    pub reports: i64,
    pub summary: String,
    pub entities: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartView {
    /// `cid:…` in a mail.
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl DigestView {
    /// The view of `grouped`, whose lines it takes over (a digest of thousands of stories
    /// would otherwise copy every string of every line once more).
    pub fn new(
        request: &DigestRequest,
        grouped: Grouped,
        subject: &str,
        chart: Option<&ChartCounts>,
    ) -> DigestView {
        let local = |time: jiff::Timestamp| time.to_zoned_datetime(request.time_zone.clone());
        let story_count = grouped.story_ids.len();
        let sections: Vec<SectionView> = grouped
            .sections
            .into_iter()
            .map(|section| SectionView {
                topic: section.topic.clone(),
                label: request
                    .topic_labels
                    .get(&section.topic)
                    .map(|label| super::sections::one_line(label))
                    .unwrap_or_else(|| topic_label(&section.topic)),
                anchor: format!("topic-{}", section.topic),
                stories: section
                    .lines
                    .into_iter()
                    .map(|line| StoryView {
                        title: line.title,
                        url: line.url,
                        sources: line.sources,
                        more_sources: line.more_sources,
                        reports: line.reports,
                        summary: line.summary,
                        entities: line.entities,
                    })
                    .collect(),
            })
            .collect();
        let mentions = |list: &[(String, usize)]| -> Vec<MentionView> {
            list.iter().map(|(name, count)| MentionView { name: name.clone(), count: *count }).collect()
        };
        DigestView {
            subject: subject.to_string(),
            date: request.date.to_string(),
            date_long: request.date.strftime("%A %-d %B %Y").to_string(),
            recipient: request.recipient.name.clone(),
            story_count,
            window_start: local(request.window_start).strftime("%a %-d %b %H:%M").to_string(),
            window_end: local(request.window_end).strftime("%a %-d %b %H:%M").to_string(),
            time_zone: request.time_zone_name.to_string(),
            topic_counts: sections
                .iter()
                .map(|section| TopicCountView {
                    topic: section.topic.clone(),
                    label: section.label.clone(),
                    anchor: section.anchor.clone(),
                    count: section.stories.len(),
                })
                .collect(),
            companies: mentions(&grouped.companies),
            commodities: mentions(&grouped.commodities),
            sections,
            chart: chart.map(|counts| ChartView {
                src: format!("cid:{CHART_CONTENT_ID}"),
                width: chart::DISPLAY_WIDTH,
                height: chart::display_height(counts),
                alt: chart_alt(counts),
            }),
            topics_filter: request.recipient.topics.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            generated_at: local(request.now).strftime("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// A digest with every field in use (`full`) or an empty one, to check templates with.
    fn sample(full: bool) -> DigestView {
        let story = StoryView {
            title: "Sample story".into(),
            url: Some("https://example.com/story".into()),
            sources: vec!["Sample Source ×2".into()],
            more_sources: 1,
            reports: 3,
            summary: "One line of summary.".into(),
            entities: vec!["$565M".into(), "Sample Company".into()],
        };
        let sections = if full {
            vec![SectionView {
                topic: "finance".into(),
                label: "Finance".into(),
                anchor: "topic-finance".into(),
                stories: vec![story.clone(), StoryView { url: None, more_sources: 0, ..story }],
            }]
        } else {
            Vec::new()
        };
        let mention = MentionView { name: "Sample".into(), count: 2 };
        DigestView {
            subject: "lodestone digest — 2026-02-07 — 2 stories".into(),
            date: "2026-02-07".into(),
            date_long: "Saturday 7 February 2026".into(),
            recipient: "sample".into(),
            story_count: if full { 2 } else { 0 },
            window_start: "Fri 6 Feb 07:00".into(),
            window_end: "Sat 7 Feb 07:00".into(),
            time_zone: "Europe/Berlin".into(),
            topic_counts: sections
                .iter()
                .map(|section| TopicCountView {
                    topic: section.topic.clone(),
                    label: section.label.clone(),
                    anchor: section.anchor.clone(),
                    count: section.stories.len(),
                })
                .collect(),
            companies: if full { vec![mention.clone()] } else { Vec::new() },
            commodities: if full { vec![mention] } else { Vec::new() },
            sections,
            chart: full.then(|| ChartView {
                src: format!("cid:{CHART_CONTENT_ID}"),
                width: chart::DISPLAY_WIDTH,
                height: 200,
                alt: "chart".into(),
            }),
            topics_filter: if full { vec!["finance".into()] } else { Vec::new() },
            version: env!("CARGO_PKG_VERSION").to_string(),
            generated_at: "2026-02-07 07:00".into(),
        }
    }
}

/// `finance` → `Finance`; the section of stories without topics is `Other`.
pub fn topic_label(topic: &str) -> String {
    if topic == OTHER_TOPIC {
        return "Other".to_string();
    }
    let mut characters = topic.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect::<String>().replace('-', " "),
        None => String::new(),
    }
}

/// The chart in words, for screen readers and clients that block images.
fn chart_alt(counts: &ChartCounts) -> String {
    let totals: Vec<String> = counts
        .topics
        .iter()
        .enumerate()
        .map(|(index, topic)| {
            let total: u64 =
                counts.counts.iter().map(|day| u64::from(day.get(index).copied().unwrap_or(0))).sum();
            format!("{topic} {total}")
        })
        .collect();
    format!("Stories per topic over the last {} days: {}", counts.days.len(), totals.join(", "))
}
