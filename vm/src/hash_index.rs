//! The index of a table's hash part: an open-addressing array of entry
//! numbers, probed linearly from a position taken from the key's hash.
//!
//! A slot holds 0 (empty) or an entry's position plus one. Entries are
//! never removed from an index (a hash part keeps a key whose value
//! becomes nil, and rebuilds its index when it compacts), so there are no
//! tombstones, and the load is kept at most one half, so a probe always
//! meets an empty slot. An index without slots points at one shared empty
//! slot, so a lookup needs no test for it.
//!
//! Written for the lookups the interpreter makes for every field and
//! method it reads from a table with more than a few keys: a string key's
//! hash is stored in the string, so a hit costs a multiply, a load of the
//! slot and a compare of the entry's key.

use std::ptr::NonNull;

/// The shared slot of every empty index (never written: an empty index
/// has mask 0 and no room, so nothing is inserted before it grows).
static EMPTY_SLOT: u32 = 0;

const fn empty_slot() -> NonNull<u32> {
    // SAFETY: a pointer to a static is never null.
    unsafe { NonNull::new_unchecked(&EMPTY_SLOT as *const u32 as *mut u32) }
}

/// The smallest number of slots an index allocates.
const MIN_SLOTS: usize = 16;

pub struct Index {
    slots: NonNull<u32>,
    /// Number of slots minus one (slots are a power of two), 0 when empty.
    mask: u32,
    /// Occupied slots.
    len: u32,
}

// SAFETY: the index owns its slot buffer (or points at the immutable
// shared empty slot); it is moved with the table that owns it.
unsafe impl Send for Index {}

impl Default for Index {
    fn default() -> Self {
        Index::new()
    }
}

impl Index {
    pub const fn new() -> Index {
        Index {
            slots: empty_slot(),
            mask: 0,
            len: 0,
        }
    }

    /// Number of slots (0 for an empty index).
    pub fn capacity(&self) -> usize {
        if self.has_buffer() {
            self.mask as usize + 1
        } else {
            0
        }
    }

    /// Bytes of the slot buffer.
    pub fn bytes(&self) -> usize {
        self.capacity() * 4
    }

    fn has_buffer(&self) -> bool {
        !std::ptr::eq(self.slots.as_ptr(), &EMPTY_SLOT)
    }

    /// Slots an index needs for `n` entries.
    pub fn slots_for(n: usize) -> usize {
        (n * 2).next_power_of_two().max(MIN_SLOTS)
    }

    /// Whether `n` entries fit without growing.
    pub fn fits(&self, n: usize) -> bool {
        self.has_buffer() && n * 2 <= self.capacity()
    }

    /// Replace the slots by an empty buffer with room for `n` entries.
    /// False (the index left as it was) when the system allocator refuses.
    /// The caller re-inserts every entry.
    #[must_use]
    pub fn reset_for(&mut self, n: usize) -> bool {
        let cap = Self::slots_for(n);
        if cap > u32::MAX as usize / 2 {
            return false;
        }
        let mut v: Vec<u32> = Vec::new();
        if v.try_reserve_exact(cap).is_err() {
            return false;
        }
        v.resize(cap, 0);
        let b = v.into_boxed_slice();
        self.free();
        // SAFETY: a boxed slice's pointer is non-null; ownership moves to
        // the index (freed in `free` with the same length, `mask + 1`).
        self.slots = unsafe { NonNull::new_unchecked(Box::into_raw(b) as *mut u32) };
        self.mask = (cap - 1) as u32;
        self.len = 0;
        true
    }

    /// Empty every slot, keeping the buffer.
    pub fn clear(&mut self) {
        if self.has_buffer() {
            // SAFETY: the buffer holds `mask + 1` slots.
            unsafe { std::ptr::write_bytes(self.slots.as_ptr(), 0, self.mask as usize + 1) };
        }
        self.len = 0;
    }

    fn free(&mut self) {
        if self.has_buffer() {
            let n = self.mask as usize + 1;
            // SAFETY: the buffer came from a boxed slice of `n` slots
            // (`reset_for`) and is dropped once: the index forgets it.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.slots.as_ptr(), n))
            });
        }
        // (Fields, not `*self = Index::new()`, which would drop `self`.)
        self.slots = empty_slot();
        self.mask = 0;
        self.len = 0;
    }

    #[inline(always)]
    fn start(&self, hash: u64) -> u32 {
        (hash >> 32) as u32 & self.mask
    }

    /// Add entry `i` with hash `hash` (not present; room checked by the
    /// caller with `fits`).
    pub fn insert_unique(&mut self, hash: u64, i: u32) {
        debug_assert!(self.fits(self.len as usize + 1));
        let mut pos = self.start(hash);
        loop {
            // SAFETY: `pos <= mask`: inside the buffer (which `fits`
            // proved allocated).
            let s = unsafe { &mut *self.slots.as_ptr().add(pos as usize) };
            if *s == 0 {
                *s = i + 1;
                self.len += 1;
                return;
            }
            pos = (pos + 1) & self.mask;
        }
    }

    /// The entry with hash `hash` for which `is_key` holds.
    #[inline(always)]
    pub fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        let mut pos = self.start(hash);
        loop {
            // SAFETY: `pos <= mask`: inside the buffer, or the shared
            // empty slot when mask is 0.
            let s = unsafe { *self.slots.as_ptr().add(pos as usize) };
            if s == 0 {
                return None;
            }
            if is_key(s - 1) {
                return Some(s - 1);
            }
            pos = (pos + 1) & self.mask;
        }
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        self.free();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u32) -> u64 {
        (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[test]
    fn empty_index_finds_nothing() {
        let ix = Index::new();
        assert_eq!(ix.capacity(), 0);
        assert_eq!(ix.find(12345, |_| true), None);
    }

    #[test]
    fn inserted_entries_are_found_and_others_not() {
        let mut ix = Index::new();
        let keys: Vec<u32> = (0..200).map(|i| i * 7 + 3).collect();
        assert!(ix.reset_for(keys.len()));
        for (i, &k) in keys.iter().enumerate() {
            ix.insert_unique(h(k), i as u32);
        }
        assert!(ix.capacity() >= 400 && ix.capacity().is_power_of_two());
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(ix.find(h(k), |j| keys[j as usize] == k), Some(i as u32));
        }
        for k in [0u32, 1, 2, 4, 1000, 5000] {
            assert_eq!(ix.find(h(k), |j| keys[j as usize] == k), None);
        }
        ix.clear();
        assert_eq!(ix.find(h(3), |j| keys[j as usize] == 3), None);
    }

    #[test]
    fn colliding_hashes_probe_on() {
        let mut ix = Index::new();
        assert!(ix.reset_for(5));
        for i in 0..5 {
            ix.insert_unique(7 << 32, i);
        }
        for i in 0..5 {
            assert_eq!(ix.find(7 << 32, |j| j == i), Some(i));
        }
        assert_eq!(ix.find(7 << 32, |j| j == 9), None);
        assert!(ix.fits(8) && !ix.fits(9));
    }
}
