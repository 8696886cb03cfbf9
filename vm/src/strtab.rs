//! The intern table: every string object, found by its bytes.
//!
//! Open addressing with linear probing over slots that hold a string's
//! hash beside its pointer, so a probe that meets another string compares
//! two words without touching that string. The table is at most half
//! full and never removes a single entry: strings leave only when the
//! collector sweeps (`retain`), which rebuilds the slots from the
//! survivors, so there are no tombstones. The start slot is the top bits
//! of the hash times a 32-bit odd constant (Fibonacci hashing).
//!
//! A hit costs the slot's hash compare, the length and the bytes (short
//! strings compared by words, not through `memcmp`).

use crate::object::Str;
use std::ptr::NonNull;

/// Slots of a new or shrunk table (a power of two).
const MIN_SLOTS: usize = 256;

#[derive(Clone, Copy)]
struct Slot {
    hash: u32,
    str: Option<NonNull<Str>>,
}

const EMPTY: Slot = Slot { hash: 0, str: None };

pub struct StrTable {
    slots: Vec<Slot>,
    /// `32 - log2(slots.len())`: the start slot is `mix(hash) >> shift`.
    shift: u32,
    len: usize,
}

impl Default for StrTable {
    fn default() -> Self {
        StrTable::with_slots(MIN_SLOTS)
    }
}

/// Whether two byte strings of equal length are equal: by overlapping
/// words up to 32 bytes, `memcmp` beyond.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    // (Each read is inside both slices: `n` is at least its end.)
    let w8 = |s: &[u8], i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().unwrap());
    let w4 = |s: &[u8], i: usize| u32::from_ne_bytes(s[i..i + 4].try_into().unwrap());
    if n > 32 || b.len() != n {
        return a == b;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        8..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        _ => {
            (w8(a, 0) ^ w8(b, 0))
                | (w8(a, 8) ^ w8(b, 8))
                | (w8(a, n - 16) ^ w8(b, n - 16))
                | (w8(a, n - 8) ^ w8(b, n - 8))
                == 0
        }
    }
}

impl StrTable {
    fn with_slots(n: usize) -> StrTable {
        debug_assert!(n.is_power_of_two() && n >= 2);
        StrTable {
            slots: vec![EMPTY; n],
            shift: 32 - n.trailing_zeros(),
            len: 0,
        }
    }

    #[inline(always)]
    fn start(&self, hash: u32) -> usize {
        (hash.wrapping_mul(0x9E37_79B9) >> self.shift) as usize
    }

    /// Number of strings in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The string with hash `hash` (`gc::hash_bytes`) and bytes `b`.
    #[inline(always)]
    pub fn find(&self, hash: u32, b: &[u8]) -> Option<NonNull<Str>> {
        let mask = self.slots.len() - 1;
        let mut i = self.start(hash);
        loop {
            let s = self.slots[i];
            let p = s.str?;
            if s.hash == hash {
                let t = Str::bytes(p);
                if t.len() == b.len() && same_bytes(t, b) {
                    return Some(p);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Add string `p` (hash `hash`), known not to be in the table.
    pub fn insert(&mut self, hash: u32, p: NonNull<Str>) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.rebuild(self.slots.len() * 2, |_| true);
        }
        self.place(hash, p);
        self.len += 1;
    }

    fn place(&mut self, hash: u32, p: NonNull<Str>) {
        let mask = self.slots.len() - 1;
        let mut i = self.start(hash);
        while self.slots[i].str.is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { hash, str: Some(p) };
    }

    /// Keep only the strings for which `keep` holds (the collector's
    /// survivors); the slots are rebuilt with room for as many again
    /// before the next growth (at most a quarter full).
    pub fn retain(&mut self, mut keep: impl FnMut(NonNull<Str>) -> bool) {
        let live = self
            .slots
            .iter()
            .filter(|s| s.str.is_some_and(&mut keep))
            .count();
        let n = (live * 4).next_power_of_two().max(MIN_SLOTS);
        self.rebuild(n, keep);
    }

    /// Move the strings `keep` accepts into `n` fresh slots.
    fn rebuild(&mut self, n: usize, mut keep: impl FnMut(NonNull<Str>) -> bool) {
        let old = std::mem::replace(self, StrTable::with_slots(n));
        for s in old.slots {
            if let Some(p) = s.str {
                if keep(p) {
                    self.place(s.hash, p);
                    self.len += 1;
                }
            }
        }
    }

    /// The strings, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = NonNull<Str>> + '_ {
        self.slots.iter().filter_map(|s| s.str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gc::{hash_bytes, Heap};

    #[test]
    fn short_and_long_byte_compares() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x40;
                assert!(!same_bytes(&a, &b), "length {n}, byte {i}");
            }
        }
    }

    #[test]
    fn strings_found_by_content_through_growth_and_sweeps() {
        let mut h = Heap::new();
        let words: Vec<Vec<u8>> = (0..5000).map(|i| format!("w{i}").into_bytes()).collect();
        let ptrs: Vec<_> = words
            .iter()
            .map(|w| h.intern_value(w).as_str_ptr().unwrap())
            .collect();
        let mut t = StrTable::default();
        for (w, &p) in words.iter().zip(&ptrs) {
            assert_eq!(t.find(hash_bytes(w), w), None);
            t.insert(hash_bytes(w), p);
        }
        assert_eq!(t.len(), 5000);
        for (w, &p) in words.iter().zip(&ptrs) {
            assert_eq!(t.find(hash_bytes(w), w), Some(p));
        }
        // Keep every third: the others are gone, the survivors found.
        let keep: std::collections::HashSet<_> = ptrs.iter().step_by(3).copied().collect();
        t.retain(|p| keep.contains(&p));
        assert_eq!(t.len(), keep.len());
        for (w, p) in words.iter().zip(&ptrs) {
            let want = keep.contains(p).then_some(*p);
            assert_eq!(t.find(hash_bytes(w), w), want);
        }
        assert_eq!(t.iter().count(), keep.len());
        // Same hash, different bytes: told apart by the bytes.
        let (a, b) = (&words[0], &words[1]);
        assert_eq!(t.find(hash_bytes(a), b), None);
        t.retain(|_| false);
        assert!(t.is_empty() && t.slots.len() == MIN_SLOTS);
    }
}
