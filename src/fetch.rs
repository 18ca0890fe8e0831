//! The HTTP side of a fetch: one client, conditional GET, redirects, size and time limits, and
//! the limits on concurrency (global and per host) that keep lodestone polite.
//!
//! It returns bytes and headers; it does not parse, store or decide when to fetch again. A
//! fetch is never retried here: the next pass (or the daemon's backoff) is the retry.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Retry-After values beyond this are capped, so a server cannot switch a source off for good.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1";

/// What one fetch asks for.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    pub url: Url,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub timeout: Duration,
    pub max_body: u64,
    pub user_agent: String,
}

/// A response that ended well: a body, or 304 Not Modified.
#[derive(Debug)]
pub struct FetchResponse {
    pub status: u16,
    pub not_modified: bool,
    pub final_url: Url,
    /// Set when every redirect hop was permanent (301/308).
    pub permanent_redirect: Option<Url>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    /// `Cache-Control: max-age`, for scheduling.
    pub max_age: Option<Duration>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

/// Why a fetch failed, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {}s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("body larger than the limit of {} (max_body)", format_bytes(*.0))]
    TooLarge(u64),
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Status { status: StatusCode, retry_after: Option<Duration> },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirect loop back to {0}")]
    RedirectLoop(Url),
    #[error("redirect with a bad Location header: {0}")]
    BadRedirect(String),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("reading the body failed: {0}")]
    Body(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// The HTTP status, when the server answered with one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(status.as_u16()),
            _ => None,
        }
    }

    /// How long the server asked us to wait (429/503 with Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the same request may well succeed later: a timeout, a connection or body
    /// failure, 429 (too many requests) or a 5xx. A 404, a body over the limit or a redirect
    /// loop will not change by asking again soon.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Connect(_) | FetchError::Body(_) => true,
            FetchError::Status { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
            _ => false,
        }
    }

    /// Whether the server said it is overloaded (429 or 503): the host should be left alone
    /// for a while even without a Retry-After.
    pub fn is_overload(&self) -> bool {
        matches!(
            self,
            FetchError::Status { status, .. }
                if *status == StatusCode::TOO_MANY_REQUESTS || *status == StatusCode::SERVICE_UNAVAILABLE
        )
    }
}

/// Builds the one HTTP client of the process. Redirects are followed by [`fetch`] itself, so
/// that permanent ones can be recorded and loops named.
pub fn http_client() -> Result<reqwest::Client, FetchError> {
    // reqwest is built without a default TLS provider; ring is ours. Installing twice is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .brotli(true)
        .deflate(true)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| FetchError::Client(error.to_string()))
}

/// Fetches `request.url` with conditional headers, following up to [`MAX_REDIRECTS`] redirects,
/// within `request.timeout` for the whole exchange including the body.
pub async fn fetch(client: &reqwest::Client, request: &FetchRequest) -> Result<FetchResponse, FetchError> {
    let started = Instant::now();
    match tokio::time::timeout(request.timeout, fetch_following_redirects(client, request, started)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(request.timeout)),
    }
}

async fn fetch_following_redirects(
    client: &reqwest::Client,
    request: &FetchRequest,
    started: Instant,
) -> Result<FetchResponse, FetchError> {
    let mut url = request.url.clone();
    let mut visited = HashSet::from([url.clone()]);
    let mut all_permanent = true;
    for _hop in 0..=MAX_REDIRECTS {
        let response = send(client, request, &url).await?;
        let status = response.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| FetchError::BadRedirect(format!("{status} without Location")))?;
            let next = url.join(location).map_err(|_| FetchError::BadRedirect(location.to_string()))?;
            all_permanent &=
                status == StatusCode::MOVED_PERMANENTLY || status == StatusCode::PERMANENT_REDIRECT;
            if !visited.insert(next.clone()) {
                return Err(FetchError::RedirectLoop(next));
            }
            url = next;
            continue;
        }
        let permanent_redirect = (all_permanent && url != request.url).then(|| url.clone());
        return read_response(response, request, url, permanent_redirect, started).await;
    }
    Err(FetchError::TooManyRedirects)
}

