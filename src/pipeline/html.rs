//! One pass over an HTML source once its list page has answered: the list → entries → which of
//! them are new → their article pages → items → one store transaction.
//!
//! The list page itself is fetched by `refresh_source` like any source's (conditional GET,
//! politeness, Retry-After). Without `follow` the list is all there is, and its entries are
//! stored like a feed's. With `follow`, an article page is fetched only for an entry the store
//! does not have yet, at most `max_follow` a pass, each through the same per-host and global
//! limits as every other request; entries already stored are left as they are (the list adds
//! nothing their article did not have). New entries beyond `max_follow` are left for the next
//! pass: not stored now (so they are still new then), and the list's validators and hash
//! not recorded (so that pass reads the list again even if it has not changed). An article page
//! that fails for good (404, not HTML, too large) keeps its entry with what the list said; one
//! that fails for now (429, 5xx, a timeout, or a host that asked us to wait) is left for the
//! next pass like those beyond `max_follow`, unless the list dates it more than a day back
//! (then its list data is stored: a page that keeps failing must not lose the item). A 429 or
//! 503 on an article holds off the whole host (its Retry-After, else a minute), and the source
//! records it so the next pass waits too. Failures are logged and noted in the fetch log. Only a
//! list page that cannot be read fails the source, and then nothing is stored.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use jiff::Timestamp;
use url::Url;
use xxhash_rust::xxh3::xxh3_64;

use super::refresh::{FailedFetch, Success, record_failure, store_success};
use super::{PassContext, SourceOutcome};
use crate::classify::Classifier;
use crate::config::{ScrapeRules, SourceConfig};
use crate::fetch::{self, FetchRequest, FetchResponse};
use crate::model::{Entry, Item, ItemCounts};
use crate::normalize::NormalizeContext;
use crate::parse::ParseError;
use crate::parse::article::{merge_article, parse_article};
use crate::parse::html::parse_list;
use crate::store::{FetchOutcome, FetchRecord, SourceState, Store, StoreError};

/// What a list page brought in this pass.
#[derive(Default)]
struct ListPass {
    items: Vec<Item>,
    /// Entries on the list that are stored already (counted as unchanged).
    already_stored: usize,
    /// New entries beyond `max_follow`, for the next pass.
    left_for_next_pass: usize,
    /// Article pages that failed, one sentence each.
    notes: Vec<String>,
}

/// How long an article that fails for now is tried again on later passes, counted from the
/// list's date: past that, the entry is stored with what the list said.
const RETRY_ARTICLES_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// How long a host that answered an article with 429 or 503 and no Retry-After is left alone.
const OVERLOAD_PAUSE: Duration = Duration::from_secs(60);

/// What became of one article page.
enum Article {
    /// Read and merged; a problem is noted when the body selector matched nothing.
    Read(Option<String>),
    /// Failed for good: the entry keeps what the list said.
    Failed(String),
    /// Failed for now: worth another try on a later pass.
    Later(String),
}

enum ListFailure {
    Failed(String),
    Cancelled,
}

