//! Heap object layouts (ARCHITECTURE.md: Invariants): `#[repr(C)]` structs with a common
//! header so generated code can read fields at fixed offsets, exported below
//! as `*_OFS` constants. Objects are allocated and freed only by `gc`; a
//! reachable object is never moved or freed, which is what makes the
//! pointer accessors here sound.

use crate::table::HashPart;
use crate::value::Value;
use std::mem::offset_of;
use std::ptr::NonNull;

/// Kind of a heap object, stored in its header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum GcKind {
    Str,
    Table,
    Func,
    Upval,
    Proto,
    Thread,
    Udata,
    Cdata,
}

/// Common header of every heap object.
#[repr(C)]
pub struct GcHeader {
    /// Next object in the heap's list of all objects.
    pub next: *mut GcHeader,
    pub kind: GcKind,
    /// Mark bit for the collector.
    pub marked: u8,
    /// Per-kind flags (see `FUNC_*`, `STR_*`).
    pub flags: u8,
    pub _pad: u8,
    /// A per-kind word kept in the header's spare room: a table's array
    /// capacity (`Table::acap`), so everything a table's traversal and
    /// freeing read fits in its first cache line.
    pub aux: u32,
}

impl GcHeader {
    pub fn new(kind: GcKind) -> GcHeader {
        GcHeader {
            next: std::ptr::null_mut(),
            kind,
            marked: 0,
            flags: 0,
            _pad: 0,
            aux: 0,
        }
    }
}

/// An interned, immutable byte string. The bytes follow the struct, with a
/// trailing NUL for the C API.
#[repr(C)]
pub struct Str {
    pub hdr: GcHeader,
    pub hash: u32,
    /// Non-zero for strings that are reserved words (index+1), set by the lexer.
    pub reserved: u32,
    pub len: usize,
}

impl Str {
    /// The bytes of a string object.
    #[inline(always)]
    pub fn bytes<'a>(p: NonNull<Str>) -> &'a [u8] {
        // SAFETY: `p` is a live string (non-moving GC); its `len` bytes were
        // written right after the header at allocation and never change.
        unsafe {
            let s = p.as_ptr();
            std::slice::from_raw_parts((s as *const u8).add(std::mem::size_of::<Str>()), (*s).len)
        }
    }
    #[inline(always)]
    pub fn hash_of(p: NonNull<Str>) -> u32 {
        // SAFETY: live string object.
        unsafe { (*p.as_ptr()).hash }
    }
}

/// Bytes of a string value; empty for non-strings.
#[inline(always)]
pub fn str_bytes<'a>(v: Value) -> &'a [u8] {
    match v.as_str_ptr() {
        Some(p) => Str::bytes(p),
        None => &[],
    }
}

/// Negative metamethod cache bits (`Table::nomm`): a bit set means the
/// metamethod is known to be absent from this (meta)table.
pub type NoMM = u16;

/// A Lua table: array part for keys 1..=alen, a slot for key 0, hash part
/// for the rest.
///
/// Field order: what the collector's traversal and most lookups read
/// (header with the array capacity, `alen`, `arr`, `meta`, `zero`, the
/// hash part's buffer, length and capacity) is in the first 64 bytes, one
/// cache line (a table's cell is 128 bytes, 64-aligned); the hash index
/// comes after.
#[repr(C)]
pub struct Table {
    pub hdr: GcHeader,
    /// Negative metamethod cache, reset on any store of a string key.
    pub nomm: NoMM,
    pub _pad: u16,
    /// Number of array slots (keys 1..=alen), each present (maybe nil).
    pub alen: u32,
    /// Key 1's slot: `arr[i - 1]` holds key `i` for `0 <= i <= alen`.
    /// Never null: with an array buffer (`acap > 0`), the buffer's first
    /// slot holds key 0 and `arr` points at its second (`acap` slots
    /// follow); without one, `arr` points just past `zero`, which then
    /// holds key 0. So one address formula serves keys 0..=alen, as in
    /// LuaJIT's 0-based array part (the JIT's `AREF`).
    pub arr: *mut Value,
    pub meta: *mut Table,
    /// Key 0's slot while there is no array buffer (nil: absent; with a
    /// buffer, key 0 lives in its first slot and this stays nil; read it
    /// with `table::zero`). 0-based arrays are common; like LuaJIT's slot
    /// 0 of the array part, key 0 never lives in the hash part.
    pub zero: Value,
    pub hash: HashPart,
    /// Unused: pads the table to its 128-byte cell.
    pub _spare: [u64; 3],
}

