//! The heap: allocation of every object, string interning and a precise,
//! non-moving mark-and-sweep collector (ARCHITECTURE.md: Invariants,
//! Allocator).
//!
//! The collector runs only at safe points (interpreter allocation sites,
//! `collectgarbage`, trace exits) where every live value is in a root the
//! VM hands to `collect`: registry, globals, type metatables, the threads
//! and their stacks. Weak tables are cleared after marking; unreachable
//! userdata with a `__gc` metamethod are resurrected and returned for
//! finalisation. `barrier_*` are the write-barrier hooks for an incremental
//! collector; the current collector is atomic, so they only exist as the API.
//!
//! **Allocation.** Every object is made here (the interpreter, the trace
//! helpers of `jitrt`, the C API and the FFI all call `Heap::new_*`), and
//! table buffers come from here too (`Heap::buf_realloc`, which `table.rs`
//! calls). Both use a size-class allocator owned by the heap:
//!
//! - Sizes up to `SMALL_MAX` (512) bytes are rounded up to a class (a
//!   multiple of `GRAIN`, 16) and get a *cell* of that class. Cells are
//!   carved from 128 KB *chunks* mapped from the system (`mmap`) aligned
//!   to their size; each class has its own chunks, a list of free cells,
//!   and a bump pointer into its newest chunk (whose pages are touched
//!   only as cells are used). Allocation pops a free cell (prefetching the
//!   next), else bumps, else maps a chunk. Larger objects and buffers use
//!   the system allocator (large objects are linked on `Heap::large`).
//!   With a host allocator (`Sys`, the C API's `lua_newstate`), chunks
//!   and large blocks come from it instead, and its refusals become "not
//!   enough memory" at the next safe point.
//! - **Objects** (`Heap::objs`, `Pool`): a dead object is freed only by
//!   the sweep, which walks every chunk of every class cell by cell in
//!   address order (prefetching ahead): a marked cell is unmarked, an
//!   unmarked one finalised (`finalize`: what the object owns, such as a
//!   table's buffers or a prototype's vectors) and marked free
//!   (`CELL_FREE` in the header's mark byte), and the free cells are
//!   threaded, in address order, onto the class's new free list. So the
//!   allocation order after a collection follows memory, and the sweep
//!   reads memory sequentially rather than chasing a list of all objects.
//! - **Buffers** (`Bufs`, `BufPool`): table array parts and hash entry
//!   arrays are freed explicitly (a table grows or dies); a free cell's
//!   address goes on its class's stack (freeing does not touch the
//!   buffer's memory) and its chunk's count of cells in use drops.
//! - **Returning memory.** After a sweep, a class keeps empty chunks only
//!   while its free cells stay within `keep_free` — what its live cells
//!   may grow into before the next collection (the pause), plus a chunk;
//!   further empty chunks are unmapped. A program whose live data shrinks
//!   gives the memory back; one that cycles through the same amount keeps
//!   its chunks and does not map them again every cycle.
//! - **Accounting.** `allocated` counts each object's cell (or system
//!   block) and what it owns, as allocated; after a collection it is the
//!   live objects' sizes (found by the sweep) plus the buffers in use
//!   (`Bufs::in_use`: cells of the buffer pool, system buffers and hash
//!   indexes), so `collectgarbage("count")` is the live size and the next
//!   collection comes at `pause`% of it.
//!
//! **Marking** is pointer chasing, so `mark_obj` does not look at an object
//! at once: it prefetches the header and queues the object in a ring of
//! `MARK_AHEAD`; it is marked and queued gray when `MARK_AHEAD` more have
//! been met (a table also prefetches its array part then). Closures carry
//! their upvalue pointers in the same cell (`UpvalList`), and a table's
//! traversal reads only the first cache line of its 128-byte cell.

use crate::object::*;
use crate::strtab::StrTable;
use crate::table;
use crate::value::Value;
use std::alloc::{alloc, dealloc, Layout};
use std::ptr::NonNull;

/// Header flag of a userdata whose `__gc` has already been scheduled: a
/// finaliser runs at most once per object, even if it resurrects it.
pub const UDATA_FINALIZED: u8 = 0x01;

/// Hash of a byte string (cached in the string object): the 8-byte
/// words, and the last one (overlapping the one before when the length
/// is not a multiple of 8; strings under 8 bytes as overlapping halves
/// or three bytes) with one multiply each, then a final mix.
#[inline]
pub fn hash_bytes(b: &[u8]) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = b.len();
    // (Each read is inside `b`: `n` is at least its end.)
    let w8 = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    let w4 = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as u64;
    let mut h: u64 = 0x243F_6A88_85A3_08D3 ^ n as u64;
    let last = match n {
        0 => 0,
        1..=3 => b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16,
        4..=7 => w4(0) | w4(n - 4) << 32,
        _ => {
            let mut i = 0;
            while i + 8 < n {
                h = (h ^ w8(i)).wrapping_mul(K).rotate_left(29);
                i += 8;
            }
            w8(n - 8)
        }
    };
    h = (h ^ last).wrapping_mul(K);
    h ^= h >> 29;
    (h.wrapping_mul(K) >> 32) as u32
}

// ---------------------------------------------------------------------------
// The size-class allocator
//
// Objects and table buffers of up to `SMALL_MAX` bytes live in cells of
// fixed-size classes (multiples of `GRAIN`), carved from `CHUNK_SIZE`
// chunks that are mapped from the system aligned to their size, so a
// cell's chunk header is its address rounded down. Each class keeps a
// free list threaded through its free cells' first word.
//
// Two pools use them:
// - **objects** (`Heap::objs`): every small GC object. There are no
//   explicit frees: the sweep walks each chunk cell by cell (in address
//   order), finalises the dead objects, and rebuilds the class's free list
//   from the free cells, in address order. A free cell says so in its
//   header (`marked == CELL_FREE`).
// - **buffers** (`Bufs`): table array parts and hash entry arrays. They
//   are freed explicitly (growth, a table's death), so a chunk counts its
//   cells in use (`ChunkHdr::live`).
//
// Chunks left empty by a sweep go back to the system (`munmap`) once the
// class keeps more free cells than its live data may need before the next
// collection (`keep_free`): a program whose heap shrinks gives memory
// back, one that cycles through the same amount keeps its chunks.

/// Cells the sweep looks ahead.
const SWEEP_AHEAD: usize = 8;

/// Objects the marker looks ahead (`Heap::mark_obj`).
const MARK_AHEAD: usize = 16;

/// Ask the CPU to bring the line at `p` into the cache (a hint: never
/// faults, whatever the address).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` has no architectural effect; any address is fine.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Bytes of a chunk, and its alignment.
const CHUNK_SIZE: usize = 128 * 1024;
/// Bytes reserved for the chunk header (a cache line); cells follow.
const CHUNK_HDR: usize = 64;
/// Cells are multiples of this size, and aligned to it.
pub const GRAIN: usize = 16;
/// The largest size served from cells; larger objects and buffers come
/// from the system allocator.
pub const SMALL_MAX: usize = 512;

/// Growths of Rust-side buffers (table parts, stacks, string buffers) of
/// at least this many bytes are checked against the heap's limit before
/// they are made; smaller ones are only counted (the next collection
/// sees them).
pub const GROWTH_CHECKED: usize = 64 * 1024;
const NCLASSES: usize = SMALL_MAX / GRAIN;
/// `GcHeader::marked` of a free cell in an object chunk.
const CELL_FREE: u8 = 0xFF;

/// The class of an allocation of `size` (1..=SMALL_MAX) bytes.
#[inline(always)]
fn class_of(size: usize) -> usize {
    (size.max(1) - 1) / GRAIN
}

/// Bytes of a cell of class `c`.
#[inline(always)]
fn class_size(c: usize) -> usize {
    (c + 1) * GRAIN
}

