//! The sums of shared IDF, per item, that a candidate lookup ranks the window's items by: a
//! small open-addressing table kept from one lookup to the next.
//!
//! A lookup adds up to 24 terms × 32 items. A fresh hash map per lookup (allocated, its control
//! bytes cleared, then walked whole to read it) was most of the lookup's cost, and the lookups
//! are most of the story decisions. Here a slot belongs to the current lookup when it carries
//! the lookup's generation, so starting a lookup clears nothing, and the sums are read from the
//! list of slots it used. Only what a lookup needs: no removal, no iteration order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The table; [`SharedWeights::start`] begins each lookup.
#[derive(Debug, Default)]
pub struct SharedWeights {
    slots: Vec<Slot>,
    /// Indexes of the slots the current lookup used, in the order it first used them.
    used: Vec<u32>,
    generation: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    item: i64,
    generation: u32,
    sum: f32,
}

impl SharedWeights {
    /// Begins a lookup that will add about `expected` distinct items (more only costs a
    /// rehash).
    pub fn start(&mut self, expected: usize) {
        self.used.clear();
        let wanted = (expected * 2).next_power_of_two().max(16);
        if self.slots.len() < wanted {
            self.slots = vec![Slot::default(); wanted];
            self.generation = 0;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Wrapped after four billion lookups: old stamps must not pass for current ones.
            self.slots.iter_mut().for_each(|slot| slot.generation = 0);
            self.generation = 1;
        }
    }

    /// Adds `weight` to `item`'s sum (0 before its first weight of this lookup).
    pub fn add(&mut self, item: i64, weight: f32) {
        if (self.used.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut index = slot_of(item, mask);
        loop {
            let slot = &mut self.slots[index];
            if slot.generation != self.generation {
                // `0.0 + weight`, as a map's `or_insert(0.0) += weight` computes it.
                *slot = Slot { item, generation: self.generation, sum: 0.0 + weight };
                self.used.push(index as u32);
                return;
            }
            if slot.item == item {
                slot.sum += weight;
                return;
            }
            index = (index + 1) & mask;
        }
    }

    /// (sum, item) for every item added since [`SharedWeights::start`].
    pub fn sums(&self) -> impl Iterator<Item = (f32, i64)> + '_ {
        self.used.iter().map(|index| {
            let slot = self.slots[*index as usize];
            (slot.sum, slot.item)
        })
    }

    /// The `count` largest sums as (sum, item), largest first; of equal sums, the larger id
    /// first (a total order: the same few whatever order the sums come in). The few are kept in
    /// a heap whose root is the smallest of them, as integer keys: most sums come in smaller
    /// than the root and cost one comparison, a larger one replaces the root in a few steps.
    /// A short sorted list, which shifted its tail for every sum kept, cost a sixth of a story
    /// decision's instructions.
    pub fn best(&self, count: usize) -> Vec<(f32, i64)> {
        let mut kept: BinaryHeap<Reverse<(i32, i64)>> = BinaryHeap::with_capacity(count + 1);
        if count == 0 {
            return Vec::new();
        }
        for (sum, item) in self.sums() {
            let key = (ordered_bits(sum), item);
            if kept.len() < count {
                kept.push(Reverse(key));
            } else if let Some(mut smallest) = kept.peek_mut()
                && key > smallest.0
            {
                *smallest = Reverse(key);
            }
        }
        // Ascending order of `Reverse` keys is the largest first.
        kept.into_sorted_vec()
            .into_iter()
            .map(|Reverse((bits, item))| (from_ordered_bits(bits), item))
            .collect()
    }

    /// Doubles the table, keeping the current lookup's sums.
    fn grow(&mut self) {
        let kept: Vec<Slot> = self.used.iter().map(|index| self.slots[*index as usize]).collect();
        let size = (self.slots.len() * 2).max(16);
        self.slots = vec![Slot::default(); size];
        self.used.clear();
        let generation = self.generation;
        let mask = size - 1;
        for slot in kept {
            let mut index = slot_of(slot.item, mask);
            while self.slots[index].generation == generation {
                index = (index + 1) & mask;
            }
            self.slots[index] = slot;
            self.used.push(index as u32);
        }
    }
}

