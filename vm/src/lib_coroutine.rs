//! The `coroutine` library: create, resume, yield, status, wrap, running,
//! isyieldable. Each coroutine is a `Thread` with its own stack; resume
//! runs it in a nested interpreter loop and yield unwinds back to resume
//! (ARCHITECTURE.md: `vm` modules).

use crate::error::{LuaError, LuaResult};
use crate::fastfunc::ffid;
use crate::gc::Heap;
use crate::object::*;
use crate::state::Vm;
use crate::value::Value;
use std::ptr::NonNull;

pub fn open(vm: &mut Vm) {
    vm.register_lib(
        "coroutine",
        &[
            ("create", create),
            ("resume", resume),
            ("yield", yield_),
            ("status", status),
            ("wrap", wrap),
            ("running", running),
            ("isyieldable", isyieldable),
        ],
    );
    // The interpreter recognises `yield` (it must stay on top of a tail
    // calling frame so that resume can deliver the values there).
    let co = vm.get_global("coroutine");
    crate::fastfunc::tag(vm, "coroutine", co);
    crate::builtin_id::note_fn("aux", "wrap_aux", wrap_aux);
}

fn thread<'a>(t: NonNull<Thread>) -> &'a mut Thread {
    // SAFETY: live thread object; the VM is single-threaded.
    unsafe { &mut *t.as_ptr() }
}

/// A new suspended coroutine running `f`.
pub fn new_coroutine(heap: &mut Heap, f: Value, env: *mut Table) -> NonNull<Thread> {
    let mut stack = vec![Value::NIL; 64];
    stack[0] = f;
    heap.new_thread(Thread::new(stack, 1, 8, CoStatus::Suspended, env))
}

fn create(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let env = vm.th().env;
    let co = new_coroutine(&mut vm.heap, f, env);
    vm.push(Value::from_thread(co));
    Ok(1)
}

/// Resume `co` with the values in `vm.transfer`. Ok: the values yielded or
/// returned are left in `vm.transfer`; Err: the error value (the coroutine
/// is then dead). The transfer buffer is reused to avoid allocations.
pub fn resume_thread(vm: &mut Vm, co: NonNull<Thread>) -> Result<(), Value> {
    let c = thread(co);
    match c.status {
        CoStatus::Suspended => {}
        CoStatus::Dead => return Err(vm.intern(b"cannot resume dead coroutine")),
        // LuaJIT says "running" for the normal (resuming) ones too.
        _ => return Err(vm.intern(b"cannot resume running coroutine")),
    }
    let prev = vm.cur;
    thread(prev).status = CoStatus::Normal;
    c.status = CoStatus::Running;
    vm.cur = co;
    let fresh = c.frames.is_empty();
    let r = if fresh {
        let nargs = vm.transfer.len();
        let need = 1 + nargs + crate::state::MIN_STACK;
        if c.stack.len() < need {
            crate::state::grow_stack(&mut vm.heap, co, need);
        }
        let c = thread(co);
        copy_small(&mut c.stack[1..1 + nargs], &vm.transfer);
        c.top = 1 + nargs;
        vm.call_at(0, nargs, -1)
    } else {
        crate::interp::resume_yielded(vm)
    };
    resume_end(vm, prev, r)
}

/// The end of a resume of the running coroutine by `prev`, which runs
/// again: the coroutine returned `n` results (left at its slot 0),
/// yielded (the values in `vm.transfer`) or failed. Ok: the values it
/// yielded or returned are in `vm.transfer`; Err: the error value.
fn resume_end(vm: &mut Vm, prev: NonNull<Thread>, r: LuaResult<usize>) -> Result<(), Value> {
    let co = vm.cur;
    vm.cur = prev;
    thread(prev).status = CoStatus::Running;
    let c = thread(co);
    match r {
        Ok(n) => {
            c.status = CoStatus::Dead;
            fill_transfer(&mut vm.transfer, &c.stack[0..n]);
            c.top = 0;
            Ok(())
        }
        Err(e) if e.is_yield() => {
            c.status = CoStatus::Suspended;
            Ok(())
        }
        Err(e) => {
            c.status = CoStatus::Dead;
            Err(e.value)
        }
    }
}

/// A coroutine the interpreter loop resumed itself (`switch_in`), with no
/// nested `execute`: the thread that resumed it waits in the native frame
/// of the `coroutine.resume` or `wrap` function it called at stack slot
/// `func`, wanting `nres` results. `interp::execute` keeps these and ends
/// them (`switch_out`) when the coroutine yields, returns or fails.
pub(crate) struct Switch {
    from: NonNull<Thread>,
    func: usize,
    nres: i32,
    wrap: bool,
}

