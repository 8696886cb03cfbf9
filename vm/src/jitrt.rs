//! Runtime support for compiled traces: the `extern "C"` helpers traces
//! call (listed with their signatures in `helpers.rs`, the one table the
//! code generator reads; they never run Lua code and never raise), bytecode
//! patching for trace entry instructions, and the re-entrancy marker
//! `jit_base` (ARCHITECTURE.md: FFI and the sandwich).

use crate::object::{Func, Proto, Str, Table, Upval};
use crate::table;
use crate::value::Value;
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

/// Traces `TRACE_ENTRIES` counts (by number, 1-based; higher ones share
/// the last counter).
pub const TRACE_COUNT_MAX: usize = 1024;

/// Development aid (`LUNATRACE_TRACECOUNT=1`): how many times each
/// trace's code started, by the driver or through a link (generated code
/// increments its counter on entry; shown by `-jv`'s summary).
pub static TRACE_ENTRIES: [AtomicU64; TRACE_COUNT_MAX] =
    [const { AtomicU64::new(0) }; TRACE_COUNT_MAX];

/// With `TRACE_ENTRIES`: how many times each trace's code reached its
/// loop's back edge (a loop trace's iterations; the cost report's exits
/// per 10^6 iterations).
pub static TRACE_ITERS: [AtomicU64; TRACE_COUNT_MAX] =
    [const { AtomicU64::new(0) }; TRACE_COUNT_MAX];

/// Whether traces count their entries and iterations (`TRACE_ENTRIES`,
/// `TRACE_ITERS`), the backend counts their machine instructions, and
/// the driver times its transitions: the cost report of `-jv`.
pub fn trace_counting() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("LUNATRACE_TRACECOUNT").is_some())
}

/// `t[k]` for a string key, raw (the boxed value's bits).
///
/// # Safety
/// `t` and `k` must be live objects.
pub unsafe extern "C" fn jit_hgets(t: *mut Table, k: *mut Str) -> u64 {
    table::get_str(
        NonNull::new_unchecked(t),
        Value::from_str(NonNull::new_unchecked(k)),
    )
    .bits()
}

/// `t[k]` for any boxed key, raw.
///
/// # Safety
/// `t` must be a live table; `k` a valid value.
pub unsafe extern "C" fn jit_hget(t: *mut Table, k: u64) -> u64 {
    table::get(NonNull::new_unchecked(t), Value::from_bits(k)).bits()
}

/// `t[k] = v` when `k` already has a non-nil value (no growth, no
/// metamethod involved). Returns 0, storing nothing, otherwise.
///
/// # Safety
/// `t` must be a live table; `k`, `v` valid values.
pub unsafe extern "C" fn jit_hset_existing(t: *mut Table, k: u64, v: u64) -> u32 {
    let t = NonNull::new_unchecked(t);
    let k = Value::from_bits(k);
    let v = Value::from_bits(v);
    // Number keys: the array part and key 0 (also -0), else the hash part
    // (negative, fractional, past the array).
    (k.is_num() && table::set_arr_existing(t, k, v) || table::set_hash_existing(t, k, v)) as u32
}

/// The key after boxed `k` in table `t` (`next`), boxed: nil at the end,
/// NaN (never a key) when `k` is not a key of `t`.
///
/// # Safety
/// `t` must be a live table; `k` a valid value.
pub unsafe extern "C" fn jit_next_key(t: *mut Table, k: u64) -> u64 {
    match table::next(NonNull::new_unchecked(t), Value::from_bits(k)) {
        Ok(Some((k, _))) => k.bits(),
        Ok(None) => Value::NIL.bits(),
        Err(_) => Value::num(f64::NAN).bits(),
    }
}

/// `#t` for a table (border), as an int.
///
/// # Safety
/// `t` must be a live table.
pub unsafe extern "C" fn jit_tlen(t: *mut Table) -> i32 {
    table::length(NonNull::new_unchecked(t)) as i32
}

/// 1 if metatable `mt` has metamethod `mm` (an `MM` index; raw), else 0.
///
/// # Safety
/// `vm` is the running VM, `mt` a live table, `mm` a valid `MM` index.
pub unsafe extern "C" fn jit_meta_has(vm: *mut crate::state::Vm, mt: *mut Table, mm: u32) -> u32 {
    let k = (&(*vm).mm_names)[mm as usize];
    !table::get(NonNull::new_unchecked(mt), k).is_nil() as u32
}

/// The number of varargs of the running thread's top frame (a trace's
/// base frame: inlined frames are not pushed while it runs).
///
/// # Safety
/// `vm` is the running VM.
pub unsafe extern "C" fn jit_base_nvarargs(vm: *mut crate::state::Vm) -> u32 {
    (*vm).th().frames.last().map_or(0, |f| f.nvarargs)
}

