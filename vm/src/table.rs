//! Table operations: array part (keys 1..=alen) and a hash part made of a
//! dense entry array indexed by an open-addressing `hash_index::Index`, so that `next`
//! walks the entries in order and setting an existing field to nil (which
//! keeps the entry) never disturbs a traversal. `#` follows the 5.1 border
//! rules.
//!
//! Both parts are buffers of the heap's buffer pool (`gc::Bufs`: size-class
//! cells up to `gc::SMALL_MAX` bytes, system blocks above), so operations
//! that can grow a table take the `Heap` (which counts the bytes). A hash
//! part of at most `SMALL_HASH` entries has no index, which saves its
//! allocation: a lookup compares the key's fingerprint byte with all the
//! entries' at once (`HashPart::fps`) and looks only at those that match
//! (two entries or fewer are simply scanned).

use crate::gc::{Bufs, Heap};
use crate::hash_index::Index;
use crate::object::{NoMM, Str, Table};
use crate::value::Value;
use std::ptr::NonNull;

/// Hash part: entries in insertion order plus an index by key hash.
/// `eptr`/`elen` are the entry buffer and its length, which compiled
/// code reads too; `ecap` the buffer's capacity (entries). The index
/// exists only above `SMALL_HASH` entries.
#[repr(C)]
pub struct HashPart {
    pub eptr: *mut (Value, Value),
    pub elen: u32,
    ecap: u32,
    index: Index,
    /// Entries whose value is nil (dead but kept for traversal).
    dead: usize,
    /// Key signature: bit `key_sig(k)` set for every key ever entered
    /// since the part was last emptied or compacted. A clear bit proves a
    /// key absent (compiled code's lookups of constant string keys a
    /// table lacks, mostly methods reached through `__index`, test one
    /// bit instead of scanning).
    pub sig: u64,
    /// Fingerprints of a small part's keys: byte `i` is `fp_byte` of entry
    /// `i`'s key (entries below `min(elen, SMALL_HASH)`; other bytes are
    /// stale). A lookup compares all eight at once (`fp_candidates`) and
    /// looks only at the entries whose byte matches, usually one.
    fps: u64,
}

/// The fingerprint byte of a key whose `key_hash` is `h` (see
/// `HashPart::fps`): hash bits below the signature's.
#[inline(always)]
fn fp_byte(h: u64) -> u64 {
    (h >> 50) & 0xff
}

/// Bit 8*i+7 set for each entry `i < n` whose fingerprint byte in `fps`
/// may be `fp` (exact for the lowest match; higher ones may be false
/// positives, which the caller's key comparison rejects).
#[inline(always)]
fn fp_candidates(fps: u64, fp: u64, n: usize) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    // The high bit of each of the first `n` bytes.
    const LIVE: [u64; SMALL_HASH + 1] = {
        let mut t = [0u64; SMALL_HASH + 1];
        let mut n = 1;
        while n <= SMALL_HASH {
            t[n] = t[n - 1] | (0x80 << (8 * (n - 1)));
            n += 1;
        }
        t
    };
    let x = fps ^ fp.wrapping_mul(LO);
    x.wrapping_sub(LO) & !x & LIVE[n]
}

/// The signature bit of key `k` (see `HashPart::sig`).
#[inline(always)]
pub fn key_sig(k: Value) -> u64 {
    sig_bit(key_hash(k))
}

/// `key_sig` of a key whose `key_hash` is `h`.
#[inline(always)]
fn sig_bit(h: u64) -> u64 {
    1u64 << (h >> 58)
}

/// Count a change of a hash index's size in bytes in the heap's total and
/// the buffer pool's share of it (the index is the system allocator's).
fn note_index(heap: &mut Heap, before: usize, after: usize) {
    if after != before {
        heap.bufs.index = (heap.bufs.index + after).saturating_sub(before);
        heap.allocated = (heap.allocated + after).saturating_sub(before);
    }
}

/// Hash parts of up to this many entries are searched without an index.
pub const SMALL_HASH: usize = 8;

impl Default for HashPart {
    fn default() -> Self {
        HashPart {
            eptr: std::ptr::null_mut(),
            elen: 0,
            ecap: 0,
            index: Index::new(),
            dead: 0,
            sig: 0,
            fps: 0,
        }
    }
}

/// Offsets for compiled code: the mirror fields in `HashPart`, and the key
/// and value of an entry.
pub const HASH_EPTR_OFS: usize = std::mem::offset_of!(HashPart, eptr);
pub const HASH_ELEN_OFS: usize = std::mem::offset_of!(HashPart, elen);
pub const HASH_SIG_OFS: usize = std::mem::offset_of!(HashPart, sig);
pub const HASH_ECAP_OFS: usize = std::mem::offset_of!(HashPart, ecap);
pub const NODE_KEY_OFS: usize = std::mem::offset_of!((Value, Value), 0);
pub const NODE_VAL_OFS: usize = std::mem::offset_of!((Value, Value), 1);
pub const NODE_SIZE: usize = std::mem::size_of::<(Value, Value)>();

/// Why a key cannot be used to store into a table.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    Nil,
    NaN,
    /// Growing the table failed: past the heap's limit or refused by the
    /// system allocator (`Heap::buf_realloc`); the table is as it was.
    /// The caller collects and retries, then raises "not enough memory".
    Memory,
}

/// A table growth: `Err(KeyError::Memory)` when it failed.
type Grown = Result<(), KeyError>;

#[inline(always)]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