/// How many coroutines the interpreter loops resume in place inside each
/// other (`Vm::switches`) before they fall back to nested resumes (whose
/// Rust recursion ends in "C stack overflow").
const MAX_SWITCHES: usize = 100;

/// `CALL`/`ITERC` at `func` (with `nargs` arguments, wanting `nres`
/// results) of `coroutine.resume` or a `coroutine.wrap` function, made by
/// the interpreter loop (frames saved, top set after the arguments):
/// switch to the coroutine when it is suspended and nothing needs the
/// native path (debug hooks, a recording, an error), doing what
/// `resume_thread` does before it runs the coroutine. Returns the
/// multiple-result count the coroutine continues with (`vm.cur` is now
/// the coroutine, `sw` has the switch), or None: not switched, the call
/// is made as any native call. An error is the coroutine's own (raised
/// at its entry), to be ended by `switch_out`.
pub(crate) fn switch_in(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nres: i32,
    sw: &mut Vec<Switch>,
) -> LuaResult<Option<usize>> {
    let th = vm.th();
    let Some(f) = th.stack[func].as_func_ptr() else {
        return Ok(None);
    };
    // SAFETY: live function object; shared access only.
    let fo = unsafe { &*f.as_ptr() };
    let wrap = fo.hdr.flags == ffid::WRAP_AUX;
    if (!wrap && fo.hdr.flags != ffid::RESUME)
        || vm.hook_mask != 0
        || vm.recording
        || vm.switches >= MAX_SWITCHES
    {
        return Ok(None);
    }
    let top = func + 1 + nargs;
    let (cv, first) = if wrap {
        (fo.cupvals.first().copied(), func + 1)
    } else {
        (th.stack[..top].get(func + 1).copied(), func + 2)
    };
    let Some(co) = cv.and_then(|v| v.as_thread_ptr()) else {
        return Ok(None);
    };
    let c = thread(co);
    if c.status != CoStatus::Suspended
        || th.frames.len() >= vm.max_frames()
        || top + crate::state::MIN_STACK > th.stack.len()
    {
        return Ok(None);
    }
    let fresh = c.frames.is_empty();
    if fresh {
        // A Lua function (natives take the nested path).
        match c.stack[0].as_func_ptr() {
            // SAFETY: live function object.
            Some(cf) if unsafe { (*cf.as_ptr()).native.is_none() } => {}
            _ => return Ok(None),
        }
    } else if c.frames.len() < 2 {
        // `return coroutine.yield(...)` in its main function: resuming
        // ends it at once (the nested path).
        return Ok(None);
    }
    let n = top - first;
    // The native's frame, as `call_native_as` pushes it.
    th.frames
        .push(Frame::native(func, nres, FrameKind::Native, func));
    th.top = top;
    th.status = CoStatus::Normal;
    c.status = CoStatus::Running;
    sw.push(Switch {
        from: vm.cur,
        func,
        nres,
        wrap,
    });
    vm.cur = co;
    vm.switches += 1;
    // The arguments move from the resumer's stack to the coroutine's.
    let args = &th.stack[first..top];
    if fresh {
        // As `call_at(0, n, -1)`: a Lua frame at slot 0, run until it
        // returns.
        let need = 1 + n + crate::state::MIN_STACK;
        if c.stack.len() < need {
            crate::state::grow_stack(&mut vm.heap, co, need);
        }
        let c = thread(co);
        copy_small(&mut c.stack[1..1 + n], args);
        c.top = 1 + n;
        c.nccalls += 1;
        crate::interp_call::precall_lua(vm, 0, n, -1, FrameKind::Lua, 0, 0)?;
        return Ok(Some(0));
    }
    // As `resume_yielded`: the yield's frame takes the values as results.
    let fr = c.frames.pop().expect("yield frame");
    let yf = fr.func as usize;
    if yf + n + crate::state::MIN_STACK > c.stack.len() {
        crate::state::grow_stack(&mut vm.heap, co, yf + n + crate::state::MIN_STACK);
    }
    let c = thread(co);
    copy_small(&mut c.stack[yf..], args);
    c.nccalls += 1;
    if fr.kind == FrameKind::Native && fr.ret == fr.func {
        // (What `deliver_results` does when the values already are at
        // the return slot: `yield_in`'s frames.)
        match usize::try_from(fr.nresults) {
            Ok(want) => {
                if want > n {
                    c.stack[yf + n..yf + want].fill(Value::NIL);
                }
                c.top = yf + want;
            }
            Err(_) => c.top = yf + n,
        }
        return Ok(Some(n));
    }
    Ok(Some(crate::interp_call::deliver_results(vm, &fr, yf, n)))
}

