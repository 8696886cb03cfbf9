//! The `coroutine` library: create, resume, yield, status, wrap, running,
//! isyieldable. Each coroutine is a `Thread` with its own stack; resume
//! runs it in a nested interpreter loop and yield unwinds back to resume
//! (DESIGN §4).

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
    if let Some(f) = vm.get_field(co, "yield").as_func_ptr() {
        // SAFETY: freshly created native function.
        unsafe { (*f.as_ptr()).hdr.flags = ffid::YIELD };
    }
}

fn thread<'a>(t: NonNull<Thread>) -> &'a mut Thread {
    // SAFETY: live thread object; the VM is single-threaded.
    unsafe { &mut *t.as_ptr() }
}

/// A new suspended coroutine running `f`.
pub fn new_coroutine(heap: &mut Heap, f: Value, env: *mut Table) -> NonNull<Thread> {
    let mut stack = vec![Value::NIL; 64];
    stack[0] = f;
    heap.new_thread(Thread {
        hdr: GcHeader::new(GcKind::Thread),
        stack,
        top: 1,
        frames: Vec::new(),
        open_upvals: Vec::new(),
        status: CoStatus::Suspended,
        env,
        nccalls: 0,
        resume_frames_base: 0,
    })
}

fn create(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let env = vm.th().env;
    let co = new_coroutine(&mut vm.heap, f, env);
    vm.push(Value::from_thread(co));
    Ok(1)
}

/// Resume `co` with `args`. Ok: the values yielded or returned; Err: the
/// error value (the coroutine is then dead).
pub fn resume_thread(
    vm: &mut Vm,
    co: NonNull<Thread>,
    args: &[Value],
) -> Result<Vec<Value>, Value> {
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
        let need = 1 + args.len() + crate::state::MIN_STACK;
        if c.stack.len() < need {
            crate::state::grow_stack(&mut vm.heap, co, need);
        }
        let c = thread(co);
        c.stack[1..1 + args.len()].copy_from_slice(args);
        c.top = 1 + args.len();
        vm.call_at(0, args.len(), -1)
    } else {
        vm.transfer = args.to_vec();
        crate::interp::resume_yielded(vm)
    };
    vm.cur = prev;
    thread(prev).status = CoStatus::Running;
    let c = thread(co);
    match r {
        Ok(n) => {
            c.status = CoStatus::Dead;
            let vals = c.stack[0..n].to_vec();
            c.top = 0;
            Ok(vals)
        }
        Err(e) if e.is_yield() => {
            c.status = CoStatus::Suspended;
            Ok(std::mem::take(&mut vm.transfer))
        }
        Err(e) => {
            c.status = CoStatus::Dead;
            Err(e.value)
        }
    }
}

fn check_co(vm: &mut Vm, i: usize) -> LuaResult<NonNull<Thread>> {
    match vm.arg(i).as_thread_ptr() {
        Some(t) => Ok(t),
        None => Err(vm.arg_error(i, "coroutine expected")),
    }
}

fn resume(vm: &mut Vm) -> LuaResult<usize> {
    let co = check_co(vm, 1)?;
    let args: Vec<Value> = (2..=vm.nargs()).map(|i| vm.arg(i)).collect();
    match resume_thread(vm, co, &args) {
        Ok(vals) => {
            vm.ensure_stack(vals.len() + 1)?;
            vm.push(Value::TRUE);
            for &v in &vals {
                vm.push(v);
            }
            Ok(vals.len() + 1)
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
    vm.transfer = (1..=vm.nargs()).map(|i| vm.arg(i)).collect();
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
    let args: Vec<Value> = (1..=vm.nargs()).map(|i| vm.arg(i)).collect();
    match resume_thread(vm, co, &args) {
        Ok(vals) => {
            vm.ensure_stack(vals.len())?;
            for &v in &vals {
                vm.push(v);
            }
            Ok(vals.len())
        }
        Err(e) => Err(LuaError::runtime(e)),
    }
}

fn wrap(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let env = vm.th().env;
    let co = new_coroutine(&mut vm.heap, f, env);
    let w = vm.new_native_closure(wrap_aux, "wrap", vec![Value::from_thread(co)]);
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