impl Table {
    /// Slots of the array part's buffer (kept in `hdr.aux`).
    #[inline(always)]
    pub fn acap(&self) -> usize {
        self.hdr.aux as usize
    }
}

pub const TABLE_ARR_OFS: usize = offset_of!(Table, arr);
pub const TABLE_ALEN_OFS: usize = offset_of!(Table, alen);
/// The array buffer's capacity (`Table::acap`, the header's `aux`).
pub const TABLE_ACAP_OFS: usize = offset_of!(Table, hdr) + offset_of!(GcHeader, aux);
pub const TABLE_META_OFS: usize = offset_of!(Table, meta);
pub const TABLE_HASH_OFS: usize = offset_of!(Table, hash);
pub const TABLE_NOMM_OFS: usize = offset_of!(Table, nomm);
const _: () = assert!(TABLE_HASH_OFS + crate::table::HASH_ECAP_OFS + 4 <= 64);
const _: () = assert!(std::mem::size_of::<Table>() == 128);

/// Signature of a function implemented in Rust. Arguments are the stack
/// slots of the current native frame (see `Vm::arg`); the function pushes its
/// results and returns how many it pushed.
pub type NativeFn = fn(&mut crate::state::Vm) -> Result<usize, crate::error::LuaError>;

/// Builtins the interpreter treats specially (stored in `GcHeader::flags`
/// of native functions).
pub use crate::fastfunc::ffid;

/// A function: a Lua closure (`proto` non-null) or a native function.
#[repr(C)]
pub struct Func {
    pub hdr: GcHeader,
    pub proto: *mut Proto,
    pub env: *mut Table,
    pub native: Option<NativeFn>,
    /// Name used in "bad argument" messages for natives.
    pub name: &'static str,
    /// Upvalues of a Lua closure, stored inline after the `Func` in the
    /// same heap cell (`Heap::new_func`).
    pub upvals: UpvalList,
    /// Upvalues of a native closure.
    pub cupvals: Box<[Value]>,
}

/// A Lua closure's upvalue pointers: a slice view of the array stored
/// right after its `Func` in the same allocation (so a closure is one
/// heap cell). Made only by `Heap::new_func`, which sets the pointer to
/// the closure's own trailing storage; `UpvalList::NONE` before that (and
/// for natives). It owns nothing: freeing the closure frees the array.
#[repr(C)]
pub struct UpvalList {
    ptr: NonNull<NonNull<Upval>>,
    len: usize,
}

impl UpvalList {
    /// No upvalues (the value a `Func` is built with).
    pub const NONE: UpvalList = UpvalList {
        ptr: NonNull::dangling(),
        len: 0,
    };

    /// A list of `len` upvalues at `ptr`.
    ///
    /// # Safety
    /// `ptr` must point at `len` initialised upvalue pointers that live as
    /// long as the list (the trailing storage of the closure holding it).
    pub unsafe fn from_raw(ptr: NonNull<NonNull<Upval>>, len: usize) -> UpvalList {
        UpvalList { ptr, len }
    }
}

