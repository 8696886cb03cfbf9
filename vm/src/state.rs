//! `Vm`: the global state (heap, registry, globals, type metatables, the
//! running thread) and the API native functions are written against:
//! argument access and checking, pushing results, raising errors, calling
//! back into Lua and metamethod-aware indexing.
//!
//! Native calling convention: a native runs in its own frame whose
//! arguments are the stack slots `base..top` of the current thread. It reads
//! them with `arg(i)` (1-based), pushes results with `push`, and returns how
//! many it pushed. Values a native needs to keep across a call back into Lua
//! must stay on its stack frame (the collector only sees stacks).

use crate::error::{LuaError, LuaResult, Status};
use crate::gc::Heap;
use crate::object::*;
use crate::table;
use crate::value::{LuaType, Value};
use std::ptr::NonNull;

/// Metamethod events, in the order of their names in `MM_NAMES`. The index
/// is also the bit in a table's negative metamethod cache.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MM {
    Index,
    NewIndex,
    Gc,
    Mode,
    Eq,
    Len,
    Lt,
    Le,
    Concat,
    Call,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Metatable,
    ToString,
}

pub const MM_NAMES: &[&str] = &[
    "__index",
    "__newindex",
    "__gc",
    "__mode",
    "__eq",
    "__len",
    "__lt",
    "__le",
    "__concat",
    "__call",
    "__add",
    "__sub",
    "__mul",
    "__div",
    "__mod",
    "__pow",
    "__unm",
    "__metatable",
    "__tostring",
];

/// Size of the hot counter table (ARCHITECTURE.md: The JIT).
/// Offset of `Vm::reentered`, read by compiled code after C calls.
pub const VM_REENTERED_OFS: usize = std::mem::offset_of!(Vm, reentered);
/// The running thread (`Vm::cur`), for inline frame pushes/pops.
pub const VM_CUR_OFS: usize = std::mem::offset_of!(Vm, cur);
pub const VM_JIT_MAX_SLOTS_OFS: usize = std::mem::offset_of!(Vm, jit_max_slots);
/// Offsets of the heap's allocation count and collection threshold in a
/// `Vm` (compiled traces test `allocated < threshold` inline).
pub const VM_HEAP_ALLOCATED_OFS: usize =
    std::mem::offset_of!(Vm, heap) + std::mem::offset_of!(crate::gc::Heap, allocated);
pub const VM_HEAP_THRESHOLD_OFS: usize =
    std::mem::offset_of!(Vm, heap) + std::mem::offset_of!(crate::gc::Heap, threshold);
/// Offset of `Vm::hook_left`, the count hook's countdown, which compiled
/// traces count down at their back edges and links (the IR's `POLL`).
pub const VM_HOOK_LEFT_OFS: usize = std::mem::offset_of!(Vm, hook_left);

/// Hot counters: `HOTCOUNT_SIZE` for loops, as many for function
/// entries (`Vm::hotcount`).
pub const HOTCOUNT_SIZE: usize = 128;

/// Largest string-building buffer kept between calls (`Vm::give_buf`).
const STR_BUF_KEEP: usize = 64 * 1024;

/// The hot counter of the instruction at `ins` (hashed address), `entry`
/// when it is a function's header (FUNCF/FUNCV, pc 0). Function entries
/// count in their own half: a non-recursive function's entry never
/// starts a trace, and sharing a counter with a loop it is called from
/// (about once per iteration, or more) would keep that loop's count from
/// ever reaching zero at the loop.
#[inline(always)]
pub fn hotcount_slot(ins: *const u32, entry: bool) -> usize {
    let half = HOTCOUNT_SIZE / 2;
    (((ins as usize) >> 2) & (half - 1)) + if entry { half } else { 0 }
}

/// The hook the JIT installs into the interpreter (ARCHITECTURE.md: Crates: `vm` knows
/// nothing of the JIT crates).
pub trait JitHook {
    /// A loop or function entry at `pc` of `proto` became hot (the
    /// instruction has not run yet). May start a recording by setting
    /// `vm.recording`; the interpreter then re-executes that instruction in
    /// its hooked variant, calling `record` before each instruction.
    fn hot(&mut self, vm: &mut Vm, proto: NonNull<Proto>, pc: usize);
    /// Recording: called before the instruction at `pc` of the top frame
    /// (index `fi`) runs. Ends the recording by clearing `vm.recording`.
    fn record(&mut self, vm: &mut Vm, fi: usize, pc: usize);
    /// Run trace `id` (from a `J*` instruction) for frame `fi` whose
    /// register 0 is stack slot `base`. Returns the pc to continue at and
    /// whether the trace left this activation (returned from it, or exited
    /// in frames it rebuilt: `frames[fi]` may then be another call of the
    /// same function at the same base), or `None` when the trace cannot
    /// run here (the original instruction is then executed). A collection
    /// due when the trace exited has run.
    fn enter(&mut self, vm: &mut Vm, id: u32, fi: usize, base: usize) -> Option<(usize, bool)>;
    /// Abort an active recording (e.g. the C API was entered: "never
    /// record across a VM entrance"); the reason shows in `-jv`.
    fn abort_recording(&mut self, vm: &mut Vm, reason: &str);
    /// Downcasting (the `jit` library reaches the concrete JIT).
    fn as_any(&mut self) -> &mut dyn std::any::Any;
    /// Objects a recording in progress refers to (its closures and
    /// constants, rooted once the trace is installed): a collection while
    /// the interpreter runs the recorded code must keep them, or the trace
    /// would root (and run with) freed objects.
    fn gc_roots(&self, _out: &mut Vec<Value>) {}
}

/// Maximum depth of Rust-level nested calls ("C stack overflow").
pub const MAX_CCALLS: u32 = 200;
/// Maximum Lua stack size in slots ("stack overflow").
pub const MAX_STACK: usize = 1_000_000;
/// Free slots a native function may push without checking.
pub const MIN_STACK: usize = 20;

/// `Vm::cdata_index`: `cdata[key]` when the FFI does it directly.
pub type CdataIndex = fn(&mut Vm, Value, Value) -> Option<Value>;
/// `Vm::cdata_newindex`: `cdata[key] = value` when the FFI does it
/// directly (whether it stored).
pub type CdataNewIndex = fn(&mut Vm, Value, Value, Value) -> bool;
/// `Vm::cdata_arith`: a built-in arithmetic result with a cdata operand.
pub type CdataArith = fn(&mut Vm, MM, Value, Value) -> Option<Value>;
/// `Vm::cdata_compare`: a built-in comparison with a cdata operand.
pub type CdataCompare = fn(&mut Vm, MM, Value, Value) -> Option<bool>;

/// `Vm::cdata_arith_mm`: the metamethod for (event, operand, operand).
pub type CdataArithMm = fn(&mut Vm, MM, Value, Value) -> Value;