/// `value`'s bits as an integer that orders as `f32::total_cmp` orders the values.
fn ordered_bits(value: f32) -> i32 {
    let bits = value.to_bits() as i32;
    bits ^ ((((bits >> 31) as u32) >> 1) as i32)
}

/// The inverse of [`ordered_bits`] (the same flip undoes itself).
fn from_ordered_bits(bits: i32) -> f32 {
    f32::from_bits((bits ^ ((((bits >> 31) as u32) >> 1) as i32)) as u32)
}

/// Ids are sequential: a multiplication spreads them, and the high bits pick the slot.
fn slot_of(item: i64, mask: usize) -> usize {
    ((item as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn sorted(weights: &SharedWeights) -> Vec<(f32, i64)> {
        let mut sums: Vec<(f32, i64)> = weights.sums().collect();
        sums.sort_by_key(|entry| entry.1);
        sums
    }

    #[test]
    fn sums_as_a_map_does_and_forgets_the_previous_lookup() {
        let mut weights = SharedWeights::default();
        // More items than announced, to go through a rehash; repeated ids, in a scattered order.
        let hits: Vec<(i64, f32)> = (0..500_i64)
            .map(|index| ((index * 7919) % 137 + 1_000_000, 0.1 + (index % 13) as f32 * 0.37))
            .collect();
        for round in 0..3 {
            weights.start(if round == 0 { 8 } else { 64 });
            let mut map: HashMap<i64, f32> = HashMap::new();
            for (item, weight) in hits.iter().skip(round * 11) {
                weights.add(*item, *weight);
                *map.entry(*item).or_insert(0.0) += weight;
            }
            let mut expected: Vec<(f32, i64)> = map.into_iter().map(|(item, sum)| (sum, item)).collect();
            expected.sort_by_key(|entry| entry.1);
            let found = sorted(&weights);
            assert_eq!(found.len(), expected.len(), "round {round}");
            for (found, expected) in found.iter().zip(&expected) {
                assert_eq!(found.1, expected.1);
                assert_eq!(
                    found.0.to_bits(),
                    expected.0.to_bits(),
                    "item {}: same sum, bit for bit",
                    found.1
                );
            }
        }
        weights.start(4);
        assert!(weights.sums().next().is_none(), "a new lookup starts empty");
        assert!(weights.best(3).is_empty());
        weights.add(5, 1.5);
        assert_eq!(sorted(&weights), vec![(1.5, 5)]);
    }

    #[test]
    fn ordered_bits_order_as_total_cmp_and_come_back() {
        let values = [-3.5_f32, -0.0, 0.0, 1e-30, 0.5, 0.5000001, 7.25, f32::INFINITY, -f32::INFINITY];
        for a in values {
            assert_eq!(from_ordered_bits(ordered_bits(a)).to_bits(), a.to_bits());
            for b in values {
                assert_eq!(ordered_bits(a).cmp(&ordered_bits(b)), a.total_cmp(&b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn best_are_the_largest_sums_then_the_largest_ids() {
        let mut weights = SharedWeights::default();
        weights.start(300);
        // Many equal sums, so ties decide; ids in a scattered order.
        for index in 0..300_i64 {
            weights.add((index * 7919) % 1009, (index % 7) as f32 * 0.5);
        }
        let mut everything: Vec<(f32, i64)> = weights.sums().collect();
        everything.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        for count in [1, 5, 16, 299, 300, 400] {
            let expected: Vec<(f32, i64)> = everything.iter().take(count).copied().collect();
            assert_eq!(weights.best(count), expected, "best {count}");
        }
        assert!(weights.best(0).is_empty());
    }
}