impl std::ops::Deref for UpvalList {
    type Target = [NonNull<Upval>];
    fn deref(&self) -> &[NonNull<Upval>] {
        // SAFETY: `ptr` points at `len` initialised entries (`from_raw`'s
        // contract), or is dangling with `len` 0.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for UpvalList {
    fn deref_mut(&mut self) -> &mut [NonNull<Upval>] {
        // SAFETY: as `deref`; the entries belong to this closure, borrowed
        // mutably through it.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

pub const FUNC_PROTO_OFS: usize = offset_of!(Func, proto);
pub const FUNC_ENV_OFS: usize = offset_of!(Func, env);
/// Where a Lua closure's upvalue array pointer is (`UpvalList` is
/// `repr(C)`, its pointer first).
pub const FUNC_UPVALS_OFS: usize = offset_of!(Func, upvals);

/// An upvalue: open (pointing into a thread's stack) or closed (holding its
/// value in `closed`, with `v` pointing at it).
#[repr(C)]
pub struct Upval {
    pub hdr: GcHeader,
    pub v: *mut Value,
    pub closed: Value,
    /// Stack index while open; `usize::MAX` once closed.
    pub idx: usize,
}

pub const UPVAL_V_OFS: usize = offset_of!(Upval, v);
pub const UPVAL_IDX_OFS: usize = offset_of!(Upval, idx);
pub const STR_LEN_OFS: usize = offset_of!(Str, len);
/// Offset of a string's bytes (NUL-terminated) from its object.
pub const STR_DATA_OFS: usize = std::mem::size_of::<Str>();

/// How a closure captures an upvalue when created by FNEW.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UvDesc {
    /// The enclosing function's register.
    Local(u8),
    /// The enclosing function's upvalue.
    Upval(u16),
}

/// Debug info of a local variable: active from `startpc` up to (not
/// including) `endpc`. Locals are allocated in order, so the n-th active
/// local at a pc lives in register n.
#[derive(Clone, Debug)]
pub struct LocVar {
    pub name: Value,
    pub startpc: u32,
    pub endpc: u32,
}

/// A function prototype: bytecode, constants and debug info.
#[repr(C)]
pub struct Proto {
    pub hdr: GcHeader,
    pub code: Vec<u32>,
    /// Constants: strings, numbers and template tables (TDUP), indexed by
    /// the `str`/`num`/`tab` operands.
    pub k: Vec<Value>,
    /// Child prototypes, indexed by FNEW's D operand.
    pub protos: Vec<NonNull<Proto>>,
    pub uvdesc: Vec<UvDesc>,
    pub numparams: u8,
    pub is_vararg: bool,
    /// Registers used (the FUNCF/FUNCV header's A operand too).
    pub framesize: u8,
    /// Source line of each instruction.
    pub lineinfo: Vec<u32>,
    pub locvars: Vec<LocVar>,
    /// Upvalue names (string values), for error messages and the debug library.
    pub uvnames: Vec<Value>,
    /// Chunk name as given to `load` ("@file.lua", "=stdin", or the source).
    pub source: Value,
    pub linedefined: u32,
    pub lastlinedefined: u32,
    /// `jit.off(f)`: never start traces in this function.
    pub nojit: bool,
    /// Closures made of this prototype so far (saturating): the JIT
    /// specialises calls to a closure's identity only while it is one of
    /// few (`POLY_CLOSURES`), else to the prototype.
    pub nclosures: u32,
    /// Bit i: upvalue i is immutable, a local never assigned after its
    /// declaration, in any function (LuaJIT's `PROTO_UV_IMMUTABLE`): a
    /// closure's upvalue keeps the value it has once the closure can run,
    /// so the JIT may read it as a constant. Set by the parser when the
    /// enclosing functions are complete (`parse::set_immutable_upvalues`);
    /// none for loaded binary chunks.
    pub uvimm: std::cell::Cell<u64>,
}

/// Closures of one prototype past which calls to them are specialised to
/// the prototype instead of the closure (LuaJIT's `PROTO_CLC_POLY`).
pub const POLY_CLOSURES: u32 = 3;

/// The name that marks natives made from C functions (`lua_pushcclosure`:
/// the C API's trampoline closure), which the JIT tells apart by it.
pub const CFUNC_NAME: &str = "lua_CFunction";

/// A full userdata; the payload (`len` bytes, 16-byte aligned) follows.
#[repr(C)]
pub struct Udata {
    pub hdr: GcHeader,
    pub meta: *mut Table,
    pub env: *mut Table,
    pub len: usize,
}

impl Udata {
    /// Address of the payload.
    pub fn payload(p: NonNull<Udata>) -> *mut u8 {
        // SAFETY: payload allocated right after the (16-aligned) header.
        unsafe { (p.as_ptr() as *mut u8).add(UDATA_HEADER_SIZE) }
    }
}

/// Size of the userdata header rounded up so the payload is 16-aligned.
/// Where a userdata's metatable pointer lives (traces read it: `UMETA`).
pub const UDATA_META_OFS: usize = offset_of!(Udata, meta);
pub const UDATA_HEADER_SIZE: usize = (std::mem::size_of::<Udata>() + 15) & !15;

/// A C data object of the FFI (`type()` is `"cdata"`): a C type id of the
/// FFI's type table and `len` payload bytes (16-byte aligned) after the
/// header. `fin` is the finaliser set by `ffi.gc` (nil if none).
#[repr(C)]
pub struct Cdata {
    pub hdr: GcHeader,
    pub ctype: u32,
    pub _pad: u32,
    pub len: usize,
    pub fin: Value,
}

impl Cdata {
    /// Address of the payload.
    pub fn payload(p: NonNull<Cdata>) -> *mut u8 {
        // SAFETY: payload allocated right after the (16-aligned) header.
        unsafe { (p.as_ptr() as *mut u8).add(CDATA_HEADER_SIZE) }
    }
    /// The C type id.
    pub fn ctype(p: NonNull<Cdata>) -> u32 {
        // SAFETY: live cdata object.
        unsafe { (*p.as_ptr()).ctype }
    }
}

/// Size of the cdata header rounded up so the payload is 16-aligned; the
/// payload's offset from the object pointer.
pub const CDATA_HEADER_SIZE: usize = (std::mem::size_of::<Cdata>() + 15) & !15;
/// The FFI's type ids of `int64_t` and `uint64_t` (for `LL`/`ULL`
/// literals, made by the parser; the FFI checks they agree).
pub const CT_INT64: u32 = 11;
pub const CT_UINT64: u32 = 12;
/// The FFI's type id of `complex` (double), for imaginary literals (`2i`).
pub const CT_COMPLEX: u32 = 16;
pub const CDATA_CTYPE_OFS: usize = offset_of!(Cdata, ctype);

/// Coroutine status.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CoStatus {
    /// Created or yielded: can be resumed.
    Suspended,
    Running,
    /// Resumed another coroutine.
    Normal,
    Dead,
}

/// What kind of frame a `Frame` is.
///
/// `#[repr(u8)]`: its first byte is the variant's tag (declaration order,
/// `Lua` = [`FRAME_KIND_LUA`]), which generated code reads and writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    Lua,
    Native,
    /// A Lua frame called by `pcall`: on return it prepends `true`, and errors
    /// unwind to it.
    Pcall,
    /// As `Pcall`, with the message handler in the slot below the function.
    Xpcall,
    /// A Lua `__lt`/`__le` metamethod called by ISLT..ISGT: when it
    /// returns, the caller's JMP (after the comparison) is taken if the
    /// result's truthiness equals `jump_if`, else skipped.
    Compare {
        jump_if: bool,
    },
}

