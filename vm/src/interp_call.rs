//! Calls and returns of the interpreter: pushing and popping frames for
//! Lua functions and natives, tail calls, delivering results to the
//! caller, inline `pcall`/`xpcall` frames and unwinding to them on errors,
//! and `call_at`, the entry for calls from Rust (with its native stack
//! guard). The opcode arms of `interp::run` call these.

use crate::error::{LuaError, LuaResult, Status};
use crate::interp::{call_hook, close_upvals, execute};
use crate::interp_meta::op_error;
use crate::object::*;
use crate::state::{grow_stack, try_grow_stack, Vm, MAX_CCALLS, MIN_STACK, MM};
use crate::value::Value;

/// Maximum number of frames of one thread.
pub const MAX_FRAMES: usize = 200_000;

// ---------------------------------------------------------------------------
// Calls from Rust

/// Call the value at stack slot `func` with the `nargs` values above it.
/// Leaves `nresults` results (-1: all) at `func..` and sets top after them.
pub fn call_at(vm: &mut Vm, func: usize, nargs: usize, nresults: i32) -> LuaResult<usize> {
    let th = vm.th();
    if th.nccalls >= MAX_CCALLS + vm.err_slack as u32 * 20 || native_stack_low(vm.err_slack > 0) {
        return Err(vm.rt_error_at(0, "C stack overflow"));
    }
    th.nccalls += 1;
    let r = call_at_inner(vm, func, nargs, nresults);
    vm.th().nccalls -= 1;
    r
}

/// Room kept free on the native stack: nested calls fail with "C stack
/// overflow" before they get closer to its end (a host thread may have a
/// small stack, and debug builds use large interpreter frames).
const NATIVE_STACK_MARGIN: usize = 256 * 1024;

thread_local! {
    /// Lowest address nested calls may use on this thread's stack (0: not
    /// known yet; 1: unknown, not limited).
    static STACK_FLOOR: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether this thread's native stack is nearly used up.
///
/// An error handler (`in_handler`: `Vm::err_slack` is raised) may use half
/// of the margin, as it may use more nested calls: a handler that
/// reports "C stack overflow" must itself be callable there, or the
/// error would become "error in error handling".
fn native_stack_low(in_handler: bool) -> bool {
    let floor = STACK_FLOOR.with(|c| {
        if c.get() == 0 {
            c.set(stack_floor());
        }
        c.get()
    });
    let floor = if in_handler && floor > 1 {
        floor - NATIVE_STACK_MARGIN / 2
    } else {
        floor
    };
    let here = 0u8;
    (&here as *const u8 as usize) < floor
}

/// The current thread's stack bottom plus the margin (1: unknown).
fn stack_floor() -> usize {
    // SAFETY: pthread_getattr_np fills the attribute object for the calling
    // thread; it is destroyed after reading the stack bounds.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return 1;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if !ok || addr.is_null() {
            return 1;
        }
        addr as usize + NATIVE_STACK_MARGIN.min(size / 2)
    }
}

fn call_at_inner(vm: &mut Vm, func: usize, mut nargs: usize, nresults: i32) -> LuaResult<usize> {
    let th = vm.th();
    th.top = func + 1 + nargs;
    let mut fv = th.stack[func];
    if !fv.is_func() {
        nargs = resolve_call_mm(vm, func, nargs, None)?;
        fv = vm.th().stack[func];
    }
    let f = fv.as_func_ptr().unwrap();
    // SAFETY: live function object.
    let native = unsafe { (*f.as_ptr()).native };
    let n = if let Some(nf) = native {
        let n = call_native(vm, func, nargs, nf)?;
        let th = vm.th();
        th.top = func + n;
        n
    } else {
        let stop = vm.th().frames.len();
        precall_lua(vm, func, nargs, -1, FrameKind::Lua, func, 0)?;
        execute(vm, stop, 0)?
    };
    Ok(adjust_results(vm, func, n, nresults))
}