/// `CALL`/`ITERC` at `func` of `coroutine.yield` (`nargs` values, `nres`
/// results wanted) in the coroutine of the newest switch of `sw`, made by
/// the interpreter loop (frames saved, top set after the arguments):
/// leave the coroutine as `yield_` and `switch_out` would, when it may
/// yield, moving the values straight to the resumer's stack. Returns the
/// multiple-result count the resumer continues with at its saved pc, or
/// None: the call is made as any native call. An error (of a collection
/// due) is raised in the resumer.
pub(crate) fn yield_in(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nres: i32,
    sw: &mut Vec<Switch>,
) -> Option<LuaResult<usize>> {
    let co = vm.cur;
    let c = thread(co);
    let s = sw.last()?;
    let top = func + 1 + nargs;
    if c.nccalls > 1 || vm.hook_mask != 0 || vm.recording || c.frames.len() >= vm.max_frames() {
        return None;
    }
    let r = thread(s.from);
    let k = usize::from(!s.wrap);
    let n = nargs + k;
    if top + crate::state::MIN_STACK > c.stack.len()
        || s.func + n.max(s.nres.max(0) as usize) + crate::state::MIN_STACK > r.stack.len()
    {
        return None;
    }
    let s = sw.pop().expect("a coroutine switch");
    // The yield's frame stays on the coroutine (as `call_native_as` and
    // `yield_` leave it for the next resume).
    c.frames
        .push(Frame::native(func, nres, FrameKind::Native, func));
    c.top = top;
    c.nccalls -= 1;
    c.status = CoStatus::Suspended;
    vm.switches -= 1;
    vm.cur = s.from;
    r.status = CoStatus::Running;
    // The native's results (`true` first for `resume`) at its slot, its
    // frame gone, adjusted as `call_op` does (the stack has room for
    // them: checked above).
    if !s.wrap {
        r.stack[s.func] = Value::TRUE;
    }
    copy_small(&mut r.stack[s.func + k..], &c.stack[func + 1..top]);
    r.frames.pop();
    let m = match usize::try_from(s.nres) {
        Ok(want) => {
            if want > n {
                r.stack[s.func + n..s.func + want].fill(Value::NIL);
            }
            want
        }
        Err(_) => n,
    };
    r.top = s.func + m;
    if vm.heap.should_collect() {
        if let Err(e) = vm.full_gc() {
            return Some(Err(e));
        }
    }
    Some(Ok(m))
}

/// End the newest switch of `sw`: the coroutine returned (its `n`
/// results at its slot 0), yielded or failed (`r`). Back in the thread
/// that resumed it, the native's results are delivered as `call_op` does
/// (a collection runs if one is due); returns their count, the
/// multiple-result count the resumer continues with at its saved pc. An
/// error (a `wrap` function's, or of the collection) is raised in the
/// resumer, the native's frame still on it.
pub(crate) fn switch_out(
    vm: &mut Vm,
    sw: &mut Vec<Switch>,
    r: LuaResult<usize>,
) -> LuaResult<usize> {
    let s = sw.pop().expect("a coroutine switch");
    vm.switches -= 1;
    vm.th().nccalls -= 1;
    let res = resume_end(vm, s.from, r);
    let n = if s.wrap {
        wrap_results(vm, res)?
    } else {
        resume_results(vm, res)?
    };
    // `call_native_as`' end: the results move down to the function slot.
    let th = vm.th();
    th.frames.pop();
    let top = th.top;
    let n = n.min(top - (s.func + 1));
    for i in 0..n {
        th.stack[s.func + i] = th.stack[top - n + i];
    }
    th.top = s.func + n;
    let m = crate::interp_call::adjust_results(vm, s.func, n, s.nres);
    if vm.heap.should_collect() {
        let th = vm.th();
        th.top = th.top.max(s.func + m);
        vm.full_gc()?;
    }
    Ok(m)
}

/// `dst = src` for the few values a switch usually moves, without the
/// call of a general memory copy.
/// (`dst` may be longer: its first `src.len()` values are replaced.)
#[inline(always)]
fn copy_small(dst: &mut [Value], src: &[Value]) {
    let dst = &mut dst[..src.len()];
    if src.len() <= 4 {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    } else {
        dst.copy_from_slice(src);
    }
}

/// Replace the transfer buffer's values by `src`.
#[inline(always)]
fn fill_transfer(transfer: &mut Vec<Value>, src: &[Value]) {
    transfer.clear();
    if src.len() <= 4 {
        for &v in src {
            transfer.push(v);
        }
    } else {
        transfer.extend_from_slice(src);
    }
}