/// One activation record of a thread. (Aligned to 16: 32 bytes, so
/// generated code indexes frames with a shift.) `#[repr(C)]`, in an order
/// generated code relies on: `func`/`base`, `ret`/`pc` and
/// `nvarargs`/`nresults`/`kind` are 8-byte words a trace stores whole
/// when it pushes frames, and `link` is what its guarded returns compare.
#[derive(Copy, Clone, Debug)]
#[repr(C, align(16))]
pub struct Frame {
    /// Stack index of the called function.
    pub func: u32,
    /// Stack index of register 0 (parameters; above the varargs if any).
    pub base: u32,
    /// Slot where results go (func, or the pcall's own slot).
    pub ret: u32,
    /// Next instruction to execute (saved while this frame is not on top).
    pub pc: u32,
    /// Number of extra arguments (varargs) stored below `base`.
    pub nvarargs: u32,
    /// Results wanted by the caller (-1: all).
    pub nresults: i16,
    pub kind: FrameKind,
    /// For a Lua frame pushed by a call instruction (CALL, CALLM, ITERC)
    /// of a Lua function: the address of the instruction its caller
    /// continues at (`call_link`: unique to the caller's prototype and pc
    /// while the prototype lives), which fixes the call's function slot,
    /// result slot and count. 0 for any other frame (natives, `pcall`,
    /// metamethods, calls from natives). A tail call keeps it. A trace's
    /// guarded return (RETG) compares it instead of the frame's fields.
    pub link: u64,
}

/// `Frame::link` of a frame called by the instruction before `pc` of
/// prototype `p`.
pub fn call_link(p: &Proto, pc: u32) -> u64 {
    p.code.as_ptr() as u64 + pc as u64 * 4
}

impl Frame {
    /// The frame of a native called at stack slot `func` (its arguments
    /// above it), wanting `nresults` (used when it yields: the resume
    /// delivers them), results to `ret`.
    pub fn native(func: usize, nresults: i32, kind: FrameKind, ret: usize) -> Frame {
        Frame {
            func: func as u32,
            base: func as u32 + 1,
            pc: 0,
            nresults: nresults as i16,
            nvarargs: 0,
            kind,
            ret: ret as u32,
            link: 0,
        }
    }

    /// The frame of a Lua function called at stack slot `func`, its
    /// registers from `base` (above `nvarargs` extra arguments), wanting
    /// `nresults` results at `ret`; `link` as the field says.
    pub fn lua(
        func: usize,
        base: usize,
        nvarargs: usize,
        nresults: i32,
        kind: FrameKind,
        ret: usize,
        link: u64,
    ) -> Frame {
        Frame {
            func: func as u32,
            base: base as u32,
            pc: 0,
            nresults: nresults as i16,
            nvarargs: nvarargs as u32,
            kind,
            ret: ret as u32,
            link,
        }
    }
}