/// Stack index of the slot at `base` (a pointer into the current thread's
/// stack).
///
/// # Safety
/// `vm` is the running VM, `base` points into its current stack.
unsafe fn stack_index(vm: &mut crate::state::Vm, base: *mut u64) -> usize {
    let s = vm.th().stack.as_ptr() as usize;
    (base as usize - s) / 8
}

/// Pop the frames above the one whose registers start at `base`: those a
/// trace returned from (RETF) before it pushes frames (their open
/// upvalues were checked when the trace was entered).
///
/// # Safety
/// `vm` is the running VM, `base` points into its current stack at a
/// frame's base.
pub unsafe extern "C" fn jit_sync_frames(vm: *mut crate::state::Vm, base: *mut u64) {
    let vm = &mut *vm;
    let b = stack_index(vm, base) as u32;
    let th = vm.th();
    while th.frames.len() > 1 && th.frames.last().is_some_and(|f| f.base > b) {
        th.frames.pop();
    }
}

/// Push a Lua frame for a trace that continues in it: the top frame
/// (registers at `base`) continues at pc `b >> 32` when it returns; the
/// new frame's registers start `a as u32` slots above `base`, its results
/// go to slot `a >> 32` (relative to `base`), `b as i16` are wanted; its
/// function sits `(b >> 16) as u8` slots below its registers (1, or more
/// for a vararg function), with `(b >> 24) as u8` extra arguments below
/// them.
///
/// # Safety
/// `vm` is the running VM, `base` points into its current stack at the
/// top frame's base (a Lua frame); the frame stack has room. The new
/// frame's `link` is its caller's call instruction's when results go to
/// its function slot (a call, as the interpreter would make it).
pub unsafe extern "C" fn jit_push_frame(vm: *mut crate::state::Vm, base: *mut u64, a: u64, b: u64) {
    let vm = &mut *vm;
    let cur = stack_index(vm, base) as u32;
    let th = vm.th();
    let nb = cur + a as u32;
    let func = nb - (b >> 16) as u8 as u32;
    let ret = cur + (a >> 32) as u32;
    let pc = (b >> 32) as u32;
    let caller = th
        .frames
        .last()
        .and_then(|f| crate::debuginfo::func_proto(th.stack[f.func as usize]));
    let link = match caller {
        Some(p) if ret == func && pc > 0 => {
            let op = crate::bytecode::op(code_at(p, pc as usize - 1));
            let call = matches!(
                op,
                crate::bytecode::opc::CALL
                    | crate::bytecode::opc::CALLM
                    | crate::bytecode::opc::ITERC
            );
            if call {
                crate::object::call_link(crate::debuginfo::proto(p), pc)
            } else {
                0
            }
        }
        _ => 0,
    };
    if let Some(top) = th.frames.last_mut() {
        top.pc = pc;
    }
    th.frames.push(crate::object::Frame {
        func,
        base: nb,
        pc: 0,
        nresults: b as u16 as i16,
        nvarargs: (b >> 24) as u8 as u32,
        kind: crate::object::FrameKind::Lua,
        ret,
        link,
    });
}

/// RETG's packed constant: `pc << 32 | delta << 16 | flags | nres + 1`,
/// the count in the bits of this mask.
pub const RETG_NRES_MASK: u64 = 0x1fff;

/// Flag of RETG's packed constant: the frame returned into must have no
/// open upvalues either (the trace tail-calls from it).
pub const RETG_NO_UPVALS: u64 = 0x8000;

/// Flag of RETG's packed constant: open upvalues must be checked at all
/// (the returning function, or with `RETG_NO_UPVALS` its caller, makes
/// closures; a frame of a function that makes none never has one open).
pub const RETG_UPVALS: u64 = 0x4000;

/// Flag of RETG's packed constant: the returning function and its caller
/// are fixed-argument functions (each frame's function slot sits right
/// below its base), so generated code checks the frames relative to the
/// returning one.
pub const RETG_PLAIN: u64 = 0x2000;