/// Bytes an allocation of `size` really takes: its cell, or (large) the
/// size rounded to `GRAIN`.
#[inline(always)]
pub fn alloc_bytes(size: usize) -> usize {
    (size.max(1) + GRAIN - 1) & !(GRAIN - 1)
}

#[inline(always)]
fn cells_per_chunk(c: usize) -> usize {
    (CHUNK_SIZE - CHUNK_HDR) / class_size(c)
}

/// The header at the start of each chunk.
#[repr(C)]
struct ChunkHdr {
    /// Buffer chunks: cells handed out and not yet freed. Object chunks:
    /// live cells after the last sweep.
    live: usize,
    /// Chosen for release: its cells are being dropped from the free list.
    doomed: bool,
    /// Mapped from the system after the host allocator refused it
    /// (`Sys`).
    borrowed: bool,
    /// The host allocator the chunk came from (`None`: mapped from the
    /// system), and the block it returned (the chunk lies inside it); for
    /// a borrowed chunk, the host's block standing in for it once the
    /// host granted one (`Heap::cover_borrowed`).
    host: Option<HostAlloc>,
    raw: *mut u8,
}

const _: () = assert!(std::mem::size_of::<ChunkHdr>() <= CHUNK_HDR);

/// A host's allocator (the C API's `lua_newstate`), with Lua's
/// `lua_Alloc` contract: `f(ud, NULL, 0, n)` allocates `n` bytes (NULL:
/// refused), `f(ud, p, n, 0)` frees.
#[derive(Clone, Copy)]
pub struct HostAlloc {
    pub f: unsafe extern "C" fn(
        *mut std::ffi::c_void,
        *mut std::ffi::c_void,
        usize,
        usize,
    ) -> *mut std::ffi::c_void,
    pub ud: *mut std::ffi::c_void,
}

impl HostAlloc {
    /// `n` bytes, `GRAIN`-aligned, or null (refused, or a block not
    /// aligned as `malloc`'s, which is given back).
    ///
    /// # Safety
    /// `f` follows the `lua_Alloc` contract.
    unsafe fn alloc(&self, n: usize) -> *mut u8 {
        let p = (self.f)(self.ud, std::ptr::null_mut(), 0, n) as *mut u8;
        if !p.is_null() && !(p as usize).is_multiple_of(GRAIN) {
            self.free(p, n);
            return std::ptr::null_mut();
        }
        p
    }

    /// # Safety
    /// `p` came from `alloc(n)` of this allocator.
    unsafe fn free(&self, p: *mut u8, n: usize) {
        (self.f)(self.ud, p as *mut std::ffi::c_void, n, 0);
    }
}

/// A host's block standing in for a borrowed one: its allocator, address.
type StandIn = (HostAlloc, *mut u8);

/// Bytes asked of a host allocator for one chunk: room for a
/// `CHUNK_SIZE`-aligned chunk inside a `GRAIN`-aligned block.
const HOST_CHUNK: usize = 2 * CHUNK_SIZE - GRAIN;

/// Where the heap's chunks and large blocks come from: the system
/// (`mmap`, Rust's allocator), or a host allocator when one is set
/// (ARCHITECTURE.md: Memory limits). A refusal of the host does not fail
/// the allocation at hand (it may be in the middle of a table insert, or
/// in a trace): the memory is *borrowed* from the system, and `refused`
/// makes the next safe point collect, then ask the host for a stand-in
/// block of each borrowed chunk or block still in use
/// (`Heap::cover_borrowed`): if the host refuses one, "not enough
/// memory" is raised (`Vm::full_gc`). So the host's count of bytes stays
/// what the heap uses, give or take what was borrowed between a refusal
/// and the next safe point.
#[derive(Default)]
pub struct Sys {
    host: Option<HostAlloc>,
    /// Large blocks from a host allocator, by address.
    host_blocks: std::collections::HashMap<usize, HostAlloc>,
    /// Large blocks borrowed from the system, by address: their size and
    /// the host's stand-in block once granted.
    borrowed_blocks: std::collections::HashMap<usize, (usize, Option<StandIn>)>,
    /// Bytes borrowed from the system after refusals, in use and not
    /// covered by a stand-in.
    pub borrowed: usize,
    /// The host refused a block since the last safe point looked.
    pub refused: bool,
}

impl Sys {
    /// Set (or with `None`, drop) the host allocator for the memory the
    /// heap gets from now on; blocks already allocated are freed where
    /// they came from.
    pub fn set_host(&mut self, host: Option<HostAlloc>) {
        self.host = host;
    }

    /// A large block of layout `l` (`GRAIN`-aligned).
    fn alloc_large(&mut self, l: Layout) -> NonNull<u8> {
        match self.try_alloc_large(l) {
            Some(p) => p,
            None => std::alloc::handle_alloc_error(l),
        }
    }

    /// A large block of layout `l`, or `None` when the system allocator
    /// fails (a host's refusal still borrows from the system, see above).
    fn try_alloc_large(&mut self, l: Layout) -> Option<NonNull<u8>> {
        if let Some(h) = self.host {
            // SAFETY: the host allocator's contract.
            let p = unsafe { h.alloc(l.size()) };
            if let Some(p) = NonNull::new(p) {
                self.host_blocks.insert(p.as_ptr() as usize, h);
                return Some(p);
            }
            self.refused = true;
        }
        // SAFETY: non-zero size; checked for null.
        let p = NonNull::new(unsafe { alloc(l) })?;
        if self.host.is_some() {
            self.borrowed_blocks
                .insert(p.as_ptr() as usize, (l.size(), None));
            self.borrowed += l.size();
        }
        Some(p)
    }

    /// Free a block of `alloc_large(l)`.
    ///
    /// # Safety
    /// `p` came from `alloc_large(l)` and is not used again.
    unsafe fn free_large(&mut self, p: *mut u8, l: Layout) {
        if !self.host_blocks.is_empty() {
            if let Some(h) = self.host_blocks.remove(&(p as usize)) {
                h.free(p, l.size());
                return;
            }
        }
        if !self.borrowed_blocks.is_empty() {
            match self.borrowed_blocks.remove(&(p as usize)) {
                Some((n, Some((h, s)))) => h.free(s, n),
                Some((n, None)) => self.borrowed -= n,
                None => {}
            }
        }
        dealloc(p, l);
    }

    /// Whether large blocks may be moved with the system's `realloc`.
    fn system_only(&self) -> bool {
        self.host.is_none() && self.host_blocks.is_empty() && self.borrowed_blocks.is_empty()
    }
}

/// A free cell, linked through its first word (an object's header
/// `next`, which the cell's object no longer needs).
#[repr(C)]
struct FreeCell {
    next: *mut FreeCell,
}

#[inline(always)]
fn chunk_of(p: *mut u8) -> *mut ChunkHdr {
    (p as usize & !(CHUNK_SIZE - 1)) as *mut ChunkHdr
}

/// A zeroed chunk aligned to `CHUNK_SIZE`, its header written: from the
/// host allocator when one is set, else (or refused: borrowed) mapped.
fn map_chunk(sys: &mut Sys) -> NonNull<ChunkHdr> {
    if let Some(h) = sys.host {
        // SAFETY: the host allocator's contract; the chunk is the aligned
        // `CHUNK_SIZE` bytes inside the `HOST_CHUNK` block, zeroed.
        unsafe {
            let raw = h.alloc(HOST_CHUNK);
            if !raw.is_null() {
                let start = (raw as usize + CHUNK_SIZE - 1) & !(CHUNK_SIZE - 1);
                std::ptr::write_bytes(start as *mut u8, 0, CHUNK_SIZE);
                let ch = start as *mut ChunkHdr;
                ch.write(ChunkHdr {
                    live: 0,
                    doomed: false,
                    borrowed: false,
                    host: Some(h),
                    raw,
                });
                return NonNull::new_unchecked(ch);
            }
        }
        sys.refused = true;
        sys.borrowed += CHUNK_SIZE;
    }
    let ch = map_system_chunk();
    // SAFETY: a fresh chunk, its header at its start.
    unsafe {
        ch.as_ptr().write(ChunkHdr {
            live: 0,
            doomed: false,
            borrowed: sys.host.is_some(),
            host: None,
            raw: std::ptr::null_mut(),
        })
    };
    ch
}