/// Pad or truncate `n` results at `func` to `nresults` (-1: keep all).
#[inline]
pub(crate) fn adjust_results(vm: &mut Vm, func: usize, n: usize, nresults: i32) -> usize {
    if nresults < 0 {
        vm.th().top = func + n;
        return n;
    }
    let want = nresults as usize;
    if func + want > vm.th().stack.len() {
        grow_stack(&mut vm.heap, vm.cur, func + want + MIN_STACK);
    }
    let th = vm.th();
    for i in n..want {
        th.stack[func + i] = Value::NIL;
    }
    th.top = func + want;
    want
}

/// Replace a non-function at `func` by its `__call` metamethod, shifting the
/// arguments up by one. Returns the new argument count.
fn resolve_call_mm(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    reg: Option<(usize, usize)>,
) -> LuaResult<usize> {
    let fv = vm.th().stack[func];
    let mm = vm.metamethod(fv, MM::Call);
    if !mm.is_func() {
        return Err(op_error(vm, "call", fv, reg));
    }
    if func + nargs + 2 + MIN_STACK > vm.th().stack.len() {
        grow_stack(&mut vm.heap, vm.cur, func + nargs + 2 + MIN_STACK);
    }
    let th = vm.th();
    th.stack.copy_within(func..func + 1 + nargs, func + 1);
    th.stack[func] = mm;
    th.top = func + nargs + 2;
    Ok(nargs + 1)
}

// ---------------------------------------------------------------------------
// Natives

/// Run a native in its own frame. Results are moved down to `func..`;
/// returns their number.
fn call_native(vm: &mut Vm, func: usize, nargs: usize, f: NativeFn) -> LuaResult<usize> {
    call_native_as(vm, func, nargs, f, FrameKind::Native, func, -1)
}

/// `call_native` in a frame of the given kind: a native tail-called from a
/// Lua frame takes over that frame's kind (a pcall frame keeps catching).
/// When the native yields, its frame stays on the coroutine's stack and
/// `resume_yielded` delivers the resume values as its results (to `ret`,
/// as `kind` says, adjusted to `nresults`).
#[inline(always)]
fn call_native_as(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    f: NativeFn,
    kind: FrameKind,
    ret: usize,
    nresults: i32,
) -> LuaResult<usize> {
    let th = vm.th();
    if th.frames.len() >= vm.max_frames() {
        return Err(vm.rt_error_at(0, "stack overflow"));
    }
    if th.frames.is_full() {
        grow_frames(vm)?;
    }
    let th = vm.th();
    // (`nresults` is only used when the native yields.)
    th.frames.push(Frame::native(func, nresults, kind, ret));
    th.top = func + 1 + nargs;
    if th.top + MIN_STACK > th.stack.len() {
        if th.top + MIN_STACK > vm.max_stack() {
            return Err(vm.rt_error_at(1, "stack overflow"));
        }
        if !try_grow_stack(&mut vm.heap, vm.cur, th.top + MIN_STACK) {
            return Err(vm.memory_error());
        }
    }
    let n = if vm.hook_mask & crate::lib_debug::HOOK_CALL != 0 {
        native_with_hooks(vm, f)?
    } else {
        f(vm)?
    };
    let th = vm.th();
    th.frames.pop();
    let top = th.top;
    let n = n.min(top - (func + 1));
    if n <= 4 {
        // The usual few results: a forward copy (func < top - n), no
        // general memory move.
        for i in 0..n {
            th.stack[func + i] = th.stack[top - n + i];
        }
    } else {
        th.stack.copy_within(top - n..top, func);
    }
    th.top = func + n;
    Ok(n)
}

/// Run a native (its frame pushed) after the call hook.
#[cold]
fn native_with_hooks(vm: &mut Vm, f: NativeFn) -> LuaResult<usize> {
    if vm.hook_mask & crate::lib_debug::HOOK_CALL != 0 {
        let top = vm.th().top;
        call_hook(vm, b"call", None)?;
        vm.th().top = top;
    }
    // luajit reports no return events for natives.
    f(vm)
}

// ---------------------------------------------------------------------------
// Lua frames: push, return, unwind to pcall