/// The guarded return of a trace (RETG) from the top frame, whose
/// registers start at `base`, to the Lua frame below it: the frame must
/// be a plain Lua call frame (`FrameKind::Lua`, results to its function
/// slot) `packed >> 16 & 0xffff` slots above its caller's base wanting
/// `(packed & RETG_NRES_MASK) - 1` results (-1: all), with no open upvalue
/// (nor its caller when `packed & RETG_NO_UPVALS`), and its caller must
/// run closure `func` (value bits) and continue at pc `packed >> 32`. Then
/// the frame is popped (the trace stores the results) and 1 returned;
/// else nothing changes and 0 is returned (the trace exits before the
/// return, which the interpreter makes). (The reference of RETG's checks:
/// generated code makes them inline, leaving out those the flags say
/// cannot fail.)
///
/// # Safety
/// `vm` is the running VM, `base` points into its current stack.
pub unsafe extern "C" fn jit_ret_pop(
    vm: *mut crate::state::Vm,
    base: *mut u64,
    func: u64,
    packed: u64,
) -> u32 {
    let vm = &mut *vm;
    let b = stack_index(vm, base) as u32;
    let th = vm.th();
    let n = th.frames.len();
    debug_assert_eq!(
        th.upval_hi,
        // SAFETY: live upvalue.
        th.open_upvals.last().map_or(0, |u| (*u.as_ptr()).idx + 1)
    );
    if n < 2 {
        return 0;
    }
    let (f, c) = (&th.frames[n - 1], &th.frames[n - 2]);
    let delta = (packed >> 16) as u16 as u32;
    let floor = if packed & RETG_NO_UPVALS != 0 {
        c.base
    } else {
        b
    };
    let ok = f.base == b
        && f.kind == crate::object::FrameKind::Lua
        && f.nvarargs == 0
        && f.ret + 1 == f.base
        && f.nresults as i32 + 1 == (packed & RETG_NRES_MASK) as i32
        && c.pc == (packed >> 32) as u32
        && f.base.wrapping_sub(c.base) == delta
        && th.stack.get(c.func as usize).map(|v| v.bits()) == Some(func)
        // SAFETY: live upvalue.
        && th
            .open_upvals
            .last()
            .is_none_or(|u| (*u.as_ptr()).idx < floor as usize);
    if ok {
        th.frames.pop();
    }
    ok as u32
}

/// `a ^ b`.
pub extern "C" fn jit_pow(a: f64, b: f64) -> f64 {
    a.powf(b)
}

/// 64-bit integer `/`, `%` or `^` of the FFI (LuaJIT's rules): `op` 0, 1,
/// 2, plus 3 for `uint64_t`. Division or modulo by zero gives 2^63 (as
/// LuaJIT, signed or not); a negative signed power is 0 unless the base
/// is 1 or -1.
pub extern "C" fn jit_i64_arith(x: i64, y: i64, op: u32) -> i64 {
    fn upow(mut x: u64, mut y: u64) -> u64 {
        let mut r: u64 = 1;
        while y > 0 {
            if y & 1 == 1 {
                r = r.wrapping_mul(x);
            }
            x = x.wrapping_mul(x);
            y >>= 1;
        }
        r
    }
    let (ux, uy) = (x as u64, y as u64);
    match op {
        0 if y == 0 => i64::MIN,
        0 => x.wrapping_div(y),
        1 if y == 0 => i64::MIN,
        1 => x.wrapping_rem(y),
        2 if y < 0 => match x {
            1 => 1,
            -1 => {
                if y & 1 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        },
        2 => upow(ux, uy) as i64,
        3 => ux.checked_div(uy).unwrap_or(1 << 63) as i64,
        4 => ux.checked_rem(uy).unwrap_or(1 << 63) as i64,
        _ => upow(ux, uy) as i64,
    }
}

/// Math functions compiled traces call (index = `FpMath` order of the IR).
pub extern "C" fn jit_fpmath(x: f64, f: u32) -> f64 {
    match f {
        0 => x.floor(),
        1 => x.ceil(),
        2 => x.sqrt(),
        3 => x.abs(),
        4 => x.sin(),
        5 => x.cos(),
        6 => x.tan(),
        7 => x.exp(),
        8 => x.ln(),
        9 => x.log10(),
        10 => x.atan(),
        11 => x.asin(),
        12 => x.acos(),
        _ => f64::NAN,
    }
}

/// Replace instruction `pc` of a prototype (trace entry patching).
pub fn patch_code(p: NonNull<Proto>, pc: usize, ins: u32) {
    // SAFETY: live prototype; the interpreter reads code through a raw
    // pointer, so replacing one instruction in place is seen by it.
    unsafe {
        let code = &mut (*p.as_ptr()).code;
        if let Some(slot) = code.get_mut(pc) {
            *slot = ins;
        }
    }
}

/// Instruction `pc` of a prototype.
pub fn code_at(p: NonNull<Proto>, pc: usize) -> u32 {
    // SAFETY: live prototype; shared access only.
    let pr = unsafe { &*p.as_ptr() };
    pr.code.get(pc).copied().unwrap_or(0)
}

/// Index in `Vm::hotcount` of the counter of instruction `pc` of a
/// prototype (the interpreter hashes the instruction's address).
pub fn hotcount_slot(p: NonNull<Proto>, pc: usize) -> usize {
    // SAFETY: live prototype; shared access only.
    let pr = unsafe { &*p.as_ptr() };
    crate::state::hotcount_slot(pr.code.as_ptr().wrapping_add(pc), pc == 0)
}

thread_local! {
    /// While a trace runs: the VM running it (address) — the re-entrancy
    /// marker of ARCHITECTURE.md: FFI and the sandwich. 0 when no trace runs on this thread.
    static JIT_BASE: Cell<usize> = const { Cell::new(0) };
}

/// Mark entry into a trace of VM `vm_addr`; returns the previous marker.
#[inline]
pub fn enter_trace(vm_addr: usize) -> usize {
    JIT_BASE.with(|c| c.replace(vm_addr))
}

/// Restore the marker saved by `enter_trace`.
#[inline]
pub fn leave_trace(prev: usize) {
    JIT_BASE.with(|c| c.set(prev));
}

/// The VM whose trace is running on this thread (0 if none).
pub fn jit_base() -> usize {
    JIT_BASE.with(|c| c.get())
}

/// The message of a rejected re-entry (LuaJIT's).
pub const REENTRY_MSG: &str = "Lua VM re-entrancy is detected while executing the trace";

/// What to do when Lua is re-entered while a trace of the same VM runs
/// (`jit.opt.start("sandwich=panic|error|exit")`, ARCHITECTURE.md: FFI and the sandwich).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Sandwich {
    /// Report to the panic function and exit with status 1 (LuaJIT's way).
    #[default]
    Panic,
    /// Raise the message as a Lua error through the C frames and the trace.
    Error,
    /// Run the nested call in the interpreter; the trace is left right after
    /// the foreign call returns and that call site is not compiled again.
    Exit,
}