pub struct Vm {
    pub heap: Heap,
    pub main: NonNull<Thread>,
    /// The running thread.
    pub cur: NonNull<Thread>,
    pub registry: NonNull<Table>,
    pub globals: NonNull<Table>,
    /// Metatables of non-table types, indexed by value tag (strings etc.).
    pub type_meta: [*mut Table; 16],
    /// Interned metamethod names, indexed by `MM`.
    pub mm_names: Vec<Value>,
    /// `type()`'s result for each `LuaType` (by discriminant), interned
    /// once and kept alive.
    pub type_names: Vec<Value>,
    /// Hot counters (ARCHITECTURE.md: The JIT).
    pub hotcount: [u16; HOTCOUNT_SIZE],
    pub hotloop: u16,
    /// The string libraries' output buffer, kept between calls (small
    /// ones): `take_buf` / `intern_buf`.
    str_buf: Vec<u8>,
    /// Writes to locals or upvalues by the debug library or the C API
    /// (`debug.setlocal`, `debug.setupvalue`, `debug.upvaluejoin`,
    /// `lua_setlocal`, `lua_setupvalue`): they may change an immutable
    /// upvalue, which the JIT reads as a constant (`Proto::uvimm`); once
    /// this is non-zero it does not, and traces compiled before are
    /// flushed when next entered.
    pub debug_writes: u32,
    pub jit: Option<Box<dyn JitHook>>,
    /// The FFI's state (its C type table), installed by `ffi` when loaded.
    pub ffi: Option<Box<dyn std::any::Any>>,
    /// The FFI's metatype metamethod for arithmetic event `MM` on operands
    /// of which one is cdata, when no built-in cdata arithmetic applies
    /// (nil otherwise): the interpreter calls it directly, as it does a
    /// table's, so the JIT can inline it.
    pub cdata_arith_mm: Option<CdataArithMm>,
    /// Report an unprotected error to the embedder and exit (installed by
    /// the C API: its `lua_atpanic` function); None: print and exit.
    pub panic_hook: Option<fn(&mut Vm, Value) -> !>,
    /// Run by `os.exit` just before the process exits (after open files
    /// are flushed and, with `close`, finalisers ran): the CLI prints its
    /// end-of-run JIT report there, as after a normal end.
    pub exit_hook: Option<fn(&mut Vm)>,
    /// Re-entrancy policy (ARCHITECTURE.md: FFI and the sandwich).
    pub sandwich: crate::jitrt::Sandwich,
    /// Set when Lua was re-entered under a running trace (policy `exit`);
    /// traces test it after each foreign call. Read by generated code.
    pub reentered: u32,
    /// The MULTRES count an exit leaves for the instruction it resumes at
    /// (set by the JIT's `enter`, taken by the interpreter).
    pub exit_multres: Option<u32>,
    /// A Lua error that unwound out of a running trace (from C code it
    /// called); the interpreter raises it at the trace's instruction.
    pub trace_error: Option<crate::LuaError>,
    /// FFI calls in progress: a Lua error raised by the C API inside one
    /// unwinds to it (as `error::Throw`) instead of being unprotected.
    pub ffi_depth: u32,
    /// `tonumber` of a cdata value (installed by the FFI).
    pub cdata_tonumber: Option<fn(&mut Vm, Value) -> Option<f64>>,
    /// `cdata[k]` without the metamethod, when that cannot fail (installed
    /// by the FFI; None: the `__index` metamethod runs).
    pub cdata_index: Option<CdataIndex>,
    /// `cdata[k] = v` without the metamethod, when that cannot fail:
    /// whether it stored.
    pub cdata_newindex: Option<CdataNewIndex>,
    /// Arithmetic with a cdata operand without the metamethod, when built
    /// in and not an error (64-bit integers): the result, else None.
    pub cdata_arith: Option<CdataArith>,
    /// `==`, `<`, `<=` (`MM::Eq`, `Lt`, `Le`) with a cdata operand without
    /// the metamethod, when built in (numbers, pointers): else None.
    pub cdata_compare: Option<CdataCompare>,
    /// Extra roots (values held by Rust code across a safe point).
    pub roots: Vec<Value>,
    /// Objects compiled traces refer to (closures, constants).
    pub jit_roots: Vec<Value>,
    /// The address of the host function the main thread's code runs
    /// from, when the host wants it shown as LuaJIT's CLI shows its
    /// `pmain` (tracebacks' last `[C]: at 0x...` level, `dumpstack`'s
    /// last `@0x...`); 0: the host's level is `[C]: ?`, as for a C host
    /// calling `lua_pcall`.
    pub host_cfunc: usize,
    /// Per trace (id - 1): the instruction its `J*` instruction replaced,
    /// kept here so the interpreter can run it while the JIT is out of
    /// the VM (Lua run by a native a stitched trace called, finalisers
    /// run at a trace exit).
    pub trace_orig: Vec<u32>,
    /// Most stack slots any trace touches above its base (set by the JIT;
    /// traces that push frames check the stack has that much room).
    pub jit_max_slots: usize,
    /// Userdata waiting for their `__gc`.
    pub pending_gc: Vec<Value>,
    /// Debug hook state, owned by the debug library.
    pub hook: Option<Value>,
    pub hook_mask: u8,
    /// A trace is being recorded (the interpreter runs its hooked variant).
    pub recording: bool,
    pub hook_count: u32,
    /// The last trace run left by a `POLL` exit (set by the JIT's
    /// `enter`): the interpreter may enter it again at once.
    pub exit_poll: bool,
    /// Instructions left before the next count hook. Traces compiled
    /// while a count hook was set count it down too (`POLL`, by the
    /// instructions they recorded, at every back edge and link) and exit
    /// leaving it 1 when it runs out; without a count hook it is reset to
    /// `u32::MAX` after each trace run, so those polls never stop a trace
    /// for long.
    pub hook_left: u32,
    /// Set while a hook runs (no recursive hooks).
    pub in_hook: bool,
    /// `jit.attach` events waiting for delivery, the kinds with a handler
    /// (`vmevent::EVENTS` bits), and whether a handler is running
    /// (`vmevent.rs`).
    pub vmevents: Vec<crate::vmevent::Event>,
    pub vmevent_mask: u8,
    pub in_vmevent: bool,
    /// `jit.profile`'s running profiler (`profile.rs`).
    pub profile: Option<Box<crate::profile::Profiler>>,
    /// Random state for math.random.
    pub rng: [u64; 4],
    /// Budget of loop iterations and calls before "instruction limit
    /// exceeded" is raised (robustness tests, sandboxes). None: unlimited.
    pub instr_limit: Option<u64>,
    /// Values passed between `resume` and `yield`.
    pub transfer: Vec<Value>,
    /// Registry key of the io library's file metatable.
    pub file_key: Value,
    /// Nesting of running error handlers (each raises the stack limits).
    pub err_slack: usize,
    /// Coroutines the interpreter loops have resumed in place and not yet
    /// left (`lib_coroutine::switch_in`), over all nested loops.
    pub switches: usize,
    /// Data of the C API layer (`lunatrace-capi`) attached to this VM;
    /// null until the C API is first used with it. Owned by that layer.
    pub capi: *mut std::ffi::c_void,
    /// Loader of C libraries for `require`/`package.loadlib`, installed by
    /// the C API layer (the VM does not link dynamic libraries itself).
    pub c_loader: Option<CLoader>,
    /// The string buffers of `string.buffer` (their bytes, by slot) and
    /// what that library needs from the FFI.
    pub sbufs: crate::lib_buffer::Bufs,
}

/// Why a C library could not be loaded: it could not be opened, or the
/// entry point was not found in it (`package.loadlib`'s "open"/"init").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CLoadError {
    Open(String),
    Init(String),
}

/// `loader(vm, path, symbol)`: open the dynamic library `path` and return
/// its C function `symbol` as a function value. The symbol `*` only loads
/// the library with its symbols made global (returns `true`).
pub type CLoader = fn(&mut Vm, &str, &str) -> Result<Value, CLoadError>;