/// Stores what an HTML source's list page (and the article pages it leads to) brought.
pub(super) async fn store_list_response(
    context: &PassContext,
    source: &SourceConfig,
    state: &SourceState,
    request: &FetchRequest,
    response: FetchResponse,
    started_at: Timestamp,
) -> SourceOutcome {
    let Some(rules) = source.scrape.clone() else {
        return SourceOutcome::Failed { error: "kind = \"html\" but no scrape rules".to_string() };
    };
    if let Some(new_url) = &response.permanent_redirect {
        tracing::info!(from = %request.url, to = %new_url, "Permanent redirect: the new URL is used from now on.");
    }
    let body_hash =
        (!response.not_modified).then(|| (xxh3_64(&response.body) ^ rules_fingerprint(&rules)) as i64);
    let unchanged = response.not_modified || body_hash == state.body_hash;
    let bytes = response.body.len() as u64;
    let pass = if unchanged {
        ListPass::default()
    } else {
        match read_list(context, source, &rules, state, &response, started_at).await {
            Ok(pass) => pass,
            Err(ListFailure::Cancelled) => return SourceOutcome::Cancelled,
            Err(ListFailure::Failed(message)) => {
                let failure =
                    FailedFetch { message, http_status: Some(response.status), bytes, retry_after: None };
                return record_failure(context, source, state, request, started_at, failure).await;
            }
        }
    };
    let outcome = match (response.not_modified, unchanged) {
        (true, _) => FetchOutcome::NotModified,
        (false, true) => FetchOutcome::Unchanged,
        (false, false) => FetchOutcome::Ok,
    };
    if pass.left_for_next_pass > 0 {
        tracing::info!(
            left = pass.left_for_next_pass,
            "New articles left for the next pass (beyond max_follow, or failing for now)."
        );
    }
    // Validators and the body hash would let the next pass skip this very list, and with it the
    // articles left for later.
    let list_done = pass.left_for_next_pass == 0;
    let record = FetchRecord {
        source_id: state.id,
        started_at,
        url: request.url.to_string(),
        http_status: Some(response.status),
        bytes,
        duration: response.elapsed,
        outcome,
        error: (!pass.notes.is_empty()).then(|| pass.notes.join("; ")),
        etag: response.etag.clone().filter(|_| list_done),
        last_modified: response.last_modified.clone().filter(|_| list_done),
        body_hash: body_hash.filter(|_| list_done),
        permanent_redirect: response.permanent_redirect.as_ref().map(Url::to_string),
        // An article answered 429/503: the next pass (of this process or the next) waits.
        retry_after_until: context
            .politeness
            .cooldown_until(&request.url)
            .filter(|until| *until > Timestamp::now()),
        next_fetch_at: None,
    };
    let success = Success {
        record,
        items: pass.items,
        ttl: None,
        max_age: response.max_age,
        already_stored: pass.already_stored,
        warnings: pass.notes,
    };
    store_success(context, source, success).await
}

/// Parses, normalizes and stores a local HTML list page (`lodestone ingest`) in one
/// transaction, without following its articles. The outer error is the store's.
pub fn store_list_body(
    store: &mut Store,
    record: &FetchRecord,
    classifier: &Classifier,
    source: &SourceConfig,
    body: &[u8],
    fetched_at: Timestamp,
) -> Result<Result<ItemCounts, ParseError>, StoreError> {
    match items_from_list(classifier, source, body, None, &source.url, fetched_at) {
        Ok(items) => Ok(Ok(store.record_fetch(record, items, fetched_at)?)),
        Err(error) => Ok(Err(error)),
    }
}

/// The items of an HTML list page by `source`'s rules, without following its articles.
pub fn items_from_list(
    classifier: &Classifier,
    source: &SourceConfig,
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    fetched_at: Timestamp,
) -> Result<Vec<Item>, ParseError> {
    let Some(rules) = source.scrape.as_deref() else {
        return Err(ParseError::NotHtml("a body for a source without scrape rules".to_string()));
    };
    let list = parse_list(body, content_type, rules, page_url, fetched_at)?;
    Ok(normalize_all(
        classifier,
        source,
        list.items.into_iter().map(|item| item.entry).collect(),
        page_url,
        fetched_at,
    ))
}