impl Sandwich {
    pub fn parse(s: &str) -> Option<Sandwich> {
        match s {
            "panic" => Some(Sandwich::Panic),
            "error" => Some(Sandwich::Error),
            "exit" => Some(Sandwich::Exit),
            _ => None,
        }
    }
}

/// A VM entry admitted by `guard_vm_entry`; hand it back to `end_vm_entry`.
#[must_use]
pub enum Entry {
    Plain,
    /// A nested entry under a suspended trace (policy `exit`): the marker
    /// to restore and the collector deferred meanwhile.
    Nested(usize),
}

/// The guarded entry of every API call that can run Lua code (ARCHITECTURE.md: FFI and the sandwich).
/// While a trace of this VM runs on this thread: `Err(msg)` under the
/// `panic` and `error` policies (the caller reports or raises it); under
/// `exit`, the trace is flagged to leave after its foreign call, the marker
/// is lifted and collection deferred until `end_vm_entry`. Otherwise a
/// recording in progress is aborted ("never record across a VM entrance").
pub fn guard_vm_entry(vm: &mut crate::state::Vm) -> Result<Entry, &'static str> {
    if jit_base() == vm as *mut crate::state::Vm as usize {
        if vm.sandwich != Sandwich::Exit {
            return Err(REENTRY_MSG);
        }
        vm.reentered = 1;
        vm.heap.defer += 1;
        return Ok(Entry::Nested(enter_trace(0)));
    }
    if vm.recording {
        if let Some(mut j) = vm.jit.take() {
            j.abort_recording(vm, "re-entry via the C API");
            vm.jit = Some(j);
        }
        vm.recording = false;
    }
    Ok(Entry::Plain)
}

/// Close an entry admitted by `guard_vm_entry`.
pub fn end_vm_entry(vm: &mut crate::state::Vm, e: Entry) {
    if let Entry::Nested(prev) = e {
        vm.heap.defer -= 1;
        leave_trace(prev);
    }
}

/// `t[#alen + 1] = v` (append to the array part, raw), with the heap's
/// accounting. Returns 0, storing nothing, when the table cannot grow
/// (the trace exits and the interpreter stores: collects, retries or
/// raises "not enough memory"), else 1.
///
/// # Safety
/// `vm` is the running VM, `t` a live table, `v` a valid value.
pub unsafe extern "C" fn jit_tappend(vm: *mut crate::state::Vm, t: *mut Table, v: u64) -> u32 {
    let vm = &mut *vm;
    let t = NonNull::new_unchecked(t);
    let k = (*t.as_ptr()).alen as i64 + 1;
    table::set_int(&mut vm.heap, t, k, Value::from_bits(v)).is_ok() as u32
}

/// A new table as TNEW with operand `d` makes it.
///
/// # Safety
/// `vm` is the running VM.
pub unsafe extern "C" fn jit_tnew(vm: *mut crate::state::Vm, d: u32) -> *mut Table {
    let vm = &mut *vm;
    let (na, nh) = table::tnew_sizes(d);
    vm.heap.new_table(na, nh).as_ptr()
}

/// A new suspended coroutine running function `f`, in the running
/// thread's environment (`coroutine.create`, CONEW).
///
/// # Safety
/// `vm` is the running VM; `f` a live function.
pub unsafe extern "C" fn jit_conew(
    vm: *mut crate::state::Vm,
    f: *mut crate::object::Func,
) -> *mut crate::object::Thread {
    let vm = &mut *vm;
    let env = vm.th().env;
    let fv = Value::from_func(NonNull::new_unchecked(f));
    crate::lib_coroutine::new_coroutine(&mut vm.heap, fv, env).as_ptr()
}