/// Map a zeroed chunk aligned to `CHUNK_SIZE` from the system.
fn map_system_chunk() -> NonNull<ChunkHdr> {
    #[cfg(unix)]
    // SAFETY: an anonymous private mapping of twice the size, trimmed to
    // its aligned middle; the pieces unmapped lie inside the mapping.
    unsafe {
        let raw = libc::mmap(
            std::ptr::null_mut(),
            2 * CHUNK_SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if raw == libc::MAP_FAILED {
            std::alloc::handle_alloc_error(chunk_layout());
        }
        let start = (raw as usize + CHUNK_SIZE - 1) & !(CHUNK_SIZE - 1);
        let head = start - raw as usize;
        if head > 0 {
            libc::munmap(raw, head);
        }
        let tail = CHUNK_SIZE - head;
        if tail > 0 {
            libc::munmap((start + CHUNK_SIZE) as *mut libc::c_void, tail);
        }
        NonNull::new_unchecked(start as *mut ChunkHdr)
    }
    #[cfg(not(unix))]
    // SAFETY: non-zero size; the result is checked.
    unsafe {
        let p = std::alloc::alloc_zeroed(chunk_layout());
        match NonNull::new(p as *mut ChunkHdr) {
            Some(p) => p,
            None => std::alloc::handle_alloc_error(chunk_layout()),
        }
    }
}

fn chunk_layout() -> Layout {
    Layout::from_size_align(CHUNK_SIZE, CHUNK_SIZE).unwrap()
}

/// Give a chunk back to where it came from.
///
/// # Safety
/// `c` came from `map_chunk` and nothing in it is used any more.
unsafe fn unmap_chunk(sys: &mut Sys, c: NonNull<ChunkHdr>) {
    let hdr = &*c.as_ptr();
    match (hdr.host, hdr.borrowed) {
        (Some(h), false) => {
            h.free(hdr.raw, HOST_CHUNK);
            return;
        }
        (Some(h), true) => h.free(hdr.raw, CHUNK_SIZE),
        (None, true) => sys.borrowed -= CHUNK_SIZE,
        (None, false) => {}
    }
    #[cfg(unix)]
    libc::munmap(c.as_ptr() as *mut libc::c_void, CHUNK_SIZE);
    #[cfg(not(unix))]
    std::alloc::dealloc(c.as_ptr() as *mut u8, chunk_layout());
}

/// The unused tail of a class's newest chunk, handed out in address
/// order when the free cells run out: a chunk's pages are touched (made
/// resident) only as its cells are used.
struct Bump {
    chunk: *mut ChunkHdr,
    next: *mut u8,
    end: *mut u8,
}

impl Bump {
    const NONE: Bump = Bump {
        chunk: std::ptr::null_mut(),
        next: std::ptr::null_mut(),
        end: std::ptr::null_mut(),
    };

    /// Start handing out the `n` cells of `size` bytes of fresh chunk `ch`.
    fn start(&mut self, ch: NonNull<ChunkHdr>, size: usize, n: usize) {
        // SAFETY: the chunk has `n` cells of `size` bytes after its header.
        unsafe {
            self.next = (ch.as_ptr() as *mut u8).add(CHUNK_HDR);
            self.end = self.next.add(n * size);
        }
        self.chunk = ch.as_ptr();
    }

    #[inline]
    fn take(&mut self, size: usize) -> Option<NonNull<u8>> {
        if self.next < self.end {
            let p = self.next;
            // SAFETY: `next < end`: a cell of the bump chunk; `end` is
            // its last cell's end.
            self.next = unsafe { p.add(size) };
            // SAFETY: inside a mapped chunk: not null.
            Some(unsafe { NonNull::new_unchecked(p) })
        } else {
            None
        }
    }

    /// Cells of chunk `ch` ever handed out: `n`, except in the bump chunk.
    #[inline]
    fn used(&self, ch: NonNull<ChunkHdr>, size: usize, n: usize) -> usize {
        if ch.as_ptr() == self.chunk {
            (self.next as usize - (ch.as_ptr() as usize + CHUNK_HDR)) / size
        } else {
            n
        }
    }

    /// Cells not handed out yet.
    fn left(&self, size: usize) -> usize {
        (self.end as usize - self.next as usize) / size
    }
}

/// One size class of the object pool: its free list and its chunks.
struct Class {
    free: *mut FreeCell,
    /// Cells on `free`.
    nfree: usize,
    chunks: Vec<NonNull<ChunkHdr>>,
    bump: Bump,
}

/// The object pool's size classes (see the section comment).
struct Pool {
    classes: Vec<Class>,
    /// Chunks mapped.
    chunks: usize,
}

impl Pool {
    fn new() -> Pool {
        Pool {
            classes: (0..NCLASSES)
                .map(|_| Class {
                    free: std::ptr::null_mut(),
                    nfree: 0,
                    chunks: Vec::new(),
                    bump: Bump::NONE,
                })
                .collect(),
            chunks: 0,
        }
    }

    /// A cell of class `c`.
    #[inline(always)]
    fn alloc(&mut self, c: usize, sys: &mut Sys) -> NonNull<u8> {
        let cl = &mut self.classes[c];
        let p = cl.free;
        if p.is_null() {
            return self.refill(c, sys);
        }
        // SAFETY: a free-list cell is unused memory of one of our chunks,
        // its first word the link.
        unsafe {
            cl.free = (*p).next;
            // The next allocation's cell.
            prefetch(cl.free);
            cl.nfree -= 1;
            NonNull::new_unchecked(p as *mut u8)
        }
    }

    /// A cell from the bump chunk, or from a new one.
    #[cold]
    fn refill(&mut self, c: usize, sys: &mut Sys) -> NonNull<u8> {
        let cl = &mut self.classes[c];
        bump_cell(&mut cl.bump, &mut cl.chunks, &mut self.chunks, c, sys)
    }
}

/// A cell of class `c` from a class's bump chunk, or from a new chunk
/// (mapped through `sys`, added to the class's `chunks`, counted in the
/// pool's `nchunks`): the slow path of both pools.
fn bump_cell(
    bump: &mut Bump,
    chunks: &mut Vec<NonNull<ChunkHdr>>,
    nchunks: &mut usize,
    c: usize,
    sys: &mut Sys,
) -> NonNull<u8> {
    let size = class_size(c);
    if let Some(p) = bump.take(size) {
        return p;
    }
    let ch = map_chunk(sys);
    bump.start(ch, size, cells_per_chunk(c));
    chunks.push(ch);
    *nchunks += 1;
    bump.take(size).expect("a fresh chunk has cells")
}

/// One size class of the buffer pool: its free cells (a stack of
/// addresses, so freeing a buffer does not touch its memory) and chunks.
struct BufClass {
    free: Vec<NonNull<u8>>,
    chunks: Vec<NonNull<ChunkHdr>>,
    bump: Bump,
}

/// The buffer pool's size classes.
struct BufPool {
    classes: Vec<BufClass>,
    /// Chunks mapped.
    chunks: usize,
}

impl BufPool {
    fn new() -> BufPool {
        BufPool {
            classes: (0..NCLASSES)
                .map(|_| BufClass {
                    free: Vec::new(),
                    chunks: Vec::new(),
                    bump: Bump::NONE,
                })
                .collect(),
            chunks: 0,
        }
    }

    /// A cell of class `c`.
    #[inline(always)]
    fn alloc(&mut self, c: usize, sys: &mut Sys) -> NonNull<u8> {
        let cl = &mut self.classes[c];
        let Some(p) = cl.free.pop() else {
            return self.refill(c, sys);
        };
        if let Some(&next) = cl.free.last() {
            prefetch(next.as_ptr());
        }
        // SAFETY: a free cell of one of our chunks, whose header is at
        // the chunk's aligned start.
        unsafe { (*chunk_of(p.as_ptr())).live += 1 };
        p
    }

    /// A cell from the bump chunk, or from a new one.
    #[cold]
    fn refill(&mut self, c: usize, sys: &mut Sys) -> NonNull<u8> {
        let cl = &mut self.classes[c];
        let p = bump_cell(&mut cl.bump, &mut cl.chunks, &mut self.chunks, c, sys);
        // SAFETY: a cell of one of our chunks.
        unsafe { (*chunk_of(p.as_ptr())).live += 1 };
        p
    }

    /// Return a cell of class `c`.
    ///
    /// # Safety
    /// `p` is a cell of class `c` of this pool, in use, not used again.
    #[inline(always)]
    unsafe fn free(&mut self, p: NonNull<u8>, c: usize) {
        self.classes[c].free.push(p);
        (*chunk_of(p.as_ptr())).live -= 1;
    }

    /// Bytes of the cells in use.
    fn in_use(&self) -> usize {
        (0..NCLASSES)
            .map(|c| {
                let cl = &self.classes[c];
                let size = class_size(c);
                (cl.chunks.len() * cells_per_chunk(c) - cl.free.len() - cl.bump.left(size)) * size
            })
            .sum()
    }

    /// Release the empty chunks of every class that keeps more free cells
    /// than `keep_free` allows, dropping their cells from the free stack.
    fn trim(&mut self, pause: usize, sys: &mut Sys) {
        for c in 0..NCLASSES {
            let n = cells_per_chunk(c);
            let cl = &mut self.classes[c];
            let nfree = cl.free.len() + cl.bump.left(class_size(c));
            let keep = keep_free(cl.chunks.len() * n - nfree, n, pause);
            if nfree <= keep {
                continue;
            }
            let mut excess = nfree - keep;
            let mut doomed = 0;
            for &ch in &cl.chunks {
                // SAFETY: our chunks' headers. (The bump chunk stays.)
                unsafe {
                    // A borrowed chunk goes as soon as it is empty, even
                    // the bump chunk (`Sys`).
                    let hdr = &*ch.as_ptr();
                    if hdr.live == 0
                        && (hdr.borrowed || (excess >= n && ch.as_ptr() != cl.bump.chunk))
                    {
                        (*ch.as_ptr()).doomed = true;
                        excess = excess.saturating_sub(n);
                        doomed += 1;
                    }
                }
            }
            if doomed == 0 {
                continue;
            }
            // SAFETY: the free cells and chunks are ours; a doomed chunk
            // has no cell in use, and its free cells leave the stack
            // before it is unmapped.
            unsafe {
                cl.free.retain(|p| !(*chunk_of(p.as_ptr())).doomed);
                if !cl.bump.chunk.is_null() && (*cl.bump.chunk).doomed {
                    cl.bump = Bump::NONE;
                }
                cl.chunks.retain(|&ch| {
                    if (*ch.as_ptr()).doomed {
                        unmap_chunk(sys, ch);
                        false
                    } else {
                        true
                    }
                });
            }
            self.chunks -= doomed;
        }
    }
}

/// Free cells a class keeps after a collection: room for its live cells
/// to grow by the pause (the next collection comes when the heap has),
/// plus a chunk.
fn keep_free(live: usize, per_chunk: usize, pause: usize) -> usize {
    live.saturating_mul(pause.saturating_sub(100)) / 100 + per_chunk
}

/// Layout of a large (system-allocated) object or buffer.
fn large_layout(size: usize) -> Layout {
    Layout::from_size_align(alloc_bytes(size), GRAIN).unwrap()
}

/// The pool of table buffers (array parts, hash entries): cells up to
/// `SMALL_MAX` bytes, system blocks above. Sizes are capacities in bytes
/// as `alloc` returned them.
pub struct Bufs {
    pool: BufPool,
    /// Bytes of the system blocks (buffers above `SMALL_MAX`) in use.
    large: usize,
    /// Bytes counted for hash parts' indexes (see `table::note_index`).
    pub index: usize,
    /// Where chunks and large blocks (of both pools) come from.
    pub sys: Sys,
}

impl Bufs {
    /// A buffer of at least `size` bytes (16-aligned); returns it and its
    /// capacity in bytes.
    #[inline]
    pub fn alloc(&mut self, size: usize) -> (NonNull<u8>, usize) {
        match self.try_alloc(size) {
            Some(r) => r,
            None => std::alloc::handle_alloc_error(large_layout(size)),
        }
    }

    /// As `alloc`, `None` when the system allocator fails a large block.
    #[inline]
    fn try_alloc(&mut self, size: usize) -> Option<(NonNull<u8>, usize)> {
        if size <= SMALL_MAX {
            let c = class_of(size);
            Some((self.pool.alloc(c, &mut self.sys), class_size(c)))
        } else {
            let l = Layout::from_size_align(alloc_bytes(size), GRAIN).ok()?;
            let p = self.sys.try_alloc_large(l)?;
            self.large += l.size();
            Some((p, l.size()))
        }
    }

    /// Free a buffer.
    ///
    /// # Safety
    /// `p` came from this pool's `alloc` (or `realloc`) with capacity `cap`
    /// and is not used again.
    #[inline]
    pub unsafe fn free(&mut self, p: NonNull<u8>, cap: usize) {
        if cap <= SMALL_MAX {
            self.pool.free(p, class_of(cap));
        } else {
            self.large -= cap;
            self.sys.free_large(p.as_ptr(), large_layout(cap));
        }
    }

    /// Move a buffer of capacity `cap` (the first `keep` bytes in use) to
    /// one of at least `size` bytes; `p` may be null (with `cap` 0).
    /// Returns the new buffer and its capacity, or `None` (the buffer
    /// left as it was) when the system allocator fails a large block.
    ///
    /// # Safety
    /// A non-null `p` came from this pool with capacity `cap`; it must not
    /// be used after a successful call. `keep <= min(cap, size)`.
    pub unsafe fn realloc(
        &mut self,
        p: *mut u8,
        cap: usize,
        keep: usize,
        size: usize,
    ) -> Option<(NonNull<u8>, usize)> {
        if cap > SMALL_MAX && size > SMALL_MAX && self.sys.system_only() {
            let l = Layout::from_size_align(alloc_bytes(size), GRAIN).ok()?;
            // (A failed `realloc` leaves the block as it was.)
            let q = NonNull::new(std::alloc::realloc(p, large_layout(cap), l.size()))?;
            self.large = self.large + l.size() - cap;
            return Some((q, l.size()));
        }
        let (q, ncap) = self.try_alloc(size)?;
        if let Some(p) = NonNull::new(p) {
            std::ptr::copy_nonoverlapping(p.as_ptr(), q.as_ptr(), keep);
            self.free(p, cap);
        }
        Some((q, ncap))
    }

    /// Bytes of every buffer in use (and the indexes counted).
    fn in_use(&self) -> usize {
        self.pool.in_use() + self.large + self.index
    }
}

pub struct Heap {
    /// Objects larger than `SMALL_MAX` (system blocks), linked through
    /// their headers' `next`. Smaller ones live in `objs`' cells.
    large: *mut GcHeader,
    /// Cells of the small objects.
    objs: Pool,
    /// Table array parts and hash entries (`table.rs` grows them through
    /// `Heap::buf_realloc`).
    pub bufs: Bufs,
    strings: StrTable,
    /// The one-byte strings made since the last collection (`intern`'s
    /// shortcut for `string.char`, `s:sub(i, i)` and the like; emptied
    /// by every collection, which may free them).
    bytes1: [Option<NonNull<Str>>; 256],
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
    /// Work credited by `collectgarbage("step")` towards the next cycle,
    /// in bytes (`Vm::gc_step`); every collection resets it.
    pub step_work: usize,
    /// A cycle that steps had begun (credit above 0) was finished by a
    /// collection other than a step's: the next step reports it.
    pub step_done: bool,
    /// `allocated` after the last collection: the live data then.
    pub live: usize,
    /// Bytes held outside the heap that a collection counts as live (the
    /// string buffers' bytes: `Vm::full_gc` sets it before collecting).
    pub external: usize,
    gray: Vec<NonNull<GcHeader>>,
    /// Objects met while marking, prefetched and not yet looked at
    /// (`mark_obj`): a ring of `MARK_AHEAD` (null: empty slot).
    ahead: [*mut GcHeader; MARK_AHEAD],
    ahead_at: usize,
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
        // SAFETY: every object on the large list and every non-free cell
        // of the object chunks is a live object, finalised and freed once
        // here; then no cell of any chunk is in use.
        unsafe {
            let mut p = self.large;
            while let Some(o) = NonNull::new(p) {
                p = (*o.as_ptr()).next;
                let size = alloc_size(o);
                finalize(o, &mut self.bufs);
                self.bufs
                    .sys
                    .free_large(o.as_ptr() as *mut u8, large_layout(size));
            }
            self.large = std::ptr::null_mut();
            for c in 0..NCLASSES {
                let (size, n) = (class_size(c), cells_per_chunk(c));
                let cl = &self.objs.classes[c];
                for &ch in &cl.chunks {
                    let base = (ch.as_ptr() as *mut u8).add(CHUNK_HDR);
                    for i in 0..cl.bump.used(ch, size, n) {
                        let h = base.add(i * size) as *mut GcHeader;
                        if (*h).marked != CELL_FREE {
                            finalize(NonNull::new_unchecked(h), &mut self.bufs);
                        }
                    }
                }
            }
            let sys = &mut self.bufs.sys;
            for cl in self.objs.classes.iter_mut() {
                for ch in cl.chunks.drain(..) {
                    unmap_chunk(sys, ch);
                }
                cl.free = std::ptr::null_mut();
                cl.nfree = 0;
                cl.bump = Bump::NONE;
            }
            self.objs.chunks = 0;
            for cl in self.bufs.pool.classes.iter_mut() {
                for ch in cl.chunks.drain(..) {
                    unmap_chunk(&mut self.bufs.sys, ch);
                }
                cl.free.clear();
                cl.bump = Bump::NONE;
            }
            self.bufs.pool.chunks = 0;
        }
    }
}

