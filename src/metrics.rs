//! Counters and histograms for `/metrics`, in the Prometheus text format, written by hand (the
//! format is a few lines of text; a metrics crate would add more than it saves).
//!
//! The pipeline and the digest record events here; the HTTP layer renders them together with
//! gauges it reads from the store at scrape time. Nothing here does I/O.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the fetch-duration histogram buckets.
const DURATION_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Process-wide counters. Cheap to update from many tasks at once.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    fetches: BTreeMap<(String, String), u64>,
    items_new: BTreeMap<String, u64>,
    items_updated: BTreeMap<String, u64>,
    stories_merged: u64,
    digest_sends: BTreeMap<String, u64>,
    duration_buckets: [u64; DURATION_BUCKETS.len()],
    duration_count: u64,
    duration_sum: f64,
}

/// A gauge value read elsewhere (the store) at render time.
pub struct Gauge<'a> {
    pub name: &'a str,
    pub help: &'a str,
    pub labels: Vec<(&'a str, String)>,
    pub value: f64,
}

impl Metrics {
    /// One fetch attempt of `source` that ended with `outcome` after `duration`.
    pub fn record_fetch(&self, source: &str, outcome: &str, duration: Duration) {
        let mut counters = self.lock();
        *counters.fetches.entry((source.to_string(), outcome.to_string())).or_default() += 1;
        let seconds = duration.as_secs_f64();
        for (bucket, bound) in DURATION_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                counters.duration_buckets[bucket] += 1;
            }
        }
        counters.duration_count += 1;
        counters.duration_sum += seconds;
    }

    /// Items stored for `source`: new ones and updated ones.
    pub fn record_items(&self, source: &str, new: usize, updated: usize) {
        let mut counters = self.lock();
        *counters.items_new.entry(source.to_string()).or_default() += new as u64;
        *counters.items_updated.entry(source.to_string()).or_default() += updated as u64;
    }

    /// Items that joined an existing story.
    pub fn record_stories_merged(&self, count: usize) {
        self.lock().stories_merged += count as u64;
    }

    /// A digest send attempt that ended with `outcome`: sent, skipped (empty, `skip_empty`),
    /// retry (failed, tried again later) or failed (given up).
    pub fn record_digest(&self, outcome: &str) {
        *self.lock().digest_sends.entry(outcome.to_string()).or_default() += 1;
    }

    /// The counters and `gauges` in the Prometheus text exposition format.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let counters = self.lock();
        let mut text = String::new();
        family(&mut text, "lodestone_fetches_total", "counter", "Fetch attempts by source and outcome.");
        for ((source, outcome), count) in &counters.fetches {
            let _ = writeln!(
                text,
                "lodestone_fetches_total{{source=\"{}\",outcome=\"{}\"}} {count}",
                escape(source),
                escape(outcome)
            );
        }
        family(&mut text, "lodestone_items_ingested_total", "counter", "New items stored, by source.");
        for (source, count) in &counters.items_new {
            let _ = writeln!(text, "lodestone_items_ingested_total{{source=\"{}\"}} {count}", escape(source));
        }
        family(&mut text, "lodestone_items_updated_total", "counter", "Items updated in place, by source.");
        for (source, count) in &counters.items_updated {
            let _ = writeln!(text, "lodestone_items_updated_total{{source=\"{}\"}} {count}", escape(source));
        }
        family(
            &mut text,
            "lodestone_stories_merged_total",
            "counter",
            "Items that joined an existing story.",
        );
        let _ = writeln!(text, "lodestone_stories_merged_total {}", counters.stories_merged);
        family(&mut text, "lodestone_digest_sends_total", "counter", "Digest send attempts by outcome.");
        for (outcome, count) in &counters.digest_sends {
            let _ = writeln!(text, "lodestone_digest_sends_total{{outcome=\"{}\"}} {count}", escape(outcome));
        }
        family(&mut text, "lodestone_fetch_duration_seconds", "histogram", "Duration of fetch attempts.");
        for (bucket, bound) in DURATION_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                text,
                "lodestone_fetch_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                counters.duration_buckets[bucket]
            );
        }
        let _ = writeln!(
            text,
            "lodestone_fetch_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            counters.duration_count
        );
        let _ = writeln!(text, "lodestone_fetch_duration_seconds_sum {}", counters.duration_sum);
        let _ = writeln!(text, "lodestone_fetch_duration_seconds_count {}", counters.duration_count);
        let mut last_family = "";
        for gauge in gauges {
            if gauge.name != last_family {
                family(&mut text, gauge.name, "gauge", gauge.help);
                last_family = gauge.name;
            }
            let labels: Vec<String> =
                gauge.labels.iter().map(|(name, value)| format!("{name}=\"{}\"", escape(value))).collect();
            let labels = if labels.is_empty() { String::new() } else { format!("{{{}}}", labels.join(",")) };
            let _ = writeln!(text, "{}{labels} {}", gauge.name, gauge.value);
        }
        text
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn family(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} {kind}");
}

/// Label values escape backslash, quote and newline.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauges() {
        let metrics = Metrics::default();
        metrics.record_fetch("wire", "ok", Duration::from_millis(80));
        metrics.record_fetch("wire", "ok", Duration::from_secs(3));
        metrics.record_items("wire", 12, 1);
        let text = metrics.render(&[Gauge {
            name: "lodestone_items",
            help: "Items stored.",
            labels: vec![],
            value: 42.0,
        }]);
        assert!(text.contains("lodestone_fetches_total{source=\"wire\",outcome=\"ok\"} 2"));
        assert!(text.contains("lodestone_fetch_duration_seconds_bucket{le=\"0.1\"} 1"));
        assert!(text.contains("lodestone_fetch_duration_seconds_bucket{le=\"5\"} 2"));
        assert!(text.contains("lodestone_fetch_duration_seconds_count 2"));
        assert!(text.contains("lodestone_items_ingested_total{source=\"wire\"} 12"));
        assert!(text.contains("# TYPE lodestone_items gauge\nlodestone_items 42"));
    }
}
