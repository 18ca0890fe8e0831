//! Placing a transaction's new items in stories: the decisions are made on a thread of their
//! own while this connection writes, and written here in the order they were made.
//!
//! Deciding is pure and sequential (each item is compared with the window as the items before
//! it left it), and so is writing (one connection). By the time the new items are placed, the
//! threads that parsed them are done; run one after the other, the decisions and the writes
//! would leave a core idle. So the decisions run on a scoped thread that owns the story engine
//! for the while, and send the placements here a few dozen at a time, where the connection
//! first does the work it has regardless (the caller's `meanwhile`: the new items' tags and
//! full-text index) and then writes the placements as they come. New stories get their ids on
//! the deciding thread, from the store's counter of story ids (never given twice, migration 07);
//! the writes then name them. Nothing here decides anything about stories: that is `stories`'.
//! `meanwhile` must not create stories (the counter is read before it runs).

use std::sync::mpsc;

use jiff::Timestamp;
use rusqlite::{Transaction, params};

use super::StoreError;
use crate::model::format_time;
use crate::stories::signature::SIGNATURE_VERSION;
use crate::stories::{DocumentFrequencies, NewMember, Placement, StoryEngine};

/// Fewer members than this are decided on the connection's thread, before the writes.
const DECIDE_ON_A_THREAD_FROM: usize = 64;
/// Decisions sent to the writer at a time. Once the writer has caught up it sleeps until the
/// next message, and waking it for each decision was some 2,000 wake-ups (system calls on the
/// deciding thread) in a 10,000-entry ingest.
const DECISIONS_PER_MESSAGE: usize = 32;

/// One decision, with what its rows need (the engine keeps the member's features).
struct Placed {
    item: i64,
    /// Its story: the one it joined, or a new one with this id.
    story: i64,
    published: String,
    placement: Placement,
    exact_hash: Option<i64>,
    title_hash: i64,
    flash_reference_hash: Option<i64>,
    minhash: Option<Vec<u8>>,
}

/// Places `members` (new items of one transaction) in stories, in publication order, and stores
/// the memberships, signatures and document frequencies; `meanwhile` runs on this connection
/// while the first decisions are made. Returns how many joined a story that existed before them.
pub(super) fn place_members(
    tx: &Transaction,
    engine: &mut StoryEngine,
    members: Vec<NewMember>,
    stored: &str,
    meanwhile: impl FnOnce(&Transaction) -> Result<(), StoreError>,
) -> Result<usize, StoreError> {
    let Some(oldest) = members.iter().map(|member| member.published).min() else {
        meanwhile(tx)?;
        return Ok(0);
    };
    super::stories::ensure_window(tx, engine, oldest)?;
    let first_new_story = super::stories::next_story_id(tx)?;
    let (frequency_rows, next_story, joined) = if members.len() < DECIDE_ON_A_THREAD_FROM {
        // A daemon's usual fetch: a thread would cost more than its few decisions.
        let (sender, receiver) = mpsc::channel();
        let (rows, next_story) = decide_in_order(engine, members, first_new_story, sender);
        meanwhile(tx)?;
        (rows, next_story, write_placements(tx, receiver, stored)?)
    } else {
        std::thread::scope(|scope| {
            // Unbounded: the decisions should run ahead while `meanwhile` holds the connection;
            // each waiting one is smaller than the member it came from.
            let (sender, receiver) = mpsc::channel();
            let deciding = std::thread::Builder::new()
                .name("stories".to_string())
                .spawn_scoped(scope, move || decide_in_order(engine, members, first_new_story, sender))
                .map_err(|error| StoreError::Thread(error.to_string()))?;
            let written = meanwhile(tx).and_then(|()| write_placements(tx, receiver, stored));
            // On an error `receiver` is gone, so the deciding thread stops at its next send.
            let (rows, next_story) = match deciding.join() {
                Ok(decided) => decided,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            Ok::<_, StoreError>((rows, next_story, written?))
        })?
    };
    super::stories::set_next_story_id(tx, next_story)?;
    super::stories::write_term_frequencies(tx, &frequency_rows)?;
    Ok(joined)
}

/// The deciding thread: places each member, remembers it in the window, and sends the
/// decision. Returns the document frequencies to store, and the id the next new story will get.
fn decide_in_order(
    engine: &mut StoryEngine,
    members: Vec<NewMember>,
    mut next_story: i64,
    sender: mpsc::Sender<Vec<Placed>>,
) -> (Vec<(i64, u32)>, i64) {
    let mut batch = Vec::with_capacity(DECISIONS_PER_MESSAGE);
    engine.window.reserve(members.len());
    for member in in_publication_order(members) {
        let placement = engine.place(&member);
        let story = placement.joined.unwrap_or_else(|| {
            next_story += 1;
            next_story - 1
        });
        let features = &member.features;
        let placed = Placed {
            item: member.item,
            story,
            published: format_time(Timestamp::from_second(member.published).unwrap_or_default()),
            placement,
            exact_hash: features.exact_hash.map(|hash| hash as i64),
            title_hash: features.title_hash as i64,
            flash_reference_hash: features.flash_reference_hash.map(|hash| hash as i64),
            minhash: features.minhash.as_ref().map(|minhash| minhash.to_bytes()),
        };
        engine.remember(member, story);
        batch.push(placed);
        if batch.len() == DECISIONS_PER_MESSAGE {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(DECISIONS_PER_MESSAGE));
            if sender.send(full).is_err() {
                break;
            }
        }
    }
    if !batch.is_empty() {
        // The writer may be gone (it failed): its error is the one reported.
        let _ = sender.send(batch);
    }
    (frequency_rows(&mut engine.frequencies), next_story)
}