impl Vm {
    pub fn new() -> Box<Vm> {
        let mut heap = Heap::new();
        let globals = heap.new_table(0, 64);
        let registry = heap.new_table(0, 8);
        let main = heap.new_thread(Thread::new(
            vec![Value::NIL; 256],
            0,
            32,
            CoStatus::Running,
            globals.as_ptr(),
        ));
        let mm_names = MM_NAMES
            .iter()
            .map(|n| heap.intern_value(n.as_bytes()))
            .collect();
        let type_names = (0..=crate::value::LuaType::Cdata as u8)
            .map(|i| heap.intern_value(crate::value::LuaType::from_index(i).name().as_bytes()))
            .collect();
        let mut vm = Box::new(Vm {
            type_names,
            heap,
            main,
            cur: main,
            registry,
            globals,
            type_meta: [std::ptr::null_mut(); 16],
            mm_names,
            hotcount: [56; HOTCOUNT_SIZE],
            hotloop: 56,
            str_buf: Vec::new(),
            debug_writes: 0,
            jit: None,
            roots: Vec::new(),
            jit_roots: Vec::new(),
            host_cfunc: 0,
            trace_orig: Vec::new(),
            jit_max_slots: 0,
            pending_gc: Vec::new(),
            ffi: None,
            cdata_arith_mm: None,
            cdata_tonumber: None,
            cdata_index: None,
            cdata_newindex: None,
            cdata_arith: None,
            cdata_compare: None,
            ffi_depth: 0,
            sandwich: Default::default(),
            panic_hook: None,
            exit_hook: None,
            reentered: 0,
            exit_multres: None,
            trace_error: None,
            hook: None,
            hook_mask: 0,
            recording: false,
            hook_count: 0,
            hook_left: 0,
            exit_poll: false,
            in_hook: false,
            vmevents: Vec::new(),
            vmevent_mask: 0,
            in_vmevent: false,
            profile: None,
            instr_limit: None,
            transfer: Vec::with_capacity(8),
            file_key: Value::NIL,
            err_slack: 0,
            switches: 0,
            capi: std::ptr::null_mut(),
            c_loader: None,
            sbufs: Default::default(),
            // (LuaJIT starts from seed 0.)
            rng: crate::lib_math::seed_state(0.0),
        });
        // _G._G and registry._LOADED-style bookkeeping.
        let g = Value::from_table(globals);
        vm.set_field(g, "_G", g);
        vm
    }

    // ---- threads and stacks ----

    #[inline(always)]
    pub fn th<'a>(&self) -> &'a mut Thread {
        // SAFETY: `cur` is a live thread (rooted); the VM is single-threaded
        // and callers do not hold two of these references across calls.
        unsafe { &mut *self.cur.as_ptr() }
    }

    /// Compiled traces may run and record under the debug hooks set: none,
    /// or only the count hook (which traces poll, the IR's `POLL`); line,
    /// call and return hooks need every instruction interpreted.
    #[inline(always)]
    pub fn hooks_allow_traces(&self) -> bool {
        self.hook_mask & !crate::lib_debug::HOOK_COUNT == 0
    }

    /// Frame limit of the running thread (raised while an error handler runs).
    #[inline]
    pub fn max_frames(&self) -> usize {
        crate::interp::MAX_FRAMES + self.err_slack * 1000
    }

    /// Stack slot limit (raised while an error handler runs).
    #[inline]
    pub fn max_stack(&self) -> usize {
        MAX_STACK + self.err_slack * 20_000
    }

    /// Run an `xpcall`-style message handler on error value `v` at the
    /// error point, with some headroom beyond the stack limits so that a
    /// "stack overflow" can still be decorated. Its first result is the new
    /// error value; a failing handler gives "error in error handling".
    /// Yields propagate.
    pub fn call_handler(&mut self, h: Value, v: Value) -> LuaResult<Value> {
        self.err_slack += 1;
        let r = self.call_values(h, &[v]);
        self.err_slack -= 1;
        match r {
            Ok(r) => Ok(r.first().copied().unwrap_or(Value::NIL)),
            Err(e) if e.is_yield() => Err(e),
            Err(_) => Ok(self.intern(b"error in error handling")),
        }
    }

    /// Make sure the current thread has `n` free slots above `top`.
    pub fn ensure_stack(&mut self, n: usize) -> LuaResult<()> {
        let th = self.th();
        let need = th.top + n;
        if need <= th.stack.len() {
            return Ok(());
        }
        if need > self.max_stack() {
            return Err(self.rt_error("stack overflow"));
        }
        if !try_grow_stack(&mut self.heap, self.cur, need) {
            return Err(self.memory_error());
        }
        Ok(())
    }

    // ---- native function API ----

    /// The frame of the running native function.
    #[inline(always)]
    fn nframe(&self) -> &Frame {
        let th = self.th();
        debug_assert!(!th.frames.is_empty(), "native frame");
        // SAFETY: a native runs with its own frame on top of the stack.
        unsafe { th.frames.get_unchecked(th.frames.len() - 1) }
    }

    /// Number of arguments of the running native.
    #[inline(always)]
    pub fn nargs(&self) -> usize {
        self.th().top - self.nframe().base as usize
    }

    /// Argument `i` (1-based) of the running native; nil if absent.
    #[inline(always)]
    pub fn arg(&self, i: usize) -> Value {
        let th = self.th();
        let at = self.nframe().base as usize + i - 1;
        if at < th.top {
            debug_assert!(th.top <= th.stack.len());
            // SAFETY: below top, which is inside the stack.
            unsafe { *th.stack.get_unchecked(at) }
        } else {
            Value::NIL
        }
    }

    /// Replace argument `i` (it must exist).
    pub fn set_arg(&mut self, i: usize, v: Value) {
        let at = self.nframe().base as usize + i - 1;
        self.th().stack[at] = v;
    }

    /// The function object being run (native frames: the native itself).
    pub fn current_func(&self) -> Value {
        let th = self.th();
        th.stack[self.nframe().func as usize]
    }

    /// Upvalue `i` (1-based) of the running native closure.
    pub fn native_upvalue(&self, i: usize) -> Value {
        match self.current_func().as_func_ptr() {
            // SAFETY: live function object.
            Some(f) => {
                // SAFETY: live function object; shared access only.
                let fo = unsafe { &*f.as_ptr() };
                fo.cupvals.get(i - 1).copied().unwrap_or(Value::NIL)
            }
            None => Value::NIL,
        }
    }

    /// Replace upvalue `i` (1-based) of the running native closure.
    pub fn set_native_upvalue(&mut self, i: usize, v: Value) {
        if let Some(f) = self.current_func().as_func_ptr() {
            // SAFETY: live function object; no other reference to its
            // upvalue array is held.
            unsafe {
                let fo = &mut *f.as_ptr();
                if let Some(slot) = fo.cupvals.get_mut(i - 1) {
                    *slot = v;
                }
            }
        }
    }

    #[inline]
    pub fn push(&mut self, v: Value) {
        let th = self.th();
        if th.top >= th.stack.len() {
            grow_stack(&mut self.heap, self.cur, th.top + MIN_STACK);
        }
        let th = self.th();
        th.stack[th.top] = v;
        th.top += 1;
    }

    /// Remove `n` values from the top.
    pub fn pop(&mut self, n: usize) {
        let th = self.th();
        th.top -= n;
    }

    /// Set the number of arguments (drop extra ones, pad with nil).
    pub fn set_nargs(&mut self, n: usize) {
        let base = self.nframe().base as usize;
        let want = base + n;
        while self.th().top < want {
            self.push(Value::NIL);
        }
        self.th().top = want;
    }

