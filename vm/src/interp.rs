//! The bytecode interpreter: one loop per Rust-level entry (`execute`) that
//! runs Lua frames without recursing in Rust for Lua-to-Lua calls, returns,
//! tail calls and `pcall`/`xpcall` of Lua functions, so deep recursion and
//! `coroutine.yield` across Lua frames and `pcall` work. Natives run inline
//! in their own frame; metamethods and natives calling back into Lua recurse
//! through `call_at` with a depth limit ("C stack overflow").
//!
//! Registers are accessed through a raw `base` pointer into the thread's
//! stack for speed: the pointer is refreshed after every operation that can
//! reallocate the stack (anything that calls out). This module and `gc`,
//! `object`, `table` are where the VM's unsafe code lives.
//!
//! The interpreter is split by concern:
//! - `interp` (this file): the dispatch loop `run` (the opcodes' fast
//!   paths) and its entry points, debug hooks, upvalues, closures and
//!   table templates;
//! - `interp_call`: calls and returns (frame push/pop, natives, tail calls,
//!   `pcall`/`xpcall`, catching errors), including the CALL and CALLT
//!   instructions (`call_op`, `tailcall_op`);
//! - `interp_meta`: the slow paths of the operators (coercions,
//!   metamethods, the frames of Lua metamethods) and error messages naming
//!   variables;
//! - `interp_trace`: hot counters' slow path and entering compiled traces.

use crate::bytecode::{self as bc, opc, Op};
use crate::debuginfo;
use crate::error::{LuaError, LuaResult};
use crate::interp_call::{
    call_op, call_plain_native, catch_error, deliver_results, do_return, precall_proto,
    tailcall_op, varg_op, Called, TailCalled,
};
use crate::interp_meta::{
    arith_slow, compare_slow, concat, equal_slow, index_missed, index_slow, length_slow,
    newindex_slow, raw_set_err, unm_slow, Slow,
};
use crate::interp_trace::{enter_trace, hot_or_budget, AfterTrace};
use crate::lib_coroutine::{switch_in, switch_out, yield_in, Switch};
use crate::object::*;
use crate::state::{grow_stack, Vm, MIN_STACK, MM};
use crate::table;
use crate::value::Value;
use std::ptr::NonNull;

pub use crate::interp_call::{
    call_at, error_status, lib_pcall, lib_xpcall, return_from, MAX_FRAMES,
};
pub use crate::interp_meta::{
    equals, fast_floor, index, less_equal, less_than, lua_mod, set_index,
};

// ---------------------------------------------------------------------------
// Upvalues, closures and table templates

/// The open upvalue for stack slot `idx` of the running thread (created if
/// needed).
pub fn find_upval(vm: &mut Vm, idx: usize) -> NonNull<Upval> {
    let th = vm.th();
    // SAFETY: open upvalues are live objects.
    let pos = th
        .open_upvals
        .partition_point(|&u| unsafe { (*u.as_ptr()).idx } < idx);
    if let Some(&u) = th.open_upvals.get(pos) {
        // SAFETY: live upvalue.
        if unsafe { (*u.as_ptr()).idx } == idx {
            return u;
        }
    }
    let v: *mut Value = &mut th.stack[idx];
    let u = vm.heap.new_upval(Upval {
        hdr: GcHeader::new(GcKind::Upval),
        v,
        closed: Value::NIL,
        idx,
    });
    vm.th().open_upvals.insert(pos, u);
    vm.th().sync_upvals();
    u
}

/// Whether the running thread has an open upvalue at or above stack slot
/// `level` (a frame returning or tail-calling from `level` must close it).
#[inline(always)]
pub(crate) fn open_upvals_at(th: &Thread, level: usize) -> bool {
    // SAFETY: open upvalues are live.
    th.open_upvals
        .last()
        .is_some_and(|u| unsafe { (*u.as_ptr()).idx } >= level)
}

/// Close every open upvalue of the running thread at or above `level`.
pub fn close_upvals(vm: &mut Vm, level: usize) {
    let th = vm.th();
    while let Some(&u) = th.open_upvals.last() {
        // SAFETY: live upvalue pointing into this thread's stack.
        unsafe {
            let up = u.as_ptr();
            if (*up).idx < level {
                break;
            }
            (*up).closed = *(*up).v;
            (*up).v = &mut (*up).closed;
            (*up).idx = usize::MAX;
        }
        th.open_upvals.pop();
    }
    th.sync_upvals();
}

/// Copy a template table (TDUP).
pub fn dup_table(vm: &mut Vm, tpl: NonNull<Table>) -> NonNull<Table> {
    table::dup(&mut vm.heap, tpl)
}

/// Create a closure for FNEW.
fn new_closure(vm: &mut Vm, parent: NonNull<Func>, p: NonNull<Proto>, base: usize) -> Value {
    // SAFETY: live prototype and parent closure.
    let (desc, env, puv) = unsafe {
        (
            &(*p.as_ptr()).uvdesc,
            (*parent.as_ptr()).env,
            &(*parent.as_ptr()).upvals,
        )
    };
    // Gathered on the stack (no allocation for the usual count), then
    // copied into the closure's own cell.
    let mut buf = [NonNull::<Upval>::dangling(); UPVAL_BUF];
    let mut big = Vec::new();
    let ups: &mut [NonNull<Upval>] = if desc.len() <= UPVAL_BUF {
        &mut buf[..desc.len()]
    } else {
        big.resize(desc.len(), NonNull::dangling());
        &mut big
    };
    for (u, d) in ups.iter_mut().zip(desc.iter()) {
        *u = match *d {
            UvDesc::Local(r) => find_upval(vm, base + r as usize),
            UvDesc::Upval(i) => puv[i as usize],
        };
    }
    let f = Func {
        hdr: GcHeader::new(GcKind::Func),
        proto: p.as_ptr(),
        env,
        native: None,
        name: "?",
        upvals: UpvalList::NONE,
        cupvals: Box::new([]),
    };
    Value::from_func(vm.heap.new_func(f, ups))
}

/// Upvalues a closure's maker gathers on the stack (`new_closure`,
/// `jitrt::jit_fnew`); a closure with more (the parser allows 60) uses a
/// `Vec`. (Small: the buffer is initialised on every FNEW; 64 entries
/// cost 65 instructions a closure.)
pub(crate) const UPVAL_BUF: usize = 8;

// ---------------------------------------------------------------------------
// Cold paths of the loop's opcodes

/// FORI's operands (at stack slots `ra..ra + 3`) when they are not all
/// numbers: strings convertible to numbers are accepted (and replaced by
/// their numbers), as in luajit; anything else is an error.
#[cold]
#[inline(never)]
fn for_coerce(vm: &mut Vm, ra: usize) -> LuaResult<()> {
    for (off, what) in [(0, "initial value"), (1, "limit"), (2, "step")] {
        let v = vm.th().stack[ra + off];
        if !v.is_num() {
            match vm.tonumber(v) {
                Some(n) if v.is_str() => vm.th().stack[ra + off] = Value::num(n),
                _ => {
                    let msg = format!("'for' {} must be a number", what);
                    return Err(vm.rt_error_at(0, &msg));
                }
            }
        }
    }
    Ok(())
}

