//! The lists of items behind each key of the candidate index (a term, a MinHash band, an exact
//! or title hash), in the order the items arrived.
//!
//! Most keys name a single item (bands, hashes and rare terms are nearly unique), so one item
//! is kept inline, without an allocation: a window of 10,000 items has some 300,000 band keys.
//! Common terms name thousands of items; the window evicts its oldest items first, and those
//! are at the front, so they leave a double-ended queue in constant time instead of shifting
//! the whole list. Only what the window needs: no ordering by date, no deduplication (the
//! window removes an item before adding it again).

use std::collections::VecDeque;

use super::vector::TermMap;

/// Items by key.
#[derive(Debug, Default)]
pub struct Postings {
    lists: TermMap<Posting>,
}

/// 16 bytes: the map's slots stay small for the many keys with one item.
#[derive(Debug)]
// Boxed on purpose: a bare VecDeque (32 bytes) would double every slot of the map.
#[allow(clippy::box_collection)]
enum Posting {
    One(i64),
    Many(Box<VecDeque<i64>>),
}

impl Postings {
    /// Appends `item` to the list of `key`.
    pub fn add(&mut self, key: u64, item: i64) {
        let Some(posting) = self.lists.get_mut(&key) else {
            self.lists.insert(key, Posting::One(item));
            return;
        };
        match posting {
            Posting::Many(items) => items.push_back(item),
            Posting::One(first) => {
                let first = *first;
                *posting = Posting::Many(Box::new(VecDeque::from([first, item])));
            }
        }
    }

    /// The last `count` items of `key` (its most recent), oldest first, as at most two slices.
    pub fn recent(&self, key: u64, count: usize) -> (&[i64], &[i64]) {
        match self.lists.get(&key) {
            None => (&[], &[]),
            Some(Posting::One(item)) => (std::slice::from_ref(item), &[]),
            Some(Posting::Many(items)) => {
                let (front, back) = items.as_slices();
                if back.len() >= count {
                    (&[], &back[back.len() - count..])
                } else {
                    (&front[front.len().saturating_sub(count - back.len())..], back)
                }
            }
        }
    }

    /// Removes `item` from the list of `key`, and the key when nothing is left.
    pub fn remove(&mut self, key: u64, item: i64) {
        let now_empty = match self.lists.get_mut(&key) {
            None => false,
            Some(Posting::One(only)) => *only == item,
            Some(Posting::Many(items)) => {
                // Usually the oldest: found at once, and popped without moving the rest.
                if let Some(position) = items.iter().position(|other| *other == item) {
                    items.remove(position);
                }
                items.is_empty()
            }
        };
        if now_empty {
            self.lists.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(postings: &Postings, key: u64, count: usize) -> Vec<i64> {
        let (front, back) = postings.recent(key, count);
        front.iter().chain(back).copied().collect()
    }

    #[test]
    fn a_posting_is_two_words() {
        assert_eq!(std::mem::size_of::<Posting>(), 16);
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
        assert!(postings.lists.is_empty());
        postings.add(8, 1);
        postings.remove(8, 2);
        assert_eq!(recent(&postings, 8, 3), vec![1], "another item's removal leaves it");
        postings.remove(8, 1);
        assert!(postings.lists.is_empty());
    }
}
