//! lodestone turns the metals and rare-earth news stream into a clean, deduplicated, searchable
//! record in one SQLite file.
//!
//! # Layout
//! One module per pipeline stage; `pipeline` is the only one that knows their order:
//! `config` → `fetch` → `parse` → `normalize` → `store`, with `schedule` deciding when, `cli`
//! and (later) the daemon calling `pipeline`. `parse` and `normalize` do no I/O; only `store`
//! contains SQL. See ARCHITECTURE.md.

pub mod allocator;
pub mod analysis;
pub mod classify;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod fetch;
pub mod filters;
mod html_entities;
pub mod http;
pub mod labels;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod pipeline;
pub mod schedule;
pub mod store;
pub mod stories;