/// Hash of a normalised key.
#[inline(always)]
pub fn key_hash(k: Value) -> u64 {
    match k.as_str_ptr() {
        Some(s) => (Str::hash_of(s) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        None => mix(k.bits()),
    }
}

/// A string key's hint: the hash entry it was last found at, in any
/// table. Objects made by one constructor, or given their fields in one
/// order, hold a field at the same entry, so a field's lookup is usually
/// one compare there. The hint is kept in the string's header word
/// (`GcHeader::aux`, otherwise unused by strings); a stale one is only a
/// miss.
#[inline(always)]
fn str_hint(s: NonNull<Str>) -> usize {
    // SAFETY: `s` is a live string.
    unsafe { (*s.as_ptr()).hdr.aux as usize }
}

#[inline(always)]
fn set_str_hint(s: NonNull<Str>, i: usize) {
    // SAFETY: `s` is a live string; `aux` is a cache no one else reads
    // for strings (their bytes, hash and length never change).
    unsafe { (*s.as_ptr()).hdr.aux = i as u32 };
}

/// Integer array index of a number key, if it is one (1-based).
#[inline(always)]
fn array_index(k: Value) -> Option<u64> {
    slot_index(k.as_num()?)
        .filter(|&i| i >= 1)
        .map(|i| i as u64)
}

/// `n` as an integer if it is one and |n| < 2^32 (array parts are no
/// longer; callers compare with their length, where a negative index is
/// beyond it as `u64`). The range test comes first, so the conversion is
/// a plain truncation: Rust's saturating `as` costs a compare-and-select
/// sequence.
#[inline(always)]
fn slot_index(n: f64) -> Option<i64> {
    if n.abs() < 4_294_967_296.0 {
        // SAFETY: |n| < 2^32: its truncation fits an i64.
        let i = unsafe { n.to_int_unchecked::<i64>() };
        (i as f64 == n).then_some(i)
    } else {
        // (And NaN.)
        None
    }
}

/// Normalise a key for storage: -0 becomes 0; nil and NaN are refused.
#[inline(always)]
pub fn normalize_key(k: Value) -> Result<Value, KeyError> {
    if let Some(n) = k.as_num() {
        if n.is_nan() {
            return Err(KeyError::NaN);
        }
        if n == 0.0 {
            return Ok(Value::num(0.0));
        }
        Ok(k)
    } else if k.is_nil() {
        Err(KeyError::Nil)
    } else {
        Ok(k)
    }
}

impl HashPart {
    /// The entries, in insertion order (dead ones have a nil value).
    #[inline(always)]
    pub fn entries(&self) -> &[(Value, Value)] {
        if self.elen == 0 {
            return &[];
        }
        // SAFETY: `eptr` holds `elen` initialised entries.
        unsafe { std::slice::from_raw_parts(self.eptr, self.elen as usize) }
    }

    #[inline(always)]
    fn entries_mut(&mut self) -> &mut [(Value, Value)] {
        if self.elen == 0 {
            return &mut [];
        }
        // SAFETY: as `entries`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.eptr, self.elen as usize) }
    }

    /// The entry of key `k`. A string key is first looked for at its hint
    /// (`str_hint`); then, in a small part, the entries whose key
    /// fingerprint matches `k`'s are compared (usually one; none for most
    /// misses, such as a method looked up in an object before its class).
    #[inline(always)]
    fn find(&self, k: Value) -> Option<usize> {
        if k.is_str() {
            return self.find_str(k);
        }
        let n = self.elen as usize;
        let e = self.eptr;
        if n <= 2 {
            // (Two compares cost less than the key's hash.)
            // SAFETY: `i < elen`: initialised entries.
            return (0..n).find(|&i| unsafe { (*e.add(i)).0.bits() } == k.bits());
        }
        self.find_hashed(k)
    }

    /// `find` for a key known to be a string (TGETS's, TSETS's).
    #[inline(always)]
    fn find_str(&self, k: Value) -> Option<usize> {
        debug_assert!(k.is_str());
        let n = self.elen as usize;
        let e = self.eptr;
        if n <= 2 {
            // SAFETY: `i < elen`: initialised entries.
            return (0..n).find(|&i| unsafe { (*e.add(i)).0.bits() } == k.bits());
        }
        // SAFETY: a string value's payload is its (live, non-null) object.
        let s = unsafe { NonNull::new_unchecked(k.payload() as *mut Str) };
        let i = str_hint(s);
        // SAFETY: `i < elen`: an initialised entry.
        if i < n && unsafe { (*e.add(i)).0.bits() } == k.bits() {
            return Some(i);
        }
        self.find_hashed(k)
    }

    /// `find` by the key's hash; a string key found gets its hint.
    #[inline(never)]
    fn find_hashed(&self, k: Value) -> Option<usize> {
        let found = self.find_by_hash(k);
        if let (Some(s), Some(i)) = (k.as_str_ptr(), found) {
            set_str_hint(s, i);
        }
        found
    }

    #[inline(always)]
    fn find_by_hash(&self, k: Value) -> Option<usize> {
        let n = self.elen as usize;
        let e = self.eptr;
        let h = key_hash(k);
        if n <= SMALL_HASH {
            if self.sig & sig_bit(h) == 0 {
                return None;
            }
            let mut m = fp_candidates(self.fps, fp_byte(h), n);
            while m != 0 {
                let i = (m.trailing_zeros() / 8) as usize;
                // SAFETY: `i < n = elen`: an initialised entry.
                if unsafe { (*e.add(i)).0.bits() } == k.bits() {
                    return Some(i);
                }
                m &= m - 1;
            }
            return None;
        }
        self.index
            // SAFETY: the index holds positions of initialised entries.
            .find(h, |i| unsafe { (*e.add(i as usize)).0.bits() } == k.bits())
            .map(|i| i as usize)
    }

    /// Append the entry `(k, v)` (room checked by the caller: `elen <
    /// ecap`; the index, if any, is the caller's to update).
    #[inline(always)]
    fn push_entry(&mut self, k: Value, v: Value) {
        debug_assert!(self.elen < self.ecap);
        // SAFETY: `elen < ecap`: the slot is inside the buffer.
        unsafe { self.eptr.add(self.elen as usize).write((k, v)) };
        self.note_key(self.elen as usize, k);
        self.elen += 1;
    }

    /// Account for key `k` entered at entry `i`: its signature bit, and
    /// its fingerprint in a small part.
    #[inline(always)]
    fn note_key(&mut self, i: usize, k: Value) {
        let h = key_hash(k);
        self.sig |= sig_bit(h);
        if i < SMALL_HASH {
            let sh = 8 * i as u32;
            self.fps = (self.fps & !(0xff << sh)) | (fp_byte(h) << sh);
        }
    }

    /// Store `v` into the live entry `i` (a nil makes it dead).
    #[inline(always)]
    fn overwrite_live(&mut self, i: usize, v: Value) {
        if v.is_nil() {
            self.dead += 1;
        }
        self.entries_mut()[i].1 = v;
    }

    #[inline(always)]
    pub fn get(&self, k: Value) -> Value {
        match self.find(k) {
            // SAFETY: `find` gives an initialised entry's position.
            Some(i) => unsafe { (*self.eptr.add(i)).1 },
            None => Value::NIL,
        }
    }

    /// `get` of a string key.
    #[inline(always)]
    pub fn get_str(&self, k: Value) -> Value {
        match self.find_str(k) {
            // SAFETY: `find_str` gives an initialised entry's position.
            Some(i) => unsafe { (*self.eptr.add(i)).1 },
            None => Value::NIL,
        }
    }

    /// Insert or update; a new key may grow the entries and the index
    /// (failing, nothing is changed).
    fn set(&mut self, heap: &mut Heap, k: Value, v: Value) -> Grown {
        if let Some(i) = self.find(k) {
            let e = &mut self.entries_mut()[i];
            let was_nil = e.1.is_nil();
            e.1 = v;
            if was_nil && !v.is_nil() {
                self.dead -= 1;
            } else if !was_nil && v.is_nil() {
                self.dead += 1;
            }
            return Ok(());
        }
        if v.is_nil() {
            return Ok(());
        }
        // (Measured before a compaction, which may drop the index.)
        let before = self.index.bytes();
        if self.elen == self.ecap {
            if self.dead * 2 >= self.elen as usize && self.dead > 0 {
                self.compact();
            } else {
                let cap = self.ecap as usize;
                self.reserve(heap, cap + cap.max(4))?;
            }
        }
        let n = self.elen as usize + 1;
        let mut rebuild = false;
        if n > SMALL_HASH && !self.index.fits(n) {
            // A full index doubles (counted as `note_index` does, checked
            // against the limit as the entries are).
            let grow = Index::slots_for(n) * 4;
            if (grow >= crate::gc::GROWTH_CHECKED && heap.would_exceed(grow))
                || !self.index.reset_for(n)
            {
                // (A compaction above may have dropped the index.)
                note_index(heap, before, self.index.bytes());
                return Err(KeyError::Memory);
            }
            rebuild = true;
        }
        let idx = self.elen as usize;
        self.push_entry(k, v);
        // (At `SMALL_HASH + 1` entries the index is built for all of them.)
        if rebuild || n == SMALL_HASH + 1 {
            self.build_index();
        } else if n > SMALL_HASH {
            self.index.insert_unique(key_hash(k), idx as u32);
        }
        note_index(heap, before, self.index.bytes());
        Ok(())
    }

    /// Make the entry buffer hold at least `n` entries (failing, it is
    /// left as it was).
    fn reserve(&mut self, heap: &mut Heap, n: usize) -> Grown {
        if n <= self.ecap as usize {
            return Ok(());
        }
        if n > u32::MAX as usize {
            return Err(KeyError::Memory);
        }
        const E: usize = std::mem::size_of::<(Value, Value)>();
        // SAFETY: `eptr` is null or this part's buffer of `ecap` entries,
        // `elen` of them in use; it is replaced by the new one.
        let (p, cap) = unsafe {
            heap.buf_realloc(
                self.eptr as *mut u8,
                self.ecap as usize * E,
                self.elen as usize * E,
                n * E,
            )
        }
        .ok_or(KeyError::Memory)?;
        self.eptr = p.as_ptr() as *mut (Value, Value);
        self.ecap = (cap / E).min(u32::MAX as usize) as u32;
        Ok(())
    }

    /// (Re)build the index over every entry (above `SMALL_HASH` entries;
    /// the index has room for them).
    fn build_index(&mut self) {
        self.index.clear();
        let eptr = self.eptr;
        for i in 0..self.elen as usize {
            // SAFETY: `i < elen`: an initialised entry.
            let k = unsafe { (*eptr.add(i)).0 };
            self.index.insert_unique(key_hash(k), i as u32);
        }
    }

    /// Index of key `k`'s entry (for compiled code's slot specialisation).
    pub fn slot_of(&self, k: Value) -> Option<usize> {
        self.find(k)
    }

    /// Drop entries whose value is nil and rebuild the index.
    fn compact(&mut self) {
        let mut j = 0;
        for i in 0..self.elen as usize {
            // SAFETY: `j <= i < elen`: both initialised entries.
            unsafe {
                let e = *self.eptr.add(i);
                if !e.1.is_nil() {
                    *self.eptr.add(j) = e;
                    j += 1;
                }
            }
        }
        self.elen = j as u32;
        self.dead = 0;
        self.sig = 0;
        for i in 0..j {
            // SAFETY: `i < j = elen`: an initialised entry.
            let k = unsafe { (*self.eptr.add(i)).0 };
            self.note_key(i, k);
        }
        if j > SMALL_HASH {
            // (Fewer entries than before: the index has room.)
            self.build_index();
        } else {
            self.index = Index::new();
        }
    }

    pub fn len(&self) -> usize {
        self.elen as usize - self.dead
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes owned by the hash part.
    pub fn size_bytes(&self) -> usize {
        self.ecap as usize * 16 + self.index.bytes()
    }
    /// The collector's pass over the entries: `mark` sees every live
    /// entry's key and value; the key of a dead entry (nil value) that is
    /// a heap object becomes a dead key (`tag::DEADKEY`), as nothing else
    /// keeps the object alive, and a new object at its address must not
    /// match the entry (its position in the index is the old key's).
    pub fn traverse(&mut self, mut mark: impl FnMut(Value, Value)) {
        for e in self.entries_mut() {
            if e.1.is_nil() {
                if e.0.is_gc() {
                    e.0 = Value::dead_key(e.0);
                }
            } else {
                mark(e.0, e.1);
            }
        }
    }

    /// Position of the dead entry whose key was heap object `k` before
    /// the collector made it a dead key (`next` from a key whose value was
    /// set to nil during a traversal).
    fn find_dead(&self, k: Value) -> Option<usize> {
        if !k.is_gc() {
            return None;
        }
        let dead = Value::dead_key(k).bits();
        self.entries().iter().position(|e| e.0.bits() == dead)
    }

    /// Remove every entry whose key or value fails `keep` (weak tables).
    pub fn retain(&mut self, mut keep: impl FnMut(Value, Value) -> bool) {
        let mut dead = 0;
        for e in self.entries_mut() {
            if !e.1.is_nil() && !keep(e.0, e.1) {
                e.1 = Value::NIL;
                dead += 1;
            }
        }
        self.dead += dead;
    }
}

// Operations on a live table. All take the table by pointer: tables are
// shared, mutable heap objects, and no reference into one is kept across
// calls.

#[inline(always)]
fn tab<'a>(t: NonNull<Table>) -> &'a mut Table {
    // SAFETY: `t` is a live table (non-moving GC); the VM is single-threaded
    // and no other reference into the table is held across this call.
    unsafe { &mut *t.as_ptr() }
}

/// Read `t[k]` without metamethods.
#[inline]
pub fn get(t: NonNull<Table>, k: Value) -> Value {
    let tb = tab(t);
    if let Some(n) = k.as_num() {
        let i = n as i64;
        if i as f64 == n {
            if i >= 0 && (i as u64) <= tb.alen as u64 {
                // SAFETY: 0 <= i <= alen: the key-0 slot or an
                // initialised array slot (see `Table::arr`).
                return unsafe { *tb.arr.offset(i as isize - 1) };
            }
        } else if n.is_nan() {
            return Value::NIL;
        }
        return tb.hash.get(k);
    }
    if k.is_nil() {
        return Value::NIL;
    }
    tb.hash.get(k)
}

/// Read `t[s]` for a string key.
#[inline]
pub fn get_str(t: NonNull<Table>, k: Value) -> Value {
    tab(t).hash.get_str(k)
}

/// Overwrite `t[k]` for a (normalised) key `k` that already has a hash
/// entry whose value is non-nil (so neither `__newindex` nor growth can be
/// involved).
/// Returns false, storing nothing, when there is no such entry.
#[inline(always)]
pub fn set_hash_existing(t: NonNull<Table>, k: Value, v: Value) -> bool {
    let h = &mut tab(t).hash;
    match h.find(k) {
        Some(i) if !h.entries()[i].1.is_nil() => {
            h.overwrite_live(i, v);
            true
        }
        _ => false,
    }
}

/// `t[k] = v` for a string key `k` as TSETS does it without the slow
/// path, in a table without a metatable or whose metatable is known to
/// lack `__newindex` (its negative cache bit set): overwrite a live
/// entry (as `set_hash_existing`), give a dead entry (a field set to nil
/// before) a non-nil value again, or append a new key to a small hash
/// part with room (no index to update, no growth) — a constructor's or
/// an object's fields. Returns false, storing nothing, otherwise (a nil
/// for a new key, growth, a `__newindex` to consider).
#[inline(always)]
pub fn set_str_fast(t: NonNull<Table>, k: Value, v: Value) -> bool {
    let tb = tab(t);
    let meta = tb.meta;
    let h = &mut tb.hash;
    match h.find_str(k) {
        Some(i) if !h.entries()[i].1.is_nil() => {
            h.overwrite_live(i, v);
            true
        }
        found => {
            if v.is_nil() || !lacks_newindex(meta) {
                return false;
            }
            match found {
                Some(i) => {
                    h.entries_mut()[i].1 = v;
                    h.dead -= 1;
                }
                None if h.elen < h.ecap && (h.elen as usize) < SMALL_HASH => {
                    // (Room checked; below `SMALL_HASH` entries there is
                    // no index to update.)
                    h.push_entry(k, v);
                }
                None => return false,
            }
            // (A string key given a value may be a metamethod's name.)
            tb.nomm = 0;
            true
        }
    }
}

/// Whether a store of a new key into a table with metatable `meta`
/// involves no `__newindex`: no metatable, or one whose negative cache
/// says it has none.
#[inline(always)]
fn lacks_newindex(meta: *mut Table) -> bool {
    const BIT: NoMM = 1 << crate::state::MM::NewIndex as u32;
    meta.is_null() || {
        // SAFETY: a table's metatable is a live table.
        unsafe { (*meta).nomm & BIT != 0 }
    }
}

/// Overwrite `t[k]` for a number key inside the array part (or 0) whose
/// slot is non-nil, or any such slot of a table without a metatable.
/// Returns false, storing nothing, otherwise.
#[inline(always)]
pub fn set_arr_existing(t: NonNull<Table>, k: Value, v: Value) -> bool {
    let tb = tab(t);
    let n = k.num_unchecked();
    let i = n as i64;
    if i as f64 == n && i >= 0 && (i as u64) <= tb.alen as u64 {
        // SAFETY: 0 <= i <= alen: the key-0 slot or an initialised array
        // slot (see `Table::arr`).
        let slot = unsafe { &mut *tb.arr.offset(i as isize - 1) };
        if !slot.is_nil() || tb.meta.is_null() {
            *slot = v;
            return true;
        }
    }
    false
}

/// TSETV/TSETB's fast path: `set_arr_existing`, and an append (key
/// `alen + 1`, a non-nil value) while the array buffer has room, the hash
/// part is empty (no keys to move over) and no `__newindex` can apply
/// (no metatable, or one known to lack it). A nil slot of the array part
/// is stored to under the same metatable rule. Returns false, storing
/// nothing, otherwise.
#[inline(always)]
pub fn set_arr_fast(t: NonNull<Table>, k: Value, v: Value) -> bool {
    let tb = tab(t);
    let Some(i) = slot_index(k.num_unchecked()) else {
        return false;
    };
    // (A negative index is above `alen + 1` as u64.)
    let i = i as u64;
    let alen = tb.alen as u64;
    if i <= alen {
        // SAFETY: 0 <= i <= alen: the key-0 slot or an initialised array
        // slot (see `Table::arr`).
        let slot = unsafe { &mut *tb.arr.offset(i as isize - 1) };
        if !slot.is_nil() || lacks_newindex(tb.meta) {
            *slot = v;
            return true;
        }
    } else if i == alen + 1
        && alen < tb.acap() as u64
        && !v.is_nil()
        && tb.hash.is_empty()
        && lacks_newindex(tb.meta)
    {
        // SAFETY: alen < acap: slot `alen` is inside the buffer.
        unsafe { tb.arr.add(alen as usize).write(v) };
        tb.alen += 1;
        return true;
    }
    false
}

/// The interpreter's array fast path: `t[n]` when `n` is an integer in
/// `0..=alen` whose slot is not nil (else None: the caller's general
/// path decides, `__index` included).
#[inline(always)]
pub fn get_arr_num(t: NonNull<Table>, n: f64) -> Option<Value> {
    let tb = tab(t);
    let i = slot_index(n).filter(|&i| (i as u64) <= tb.alen as u64)?;
    // SAFETY: 0 <= i <= alen (a negative `i` is above `alen` as u64): the
    // key-0 slot or an initialised array slot (see `Table::arr`).
    let v = unsafe { *tb.arr.offset(i as isize - 1) };
    (!v.is_nil()).then_some(v)
}

/// Read `t[i]` for an integer key.
#[inline]
pub fn get_int(t: NonNull<Table>, i: i64) -> Value {
    let tb = tab(t);
    if i >= 0 && (i as u64) <= tb.alen as u64 {
        // SAFETY: the key-0 slot or in bounds of the initialised array
        // part (see `Table::arr`).
        unsafe { *tb.arr.offset(i as isize - 1) }
    } else {
        tb.hash.get(Value::num(i as f64))
    }
}

/// Store `t[k] = v` without metamethods; growing the table takes memory
/// from `heap` (and counts it). `KeyError::Memory` when it cannot grow:
/// nothing is stored then.
#[inline]
pub fn set(heap: &mut Heap, t: NonNull<Table>, k: Value, v: Value) -> Result<(), KeyError> {
    let tb = tab(t);
    if let Some(i) = array_index(k) {
        if i <= tb.alen as u64 {
            // SAFETY: in bounds of the initialised array part.
            unsafe { *tb.arr.add(i as usize - 1) = v };
            return Ok(());
        }
        if i == tb.alen as u64 + 1 && !v.is_nil() {
            return append(heap, tb, v);
        }
        return hash_insert(heap, tb, k, v);
    }
    let k = normalize_key(k)?;
    if k.is_str() {
        tb.nomm = 0;
    } else if k.bits() == Value::num(0.0).bits() {
        // SAFETY: the key-0 slot (see `Table::arr`).
        unsafe { *tb.arr.sub(1) = v };
        return Ok(());
    }
    hash_insert(heap, tb, k, v)
}

/// Store into the hash part; when it is full and the key is new, first
/// re-balance integer keys into the array part (5.1's rehash rule: the
/// array size is the largest power of two that is more than half used).
#[inline]
fn hash_insert(heap: &mut Heap, tb: &mut Table, k: Value, v: Value) -> Grown {
    let h = &tb.hash;
    // (If the array part cannot grow, the hash part may still take it.)
    if !v.is_nil() && h.elen == h.ecap && h.find(k).is_none() && grow_array_for(heap, tb, k).is_ok()
    {
        if let Some(i) = array_index(k) {
            if i <= tb.alen as u64 {
                // SAFETY: in bounds of the initialised array part.
                unsafe { *tb.arr.add(i as usize - 1) = v };
                return Ok(());
            }
        }
    }
    tb.hash.set(heap, k, v)
}

/// Count the integer keys (array part, hash part and `extra`) by powers of
/// two; if an array part larger than the current one would be more than
/// half full, grow it and move the hash part's keys that fit into it.
#[cold]
fn grow_array_for(heap: &mut Heap, tb: &mut Table, extra: Value) -> Grown {
    let mut nums = [0usize; 33];
    let mut total = 0usize;
    let mut count = |i: u64, nums: &mut [usize; 33]| {
        if i <= 1 << 31 {
            let b = 64 - (i - 1).leading_zeros() as usize; // ceil(log2(i))
            nums[b] += 1;
            total += 1;
        }
    };
    for i in 0..tb.alen as usize {
        // SAFETY: within the initialised array part.
        if !unsafe { *tb.arr.add(i) }.is_nil() {
            count(i as u64 + 1, &mut nums);
        }
    }
    let mut any_hash_int = false;
    for e in tb.hash.entries() {
        if !e.1.is_nil() {
            if let Some(i) = array_index(e.0) {
                count(i, &mut nums);
                any_hash_int = true;
            }
        }
    }
    match array_index(extra) {
        Some(i) => count(i, &mut nums),
        None if !any_hash_int => return Ok(()),
        None => {}
    }
    let (mut acc, mut optimal) = (0usize, 0usize);
    let mut two = 1usize;
    for n in nums.iter() {
        if two / 2 >= total {
            break;
        }
        acc += n;
        if acc > two / 2 {
            optimal = two;
        }
        two *= 2;
    }
    if optimal <= tb.alen as usize {
        return Ok(());
    }
    arr_resize(heap, tb, optimal, true)?;
    let arr = tb.arr;
    let mut moved = 0;
    for e in tb.hash.entries_mut() {
        if e.1.is_nil() {
            continue;
        }
        if let Some(i) = array_index(e.0) {
            if i as usize <= optimal {
                // SAFETY: 1 <= i <= optimal = alen: inside the array part.
                unsafe { *arr.add(i as usize - 1) = e.1 };
                e.1 = Value::NIL;
                moved += 1;
            }
        }
    }
    tb.hash.dead += moved;
    if tb.hash.dead > 0 {
        let before = tb.hash.index.bytes();
        tb.hash.compact();
        note_index(heap, before, tb.hash.index.bytes());
    }
    Ok(())
}

/// A copy of template table `tpl` (TDUP): its array part, key 0 and live
/// hash entries, in buffers sized to fit.
pub fn dup(heap: &mut Heap, tpl: NonNull<Table>) -> NonNull<Table> {
    let src = tab(tpl);
    let (na, nh) = (src.alen as usize, src.hash.len());
    // (`new_table` presizes by force: see `forced`.)
    let t = heap.new_table(na, nh);
    let tb = tab(t);
    if na > 0 {
        // SAFETY: both array parts have `na` slots (the new one presized).
        unsafe { std::ptr::copy_nonoverlapping(src.arr, tb.arr, na) };
    }
    // SAFETY: both tables' key-0 slots (see `Table::arr`).
    unsafe { *tb.arr.sub(1) = *src.arr.sub(1) };
    if nh > 0 {
        let h = &mut tb.hash;
        for &e in src.hash.entries() {
            if !e.1.is_nil() {
                // SAFETY: `elen < nh <= ecap` (presized for the live entries).
                unsafe { h.eptr.add(h.elen as usize).write(e) };
                h.note_key(h.elen as usize, e.0);
                h.elen += 1;
            }
        }
        if h.elen as usize > SMALL_HASH {
            // (`new_table` presized the index for the live entries.)
            h.build_index();
        }
    }
    t
}

/// Store `t[i] = v` for an integer key (`KeyError::Memory` as `set`).
#[inline]
pub fn set_int(heap: &mut Heap, t: NonNull<Table>, i: i64, v: Value) -> Grown {
    set(heap, t, Value::num(i as f64), v)
}

/// A growth that cannot fail where it is made (a table made with sizes:
/// TNEW, TDUP's copy, `lua_createtable`; a sunk table's stores at a trace
/// exit): past the heap's limit it is made anyway, and a collection is
/// due at the next safe point, which raises "not enough memory" if the
/// live data stays above the limit. The system allocator failing is
/// still fatal here.
/// (Key errors are ignored: nothing is stored.)
pub fn forced(heap: &mut Heap, mut f: impl FnMut(&mut Heap) -> Grown) {
    if f(heap) == Err(KeyError::Memory) {
        let lim = std::mem::replace(&mut heap.limit, usize::MAX);
        let r = f(heap);
        heap.limit = lim;
        heap.threshold = 0;
        if r == Err(KeyError::Memory) {
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<Value>());
        }
    }
}

/// Make the array part `n` slots long (new slots nil), its buffer at least
/// that big: exactly (rounded to its cell) or, when `amortised`, at least
/// doubled, so appends cost amortised constant time.
fn arr_resize(heap: &mut Heap, tb: &mut Table, n: usize, amortised: bool) -> Grown {
    let (len, cap) = (tb.alen as usize, tb.acap());
    if n > cap {
        if n > u32::MAX as usize {
            return Err(KeyError::Memory);
        }
        let want = if amortised { n.max(2 * cap).max(4) } else { n };
        // The buffer's first slot is key 0's (see `Table::arr`).
        let (old, obytes, keep) = if cap > 0 {
            (
                tb.arr.wrapping_sub(1) as *mut u8,
                (cap + 1) * 8,
                (len + 1) * 8,
            )
        } else {
            (std::ptr::null_mut(), 0, 0)
        };
        // SAFETY: `old` is null or this table's buffer of `acap + 1`
        // slots, `alen + 1` of them in use; it is replaced by the new one.
        let (p, bytes) = unsafe { heap.buf_realloc(old, obytes, keep, (want + 1) * 8) }
            .ok_or(KeyError::Memory)?;
        let buf = p.as_ptr() as *mut Value;
        if cap == 0 {
            // Key 0 moves from the table into the buffer's first slot.
            // SAFETY: the new buffer has at least `want + 1` slots.
            unsafe { buf.write(std::mem::replace(&mut tb.zero, Value::NIL)) };
        }
        // SAFETY: as above: slot 1 is inside the buffer.
        tb.arr = unsafe { buf.add(1) };
        tb.hdr.aux = (bytes / 8 - 1).min(u32::MAX as usize) as u32;
    }
    for i in len..n {
        // SAFETY: `i < n <= acap`: inside the buffer.
        unsafe { tb.arr.add(i).write(Value::NIL) };
    }
    tb.alen = tb.alen.max(n as u32);
    Ok(())
}

/// Append at alen+1, then migrate following integer keys from the hash
/// part (those stay where they are if the array part cannot grow).
fn append(heap: &mut Heap, tb: &mut Table, v: Value) -> Grown {
    let n = tb.alen as usize;
    arr_resize(heap, tb, n + 1, true)?;
    // SAFETY: slot `n` is inside the array part now.
    unsafe { *tb.arr.add(n) = v };
    if !tb.hash.is_empty() {
        loop {
            let k = Value::num((tb.alen as usize + 1) as f64);
            match tb.hash.find(k) {
                Some(i) if !tb.hash.entries()[i].1.is_nil() => {
                    let n = tb.alen as usize;
                    if arr_resize(heap, tb, n + 1, true).is_err() {
                        break;
                    }
                    let v = std::mem::replace(&mut tb.hash.entries_mut()[i].1, Value::NIL);
                    tb.hash.dead += 1;
                    // SAFETY: slot `n` is inside the array part now.
                    unsafe { *tb.arr.add(n) = v };
                }
                _ => break,
            }
        }
    }
    Ok(())
}

/// Pre-size the array part to `n` nil slots (TNEW, table.new); failing,
/// the table is as it was.
pub fn presize_array(heap: &mut Heap, t: NonNull<Table>, n: usize) -> Grown {
    let tb = tab(t);
    if (tb.alen as usize) < n {
        arr_resize(heap, tb, n, false)?;
    }
    Ok(())
}

/// The array and hash sizes TNEW's operand D asks for: bits 0..11 the
/// array size counting a slot for index 0 (LuaJIT's convention; our array
/// part starts at 1, so one less), bits 11.. log2 of the hash size.
pub fn tnew_sizes(d: u32) -> (usize, usize) {
    let d = d as usize;
    let hb = d >> 11;
    (
        (d & 0x7ff).saturating_sub(1),
        if hb > 0 { 1 << hb } else { 0 },
    )
}

/// Reserve room for `n` hash entries.
pub fn presize_hash(heap: &mut Heap, t: NonNull<Table>, n: usize) -> Grown {
    let h = &mut tab(t).hash;
    h.reserve(heap, n)?;
    if n > SMALL_HASH && !h.index.fits(n) {
        let before = h.index.bytes();
        if !h.index.reset_for(n) {
            return Err(KeyError::Memory);
        }
        if h.elen as usize > SMALL_HASH {
            h.build_index();
        }
        note_index(heap, before, h.index.bytes());
    }
    Ok(())
}

/// Free the storage of a table (called by the collector, with the heap's
/// buffer pool).
pub fn free_parts(bufs: &mut Bufs, t: &mut Table) {
    if t.acap() > 0 {
        if let Some(p) = NonNull::new(t.arr.wrapping_sub(1) as *mut u8) {
            // SAFETY: the table's array buffer, of `acap + 1` slots (key 0
            // first); dropped here.
            unsafe { bufs.free(p, (t.acap() + 1) * 8) };
        }
    }
    t.hdr.aux = 0;
    t.zero = Value::NIL;
    t.arr = inline_arr(t);
    t.alen = 0;
    t.hdr.aux = 0;
    let h = &mut t.hash;
    if let Some(p) = NonNull::new(h.eptr as *mut u8) {
        // SAFETY: the hash part's entry buffer, of `ecap` entries.
        unsafe { bufs.free(p, h.ecap as usize * 16) };
    }
    // Only a part that outgrew `SMALL_HASH` entries has an index to free
    // (`compact` drops a small part's); the check spares a dead small
    // table's second cache line.
    if h.ecap as usize > SMALL_HASH {
        bufs.index = bufs.index.saturating_sub(h.index.bytes());
        *h = HashPart::default();
    } else {
        h.eptr = std::ptr::null_mut();
        (h.elen, h.ecap, h.sig, h.fps) = (0, 0, 0, 0);
    }
}

/// Bytes owned by a table beyond its header.
pub fn size_bytes(t: NonNull<Table>) -> usize {
    let tb = tab(t);
    let arr = if tb.acap() > 0 {
        (tb.acap() + 1) * 8
    } else {
        0
    };
    arr + tb.hash.size_bytes()
}

/// `#t`: a border (5.1 rules).
pub fn length(t: NonNull<Table>) -> usize {
    let tb = tab(t);
    let n = tb.alen as usize;
    // SAFETY: indices below stay within 0..alen.
    let arr = |i: usize| unsafe { *tb.arr.add(i) };
    if n > 0 && arr(n - 1).is_nil() {
        // Binary search for a border inside the array part.
        let (mut lo, mut hi) = (0usize, n);
        while hi - lo > 1 {
            let m = (lo + hi) / 2;
            if arr(m - 1).is_nil() {
                hi = m;
            } else {
                lo = m;
            }
        }
        return lo;
    }
    if tb.hash.is_empty() {
        return n;
    }
    // Unbound search in the hash part.
    let mut i = n;
    let mut j = n + 1;
    while !tb.hash.get(Value::num(j as f64)).is_nil() {
        i = j;
        if j > (1usize << 52) {
            let mut k = 1;
            while !get_int(t, k as i64).is_nil() {
                k += 1;
            }
            return k - 1;
        }
        j *= 2;
    }
    while j - i > 1 {
        let m = (i + j) / 2;
        if get_int(t, m as i64).is_nil() {
            j = m;
        } else {
            i = m;
        }
    }
    i
}

/// Why `next` failed: the key is not in the table.
#[derive(Debug)]
pub struct BadNextKey;

/// `next(t, k)`: the entry after `k` (nil = first), or None at the end.
pub fn next(t: NonNull<Table>, k: Value) -> Result<Option<(Value, Value)>, BadNextKey> {
    let tb = tab(t);
    let n = tb.alen as usize;
    // Position to start scanning at: 0 the zero slot, 1..=n the array
    // part (key = position), then n + 1 + hash entry index.
    let mut pos = if k.is_nil() {
        0
    } else if let Some(i) = array_index(k).filter(|&i| i as usize <= n) {
        i as usize + 1
    } else {
        let k = normalize_key(k).map_err(|_| BadNextKey)?;
        if k.bits() == Value::num(0.0).bits() {
            1
        } else {
            match tb.hash.find(k).or_else(|| tb.hash.find_dead(k)) {
                Some(e) => n + 1 + e + 1,
                None => return Err(BadNextKey),
            }
        }
    };
    if pos == 0 {
        // SAFETY: the key-0 slot (see `Table::arr`).
        let z = unsafe { *tb.arr.sub(1) };
        if !z.is_nil() {
            return Ok(Some((Value::num(0.0), z)));
        }
        pos = 1;
    }
    while pos <= n {
        // SAFETY: 1 <= pos <= alen.
        let v = unsafe { *tb.arr.add(pos - 1) };
        if !v.is_nil() {
            return Ok(Some((Value::num(pos as f64), v)));
        }
        pos += 1;
    }
    let entries = tb.hash.entries();
    let mut e = pos - n - 1;
    while e < entries.len() {
        if !entries[e].1.is_nil() {
            return Ok(Some(entries[e]));
        }
        e += 1;
    }
    Ok(None)
}

/// The value of key 0 (see `Table::zero`).
#[inline(always)]
pub fn zero(t: NonNull<Table>) -> Value {
    // SAFETY: the key-0 slot (see `Table::arr`).
    unsafe { *tab(t).arr.sub(1) }
}

/// Set the value of key 0 (raw; never allocates).
#[inline(always)]
pub fn set_zero(t: NonNull<Table>, v: Value) {
    // SAFETY: the key-0 slot (see `Table::arr`).
    unsafe { *tab(t).arr.sub(1) = v };
}

/// Where `arr` points while a table has no array buffer: just past its
/// own `zero` field, which is then key 0's slot.
fn inline_arr(tb: &mut Table) -> *mut Value {
    (&mut tb.zero as *mut Value).wrapping_add(1)
}

/// Point a newly placed table's `arr` at its own key-0 slot (it has no
/// array buffer yet). Called once, where the table's cell is final.
pub fn init_arr(t: NonNull<Table>) {
    let tb = tab(t);
    tb.arr = inline_arr(tb);
}

/// Metatable of a table (may be null).
#[inline(always)]
pub fn meta(t: NonNull<Table>) -> Option<NonNull<Table>> {
    NonNull::new(tab(t).meta)
}

#[inline(always)]
pub fn set_meta(t: NonNull<Table>, m: Option<NonNull<Table>>) {
    tab(t).meta = m.map_or(std::ptr::null_mut(), |p| p.as_ptr());
}

#[inline(always)]
pub fn nomm(t: NonNull<Table>) -> NoMM {
    tab(t).nomm
}

#[inline(always)]
pub fn set_nomm_bit(t: NonNull<Table>, bit: NoMM) {
    tab(t).nomm |= bit;
}

/// Array part as a slice (for the collector and fast paths).
pub fn array<'a>(t: NonNull<Table>) -> &'a [Value] {
    let tb = tab(t);
    // SAFETY: alen initialised slots at arr (never null, see `Table::arr`).
    unsafe { std::slice::from_raw_parts(tb.arr, tb.alen as usize) }
}

/// Array part as a mutable slice (weak-table clearing).
pub fn array_mut<'a>(t: NonNull<Table>) -> &'a mut [Value] {
    let tb = tab(t);
    // SAFETY: alen initialised slots at arr (never null, see `Table::arr`).
    unsafe { std::slice::from_raw_parts_mut(tb.arr, tb.alen as usize) }
}

/// The hash part (for the collector and `next`-style walks).
pub fn hash_part<'a>(t: NonNull<Table>) -> &'a mut HashPart {
    &mut tab(t).hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gc::Heap;

    fn n(x: f64) -> Value {
        Value::num(x)
    }

    #[test]
    fn array_append_and_migration() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        // Fill 3..1 in reverse: 3 and 2 go to the hash part, then 1 pulls them in.
        for i in [3.0, 2.0, 1.0] {
            set(&mut h, t, n(i), n(i * 10.0)).unwrap();
        }
        assert_eq!(array(t).len(), 3);
        assert_eq!(hash_part(t).len(), 0);
        assert_eq!(get_int(t, 2).as_num(), Some(20.0));
        assert_eq!(length(t), 3);
        // Float keys with integer values are the same key.
        assert_eq!(get(t, n(1.0)).as_num(), Some(10.0));
    }

    #[test]
    fn key_zero_sits_before_key_one_as_the_array_grows() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        set(&mut h, t, n(0.0), n(7.0)).unwrap();
        // No buffer yet: key 0 is in the table itself.
        assert_eq!(tab(t).acap(), 0);
        assert_eq!(get_int(t, 0).as_num(), Some(7.0));
        // The first buffer takes key 0 along, and so does every regrowth.
        for i in 1..=100 {
            set(&mut h, t, n(i as f64), n(i as f64 * 2.0)).unwrap();
            assert_eq!(zero(t).as_num(), Some(7.0), "after key {}", i);
            // SAFETY: key 0's slot and key 1's, as the JIT's AREF computes.
            let (z, one) = unsafe { (*tab(t).arr.offset(-1), *tab(t).arr) };
            assert_eq!((z.as_num(), one.as_num()), (Some(7.0), Some(2.0)));
        }
        assert_eq!(length(t), 100);
        assert!(set_arr_existing(t, n(0.0), n(8.0)));
        assert_eq!(get(t, n(0.0)).as_num(), Some(8.0));
        assert_eq!(next(t, Value::NIL).unwrap().unwrap().0.as_num(), Some(0.0));
        // A template copy keeps it; a table presized by TNEW has its
        // key-0 slot in its buffer from the start.
        let d = dup(&mut h, t);
        assert_eq!(
            (zero(d).as_num(), get_int(d, 100).as_num()),
            (Some(8.0), Some(200.0))
        );
        let p = h.new_table(4, 0);
        set_zero(p, n(1.5));
        assert_eq!(get_int(p, 0).as_num(), Some(1.5));
        assert!(get_int(p, 1).is_nil());
    }

    #[test]
    fn key_signature_covers_every_key() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let keys: Vec<Value> = (0..40)
            .map(|i| h.intern_value(format!("key{}", i).as_bytes()))
            .collect();
        let covered = |t| {
            keys.iter()
                .all(|&k| get(t, k).is_nil() || hash_part(t).sig & key_sig(k) != 0)
        };
        for (i, &k) in keys.iter().enumerate() {
            set(&mut h, t, k, n(i as f64)).unwrap();
            assert!(covered(t), "after inserting {}", i);
        }
        // Removing most keys, then enough insertions to compact, keeps
        // the remaining keys' bits (and drops none that is present).
        for &k in &keys[..35] {
            set(&mut h, t, k, Value::NIL).unwrap();
        }
        for (i, &k) in keys[..20].iter().enumerate() {
            set(&mut h, t, k, n(i as f64)).unwrap();
            assert!(covered(t));
        }
        // A template copy (TDUP) too.
        let d = dup(&mut h, t);
        assert!(covered(d));
        // A small part with few keys leaves most bits clear: absent keys
        // are mostly proved absent by the signature.
        let u = h.new_table(0, 0);
        set(&mut h, u, keys[0], n(1.0)).unwrap();
        let clear = keys[1..]
            .iter()
            .filter(|&&k| hash_part(u).sig & key_sig(k) == 0)
            .count();
        assert!(clear >= 30, "{} of 39 absent keys proved absent", clear);
    }

    #[test]
    fn fingerprint_candidates_include_every_match() {
        // Each byte position in turn holds the fingerprint, among others
        // that differ from it in one bit or are equal to it.
        for fp in [0u64, 1, 0x7f, 0x80, 0xff] {
            for i in 0..8 {
                let mut fps = 0u64;
                for j in 0..8 {
                    let b = if j == i || j == 7 - i {
                        fp
                    } else {
                        fp ^ (1 << j)
                    };
                    fps |= b << (8 * j);
                }
                for n in 0..=8 {
                    let m = fp_candidates(fps, fp, n);
                    for j in 0..8 {
                        let byte = (fps >> (8 * j)) & 0xff;
                        if j < n && byte == fp {
                            assert!(m & (0x80 << (8 * j)) != 0, "fp {fp:#x} at {j} of {n}");
                        }
                        if j >= n {
                            assert!(m & (0xff << (8 * j)) == 0, "entry {j} beyond {n}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn small_parts_find_keys_with_equal_fingerprints() {
        let mut h = Heap::new();
        // Eight string keys of one fingerprint, and numbers.
        let mut same = Vec::new();
        let mut i = 0;
        while same.len() < 8 {
            let k = h.intern_value(format!("f{}", i).as_bytes());
            if same.is_empty() || fp_byte(key_hash(k)) == fp_byte(key_hash(same[0])) {
                same.push(k);
            }
            i += 1;
        }
        let t = h.new_table(0, 0);
        for (j, &k) in same.iter().enumerate() {
            set(&mut h, t, k, n(j as f64)).unwrap();
            for (l, &k2) in same.iter().enumerate() {
                let want = if l <= j { n(l as f64) } else { Value::NIL };
                assert_eq!(get(t, k2).bits(), want.bits(), "key {l} after {j} keys");
            }
        }
        // Dead entries, then a compaction moving the live ones down.
        for &k in &same[..5] {
            set(&mut h, t, k, Value::NIL).unwrap();
        }
        set(&mut h, t, n(0.5), n(9.0)).unwrap();
        for (l, &k) in same.iter().enumerate() {
            let want = if l < 5 { Value::NIL } else { n(l as f64) };
            assert_eq!(get(t, k).bits(), want.bits(), "key {l} after compaction");
        }
        assert_eq!(get(t, n(0.5)).bits(), n(9.0).bits());
        let d = dup(&mut h, t);
        for (l, &k) in same.iter().enumerate().skip(5) {
            assert_eq!(get(d, k).bits(), n(l as f64).bits(), "key {l} in the copy");
        }
    }

    #[test]
    fn string_hints_stale_or_shared_between_tables() {
        let mut h = Heap::new();
        // Small parts, and parts with an index, the same keys in opposite
        // orders: each lookup leaves the key's hint at another entry.
        for size in [4usize, 8, 30] {
            let keys: Vec<Value> = (0..size)
                .map(|i| h.intern_value(format!("k{i}").as_bytes()))
                .collect();
            let (a, b) = (h.new_table(0, 0), h.new_table(0, 0));
            for (i, &k) in keys.iter().enumerate() {
                set(&mut h, a, k, n(i as f64)).unwrap();
                set(&mut h, b, keys[size - 1 - i], n(100.0 + i as f64)).unwrap();
            }
            for round in 0..3 {
                for (i, &k) in keys.iter().enumerate() {
                    assert_eq!(get(a, k).as_num(), Some(i as f64), "{size} {round} a {i}");
                    let want = 100.0 + (size - 1 - i) as f64;
                    assert_eq!(get(b, k).as_num(), Some(want), "{size} {round} b {i}");
                }
            }
            // A key absent from a table, with its hint at another key's
            // entry there, and hints beyond a shorter table's entries.
            let other = h.intern_value(b"absent");
            let c = h.new_table(0, 0);
            set(&mut h, c, other, n(1.0)).unwrap();
            assert!(get(a, other).is_nil());
            let short = h.new_table(0, 0);
            for &k in &keys[..3] {
                set(&mut h, short, k, Value::TRUE).unwrap();
            }
            assert!(get(a, keys[size - 1]).as_num().is_some());
            assert!(get(short, keys[size - 1]).is_nil());
            assert_eq!(get(short, keys[2]).bits(), Value::TRUE.bits());
            // Dead entries and a compaction move keys to other entries.
            for &k in &keys[..size / 2] {
                set(&mut h, a, k, Value::NIL).unwrap();
            }
            for j in 0..size {
                set(&mut h, a, n(0.5 + j as f64), n(1.0)).unwrap();
            }
            for (i, &k) in keys.iter().enumerate() {
                let want = (i >= size / 2).then_some(i as f64);
                assert_eq!(get(a, k).as_num(), want, "{size} after compaction {i}");
                assert_eq!(get(b, k).as_num(), Some(100.0 + (size - 1 - i) as f64));
            }
        }
    }

    #[test]
    fn borders() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        assert_eq!(length(t), 0);
        for i in 1..=10 {
            set_int(&mut h, t, i, n(i as f64)).unwrap();
        }
        assert_eq!(length(t), 10);
        set_int(&mut h, t, 10, Value::NIL).unwrap();
        assert_eq!(length(t), 9);
        // A border inside the array part after a hole at the end.
        set_int(&mut h, t, 9, Value::NIL).unwrap();
        let l = length(t);
        assert!(l == 8, "border {}", l);
        // Hash part continuation.
        let u = h.new_table(0, 0);
        set_int(&mut h, u, 1, n(1.0)).unwrap();
        set(&mut h, u, n(3.0), n(3.0)).unwrap();
        set(&mut h, u, n(2.0), n(2.0)).unwrap();
        assert_eq!(length(u), 3);
    }

    #[test]
    fn next_survives_nil_assignment() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let keys: Vec<Value> = (0..50)
            .map(|i| h.intern_value(format!("k{}", i).as_bytes()))
            .collect();
        for (i, &k) in keys.iter().enumerate() {
            set(&mut h, t, k, n(i as f64)).unwrap();
        }
        let mut seen = 0;
        let mut k = Value::NIL;
        while let Some((nk, _)) = next(t, k).unwrap() {
            // Clear every field as we go: traversal must still visit all.
            set(&mut h, t, nk, Value::NIL).unwrap();
            seen += 1;
            k = nk;
        }
        assert_eq!(seen, 50);
        assert!(next(t, Value::NIL).unwrap().is_none());
        assert!(next(t, h.intern_value(b"absent")).is_err());
    }

    #[test]
    fn bad_keys() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        assert_eq!(set(&mut h, t, Value::NIL, n(1.0)), Err(KeyError::Nil));
        assert_eq!(set(&mut h, t, n(f64::NAN), n(1.0)), Err(KeyError::NaN));
        assert!(get(t, Value::NIL).is_nil());
        set(&mut h, t, n(-0.0), n(5.0)).unwrap();
        assert_eq!(get(t, n(0.0)).as_num(), Some(5.0));
    }
}