    pub fn intern(&mut self, b: &[u8]) -> Value {
        self.heap.intern_value(b)
    }

    /// An empty buffer to build a string in: the one kept from the last
    /// call if no one holds it (a nested user, e.g. a `__tostring` that
    /// formats again, gets a new one). Hand it back with `intern_buf` or
    /// `give_buf`; a buffer dropped on an error is only a lost reuse.
    #[inline]
    pub fn take_buf(&mut self) -> Vec<u8> {
        let mut b = std::mem::take(&mut self.str_buf);
        b.clear();
        b
    }

    /// Keep `b` for the next `take_buf` if it is small (large results do
    /// not pin memory outside the heap's count).
    #[inline]
    pub fn give_buf(&mut self, b: Vec<u8>) {
        if b.capacity() <= STR_BUF_KEEP && b.capacity() >= self.str_buf.capacity() {
            self.str_buf = b;
        }
    }

    /// The interned string of `b`'s bytes; `b` is kept (`give_buf`).
    #[inline]
    pub fn intern_buf(&mut self, b: Vec<u8>) -> Value {
        let v = self.heap.intern_value(&b);
        self.give_buf(b);
        v
    }

    pub fn new_table(&mut self, narr: usize, nhash: usize) -> NonNull<Table> {
        self.heap.new_table(narr, nhash)
    }

    pub fn new_table_value(&mut self, narr: usize, nhash: usize) -> Value {
        Value::from_table(self.heap.new_table(narr, nhash))
    }

    /// A native function value.
    pub fn new_native(&mut self, f: NativeFn, name: &'static str) -> Value {
        self.new_native_closure(f, name, Vec::new())
    }

    pub fn new_native_closure(
        &mut self,
        f: NativeFn,
        name: &'static str,
        upvals: Vec<Value>,
    ) -> Value {
        let func = Func {
            hdr: GcHeader::new(GcKind::Func),
            proto: std::ptr::null_mut(),
            env: self.globals.as_ptr(),
            native: Some(f),
            name,
            upvals: UpvalList::NONE,
            cupvals: upvals.into_boxed_slice(),
        };
        Value::from_func(self.heap.new_func(func, &[]))
    }

    /// Raw `t[k] = v` with GC accounting. Errors on nil/NaN keys; a
    /// table that cannot grow raises "not enough memory" (no collection
    /// runs here: the caller may hold unrooted objects, such as a table
    /// it is filling; see `set_collecting`).
    pub fn raw_set(&mut self, t: NonNull<Table>, k: Value, v: Value) -> LuaResult<()> {
        match table::set(&mut self.heap, t, k, v) {
            Ok(()) => {
                self.heap.barrier_back(t);
                Ok(())
            }
            Err(table::KeyError::Nil) => Err(self.rt_error("table index is nil")),
            Err(table::KeyError::NaN) => Err(self.rt_error("table index is NaN")),
            Err(table::KeyError::Memory) => Err(self.memory_error()),
        }
    }

    /// `table::set` where a collection may run — everything the caller
    /// holds is reachable (on the stack below `top`, or from the roots):
    /// a table that cannot grow (past the heap's limit, or refused by the
    /// system allocator) collects and retries once, then raises "not
    /// enough memory" with the table as it was. Key errors are the
    /// caller's to report.
    pub fn set_collecting(
        &mut self,
        t: NonNull<Table>,
        k: Value,
        v: Value,
    ) -> LuaResult<Result<(), table::KeyError>> {
        let r = table::set(&mut self.heap, t, k, v);
        if r != Err(table::KeyError::Memory) {
            return Ok(r);
        }
        self.full_gc()?;
        match table::set(&mut self.heap, t, k, v) {
            Err(table::KeyError::Memory) => Err(self.memory_error()),
            r => Ok(r),
        }
    }

    /// Raw `t[name] = v` for a table value (library setup).
    pub fn set_field(&mut self, t: Value, name: &str, v: Value) {
        let k = self.intern(name.as_bytes());
        let t = t.as_table_ptr().expect("set_field on a table");
        let _ = self.raw_set(t, k, v);
    }

    /// Raw `t[name]`.
    pub fn get_field(&mut self, t: Value, name: &str) -> Value {
        let k = self.intern(name.as_bytes());
        match t.as_table_ptr() {
            Some(t) => table::get(t, k),
            None => Value::NIL,
        }
    }