/// Push a Lua frame for the closure at `func` (arguments above it);
/// `link`: its `Frame::link` (0 unless a call instruction calls it).
#[inline(always)]
pub(crate) fn precall_lua(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nresults: i32,
    kind: FrameKind,
    ret: usize,
    link: u64,
) -> LuaResult<()> {
    let fv = vm.th().stack[func];
    // SAFETY: caller checked that `fv` is a Lua function; its proto is live.
    let p = unsafe { &*(*fv.as_func_ptr().unwrap().as_ptr()).proto };
    precall_proto(vm, p, func, nargs, nresults, kind, ret, link).map(|_| ())
}

/// `precall_lua` with the callee's prototype `p` at hand (the interpreter's
/// CALL has it). Returns the new frame's base.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn precall_proto(
    vm: &mut Vm,
    p: &Proto,
    func: usize,
    nargs: usize,
    nresults: i32,
    kind: FrameKind,
    ret: usize,
    link: u64,
) -> LuaResult<usize> {
    let th = vm.th();
    let base = func + 1;
    if !p.is_vararg
        && base + p.framesize as usize + MIN_STACK <= th.stack.len()
        && th.frames.len() < MAX_FRAMES
        && !th.frames.is_full()
    {
        // Fast path: fixed parameters, stack and frame room available.
        for i in nargs..p.numparams as usize {
            th.stack[base + i] = Value::NIL;
        }
        th.frames
            .push(Frame::lua(func, base, 0, nresults, kind, ret, link));
        return Ok(base);
    }
    precall_lua_slow(vm, func, nargs, nresults, kind, ret, link)
}

/// `precall_lua` for vararg functions and when the stack must grow.
#[inline(never)]
fn precall_lua_slow(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nresults: i32,
    kind: FrameKind,
    ret: usize,
    link: u64,
) -> LuaResult<usize> {
    let th = vm.th();
    let fv = th.stack[func];
    // SAFETY: caller checked that `fv` is a Lua function; its proto is live.
    let p = unsafe { &*(*fv.as_func_ptr().unwrap().as_ptr()).proto };
    let np = p.numparams as usize;
    let base = if p.is_vararg {
        func + 1 + nargs
    } else {
        func + 1
    };
    let need = base + p.framesize as usize + MIN_STACK;
    if need > th.stack.len() || th.frames.len() >= vm.max_frames() {
        if need > vm.max_stack() || th.frames.len() >= vm.max_frames() {
            return Err(vm.rt_error_at(0, "stack overflow"));
        }
        if need > th.stack.len() && !try_grow_stack(&mut vm.heap, vm.cur, need) {
            return Err(vm.memory_error());
        }
    }
    if vm.th().frames.is_full() {
        grow_frames(vm)?;
    }
    let th = vm.th();
    let nvarargs = if p.is_vararg {
        for i in 0..np {
            th.stack[base + i] = if i < nargs {
                th.stack[func + 1 + i]
            } else {
                Value::NIL
            };
        }
        nargs.saturating_sub(np)
    } else {
        for i in nargs..np {
            th.stack[base + i] = Value::NIL;
        }
        0
    };
    th.frames
        .push(Frame::lua(func, base, nvarargs, nresults, kind, ret, link));
    Ok(base)
}

/// Pop the top frame, returning `n` values found at `src`. Returns the
/// number of values delivered to the caller (after pcall's `true`).
#[inline(always)]
/// Return from the top frame with the `n` values at stack slot `src`, as
/// the interpreter's `RET` does (for the JIT's driver, after a call it
/// made for a trace). Returns the number of results delivered.
pub fn return_from(vm: &mut Vm, src: usize, n: usize) -> usize {
    do_return(vm, src, n)
}

pub(crate) fn do_return(vm: &mut Vm, src: usize, n: usize) -> usize {
    let th = vm.th();
    let fr = th.frames.pop().unwrap();
    if crate::interp::open_upvals_at(th, fr.base as usize) {
        close_upvals(vm, fr.base as usize);
    }
    let count = deliver_results(vm, &fr, src, n);
    if let FrameKind::Compare { jump_if } = fr.kind {
        // Skip the caller's JMP unless the result says to take it.
        let th = vm.th();
        if th.stack[fr.ret as usize].truthy() != jump_if {
            th.frames.last_mut().unwrap().pc += 1;
        }
    }
    count
}