/// `coroutine.status(co)` as an index of `lib_coroutine::STATUS_NAMES`
/// (COSTATUS).
///
/// # Safety
/// `vm` is the running VM; `co` a live thread.
pub unsafe extern "C" fn jit_costatus(
    vm: *mut crate::state::Vm,
    co: *mut crate::object::Thread,
) -> u32 {
    crate::lib_coroutine::status_code(&*vm, NonNull::new_unchecked(co))
}

/// A new cdata object of C type `ct` with `size` zeroed payload bytes
/// (CNEW).
///
/// # Safety
/// `vm` is the running VM.
pub unsafe extern "C" fn jit_cnew(
    vm: *mut crate::state::Vm,
    ct: u32,
    size: u32,
) -> *mut crate::object::Cdata {
    (*vm).heap.new_cdata(ct, size as usize).as_ptr()
}

/// A copy of template table `tpl` (TDUP).
///
/// # Safety
/// `vm` is the running VM, `tpl` a live table.
pub unsafe extern "C" fn jit_tdup(vm: *mut crate::state::Vm, tpl: *mut Table) -> *mut Table {
    crate::interp::dup_table(&mut *vm, NonNull::new_unchecked(tpl)).as_ptr()
}

/// Whether a collection is due (traces exit so the interpreter runs it).
///
/// # Safety
/// `vm` is the running VM.
pub unsafe extern "C" fn jit_gc_due(vm: *mut crate::state::Vm) -> u32 {
    (*vm).heap.should_collect() as u32
}

/// Raw `t[k] = v` that may add the key (tables without metatable), with the
/// heap's accounting. Returns 0, storing nothing, for a nil or NaN key or
/// when the table cannot grow (the trace exits; the interpreter stores).
///
/// # Safety
/// `vm` is the running VM, `t` a live table, `k`/`v` valid values.
pub unsafe extern "C" fn jit_tset_new(
    vm: *mut crate::state::Vm,
    t: *mut Table,
    k: u64,
    v: u64,
) -> u32 {
    let vm = &mut *vm;
    match table::set(
        &mut vm.heap,
        NonNull::new_unchecked(t),
        Value::from_bits(k),
        Value::from_bits(v),
    ) {
        Ok(()) => 1,
        Err(_) => 0,
    }
}

/// A sunk table's store when an exit makes the table (raw `t[k] = v`, a
/// constant key): it cannot fail there, so growth past the heap's limit
/// is made anyway and a collection is due (`table::forced`).
///
/// # Safety
/// `vm` is the running VM, `t` a live table, `k`/`v` valid values.
pub unsafe extern "C" fn jit_tset_sunk(vm: *mut crate::state::Vm, t: *mut Table, k: u64, v: u64) {
    let vm = &mut *vm;
    let t = NonNull::new_unchecked(t);
    table::forced(&mut vm.heap, |h| {
        table::set(h, t, Value::from_bits(k), Value::from_bits(v))
    });
}

// ---------------------------------------------------------------------
// Strings in traces (fast functions and CAT). Helpers allocate (intern)
// with the heap's accounting but never collect: the trace checks the
// debt afterwards (GCSTEP). Those that can fail return null, and the
// trace exits to let the interpreter run the operation.

/// The boxed values at `args[0..n]` (spilled by the trace).
///
/// # Safety
/// `args` points to `n` valid values.
unsafe fn arg_values<'a>(args: *const u64, n: u32) -> &'a [Value] {
    std::slice::from_raw_parts(args as *const Value, n as usize)
}

/// One step of gmatch iterator `f` (`lib_string::gmatch_step`), the trace
/// recorded with a match (`want` 1) or the end (0): the boxed capture or
/// nil; false (the trace exits, nothing changed) otherwise.
///
/// # Safety
/// `vm` is the running VM, `f` a live function.
pub unsafe extern "C" fn jit_gmatch(vm: *mut crate::state::Vm, f: *mut Func, want: u32) -> u64 {
    let r = crate::lib_string::gmatch_step(&mut *vm, NonNull::new_unchecked(f), want != 0);
    r.unwrap_or(Value::FALSE).bits()
}

/// `string.match(s, p, init)` recorded as a match giving one string
/// (`lib_string::match_first`): that string, interned; false, changing
/// nothing, for another outcome (no match, several or position captures,
/// an error): the trace exits and the interpreter makes the call.
///
/// # Safety
/// `vm` is the running VM, `s` and `p` live strings.
pub unsafe extern "C" fn jit_smatch(
    vm: *mut crate::state::Vm,
    s: *mut Str,
    p: *mut Str,
    init: f64,
) -> u64 {
    let (s, p) = (
        Str::bytes(NonNull::new_unchecked(s)),
        Str::bytes(NonNull::new_unchecked(p)),
    );
    match crate::lib_string::match_first(s, p, init) {
        Some(Some(b)) => (*vm).heap.intern_value(b).bits(),
        _ => Value::FALSE.bits(),
    }
}