/// Free what an object owns besides its own memory (a table's buffers,
/// a prototype's vectors, a thread's stack ...).
///
/// # Safety
/// `o` must be a live object of this heap, not used afterwards.
unsafe fn finalize(o: NonNull<GcHeader>, bufs: &mut Bufs) {
    let p = o.as_ptr();
    match (*p).kind {
        GcKind::Str | GcKind::Udata | GcKind::Cdata | GcKind::Upval => {}
        GcKind::Table => table::free_parts(bufs, &mut *(p as *mut Table)),
        GcKind::Func => std::ptr::drop_in_place(p as *mut Func),
        GcKind::Proto => std::ptr::drop_in_place(p as *mut Proto),
        GcKind::Thread => std::ptr::drop_in_place(p as *mut Thread),
    }
}

/// Bytes an object was allocated with (before rounding to its cell).
///
/// # Safety
/// `o` must be a live object.
unsafe fn alloc_size(o: NonNull<GcHeader>) -> usize {
    let p = o.as_ptr();
    match (*p).kind {
        GcKind::Str => str_size((*(p as *mut Str)).len),
        GcKind::Udata => udata_size((*(p as *mut Udata)).len),
        GcKind::Cdata => cdata_size((*(p as *mut Cdata)).len),
        GcKind::Table => std::mem::size_of::<Table>(),
        GcKind::Func => {
            let f = &*(p as *const Func);
            func_size(f.upvals.len())
        }
        GcKind::Upval => std::mem::size_of::<Upval>(),
        GcKind::Proto => std::mem::size_of::<Proto>(),
        GcKind::Thread => std::mem::size_of::<Thread>(),
    }
}