/// The tag byte of `FrameKind::Lua` (first variant of a `#[repr(u8)]` enum).
pub const FRAME_KIND_LUA: u8 = 0;
pub const FRAME_SIZE: usize = std::mem::size_of::<Frame>();
pub const FRAME_FUNC_OFS: usize = offset_of!(Frame, func);
pub const FRAME_BASE_OFS: usize = offset_of!(Frame, base);
pub const FRAME_PC_OFS: usize = offset_of!(Frame, pc);
pub const FRAME_NRESULTS_OFS: usize = offset_of!(Frame, nresults);
pub const FRAME_NVARARGS_OFS: usize = offset_of!(Frame, nvarargs);
pub const FRAME_KIND_OFS: usize = offset_of!(Frame, kind);
pub const FRAME_RET_OFS: usize = offset_of!(Frame, ret);
pub const FRAME_LINK_OFS: usize = offset_of!(Frame, link);
const _: () = {
    // The words generated code reads and writes whole.
    assert!(FRAME_FUNC_OFS == 0 && FRAME_BASE_OFS == 4);
    assert!(FRAME_RET_OFS == 8 && FRAME_PC_OFS == 12);
    assert!(FRAME_NVARARGS_OFS == 16 && FRAME_NRESULTS_OFS == 20 && FRAME_KIND_OFS == 22);
    assert!(FRAME_LINK_OFS == 24 && FRAME_SIZE == 32);
    assert!(std::mem::size_of::<FrameKind>() == 2);
};

/// A thread's frame stack: a growable array of `Frame`s in a layout the VM
/// controls (`Vec`'s is not stable), so generated code can push and pop
/// frames inline (`FRAMES_*_OFS`): it may store initialised frames at
/// `ptr[len..cap]` and change `len` within `0..=cap`; growing (a new
/// buffer) happens only here. `ptr`/`len`/`cap` always describe a buffer
/// allocated by a `Vec<Frame>` of capacity `cap` whose first `len`
/// elements are initialised (`Frame` is `Copy`: nothing to drop).
#[repr(C)]
pub struct FrameStack {
    ptr: NonNull<Frame>,
    len: usize,
    cap: usize,
}

impl FrameStack {
    pub fn with_capacity(n: usize) -> FrameStack {
        FrameStack::from(Vec::with_capacity(n))
    }

    /// (Inlined: every call and coroutine switch pushes a frame; growing
    /// is the cold path.)
    #[inline]
    pub fn push(&mut self, f: Frame) {
        if self.len == self.cap {
            self.grow();
        }
        // SAFETY: `len < cap`: slot `len` is inside the buffer.
        unsafe { self.ptr.as_ptr().add(self.len).write(f) };
        self.len += 1;
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        // SAFETY: the fields describe a `Vec<Frame>` buffer (type
        // invariant), owned by `self`; the `ManuallyDrop` keeps it from
        // being freed twice, and the fields are updated from it after
        // the push (a panicking push leaves the old buffer in place).
        let mut v = std::mem::ManuallyDrop::new(unsafe {
            Vec::from_raw_parts(self.ptr.as_ptr(), self.len, self.cap)
        });
        v.reserve(1);
        // (Non-null: a `Vec`'s pointer never is.)
        self.ptr = NonNull::new(v.as_mut_ptr()).expect("Vec pointer");
        self.cap = v.capacity();
    }

    /// Whether the next push grows the buffer.
    #[inline(always)]
    pub fn is_full(&self) -> bool {
        self.len == self.cap
    }

    /// Frames the buffer holds without growing.
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Grow the buffer for at least one more frame where growth may fail
    /// (calls): the bytes it grew by, or `None` with the buffer as it was
    /// when the allocator refuses.
    #[cold]
    pub fn try_grow(&mut self) -> Option<usize> {
        // SAFETY: as in `grow`; a failed `try_reserve` leaves the buffer
        // as it was (the fields still describe it).
        let mut v = std::mem::ManuallyDrop::new(unsafe {
            Vec::from_raw_parts(self.ptr.as_ptr(), self.len, self.cap)
        });
        let old = self.cap;
        let r = v.try_reserve(1);
        self.ptr = NonNull::new(v.as_mut_ptr()).expect("Vec pointer");
        self.cap = v.capacity();
        r.ok()?;
        Some((self.cap - old) * std::mem::size_of::<Frame>())
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Frame> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: slot `len` (the old last one) is initialised.
        Some(unsafe { self.ptr.as_ptr().add(self.len).read() })
    }

