//! The lists of items behind each key of the candidate index (a term, a MinHash band, an exact
//! or title hash), in the order the items arrived.
//!
//! Most keys name a single item (bands, hashes and rare terms are nearly unique), so a key's
//! slot holds that item itself, 16 bytes without an allocation: a window of 10,000 items has
//! some 320,000 band keys. Common terms name thousands of items; their slot points to a list
//! instead. The window evicts its oldest items first, and those are at the front of a list, so
//! they leave a double-ended queue in constant time instead of shifting the whole list. One
//! map for both kinds: adding an item to a key, or reading a key, is one lookup (with a map
//! for each kind, a new key took three: two misses and the insert).
//! Only what the window needs: no ordering by date, no deduplication (the window removes an
//! item before adding it again).

use std::collections::VecDeque;
use std::collections::hash_map::Entry;

use super::vector::TermMap;

/// Items by key.
#[derive(Debug, Default)]
pub struct Postings {
    /// A key's slot: its one item (an id, never negative), or `list_slot(index)` (negative)
    /// when its items are `lists[index]`.
    keys: TermMap<i64>,
    /// Lists of keys with several items, oldest first; some are unused (see `free`).
    lists: Vec<VecDeque<i64>>,
    /// Unused entries of `lists`, empty but keeping their buffers for the next key.
    free: Vec<usize>,
}

/// The slot of a key whose items are `lists[index]`: negative, so never an item id.
fn list_slot(index: usize) -> i64 {
    -1 - index as i64
}

/// The list index a negative slot names.
fn list_index(slot: i64) -> usize {
    (-1 - slot) as usize
}

impl Postings {
    /// Makes room for `keys` more keys, so that a batch of new items fills the map without
    /// growing it step by step (each step rehashes every key into a table twice the size, fresh
    /// memory the system must zero).
    pub fn reserve(&mut self, keys: usize) {
        self.keys.reserve(keys);
    }

    /// Appends `item` to the list of `key`.
    pub fn add(&mut self, key: u64, item: i64) {
        match self.keys.entry(key) {
            Entry::Vacant(vacant) if item >= 0 => {
                vacant.insert(item);
            }
            Entry::Vacant(vacant) => {
                // A negative id (SQLite never gives one) cannot stand in a slot: a list of one.
                vacant.insert(new_list(&mut self.lists, &mut self.free, [item].into_iter()));
            }
            Entry::Occupied(mut occupied) => {
                let slot = *occupied.get();
                if slot >= 0 {
                    *occupied.get_mut() = new_list(&mut self.lists, &mut self.free, [slot, item].into_iter());
                } else {
                    self.lists[list_index(slot)].push_back(item);
                }
            }
        }
    }

    /// The last `count` items of `key` (its most recent), oldest first, as at most two slices.
    pub fn recent(&self, key: u64, count: usize) -> (&[i64], &[i64]) {
        let Some(slot) = self.keys.get(&key) else {
            return (&[], &[]);
        };
        if *slot >= 0 {
            return (std::slice::from_ref(slot), &[]);
        }
        let (front, back) = self.lists[list_index(*slot)].as_slices();
        if back.len() >= count {
            (&[], &back[back.len() - count..])
        } else {
            (&front[front.len().saturating_sub(count - back.len())..], back)
        }
    }

    /// Removes `item` from the list of `key`, and the key when nothing is left.
    pub fn remove(&mut self, key: u64, item: i64) {
        let Entry::Occupied(mut occupied) = self.keys.entry(key) else { return };
        let slot = *occupied.get();
        if slot >= 0 {
            if slot == item {
                occupied.remove();
            }
            return;
        }
        let index = list_index(slot);
        let items = &mut self.lists[index];
        // Usually the oldest: found at once, and popped without moving the rest.
        if let Some(position) = items.iter().position(|other| *other == item) {
            items.remove(position);
        }
        // A list down to one item goes back to the slot itself.
        match items.len() {
            0 => {
                occupied.remove();
            }
            1 if items[0] >= 0 => {
                *occupied.get_mut() = items[0];
                items.clear();
            }
            _ => return,
        }
        self.free.push(index);
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A list holding `items`, in an unused entry of `lists` when there is one; its slot.
fn new_list(lists: &mut Vec<VecDeque<i64>>, free: &mut Vec<usize>, items: impl Iterator<Item = i64>) -> i64 {
    let index = match free.pop() {
        Some(index) => index,
        None => {
            lists.push(VecDeque::new());
            lists.len() - 1
        }
    };
    lists[index].extend(items);
    list_slot(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(postings: &Postings, key: u64, count: usize) -> Vec<i64> {
        let (front, back) = postings.recent(key, count);
        front.iter().chain(back).copied().collect()
    }

    #[test]
    fn keeps_arrival_order_and_forgets_empty_keys() {
        let mut postings = Postings::default();
        assert!(recent(&postings, 7, 3).is_empty());
        postings.add(7, 1);
        assert_eq!(recent(&postings, 7, 3), vec![1]);
        for item in 2..=5 {
            postings.add(7, item);
        }
        assert_eq!(recent(&postings, 7, 3), vec![3, 4, 5]);
        postings.remove(7, 1);
        postings.remove(7, 4);
        postings.add(7, 6);
        assert_eq!(recent(&postings, 7, 10), vec![2, 3, 5, 6]);
        for item in [2, 3, 5, 6] {
            postings.remove(7, item);
        }
        assert!(postings.is_empty());
        postings.add(8, 1);
        postings.remove(8, 2);
        assert_eq!(recent(&postings, 8, 3), vec![1], "another item's removal leaves it");
        postings.remove(8, 1);
        assert!(postings.is_empty());
    }

    #[test]
    fn lists_are_reused_and_any_id_is_kept() {
        let mut postings = Postings::default();
        // Keys that grow lists, shrink back to one item, and grow again: the lists are reused.
        for round in 0..3 {
            for key in 0..4_u64 {
                postings.add(key, 10 + round);
                postings.add(key, 20 + round);
            }
            for key in 0..4_u64 {
                postings.remove(key, 10 + round);
                assert_eq!(recent(&postings, key, 5), vec![20 + round], "round {round}, key {key}");
                postings.remove(key, 20 + round);
            }
            assert!(postings.is_empty());
        }
        assert!(postings.lists.len() <= 4, "{} lists for 4 keys", postings.lists.len());
        // Ids that cannot stand in a slot of their own (negative, or 0 next to one) still work.
        postings.add(9, -5);
        postings.add(9, 0);
        assert_eq!(recent(&postings, 9, 5), vec![-5, 0]);
        postings.remove(9, 0);
        assert_eq!(recent(&postings, 9, 5), vec![-5]);
        postings.add(9, 3);
        postings.remove(9, -5);
        assert_eq!(recent(&postings, 9, 5), vec![3]);
        postings.remove(9, 3);
        assert!(postings.is_empty());
    }
}
