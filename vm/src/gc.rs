//! The heap: allocation of every object, string interning and a precise,
//! non-moving mark-and-sweep collector (ARCHITECTURE.md: Invariants).
//!
//! The collector runs only at safe points (interpreter allocation sites,
//! `collectgarbage`, trace exits) where every live value is in a root the
//! VM hands to `collect`: registry, globals, type metatables, the threads
//! and their stacks. Weak tables are cleared after marking; unreachable
//! userdata with a `__gc` metamethod are resurrected and returned for
//! finalisation. `barrier_*` are the write-barrier hooks for an incremental
//! collector; the current collector is atomic, so they only exist as the API.

use crate::object::*;
use crate::table;
use crate::value::Value;
use hashbrown::HashTable;
use std::alloc::{alloc, dealloc, Layout};
use std::ptr::NonNull;

/// Header flag of a userdata whose `__gc` has already been scheduled: a
/// finaliser runs at most once per object, even if it resurrects it.
pub const UDATA_FINALIZED: u8 = 0x01;

/// Interned strings by content.
#[derive(Default)]
struct StrTable {
    set: HashTable<NonNull<Str>>,
}

/// Hash of a byte string (cached in the string object).
pub fn hash_bytes(b: &[u8]) -> u32 {
    let mut h: u64 = 0x243F_6A88_85A3_08D3 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap());
        h = (h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    for &x in chunks.remainder() {
        h = (h ^ x as u64).wrapping_mul(0x100_0000_01B3);
    }
    h ^= h >> 32;
    h as u32
}

pub struct Heap {
    objects: *mut GcHeader,
    strings: StrTable,
    /// Bytes currently allocated (approximate: objects plus owned buffers).
    pub allocated: usize,
    /// Collect when `allocated` exceeds this.
    pub threshold: usize,
    /// `collectgarbage("stop")`.
    pub stopped: bool,
    /// Collection deferred while a trace is suspended under a nested VM
    /// entry (its unboxed references are not roots).
    pub defer: u32,
    /// Bytes the collector lets live data reach (`usize::MAX`: no limit;
    /// see `Heap::default_limit`): a collection that leaves more raises
    /// "not enough memory" (`Vm::full_gc`), and no collection is put off
    /// past it.
    pub limit: usize,
    /// GC stress mode (`LUNATRACE_GCSTRESS=1`): a collection is due at
    /// every safe point (every allocation check of the interpreter, every
    /// `GCSTEP` of a trace), so an object some code forgot to root dies
    /// at once.
    pub stress: bool,
    /// Pause in percent (`setpause`), default 200.
    pub pause: usize,
    /// Step multiplier (`setstepmul`), default 200.
    pub stepmul: usize,
    gray: Vec<NonNull<GcHeader>>,
    weak: Vec<(NonNull<Table>, bool, bool)>,
    /// Every live full userdata (candidates for `__gc`), so a collection
    /// need not walk all objects to find them.
    udata: Vec<NonNull<Udata>>,
    /// Cdata objects with a finaliser (`ffi.gc`).
    cdata_fin: Vec<NonNull<Cdata>>,
    /// Interned "__mode" and "__gc", used while collecting.
    mode_key: Value,
    gc_key: Value,
}

impl Default for Heap {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        let mut p = self.objects;
        while let Some(o) = NonNull::new(p) {
            // SAFETY: every object on the list is live until freed here, once.
            unsafe {
                p = (*o.as_ptr()).next;
                free_object(o);
            }
        }
        self.objects = std::ptr::null_mut();
    }
}