/// `members` by publication time, then id. The order is found on (time, id, position) and the
/// members are then moved once each: a member carries its MinHash signature inline, and
/// sorting them in place moved 10,000 of them about thirteen times each.
fn in_publication_order(members: Vec<NewMember>) -> impl Iterator<Item = NewMember> {
    let mut order: Vec<(i64, i64, usize)> =
        members.iter().enumerate().map(|(index, member)| (member.published, member.item, index)).collect();
    order.sort_unstable();
    let mut slots: Vec<Option<NewMember>> = members.into_iter().map(Some).collect();
    order.into_iter().filter_map(move |(_, _, index)| slots[index].take())
}

/// The counts to store for the terms counted (or forgotten) since the last time: SQLite
/// keeps what memory keeps, so (term, count) for each, count 0 for a term to drop. In key
/// order, the order of the table's pages.
fn frequency_rows(frequencies: &mut DocumentFrequencies) -> Vec<(i64, u32)> {
    let mut rows: Vec<(i64, u32)> =
        frequencies.take_changed().into_iter().map(|term| (term as i64, frequencies.count(term))).collect();
    rows.sort_unstable();
    rows
}

/// Writes the decisions as they come; how many joined an existing story. The statements every
/// decision runs are prepared once for all of them: taking each from the statement cache hashes
/// its text twice (out and back): a sixth of these writes' instructions.
fn write_placements(
    tx: &Transaction,
    receiver: mpsc::Receiver<Vec<Placed>>,
    stored: &str,
) -> Result<usize, StoreError> {
    let mut joined = 0;
    let mut insert_story = tx.prepare_cached(super::stories::INSERT_STORY)?;
    let mut insert_member = tx.prepare_cached(super::stories::INSERT_MEMBER)?;
    let mut insert_signature = tx.prepare_cached(
        "INSERT OR REPLACE INTO story_signatures (item, version, exact_hash, title_hash, flash_reference_hash, minhash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for placed in receiver.into_iter().flatten() {
        let Placed { item, story, published, placement, .. } = &placed;
        if placement.joined.is_some() {
            joined += 1;
            tx.prepare_cached(
                "UPDATE stories SET size = size + 1, first_published = MIN(first_published, ?2),
                        last_published = MAX(last_published, ?2), last_stored = ?3 WHERE id = ?1",
            )?
            .execute(params![story, published, stored])?;
        } else {
            insert_story.execute(params![story, item, published, stored])?;
        }
        insert_member.execute(params![
            item,
            story,
            f64::from(placement.score),
            placement.reason,
            placement.matched_item,
            stored
        ])?;
        insert_signature.execute(params![
            item,
            SIGNATURE_VERSION,
            placed.exact_hash,
            placed.title_hash,
            placed.flash_reference_hash,
            placed.minhash,
        ])?;
        if placement.joined.is_some() {
            super::stories::update_canonical(tx, *story, *item)?;
        }
        for adoption in &placement.adopted {
            tx.prepare_cached("UPDATE story_members SET story = ?2, score = ?3, reason = ?4, matched_item = ?5 WHERE item = ?1")?
                .execute(params![adoption.item, story, f64::from(adoption.score), adoption.reason, item])?;
            super::stories::after_members_left(tx, adoption.from_story)?;
            super::stories::recompute_story(tx, *story)?;
        }
    }
    Ok(joined)
}
