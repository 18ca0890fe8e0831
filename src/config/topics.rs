//! `[topics]`: the taxonomy file and extra gazetteer files, read and compiled into the
//! [`Classifier`] when the config is loaded, so that `lodestone check` validates them and a
//! broken taxonomy is rejected like any other config error (naming its file, line and key).
//!
//! Without `file`, the taxonomy shipped in the binary is used (the same as config/topics.toml).
//! Relative paths are taken from the config file's directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Invalid};
use crate::classify::{Classifier, Gazetteer, Taxonomy};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopics {
    file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    gazetteers: Vec<Spanned<PathBuf>>,
}

/// The classifier the config describes, and its fingerprint: a hash of the program version and
/// of every taxonomy and gazetteer text it was built from, so that a change to any of them is
/// noticed (the stored tags were made by another classifier; `reclassify` is due).
pub(super) fn load_classifier(
    raw: RawTopics,
    config_file: &Path,
    invalid: &Invalid,
) -> Result<(Arc<Classifier>, String), ConfigError> {
    let mut fingerprint = xxhash_rust::xxh3::Xxh3::new();
    fingerprint.update(env!("CARGO_PKG_VERSION").as_bytes());
    // Relative paths are relative to the config file, as the digest templates are: the config
    // and its taxonomy travel together (/etc/lodestone under systemd).
    let resolve = |path: &Path| match config_file.parent() {
        Some(directory) if path.is_relative() => directory.join(path),
        _ => path.to_path_buf(),
    };
    let read = |spanned: &Spanned<PathBuf>| -> Result<String, ConfigError> {
        let path = resolve(spanned.get_ref());
        std::fs::read_to_string(&path)
            .map_err(|error| invalid(spanned.span(), format!("cannot read {}: {error}", path.display())))
    };
    let taxonomy = match &raw.file {
        Some(file) => {
            let text = read(file)?;
            fingerprint.update(text.as_bytes());
            Taxonomy::parse(&text, &resolve(file.get_ref()))
                .map_err(|error| located(error.file, error.line, error.key, error.message))?
        }
        None => {
            fingerprint.update(crate::classify::taxonomy::SHIPPED_TAXONOMY.as_bytes());
            Taxonomy::shipped().map_err(|error| located(error.file, error.line, error.key, error.message))?
        }
    };
    for (_, text) in crate::classify::gazetteer::SHIPPED_FILES {
        fingerprint.update(text.as_bytes());
    }
    let mut gazetteer =
        Gazetteer::shipped().map_err(|error| located(error.file, error.line, error.key, error.message))?;
    for file in &raw.gazetteers {
        let text = read(file)?;
        fingerprint.update(text.as_bytes());
        gazetteer
            .add_file(&text, &resolve(file.get_ref()))
            .map_err(|error| located(error.file, error.line, error.key, error.message))?;
    }
    Ok((Arc::new(Classifier::new(taxonomy, gazetteer)), format!("{:016x}", fingerprint.digest())))
}

/// An error in the taxonomy or a gazetteer: it names that file, not the main config.
fn located(file: PathBuf, line: Option<usize>, key: Option<String>, message: String) -> ConfigError {
    ConfigError::Invalid { file, line, key, message }
}

/// Whether `topic` is a topic of the taxonomy.
pub(super) fn knows_topic(classifier: &Classifier, topic: &str) -> bool {
    classifier.taxonomy().topic_index(topic).is_some()
}