/// Free one object of any kind.
///
/// # Safety
/// `o` must be an object allocated by this heap and not freed before.
unsafe fn free_object(o: NonNull<GcHeader>) {
    let p = o.as_ptr();
    match (*p).kind {
        GcKind::Str => {
            let len = (*(p as *mut Str)).len;
            dealloc(p as *mut u8, str_layout(len));
        }
        GcKind::Udata => {
            let len = (*(p as *mut Udata)).len;
            dealloc(p as *mut u8, udata_layout(len));
        }
        GcKind::Cdata => {
            let len = (*(p as *mut Cdata)).len;
            dealloc(p as *mut u8, cdata_layout(len));
        }
        GcKind::Table => {
            let mut b = Box::from_raw(p as *mut Table);
            table::free_parts(&mut b);
        }
        GcKind::Func => drop(Box::from_raw(p as *mut Func)),
        GcKind::Upval => drop(Box::from_raw(p as *mut Upval)),
        GcKind::Proto => drop(Box::from_raw(p as *mut Proto)),
        GcKind::Thread => drop(Box::from_raw(p as *mut Thread)),
    }
}

fn str_layout(len: usize) -> Layout {
    Layout::from_size_align(std::mem::size_of::<Str>() + len + 1, 8).unwrap()
}

fn udata_layout(len: usize) -> Layout {
    Layout::from_size_align(UDATA_HEADER_SIZE + len.max(1), 16).unwrap()
}

fn cdata_layout(len: usize) -> Layout {
    Layout::from_size_align(CDATA_HEADER_SIZE + len.max(1), 16).unwrap()
}

impl Heap {
    pub fn new() -> Heap {
        let mut h = Heap {
            objects: std::ptr::null_mut(),
            strings: StrTable::default(),
            allocated: 0,
            threshold: 1 << 20,
            limit: Heap::default_limit(),
            stress: std::env::var_os("LUNATRACE_GCSTRESS").is_some_and(|v| v == "1"),
            stopped: false,
            defer: 0,
            pause: 200,
            stepmul: 200,
            gray: Vec::new(),
            weak: Vec::new(),
            udata: Vec::new(),
            cdata_fin: Vec::new(),
            mode_key: Value::NIL,
            gc_key: Value::NIL,
        };
        if h.stress {
            h.threshold = 0;
        }
        h.mode_key = h.intern_value(b"__mode");
        h.gc_key = h.intern_value(b"__gc");
        h
    }

    /// The limit a new heap gets: half the process's address-space or
    /// data-segment limit (`ulimit -v`/`-d`) when one is set, so that
    /// the collector raises "not enough memory" as a Lua error before the
    /// system allocator fails (which would abort the process); none
    /// otherwise.
    pub fn default_limit() -> usize {
        let mut lim = usize::MAX;
        for res in [libc::RLIMIT_AS, libc::RLIMIT_DATA] {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes the struct it is given.
            if unsafe { libc::getrlimit(res, &mut r) } == 0 && r.rlim_cur != libc::RLIM_INFINITY {
                lim = lim.min((r.rlim_cur / 2) as usize);
            }
        }
        lim
    }

    /// Whether `more` bytes allocated at once would take the heap past its
    /// limit (checked before large buffers: `string.rep`, concatenation).
    #[inline]
    pub fn would_exceed(&self, more: usize) -> bool {
        self.allocated.saturating_add(more) > self.limit
    }

    /// Whether a concatenation of `len` bytes (the buffer, then the
    /// string made from it) would take the heap past its limit; results
    /// under 1 MB are not checked.
    #[inline]
    pub fn concat_too_big(&self, len: usize) -> bool {
        len > 1 << 20 && self.would_exceed(2 * len)
    }

    fn link(&mut self, o: *mut GcHeader, size: usize) {
        // SAFETY: `o` was just allocated and is exclusively ours.
        unsafe { (*o).next = self.objects };
        self.objects = o;
        self.allocated += size;
    }

    /// Account for `bytes` allocated outside an object header (buffers).
    #[inline(always)]
    pub fn account(&mut self, bytes: usize) {
        self.allocated += bytes;
    }

    /// Every live full userdata, oldest first (the C API's `lua_close`
    /// runs their finalisers).
    pub fn udata_list(&self) -> &[NonNull<Udata>] {
        &self.udata
    }