/// `string.match(s, p, init)` recorded as no match: nil when there is
/// none, false otherwise (the trace exits and the interpreter makes the
/// call).
///
/// # Safety
/// `s` and `p` are live strings.
pub unsafe extern "C" fn jit_snomatch(s: *mut Str, p: *mut Str, init: f64) -> u64 {
    let (s, p) = (
        Str::bytes(NonNull::new_unchecked(s)),
        Str::bytes(NonNull::new_unchecked(p)),
    );
    match crate::lib_string::match_first(s, p, init) {
        Some(None) => Value::NIL.bits(),
        _ => Value::FALSE.bits(),
    }
}

/// `string.gsub(s, p, repl)` with string `repl` (no Lua code runs), its
/// result interned; null, changing nothing, on an error (a malformed
/// pattern or replacement, memory): the trace exits and the interpreter
/// makes the call and raises. The collector is deferred meanwhile.
///
/// # Safety
/// `vm` is the running VM, `s`, `p` and `repl` live strings.
pub unsafe extern "C" fn jit_sgsub(
    vm: *mut crate::state::Vm,
    s: *mut Str,
    p: *mut Str,
    repl: *mut Str,
) -> *mut Str {
    let vm = &mut *vm;
    let v = |x: *mut Str| Value::from_str(NonNull::new_unchecked(x));
    vm.heap.defer += 1;
    let r = crate::lib_string::gsub_str(vm, v(s), v(p), v(repl));
    vm.heap.defer -= 1;
    match r.and_then(|r| r.as_str_ptr()) {
        Some(p) => p.as_ptr(),
        None => std::ptr::null_mut(),
    }
}

/// `string.sub(s, i, j)` with numbers `i`, `j` (as the library converts
/// them), interned.
///
/// # Safety
/// `vm` is the running VM, `s` a live string.
pub unsafe extern "C" fn jit_ssub(
    vm: *mut crate::state::Vm,
    s: *mut Str,
    i: f64,
    j: f64,
) -> *mut Str {
    let b = Str::bytes(NonNull::new_unchecked(s));
    let (i, j) = sub_range(b.len(), i, j);
    (*vm).heap.intern(&b[i..j]).as_ptr()
}

/// The byte range `string.sub(s, i, j)` takes of a string of `len`
/// bytes (empty: `i == j`).
fn sub_range(len: usize, i: f64, j: f64) -> (usize, usize) {
    let l = len as i64;
    let rel = |p: i64| if p < 0 { l + p + 1 } else { p };
    let i = rel(crate::state::num_to_int(i)).max(1);
    let j = rel(crate::state::num_to_int(j)).min(l);
    if i > j {
        (0, 0)
    } else {
        (i as usize - 1, j as usize)
    }
}

/// `#string.sub(s, i, j)`.
///
/// # Safety
/// `s` is a live string.
pub unsafe extern "C" fn jit_sublen(s: *mut Str, i: f64, j: f64) -> i32 {
    let (i, j) = sub_range((*s).len, i, j);
    (j - i) as i32
}

/// `string.rep(s, n)`, interned; null (the trace exits) when the result
/// would be longer than `MAX_REP` bytes.
///
/// # Safety
/// `vm` is the running VM, `s` a live string.
pub unsafe extern "C" fn jit_srep(vm: *mut crate::state::Vm, s: *mut Str, n: f64) -> *mut Str {
    const MAX_REP: usize = 1 << 24;
    let b = Str::bytes(NonNull::new_unchecked(s));
    let n = crate::state::num_to_int(n).max(0) as usize;
    if b.len().saturating_mul(n) > MAX_REP {
        return std::ptr::null_mut();
    }
    built(b.len() * n, |out| {
        // One copy, then doubling what is there.
        if out.is_empty() {
            return;
        }
        out[..b.len()].copy_from_slice(b);
        let mut done = b.len();
        while done < out.len() {
            let k = done.min(out.len() - done);
            out.copy_within(0..k, done);
            done += k;
        }
    })
    .with(|r| (*vm).heap.intern(r))
    .as_ptr()
}

/// A string of `len` bytes that `fill` writes, on the stack when short
/// (the helpers' results are usually found already interned: no
/// allocation then).
fn built(len: usize, fill: impl FnOnce(&mut [u8])) -> Built {
    let mut b = if len <= SHORT {
        Built::Short([0; SHORT], len)
    } else {
        Built::Long(vec![0; len])
    };
    fill(b.bytes_mut());
    b
}

const SHORT: usize = 128;

enum Built {
    Short([u8; SHORT], usize),
    Long(Vec<u8>),
}

