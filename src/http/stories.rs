//! Story and topic endpoints: `/api/stories`, `/api/stories/{id}`, `/api/topics`, and the
//! stories as Atom (`/feeds/stories.atom`, `/feeds/topics/{topic}.atom`).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;

use super::AppState;
use super::api::{bad_parameter, not_found_json, store_failure};
use super::atom::{self, FeedHead, StoryEntry};
use super::params::{BadParameter, item_filter};
use crate::cli::time_arg::parse_time_arg;
use crate::model::format_time;
use crate::store::ItemFilter;

pub async fn stories(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let filter = match item_filter(query.as_deref(), Timestamp::now(), &state.config.current().classifier) {
        Ok(filter) => filter,
        Err(bad) => return bad_parameter(bad),
    };
    let search = filter.search.clone();
    match state.readers.call(move |store| store.query_stories(&filter)).await {
        Ok(stories) => Json(stories).into_response(),
        Err(error) => store_failure(error, search),
    }
}

pub async fn story(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return bad_parameter(BadParameter {
            parameter: "id".into(),
            error: format!("`{id}` is not a story id"),
        });
    };
    match state.readers.call(move |store| store.story(id)).await {
        Ok(Some(story)) => Json(story).into_response(),
        Ok(None) => not_found_json(format!("no story {id}")),
        Err(error) => store_failure(error, None),
    }
}

/// Every topic of the taxonomy, in its order, with the items and stories tagged with it
/// (optionally over items published in `since`..`until`).
pub async fn topics(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let now = Timestamp::now();
    let (mut since, mut until) = (None, None);
    for (name, value) in url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        let slot = match name.as_ref() {
            "since" => &mut since,
            "until" => &mut until,
            other => {
                return bad_parameter(BadParameter {
                    parameter: other.to_string(),
                    error: format!("unknown parameter `{other}` (topics take since and until)"),
                });
            }
        };
        match parse_time_arg(&value, now) {
            Ok(time) => *slot = Some(format_time(time)),
            Err(error) => return bad_parameter(BadParameter { parameter: name.to_string(), error }),
        }
    }
    let counts =
        state.readers.call(move |store| store.topic_counts(since.as_deref(), until.as_deref())).await;
    let counts = match counts {
        Ok(counts) => counts,
        Err(error) => return store_failure(error, None),
    };
    let config = state.config.current();
    let known = match config.classifier.outline() {
        Ok(known) => known,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": error.to_string()})))
                .into_response();
        }
    };
    let topics: Vec<_> = known
        .iter()
        .map(|topic| {
            let (items, stories) = counts.get(&topic.name).copied().unwrap_or((0, 0));
            json!({"topic": topic.name, "description": topic.description, "items": items, "stories": stories})
        })
        .collect();
    Json(topics).into_response()
}

pub async fn stories_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let filter = match item_filter(query.as_deref(), Timestamp::now(), &state.config.current().classifier) {
        Ok(filter) => filter,
        Err(bad) => return bad_parameter(bad),
    };
    feed(
        state,
        &headers,
        filter,
        "urn:lodestone:feed:stories".into(),
        "lodestone: stories".into(),
        "/feeds/stories.atom",
    )
    .await
}

pub async fn topic_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let config = state.config.current();
    let Some(topic) = file.strip_suffix(".atom") else {
        return not_found_json(format!("no feed {file}; topic feeds are /feeds/topics/TOPIC.atom"));
    };
    if !config.classifier.knows_topic(topic).unwrap_or(false) {
        return not_found_json(format!("no topic `{topic}` in the taxonomy (see /api/topics)"));
    }
    let mut filter = match item_filter(query.as_deref(), Timestamp::now(), &config.classifier) {
        Ok(filter) => filter,
        Err(bad) => return bad_parameter(bad),
    };
    filter.topics = vec![topic.to_string()];
    let path = format!("/feeds/topics/{topic}.atom");
    feed(
        state,
        &headers,
        filter,
        format!("urn:lodestone:feed:topic:{topic}"),
        format!("lodestone: {topic}"),
        &path,
    )
    .await
}

async fn feed(
    state: AppState,
    headers: &HeaderMap,
    filter: ItemFilter,
    id: String,
    title: String,
    path: &str,
) -> Response {
    let search = filter.search.clone();
    let entries = state
        .readers
        .call(move |store| {
            let mut entries = Vec::new();
            for story in store.query_stories(&filter)? {
                let members = store.story_members(story.story)?;
                let canonical = store.item(story.canonical_item)?;
                entries.push(StoryEntry { story, members, canonical });
            }
            Ok(entries)
        })
        .await;
    let entries = match entries {
        Ok(entries) => entries,
        Err(error) => return store_failure(error, search),
    };
    // The self link is absolute only when the client said which host it asked for.
    let self_url = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .map(|host| format!("http://{host}{path}"));
    let now = format_time(Timestamp::now());
    let head = FeedHead { id: &id, title: &title, self_url: self_url.as_deref(), now: &now };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        atom::render(&head, &entries),
    )
        .into_response()
}