    /// True when a collection is due.
    #[inline(always)]
    pub fn should_collect(&self) -> bool {
        self.allocated >= self.threshold && !self.stopped && self.defer == 0
    }

    /// Intern a byte string.
    pub fn intern(&mut self, b: &[u8]) -> NonNull<Str> {
        let h = hash_bytes(b);
        if let Some(&s) = self.strings.set.find(h as u64, |&s| Str::bytes(s) == b) {
            // A string found during sweep's window may be unmarked: the
            // collector is atomic, so nothing is in that state here.
            return s;
        }
        let layout = str_layout(b.len());
        // SAFETY: layout has non-zero size; we initialise header, bytes and
        // the trailing NUL before the pointer escapes.
        let p = unsafe {
            let p = alloc(layout) as *mut Str;
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            p.write(Str {
                hdr: GcHeader::new(GcKind::Str),
                hash: h,
                reserved: 0,
                len: b.len(),
            });
            let d = (p as *mut u8).add(std::mem::size_of::<Str>());
            std::ptr::copy_nonoverlapping(b.as_ptr(), d, b.len());
            *d.add(b.len()) = 0;
            NonNull::new_unchecked(p)
        };
        self.link(p.as_ptr() as *mut GcHeader, layout.size());
        self.strings
            .set
            .insert_unique(h as u64, p, |&s| Str::hash_of(s) as u64);
        p
    }

    /// The interned string with these bytes, if there is one (does not
    /// allocate).
    pub fn find_interned(&self, b: &[u8]) -> Option<NonNull<Str>> {
        let h = hash_bytes(b);
        self.strings
            .set
            .find(h as u64, |&s| Str::bytes(s) == b)
            .copied()
    }

    pub fn intern_value(&mut self, b: &[u8]) -> Value {
        Value::from_str(self.intern(b))
    }

    /// Number of interned strings.
    pub fn string_count(&self) -> usize {
        self.strings.set.len()
    }

    pub fn new_table(&mut self, narr: usize, nhash: usize) -> NonNull<Table> {
        let t = Box::new(Table {
            hdr: GcHeader::new(GcKind::Table),
            nomm: 0,
            _pad: 0,
            alen: 0,
            arr: std::ptr::null_mut(),
            acap: 0,
            _pad2: 0,
            meta: std::ptr::null_mut(),
            zero: Value::NIL,
            hash: table::HashPart::default(),
        });
        let p = NonNull::from(Box::leak(t));
        self.link(p.as_ptr() as *mut GcHeader, std::mem::size_of::<Table>());
        if narr > 0 {
            let g = table::presize_array(p, narr);
            self.account(g);
        }
        if nhash > 0 {
            table::presize_hash(p, nhash);
            self.account(nhash * 29);
        }
        p
    }

    pub fn new_func(&mut self, f: Func) -> NonNull<Func> {
        let size = std::mem::size_of::<Func>() + f.upvals.len() * 8 + f.cupvals.len() * 8;
        if !f.proto.is_null() {
            // SAFETY: a Lua closure's prototype is live.
            unsafe { (*f.proto).nclosures = (*f.proto).nclosures.saturating_add(1) };
        }
        let p = NonNull::from(Box::leak(Box::new(f)));
        self.link(p.as_ptr() as *mut GcHeader, size);
        p
    }

    pub fn new_upval(&mut self, u: Upval) -> NonNull<Upval> {
        let p = NonNull::from(Box::leak(Box::new(u)));
        self.link(p.as_ptr() as *mut GcHeader, std::mem::size_of::<Upval>());
        p
    }

    pub fn new_proto(&mut self, pr: Proto) -> NonNull<Proto> {
        let size = std::mem::size_of::<Proto>() + pr.code.len() * 8 + pr.k.len() * 8;
        let p = NonNull::from(Box::leak(Box::new(pr)));
        self.link(p.as_ptr() as *mut GcHeader, size);
        p
    }