    /// Create a library table `name` in the globals (and `package.loaded`)
    /// filled with the given natives; returns it.
    pub fn register_lib(&mut self, name: &str, funcs: &[(&'static str, NativeFn)]) -> Value {
        let existing = self.get_field(Value::from_table(self.globals), name);
        let t = if existing.is_table() {
            existing
        } else {
            self.new_table_value(0, funcs.len())
        };
        for &(n, f) in funcs {
            let fv = self.new_native(f, n);
            self.set_field(t, n, fv);
        }
        if !name.is_empty() && name != "_G" {
            self.set_field(Value::from_table(self.globals), name, t);
        }
        let loaded = self.loaded_table();
        self.set_field(loaded, name, t);
        crate::builtin_id::note(self, name, t);
        t
    }

    /// `package.loaded` (registry._LOADED), created on first use.
    pub fn loaded_table(&mut self) -> Value {
        let reg = Value::from_table(self.registry);
        let l = self.get_field(reg, "_LOADED");
        if l.is_table() {
            return l;
        }
        let l = self.new_table_value(0, 16);
        self.set_field(reg, "_LOADED", l);
        l
    }

    /// Metatable of any value (tables and userdata: their own; other types:
    /// the per-type one).
    pub fn get_metatable(&self, v: Value) -> Option<NonNull<Table>> {
        if let Some(t) = v.as_table_ptr() {
            return table::meta(t);
        }
        if let Some(u) = v.as_udata_ptr() {
            // SAFETY: live userdata.
            return NonNull::new(unsafe { (*u.as_ptr()).meta });
        }
        NonNull::new(self.type_meta[v.tag() as usize])
    }

    /// Metamethod `ev` of value `v`, or nil. Uses the negative cache.
    #[inline]
    pub fn metamethod(&self, v: Value, ev: MM) -> Value {
        match self.get_metatable(v) {
            Some(m) => self.mt_get(m, ev),
            None => Value::NIL,
        }
    }

    /// Set the metatable of a table or full userdata (safe helper for
    /// embedders); other values are left alone.
    pub fn set_metatable(&mut self, v: Value, m: Option<NonNull<Table>>) {
        if let Some(t) = v.as_table_ptr() {
            table::set_meta(t, m);
        } else if let Some(u) = v.as_udata_ptr() {
            // SAFETY: live userdata; no other reference to it is held.
            unsafe { (*u.as_ptr()).meta = m.map_or(std::ptr::null_mut(), |p| p.as_ptr()) };
        }
    }

    /// The environment table of a full userdata (safe helper for embedders).
    pub fn udata_env(&self, v: Value) -> Option<NonNull<Table>> {
        let u = v.as_udata_ptr()?;
        // SAFETY: live userdata; shared access only.
        NonNull::new(unsafe { (*u.as_ptr()).env })
    }

    /// The first payload word of a full userdata of 8 payload bytes or
    /// more (a library's handle in its object, e.g. a string buffer's
    /// slot); None for other values.
    pub fn udata_word(&self, v: Value) -> Option<u64> {
        let u = v.as_udata_ptr()?;
        // SAFETY: live userdata; the payload (16-aligned, `len` bytes)
        // follows the header, and 8 bytes of it are read only when it has
        // them.
        unsafe {
            if (*u.as_ptr()).len < 8 {
                return None;
            }
            Some((crate::object::Udata::payload(u) as *const u64).read())
        }
    }

    /// Set the first payload word of a full userdata of 8 payload bytes
    /// or more (see `udata_word`); false for other values.
    pub fn set_udata_word(&mut self, v: Value, w: u64) -> bool {
        let Some(u) = v.as_udata_ptr() else {
            return false;
        };
        // SAFETY: as in `udata_word`; no reference into the payload is
        // held meanwhile.
        unsafe {
            if (*u.as_ptr()).len < 8 {
                return false;
            }
            (crate::object::Udata::payload(u) as *mut u64).write(w);
        }
        true
    }

    /// The environment table of function `f` (None for other values).
    /// For embedders (`Function::environment`).
    pub fn fenv(&self, f: Value) -> Option<NonNull<Table>> {
        let p = f.as_func_ptr()?;
        // SAFETY: live function object; shared read of one field.
        NonNull::new(unsafe { (*p.as_ptr()).env })
    }

    /// Set the environment of function `f` (as `setfenv`); false when `f`
    /// is not a function. For embedders (`Function::set_environment`).
    pub fn set_fenv(&mut self, f: Value, env: NonNull<Table>) -> bool {
        let Some(p) = f.as_func_ptr() else {
            return false;
        };
        // SAFETY: live function object; no other reference to it is held.
        unsafe { (*p.as_ptr()).env = env.as_ptr() };
        true
    }

    /// Look up event `ev` in metatable `m`, caching absence.
    #[inline]
    pub fn mt_get(&self, m: NonNull<Table>, ev: MM) -> Value {
        let bit = 1u16.checked_shl(ev as u32).unwrap_or(0);
        if bit != 0 && table::nomm(m) & bit != 0 {
            return Value::NIL;
        }
        let r = table::get_str(m, self.mm_names[ev as usize]);
        if r.is_nil() && bit != 0 {
            table::set_nomm_bit(m, bit);
        }
        r
    }

    // ---- errors ----

    /// "chunk:line:" of the Lua function at `level` (1 = the caller of the
    /// running native), or "" if that is not a Lua function.
    pub fn where_(&self, level: usize) -> String {
        crate::debuginfo::where_(self, self.cur, level)
    }

    /// A runtime error with position information of the calling Lua code
    /// (like `luaL_error`).
    pub fn rt_error(&mut self, msg: &str) -> LuaError {
        let s = format!("{}{}", self.where_(1), msg);
        LuaError::runtime(self.intern(s.as_bytes()))
    }

    /// An error with exactly this message (no position).
    pub fn plain_error(&mut self, msg: &str) -> LuaError {
        LuaError::runtime(self.intern(msg.as_bytes()))
    }

    /// How the caller named the running native (as LuaJIT: from the call
    /// site; "?" when called from another native).
    pub fn native_name(&self) -> (String, bool) {
        let th = self.th();
        let top = crate::debuginfo::Level::Frame(th.frames.len() - 1);
        match crate::debuginfo::level_name(self, th, top) {
            Some((kind, name)) => (name, kind == "method"),
            None => ("?".into(), false),
        }
    }

    /// "bad argument #i to 'name' (msg)" (arguments of method calls are
    /// counted without self, as LuaJIT does).
    pub fn arg_error(&mut self, i: usize, msg: &str) -> LuaError {
        let (name, method) = self.native_name();
        if method {
            if i == 1 {
                return self.rt_error(&format!("calling '{}' on bad self ({})", name, msg));
            }
            return self.rt_error(&format!("bad argument #{} to '{}' ({})", i - 1, name, msg));
        }
        self.rt_error(&format!("bad argument #{} to '{}' ({})", i, name, msg))
    }

    /// "bad argument #i to 'name' (T expected, got U)".
    pub fn type_error(&mut self, i: usize, expected: &str) -> LuaError {
        let got = if i > self.nargs() {
            "no value"
        } else {
            self.arg(i).type_name()
        };
        self.arg_error(i, &format!("{} expected, got {}", expected, got))
    }

    pub fn check_any(&mut self, i: usize) -> LuaResult<Value> {
        if i > self.nargs() {
            return Err(self.arg_error(i, "value expected"));
        }
        Ok(self.arg(i))
    }

    /// A number argument (strings are converted).
    #[inline]
    pub fn check_num(&mut self, i: usize) -> LuaResult<f64> {
        match self.arg(i).as_num() {
            Some(n) => Ok(n),
            None => self.check_num_slow(i),
        }
    }

    /// `check_num` of a non-number: a numeric string or the error.
    #[cold]
    #[inline(never)]
    fn check_num_slow(&mut self, i: usize) -> LuaResult<f64> {
        let v = self.arg(i);
        if v.is_str() {
            if let Some(n) = crate::number::str_to_num(str_bytes(v)) {
                return Ok(n);
            }
        }
        Err(self.type_error(i, "number"))
    }

    /// An integer argument: a number truncated toward zero.
    #[inline]
    pub fn check_int(&mut self, i: usize) -> LuaResult<i64> {
        Ok(num_to_int(self.check_num(i)?))
    }

    pub fn opt_num(&mut self, i: usize, def: f64) -> LuaResult<f64> {
        if self.arg(i).is_nil() {
            Ok(def)
        } else {
            self.check_num(i)
        }
    }

    #[inline]
    pub fn opt_int(&mut self, i: usize, def: i64) -> LuaResult<i64> {
        if self.arg(i).is_nil() {
            Ok(def)
        } else {
            self.check_int(i)
        }
    }

    /// A string argument; numbers are converted to strings in place.
    #[inline]
    pub fn check_str(&mut self, i: usize) -> LuaResult<Value> {
        let v = self.arg(i);
        if v.is_str() {
            return Ok(v);
        }
        self.check_str_slow(i)
    }

    /// `check_str` of a non-string: a number's text or the error.
    #[cold]
    #[inline(never)]
    fn check_str_slow(&mut self, i: usize) -> LuaResult<Value> {
        let v = self.arg(i);
        if let Some(n) = v.as_num() {
            let sv = crate::number::with_num_text(n, |b| self.intern(b));
            self.set_arg(i, sv);
            return Ok(sv);
        }
        Err(self.type_error(i, "string"))
    }

    /// The bytes of a string argument (see `check_str`). The slice stays
    /// valid while the argument is on the stack.
    #[inline]
    pub fn check_bytes<'a>(&mut self, i: usize) -> LuaResult<&'a [u8]> {
        let v = self.check_str(i)?;
        Ok(str_bytes(v))
    }

    #[inline]
    pub fn opt_str(&mut self, i: usize) -> LuaResult<Option<Value>> {
        if self.arg(i).is_nil() {
            Ok(None)
        } else {
            self.check_str(i).map(Some)
        }
    }

    pub fn check_table(&mut self, i: usize) -> LuaResult<NonNull<Table>> {
        match self.arg(i).as_table_ptr() {
            Some(t) => Ok(t),
            None => Err(self.type_error(i, "table")),
        }
    }

    pub fn check_func(&mut self, i: usize) -> LuaResult<Value> {
        let v = self.arg(i);
        if v.is_func() {
            Ok(v)
        } else {
            Err(self.type_error(i, "function"))
        }
    }

    // ---- conversions ----

    /// The `__tostring` metamethod of `v` (nil for strings, which are
    /// their own string).
    pub fn tostring_meta(&mut self, v: Value) -> Value {
        if v.is_str() {
            Value::NIL
        } else {
            self.metamethod(v, MM::ToString)
        }
    }

    /// `tostring` semantics without metamethods for numbers and strings;
    /// `__tostring` honoured for the rest.
    pub fn tostring(&mut self, v: Value) -> LuaResult<Value> {
        if v.is_str() {
            return Ok(v);
        }
        let mm = self.tostring_meta(v);
        if !mm.is_nil() {
            let r = self.call1(mm, &[v])?;
            if !r.is_str() && !r.is_num() {
                return Err(self.rt_error("'__tostring' must return a string"));
            }
            return Ok(if r.is_num() {
                crate::number::with_num_text(r.num_unchecked(), |b| self.intern(b))
            } else {
                r
            });
        }
        let s = self.tostring_basic(v);
        Ok(self.intern(s.as_bytes()))
    }

    /// The string `string.format`'s `%s` and `%q` show (LuaJIT 2.1): a
    /// string itself; else the `__tostring` result when that is a string;
    /// else the text of the value (or of the metamethod's result, of any
    /// type) without metamethods.
    pub fn tostring_fmt(&mut self, v: Value) -> LuaResult<Value> {
        if v.is_str() {
            return Ok(v);
        }
        let mm = self.tostring_meta(v);
        let v = if mm.is_nil() {
            v
        } else {
            let r = self.call1(mm, &[v])?;
            if r.is_str() {
                return Ok(r);
            }
            r
        };
        let s = self.tostring_basic(v);
        Ok(self.intern(s.as_bytes()))
    }

    /// Text of a value with no metamethods (`tostring` for basic types).
    pub fn tostring_basic(&self, v: Value) -> String {
        match v.lua_type() {
            LuaType::Number => crate::number::fmt_num(v.num_unchecked()),
            LuaType::String => String::from_utf8_lossy(str_bytes(v)).into_owned(),
            LuaType::Nil => "nil".into(),
            LuaType::Boolean => if v.truthy() { "true" } else { "false" }.into(),
            LuaType::Function => {
                // SAFETY: live function object.
                let native = v
                    .as_func_ptr()
                    .and_then(|f| unsafe { (*f.as_ptr()).native });
                if let Some(id) = native.and_then(crate::builtin_id::of) {
                    format!("function: builtin#{}", id)
                } else {
                    format!("function: 0x{:08x}", v.payload())
                }
            }
            // (A NULL light userdata shows as LuaJIT's `%p` does.)
            LuaType::LightUserdata if v.payload() == 0 => "userdata: NULL".into(),
            t => format!("{}: 0x{:08x}", t.name(), v.payload()),
        }
    }

    /// Number coercion of a value (numbers and numeric strings).
    pub fn tonumber(&self, v: Value) -> Option<f64> {
        if let Some(n) = v.as_num() {
            return Some(n);
        }
        if v.is_str() {
            return crate::number::str_to_num(str_bytes(v));
        }
        None
    }

    // ---- calls ----

    /// Call `f` with `args`; results are returned (and removed from the
    /// stack). Do not hold the results across another call into Lua unless
    /// they are rooted elsewhere.
    pub fn call_values(&mut self, f: Value, args: &[Value]) -> LuaResult<Vec<Value>> {
        let base = self.push_call(f, args)?;
        let n = self.call_at(base, args.len(), -1)?;
        let th = self.th();
        let r = th.stack[base..base + n].to_vec();
        th.top = base;
        Ok(r)
    }

    /// Call `f` with `args` (pushed above the stack top) for its first
    /// result (nil when none), as metamethods and callbacks are: no
    /// allocation.
    pub fn call1(&mut self, f: Value, args: &[Value]) -> LuaResult<Value> {
        let base = self.push_call(f, args)?;
        self.call_at(base, args.len(), 1)?;
        let th = self.th();
        let r = th.stack[base];
        th.top = base;
        Ok(r)
    }

    /// Push `f` and `args` above the stack top for a call; their slot.
    fn push_call(&mut self, f: Value, args: &[Value]) -> LuaResult<usize> {
        let base = self.th().top;
        self.ensure_stack(args.len() + 1 + MIN_STACK)?;
        self.push(f);
        for &a in args {
            self.push(a);
        }
        Ok(base)
    }

    /// Call the function at stack slot `func` with the `nargs` values above
    /// it; leave `nresults` results (-1: all) starting at `func` and set top
    /// after them. Returns the number of results.
    pub fn call_at(&mut self, func: usize, nargs: usize, nresults: i32) -> LuaResult<usize> {
        crate::interp::call_at(self, func, nargs, nresults)
    }

    /// Protected call at a stack position: on error the stack is restored to
    /// `func` and the error value is returned.
    pub fn pcall_at(&mut self, func: usize, nargs: usize, nresults: i32) -> LuaResult<usize> {
        self.pcall_at_handler(func, nargs, nresults, None)
    }

    /// As `pcall_at`, calling `handler` with the error value at the error
    /// point (frames intact, as `xpcall`); its first result replaces the
    /// error value ("error in error handling" if the handler fails).
    pub fn pcall_at_handler(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        handler: Option<Value>,
    ) -> LuaResult<usize> {
        let th = self.th();
        let nframes = th.frames.len();
        let ccalls = th.nccalls;
        match self.call_at(func, nargs, nresults) {
            Ok(n) => Ok(n),
            Err(mut e) => {
                if e.is_yield() {
                    return Err(e);
                }
                if let Some(h) = handler {
                    e.value = self.call_handler(h, e.value)?;
                }
                crate::interp::close_upvals(self, func);
                let th = self.th();
                th.frames.truncate(nframes);
                th.nccalls = ccalls;
                th.top = func;
                Err(e)
            }
        }
    }

    /// Index with metamethods: `obj[key]`.
    pub fn index(&mut self, obj: Value, key: Value) -> LuaResult<Value> {
        crate::interp::index(self, obj, key)
    }

    /// Assignment with metamethods: `obj[key] = val`.
    pub fn set_index(&mut self, obj: Value, key: Value, val: Value) -> LuaResult<()> {
        crate::interp::set_index(self, obj, key, val)
    }

    pub fn get_global(&mut self, name: &str) -> Value {
        self.get_field(Value::from_table(self.globals), name)
    }

    pub fn set_global(&mut self, name: &str, v: Value) {
        self.set_field(Value::from_table(self.globals), name, v)
    }

    /// Compile a chunk into a Lua function (with the globals as its
    /// environment). Syntax errors come back with status `Syntax`.
    pub fn load(&mut self, src: &[u8], chunkname: &str) -> LuaResult<Value> {
        // A UTF-8 byte-order mark, then a first line starting with `#`
        // (`#!...`), are skipped in any chunk, as LuaJIT's lexer does (the
        // newline stays, so line numbers do not change).
        let mut src = src.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(src);
        if src.first() == Some(&b'#') {
            let nl = src.iter().position(|&c| c == b'\n').unwrap_or(src.len());
            src = &src[nl..];
        }
        let r = if crate::bcdump::is_binary(src) {
            crate::bcdump::undump(&mut self.heap, src, chunkname.as_bytes())
        } else {
            match crate::parse::compile(self, src, chunkname.as_bytes()) {
                Ok(p) => Ok(p),
                Err(crate::parse::CompileError::Syntax(msg)) => Err(msg),
                // (Out of memory; a reader fails only in `load_incremental`.)
                Err(crate::parse::CompileError::Raise(e)) => return Err(e),
                Err(crate::parse::CompileError::Reader(_)) => Err(String::new()),
            }
        };
        match r {
            Ok(p) => {
                self.bc_events(p);
                Ok(self.new_lua_closure(p, self.globals))
            }
            Err(msg) => Err(LuaError {
                value: self.intern(msg.as_bytes()),
                status: Status::Syntax,
            }),
        }
    }

    /// Compile a chunk of Lua source that starts with `first` and goes on
    /// with the pieces `reader` returns (unless `eof`), read as the
    /// parser needs them (`load` with a reader function, after the
    /// byte-order mark, `#` line and bytecode checks). The inner error is
    /// the value `load` returns: the syntax error message or what the
    /// reader failed with.
    pub fn load_incremental(
        &mut self,
        first: Vec<u8>,
        eof: bool,
        reader: &mut crate::parse::Reader<'_>,
        chunkname: &str,
    ) -> LuaResult<Result<Value, Value>> {
        use crate::parse::CompileError;
        match crate::parse::compile_reader(self, first, eof, reader, chunkname.as_bytes()) {
            Ok(p) => {
                self.bc_events(p);
                Ok(Ok(self.new_lua_closure(p, self.globals)))
            }
            Err(CompileError::Syntax(msg)) => Ok(Err(self.intern(msg.as_bytes()))),
            Err(CompileError::Reader(v)) => Ok(Err(v)),
            Err(CompileError::Raise(e)) => Err(e),
        }
    }

    /// `jit.attach` "bc" events for a loaded chunk: one per function,
    /// nested ones before the function that holds them (LuaJIT's order:
    /// as the parser completes them), each a closure of the prototype
    /// (upvalues nil), delivered at once (`vmevent.rs`).
    fn bc_events(&mut self, p: NonNull<Proto>) {
        if !self.wants_vmevent(crate::vmevent::BC) {
            return;
        }
        fn walk(vm: &mut Vm, p: NonNull<Proto>) {
            // SAFETY: a live prototype of the chunk just loaded.
            let children = unsafe { (*p.as_ptr()).protos.clone() };
            for c in children {
                walk(vm, c);
            }
            let f = vm.new_lua_closure(p, vm.globals);
            vm.queue_vmevent(crate::vmevent::BC, vec![crate::vmevent::Arg::Val(f)]);
        }
        walk(self, p);
        self.deliver_vmevents();
    }

    /// A closure of a main-chunk prototype (no upvalues captured).
    pub fn new_lua_closure(&mut self, p: NonNull<Proto>, env: NonNull<Table>) -> Value {
        // SAFETY: live prototype.
        let nuv = unsafe { (*p.as_ptr()).uvdesc.len() };
        let upvals: Vec<NonNull<Upval>> = (0..nuv)
            .map(|_| {
                let u = self.heap.new_upval(Upval {
                    hdr: GcHeader::new(GcKind::Upval),
                    v: std::ptr::null_mut(),
                    closed: Value::NIL,
                    idx: usize::MAX,
                });
                // SAFETY: fresh upvalue; point it at its own closed slot.
                unsafe { (*u.as_ptr()).v = &mut (*u.as_ptr()).closed };
                u
            })
            .collect();
        let f = Func {
            hdr: GcHeader::new(GcKind::Func),
            proto: p.as_ptr(),
            env: env.as_ptr(),
            native: None,
            name: "?",
            upvals: UpvalList::NONE,
            cupvals: Box::new([]),
        };
        Value::from_func(self.heap.new_func(f, &upvals))
    }

    /// The instruction the `J*` instruction of trace `id` replaced.
    pub fn trace_original(&self, id: u32) -> u32 {
        self.trace_orig
            .get((id as usize).wrapping_sub(1))
            .copied()
            .unwrap_or(crate::bytecode::opc::ILOOP as u32)
    }

    // ---- garbage collection ----

    /// Run a full collection now and call pending finalisers.
    pub fn full_gc(&mut self) -> LuaResult<()> {
        if self.heap.defer > 0 {
            return Ok(());
        }
        self.heap.external = self.sbufs.bytes();
        let fin = {
            let roots = self.root_list();
            self.heap.collect(|h| {
                for v in roots {
                    h.mark_value(v);
                }
            })
        };
        self.pending_gc.extend(fin);
        self.run_finalizers()?;
        if self.heap.allocated > self.heap.limit || self.heap.take_refusal() {
            return Err(self.memory_error());
        }
        Ok(())
    }

    /// `collectgarbage("step", kb)` and `lua_gc(LUA_GCSTEP, kb)`: true when
    /// the step finished a collection cycle. The collector is atomic, so a
    /// step credits the work LuaJIT's incremental collector would do:
    /// one basic step (`STEP_WORK` bytes per unit of `stepmul`) plus one
    /// per KB of `kb`. A cycle costs the live data (the last collection's
    /// survivors, traversed) plus a share of the rest (dead objects are
    /// only swept); once the credit covers it, the whole cycle runs. A
    /// negative `kb` or a `stepmul` of 0 (no limit) finishes a cycle at
    /// once. As in LuaJIT, a step restarts a stopped collector, and a
    /// cycle it started goes on as the program allocates: the next
    /// automatic collection comes once the allocation has paid for the
    /// rest of the cycle at `stepmul`, and the step after it returns true
    /// (the cycle finished; a full `collect` instead starts afresh).
    pub fn gc_step(&mut self, kb: i32) -> LuaResult<bool> {
        /// Work of one basic step per unit of `stepmul` (LuaJIT's step
        /// limit: 1 KB of work at `stepmul` 100).
        const STEP_WORK: usize = 10;
        /// Sweeping a dead object costs this fraction of its size.
        const SWEEP_SHARE: usize = 16;
        self.heap.stopped = false;
        if self.heap.defer > 0 {
            return Ok(false);
        }
        let h = &mut self.heap;
        if std::mem::take(&mut h.step_done) {
            return Ok(true);
        }
        let credit = if kb < 0 || h.stepmul == 0 {
            usize::MAX
        } else {
            (kb as usize + 1)
                .saturating_mul(STEP_WORK)
                .saturating_mul(h.stepmul)
        };
        h.step_work = h.step_work.saturating_add(credit);
        let live = h.live.min(h.allocated);
        let cycle = live + (h.allocated - live) / SWEEP_SHARE;
        if h.step_work < cycle {
            let rest = (cycle - h.step_work).saturating_mul(100) / h.stepmul;
            if !h.stress {
                h.threshold = h.allocated.saturating_add(rest).min(h.limit);
            }
            return Ok(false);
        }
        self.full_gc()?;
        self.heap.step_done = false;
        Ok(true)
    }

    /// "not enough memory" (status `Memory`: `LUA_ERRMEM` in the C API).
    pub fn memory_error(&mut self) -> LuaError {
        LuaError {
            value: self.intern(b"not enough memory"),
            status: crate::error::Status::Memory,
        }
    }

    /// Fail with "not enough memory" if allocating `n` more bytes at once
    /// would take the heap past its limit (after a full collection).
    pub fn check_alloc(&mut self, n: usize) -> LuaResult<()> {
        if self.heap.would_exceed(n) {
            self.full_gc()?;
            if self.heap.would_exceed(n) {
                return Err(self.memory_error());
            }
        }
        Ok(())
    }

    /// Make room for `more` bytes in `out`, a temporary buffer that
    /// becomes a string (`string.format`, `gsub`): growth is fallible and
    /// large growths are checked against the heap's limit (the buffer and
    /// the string made from it); failing, a collection runs and the
    /// growth is tried once more, then "not enough memory" is raised. A
    /// collection may run: callers keep the values they hold reachable.
    #[inline]
    pub fn grow_out(&mut self, out: &mut Vec<u8>, more: usize) -> LuaResult<()> {
        if out.capacity() - out.len() >= more {
            return Ok(());
        }
        self.grow_out_slow(out, more)
    }

    #[cold]
    fn grow_out_slow(&mut self, out: &mut Vec<u8>, more: usize) -> LuaResult<()> {
        let Some(need) = out.len().checked_add(more) else {
            return Err(self.memory_error());
        };
        let want = need.max(out.capacity().saturating_mul(2));
        if want - out.capacity() >= crate::gc::GROWTH_CHECKED {
            self.check_alloc(need.saturating_mul(2))?;
        }
        if out.try_reserve_exact(want - out.len()).is_ok() {
            return Ok(());
        }
        self.full_gc()?;
        out.try_reserve_exact(more).map_err(|_| self.memory_error())
    }

    /// Collect if the allocation debt says so. Called at safe points only.
    #[inline]
    pub fn gc_check(&mut self) -> LuaResult<()> {
        if self.heap.should_collect() {
            self.full_gc()?;
        }
        Ok(())
    }

    fn root_list(&self) -> Vec<Value> {
        let mut r = Vec::with_capacity(32 + self.roots.len());
        r.push(Value::from_table(self.registry));
        r.push(Value::from_table(self.globals));
        r.push(Value::from_thread(self.main));
        r.push(Value::from_thread(self.cur));
        for &m in self.type_meta.iter() {
            if let Some(m) = NonNull::new(m) {
                r.push(Value::from_table(m));
            }
        }
        r.extend(self.mm_names.iter().copied());
        r.extend(self.type_names.iter().copied());
        r.extend(self.roots.iter().copied());
        r.extend(self.transfer.iter().copied());
        r.extend(self.jit_roots.iter().copied());
        if let Some(j) = self.jit.as_ref() {
            j.gc_roots(&mut r);
        }
        if let Some(h) = self.hook {
            r.push(h);
        }
        r.extend(self.pending_gc.iter().copied());
        if let Some(p) = self.profile.as_ref() {
            if let crate::profile::Callback::Lua(cb) = p.cb {
                r.push(cb);
            }
        }
        // (Objects of queued `jit.attach` events, until delivered.)
        for ev in &self.vmevents {
            for a in &ev.args {
                if let crate::vmevent::Arg::Val(v) = a {
                    r.push(*v);
                }
            }
        }
        r
    }

    /// Closing the state: run every pending finaliser — userdata `__gc`
    /// newest first, then `ffi.gc` finalisers — ignoring their errors.
    pub fn close_finalizers(&mut self) {
        let uds: Vec<_> = self.heap.udata_list().to_vec();
        for u in uds.into_iter().rev() {
            let uv = Value::from_udata(u);
            let f = self.metamethod(uv, MM::Gc);
            if !f.is_nil() {
                let _ = self.call_values(f, &[uv]);
            }
        }
        let cds = self.heap.take_cdata_fin();
        for c in cds.into_iter().rev() {
            // SAFETY: a live cdata; its finaliser runs once.
            let f = unsafe { std::mem::replace(&mut (*c.as_ptr()).fin, Value::NIL) };
            if !f.is_nil() {
                let _ = self.call_values(f, &[Value::from_cdata(c)]);
            }
        }
    }

    fn run_finalizers(&mut self) -> LuaResult<()> {
        while let Some(uv) = self.pending_gc.pop() {
            let f = match uv.as_cdata_ptr() {
                // SAFETY: a live (resurrected) cdata; its finaliser runs once.
                Some(c) => unsafe { std::mem::replace(&mut (*c.as_ptr()).fin, Value::NIL) },
                None => self.metamethod(uv, MM::Gc),
            };
            if !f.is_nil() {
                self.call_values(f, &[uv])?;
            }
        }
        Ok(())
    }
}

/// Truncate a number to an integer (toward zero, saturating).
#[inline]
pub fn num_to_int(n: f64) -> i64 {
    if n.abs() < (1u64 << 63) as f64 {
        // SAFETY: |n| < 2^63: its truncation fits an i64 (the usual case,
        // without the saturating conversion's selects).
        unsafe { n.to_int_unchecked::<i64>() }
    } else if n.is_nan() {
        0
    } else {
        n as i64
    }
}

/// Grow a thread's stack to at least `need` slots, fixing open upvalues
/// (where growth cannot fail: returns, pushes, resumes; the system
/// allocator failing is fatal there; calls use `try_grow_stack`).
pub fn grow_stack(heap: &mut Heap, th: NonNull<Thread>, need: usize) {
    if !grow_stack_to(heap, th, need, false) {
        std::alloc::handle_alloc_error(std::alloc::Layout::new::<Value>());
    }
}

/// As `grow_stack` for a call (the caller raises "not enough memory" on
/// false, the stack as it was): fails when the system allocator refuses,
/// or a large growth would take the heap past its limit.
pub fn try_grow_stack(heap: &mut Heap, th: NonNull<Thread>, need: usize) -> bool {
    grow_stack_to(heap, th, need, true)
}

fn grow_stack_to(heap: &mut Heap, th: NonNull<Thread>, need: usize, checked: bool) -> bool {
    // SAFETY: live thread; no other reference to it is held during this call.
    let th = unsafe { &mut *th.as_ptr() };
    let old_len = th.stack.len();
    let mut new_len = need.max(old_len * 2);
    let more = (new_len - old_len) * 8;
    if checked && more >= crate::gc::GROWTH_CHECKED && heap.would_exceed(more) {
        new_len = need;
        if heap.would_exceed((new_len - old_len) * 8) {
            return false;
        }
    }
    if th.stack.try_reserve_exact(new_len - old_len).is_err() {
        new_len = need;
        if th.stack.try_reserve_exact(new_len - old_len).is_err() {
            return false;
        }
    }
    th.stack.resize(new_len, Value::NIL);
    heap.account((new_len - old_len) * 8);
    stack_moved(th);
    true
}

/// After a thread's stack was reallocated (grown or shrunk): its cached
/// bounds, and the open upvalues re-pointed at their slots.
pub(crate) fn stack_moved(th: &mut Thread) {
    th.sync_stack();
    let base = th.stack.as_mut_ptr();
    for &u in &th.open_upvals {
        // SAFETY: open upvalues point at their stack index, inside the
        // stack; re-point them into the moved one.
        unsafe { (*u.as_ptr()).v = base.add((*u.as_ptr()).idx) };
    }
}

#[cfg(test)]
mod hotcount_tests {
    use super::*;

    /// Function entries and loops never share a hot counter (whatever the
    /// addresses): a function called from a loop cannot starve it.
    #[test]
    fn entries_and_loops_count_apart() {
        for a in (0..4096usize).step_by(4) {
            for b in [0usize, 4, 256, 1024, 4096, 65536] {
                let (p, q) = (a as *const u32, (a + b) as *const u32);
                assert_ne!(hotcount_slot(p, true), hotcount_slot(q, false));
                assert!(hotcount_slot(p, true) < HOTCOUNT_SIZE);
                assert!(hotcount_slot(q, false) < HOTCOUNT_SIZE / 2);
            }
        }
    }
}
