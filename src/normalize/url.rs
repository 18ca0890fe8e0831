//! Canonical URLs: absolute, http(s) only, no fragment, no tracking parameters.
//!
//! Other query parameters are kept byte for byte (never re-encoded), since many news sites put
//! the article id in the query string and a re-encoded URL may not resolve.

use url::Url;

/// Query parameters that only track the reader: dropped from canonical URLs.
const TRACKING_PARAMETERS: [&str; 10] =
    ["fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid", "igshid", "_hsenc", "_hsmi"];

/// Resolves `raw` against `base` and returns its canonical form, or None for a non-web link.
pub fn canonical_url(raw: &str, base: &Url) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = base.join(raw).ok()?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    url.set_fragment(None);
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty() && !is_tracking(pair.split('=').next().unwrap_or("")))
            .collect();
        let new_query = kept.join("&");
        url.set_query((!new_query.is_empty()).then_some(new_query.as_str()));
    }
    Some(url.into())
}

fn is_tracking(name: &str) -> bool {
    let lowered = name.to_ascii_lowercase();
    lowered.starts_with("utm_") || TRACKING_PARAMETERS.contains(&lowered.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example.com/list/rare-earth").unwrap()
    }

    #[test]
    fn relative_resolved_fragment_and_utm_dropped() {
        assert_eq!(
            canonical_url("/newscontent/104143124-x?utm_source=rss&id=7&UTM_medium=feed#top", &base())
                .as_deref(),
            Some("https://news.example.com/newscontent/104143124-x?id=7")
        );
        assert_eq!(
            canonical_url("https://example.com/a?utm_source=x", &base()).as_deref(),
            Some("https://example.com/a")
        );
    }

    #[test]
    fn other_parameters_kept_verbatim() {
        assert_eq!(
            canonical_url("https://example.com/a?q=rare%20earth&page=2", &base()).as_deref(),
            Some("https://example.com/a?q=rare%20earth&page=2")
        );
    }

    #[test]
    fn non_web_links_are_none() {
        assert_eq!(canonical_url("javascript:alert(1)", &base()), None);
        assert_eq!(canonical_url("mailto:desk@example.com", &base()), None);
        assert_eq!(canonical_url("  ", &base()), None);
    }
}