/// Deliver `n` results found at `src` as the results of the (already
/// popped) frame `fr`: to its return slot, after `true` for pcall frames,
/// padded to the number its caller wants. Returns the number delivered.
#[inline(always)]
pub(crate) fn deliver_results(vm: &mut Vm, fr: &Frame, src: usize, n: usize) -> usize {
    let th = vm.th();
    let ret = fr.ret as usize;
    let (dst, extra) = match fr.kind {
        FrameKind::Pcall | FrameKind::Xpcall => {
            th.stack[ret] = Value::TRUE;
            (ret + 1, 1)
        }
        _ => (ret, 0),
    };
    // dst <= src: a forward copy is safe (and cheaper than memmove for the
    // usual one or two values).
    debug_assert!(dst <= src);
    // A fixed number of results copies no more than wanted: a metamethod
    // frame's return slot is a register below live ones.
    let ncopy = if fr.nresults >= 0 {
        n.min((fr.nresults as usize).saturating_sub(extra))
    } else {
        n
    };
    let s = &mut th.stack[dst..src + n];
    for i in 0..ncopy {
        s[i] = s[src - dst + i];
    }
    let count = n + extra;
    if fr.nresults >= 0 {
        let want = fr.nresults as usize;
        for i in (ncopy + extra)..want {
            th.stack[ret + i] = Value::NIL;
        }
        th.top = ret + want;
    } else {
        th.top = ret + count;
    }
    count
}

/// Find a pcall/xpcall frame above `stop` to catch `e`. On success the
/// frames are unwound, `(false, msg)` is delivered to the caller and the
/// number of values is returned; otherwise the error is returned.
pub(crate) fn catch_error(vm: &mut Vm, e: LuaError, stop: usize) -> LuaResult<usize> {
    if e.is_yield() {
        return Err(e);
    }
    let th = vm.th();
    let mut i = th.frames.len();
    let found = loop {
        if i <= stop + 1 {
            break None;
        }
        i -= 1;
        if matches!(th.frames[i].kind, FrameKind::Pcall | FrameKind::Xpcall) {
            break Some(i);
        }
    };
    let Some(i) = found else { return Err(e) };
    let fr = th.frames[i];
    let mut msg = e.value;
    if fr.kind == FrameKind::Xpcall {
        let handler = th.stack[fr.ret as usize];
        // Run the handler at the error point (frames still intact).
        let top = th.top.max(fr.base as usize);
        th.top = top;
        msg = vm.call_handler(handler, e.value)?;
    }
    close_upvals(vm, fr.func as usize);
    let th = vm.th();
    th.frames.truncate(i);
    let ret = fr.ret as usize;
    th.stack[ret] = Value::FALSE;
    th.stack[ret + 1] = msg;
    let count = 2;
    if fr.nresults >= 0 {
        for j in count..fr.nresults as usize {
            th.stack[ret + j] = Value::NIL;
        }
        th.top = ret + fr.nresults as usize;
    } else {
        th.top = ret + count;
    }
    shrink_stack(vm);
    Ok(count)
}

/// Room for one more frame in a call: the frame vector's growth is
/// counted, checked against the heap's limit when large, and fallible
/// ("not enough memory", the frames as they were).
#[cold]
fn grow_frames(vm: &mut Vm) -> LuaResult<()> {
    let more = vm.th().frames.capacity() * std::mem::size_of::<Frame>();
    if more >= crate::gc::GROWTH_CHECKED && vm.heap.would_exceed(more) {
        return Err(vm.memory_error());
    }
    match vm.th().frames.try_grow() {
        Some(bytes) => {
            vm.heap.account(bytes);
            Ok(())
        }
        None => Err(vm.memory_error()),
    }
}