/// The error for an opcode the interpreter does not run.
#[cold]
#[inline(never)]
fn bad_bytecode(vm: &mut Vm, ins: u32) -> LuaError {
    let name = bc::OP_NAMES
        .get(bc::op(ins) as usize)
        .copied()
        .unwrap_or("?");
    vm.rt_error_at(0, &format!("bad bytecode {}", name))
}

// ---------------------------------------------------------------------------
// The interpreter loop

/// Where a yielded coroutine continues: deliver `vm.transfer` as the results
/// of the call that yielded, then run until the coroutine's base frame
/// returns.
pub fn resume_yielded(vm: &mut Vm) -> LuaResult<usize> {
    let th = vm.th();
    let Some(fr) = th.frames.pop() else {
        return Err(vm.rt_error("cannot resume non-suspended coroutine"));
    };
    // The yield's frame: its resume values become its results.
    let func = fr.func as usize;
    let n = vm.transfer.len();
    if func + n + MIN_STACK > vm.th().stack.len() {
        grow_stack(&mut vm.heap, vm.cur, func + n + MIN_STACK);
    }
    let dst = &mut vm.th().stack[func..func + n];
    if n <= 4 {
        // The usual one or two values: no general memory copy.
        for (d, s) in dst.iter_mut().zip(&vm.transfer) {
            *d = *s;
        }
    } else {
        dst.copy_from_slice(&vm.transfer);
    }
    let count = deliver_results(vm, &fr, func, n);
    if vm.th().frames.is_empty() {
        // `return coroutine.yield(...)` in the coroutine's main function.
        return Ok(count);
    }
    vm.th().nccalls += 1;
    let r = execute(vm, 0, count);
    vm.th().nccalls -= 1;
    r
}

/// Run Lua frames until the frame at index `stop` returns; its results are
/// left at its return slot and their number returned.
///
/// Coroutines resumed by `CALL`/`ITERC` instructions of these frames run
/// in this loop too (`lib_coroutine::switch_in`, no Rust recursion):
/// `sw` holds them, the newest running; their base frame is frame 0 of
/// their thread. When one yields, returns or fails, the loop goes on in
/// the thread that resumed it (`switch_out`).
pub fn execute(vm: &mut Vm, stop: usize, multres0: usize) -> LuaResult<usize> {
    let mut multres = multres0;
    let mut sw: Vec<Switch> = Vec::new();
    loop {
        let r = if vm.hook_mask != 0 || vm.recording {
            run::<true>(vm, stop, multres, &mut sw)
        } else {
            run::<false>(vm, stop, multres, &mut sw)
        };
        let r = match r {
            Ok(Run::Switch(m)) => {
                multres = m;
                continue;
            }
            Ok(Run::Done(n)) if sw.is_empty() => return Ok(n),
            Err(e) if sw.is_empty() => return Err(e),
            Ok(Run::Done(n)) => Ok(n),
            Err(e) => Err(e),
        };
        // The running coroutine returned, yielded or failed: back in its
        // resumer, where a `wrap` function's error is raised.
        let mut out = switch_out(vm, &mut sw, r);
        multres = loop {
            match out {
                Ok(m) => break m,
                Err(e) => {
                    let s = if sw.is_empty() { stop } else { 0 };
                    match catch_error(vm, e, s) {
                        Ok(n) => break n,
                        Err(e) if sw.is_empty() => return Err(e),
                        Err(e) => out = switch_out(vm, &mut sw, Err(e)),
                    }
                }
            }
        };
    }
}

/// Whether `v` is `coroutine.resume` or a `coroutine.wrap` function (1)
/// or `coroutine.yield` (2): a call the loop may make by switching
/// coroutines itself; else 0.
#[inline(always)]
fn switch_kind(v: Value) -> u8 {
    use crate::fastfunc::ffid;
    match v.as_func_ptr() {
        Some(f) => {
            // SAFETY: live function object.
            match unsafe { (*f.as_ptr()).hdr.flags } {
                ffid::WRAP_AUX | ffid::RESUME => 1,
                ffid::YIELD => 2,
                _ => 0,
            }
        }
        None => 0,
    }
}

/// `s[k]` for a string `s` when its metatable's `__index` is a table
/// holding `k` (the string library): else None (the slow path decides).
#[inline]
fn str_index(vm: &Vm, s: Value, k: Value) -> Option<Value> {
    let m = NonNull::new(vm.type_meta[s.tag() as usize])?;
    // (A raw read: an absent `__index` is nil here too, without the
    // negative cache's bookkeeping.)
    let ix = table::get_str(m, vm.mm_names[MM::Index as usize]).as_table_ptr()?;
    let v = if k.is_str() {
        table::get_str(ix, k)
    } else {
        table::get(ix, k)
    };
    (!v.is_nil()).then_some(v)
}

/// How `run` ended: the entry frame returned, or debug hooks were switched
/// on or off and the loop must continue in the other variant.
enum Run {
    Done(usize),
    Switch(usize),
}

/// Call the debug hook with an event name and optional line.
#[cold]
pub(crate) fn call_hook(vm: &mut Vm, event: &[u8], line: Option<u32>) -> LuaResult<()> {
    let Some(h) = vm.hook else { return Ok(()) };
    if vm.in_hook {
        return Ok(());
    }
    vm.in_hook = true;
    let ev = vm.intern(event);
    let l = line.map_or(Value::NIL, |l| Value::num(l as f64));
    let r = vm.call_values(h, &[ev, l]);
    vm.in_hook = false;
    r.map(|_| ())
}

/// Where the line hook last ran in the current frame.
struct LineHook {
    lastpc: usize,
    lastline: u32,
}

/// Before instruction `pc` of frame `fi` (running `p`, registers below
/// `top`) in the hooked loop: call the count and line hooks when due.
#[inline(never)]
fn run_hooks(
    vm: &mut Vm,
    p: &Proto,
    fi: usize,
    pc: usize,
    top: usize,
    lines: &mut LineHook,
) -> LuaResult<()> {
    // Hooks see this instruction as the current one.
    let th = vm.th();
    th.frames[fi].pc = pc as u32 + 1;
    th.top = top;
    let mut r = Ok(());
    if vm.hook_mask & crate::lib_debug::HOOK_COUNT != 0 {
        vm.hook_left = vm.hook_left.saturating_sub(1);
        if vm.hook_left == 0 {
            vm.hook_left = vm.hook_count;
            if vm.recording {
                // The hook's own code (and whatever it changes) must not
                // become part of a trace.
                if let Some(mut j) = vm.jit.take() {
                    j.abort_recording(vm, "count hook called");
                    vm.jit = Some(j);
                }
                vm.recording = false;
            }
            r = call_hook(vm, b"count", None);
        }
    }
    if r.is_ok() && vm.hook_mask & crate::lib_debug::HOOK_LINE != 0 && pc > 0 {
        let line = debuginfo::line_at(p, pc);
        if line != lines.lastline || pc <= lines.lastpc {
            r = call_hook(vm, b"line", Some(line));
        }
        lines.lastline = line;
    }
    lines.lastpc = pc;
    r
}