impl Built {
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Built::Short(a, n) => &mut a[..*n],
            Built::Long(v) => v,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Built::Short(a, n) => f(&a[..*n]),
            Built::Long(v) => f(v),
        }
    }
}

/// `string.lower(s)` (`upper` 0) or `string.upper(s)` (1), interned.
///
/// # Safety
/// `vm` is the running VM, `s` a live string.
pub unsafe extern "C" fn jit_scase(vm: *mut crate::state::Vm, s: *mut Str, upper: u32) -> *mut Str {
    let b = Str::bytes(NonNull::new_unchecked(s));
    built(b.len(), |out| {
        out.copy_from_slice(b);
        if upper != 0 {
            out.make_ascii_uppercase()
        } else {
            out.make_ascii_lowercase()
        }
    })
    .with(|r| (*vm).heap.intern(r))
    .as_ptr()
}

/// `string.find(s, p, init, plain)` as the library computes it, packed:
/// `start << 32 | end` (1-based) for a match, 0 for none, -1 when the
/// result is not two positions (captures, or a malformed pattern: the
/// trace exits and the interpreter finds again).
///
/// # Safety
/// `s` and `p` are live strings.
pub unsafe extern "C" fn jit_sfind(s: *mut Str, p: *mut Str, init: f64, plain: u32) -> i64 {
    let (s, p) = (
        Str::bytes(NonNull::new_unchecked(s)),
        Str::bytes(NonNull::new_unchecked(p)),
    );
    use crate::lib_string::{find_positions, Found};
    match find_positions(s, p, crate::state::num_to_int(init), plain != 0) {
        Found::At(b, e) => ((b as i64) << 32) | e as i64,
        Found::None => 0,
        Found::Other => -1,
    }
}

/// Concatenation of `n` strings and numbers (numbers formatted as
/// `tostring` does), interned.
///
/// # Safety
/// `vm` is the running VM; `args` holds `n` strings or numbers.
pub unsafe extern "C" fn jit_cat(vm: *mut crate::state::Vm, args: *const u64, n: u32) -> *mut Str {
    let vals = arg_values(args, n);
    let need = crate::interp_meta::concat_len(vals);
    if (*vm).heap.concat_too_big(need) {
        // Past the heap's limit: the interpreter redoes it and raises.
        return std::ptr::null_mut();
    }
    let vm = &mut *vm;
    let mut buf = vm.take_buf();
    buf.reserve(need);
    for &v in vals {
        if let Some(x) = v.as_num() {
            crate::number::push_num(&mut buf, x);
        } else {
            buf.extend_from_slice(crate::object::str_bytes(v));
        }
    }
    vm.intern_buf(buf).payload() as *mut Str
}

/// `string.char` of `n` numbers; null when one is not a byte.
///
/// # Safety
/// `vm` is the running VM; `args` holds `n` numbers.
pub unsafe extern "C" fn jit_schar(
    vm: *mut crate::state::Vm,
    args: *const u64,
    n: u32,
) -> *mut Str {
    let mut buf = Vec::with_capacity(n as usize);
    for &v in arg_values(args, n) {
        let Some(x) = v.as_num() else {
            return std::ptr::null_mut();
        };
        let c = crate::state::num_to_int(x);
        if !(0..=255).contains(&c) {
            return std::ptr::null_mut();
        }
        buf.push(c as u8);
    }
    (*vm).heap.intern(&buf).as_ptr()
}

/// `tostring(n)` for a number; null when numbers have a `__tostring`
/// metamethod (the interpreter calls it).
///
/// # Safety
/// `vm` is the running VM.
pub unsafe extern "C" fn jit_tostr_num(vm: *mut crate::state::Vm, n: f64) -> *mut Str {
    let vm = &mut *vm;
    let v = Value::num(n);
    if !vm.metamethod(v, crate::state::MM::ToString).is_nil() {
        return std::ptr::null_mut();
    }
    crate::number::with_num_text(n, |b| vm.heap.intern(b)).as_ptr()
}

/// `tonumber(s)` (base 10) of a string: the boxed number or nil.
///
/// # Safety
/// `s` is a live string.
pub unsafe extern "C" fn jit_tonum_str(s: *mut Str) -> u64 {
    let b = Str::bytes(NonNull::new_unchecked(s));
    crate::number::str_to_num(b)
        .map_or(Value::NIL, Value::num)
        .bits()
}

/// 1 when string `a` sorts before string `b` (bytewise, as `<`), else 0.
///
/// # Safety
/// `a` and `b` are live strings.
pub unsafe extern "C" fn jit_str_lt(a: *mut Str, b: *mut Str) -> u32 {
    (Str::bytes(NonNull::new_unchecked(a)) < Str::bytes(NonNull::new_unchecked(b))) as u32
}