/// After an error was caught: a stack that a deep recursion grew (past 1 MB)
/// and that is now mostly unused goes back to twice what the remaining
/// frames can use, so that the memory does not stay counted as live (a
/// "stack overflow" or "not enough memory" caught under a memory limit
/// would leave the program over it). The interpreter reloads its frame
/// after a catch. Not while a trace is suspended under a nested entry or
/// one is being recorded: compiled code keeps the stack's limits, which
/// must never shrink under it.
fn shrink_stack(vm: &mut Vm) {
    const BIG: usize = (1 << 20) / 8;
    if vm.heap.defer > 0 || vm.recording {
        return;
    }
    let th = vm.th();
    let len = th.stack.len();
    if len < BIG {
        return;
    }
    // (A frame's registers end at most 256 slots above its base.)
    let last = th.frames.last().map_or(0, |f| f.base as usize + 256);
    let need = th.top.max(last).max(th.upval_hi) + MIN_STACK;
    if need.saturating_mul(4) > len {
        return;
    }
    let keep = need * 2;
    th.stack.truncate(keep);
    th.stack.shrink_to_fit();
    // (Open upvalues are below `need`, `upval_hi`.)
    crate::state::stack_moved(th);
    let freed = (len - th.stack.len()) * 8;
    vm.heap.allocated = vm.heap.allocated.saturating_sub(freed);
}

// ---------------------------------------------------------------------------
// pcall and xpcall

/// `pcall`/`xpcall` called from a CALL instruction. For a Lua function,
/// pushes a protected frame and returns `Ok(None)` (the loop continues in
/// it); otherwise runs the pcall/xpcall native in its own frame and returns
/// the number of results delivered at `func`.
fn pcall_inline(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nres: i32,
    kind: u8,
) -> LuaResult<Option<usize>> {
    let th = vm.th();
    let f = th.stack[func + 1];
    let min_args = if kind == ffid::XPCALL { 2 } else { 1 };
    // SAFETY: live function object.
    let is_lua = nargs >= min_args
        && (kind != ffid::XPCALL || th.stack[func + 2].is_func())
        && f.as_func_ptr()
            .is_some_and(|p| unsafe { (*p.as_ptr()).native.is_none() });
    if is_lua {
        // A Lua function: its protected frame (the loop continues in it).
        let (fkind, nargs) = if kind == ffid::XPCALL {
            // [xpcall f h a1..] -> [h f a1..]
            let h = th.stack[func + 2];
            th.stack[func] = h;
            th.stack[func + 1] = f;
            th.stack.copy_within(func + 3..func + 1 + nargs, func + 2);
            th.top = func + nargs;
            (FrameKind::Xpcall, nargs - 2)
        } else {
            (FrameKind::Pcall, nargs - 1)
        };
        precall_lua(vm, func + 1, nargs, nres, fkind, func, 0)?;
        return Ok(None);
    }
    // SAFETY: live function object.
    let yield_fn = f.as_func_ptr().and_then(|p| unsafe {
        (*p.as_ptr())
            .native
            .filter(|_| (*p.as_ptr()).hdr.flags == ffid::YIELD)
    });
    if let (Some(yf), true) = (yield_fn, kind == ffid::PCALL && nargs >= 1) {
        // `pcall(coroutine.yield, ...)`: the yield runs as the protected
        // call, so the resume values come back after `true`.
        return match call_native_as(vm, func + 1, nargs - 1, yf, FrameKind::Pcall, func, nres) {
            Ok(n) => Ok(Some(deliver_results(
                vm,
                &Frame {
                    func: func as u32 + 1,
                    base: func as u32 + 2,
                    pc: 0,
                    nresults: nres as i16,
                    nvarargs: 0,
                    kind: FrameKind::Pcall,
                    ret: func as u32,
                    link: 0,
                },
                func + 1,
                n,
            ))),
            Err(e) => Err(e),
        };
    }
    let nf: NativeFn = if kind == ffid::XPCALL {
        lib_xpcall
    } else {
        lib_pcall
    };
    let n = call_native(vm, func, nargs, nf)?;
    Ok(Some(adjust_results(vm, func, n, nres)))
}

