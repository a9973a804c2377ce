//! One stable sort for the whole crate (and the web app).
//!
//! The standard library's `sort_by` is a fast driftsort that is compiled anew for every element
//! type and comparator: about 4 KB of wasm each, and the browser bundle carried ten of them. Here
//! the sorting works on indices through a `dyn` comparator, so it exists once; a call site adds
//! only a short generic permutation step. What pipesim sorts (jobs by stage, variable rows,
//! diagnostics, labels) is at most a few thousand items, often already in order, which
//! [`sorted_order`] notices in one pass.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal items in their order (stable).
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = sorted_order(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Sorts `items` by `key`, keeping items with equal keys in their order (stable).
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts and removes duplicates (the first of equal items stays).
pub fn sort_dedup<T: Ord>(items: &mut Vec<T>) {
    sort_by(items, T::cmp);
    items.dedup();
}

/// Lists up to this long are sorted by insertion.
const SHORT: usize = 16;

/// The stable sorted order of `len` items as indices: a bottom-up merge sort.
fn sorted_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    if (1..len).all(|i| compare(i - 1, i) != Ordering::Greater) {
        return order;
    }
    // Short lists (a job's variable rows, a few labels) are sorted by insertion: fewer
    // comparisons than the merge passes, and no second buffer.
    if len <= SHORT {
        for i in 1..len {
            let item = order[i];
            let mut at = i;
            // Stable: an item moves only past items strictly greater than it.
            while at > 0 && compare(order[at - 1], item) == Ordering::Greater {
                order[at] = order[at - 1];
                at -= 1;
            }
            order[at] = item;
        }
        return order;
    }
    let mut merged = vec![0; len];
    let mut width = 1;
    while width < len {
        let mut start = 0;
        while start < len {
            let middle = (start + width).min(len);
            let end = (start + 2 * width).min(len);
            merge(
                &order[start..middle],
                &order[middle..end],
                &mut merged[start..end],
                compare,
            );
            start = end;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Merges two sorted runs into `out`; on ties the left run goes first, which keeps it stable.
fn merge(
    left: &[usize],
    right: &[usize],
    out: &mut [usize],
    compare: &dyn Fn(usize, usize) -> Ordering,
) {
    let (mut l, mut r) = (0, 0);
    for slot in out.iter_mut() {
        let take_right =
            l == left.len() || (r < right.len() && compare(right[r], left[l]) == Ordering::Less);
        if take_right {
            *slot = right[r];
            r += 1;
        } else {
            *slot = left[l];
            l += 1;
        }
    }
}

/// Rearranges `items` so that position `p` holds what was at `order[p]`, following each cycle of
/// the permutation with swaps (no copies, no `Clone`).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut current = start;
        while order[current] != start {
            let next = order[current];
            items.swap(current, next);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small deterministic generator, so property tests need no extra crates.
    pub(crate) fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    /// Same result as the standard library's stable sort, on random lists with many ties.
    #[test]
    fn agrees_with_the_standard_stable_sort() {
        let mut seed = 7;
        for round in 0..500 {
            let len = (lcg(&mut seed) % 70) as usize + round % 3;
            let items: Vec<(u64, usize)> = (0..len)
                .map(|i| (lcg(&mut seed) % (1 + round as u64 % 9), i))
                .collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |item| item.0);
            let mut std_sorted = items;
            std_sorted.sort_by_key(|item| item.0);
            assert_eq!(ours, std_sorted, "round {round}");
        }
    }

    #[test]
    fn sorted_input_and_reverse_input() {
        let mut up: Vec<u32> = (0..1000).collect();
        sort_by(&mut up, u32::cmp);
        assert!(up.windows(2).all(|w| w[0] < w[1]));
        let mut down: Vec<u32> = (0..1000).rev().collect();
        sort_by(&mut down, u32::cmp);
        assert_eq!(down, up);
    }

    #[test]
    fn dedup_keeps_one_of_each() {
        let mut words: Vec<String> = ["b", "a", "b", "c", "a"].map(String::from).to_vec();
        sort_dedup(&mut words);
        assert_eq!(words, ["a", "b", "c"]);
    }
}
