//! The `coroutine` library: create, resume, yield, status, wrap, running,
//! isyieldable. Each coroutine is a `Thread` with its own stack; resume
//! runs it in a nested interpreter loop and yield unwinds back to resume
//! (ARCHITECTURE.md: `vm` modules).

use crate::error::{LuaError, LuaResult};
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
        c.stack[1..1 + nargs].copy_from_slice(&vm.transfer);
        c.top = 1 + nargs;
        vm.call_at(0, nargs, -1)
    } else {
        crate::interp::resume_yielded(vm)
    };
    vm.cur = prev;
    thread(prev).status = CoStatus::Running;
    let c = thread(co);
    match r {
        Ok(n) => {
            c.status = CoStatus::Dead;
            vm.transfer.clear();
            vm.transfer.extend_from_slice(&c.stack[0..n]);
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

/// Copy arguments `first..=nargs` of the running native into `vm.transfer`.
fn args_to_transfer(vm: &mut Vm, first: usize) {
    let th = vm.th();
    let fr = th.frames.last().expect("native frame");
    let lo = (fr.base as usize + first - 1).min(th.top);
    vm.transfer.clear();
    vm.transfer.extend_from_slice(&th.stack[lo..th.top]);
}

/// Push the values in `vm.transfer`; returns how many.
fn push_transfer(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.transfer.len();
    vm.ensure_stack(n + 1)?;
    let th = vm.th();
    th.stack[th.top..th.top + n].copy_from_slice(&vm.transfer);
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
    match resume_thread(vm, co) {
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

fn status(vm: &mut Vm) -> LuaResult<usize> {
    let co = check_co(vm, 1)?;
    let s: &[u8] = if co == vm.cur {
        b"running"
    } else {
        match thread(co).status {
            CoStatus::Suspended => b"suspended",
            CoStatus::Normal | CoStatus::Running => b"normal",
            CoStatus::Dead => b"dead",
        }
    };
    let v = vm.intern(s);
    vm.push(v);
    Ok(1)
}

fn wrap_aux(vm: &mut Vm) -> LuaResult<usize> {
    let co = vm.native_upvalue(1).as_thread_ptr().expect("wrap upvalue");
    args_to_transfer(vm, 1);
    match resume_thread(vm, co) {
        Ok(()) => push_transfer(vm),
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