/// The `pcall` native (used when called from Rust or the C API).
pub fn lib_pcall(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.nargs();
    if n == 0 {
        return Err(vm.arg_error(1, "value expected"));
    }
    let base = vm.th().frames.last().unwrap().base as usize;
    match vm.pcall_at(base, n - 1, -1) {
        Ok(k) => {
            vm.th().top = base + k;
            vm.ensure_stack(1)?;
            let th = vm.th();
            // Results are at base..base+k; prepend true.
            th.stack.copy_within(base..base + k, base + 1);
            th.stack[base] = Value::TRUE;
            th.top = base + k + 1;
            Ok(k + 1)
        }
        Err(e) => {
            vm.th().top = base;
            vm.push(Value::FALSE);
            vm.push(e.value);
            Ok(2)
        }
    }
}

/// The `xpcall` native (used when called from Rust or the C API).
pub fn lib_xpcall(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.nargs();
    if n == 0 {
        return Err(vm.arg_error(1, "value expected"));
    }
    if !vm.arg(2).is_func() {
        return Err(vm.type_error(2, "function"));
    }
    let base = vm.th().frames.last().unwrap().base as usize;
    let th = vm.th();
    // [f h a..] -> [h f a..]
    th.stack.swap(base, base + 1);
    let handler = th.stack[base];
    // Now f at base+1, args at base+2..base+n.
    match vm.pcall_at_handler(base + 1, n - 2, -1, Some(handler)) {
        Ok(k) => {
            let th = vm.th();
            th.stack[base] = Value::TRUE;
            th.top = base + 1 + k;
            Ok(k + 1)
        }
        Err(e) => {
            vm.th().top = base;
            vm.push(Value::FALSE);
            vm.push(e.value);
            Ok(2)
        }
    }
}

/// Status of an error for the C API and the CLI.
pub fn error_status(e: &LuaError) -> Status {
    e.status
}

// ---------------------------------------------------------------------------
// Call instructions

/// How a CALL-like instruction went on.
pub(crate) enum Called {
    /// A Lua frame was pushed (the callee's, or a `pcall`/`xpcall` frame
    /// of a Lua function): the loop continues in it.
    Frame,
    /// `pcall`/`xpcall` of a native ran; this many results are at `func`.
    Pcall(usize),
    /// A native ran; this many results (adjusted to the number wanted) are
    /// at `func`.
    Native(usize),
}

/// CALL, CALLM and ITERC: call the value at stack slot `func` with the
/// `nargs` values above it, wanting `nres` results (-1: all). The caller
/// has saved its pc and set top after the arguments; `reg` (pc, register)
/// names the callee in errors; `link` is a Lua callee's `Frame::link`. A
/// value that is not a function is called through `__call`.
#[inline(always)]
pub(crate) fn call_op(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nres: i32,
    reg: (usize, usize),
    link: u64,
) -> LuaResult<Called> {
    let mut nargs = nargs;
    // SAFETY: `func` is a register of the running frame, inside the stack.
    let mut fv = unsafe { *vm.th().stack.get_unchecked(func) };
    if !fv.is_func() {
        nargs = resolve_call_mm(vm, func, nargs, Some(reg))?;
        fv = vm.th().stack[func];
    }
    // SAFETY: `fv` is a function (checked or resolved above), a live object.
    let f = unsafe { &*fv.as_func_ptr().unwrap().as_ptr() };
    match f.native {
        None => {
            precall_lua(vm, func, nargs, nres, FrameKind::Lua, func, link)?;
            Ok(Called::Frame)
        }
        Some(nf) => {
            let flags = f.hdr.flags;
            if flags == ffid::PCALL || flags == ffid::XPCALL {
                Ok(match pcall_inline(vm, func, nargs, nres, flags)? {
                    Some(n) => Called::Pcall(n),
                    None => Called::Frame,
                })
            } else {
                // A yield leaves the coroutine (its frame stays).
                let n = call_native_as(vm, func, nargs, nf, FrameKind::Native, func, nres)?;
                Ok(Called::Native(adjust_results(vm, func, n, nres)))
            }
        }
    }
}