    pub fn new_thread(&mut self, t: Thread) -> NonNull<Thread> {
        let size = std::mem::size_of::<Thread>() + t.stack.capacity() * 8;
        let p = NonNull::from(Box::leak(Box::new(t)));
        self.link(p.as_ptr() as *mut GcHeader, size);
        p
    }

    /// A full userdata with `len` zeroed payload bytes.
    pub fn new_udata(&mut self, len: usize, env: *mut Table) -> NonNull<Udata> {
        let layout = udata_layout(len);
        // SAFETY: non-zero size; header written and payload zeroed before use.
        let p = unsafe {
            let p = alloc(layout) as *mut Udata;
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            p.write(Udata {
                hdr: GcHeader::new(GcKind::Udata),
                meta: std::ptr::null_mut(),
                env,
                len,
            });
            std::ptr::write_bytes((p as *mut u8).add(UDATA_HEADER_SIZE), 0, len);
            NonNull::new_unchecked(p)
        };
        self.link(p.as_ptr() as *mut GcHeader, layout.size());
        self.udata.push(p);
        p
    }

    /// A cdata object of C type `ctype` with `len` zeroed payload bytes.
    pub fn new_cdata(&mut self, ctype: u32, len: usize) -> NonNull<Cdata> {
        let layout = cdata_layout(len);
        // SAFETY: non-zero size; header written and payload zeroed before use.
        let p = unsafe {
            let p = alloc(layout) as *mut Cdata;
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            p.write(Cdata {
                hdr: GcHeader::new(GcKind::Cdata),
                ctype,
                _pad: 0,
                len,
                fin: Value::NIL,
            });
            std::ptr::write_bytes((p as *mut u8).add(CDATA_HEADER_SIZE), 0, len);
            NonNull::new_unchecked(p)
        };
        self.link(p.as_ptr() as *mut GcHeader, layout.size());
        p
    }

    /// Set (or clear, with nil) the finaliser of a cdata object (`ffi.gc`).
    pub fn set_cdata_fin(&mut self, c: NonNull<Cdata>, fin: Value) {
        // SAFETY: live cdata object.
        let had = unsafe { !(*c.as_ptr()).fin.is_nil() };
        // SAFETY: as above.
        unsafe { (*c.as_ptr()).fin = fin };
        if fin.is_nil() {
            if had {
                self.cdata_fin.retain(|&x| x != c);
            }
        } else if !had {
            self.cdata_fin.push(c);
        }
    }

    /// Take every cdata that still has a finaliser (closing the state).
    pub fn take_cdata_fin(&mut self) -> Vec<NonNull<Cdata>> {
        std::mem::take(&mut self.cdata_fin)
    }

    /// Write barrier after storing a collectable value into table `t`.
    #[inline(always)]
    pub fn barrier_back(&mut self, _t: NonNull<Table>) {}

    /// Write barrier after storing `v` into a closed upvalue.
    #[inline(always)]
    pub fn barrier_upval(&mut self, _u: NonNull<Upval>, _v: Value) {}

    // ---- marking ----

    #[inline]
    pub fn mark_value(&mut self, v: Value) {
        if let Some(h) = v.gc_header() {
            self.mark_obj(h);
        }
    }

    #[inline]
    pub fn mark_obj(&mut self, h: NonNull<GcHeader>) {
        // SAFETY: `h` is a live object reachable from a root.
        unsafe {
            let p = h.as_ptr();
            if (*p).marked != 0 {
                return;
            }
            (*p).marked = 1;
            if (*p).kind != GcKind::Str {
                self.gray.push(h);
            }
        }
    }

    fn mark_table_ptr(&mut self, t: *mut Table) {
        if let Some(t) = NonNull::new(t) {
            self.mark_obj(t.cast());
        }
    }

    /// Weakness of table `t` from its metatable's `__mode`.
    fn weakness(&self, t: NonNull<Table>) -> (bool, bool) {
        let Some(m) = table::meta(t) else {
            return (false, false);
        };
        let mode = table::get_str(m, self.mode_key);
        let b = crate::object::str_bytes(mode);
        (b.contains(&b'k'), b.contains(&b'v'))
    }