fn str_size(len: usize) -> usize {
    std::mem::size_of::<Str>() + len + 1
}

fn udata_size(len: usize) -> usize {
    UDATA_HEADER_SIZE + len.max(1)
}

fn cdata_size(len: usize) -> usize {
    CDATA_HEADER_SIZE + len.max(1)
}

/// A closure with `nup` upvalues stored after it.
fn func_size(nup: usize) -> usize {
    std::mem::size_of::<Func>() + nup * std::mem::size_of::<NonNull<Upval>>()
}

impl Heap {
    pub fn new() -> Heap {
        let mut h = Heap {
            large: std::ptr::null_mut(),
            objs: Pool::new(),
            bufs: Bufs {
                pool: BufPool::new(),
                large: 0,
                index: 0,
                sys: Sys::default(),
            },
            strings: StrTable::default(),
            bytes1: [None; 256],
            allocated: 0,
            threshold: 1 << 20,
            limit: Heap::default_limit(),
            stress: std::env::var_os("LUNATRACE_GCSTRESS").is_some_and(|v| v == "1"),
            stopped: false,
            defer: 0,
            pause: 200,
            stepmul: 200,
            step_work: 0,
            step_done: false,
            live: 0,
            external: 0,
            gray: Vec::new(),
            ahead: [std::ptr::null_mut(); MARK_AHEAD],
            ahead_at: 0,
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

    /// The limit a new heap gets: half of what the process's
    /// address-space or data-segment limit (`ulimit -v`/`-d`) leaves
    /// beyond what the process already uses (its code, libraries and
    /// stacks: `/proc/self/statm`), when one is set, so that the collector
    /// raises "not enough memory" as a Lua error before the system
    /// allocator fails (which would abort the process); none otherwise.
    pub fn default_limit() -> usize {
        // (Pages of the address space and of the data segment.)
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: Vec<usize> = statm
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let used = |i: usize| pages.get(i).copied().unwrap_or(0).saturating_mul(4096);
        let mut lim = usize::MAX;
        for (res, base) in [(libc::RLIMIT_AS, used(0)), (libc::RLIMIT_DATA, used(5))] {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes the struct it is given.
            if unsafe { libc::getrlimit(res, &mut r) } == 0 && r.rlim_cur != libc::RLIM_INFINITY {
                lim = lim.min((r.rlim_cur as usize).saturating_sub(base) / 2);
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

    /// Memory for an object of `size` bytes (a cell, or above `SMALL_MAX` a
    /// system block), with `v` written at its start and the object
    /// counted in `allocated`. Large objects are linked on `large`.
    #[inline(always)]
    fn place<T>(&mut self, size: usize, v: T) -> NonNull<T> {
        debug_assert!(size >= std::mem::size_of::<T>() && std::mem::align_of::<T>() <= GRAIN);
        self.allocated += alloc_bytes(size);
        if size <= SMALL_MAX {
            let c = class_of(size);
            let p = if self.objs.classes[c].free.is_null() {
                self.refill_obj(c)
            } else {
                self.objs.alloc(c, &mut self.bufs.sys)
            }
            .cast::<T>();
            // SAFETY: a fresh cell of at least `size` bytes, 16-aligned.
            unsafe { p.as_ptr().write(v) };
            p
        } else {
            self.place_large(size, v)
        }
    }

    /// A cell of class `c` when its free list is empty (a refusal of the
    /// host allocator makes a collection due: see `Sys`).
    #[cold]
    fn refill_obj(&mut self, c: usize) -> NonNull<u8> {
        let p = self.objs.refill(c, &mut self.bufs.sys);
        self.note_refusal();
        p
    }

    /// After the host allocator refused a block: a collection is due at
    /// the next safe point (interpreter or trace), which raises "not
    /// enough memory" if borrowed memory stays in use (`Vm::full_gc`).
    #[inline(always)]
    fn note_refusal(&mut self) {
        if self.bufs.sys.refused {
            self.threshold = 0;
        }
    }

    /// The host allocator refused a block since the last call: true once,
    /// if memory borrowed from the system is still in use (called after a
    /// collection).
    pub fn take_refusal(&mut self) -> bool {
        std::mem::take(&mut self.bufs.sys.refused) && !self.cover_borrowed()
    }

    /// Ask the host allocator for a stand-in block of each borrowed chunk
    /// and large block not yet covered (see `Sys`); false when it refuses
    /// one.
    fn cover_borrowed(&mut self) -> bool {
        let sys = &mut self.bufs.sys;
        let Some(h) = sys.host else {
            return true;
        };
        if sys.borrowed == 0 {
            return true;
        }
        let chunks = self
            .objs
            .classes
            .iter()
            .flat_map(|c| c.chunks.iter())
            .chain(self.bufs.pool.classes.iter().flat_map(|c| c.chunks.iter()));
        for &ch in chunks {
            // SAFETY: our chunks' headers; the stand-in is the host's
            // block of `CHUNK_SIZE` bytes, freed with the chunk.
            unsafe {
                let hdr = &mut *ch.as_ptr();
                if hdr.borrowed && hdr.host.is_none() {
                    let s = h.alloc(CHUNK_SIZE);
                    if s.is_null() {
                        return false;
                    }
                    hdr.host = Some(h);
                    hdr.raw = s;
                    sys.borrowed -= CHUNK_SIZE;
                }
            }
        }
        for (n, cover) in sys.borrowed_blocks.values_mut() {
            if cover.is_none() {
                // SAFETY: the host allocator's contract.
                let s = unsafe { h.alloc(*n) };
                if s.is_null() {
                    return false;
                }
                *cover = Some((h, s));
                sys.borrowed -= *n;
            }
        }
        true
    }

    #[cold]
    fn place_large<T>(&mut self, size: usize, v: T) -> NonNull<T> {
        let l = large_layout(size);
        let p = self.bufs.sys.alloc_large(l).as_ptr() as *mut T;
        self.note_refusal();
        // SAFETY: a fresh block of the object's size; the object (whose
        // first field is its header) is written before it is linked.
        unsafe {
            p.write(v);
            let h = p as *mut GcHeader;
            (*h).next = self.large;
            self.large = h;
            NonNull::new_unchecked(p)
        }
    }

    /// Move a table buffer (see `Bufs::realloc`), keeping `allocated`.
    /// Fails (`None`, the buffer left as it was) when a growth of
    /// `GROWTH_CHECKED` bytes or more would take the heap past its limit,
    /// or the system allocator fails: the caller raises "not enough
    /// memory" (after a collection and a retry where it can collect).
    ///
    /// # Safety
    /// As `Bufs::realloc`.
    #[inline]
    pub unsafe fn buf_realloc(
        &mut self,
        p: *mut u8,
        cap: usize,
        keep: usize,
        size: usize,
    ) -> Option<(NonNull<u8>, usize)> {
        let more = size.saturating_sub(cap);
        if more >= GROWTH_CHECKED && self.would_exceed(more) {
            return None;
        }
        let r = self.bufs.realloc(p, cap, keep, size)?;
        self.allocated = (self.allocated + r.1).saturating_sub(cap);
        self.note_refusal();
        Some(r)
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
        self.allocated >= self.threshold
            && (!self.stopped || self.bufs.sys.refused)
            && self.defer == 0
    }

    /// Intern a byte string.
    pub fn intern(&mut self, b: &[u8]) -> NonNull<Str> {
        if let [c] = *b {
            return self.intern_byte(c);
        }
        self.find_or_make(hash_bytes(b), b)
    }

    /// The interned string of `b` (hash `h`), made if there is none.
    #[inline(always)]
    fn find_or_make(&mut self, h: u32, b: &[u8]) -> NonNull<Str> {
        match self.strings.find(h, b) {
            // A string found during sweep's window may be unmarked: the
            // collector is atomic, so nothing is in that state here.
            Some(s) => s,
            None => self.intern_new(h, b),
        }
    }

    /// Make the string of `b` (hash `h`), not in the intern table yet.
    #[inline(never)]
    fn intern_new(&mut self, h: u32, b: &[u8]) -> NonNull<Str> {
        let p = self.place(
            str_size(b.len()),
            Str {
                hdr: GcHeader::new(GcKind::Str),
                hash: h,
                reserved: 0,
                len: b.len(),
            },
        );
        // SAFETY: the object has room for the bytes and a NUL after the
        // header; written before the pointer escapes.
        unsafe {
            let d = (p.as_ptr() as *mut u8).add(std::mem::size_of::<Str>());
            std::ptr::copy_nonoverlapping(b.as_ptr(), d, b.len());
            *d.add(b.len()) = 0;
        }
        self.strings.insert(h, p);
        p
    }

    /// Intern the one-byte string `[c]`.
    #[inline]
    fn intern_byte(&mut self, c: u8) -> NonNull<Str> {
        if let Some(s) = self.bytes1[c as usize] {
            return s;
        }
        let b = [c];
        let s = self.find_or_make(hash_bytes(&b), &b);
        self.bytes1[c as usize] = Some(s);
        s
    }

    /// The interned string with these bytes, if there is one (does not
    /// allocate).
    pub fn find_interned(&self, b: &[u8]) -> Option<NonNull<Str>> {
        let h = hash_bytes(b);
        self.strings.find(h, b)
    }

    pub fn intern_value(&mut self, b: &[u8]) -> Value {
        Value::from_str(self.intern(b))
    }

    /// Number of interned strings.
    pub fn string_count(&self) -> usize {
        self.strings.len()
    }

    pub fn new_table(&mut self, narr: usize, nhash: usize) -> NonNull<Table> {
        let p = self.place(
            std::mem::size_of::<Table>(),
            Table {
                hdr: GcHeader::new(GcKind::Table),
                nomm: 0,
                _pad: 0,
                alen: 0,
                arr: std::ptr::null_mut(),
                _spare: [0; 3],
                meta: std::ptr::null_mut(),
                zero: Value::NIL,
                hash: table::HashPart::default(),
            },
        );
        table::init_arr(p);
        if narr > 0 {
            table::forced(self, |h| table::presize_array(h, p, narr));
        }
        if nhash > 0 {
            table::forced(self, |h| table::presize_hash(h, p, nhash));
        }
        p
    }

    /// A function object: `f` with the upvalues `ups` stored after it (a
    /// Lua closure; natives pass none). `f.upvals` is set here.
    pub fn new_func(&mut self, f: Func, ups: &[NonNull<Upval>]) -> NonNull<Func> {
        if !f.proto.is_null() {
            // SAFETY: a Lua closure's prototype is live.
            unsafe { (*f.proto).nclosures = (*f.proto).nclosures.saturating_add(1) };
        }
        let extra = f.cupvals.len() * 8;
        let p = self.place(func_size(ups.len()), f);
        self.allocated += extra;
        // SAFETY: the object was allocated with room for `ups.len()`
        // pointers right after the `Func` (8-aligned: `Func` is); they are
        // written before the list is made.
        unsafe {
            let dst =
                (p.as_ptr() as *mut u8).add(std::mem::size_of::<Func>()) as *mut NonNull<Upval>;
            std::ptr::copy_nonoverlapping(ups.as_ptr(), dst, ups.len());
            (*p.as_ptr()).upvals = UpvalList::from_raw(NonNull::new_unchecked(dst), ups.len());
        }
        p
    }

    pub fn new_upval(&mut self, u: Upval) -> NonNull<Upval> {
        self.place(std::mem::size_of::<Upval>(), u)
    }

    pub fn new_proto(&mut self, pr: Proto) -> NonNull<Proto> {
        let extra = pr.code.len() * 8 + pr.k.len() * 8;
        let p = self.place(std::mem::size_of::<Proto>(), pr);
        self.allocated += extra;
        p
    }

    pub fn new_thread(&mut self, t: Thread) -> NonNull<Thread> {
        let extra = t.stack.capacity() * 8;
        let p = self.place(std::mem::size_of::<Thread>(), t);
        self.allocated += extra;
        p
    }

    /// A full userdata with `len` zeroed payload bytes.
    pub fn new_udata(&mut self, len: usize, env: *mut Table) -> NonNull<Udata> {
        let p = self.place(
            udata_size(len),
            Udata {
                hdr: GcHeader::new(GcKind::Udata),
                meta: std::ptr::null_mut(),
                env,
                len,
            },
        );
        // SAFETY: the object has `len` payload bytes after the header.
        unsafe { std::ptr::write_bytes((p.as_ptr() as *mut u8).add(UDATA_HEADER_SIZE), 0, len) };
        self.udata.push(p);
        p
    }

    /// A cdata object of C type `ctype` with `len` zeroed payload bytes.
    pub fn new_cdata(&mut self, ctype: u32, len: usize) -> NonNull<Cdata> {
        let p = self.place(
            cdata_size(len),
            Cdata {
                hdr: GcHeader::new(GcKind::Cdata),
                ctype,
                _pad: 0,
                len,
                fin: Value::NIL,
            },
        );
        // SAFETY: the object has `len` payload bytes after the header.
        unsafe { std::ptr::write_bytes((p.as_ptr() as *mut u8).add(CDATA_HEADER_SIZE), 0, len) };
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
        // Look at the object `MARK_AHEAD` marks later, when its header
        // has arrived in the cache: marking is pointer chasing, and the
        // misses then overlap instead of coming one after another.
        prefetch(h.as_ptr());
        let i = self.ahead_at;
        let old = std::mem::replace(&mut self.ahead[i], h.as_ptr());
        self.ahead_at = (i + 1) % MARK_AHEAD;
        if let Some(o) = NonNull::new(old) {
            self.mark_now(o);
        }
    }

    /// Mark an object: set its bit and queue it for traversal.
    #[inline]
    fn mark_now(&mut self, h: NonNull<GcHeader>) {
        // SAFETY: `h` is a live object reachable from a root.
        unsafe {
            let p = h.as_ptr();
            if (*p).marked != 0 {
                return;
            }
            (*p).marked = 1;
            match (*p).kind {
                GcKind::Str => {}
                GcKind::Table => {
                    // Its array part is read when it is traversed.
                    prefetch((*(p as *const Table)).arr);
                    self.gray.push(h);
                }
                _ => self.gray.push(h),
            }
        }
    }

    /// Mark every object still in the look-ahead ring; false if it was
    /// empty.
    fn drain_ahead(&mut self) -> bool {
        let mut any = false;
        for i in 0..MARK_AHEAD {
            if let Some(o) =
                NonNull::new(std::mem::replace(&mut self.ahead[i], std::ptr::null_mut()))
            {
                self.mark_now(o);
                any = true;
            }
        }
        any
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
        loop {
            while let Some(h) = self.gray.pop() {
                // SAFETY: gray objects are live and of the kind their header says.
                unsafe { self.traverse(h) };
            }
            if !self.drain_ahead() {
                break;
            }
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
                table::hash_part(t).traverse(|k, v| {
                    if !wk || k.is_str() {
                        self.mark_value(k);
                    }
                    if !wv || v.is_str() {
                        self.mark_value(v);
                    }
                });
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
        self.step_done = self.step_work > 0;
        self.step_work = 0;
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
                    table::set_zero(t, Value::NIL);
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
            .retain(|s| unsafe { (*s.as_ptr()).hdr.marked != 0 });
        self.bytes1 = [None; 256];
        self.sweep();
        self.allocated += self.external;
        self.live = self.allocated;
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
        // SAFETY: entries are live until the sweep below frees them; marks
        // are read before freeing.
        self.udata
            .retain(|u| unsafe { (*(u.as_ptr() as *mut GcHeader)).marked != 0 });
        // The survivors' sizes, measured now, replace the running count:
        // allocation accounting between collections is approximate
        // (buffers grow and shrink), and subtracting the sizes of freed
        // objects from it drifted towards zero, which made every
        // collection come after only the minimum threshold.
        let mut live = 0usize;
        let mut prev: *mut *mut GcHeader = &mut self.large;
        // SAFETY: walks and unlinks the large-object list; each dead object
        // is freed exactly once after being unlinked.
        unsafe {
            while let Some(o) = NonNull::new(*prev) {
                let op = o.as_ptr();
                if (*op).marked != 0 {
                    (*op).marked = 0;
                    live += object_size(o);
                    prev = &mut (*op).next;
                } else {
                    *prev = (*op).next;
                    let size = alloc_size(o);
                    finalize(o, &mut self.bufs);
                    self.bufs.sys.free_large(op as *mut u8, large_layout(size));
                }
            }
        }
        live += self.sweep_cells();
        self.bufs.pool.trim(self.pause, &mut self.bufs.sys);
        // Table buffers are counted by the pool (the sweep does not read
        // them for every live table).
        self.allocated = live + self.bufs.in_use();
    }

    /// Sweep the object chunks, class by class and chunk by chunk in
    /// address order (a linear walk, where a list of all objects would
    /// visit them in allocation order all over memory): unmark the live,
    /// finalise the dead, thread every free cell onto the class's new free
    /// list, and unmap the empty chunks the class does not keep
    /// (`keep_free`). Returns the live objects' bytes.
    fn sweep_cells(&mut self) -> usize {
        let mut live_bytes = 0usize;
        // Per chunk: its free cells' list (head, tail) and its cells
        // handed out.
        let mut lists: Vec<(*mut FreeCell, *mut FreeCell, usize)> = Vec::new();
        let pause = self.pause;
        for c in 0..NCLASSES {
            let (size, n) = (class_size(c), cells_per_chunk(c));
            let cl = &mut self.objs.classes[c];
            if cl.chunks.is_empty() {
                continue;
            }
            lists.clear();
            let (mut live_cells, mut free_in_used) = (0usize, 0usize);
            for &ch in &cl.chunks {
                let (mut head, mut tail) = (std::ptr::null_mut(), std::ptr::null_mut::<FreeCell>());
                let mut clive = 0usize;
                let used = cl.bump.used(ch, size, n);
                // SAFETY: the chunk holds `n` cells of `size` bytes after
                // its header, each a live object (marked or not) or a
                // free cell (`CELL_FREE`); a dead object is finalised
                // once, then becomes a free cell.
                unsafe {
                    let base = (ch.as_ptr() as *mut u8).add(CHUNK_HDR);
                    for i in 0..used {
                        let h = base.add(i * size) as *mut GcHeader;
                        prefetch(base.wrapping_add((i + SWEEP_AHEAD) * size));
                        let m = (*h).marked;
                        if m == 1 {
                            (*h).marked = 0;
                            clive += 1;
                            live_bytes += object_size(NonNull::new_unchecked(h));
                            continue;
                        }
                        if m == 0 {
                            finalize(NonNull::new_unchecked(h), &mut self.bufs);
                            (*h).marked = CELL_FREE;
                        }
                        let f = h as *mut FreeCell;
                        (*f).next = std::ptr::null_mut();
                        if tail.is_null() {
                            head = f;
                        } else {
                            (*tail).next = f;
                        }
                        tail = f;
                    }
                    (*ch.as_ptr()).live = clive;
                }
                live_cells += clive;
                if clive > 0 || ch.as_ptr() == cl.bump.chunk {
                    free_in_used += used - clive;
                }
                lists.push((head, tail, used));
            }
            free_in_used += cl.bump.left(size);
            let mut bump_chunk = cl.bump.chunk;
            // SAFETY: the bump chunk is one of the class's chunks.
            if !bump_chunk.is_null() && unsafe { (*bump_chunk).borrowed } {
                // An empty borrowed chunk goes back at once (`Sys`).
                bump_chunk = std::ptr::null_mut();
            }
            // Empty chunks stay while the class's free cells are within
            // `keep_free`; the rest are unmapped.
            let mut budget = keep_free(live_cells, n, pause).saturating_sub(free_in_used);
            let (mut head, mut tail) = (std::ptr::null_mut(), std::ptr::null_mut::<FreeCell>());
            let (mut nfree, mut released, mut i) = (0usize, 0usize, 0usize);
            let sys = &mut self.bufs.sys;
            cl.chunks.retain(|&ch| {
                let (h, t, used) = lists[i];
                i += 1;
                // SAFETY: our chunk; an unmapped one held only free cells,
                // none of which is on a list (and is not the bump chunk).
                unsafe {
                    let clive = (*ch.as_ptr()).live;
                    if clive == 0 && ch.as_ptr() != bump_chunk {
                        if budget >= n && !(*ch.as_ptr()).borrowed {
                            budget -= n;
                        } else {
                            if ch.as_ptr() == cl.bump.chunk {
                                cl.bump = Bump::NONE;
                            }
                            unmap_chunk(sys, ch);
                            released += 1;
                            return false;
                        }
                    }
                    if !h.is_null() {
                        if tail.is_null() {
                            head = h;
                        } else {
                            (*tail).next = h;
                        }
                        tail = t;
                        nfree += used - clive;
                    }
                }
                true
            });
            cl.free = head;
            cl.nfree = nfree;
            self.objs.chunks -= released;
        }
        live_bytes
    }

    /// Chunks mapped by the object and buffer pools (for tests and
    /// statistics).
    pub fn chunk_count(&self) -> (usize, usize) {
        (self.objs.chunks, self.bufs.pool.chunks)
    }
}

/// Bytes owned by an object (what allocating it counted), except a
/// table's buffers, which `Bufs` counts.
///
/// # Safety
/// `o` must be a live object.
unsafe fn object_size(o: NonNull<GcHeader>) -> usize {
    let p = o.as_ptr();
    let own = alloc_bytes(alloc_size(o));
    own + match (*p).kind {
        GcKind::Str | GcKind::Udata | GcKind::Cdata | GcKind::Upval | GcKind::Table => 0,
        GcKind::Func => {
            let f = &*(p as *const Func);
            f.cupvals.len() * 8
        }
        GcKind::Proto => {
            let pr = &*(p as *const Proto);
            pr.code.len() * 8 + pr.k.len() * 8
        }
        GcKind::Thread => {
            let th = &*(p as *const Thread);
            th.stack.capacity() * 8
                + th.frames.capacity() * std::mem::size_of::<crate::object::Frame>()
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
        table::set_int(&mut h, root, 1, Value::from_table(keep)).unwrap();
        let _garbage = h.new_table(0, 0);
        // A weak-valued table holding a dead table and a live one.
        let weak = h.new_table(0, 0);
        let mt = h.new_table(0, 0);
        let mode = h.intern_value(b"__mode");
        let v = h.intern_value(b"v");
        table::set(&mut h, mt, mode, v).unwrap();
        table::set_meta(weak, Some(mt));
        let dead = h.new_table(0, 0);
        table::set_int(&mut h, weak, 1, Value::from_table(keep)).unwrap();
        table::set_int(&mut h, weak, 2, Value::from_table(dead)).unwrap();
        table::set_int(&mut h, root, 2, Value::from_table(weak)).unwrap();
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
            table::set_int(&mut h, root, i, Value::num(i as f64)).unwrap();
        }
        // Garbage whose sizes were never accounted at allocation (a
        // buffer that grew): freeing it must not pull the count below
        // what is still live.
        for _ in 0..100 {
            let g = h.new_table(0, 0);
            for i in 1..=100 {
                table::set_int(&mut h, g, i, Value::num(1.0)).unwrap();
            }
        }
        h.collect(|h| h.mark_value(Value::from_table(root)));
        let live = std::mem::size_of::<Table>() + table::size_bytes(root);
        assert!(h.allocated >= live, "{} < {}", h.allocated, live);
        assert!(h.threshold >= 2 * live);
    }

    #[test]
    fn empty_chunks_go_back_to_the_system() {
        let mut h = Heap::new();
        let root = h.new_table(0, 0);
        let (o0, b0) = h.chunk_count();
        let before = h.allocated;
        for _ in 0..100_000 {
            let t = h.new_table(2, 0);
            let s = h.intern_value(b"x");
            table::set_int(&mut h, t, 1, s).unwrap();
        }
        let (o1, b1) = h.chunk_count();
        // 100000 tables of 128 bytes, arrays of 16.
        assert!(o1 >= o0 + 90 && b1 >= b0 + 10, "{o0} {b0} -> {o1} {b1}");
        assert!(h.allocated >= before + 100_000 * 144);
        h.collect(|h| h.mark_value(Value::from_table(root)));
        let (o2, b2) = h.chunk_count();
        assert!(o2 <= o0 + 2 && b2 <= b0 + 2, "{o1} {b1} -> {o2} {b2}");
        assert!(h.allocated < before + 4096, "{} {}", before, h.allocated);
        // Swept cells are reused: as many tables again map few chunks.
        for _ in 0..1000 {
            h.new_table(2, 0);
        }
        let (o3, b3) = h.chunk_count();
        assert!(o3 <= o2 + 1 && b3 <= b2 + 1, "{o2} {b2} -> {o3} {b3}");
        // A live table keeps its contents through collections that free
        // everything around it.
        let keep = h.new_table(0, 0);
        for i in 1..=100 {
            table::set_int(&mut h, keep, i, Value::num(i as f64)).unwrap();
        }
        let k = h.intern_value(b"key");
        table::set(&mut h, keep, k, Value::TRUE).unwrap();
        table::set_int(&mut h, root, 1, Value::from_table(keep)).unwrap();
        for _ in 0..3 {
            for _ in 0..10_000 {
                h.new_table(3, 3);
            }
            h.collect(|h| h.mark_value(Value::from_table(root)));
        }
        assert_eq!(table::length(keep), 100);
        assert_eq!(table::get_int(keep, 77).as_num(), Some(77.0));
        assert_eq!(table::get(keep, k).bits(), Value::TRUE.bits());
    }

    #[test]
    fn small_hash_parts_switch_to_an_index() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let keys: Vec<Value> = (0..40)
            .map(|i| h.intern_value(format!("k{i}").as_bytes()))
            .collect();
        for (i, &k) in keys.iter().enumerate() {
            table::set(&mut h, t, k, Value::num(i as f64)).unwrap();
            for (j, &k2) in keys.iter().enumerate().take(i + 1) {
                assert_eq!(table::get(t, k2).as_num(), Some(j as f64));
            }
            if i + 1 < keys.len() {
                assert!(table::get(t, keys[i + 1]).is_nil());
            }
        }
        // Delete most, then insert again: compaction back below the index
        // threshold keeps every remaining key findable.
        for &k in &keys[..36] {
            table::set(&mut h, t, k, Value::NIL).unwrap();
        }
        let extra: Vec<Value> = (0..20)
            .map(|i| h.intern_value(format!("e{i}").as_bytes()))
            .collect();
        for (i, &k) in extra.iter().enumerate() {
            table::set(&mut h, t, k, Value::num(100.0 + i as f64)).unwrap();
        }
        for (j, &k) in keys.iter().enumerate() {
            let v = table::get(t, k);
            if j < 36 {
                assert!(v.is_nil());
            } else {
                assert_eq!(v.as_num(), Some(j as f64));
            }
        }
        for (i, &k) in extra.iter().enumerate() {
            assert_eq!(table::get(t, k).as_num(), Some(100.0 + i as f64));
        }
    }

    #[test]
    fn finalizer_scheduled_once() {
        let mut h = Heap::new();
        let mt = h.new_table(0, 0);
        let gc = h.intern_value(b"__gc");
        table::set(&mut h, mt, gc, Value::TRUE).unwrap();
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