    #[inline]
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl From<Vec<Frame>> for FrameStack {
    fn from(v: Vec<Frame>) -> FrameStack {
        let mut v = std::mem::ManuallyDrop::new(v);
        FrameStack {
            ptr: NonNull::new(v.as_mut_ptr()).expect("Vec pointer"),
            len: v.len(),
            cap: v.capacity(),
        }
    }
}

impl Drop for FrameStack {
    fn drop(&mut self) {
        // SAFETY: the buffer came from a `Vec<Frame>` of capacity `cap`
        // (type invariant); it is freed once, here.
        drop(unsafe { Vec::from_raw_parts(self.ptr.as_ptr(), 0, self.cap) });
    }
}

impl Clone for FrameStack {
    fn clone(&self) -> FrameStack {
        FrameStack::from(self.to_vec())
    }
}

impl std::fmt::Debug for FrameStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::ops::Deref for FrameStack {
    type Target = [Frame];
    #[inline]
    fn deref(&self) -> &[Frame] {
        // SAFETY: the first `len` frames are initialised (type invariant).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for FrameStack {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Frame] {
        // SAFETY: as `deref`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// A coroutine (or the main thread): its own stack and frames.
#[repr(C)]
pub struct Thread {
    pub hdr: GcHeader,
    pub stack: Vec<Value>,
    /// First free slot.
    pub top: usize,
    pub frames: FrameStack,
    /// Open upvalues, sorted by stack index, ascending.
    pub open_upvals: Vec<NonNull<Upval>>,
    pub status: CoStatus,
    /// Globals table of the thread (`getfenv(0)`).
    pub env: *mut Table,
    /// Number of Rust-level nested calls in this thread (natives calling Lua).
    pub nccalls: u32,
    /// Where a yielded CALL instruction wants its results.
    pub resume_frames_base: usize,
    /// Mirrors for generated code (`THREAD_STACK_*_OFS`): the stack's
    /// buffer and its end (`stack.as_mut_ptr_range()`, set by `new` and
    /// `sync_stack` after every resize: only `state::grow_stack`).
    pub stack_ptr: *mut Value,
    pub stack_end: *mut Value,
    /// The stack index of the highest open upvalue plus 1 (0: none); set
    /// by `sync_upvals` after every change of `open_upvals`.
    pub upval_hi: usize,
}

pub const THREAD_FRAMES_PTR_OFS: usize = offset_of!(Thread, frames) + offset_of!(FrameStack, ptr);
pub const THREAD_FRAMES_LEN_OFS: usize = offset_of!(Thread, frames) + offset_of!(FrameStack, len);
pub const THREAD_FRAMES_CAP_OFS: usize = offset_of!(Thread, frames) + offset_of!(FrameStack, cap);
pub const THREAD_STACK_PTR_OFS: usize = offset_of!(Thread, stack_ptr);
pub const THREAD_STACK_END_OFS: usize = offset_of!(Thread, stack_end);
pub const THREAD_UPVAL_HI_OFS: usize = offset_of!(Thread, upval_hi);

impl Thread {
    /// A thread with no frames nor open upvalues.
    pub fn new(
        stack: Vec<Value>,
        top: usize,
        frames_cap: usize,
        status: CoStatus,
        env: *mut Table,
    ) -> Thread {
        let mut th = Thread {
            hdr: GcHeader::new(GcKind::Thread),
            stack,
            top,
            frames: FrameStack::with_capacity(frames_cap),
            open_upvals: Vec::new(),
            status,
            env,
            nccalls: 0,
            resume_frames_base: 0,
            stack_ptr: std::ptr::null_mut(),
            stack_end: std::ptr::null_mut(),
            upval_hi: 0,
        };
        th.sync_stack();
        th
    }

    /// Refresh the stack mirrors (after the stack was resized).
    pub fn sync_stack(&mut self) {
        let r = self.stack.as_mut_ptr_range();
        (self.stack_ptr, self.stack_end) = (r.start, r.end);
    }

    /// Refresh `upval_hi` (after `open_upvals` changed).
    pub fn sync_upvals(&mut self) {
        // SAFETY: open upvalues are live objects.
        self.upval_hi = self
            .open_upvals
            .last()
            .map_or(0, |u| unsafe { (*u.as_ptr()).idx } + 1);
    }
}