    fn propagate(&mut self) {
        while let Some(h) = self.gray.pop() {
            // SAFETY: gray objects are live and of the kind their header says.
            unsafe { self.traverse(h) };
        }
    }

    /// Mark everything an object references.
    ///
    /// # Safety
    /// `h` must be a live object.
    unsafe fn traverse(&mut self, h: NonNull<GcHeader>) {
        let p = h.as_ptr();
        match (*p).kind {
            GcKind::Str => {}
            GcKind::Table => {
                let t = h.cast::<Table>();
                self.mark_table_ptr((*t.as_ptr()).meta);
                let (wk, wv) = self.weakness(t);
                if wk || wv {
                    self.weak.push((t, wk, wv));
                }
                // Weak values: strings are values, not objects, and stay.
                let zero = table::zero(t);
                if !wv || zero.is_str() {
                    self.mark_value(zero);
                }
                for &v in table::array(t) {
                    if !wv || v.is_str() {
                        self.mark_value(v);
                    }
                }
                let hp = table::hash_part(t);
                for i in 0..hp.entries.len() {
                    let (k, v) = hp.entries[i];
                    if v.is_nil() {
                        continue;
                    }
                    if !wk || k.is_str() {
                        self.mark_value(k);
                    }
                    if !wv || v.is_str() {
                        self.mark_value(v);
                    }
                }
            }
            GcKind::Func => {
                let f = &*(p as *const Func);
                if let Some(pr) = NonNull::new(f.proto) {
                    self.mark_obj(pr.cast());
                }
                self.mark_table_ptr(f.env);
                for &u in f.upvals.iter() {
                    self.mark_obj(u.cast());
                }
                for &v in f.cupvals.iter() {
                    self.mark_value(v);
                }
            }
            GcKind::Upval => {
                let u = &*(p as *const Upval);
                // An open upvalue's slot is marked with its thread's stack.
                self.mark_value(*u.v);
            }
            GcKind::Proto => {
                let pr = &*(p as *const Proto);
                for &v in pr.k.iter() {
                    self.mark_value(v);
                }
                for &c in pr.protos.iter() {
                    self.mark_obj(c.cast());
                }
                for lv in pr.locvars.iter() {
                    self.mark_value(lv.name);
                }
                for &v in pr.uvnames.iter() {
                    self.mark_value(v);
                }
                self.mark_value(pr.source);
            }
            GcKind::Thread => {
                let th = &mut *(p as *mut Thread);
                let top = th.top.min(th.stack.len());
                for i in 0..top {
                    self.mark_value(th.stack[i]);
                }
                // Clear the dead part so stale values cannot resurface.
                for v in th.stack[top..].iter_mut() {
                    *v = Value::NIL;
                }
                for &u in th.open_upvals.iter() {
                    self.mark_obj(u.cast());
                }
                self.mark_table_ptr(th.env);
            }
            GcKind::Udata => {
                let u = &*(p as *const Udata);
                self.mark_table_ptr(u.meta);
                self.mark_table_ptr(u.env);
            }
            GcKind::Cdata => self.mark_value((*(p as *const Cdata)).fin),
        }
    }

    fn is_dead(v: Value) -> bool {
        match v.gc_header() {
            // SAFETY: the value references a live (possibly unmarked) object.
            Some(h) => unsafe { (*h.as_ptr()).marked == 0 && (*h.as_ptr()).kind != GcKind::Str },
            None => false,
        }
    }