/// Copy arguments `first..=nargs` of the running native into `vm.transfer`.
#[inline(always)]
fn args_to_transfer(vm: &mut Vm, first: usize) {
    let th = vm.th();
    let fr = th.frames.last().expect("native frame");
    let lo = (fr.base as usize + first - 1).min(th.top);
    fill_transfer(&mut vm.transfer, &th.stack[lo..th.top]);
}

/// Push the values in `vm.transfer`; returns how many.
#[inline(always)]
fn push_transfer(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.transfer.len();
    vm.ensure_stack(n + 1)?;
    let th = vm.th();
    copy_small(&mut th.stack[th.top..th.top + n], &vm.transfer);
    th.top += n;
    Ok(n)
}

fn check_co(vm: &mut Vm, i: usize) -> LuaResult<NonNull<Thread>> {
    match vm.arg(i).as_thread_ptr() {
        Some(t) => Ok(t),
        None => Err(vm.arg_error(i, "coroutine expected")),
    }
}

fn resume(vm: &mut Vm) -> LuaResult<usize> {
    let co = check_co(vm, 1)?;
    args_to_transfer(vm, 2);
    let r = resume_thread(vm, co);
    resume_results(vm, r)
}

/// `coroutine.resume`'s results, pushed: `true` and the values in
/// `vm.transfer`, or `false` and the error.
fn resume_results(vm: &mut Vm, r: Result<(), Value>) -> LuaResult<usize> {
    match r {
        Ok(()) => {
            vm.ensure_stack(1)?;
            vm.push(Value::TRUE);
            Ok(push_transfer(vm)? + 1)
        }
        Err(e) => {
            vm.push(Value::FALSE);
            vm.push(e);
            Ok(2)
        }
    }
}

fn yield_(vm: &mut Vm) -> LuaResult<usize> {
    // LuaJIT has one message for both cases (the main thread has a C
    // caller too), positioned at the calling Lua function if there is one.
    if vm.cur == vm.main || vm.th().nccalls > 1 {
        return Err(vm.rt_error("attempt to yield across C-call boundary"));
    }
    args_to_transfer(vm, 1);
    Err(LuaError::yield_())
}

/// What `coroutine.status` says, by the code `status_code` returns.
pub const STATUS_NAMES: [&str; 4] = ["suspended", "running", "normal", "dead"];

/// `coroutine.status(co)` as an index of `STATUS_NAMES` (the running
/// one is `vm.cur`; LuaJIT says "normal" for the ones resuming others).
pub fn status_code(vm: &Vm, co: NonNull<Thread>) -> u32 {
    if co == vm.cur {
        return 1;
    }
    match thread(co).status {
        CoStatus::Suspended => 0,
        CoStatus::Normal | CoStatus::Running => 2,
        CoStatus::Dead => 3,
    }
}

fn status(vm: &mut Vm) -> LuaResult<usize> {
    let co = check_co(vm, 1)?;
    let s = STATUS_NAMES[status_code(vm, co) as usize];
    let v = vm.intern(s.as_bytes());
    vm.push(v);
    Ok(1)
}

fn wrap_aux(vm: &mut Vm) -> LuaResult<usize> {
    let co = vm.native_upvalue(1).as_thread_ptr().expect("wrap upvalue");
    args_to_transfer(vm, 1);
    let r = resume_thread(vm, co);
    wrap_results(vm, r)
}

/// A `wrap` function's results, pushed: the values in `vm.transfer`, or
/// the coroutine's error raised (a string positioned at the Lua code that
/// called the wrap function, as luajit's `lj_err_callermsg`; its native
/// frame is on top).
fn wrap_results(vm: &mut Vm, r: Result<(), Value>) -> LuaResult<usize> {
    match r {
        Ok(()) => push_transfer(vm),
        Err(e) if e.is_str() => {
            let mut msg = vm.where_(1).into_bytes();
            msg.extend_from_slice(crate::object::str_bytes(e));
            Err(LuaError::runtime(vm.intern(&msg)))
        }
        Err(e) => Err(LuaError::runtime(e)),
    }
}

fn wrap(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let env = vm.th().env;
    let co = new_coroutine(&mut vm.heap, f, env);
    let w = vm.new_native_closure(wrap_aux, "wrap", vec![Value::from_thread(co)]);
    crate::fastfunc::tag_value(w, crate::fastfunc::ffid::WRAP_AUX);
    vm.push(w);
    Ok(1)
}

fn running(vm: &mut Vm) -> LuaResult<usize> {
    if vm.cur == vm.main {
        vm.push(Value::NIL);
    } else {
        vm.push(Value::from_thread(vm.cur));
    }
    Ok(1)
}

fn isyieldable(vm: &mut Vm) -> LuaResult<usize> {
    let y = vm.cur != vm.main && vm.th().nccalls <= 1;
    vm.push(Value::bool(y));
    Ok(1)
}