/// The type metatable of values with tag `tg` (null if none).
///
/// # Safety
/// `vm` is the running VM.
pub unsafe extern "C" fn jit_type_meta(vm: *mut crate::state::Vm, tg: u32) -> *mut Table {
    (*vm)
        .type_meta
        .get(tg as usize)
        .copied()
        .unwrap_or(std::ptr::null_mut())
}

/// `string.format` of `n` values (the format first) for the subset of
/// `strfmt::format_values`; null otherwise (or when numbers have a
/// `__tostring` metamethod that `%s` would call).
///
/// # Safety
/// `vm` is the running VM; `args` holds `n` valid values, a string first.
pub unsafe extern "C" fn jit_sfmt(vm: *mut crate::state::Vm, args: *const u64, n: u32) -> *mut Str {
    let vm = &mut *vm;
    let vals = arg_values(args, n);
    if vals.is_empty() || !vals[0].is_str() {
        return std::ptr::null_mut();
    }
    if vals[1..].iter().any(|v| v.is_num())
        && !vm
            .metamethod(Value::num(0.0), crate::state::MM::ToString)
            .is_nil()
    {
        return std::ptr::null_mut();
    }
    match crate::strfmt::format_values(crate::object::str_bytes(vals[0]), &vals[1..]) {
        Some(b) => vm.heap.intern(&b).as_ptr(),
        None => std::ptr::null_mut(),
    }
}

/// A new closure of prototype `p` created in closure `parent` (FNEW in a
/// trace), for prototypes whose upvalues all come from `parent`'s.
///
/// # Safety
/// `vm` is the running VM; `parent` and `p` are live, `p` a child of
/// `parent`'s prototype; `base` is the address of register 0 of the
/// frame creating the closure in the running thread's stack (only used
/// for `UvDesc::Local` upvalues: they become open upvalues there).
pub unsafe extern "C" fn jit_fnew(
    vm: *mut crate::state::Vm,
    parent: *mut crate::object::Func,
    p: *mut crate::object::Proto,
    base: *mut u64,
) -> *mut crate::object::Func {
    use crate::object::{Func, GcHeader, GcKind, UvDesc};
    let (desc, env) = (&(*p).uvdesc, (*parent).env);
    let level = stack_level(&mut *vm, base);
    let mut buf = [NonNull::<Upval>::dangling(); crate::interp::UPVAL_BUF];
    let mut big = Vec::new();
    let ups: &mut [NonNull<Upval>] = if desc.len() <= buf.len() {
        &mut buf[..desc.len()]
    } else {
        big.resize(desc.len(), NonNull::dangling());
        &mut big
    };
    for (u, d) in ups.iter_mut().zip(desc.iter()) {
        *u = match *d {
            UvDesc::Upval(i) => (&(*parent).upvals)[i as usize],
            UvDesc::Local(r) => crate::interp::find_upval(&mut *vm, level + r as usize),
        };
    }
    let f = Func {
        hdr: GcHeader::new(GcKind::Func),
        proto: p,
        env,
        native: None,
        name: "?",
        upvals: crate::object::UpvalList::NONE,
        cupvals: Box::new([]),
    };
    (*vm).heap.new_func(f, ups).as_ptr()
}

/// Stack index of slot address `addr` in the running thread (0 for null).
fn stack_level(vm: &mut crate::state::Vm, addr: *mut u64) -> usize {
    let start = vm.th().stack.as_ptr() as usize;
    (addr as usize).saturating_sub(start) / 8
}

/// `UCLOSE`: close the open upvalues at or above slot address `addr`.
///
/// # Safety
/// `vm` is the running VM; `addr` a slot address in its running thread's
/// stack whose open upvalues' slots the trace has stored.
pub unsafe extern "C" fn jit_uclose(vm: *mut crate::state::Vm, addr: *mut u64) {
    let level = stack_level(&mut *vm, addr);
    crate::interp::close_upvals(&mut *vm, level);
}

/// `table.concat(t[, sep])` in a trace: the values are the table and, if
/// `n` is 2, the separator string. Null when an element is not a string or
/// number (the interpreter raises the error).
///
/// # Safety
/// `vm` is the running VM; `args` holds `n` boxed values, a table first.
pub unsafe extern "C" fn jit_tconcat(
    vm: *mut crate::state::Vm,
    args: *const u64,
    n: u32,
) -> *mut Str {
    let vals = arg_values(args, n);
    let Some(t) = vals[0].as_table_ptr() else {
        return std::ptr::null_mut();
    };
    let sep: &[u8] = if n > 1 {
        crate::object::str_bytes(vals[1])
    } else {
        b""
    };
    let len = table::length(t) as i64;
    let vm = &mut *vm;
    let mut out = vm.take_buf();
    for k in 1..=len {
        if !crate::lib_table::concat_piece(&mut out, table::get_int(t, k)) {
            return std::ptr::null_mut();
        }
        if k < len {
            out.extend_from_slice(sep);
        }
    }
    vm.intern_buf(out).payload() as *mut Str
}