/// A CALL of native `nf` (a plain one: `fastcall::is_plain`) at `func`
/// with `nargs` arguments, `nres` results wanted: `call_op`'s native path
/// without its checks.
#[inline(always)]
pub(crate) fn call_plain_native(
    vm: &mut Vm,
    func: usize,
    nargs: usize,
    nres: i32,
    nf: NativeFn,
) -> LuaResult<Called> {
    let n = call_native_as(vm, func, nargs, nf, FrameKind::Native, func, nres)?;
    Ok(Called::Native(adjust_results(vm, func, n, nres)))
}

/// How a tail call went on.
pub(crate) enum TailCalled {
    /// The callee's Lua frame replaced the caller's: the loop continues in
    /// it.
    Frame,
    /// A native replaced the caller's frame and returned; this many
    /// results were delivered to the caller's caller.
    Returned(usize),
}

/// CALLT and CALLMT: replace frame `fi` by a call of the value at stack
/// slot `func` with the `nargs` values above it. The caller has saved its
/// pc and set top after the arguments; `reg` names the callee in errors.
#[inline(always)]
pub(crate) fn tailcall_op(
    vm: &mut Vm,
    fi: usize,
    func: usize,
    nargs: usize,
    reg: (usize, usize),
) -> LuaResult<TailCalled> {
    let mut nargs = nargs;
    // SAFETY: `func` is a register of the running frame, inside the stack.
    if !unsafe { vm.th().stack.get_unchecked(func) }.is_func() {
        nargs = resolve_call_mm(vm, func, nargs, Some(reg))?;
    }
    let fv = vm.th().stack[func];
    // SAFETY: `fv` is a function (checked or resolved above), a live object.
    let native = unsafe { (*fv.as_func_ptr().unwrap().as_ptr()).native };
    // The callee and its arguments move down to the frame's function slot.
    let fr = vm.th().frames[fi];
    close_upvals(vm, fr.base as usize);
    let th = vm.th();
    let dst = fr.func as usize;
    th.stack.copy_within(func..func + 1 + nargs, dst);
    th.frames.pop();
    let Some(nf) = native else {
        precall_lua(
            vm,
            dst,
            nargs,
            fr.nresults as i32,
            fr.kind,
            fr.ret as usize,
            fr.link,
        )?;
        return Ok(TailCalled::Frame);
    };
    // A native in tail position replaces the frame (as in luajit: levels,
    // names and error positions see the caller's caller), keeping its
    // kind. A yield leaves its frame for `resume_yielded`.
    let n = call_native_as(
        vm,
        dst,
        nargs,
        nf,
        fr.kind,
        fr.ret as usize,
        fr.nresults as i32,
    )?;
    Ok(TailCalled::Returned(deliver_results(vm, &fr, dst, n)))
}

/// VARG: copy the varargs of the frame with registers at `base` (its
/// `nvar` extra arguments, kept just below `base`) to register `a` on:
/// all of them when `want` is negative (growing the stack as needed;
/// returns their number, the next instruction's multres), else exactly
/// `want` values, padded with nil. The caller has saved its pc.
#[inline(always)]
pub(crate) fn varg_op(
    vm: &mut Vm,
    base: usize,
    a: usize,
    nvar: usize,
    want: i32,
) -> LuaResult<Option<usize>> {
    let src = base - nvar;
    if want < 0 {
        let need = base + a + nvar + MIN_STACK;
        if need > vm.th().stack.len() {
            if need > vm.max_stack() {
                return Err(vm.rt_error_at(0, "stack overflow"));
            }
            if !try_grow_stack(&mut vm.heap, vm.cur, need) {
                return Err(vm.memory_error());
            }
        }
        vm.th().stack.copy_within(src..src + nvar, base + a);
        return Ok(Some(nvar));
    }
    let th = vm.th();
    for i in 0..want as usize {
        th.stack[base + a + i] = if i < nvar {
            th.stack[src + i]
        } else {
            Value::NIL
        };
    }
    Ok(None)
}
