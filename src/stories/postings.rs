//! The lists of items behind each key of the candidate index (a term, a MinHash band, an exact
//! or title hash), in the order the items arrived.
//!
//! Most keys name a single item (bands, hashes and rare terms are nearly unique), so those are
//! kept in a map of their own with 16-byte slots, without an allocation: a window of 10,000
//! items has some 320,000 band keys.
//! Common terms name thousands of items; the window evicts its oldest items first, and those
//! are at the front, so they leave a double-ended queue in constant time instead of shifting
//! the whole list. Only what the window needs: no ordering by date, no deduplication (the
//! window removes an item before adding it again).

use std::collections::VecDeque;

use super::vector::TermMap;

/// Items by key.
#[derive(Debug, Default)]
pub struct Postings {
    /// Keys with one item, most of them: a slot is 16 bytes.
    single: TermMap<i64>,
    /// Keys with several items, oldest first.
    several: TermMap<VecDeque<i64>>,
}

impl Postings {
    /// Appends `item` to the list of `key`.
    pub fn add(&mut self, key: u64, item: i64) {
        if let Some(items) = self.several.get_mut(&key) {
            items.push_back(item);
        } else if let Some(first) = self.single.remove(&key) {
            self.several.insert(key, VecDeque::from([first, item]));
        } else {
            self.single.insert(key, item);
        }
    }

    /// The last `count` items of `key` (its most recent), oldest first, as at most two slices.
    pub fn recent(&self, key: u64, count: usize) -> (&[i64], &[i64]) {
        if let Some(item) = self.single.get(&key) {
            return (std::slice::from_ref(item), &[]);
        }
        let Some(items) = self.several.get(&key) else {
            return (&[], &[]);
        };
        let (front, back) = items.as_slices();
        if back.len() >= count {
            (&[], &back[back.len() - count..])
        } else {
            (&front[front.len().saturating_sub(count - back.len())..], back)
        }
    }

    /// Removes `item` from the list of `key`, and the key when nothing is left.
    pub fn remove(&mut self, key: u64, item: i64) {
        if self.single.get(&key) == Some(&item) {
            self.single.remove(&key);
            return;
        }
        let Some(items) = self.several.get_mut(&key) else { return };
        // Usually the oldest: found at once, and popped without moving the rest.
        if let Some(position) = items.iter().position(|other| *other == item) {
            items.remove(position);
        }
        // A list down to one item goes back to the small slots.
        if items.len() <= 1 {
            let last = items.pop_front();
            self.several.remove(&key);
            if let Some(last) = last {
                self.single.insert(key, last);
            }
        }
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.single.is_empty() && self.several.is_empty()
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
}
