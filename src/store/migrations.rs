//! The schema migrations, in order. Files in `migrations/` are append-only: a released one is
//! never edited, a change is a new numbered directory listed here.

use std::sync::LazyLock;

use rusqlite_migration::{M, Migrations};

pub static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/01-initial/up.sql")),
        M::up(include_str!("../../migrations/02-item-series/up.sql")),
        M::up(include_str!("../../migrations/03-stories/up.sql")),
        M::up(include_str!("../../migrations/04-digests/up.sql")),
        M::up(include_str!("../../migrations/05-classify/up.sql")),
        M::up(include_str!("../../migrations/06-fts-by-store/up.sql")),
        M::up(include_str!("../../migrations/07-story-ids/up.sql")),
        M::up(include_str!("../../migrations/08-fts-hash-size/up.sql")),
    ])
});

/// The directory names the list above was written for, to catch a migration added on disk but
/// not listed.
#[cfg(test)]
pub const MIGRATION_DIRECTORIES: &[&str] = &[
    "01-initial",
    "02-item-series",
    "03-stories",
    "04-digests",
    "05-classify",
    "06-fts-by-store",
    "07-story-ids",
    "08-fts-hash-size",
];