async fn read_list(
    context: &PassContext,
    source: &SourceConfig,
    rules: &Arc<ScrapeRules>,
    state: &SourceState,
    response: &FetchResponse,
    now: Timestamp,
) -> Result<ListPass, ListFailure> {
    let page_url = response.final_url.clone();
    let parsed = {
        let (rules, page_url) = (rules.clone(), page_url.clone());
        let (body, content_type) = (response.body.clone(), response.content_type.clone());
        tokio::task::spawn_blocking(move || {
            parse_list(&body, content_type.as_deref(), &rules, &page_url, now)
        })
        .await
    };
    let list = match parsed {
        Ok(Ok(list)) => list,
        Ok(Err(error)) => return Err(ListFailure::Failed(error.to_string())),
        Err(join_error) => {
            return Err(ListFailure::Failed(format!("parsing stopped abnormally: {join_error}")));
        }
    };
    let entries: Vec<Entry> = list.items.into_iter().map(|item| item.entry).collect();
    let mut pass = ListPass::default();
    let entries = if rules.follow {
        let guids: Vec<String> = entries.iter().filter_map(|entry| entry.guid.clone()).collect();
        let source_id = state.id;
        let stored = context
            .store
            .call(move |store| store.existing_guids(source_id, &guids))
            .await
            .map_err(|error| ListFailure::Failed(format!("reading the stored items failed: {error}")))?;
        let (known, mut new): (Vec<Entry>, Vec<Entry>) = entries
            .into_iter()
            .partition(|entry| entry.guid.as_ref().is_some_and(|guid| stored.contains(guid)));
        pass.already_stored = known.len();
        pass.left_for_next_pass = new.len().saturating_sub(rules.max_follow);
        new.truncate(rules.max_follow);
        let followed = follow_articles(context, source, rules, new, now, &mut pass.notes).await?;
        pass.left_for_next_pass += followed.later;
        followed.entries
    } else {
        entries
    };
    let (classifier, source) = (context.classifier.clone(), source.clone());
    pass.items =
        tokio::task::spawn_blocking(move || normalize_all(&classifier, &source, entries, &page_url, now))
            .await
            .map_err(|join_error| {
                ListFailure::Failed(format!("normalizing stopped abnormally: {join_error}"))
            })?;
    Ok(pass)
}

/// The entries to store after following their articles, and how many were left for later.
struct Followed {
    entries: Vec<Entry>,
    later: usize,
}

/// Fetches the article page of each entry (concurrently, within the politeness limits) and
/// merges what it gives; entries come back in list order, without those left for later.
async fn follow_articles(
    context: &PassContext,
    source: &SourceConfig,
    rules: &Arc<ScrapeRules>,
    entries: Vec<Entry>,
    now: Timestamp,
    notes: &mut Vec<String>,
) -> Result<Followed, ListFailure> {
    let follows = entries.into_iter().map(|entry| follow_article(context, source, rules.clone(), entry, now));
    let results = tokio::select! {
        biased;
        _ = context.cancel.cancelled() => return Err(ListFailure::Cancelled),
        results = join_all(follows) => results,
    };
    let mut followed = Followed { entries: Vec::with_capacity(results.len()), later: 0 };
    for (entry, article) in results {
        match article {
            Article::Read(problem) => {
                if let Some(problem) = problem {
                    tracing::warn!(error = %problem, "Article page incomplete; the list's data is kept.");
                    notes.push(problem);
                }
                followed.entries.push(entry);
            }
            Article::Failed(problem) => {
                tracing::warn!(error = %problem, "Article page failed; the list's data is kept.");
                notes.push(problem);
                followed.entries.push(entry);
            }
            Article::Later(problem) if worth_retrying(&entry, now) => {
                tracing::info!(error = %problem, "Article page failed for now; followed again next pass.");
                notes.push(format!("{problem}; followed again next pass"));
                followed.later += 1;
            }
            Article::Later(problem) => {
                tracing::warn!(error = %problem, "Article page still failing a day on; the list's data is kept.");
                notes.push(problem);
                followed.entries.push(entry);
            }
        }
    }
    Ok(followed)
}

/// Whether an entry whose article failed for now may wait for a later pass: only while the list
/// dates it within a day. Without a date there is no telling how long it has been failing.
fn worth_retrying(entry: &Entry, now: Timestamp) -> bool {
    entry.published.is_some_and(|published| now.duration_since(published) <= RETRY_ARTICLES_FOR)
}