/// The interpreter loop; `HOOK` is the variant that runs debug hooks.
fn run<const HOOK: bool>(
    vm: &mut Vm,
    stop: usize,
    multres0: usize,
    sw: &mut Vec<Switch>,
) -> LuaResult<Run> {
    // `stop0`: the frame ending this loop's own activation; `stop`: the
    // frame ending the running thread's (0 in a coroutine it resumed).
    let stop0 = stop;
    let mut stop = if sw.is_empty() { stop } else { 0 };
    let mut multres: usize = multres0;
    'frame: loop {
        let th = vm.th();
        let mut fi = th.frames.len() - 1;
        // SAFETY: `fi` is the top frame; its function slot is inside the
        // stack.
        // (Only the fields needed here, not a copy of the frame.)
        let (ffunc, fbase, fpc) = unsafe {
            let fr = th.frames.get_unchecked(fi);
            (fr.func as usize, fr.base as usize, fr.pc as usize)
        };
        let fv = unsafe { *th.stack.get_unchecked(ffunc) };
        debug_assert!(fv.as_func_ptr().is_some(), "Lua frame");
        // SAFETY: the function slot of a Lua frame holds its closure.
        let cl = unsafe { NonNull::new_unchecked(fv.payload() as *mut Func) };
        // SAFETY (whole loop): `cl` is the live closure of the top frame and
        // its proto is immutable; `base` points at register 0 of this frame
        // inside the thread's stack, which always has at least
        // `framesize + MIN_STACK` slots above base (precall_lua ensures it),
        // and is refreshed after every operation that may reallocate the
        // stack; bytecode operands were produced by our compiler, so
        // register, constant, upvalue and proto indices are in range.
        unsafe {
            // (Set again by CALL when it enters a Lua function without
            // passing through this head.)
            let mut clr = &*cl.as_ptr();
            let mut p = &*clr.proto;
            let mut code = p.code.as_ptr();
            let mut kb = p.k.as_ptr();
            let mut fs = p.framesize as usize;
            let mut bidx = fbase;
            // The next instruction (its index: `pcx!()`).
            let mut ip: *const u32 = code.add(fpc);
            let mut base: *mut Value = th.stack.as_mut_ptr().add(bidx);

            macro_rules! r {
                ($i:expr) => {
                    *base.add($i as usize)
                };
            }
            macro_rules! kv {
                ($i:expr) => {
                    *kb.add($i as usize)
                };
            }
            // Enter the Lua frame `fi` (already set) of closure `$clr` with
            // registers from `$bidx` of thread `$th`'s stack, at instruction
            // `$ip`: the state the frame head loads, set by CALL and RET
            // without it.
            macro_rules! set_frame {
                ($th:expr, $clr:expr, $bidx:expr, $ip:expr) => {{
                    bidx = $bidx;
                    clr = $clr;
                    p = &*clr.proto;
                    code = p.code.as_ptr();
                    kb = p.k.as_ptr();
                    fs = p.framesize as usize;
                    ip = $ip;
                    base = $th.stack.as_mut_ptr().add(bidx);
                }};
            }
            macro_rules! refresh {
                () => {
                    base = vm.th().stack.as_mut_ptr().add(bidx)
                };
            }
            // The index of the next instruction.
            macro_rules! pcx {
                () => {
                    ip.offset_from(code) as usize
                };
            }
            // Make pc and top visible to anything that may call out.
            macro_rules! savepc {
                () => {{
                    let th = vm.th();
                    th.frames[fi].pc = pcx!() as u32;
                    th.top = bidx + fs;
                }};
            }
            macro_rules! throw {
                ($e:expr) => {{
                    let e: LuaError = $e;
                    match catch_error(vm, e, stop) {
                        Ok(n) => {
                            multres = n;
                            continue 'frame;
                        }
                        Err(e) => return Err(e),
                    }
                }};
            }
            macro_rules! protect {
                ($e:expr) => {{
                    savepc!();
                    let r = $e;
                    refresh!();
                    match r {
                        Ok(v) => v,
                        Err(e) => throw!(e),
                    }
                }};
            }
            macro_rules! jump {
                ($ins:expr) => {
                    ip = ip.offset(bc::jump($ins) as isize)
                };
            }
            // Comparison followed by a JMP: take it when `cond` holds.
            macro_rules! cond_jump {
                ($cond:expr) => {{
                    if $cond {
                        let j = *ip;
                        ip = ip.add(1);
                        jump!(j);
                    } else {
                        ip = ip.add(1);
                    }
                }};
            }
            macro_rules! gc_step {
                () => {
                    if vm.heap.should_collect() {
                        protect!(vm.full_gc());
                    }
                };
            }
            // The outcome of a slow path that may push a Lua metamethod's
            // frame (`interp_meta::Slow`): its value, or on to that frame.
            macro_rules! slow {
                ($e:expr) => {
                    match protect!($e) {
                        Slow::Done(v) => v,
                        Slow::Frame => continue 'frame,
                    }
                };
            }
            // `A = B[key]`: a raw lookup with `$get`, the metamethod path
            // only when it finds nil in a table with a metatable (or B is
            // not a table).
            macro_rules! tget {
                ($ins:expr, $key:expr, $get:path) => {{
                    let ins: u32 = $ins;
                    let o = r!(bc::b(ins));
                    let k: Value = $key;
                    let fast = match o.as_table_ptr() {
                        Some(t) => {
                            let v = $get(t, k);
                            if v.is_nil() {
                                index_missed(vm, t, k, $get)
                            } else {
                                Some(v)
                            }
                        }
                        // A string's method (`s:byte`): the string
                        // library's table, directly.
                        None if o.is_str() => str_index(vm, o, k),
                        None => None,
                    };
                    match fast {
                        Some(v) => r!(bc::a(ins)) = v,
                        None => {
                            let (a, b) = (bc::a(ins) as usize, bc::b(ins) as usize);
                            let v =
                                slow!(index_slow(vm, o, k, (pcx!() - 1, b), bidx + fs, bidx + a));
                            r!(a) = v;
                            // A native `__index` (e.g. the FFI's) may allocate.
                            gc_step!();
                        }
                    }
                }};
            }
            // `B[key] = A` when the raw store into an existing slot failed.
            macro_rules! tset_slow {
                ($ins:expr, $o:expr, $k:expr, $v:expr) => {{
                    let reg = (pcx!() - 1, bc::b($ins) as usize);
                    slow!(newindex_slow(vm, $o, $k, $v, reg, bidx + fs))
                }};
            }
            // Run fast function `$id` on the `$nargs` values above register
            // `$a` inline (`fastcall.rs`), its result into `$a`: whether it
            // ran (else the native must be called). It may have made a
            // string: a collection may follow.
            macro_rules! fast_inline {
                ($id:expr, $a:expr, $nargs:expr) => {{
                    let id: u8 = $id;
                    let a: usize = $a;
                    let args = std::slice::from_raw_parts(base.add(a + 1), $nargs);
                    match crate::fastcall::is_inline(id)
                        .then(|| crate::fastcall::call(vm, id, args))
                        .flatten()
                    {
                        Some(v) => {
                            r!(a) = v;
                            gc_step!();
                            true
                        }
                        None => false,
                    }
                }};
            }
            // Count down the hot counter of the loop/function instruction at
            // `$at` (a pointer into `code`; `$entry`: the function's entry);
            // at zero, call the JIT hook (and charge the budget).
            macro_rules! hotcount {
                ($at:expr, $entry:expr) => {{
                    let at_ip: *const u32 = $at;
                    let slot = crate::state::hotcount_slot(at_ip, $entry);
                    // (`hotcount_slot` is below `HOTCOUNT_SIZE`.)
                    let c = vm.hotcount.get_unchecked_mut(slot);
                    *c = c.wrapping_sub(1);
                    if *c == 0 {
                        // With a budget, count every back edge and call.
                        *c = if vm.instr_limit.is_some() {
                            1
                        } else {
                            vm.hotloop
                        };
                        let was_recording = vm.recording;
                        let at = at_ip.offset_from(code) as usize;
                        protect!(hot_or_budget(vm, clr.proto, at));
                        if vm.recording && !was_recording {
                            // A recording starts at the hot instruction:
                            // re-run it so that it is recorded first (in the
                            // hooked variant, which records).
                            if !HOOK {
                                vm.th().frames[fi].pc = at as u32;
                                return Ok(Run::Switch(multres));
                            }
                            ip = at_ip;
                            continue;
                        }
                    }
                }};
            }
            // Run trace `$id` from a J* instruction (not while a recording
            // or hooks other than the count hook run: traces poll that
            // one); on return continue where its exit says. Falls through
            // when the trace cannot run here.
            macro_rules! enter_trace {
                ($id:expr) => {
                    enter_trace!($id, {})
                };
                // `$not_entered` runs when the trace was not entered (its
                // closure or frames below did not match).
                ($id:expr, $not_entered:block) => {{
                    let id: u32 = $id;
                    if HOOK && vm.hook_mask == 0 && !vm.recording {
                        // A recording just ended here (the instruction was
                        // patched to its J form): enter the new trace at
                        // once, as LuaJIT does, from the plain loop.
                        vm.th().frames[fi].pc = (pcx!() - 1) as u32;
                        return Ok(Run::Switch(multres));
                    }
                    if !HOOK || (vm.hook_mask == crate::lib_debug::HOOK_COUNT && !vm.recording) {
                        savepc!();
                        let r =
                            enter_trace(vm, id, fi, bidx, pcx!(), NonNull::from(clr), &mut multres);
                        refresh!();
                        match r {
                            Ok(AfterTrace::Original) => {}
                            Ok(AfterTrace::NotEntered) => $not_entered,
                            Ok(AfterTrace::At(npc)) => {
                                ip = code.add(npc);
                                continue;
                            }
                            Ok(AfterTrace::Frame) => continue 'frame,
                            Ok(AfterTrace::Record) => return Ok(Run::Switch(multres)),
                            Err(e) => throw!(e),
                        }
                    }
                }};
            }
            // The numeric `for` init of FORI-like instruction `$ins`.
            macro_rules! fori {
                ($ins:expr) => {{
                    let ins: u32 = $ins;
                    let a = bc::a(ins) as usize;
                    if !(r!(a).is_num() && r!(a + 1).is_num() && r!(a + 2).is_num()) {
                        protect!(for_coerce(vm, bidx + a));
                    }
                    let i = r!(a);
                    let (iv, lv, sv) = (
                        i.num_unchecked(),
                        r!(a + 1).num_unchecked(),
                        r!(a + 2).num_unchecked(),
                    );
                    let go = if sv >= 0.0 { iv <= lv } else { iv >= lv };
                    if go {
                        r!(a + 3) = i;
                    } else {
                        jump!(ins);
                    }
                }};
            }
            // The numeric `for` step of FORL-like instruction `$ins`.
            macro_rules! forl_step {
                ($ins:expr) => {{
                    let ins: u32 = $ins;
                    let a = bc::a(ins) as usize;
                    let s = r!(a + 2).num_unchecked();
                    let i = r!(a).num_unchecked() + s;
                    let l = r!(a + 1).num_unchecked();
                    let go = if s >= 0.0 { i <= l } else { i >= l };
                    if go {
                        r!(a) = Value::num_arith(i);
                        r!(a + 3) = Value::num_arith(i);
                        jump!(ins);
                    }
                }};
            }
            // Arithmetic by operand form: VN (register, constant), NV
            // (constant, register), VV (registers); PW is POW. The
            // metamethod of the slow path comes from the bytecode table.
            macro_rules! arith {
                ($ins:expr, VN, $op:expr) => {
                    arith!(@go $ins, r!(bc::b($ins)), kv!(bc::c($ins)), $op, num_arith,
                        Some(bc::b($ins) as usize), None)
                };
                ($ins:expr, NV, $op:expr) => {
                    arith!(@go $ins, kv!(bc::c($ins)), r!(bc::b($ins)), $op, num_arith,
                        None, Some(bc::b($ins) as usize))
                };
                ($ins:expr, VV, $op:expr) => {
                    arith!(@go $ins, r!(bc::b($ins)), r!(bc::c($ins)), $op, num_arith,
                        Some(bc::b($ins) as usize), Some(bc::c($ins) as usize))
                };
                ($ins:expr, PW, $op:expr) => {
                    arith!(@go $ins, r!(bc::b($ins)), r!(bc::c($ins)), $op, num,
                        Some(bc::b($ins) as usize), Some(bc::c($ins) as usize))
                };
                (@go $ins:expr, $x:expr, $y:expr, $op:expr, $mk:ident, $rb:expr, $rc:expr) => {{
                    let (x, y): (Value, Value) = ($x, $y);
                    let a = bc::a($ins);
                    if x.is_num() && y.is_num() {
                        r!(a) = Value::$mk($op(x.num_unchecked(), y.num_unchecked()));
                    } else {
                        let mm = bc::OP_MM[bc::op($ins) as usize].unwrap_or(MM::Add);
                        let (top, ret) = (bidx + fs, bidx + a as usize);
                        let v = slow!(arith_slow(vm, mm, x, y, (pcx!() - 1, $rb, $rc), top, ret));
                        r!(a) = v;
                        gc_step!();
                    }
                }};
            }

            // Return the `$n` values from register `$a` (RET*): the return
            // hook, then the usual return inline, else `do_return`.
            macro_rules! ret {
                ($a:expr, $n:expr) => {{
                    let (a, n): (usize, usize) = ($a, $n);
                    if HOOK && vm.hook_mask & crate::lib_debug::HOOK_RET != 0 {
                        savepc!();
                        // (RETM's results may reach above the frame:
                        // the hook's call goes above them.)
                        let th = vm.th();
                        th.top = th.top.max(bidx + a + n);
                        let r = call_hook(vm, b"return", None);
                        refresh!();
                        if let Err(e) = r {
                            throw!(e);
                        }
                    }
                    // The usual return: a Lua frame (not pcall's nor a
                    // metamethod's) with no open upvalue to close;
                    // `do_return` does the rest.
                    let th = vm.th();
                    let fr = *th.frames.get_unchecked(fi);
                    let no_upvals = !open_upvals_at(th, bidx);
                    if fr.kind == FrameKind::Lua && no_upvals {
                        th.frames.truncate(fi);
                        let (ret, want) = (fr.ret as usize, fr.nresults as usize);
                        let sp = th.stack.as_mut_ptr();
                        // (`ret` < `bidx`: a forward copy; the caller's
                        // frame holds its `want` results.)
                        if fr.nresults < 0 {
                            // All of them (`f(g())`, `return g()`): the
                            // caller's multres.
                            for i in 0..n {
                                *sp.add(ret + i) = r!(a + i);
                            }
                            th.top = ret + n;
                        } else if want == 1 {
                            // (The usual case, without loops.)
                            *sp.add(ret) = if n > 0 { r!(a) } else { Value::NIL };
                            th.top = ret + 1;
                        } else {
                            for i in 0..n.min(want) {
                                *sp.add(ret + i) = r!(a + i);
                            }
                            for i in n..want {
                                *sp.add(ret + i) = Value::NIL;
                            }
                            th.top = ret + want;
                        }
                        if fi == stop {
                            return Ok(Run::Done(n));
                        }
                        multres = n;
                        if !HOOK && fr.link != 0 {
                            // Called by a CALL of the frame below: its
                            // state, as the frame head would load it, but
                            // its next instruction known at once (`link`).
                            fi -= 1;
                            let cf = th.frames.get_unchecked(fi);
                            let fv = *th.stack.get_unchecked(cf.func as usize);
                            debug_assert!(fv.is_func(), "Lua frame");
                            set_frame!(
                                th,
                                &*(fv.payload() as *const Func),
                                cf.base as usize,
                                fr.link as *const u32
                            );
                            debug_assert_eq!(fr.link, crate::object::call_link(p, cf.pc));
                            continue;
                        }
                        continue 'frame;
                    }
                    if matches!(fr.kind, FrameKind::Pcall | FrameKind::Xpcall)
                        && fr.nresults >= 1
                        && no_upvals
                    {
                        // A protected call's return: `true`, then the
                        // results, as `deliver_results` does.
                        th.frames.truncate(fi);
                        let (ret, want) = (fr.ret as usize, fr.nresults as usize);
                        let sp = th.stack.as_mut_ptr();
                        *sp.add(ret) = Value::TRUE;
                        // (`ret + 1` < `bidx`: a forward copy.)
                        for i in 0..n.min(want - 1) {
                            *sp.add(ret + 1 + i) = r!(a + i);
                        }
                        for i in (n + 1).min(want)..want {
                            *sp.add(ret + i) = Value::NIL;
                        }
                        th.top = ret + want;
                        if fi == stop {
                            return Ok(Run::Done(n + 1));
                        }
                        multres = n + 1;
                        continue 'frame;
                    }
                    let count = do_return(vm, bidx + a, n);
                    if fi == stop {
                        return Ok(Run::Done(count));
                    }
                    multres = count;
                    continue 'frame;
                }};
            }

            // Call the function in register `$a` with the `$nargs` values
            // above it (CALL, CALLM, ITERC; B - 1 results wanted): a Lua
            // function's frame, a fast function inline, a coroutine switch,
            // else `call_op`.
            macro_rules! call {
                ($ins:expr, $a:expr, $nargs:expr) => {{
                    let (ins, a, nargs): (u32, usize, usize) = ($ins, $a, $nargs);
                    let nres = bc::b(ins) as i32 - 1;
                    let func = bidx + a;
                    // A plain native, called directly (not `call_op`).
                    let mut plain: Option<NativeFn> = None;
                    if !HOOK {
                        if let Some(f) = r!(a).as_func_ptr() {
                            let fo = &*f.as_ptr();
                            if fo.native.is_none() {
                                // A Lua function: its frame, and on.
                                let th = vm.th();
                                th.frames.get_unchecked_mut(fi).pc = pcx!() as u32;
                                th.top = func + 1 + nargs;
                                let link = ip as u64;
                                let k = FrameKind::Lua;
                                let fp = &*fo.proto;
                                match precall_proto(vm, fp, func, nargs, nres, k, func, link) {
                                    Ok(nbase) => {
                                        // The callee's state, without the
                                        // frame head's reloads.
                                        fi += 1;
                                        set_frame!(vm.th(), fo, nbase, fp.code.as_ptr());
                                        continue;
                                    }
                                    Err(e) => throw!(e),
                                }
                            }
                            // A fast function `fastcall` runs: its one
                            // result, no frame.
                            if fast_inline!(fo.hdr.flags, a, nargs) {
                                for i in 1..nres.max(1) as usize {
                                    r!(a + i) = Value::NIL;
                                }
                                multres = 1;
                                vm.th().top = func + nres.max(1) as usize;
                                continue;
                            }
                            if crate::fastcall::is_plain(fo.hdr.flags) {
                                plain = fo.native;
                            }
                        }
                    }
                    let th = vm.th();
                    th.frames.get_unchecked_mut(fi).pc = pcx!() as u32;
                    th.top = func + 1 + nargs;
                    match if HOOK || plain.is_some() {
                        0
                    } else {
                        switch_kind(r!(a))
                    } {
                        0 => {}
                        // A coroutine resumed in this loop.
                        1 => match switch_in(vm, func, nargs, nres, sw) {
                            Ok(Some(m)) => {
                                multres = m;
                                stop = 0;
                                continue 'frame;
                            }
                            Ok(None) => {}
                            Err(e) => return Err(e),
                        },
                        // A yield back to a resumer in this loop.
                        _ => {
                            if let Some(r) = yield_in(vm, func, nargs, nres, sw) {
                                stop = if sw.is_empty() { stop0 } else { 0 };
                                match r {
                                    Ok(m) => {
                                        multres = m;
                                        continue 'frame;
                                    }
                                    Err(e) => throw!(e),
                                }
                            }
                        }
                    }
                    // (`ip` points into this prototype's code: the
                    // instruction after the call, at most its end.)
                    let link = ip as u64;
                    let called = match plain {
                        Some(nf) => call_plain_native(vm, func, nargs, nres, nf),
                        None => call_op(vm, func, nargs, nres, (pcx!() - 1, a), link),
                    };
                    match called {
                        Ok(Called::Frame) => continue 'frame,
                        Ok(Called::Pcall(n)) => {
                            multres = n;
                            refresh!();
                        }
                        Ok(Called::Native(n)) => {
                            multres = n;
                            refresh!();
                            if vm.heap.should_collect() {
                                // All results stay roots, also those a
                                // MULTRES consumer takes from above the
                                // frame (`f(unpack(t))`).
                                savepc!();
                                let th = vm.th();
                                th.top = th.top.max(func + multres);
                                let r = vm.full_gc();
                                refresh!();
                                if let Err(e) = r {
                                    throw!(e);
                                }
                            }
                            if !HOOK && (vm.hook_mask != 0 || vm.recording) {
                                savepc!();
                                return Ok(Run::Switch(multres));
                            }
                        }
                        // A native's yield leaves the coroutine (its
                        // frame stays for `resume_yielded`).
                        Err(e) if e.is_yield() => return Err(e),
                        Err(e) => throw!(e),
                    }
                }};
            }

            // ISLT & co.: numbers compared by `$cmp`, else the slow path
            // (strings, metamethods); the following JMP taken on true.
            macro_rules! compare {
                ($ins:expr, $cmp:expr) => {{
                    let ins: u32 = $ins;
                    let x = r!(bc::a(ins));
                    let y = r!(bc::d(ins));
                    let res = if x.is_num() && y.is_num() {
                        let cmp: fn(f64, f64) -> bool = $cmp;
                        cmp(x.num_unchecked(), y.num_unchecked())
                    } else {
                        slow!(compare_slow(vm, bc::op(ins), x, y, bidx + fs))
                    };
                    cond_jump!(res);
                }};
            }

            let mut lines = LineHook {
                lastpc: fpc,
                lastline: if HOOK && fpc > 0 {
                    debuginfo::line_at(p, fpc - 1)
                } else {
                    u32::MAX
                },
            };
            loop {
                if HOOK {
                    if vm.hook_mask == 0 && !vm.recording {
                        vm.th().frames[fi].pc = pcx!() as u32;
                        return Ok(Run::Switch(multres));
                    }
                    // (Above the frame: the values a MULTRES producer
                    // left for this instruction, if it takes them, which
                    // the hook's call must not overwrite.)
                    let above = match bc::op(*ip) {
                        opc::CALLM | opc::CALLMT | opc::RETM | opc::TSETM => multres,
                        _ => 0,
                    };
                    let r = run_hooks(vm, p, fi, pcx!(), bidx + fs + above, &mut lines);
                    refresh!();
                    if let Err(e) = r {
                        throw!(e);
                    }
                    if vm.recording {
                        // (`jit.attach` handlers run between instructions,
                        // the frame saved by `run_hooks`: `vmevent.rs`.)
                        vm.deliver_vmevents();
                        if let Some(mut j) = vm.jit.take() {
                            j.record(vm, fi, pcx!());
                            vm.jit = Some(j);
                        }
                        if !vm.recording {
                            vm.deliver_vmevents();
                        }
                        refresh!();
                    }
                }
                let ins = *ip;
                ip = ip.add(1);
                // Every opcode is an `Op`: the compiler emits only those,
                // `bcdump::verify` rejects others in loaded chunks, and the
                // JIT patches in J* forms of the table. Matching on the
                // enum lets the compiler check that every opcode has its
                // arm and drops the jump table's range check.
                match Op::from_u8_unchecked(bc::op(ins)) {
                    // `!(x < y)` is intended: comparisons with NaN are false.
                    Op::ISLT => compare!(ins, |x, y| x < y),
                    #[allow(clippy::neg_cmp_op_on_partial_ord)]
                    Op::ISGE => compare!(ins, |x, y| !(x < y)),
                    Op::ISLE => compare!(ins, |x, y| x <= y),
                    #[allow(clippy::neg_cmp_op_on_partial_ord)]
                    Op::ISGT => compare!(ins, |x, y| !(x <= y)),
                    Op::ISEQV | Op::ISNEV => {
                        let x = r!(bc::a(ins));
                        let y = r!(bc::d(ins));
                        let eq = if x.bits() == y.bits() && !x.is_num() {
                            true
                        } else if x.is_num() && y.is_num() {
                            x.num_unchecked() == y.num_unchecked()
                        } else if (x.tag() == y.tag()
                            && (x.is_table() || x.as_udata_ptr().is_some()))
                            || x.is_cdata()
                            || y.is_cdata()
                        {
                            let jump_if = bc::op(ins) == opc::ISEQV;
                            slow!(equal_slow(vm, x, y, jump_if, bidx + fs))
                        } else {
                            false
                        };
                        cond_jump!(eq == (bc::op(ins) == opc::ISEQV));
                    }
                    Op::ISEQS | Op::ISNES => {
                        let eq = r!(bc::a(ins)).bits() == kv!(bc::d(ins)).bits();
                        cond_jump!(eq == (bc::op(ins) == opc::ISEQS));
                    }
                    Op::ISEQN | Op::ISNEN => {
                        let x = r!(bc::a(ins));
                        let eq = if x.is_num() {
                            x.num_unchecked() == kv!(bc::d(ins)).num_unchecked()
                        } else if x.is_cdata() {
                            protect!(equals(vm, x, kv!(bc::d(ins))))
                        } else {
                            false
                        };
                        cond_jump!(eq == (bc::op(ins) == opc::ISEQN));
                    }
                    Op::ISEQP | Op::ISNEP => {
                        let pri = [Value::NIL, Value::FALSE, Value::TRUE][bc::d(ins) as usize];
                        let x = r!(bc::a(ins));
                        let eq = if x.is_cdata() {
                            protect!(equals(vm, x, pri))
                        } else {
                            x.bits() == pri.bits()
                        };
                        cond_jump!(eq == (bc::op(ins) == opc::ISEQP));
                    }
                    Op::ISTC => {
                        let v = r!(bc::d(ins));
                        if v.truthy() {
                            r!(bc::a(ins)) = v;
                        }
                        cond_jump!(v.truthy());
                    }
                    Op::ISFC => {
                        let v = r!(bc::d(ins));
                        if !v.truthy() {
                            r!(bc::a(ins)) = v;
                        }
                        cond_jump!(!v.truthy());
                    }
                    Op::IST => cond_jump!(r!(bc::d(ins)).truthy()),
                    Op::ISF => cond_jump!(!r!(bc::d(ins)).truthy()),
                    Op::MOV => r!(bc::a(ins)) = r!(bc::d(ins)),
                    Op::NOT => r!(bc::a(ins)) = Value::bool(!r!(bc::d(ins)).truthy()),
                    Op::UNM => {
                        let v = r!(bc::d(ins));
                        let res = if v.is_num() {
                            Value::num_arith(-v.num_unchecked())
                        } else {
                            let reg = Some((pcx!() - 1, bc::d(ins) as usize));
                            let (top, ret) = (bidx + fs, bidx + bc::a(ins) as usize);
                            slow!(unm_slow(vm, v, reg, top, ret))
                        };
                        r!(bc::a(ins)) = res;
                    }
                    Op::LEN => {
                        let v = r!(bc::d(ins));
                        let res = if let Some(t) = v.as_table_ptr() {
                            Value::num(table::length(t) as f64)
                        } else if let Some(s) = v.as_str_ptr() {
                            Value::num((*s.as_ptr()).len as f64)
                        } else {
                            protect!(length_slow(vm, v, Some((pcx!() - 1, bc::d(ins) as usize))))
                        };
                        r!(bc::a(ins)) = res;
                    }
                    Op::ADDVN => arith!(ins, VN, |x, y| x + y),
                    Op::SUBVN => arith!(ins, VN, |x, y| x - y),
                    Op::MULVN => arith!(ins, VN, |x, y| x * y),
                    Op::DIVVN => arith!(ins, VN, |x, y| x / y),
                    Op::MODVN => arith!(ins, VN, lua_mod),
                    Op::ADDNV => arith!(ins, NV, |x, y| x + y),
                    Op::SUBNV => arith!(ins, NV, |x, y| x - y),
                    Op::MULNV => arith!(ins, NV, |x, y| x * y),
                    Op::DIVNV => arith!(ins, NV, |x, y| x / y),
                    Op::MODNV => arith!(ins, NV, lua_mod),
                    Op::ADDVV => arith!(ins, VV, |x, y| x + y),
                    Op::SUBVV => arith!(ins, VV, |x, y| x - y),
                    Op::MULVV => arith!(ins, VV, |x, y| x * y),
                    Op::DIVVV => arith!(ins, VV, |x, y| x / y),
                    Op::MODVV => arith!(ins, VV, lua_mod),
                    Op::POW => arith!(ins, PW, f64::powf),
                    Op::CAT => {
                        let (b, c) = (bc::b(ins) as usize, bc::c(ins) as usize);
                        let v = protect!(concat(vm, bidx + b, bidx + c, Some((pcx!() - 1, bidx))));
                        r!(bc::a(ins)) = v;
                        gc_step!();
                    }
                    Op::KSTR | Op::KNUM | Op::KCDATA => r!(bc::a(ins)) = kv!(bc::d(ins)),
                    Op::KSHORT => r!(bc::a(ins)) = Value::num(bc::d(ins) as u16 as i16 as f64),
                    Op::KPRI => {
                        r!(bc::a(ins)) =
                            [Value::NIL, Value::FALSE, Value::TRUE][bc::d(ins) as usize]
                    }
                    Op::KNIL => {
                        for i in bc::a(ins)..=bc::d(ins) {
                            r!(i) = Value::NIL;
                        }
                    }
                    Op::UGET => {
                        let u = *clr.upvals.get_unchecked(bc::d(ins) as usize);
                        r!(bc::a(ins)) = *(*u.as_ptr()).v;
                    }
                    Op::USETV | Op::USETS | Op::USETN | Op::USETP => {
                        let v = match bc::op(ins) {
                            opc::USETV => r!(bc::d(ins)),
                            opc::USETP => {
                                [Value::NIL, Value::FALSE, Value::TRUE][bc::d(ins) as usize]
                            }
                            _ => kv!(bc::d(ins)),
                        };
                        let u = *clr.upvals.get_unchecked(bc::a(ins) as usize);
                        *(*u.as_ptr()).v = v;
                        vm.heap.barrier_upval(u, v);
                    }
                    Op::UCLO => {
                        close_upvals(vm, bidx + bc::a(ins) as usize);
                        jump!(ins);
                    }
                    Op::FNEW => {
                        let child = p.protos[bc::d(ins) as usize];
                        let f = new_closure(vm, NonNull::from(clr), child, bidx);
                        r!(bc::a(ins)) = f;
                        gc_step!();
                    }
                    Op::TNEW => {
                        let (na, nh) = table::tnew_sizes(bc::d(ins));
                        let t = vm.heap.new_table(na, nh);
                        r!(bc::a(ins)) = Value::from_table(t);
                        gc_step!();
                    }
                    Op::TDUP => {
                        let tpl = kv!(bc::d(ins)).as_table_ptr().unwrap();
                        let t = dup_table(vm, tpl);
                        r!(bc::a(ins)) = Value::from_table(t);
                        gc_step!();
                    }
                    Op::GGET => {
                        let env = NonNull::new_unchecked(clr.env);
                        let k = kv!(bc::d(ins));
                        let mut v = table::get_str(env, k);
                        if v.is_nil() && table::meta(env).is_some() {
                            v = protect!(index(vm, Value::from_table(env), k));
                        }
                        r!(bc::a(ins)) = v;
                    }
                    Op::GSET => {
                        let env = NonNull::new_unchecked(clr.env);
                        let k = kv!(bc::d(ins));
                        let v = r!(bc::a(ins));
                        if table::meta(env).is_none() {
                            protect!(raw_set_err(vm, env, k, v));
                        } else {
                            protect!(set_index(vm, Value::from_table(env), k, v));
                        }
                    }
                    Op::TGETV => {
                        // An array slot inline; else the general lookup.
                        let (o, k) = (r!(bc::b(ins)), r!(bc::c(ins)));
                        let fast = match o.as_table_ptr() {
                            Some(t) if k.is_num() => table::get_arr_num(t, k.num_unchecked()),
                            _ => None,
                        };
                        match fast {
                            Some(v) => r!(bc::a(ins)) = v,
                            None => tget!(ins, k, table::get),
                        }
                    }
                    Op::TGETS => tget!(ins, kv!(bc::c(ins)), table::get_str),
                    Op::TGETB => {
                        let (o, c) = (r!(bc::b(ins)), bc::c(ins) as f64);
                        let fast = o.as_table_ptr().and_then(|t| table::get_arr_num(t, c));
                        match fast {
                            Some(v) => r!(bc::a(ins)) = v,
                            None => tget!(ins, Value::num(c), table::get),
                        }
                    }
                    Op::TSETS => {
                        let o = r!(bc::b(ins));
                        let k = kv!(bc::c(ins));
                        let v = r!(bc::a(ins));
                        match o.as_table_ptr() {
                            Some(t) if table::set_str_fast(t, k, v) => {
                                vm.heap.barrier_back(t);
                            }
                            _ => tset_slow!(ins, o, k, v),
                        }
                    }
                    Op::TSETV | Op::TSETB => {
                        let o = r!(bc::b(ins));
                        let k = if bc::op(ins) == opc::TSETV {
                            r!(bc::c(ins))
                        } else {
                            Value::num(bc::c(ins) as f64)
                        };
                        let v = r!(bc::a(ins));
                        match o.as_table_ptr() {
                            Some(t) if k.is_num() && table::set_arr_fast(t, k, v) => {
                                vm.heap.barrier_back(t);
                            }
                            _ => tset_slow!(ins, o, k, v),
                        }
                    }
                    Op::TSETM => {
                        let a = bc::a(ins) as usize;
                        let t = r!(a - 1).as_table_ptr().unwrap();
                        let start = kv!(bc::d(ins)).num_unchecked() as i64;
                        let n = multres;
                        for i in 0..n {
                            let k = Value::num((start + i as i64) as f64);
                            let v = r!(a + i);
                            if table::set(&mut vm.heap, t, k, v).is_err() {
                                // The table cannot grow: collect (the
                                // values, maybe above the frame's
                                // registers, stay roots) and retry once,
                                // or raise "not enough memory".
                                savepc!();
                                let th = vm.th();
                                th.top = th.top.max(bidx + a + n);
                                let r = vm.set_collecting(t, k, v);
                                refresh!();
                                if let Err(e) = r {
                                    throw!(e);
                                }
                            }
                        }
                    }
                    Op::CALL => call!(ins, bc::a(ins) as usize, bc::c(ins) as usize - 1),
                    Op::CALLM => call!(ins, bc::a(ins) as usize, bc::c(ins) as usize + multres),
                    Op::ITERC => {
                        let a = bc::a(ins) as usize;
                        r!(a) = r!(a - 3);
                        r!(a + 1) = r!(a - 2);
                        r!(a + 2) = r!(a - 1);
                        call!(ins, a, 2)
                    }
                    Op::CALLT | Op::CALLMT => {
                        let a = bc::a(ins) as usize;
                        let nargs = if bc::op(ins) == opc::CALLT {
                            bc::d(ins) as usize - 1
                        } else {
                            bc::d(ins) as usize + multres
                        };
                        let func = bidx + a;
                        if !HOOK {
                            if let Some(f) = r!(a).as_func_ptr() {
                                let fo = &*f.as_ptr();
                                let th = vm.th();
                                if fo.native.is_none() && !open_upvals_at(th, bidx) {
                                    // A Lua function: it and its arguments
                                    // move down to this frame's function
                                    // slot, and its frame replaces this one
                                    // (as `tailcall_op`).
                                    let fr = *th.frames.get_unchecked(fi);
                                    let dst = fr.func as usize;
                                    let sp = th.stack.as_mut_ptr();
                                    // (`dst` < `func`: a forward copy.)
                                    for i in 0..nargs + 1 {
                                        *sp.add(dst + i) = *sp.add(func + i);
                                    }
                                    th.frames.truncate(fi);
                                    th.top = dst + 1 + nargs;
                                    let (nres, kind) = (fr.nresults as i32, fr.kind);
                                    let (ret, link) = (fr.ret as usize, fr.link);
                                    let fp = &*fo.proto;
                                    match precall_proto(vm, fp, dst, nargs, nres, kind, ret, link) {
                                        Ok(_) => continue 'frame,
                                        Err(e) => throw!(e),
                                    }
                                }
                                // `return setmetatable(...)`, `return
                                // math.floor(x)`: the fast function inline,
                                // then this frame returns its one result.
                                if fast_inline!(fo.hdr.flags, a, nargs) {
                                    ret!(a, 1);
                                }
                            }
                        }
                        let th = vm.th();
                        th.frames[fi].pc = pcx!() as u32;
                        th.top = func + 1 + nargs;
                        match tailcall_op(vm, fi, func, nargs, (pcx!() - 1, a)) {
                            Ok(TailCalled::Frame) => continue 'frame,
                            Ok(TailCalled::Returned(count)) => {
                                if fi == stop {
                                    return Ok(Run::Done(count));
                                }
                                multres = count;
                                continue 'frame;
                            }
                            Err(e) if e.is_yield() => return Err(e),
                            Err(e) => throw!(e),
                        }
                    }
                    Op::VARG => {
                        let (a, want) = (bc::a(ins) as usize, bc::b(ins) as i32 - 1);
                        let nvar = vm.th().frames.get_unchecked(fi).nvarargs as usize;
                        if let Some(n) = protect!(varg_op(vm, bidx, a, nvar, want)) {
                            multres = n;
                        }
                    }
                    Op::RET1 => ret!(bc::a(ins) as usize, 1),
                    Op::RET0 => ret!(bc::a(ins) as usize, 0),
                    Op::RET => ret!(bc::a(ins) as usize, bc::d(ins) as usize - 1),
                    Op::RETM => ret!(bc::a(ins) as usize, bc::d(ins) as usize + multres),
                    Op::JRET => {
                        // A down-recursion trace starts at this return;
                        // not entered (or exited right here), the
                        // original return runs.
                        enter_trace!(bc::d(ins));
                        let ins = vm.trace_original(bc::d(ins));
                        let a = bc::a(ins) as usize;
                        match bc::op(ins) {
                            opc::RETM => ret!(a, bc::d(ins) as usize + multres),
                            opc::RET => ret!(a, bc::d(ins) as usize - 1),
                            opc::RET0 => ret!(a, 0),
                            _ => ret!(a, 1),
                        }
                    }
                    Op::FORI => fori!(ins),
                    Op::JFORI => {
                        // The loop has a trace (at its JFORL): enter it one
                        // step before the start when that is exact, so the
                        // first iteration runs compiled too.
                        let a = bc::a(ins) as usize;
                        // SAFETY: a FORI's target is just past its FORL.
                        let forl = *ip.offset(bc::jump(ins) as isize - 1);
                        let (i, l, st) = (r!(a), r!(a + 1), r!(a + 2));
                        if (!HOOK
                            || (vm.hook_mask == crate::lib_debug::HOOK_COUNT && !vm.recording))
                            && bc::op(forl) == opc::JFORL
                            && i.is_num()
                            && l.is_num()
                            && st.is_num()
                        {
                            let (iv, lv, sv) =
                                (i.num_unchecked(), l.num_unchecked(), st.num_unchecked());
                            let prev = iv - sv;
                            let go = if sv >= 0.0 { iv <= lv } else { iv >= lv };
                            if go && (prev + sv).to_bits() == iv.to_bits() {
                                r!(a) = Value::num(prev);
                                enter_trace!(bc::d(forl), {
                                    r!(a) = i;
                                });
                                // An exit back at this instruction left its
                                // slots as they were before it: run it as FORI.
                            }
                        }
                        fori!(ins);
                    }
                    Op::FORL => {
                        // Counted before the step: a recording starts here.
                        hotcount!(ip.sub(1), false);
                        forl_step!(ins);
                    }
                    Op::IFORL => forl_step!(ins),
                    Op::JFORL => {
                        let id = bc::d(ins);
                        enter_trace!(id);
                        let orig = vm.trace_original(id);
                        forl_step!(orig);
                    }
                    Op::JITERL => {
                        let id = bc::d(ins);
                        enter_trace!(id);
                        // Not entered: the original ITERL.
                        let orig = vm.trace_original(id);
                        let a = bc::a(orig) as usize;
                        let v = r!(a);
                        if !v.is_nil() {
                            r!(a - 1) = v;
                            jump!(orig);
                        }
                    }
                    Op::ITERL | Op::IITERL => {
                        let a = bc::a(ins) as usize;
                        let v = r!(a);
                        if !v.is_nil() {
                            r!(a - 1) = v;
                            let at = ip.sub(1);
                            jump!(ins);
                            if bc::op(ins) == opc::ITERL {
                                hotcount!(at, false);
                            }
                        }
                    }
                    Op::LOOP => hotcount!(ip.sub(1), false),
                    Op::JLOOP => enter_trace!(bc::d(ins)),
                    Op::ILOOP => {}
                    Op::JMP => jump!(ins),
                    Op::FUNCF | Op::FUNCV => {
                        if HOOK && vm.hook_mask & crate::lib_debug::HOOK_CALL != 0 {
                            protect!(call_hook(vm, b"call", None));
                        }
                        hotcount!(ip.sub(1), true)
                    }
                    Op::IFUNCF | Op::IFUNCV => {}
                    Op::JFUNCF => {
                        // A function-entry trace (recursion): entered like
                        // a loop's; not entered, the body runs as FUNCF's.
                        if HOOK && vm.hook_mask & crate::lib_debug::HOOK_CALL != 0 {
                            protect!(call_hook(vm, b"call", None));
                        }
                        enter_trace!(bc::d(ins));
                    }
                    // (Nothing makes JFUNCV yet.)
                    Op::JFUNCV => {
                        savepc!();
                        throw!(bad_bytecode(vm, ins));
                    }
                }
            }
        }
    }
}