async fn send(
    client: &reqwest::Client,
    request: &FetchRequest,
    url: &Url,
) -> Result<reqwest::Response, FetchError> {
    let mut headers = HeaderMap::new();
    if let Ok(agent) = HeaderValue::from_str(&request.user_agent) {
        headers.insert(header::USER_AGENT, agent);
    }
    headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT_FEEDS));
    if let Some(etag) = request.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::IF_NONE_MATCH, etag);
    }
    if let Some(modified) = request.last_modified.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::IF_MODIFIED_SINCE, modified);
    }
    client.get(url.clone()).headers(headers).send().await.map_err(|error| {
        if error.is_timeout() {
            FetchError::Timeout(request.timeout)
        } else {
            FetchError::Connect(error_chain(&error))
        }
    })
}

async fn read_response(
    mut response: reqwest::Response,
    request: &FetchRequest,
    final_url: Url,
    permanent_redirect: Option<Url>,
    started: Instant,
) -> Result<FetchResponse, FetchError> {
    let status = response.status();
    let headers = response.headers().clone();
    if !status.is_success() && status != StatusCode::NOT_MODIFIED {
        return Err(FetchError::Status { status, retry_after: retry_after(&headers) });
    }
    let mut body = Vec::new();
    if status != StatusCode::NOT_MODIFIED {
        if response.content_length().is_some_and(|length| length > request.max_body) {
            return Err(FetchError::TooLarge(request.max_body));
        }
        // Counted after decompression, so a small gzip bomb is cut off as soon as it inflates
        // past the limit.
        while let Some(chunk) =
            response.chunk().await.map_err(|error| FetchError::Body(error_chain(&error)))?
        {
            if body.len() as u64 + chunk.len() as u64 > request.max_body {
                return Err(FetchError::TooLarge(request.max_body));
            }
            body.extend_from_slice(&chunk);
        }
    }
    let header_text =
        |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    Ok(FetchResponse {
        status: status.as_u16(),
        not_modified: status == StatusCode::NOT_MODIFIED,
        final_url,
        permanent_redirect,
        etag: header_text(header::ETAG),
        last_modified: header_text(header::LAST_MODIFIED),
        content_type: header_text(header::CONTENT_TYPE),
        max_age: header_text(header::CACHE_CONTROL).as_deref().and_then(max_age),
        body,
        elapsed: started.elapsed(),
    })
}

/// `Retry-After` as seconds or an HTTP date, capped at a day.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let until = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
            let seconds = (until.as_second() - jiff::Timestamp::now().as_second()).max(0);
            Duration::from_secs(seconds as u64)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// `max-age` from a Cache-Control header value.
fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("max-age"))
            .then(|| value.trim().parse().ok().map(Duration::from_secs))?
    })
}

/// reqwest errors hide the useful part (connection refused, DNS) in their sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Formats a byte count for messages: `10 MiB`, `512 KiB`, `900 B`.
pub fn format_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// Limits on simultaneous requests: `concurrency` in all, `per_host` to one host (host and port).
pub struct Politeness {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Hosts that answered 429/503 with Retry-After: no request to them before the time.
    cooldowns: Mutex<HashMap<String, jiff::Timestamp>>,
}

/// Held while a request runs; dropping it frees both slots.
pub struct PolitePermit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl Politeness {
    pub fn new(concurrency: usize, per_host: usize) -> Politeness {
        Politeness {
            global: Arc::new(Semaphore::new(concurrency)),
            per_host,
            hosts: Mutex::new(HashMap::new()),
            cooldowns: Mutex::new(HashMap::new()),
        }
    }

    /// When `url`'s host asked to be left alone until, if it did.
    pub fn cooldown_until(&self, url: &Url) -> Option<jiff::Timestamp> {
        self.cooldowns.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&host_key(url)).copied()
    }

    /// Records that `url`'s host asked to be left alone until `until` (a later time wins).
    pub fn set_cooldown(&self, url: &Url, until: jiff::Timestamp) {
        let mut cooldowns = self.cooldowns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = cooldowns.entry(host_key(url)).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Waits for a slot for `url`'s host, then for a global slot. The host slot comes first so
    /// that a source waiting on a busy host does not hold a global slot others could use.
    pub async fn acquire(&self, url: &Url) -> PolitePermit {
        let host_semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            hosts.entry(host_key(url)).or_insert_with(|| Arc::new(Semaphore::new(self.per_host))).clone()
        };
        // The semaphores are never closed, so acquiring cannot fail.
        let host = host_semaphore.acquire_owned().await.expect("host semaphore is never closed");
        let global = self.global.clone().acquire_owned().await.expect("global semaphore is never closed");
        PolitePermit { _host: host, _global: global }
    }
}

/// The politeness key of a URL: host and port, since two services on one host and two ports are
/// often two different servers (and a test's fixture servers are).
pub fn host_key(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
}
