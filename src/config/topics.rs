//! `[topics]`: the taxonomy file and extra gazetteer files. They are read when the config is
//! loaded (a missing file is a config error naming the key), and compiled into the
//! [`Classifier`] on first use: compiling analyses and stems every term and alias, which costs
//! milliseconds that `query` or `sources` would spend for nothing. The commands that tag
//! (`check`, `fetch`, `ingest`, `run`, …) ask for it before any other work, so a broken
//! taxonomy stops them at once, naming its file, line and key, like any other config error.
//!
//! Without `file`, the taxonomy shipped in the binary is used (the same as config/topics.toml).
//! Relative paths are taken from the config file's directory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Invalid};
use crate::classify::taxonomy::{self, SHIPPED_TAXONOMY, TopicOutline};
use crate::classify::{Classifier, Gazetteer, GazetteerError, Taxonomy, TaxonomyError};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopics {
    file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    gazetteers: Vec<Spanned<PathBuf>>,
}

/// The classifier the config describes, compiled when first asked for (then shared by clones).
#[derive(Clone)]
pub struct ClassifierSetup {
    inner: Arc<SetupInner>,
}

struct SetupInner {
    /// The taxonomy file's text and path; None: the shipped taxonomy.
    taxonomy: Option<(String, PathBuf)>,
    /// Extra gazetteer files' texts and paths, added to the shipped lists.
    gazetteers: Vec<(String, PathBuf)>,
    outline: OnceLock<Result<Vec<TopicOutline>, Located>>,
    classifier: OnceLock<Result<Arc<Classifier>, Located>>,
}

/// A taxonomy or gazetteer error, kept to be returned again to every caller.
#[derive(Clone, Debug)]
struct Located {
    file: PathBuf,
    line: Option<usize>,
    key: Option<String>,
    message: String,
}

impl From<TaxonomyError> for Located {
    fn from(error: TaxonomyError) -> Located {
        Located { file: error.file, line: error.line, key: error.key, message: error.message }
    }
}

impl From<GazetteerError> for Located {
    fn from(error: GazetteerError) -> Located {
        Located { file: error.file, line: error.line, key: error.key, message: error.message }
    }
}

impl From<Located> for ConfigError {
    fn from(error: Located) -> ConfigError {
        ConfigError::Invalid { file: error.file, line: error.line, key: error.key, message: error.message }
    }
}

impl ClassifierSetup {
    /// A setup whose classifier is already built (one with a learned model, tests).
    pub fn ready(classifier: Arc<Classifier>) -> ClassifierSetup {
        ClassifierSetup {
            inner: Arc::new(SetupInner {
                taxonomy: None,
                gazetteers: Vec::new(),
                outline: OnceLock::from(Ok(classifier.taxonomy().outline())),
                classifier: OnceLock::from(Ok(classifier)),
            }),
        }
    }

    /// The classifier, compiled on the first call.
    pub fn get(&self) -> Result<Arc<Classifier>, ConfigError> {
        let built = self.inner.classifier.get_or_init(|| self.build().map(Arc::new));
        built.clone().map_err(ConfigError::from)
    }

    /// The taxonomy's topics (names, labels, descriptions) in file order, without compiling
    /// the rules.
    pub fn outline(&self) -> Result<&[TopicOutline], ConfigError> {
        let outline = self.inner.outline.get_or_init(|| match self.inner.classifier.get() {
            Some(Ok(classifier)) => Ok(classifier.taxonomy().outline()),
            _ => {
                let (text, file) = self.taxonomy_text();
                taxonomy::outline(text, file).map_err(Located::from)
            }
        });
        outline.as_deref().map_err(|error| error.clone().into())
    }

    /// Whether `topic` is a topic of the taxonomy.
    pub fn knows_topic(&self, topic: &str) -> Result<bool, ConfigError> {
        Ok(self.outline()?.iter().any(|known| known.name == topic))
    }

    fn taxonomy_text(&self) -> (&str, &Path) {
        match &self.inner.taxonomy {
            Some((text, file)) => (text, file),
            None => (SHIPPED_TAXONOMY, Path::new("config/topics.toml")),
        }
    }

    fn build(&self) -> Result<Classifier, Located> {
        let (text, file) = self.taxonomy_text();
        let taxonomy = Taxonomy::parse(text, file)?;
        let mut gazetteer = Gazetteer::shipped()?;
        for (text, file) in &self.inner.gazetteers {
            gazetteer.add_file(text, file)?;
        }
        Ok(Classifier::new(taxonomy, gazetteer))
    }
}

impl std::fmt::Debug for ClassifierSetup {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ClassifierSetup")
            .field("taxonomy", &self.inner.taxonomy.as_ref().map(|(_, file)| file))
            .field("gazetteers", &self.inner.gazetteers.iter().map(|(_, file)| file).collect::<Vec<_>>())
            .field("built", &self.inner.classifier.get().is_some())
            .finish()
    }
}

/// The classifier the config describes (not compiled yet), and its fingerprint: a hash of the
/// program version and of every taxonomy and gazetteer text it is built from, so that a change
/// to any of them is noticed (the stored tags were made by another classifier; `reclassify` is
/// due).
pub(super) fn load_classifier(
    raw: RawTopics,
    config_file: &Path,
    invalid: &Invalid,
) -> Result<(ClassifierSetup, String), ConfigError> {
    let mut fingerprint = xxhash_rust::xxh3::Xxh3::new();
    fingerprint.update(env!("CARGO_PKG_VERSION").as_bytes());
    // Relative paths are relative to the config file, as the digest templates are: the config
    // and its taxonomy travel together (/etc/lodestone under systemd).
    let resolve = |path: &Path| match config_file.parent() {
        Some(directory) if path.is_relative() => directory.join(path),
        _ => path.to_path_buf(),
    };
    let read = |spanned: &Spanned<PathBuf>| -> Result<(String, PathBuf), ConfigError> {
        let path = resolve(spanned.get_ref());
        let text = std::fs::read_to_string(&path)
            .map_err(|error| invalid(spanned.span(), format!("cannot read {}: {error}", path.display())))?;
        Ok((text, path))
    };
    let taxonomy = raw.file.as_ref().map(read).transpose()?;
    fingerprint.update(taxonomy.as_ref().map_or(SHIPPED_TAXONOMY, |(text, _)| text).as_bytes());
    for (_, text) in crate::classify::gazetteer::SHIPPED_FILES {
        fingerprint.update(text.as_bytes());
    }
    let gazetteers = raw.gazetteers.iter().map(read).collect::<Result<Vec<_>, _>>()?;
    for (text, _) in &gazetteers {
        fingerprint.update(text.as_bytes());
    }
    let setup = ClassifierSetup {
        inner: Arc::new(SetupInner {
            taxonomy,
            gazetteers,
            outline: OnceLock::new(),
            classifier: OnceLock::new(),
        }),
    };
    Ok((setup, format!("{:016x}", fingerprint.digest())))
}