/// One article: the entry (merged with the page when it could be read) and how it went.
async fn follow_article(
    context: &PassContext,
    source: &SourceConfig,
    rules: Arc<ScrapeRules>,
    mut entry: Entry,
    now: Timestamp,
) -> (Entry, Article) {
    let Some(url) = entry.link.as_deref().and_then(|link| Url::parse(link).ok()) else {
        return (entry, Article::Read(None));
    };
    let request = FetchRequest {
        url: url.clone(),
        etag: None,
        last_modified: None,
        timeout: source.timeout,
        max_body: source.max_body,
        user_agent: source.user_agent.clone(),
    };
    let fetched = {
        let _permit = context.politeness.acquire(&url).await;
        // Checked with the slot held: another article of this pass may just have been told
        // to back off.
        if let Some(until) = context.politeness.cooldown_until(&url).filter(|until| *until > Timestamp::now())
        {
            return (
                entry,
                Article::Later(format!("article {url}: the host asked us to wait until {until}")),
            );
        }
        fetch::fetch(&context.client, &request).await
    };
    let response = match fetched {
        Ok(response) => response,
        Err(error) => {
            if let Some(wait) = error.retry_after().or_else(|| error.is_overload().then_some(OVERLOAD_PAUSE))
            {
                context.politeness.set_cooldown(&url, crate::schedule::after(Timestamp::now(), wait));
            }
            let problem = format!("article {url}: {error}");
            return (
                entry,
                if error.is_transient() { Article::Later(problem) } else { Article::Failed(problem) },
            );
        }
    };
    tracing::debug!(%url, status = response.status, bytes = response.body.len(), "Article fetched.");
    let parsed = {
        let rules = rules.clone();
        let FetchResponse { body, content_type, final_url, .. } = response;
        tokio::task::spawn_blocking(move || {
            parse_article(&body, content_type.as_deref(), &rules, &final_url, now)
        })
        .await
    };
    match parsed {
        Ok(Ok(article)) => {
            let problem = rules
                .body
                .as_ref()
                .filter(|_| article.body_html.is_none())
                .map(|body| format!("article {url}: selector `{}` (body) matched nothing", body.text));
            merge_article(&mut entry, &article, &rules);
            (entry, Article::Read(problem))
        }
        Ok(Err(error)) => (entry, Article::Failed(format!("article {url}: {error}"))),
        Err(join_error) => {
            (entry, Article::Failed(format!("article {url}: parsing stopped abnormally: {join_error}")))
        }
    }
}

/// A hash of the rules as written, mixed into the list's body hash: a page read with rules the
/// user has since changed (a fixed selector, another date format) is read again, not skipped as
/// unchanged.
fn rules_fingerprint(rules: &ScrapeRules) -> u64 {
    let optional = |text: Option<&String>| text.map_or("", String::as_str).to_string();
    let mut parts = vec![
        rules.item.text.clone(),
        rules.title.text.clone(),
        rules.link.text.clone(),
        optional(rules.date.as_ref().map(|field| &field.text)),
        rules.date_formats.join("\u{1f}"),
        rules.timezone_name.clone(),
        optional(rules.summary.as_ref().map(|field| &field.text)),
        optional(rules.id_pattern.as_ref().map(|pattern| &pattern.text)),
        rules.follow.to_string(),
        optional(rules.body.as_ref().map(|body| &body.text)),
        optional(rules.article_date.as_ref().map(|field| &field.text)),
        optional(rules.title_suffix.as_ref().map(|pattern| &pattern.text)),
    ];
    parts.extend(rules.series.iter().map(|pattern| pattern.text.clone()));
    parts.extend(rules.drop.iter().map(|pattern| pattern.text.clone()));
    parts.extend(rules.article_title.iter().map(|field| field.text.clone()));
    xxh3_64(parts.join("\u{1e}").as_bytes())
}

fn normalize_all(
    classifier: &Classifier,
    source: &SourceConfig,
    entries: Vec<Entry>,
    page_url: &Url,
    fetched_at: Timestamp,
) -> Vec<Item> {
    let context = NormalizeContext::new(page_url.clone(), fetched_at);
    entries.into_iter().filter_map(|entry| super::prepare_item(entry, &context, classifier, source)).collect()
}