    /// Run a full collection. `mark_roots` marks every root. Returns the
    /// userdata that became unreachable and have a `__gc` metamethod; they are
    /// kept alive (resurrected) for this cycle and must be finalised by the
    /// caller. Each userdata is returned at most once in its lifetime (it is
    /// flagged `UDATA_FINALIZED`), so a resurrected object is freed normally
    /// once it becomes unreachable again.
    /// Unreachable cdata with an `ffi.gc` finaliser are returned the same
    /// way; their finaliser stays in `fin` for the caller to take.
    pub fn collect(&mut self, mark_roots: impl FnOnce(&mut Heap)) -> Vec<Value> {
        self.weak.clear();
        self.mark_value(self.mode_key);
        self.mark_value(self.gc_key);
        mark_roots(self);
        self.propagate();
        // Find unreachable userdata with __gc and resurrect them.
        let mut finalize = Vec::new();
        for &u in &self.udata {
            // SAFETY: every entry is a live userdata (dead ones are removed
            // below before the sweep frees them).
            unsafe {
                let hdr = u.as_ptr() as *mut GcHeader;
                if (*hdr).marked == 0 && (*hdr).flags & UDATA_FINALIZED == 0 {
                    if let Some(m) = NonNull::new((*u.as_ptr()).meta) {
                        if !table::get_str(m, self.gc_key).is_nil() {
                            (*hdr).flags |= UDATA_FINALIZED;
                            finalize.push(Value::from_udata(u));
                        }
                    }
                }
            }
        }
        // SAFETY: entries are live cdata objects (removed when finalised).
        self.cdata_fin.retain(|&c| unsafe {
            if (*c.as_ptr()).hdr.marked == 0 {
                finalize.push(Value::from_cdata(c));
                false
            } else {
                true
            }
        });
        for &u in &finalize {
            self.mark_value(u);
        }
        self.propagate();
        // Clear weak entries pointing at dead objects.
        let weak = std::mem::take(&mut self.weak);
        for &(t, wk, wv) in &weak {
            if wv {
                if Self::is_dead(table::zero(t)) {
                    table::set_int(t, 0, Value::NIL);
                }
                for v in table::array_mut(t) {
                    if Self::is_dead(*v) {
                        *v = Value::NIL;
                    }
                }
            }
            table::hash_part(t)
                .retain(|k, v| !((wk && Self::is_dead(k)) || (wv && Self::is_dead(v))));
        }
        self.weak = weak;
        self.weak.clear();
        // Drop dead strings from the intern table, then sweep.
        // SAFETY: strings in the table are live objects until swept below.
        self.strings
            .set
            .retain(|s| unsafe { (*s.as_ptr()).hdr.marked != 0 });
        self.sweep();
        self.threshold = (self.allocated / 100)
            .saturating_mul(self.pause)
            .max(256 * 1024)
            .min(self.limit);
        if self.stress {
            self.threshold = 0;
        }
        finalize
    }

    fn sweep(&mut self) {
        // SAFETY: entries are live until the loop below frees them; marks
        // are read before freeing.
        self.udata
            .retain(|u| unsafe { (*(u.as_ptr() as *mut GcHeader)).marked != 0 });
        let mut prev: *mut *mut GcHeader = &mut self.objects;
        // The survivors' sizes, measured now, replace the running count:
        // allocation accounting between collections is approximate
        // (buffers grow and shrink), and subtracting the sizes of freed
        // objects from it drifted towards zero, which made every
        // collection come after only the minimum threshold.
        let mut live = 0usize;
        // SAFETY: walks and unlinks the object list; each dead object is
        // freed exactly once after being unlinked.
        unsafe {
            while let Some(o) = NonNull::new(*prev) {
                let op = o.as_ptr();
                if (*op).marked != 0 {
                    (*op).marked = 0;
                    live += object_size(o);
                    prev = &mut (*op).next;
                } else {
                    *prev = (*op).next;
                    free_object(o);
                }
            }
        }
        self.allocated = live;
    }
}

