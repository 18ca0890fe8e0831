//! Query-string parameters of the API, parsed by hand so that repeated keys (`source=a&source=b`)
//! work and every bad or unknown parameter is a 400 naming it.

use jiff::Timestamp;

use crate::cli::time_arg::parse_time_arg;
use crate::config::topics::ClassifierSetup;
use crate::filters;
use crate::store::ItemFilter;

/// A parameter that could not be used: the 400 body names it.
#[derive(Debug, PartialEq, Eq)]
pub struct BadParameter {
    pub parameter: String,
    pub error: String,
}

/// The item filters of `GET /api/items` (and of the story listings), from a raw query string.
/// Topics are checked against the taxonomy and entities resolved (see [`crate::filters`]).
pub fn item_filter(
    query: Option<&str>,
    now: Timestamp,
    classifier: &ClassifierSetup,
) -> Result<ItemFilter, BadParameter> {
    let mut filter = ItemFilter { limit: 50, ..ItemFilter::default() };
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let bad = |error: String| BadParameter { parameter: name.to_string(), error };
        match name.as_ref() {
            "since" => filter.since = Some(parse_time_arg(&value, now).map_err(bad)?),
            "until" => filter.until = Some(parse_time_arg(&value, now).map_err(bad)?),
            "source" => filter.sources.push(value.into_owned()),
            "search" => filter.search = Some(value.into_owned()),
            "limit" => {
                filter.limit =
                    value.parse().map_err(|_| bad(format!("`{value}` is not a count (0 means all)")))?;
            }
            // The daemon compiled its classifier before serving, so these find it ready.
            "topic" => {
                let known = classifier.outline().map_err(|error| bad(error.to_string()))?;
                filter.topics.push(filters::check_topic(known, &value).map_err(bad)?)
            }
            "entity" => {
                let classifier = classifier.get().map_err(|error| bad(error.to_string()))?;
                filter.entities.push(filters::resolve_entity(&classifier, &value))
            }
            other => return Err(bad(format!("unknown parameter `{other}`"))),
        }
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classifier;

    fn now() -> Timestamp {
        "2026-02-10T12:00:00Z".parse().unwrap()
    }

    fn item_filter(query: Option<&str>, now: Timestamp) -> Result<ItemFilter, BadParameter> {
        super::item_filter(
            query,
            now,
            &ClassifierSetup::ready(std::sync::Arc::new(Classifier::shipped().unwrap())),
        )
    }

    #[test]
    fn repeated_and_encoded_parameters() {
        let filter =
            item_filter(Some("source=wire&source=magnets&search=%22rare+earth%22&limit=0&since=36h"), now())
                .unwrap();
        assert_eq!(filter.sources, ["wire", "magnets"]);
        assert_eq!(filter.search.as_deref(), Some("\"rare earth\""));
        assert_eq!(filter.limit, 0);
        assert_eq!(filter.since.unwrap().to_string(), "2026-02-09T00:00:00Z");
        assert_eq!(item_filter(None, now()).unwrap().limit, 50);
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(item_filter(Some("since=yesterday"), now()).unwrap_err().parameter, "since");
        assert_eq!(item_filter(Some("limit=-1"), now()).unwrap_err().parameter, "limit");
        assert_eq!(item_filter(Some("colour=red"), now()).unwrap_err().parameter, "colour");
        assert_eq!(item_filter(Some("topic=gossip"), now()).unwrap_err().parameter, "topic");
    }

    #[test]
    fn topics_and_entities() {
        let filter =
            item_filter(Some("topic=finance&topic=policy&entity=DFC&entity=%24565M"), now()).unwrap();
        assert_eq!(filter.topics, ["finance", "policy"]);
        assert_eq!(filter.entities.len(), 2);
        assert_eq!(filter.entities[1], "565000000 usd");
    }
}
