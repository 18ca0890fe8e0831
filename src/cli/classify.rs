//! `lodestone explain`, `reclassify` and `label`: why an item has its topics and entities,
//! re-tagging stored items after a taxonomy change, and recording a user's correction.

use std::time::Instant;

use jiff::Timestamp;

use super::time_arg::time_flag;
use super::{Cli, CliError, OutputFormat, load_config, open_store, runtime};
use crate::classify::{Classification, Classifier};
use crate::config::Config;
use crate::labels::{self, LabelError};
use crate::model::format_time;
use crate::store::{ItemText, Store};

/// Items read, classified and written per transaction by `reclassify`.
const RECLASSIFY_BATCH: usize = 2_000;
/// Page cache while re-tagging: the tag indexes are rewritten across the whole file.
const BULK_CACHE_MIB: i64 = 64;

pub fn run_explain(cli: &Cli, id: i64, format: OutputFormat) -> Result<(), CliError> {
    let config = load_config(cli)?;
    let rules = config.classifier.get()?;
    let store = open_store(cli, &config)?;
    let classifier = labels::classifier_with_stored_model(&rules, &store).map_err(runtime)?;
    let Some((_, title, body, source)) = store.item_text(id).map_err(runtime)? else {
        return Err(CliError::Runtime(anyhow::anyhow!("no item {id}")));
    };
    let explanation = classifier.explain(&title, &body, &source_hints(&config, &source));
    let label = store.topic_label(id).map_err(runtime)?;
    match format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            let value =
                serde_json::json!({"item": id, "source": source, "label": label, "explanation": explanation});
            println!("{}", serde_json::to_string_pretty(&value).map_err(runtime)?);
        }
        OutputFormat::Table | OutputFormat::Csv => {
            println!("item {id} ({source}): {title}");
            if let Some(topics) = label {
                println!(
                    "labelled by a user as: {} (the label overrides the topics below)",
                    topics.join(", ")
                );
            }
            print!("{explanation}");
        }
    }
    Ok(())
}

pub fn run_reclassify(cli: &Cli, since: Option<&str>) -> Result<(), CliError> {
    let since = time_flag(since, "since")?;
    let config = load_config(cli)?;
    config.classifier.get()?;
    let mut store = open_store(cli, &config)?;
    let started = Instant::now();
    let count = reclassify(&mut store, &config, since).map_err(runtime)?;
    if since.is_none() {
        store.set_classifier_fingerprint(&config.classifier_fingerprint).map_err(runtime)?;
    }
    println!("reclassify: {count} items tagged again in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Re-tags every item published since `since` (all without it), in batches of one
/// transaction each. While one batch is written, the next is classified on every core.
/// Returns how many items.
pub fn reclassify(store: &mut Store, config: &Config, since: Option<Timestamp>) -> anyhow::Result<usize> {
    let classifier = labels::classifier_with_stored_model(&config.classifier.get()?, store)?;
    store.use_bulk_cache(BULK_CACHE_MIB)?;
    let since = since.map(format_time);
    let threads = std::thread::available_parallelism().map_or(1, |count| count.get());
    let classifier = &*classifier;
    std::thread::scope(|scope| {
        let mut after = 0;
        let mut count = 0;
        let mut classifying: Option<std::thread::ScopedJoinHandle<'_, Vec<(i64, Classification)>>> = None;
        loop {
            let batch = store.item_texts_after(after, since.as_deref(), RECLASSIFY_BATCH)?;
            if let Some(last) = batch.last() {
                after = last.0;
            }
            let next = (!batch.is_empty()).then(|| {
                count += batch.len();
                scope.spawn(move || classify_batch(classifier, config, &batch, threads))
            });
            if let Some(previous) = classifying.take() {
                let tagged = previous.join().map_err(|_| anyhow::anyhow!("classifying a batch failed"))?;
                store.retag(&tagged)?;
            }
            classifying = next;
            if classifying.is_none() {
                return Ok(count);
            }
        }
    })
}

fn classify_batch(
    classifier: &Classifier,
    config: &Config,
    batch: &[ItemText],
    threads: usize,
) -> Vec<(i64, Classification)> {
    let chunk_size = batch.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = batch
            .chunks(chunk_size)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(id, title, body, source)| {
                            (*id, classifier.classify(title, body, &source_hints(config, source)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A worker only panics on a bug; its items keep their old tags rather than the run
        // failing as a whole.
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_default()).collect()
    })
}

fn source_hints<'a>(config: &'a Config, source: &str) -> Vec<&'a str> {
    config.source(source).map(|source| source.topics.iter().map(String::as_str).collect()).unwrap_or_default()
}

pub fn run_label(cli: &Cli, id: i64, topics: &[String]) -> Result<(), CliError> {
    let config = load_config(cli)?;
    config.classifier.get()?;
    let mut store = open_store(cli, &config)?;
    let now = format_time(Timestamp::now());
    match labels::label(&mut store, &config, id, topics, &now) {
        Ok(outcome) => {
            println!("item {id} labelled: {}", topics.join(", "));
            match outcome.trained_on {
                Some(items) => println!(
                    "topic model retrained on {items} labels; it applies to items classified from now on \
                     (`lodestone reclassify` applies it to stored items)"
                ),
                None => println!(
                    "{} of the {} labels needed before a model is learned from them",
                    outcome.labels,
                    labels::MIN_LABELS_FOR_MODEL
                ),
            }
            Ok(())
        }
        Err(LabelError::BadTopics(message)) => Err(CliError::Usage(anyhow::anyhow!(message))),
        Err(error) => Err(runtime(error)),
    }
}