/// Approximate bytes owned by an object (matches what allocation accounted).
///
/// # Safety
/// `o` must be a live object.
unsafe fn object_size(o: NonNull<GcHeader>) -> usize {
    let p = o.as_ptr();
    match (*p).kind {
        GcKind::Str => str_layout((*(p as *mut Str)).len).size(),
        GcKind::Udata => udata_layout((*(p as *mut Udata)).len).size(),
        GcKind::Cdata => cdata_layout((*(p as *mut Cdata)).len).size(),
        GcKind::Table => std::mem::size_of::<Table>() + table::size_bytes(o.cast()),
        GcKind::Func => {
            let f = &*(p as *const Func);
            std::mem::size_of::<Func>() + f.upvals.len() * 8 + f.cupvals.len() * 8
        }
        GcKind::Upval => std::mem::size_of::<Upval>(),
        GcKind::Proto => {
            let pr = &*(p as *const Proto);
            std::mem::size_of::<Proto>() + pr.code.len() * 8 + pr.k.len() * 8
        }
        GcKind::Thread => {
            std::mem::size_of::<Thread>() + (*(p as *const Thread)).stack.capacity() * 8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_unreachable_and_clears_weak_entries() {
        let mut h = Heap::new();
        let root = h.new_table(0, 0);
        let keep = h.new_table(0, 0);
        table::set_int(root, 1, Value::from_table(keep));
        let _garbage = h.new_table(0, 0);
        // A weak-valued table holding a dead table and a live one.
        let weak = h.new_table(0, 0);
        let mt = h.new_table(0, 0);
        let mode = h.intern_value(b"__mode");
        let v = h.intern_value(b"v");
        table::set(mt, mode, v).unwrap();
        table::set_meta(weak, Some(mt));
        let dead = h.new_table(0, 0);
        table::set_int(weak, 1, Value::from_table(keep));
        table::set_int(weak, 2, Value::from_table(dead));
        table::set_int(root, 2, Value::from_table(weak));
        let before = h.allocated;
        let fin = h.collect(|h| h.mark_value(Value::from_table(root)));
        assert!(fin.is_empty());
        assert!(h.allocated < before);
        assert!(table::get_int(weak, 1).is_table());
        assert!(table::get_int(weak, 2).is_nil());
        // Interned strings that died are dropped from the intern table.
        let n0 = h.string_count();
        h.intern(b"temporary string");
        h.collect(|h| h.mark_value(Value::from_table(root)));
        assert!(h.string_count() <= n0);
    }

    #[test]
    fn after_a_collection_the_count_is_the_live_size() {
        let mut h = Heap::new();
        let root = h.new_table(10_000, 0);
        for i in 1..=10_000 {
            table::set_int(root, i, Value::num(i as f64));
        }
        // Garbage whose sizes were never accounted at allocation (a
        // buffer that grew): freeing it must not pull the count below
        // what is still live.
        for _ in 0..100 {
            let g = h.new_table(0, 0);
            for i in 1..=100 {
                table::set_int(g, i, Value::num(1.0));
            }
        }
        h.collect(|h| h.mark_value(Value::from_table(root)));
        let live = std::mem::size_of::<Table>() + table::size_bytes(root);
        assert!(h.allocated >= live, "{} < {}", h.allocated, live);
        assert!(h.threshold >= 2 * live);
    }

    #[test]
    fn finalizer_scheduled_once() {
        let mut h = Heap::new();
        let mt = h.new_table(0, 0);
        let gc = h.intern_value(b"__gc");
        table::set(mt, gc, Value::TRUE).unwrap();
        let u = h.new_udata(0, std::ptr::null_mut());
        // SAFETY: fresh userdata.
        unsafe { (*u.as_ptr()).meta = mt.as_ptr() };
        let root = |h: &mut Heap| h.mark_value(Value::from_table(mt));
        let fin = h.collect(root);
        assert_eq!(fin.len(), 1);
        // Resurrected and referenced for a cycle, then unreachable again:
        // never scheduled a second time.
        let fin = h.collect(|h| {
            root(h);
            h.mark_value(Value::from_udata(u));
        });
        assert!(fin.is_empty());
        let before = h.allocated;
        assert!(h.collect(root).is_empty());
        assert!(h.allocated < before);
    }
}
