//! The C-side view of a VM: `lua_State` handles (one per thread), the
//! per-VM `Global` record, stack index translation, the trampoline that runs
//! C functions as VM natives, and the error path (`throw`): errors unwind
//! through C frames as a Rust unwind carrying a private payload, caught by
//! the nearest trampoline; with no trampoline active the panic function runs
//! and the process exits (Lua 5.1's behaviour for unprotected errors).

use crate::types::*;
use lunatrace_vm::error::{LuaError, LuaResult};
use lunatrace_vm::object::{CoStatus, Frame, FrameKind, Func, Thread};
use lunatrace_vm::state::grow_stack;
use lunatrace_vm::{Value, Vm};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// Per-VM data of the C API, stored behind `Vm::capi`.
pub struct Global {
    pub vm: *mut Vm,
    /// The VM was created by `lua_newstate` (and `lua_close` frees it).
    pub owned: bool,
    /// One handle per thread the API has seen, keyed by thread address.
    pub states: HashMap<usize, Box<lua_State>>,
    pub panic: lua_CFunction,
    /// Active C-function trampolines (catchers of C-side errors).
    pub depth: u32,
    pub hook: lua_Hook,
    pub allocf: lua_Alloc,
    pub allocud: *mut c_void,
    /// Stable C copies of names handed out by the debug API.
    pub names: HashMap<Vec<u8>, CString>,
    /// Dynamic libraries stay loaded for the life of the process.
    pub libs: Vec<libloading::Library>,
    /// The text of the last `luaJIT_profile_dumpstack` (NUL-terminated).
    pub dump: Vec<u8>,
}

/// A thread handle as C sees it (opaque to C).
#[repr(C)]
pub struct lua_State {
    pub g: *mut Global,
    pub th: NonNull<Thread>,
    /// Stack index of API index 1 when no C function of this thread runs
    /// (host code; a suspended coroutine after `lua_resume`).
    pub host_base: usize,
    /// Values announced by `lua_yield`.
    pub nyield: c_int,
    /// Status of the last `lua_resume` that ended in an error.
    pub errstatus: c_int,
    /// Stack top of the coroutine when `lua_resume` saw it yield (the
    /// yielded values were pushed above it); `usize::MAX` if unknown.
    pub yield_top: usize,
}

pub use lunatrace_vm::error::Throw;

extern "C" {
    fn realloc(p: *mut c_void, n: usize) -> *mut c_void;
    fn free(p: *mut c_void);
}

/// The allocator `lua_getallocf` hands out (C modules such as LPeg allocate
/// through it): the C library's `realloc`/`free`, as `luaL_newstate` uses.
unsafe extern "C" fn default_alloc(
    _ud: *mut c_void,
    p: *mut c_void,
    _osize: usize,
    nsize: usize,
) -> *mut c_void {
    if nsize == 0 {
        // SAFETY: `p` was allocated by this allocator (or is null).
        unsafe { free(p) };
        std::ptr::null_mut()
    } else {
        // SAFETY: as above; realloc(NULL, n) allocates.
        unsafe { realloc(p, nsize) }
    }
}

/// The `Global` of a VM, created on first use.
pub fn global_of(vm: &mut Vm) -> *mut Global {
    if vm.capi.is_null() {
        let g = Box::new(Global {
            vm: vm as *mut Vm,
            owned: false,
            states: HashMap::new(),
            panic: None,
            depth: 0,
            hook: None,
            allocf: Some(default_alloc),
            allocud: std::ptr::null_mut(),
            names: HashMap::new(),
            libs: Vec::new(),
            dump: Vec::new(),
        });
        vm.capi = Box::into_raw(g) as *mut c_void;
        vm.c_loader = Some(crate::loader::load);
        vm.panic_hook = Some(vm_panic);
    }
    vm.capi as *mut Global
}

/// The VM's panic path (a rejected re-entry outside any API call, e.g. an
/// FFI callback): the `lua_atpanic` function of the state, then exit.
fn vm_panic(vm: &mut Vm, msg: Value) -> ! {
    let l = state_of(vm.capi as *mut Global, vm.cur);
    panic_exit(l, msg)
}

/// The handle of thread `th` of the VM behind `g`.
pub fn state_of(g: *mut Global, th: NonNull<Thread>) -> *mut lua_State {
    // SAFETY: `g` is a live Global (owned by its VM); single-threaded use.
    let gr = unsafe { &mut *g };
    let e = gr.states.entry(th.as_ptr() as usize).or_insert_with(|| {
        Box::new(lua_State {
            g,
            th,
            host_base: 0,
            nyield: 0,
            errstatus: 0,
            yield_top: usize::MAX,
        })
    });
    &mut **e as *mut lua_State
}

/// Accessors from a handle. All C entry points go through these.
///
/// SAFETY (module-wide contract): a `*mut lua_State` given by C is one we
/// handed out and whose VM is alive; the VM is used from one OS thread.
pub fn gl<'a>(l: *mut lua_State) -> &'a mut Global {
    // SAFETY: see the module-wide contract above.
    unsafe { &mut *(*l).g }
}

pub fn vm<'a>(l: *mut lua_State) -> &'a mut Vm {
    // SAFETY: see the module-wide contract above.
    unsafe { &mut *(*(*l).g).vm }
}

pub fn th<'a>(l: *mut lua_State) -> &'a mut Thread {
    // SAFETY: see the module-wide contract; the thread is alive while C holds
    // its handle (it is reachable from a stack or the registry).
    unsafe { &mut *(*l).th.as_ptr() }
}

pub fn ls<'a>(l: *mut lua_State) -> &'a mut lua_State {
    // SAFETY: see the module-wide contract above.
    unsafe { &mut *l }
}

/// The frame of the C function running on this handle's thread, if any.
pub fn cframe(l: *mut lua_State) -> Option<Frame> {
    let t = th(l);
    if t.status == CoStatus::Suspended || t.status == CoStatus::Dead {
        return None;
    }
    match t.frames.last() {
        Some(f) if f.kind == FrameKind::Native || is_native_at(t, f) => Some(*f),
        _ => None,
    }
}

fn is_native_at(t: &Thread, f: &Frame) -> bool {
    t.stack[f.func as usize]
        .as_func_ptr()
        // SAFETY: live function object.
        .is_some_and(|p| unsafe { (*p.as_ptr()).native.is_some() })
}

/// Stack index of API index 1.
pub fn base(l: *mut lua_State) -> usize {
    match cframe(l) {
        Some(f) => f.base as usize,
        None => ls(l).host_base.min(th(l).top),
    }
}

pub fn top(l: *mut lua_State) -> usize {
    th(l).top
}

/// The running C function (for upvalues and `LUA_ENVIRONINDEX`).
pub fn cur_func(l: *mut lua_State) -> Option<NonNull<Func>> {
    let f = cframe(l)?;
    th(l).stack[f.func as usize].as_func_ptr()
}

/// Where an index points.
#[derive(Clone, Copy)]
pub enum Slot {
    Stack(usize),
    Registry,
    Env,
    Globals,
    Upval(usize),
    None,
}

pub fn slot(l: *mut lua_State, idx: c_int) -> Slot {
    if idx > 0 {
        let s = base(l) + idx as usize - 1;
        if s < top(l) {
            Slot::Stack(s)
        } else {
            Slot::None
        }
    } else if idx > LUA_REGISTRYINDEX {
        let t = top(l) as i64 + idx as i64;
        if idx != 0 && t >= base(l) as i64 {
            Slot::Stack(t as usize)
        } else {
            api_fail(l, "invalid stack index");
            Slot::None
        }
    } else {
        match idx {
            LUA_REGISTRYINDEX => Slot::Registry,
            LUA_ENVIRONINDEX => Slot::Env,
            LUA_GLOBALSINDEX => Slot::Globals,
            _ => Slot::Upval((LUA_GLOBALSINDEX - idx) as usize),
        }
    }
}

/// The value at an index; `None` for an invalid (non-existent) index.
pub fn get_opt(l: *mut lua_State, idx: c_int) -> Option<Value> {
    match slot(l, idx) {
        Slot::Stack(s) => Some(th(l).stack[s]),
        Slot::Registry => Some(Value::from_table(vm(l).registry)),
        Slot::Globals => NonNull::new(th(l).env).map(Value::from_table),
        Slot::Env => {
            let env = match cur_func(l) {
                // SAFETY: live function object.
                Some(f) => unsafe { (*f.as_ptr()).env },
                None => th(l).env,
            };
            NonNull::new(env).map(Value::from_table)
        }
        Slot::Upval(i) => {
            let f = cur_func(l)?;
            // SAFETY: live function object; shared access.
            let fo = unsafe { &*f.as_ptr() };
            fo.cupvals.get(i).copied()
        }
        Slot::None => None,
    }
}

pub fn get(l: *mut lua_State, idx: c_int) -> Value {
    get_opt(l, idx).unwrap_or(Value::NIL)
}

/// Store into an index (`lua_replace` semantics).
pub fn set(l: *mut lua_State, idx: c_int, v: Value) {
    match slot(l, idx) {
        Slot::Stack(s) => th(l).stack[s] = v,
        Slot::Registry => api_fail(l, "cannot replace the registry"),
        Slot::Globals => match v.as_table_ptr() {
            Some(t) => th(l).env = t.as_ptr(),
            None => api_fail(l, "table expected"),
        },
        Slot::Env => match (v.as_table_ptr(), cur_func(l)) {
            // SAFETY: live function object; no other reference held.
            (Some(t), Some(f)) => unsafe { (*f.as_ptr()).env = t.as_ptr() },
            _ => api_fail(l, "no C function environment to replace"),
        },
        Slot::Upval(i) => {
            if let Some(f) = cur_func(l) {
                // SAFETY: live function object; no other reference held.
                let fo = unsafe { &mut *f.as_ptr() };
                if let Some(s) = fo.cupvals.get_mut(i) {
                    *s = v;
                }
            }
        }
        Slot::None => api_fail(l, "invalid index"),
    }
}

/// An absolute stack position for an index (pseudo-indices unchanged).
pub fn abs_index(l: *mut lua_State, idx: c_int) -> c_int {
    if idx > 0 || idx <= LUA_REGISTRYINDEX {
        idx
    } else {
        (top(l) as i64 - base(l) as i64 + idx as i64 + 1) as c_int
    }
}

pub fn ensure(l: *mut lua_State, n: usize) {
    let t = th(l);
    if t.top + n > t.stack.len() {
        grow_stack(&mut vm(l).heap, ls(l).th, t.top + n + 20);
    }
}

pub fn push(l: *mut lua_State, v: Value) {
    ensure(l, 1);
    let t = th(l);
    t.stack[t.top] = v;
    t.top += 1;
}

pub fn pop(l: *mut lua_State, n: usize) {
    let b = base(l);
    let t = th(l);
    if t.top < b + n {
        api_fail(l, "stack underflow");
        t.top = b;
    } else {
        t.top -= n;
    }
}

/// A broken API contract detected cheaply: an error in debug builds of the
/// library (`api check failed`), ignored in release builds as Lua 5.1 does.
pub fn api_fail(l: *mut lua_State, what: &str) {
    if cfg!(debug_assertions) {
        let msg = format!("api check failed: {}", what);
        let v = vm(l).intern(msg.as_bytes());
        throw(l, LuaError::runtime(v));
    }
}

// ---------------------------------------------------------------------------
// Errors

/// Raise `e` from an API call: unwind to the nearest C-function trampoline,
/// or, with none active (an unprotected error), run the panic path.
pub fn throw(l: *mut lua_State, e: LuaError) -> ! {
    // Protected: a C function frame, an FFI call from the interpreter, or
    // a running trace of this VM (its C calls unwind to the trace entry).
    let v = vm(l);
    let in_trace = lunatrace_vm::jitrt::jit_base() == v as *mut Vm as usize;
    if gl(l).depth == 0 && v.ffi_depth == 0 && !in_trace {
        let v = e.value;
        panic_exit(l, v);
    }
    resume_unwind(Box::new(Throw(e)))
}

/// Unwrap a VM result in an API function.
pub fn check<T>(l: *mut lua_State, r: LuaResult<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => throw(l, e),
    }
}

/// The panic path: push the message, call the `lua_atpanic` function if
/// any, report like luajit does and exit with status 1.
pub fn panic_exit(l: *mut lua_State, msg: Value) -> ! {
    push(l, msg);
    if let Some(pf) = gl(l).panic {
        // SAFETY: a C function set with lua_atpanic, called with our handle.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe { pf(l) }));
    }
    let text = if msg.is_str() || msg.is_num() {
        vm(l).tostring_basic(msg)
    } else {
        format!("{} value", msg.type_name())
    };
    eprintln!("PANIC: unprotected error in call to Lua API ({})", text);
    std::process::exit(1)
}

/// The guarded entry of every API call that may run Lua code (ARCHITECTURE.md: FFI and the sandwich):
/// checks the re-entrancy marker (policy `panic`), aborts a recording, runs
/// `f` with the handle's thread as the running one, and raises its error.
pub fn guarded<R>(l: *mut lua_State, f: impl FnOnce(&mut Vm) -> LuaResult<R>) -> R {
    let entry = admit(l);
    let r = on_thread(l, f);
    lunatrace_vm::jitrt::end_vm_entry(vm(l), entry);
    check(l, r)
}

/// Pass the re-entrancy guard (ARCHITECTURE.md: FFI and the sandwich) or apply its policy: `panic`
/// reports and exits; `error` raises the message as a Lua error, which
/// unwinds through the foreign frames and the trace to the nearest
/// protected call.
pub fn admit(l: *mut lua_State) -> lunatrace_vm::jitrt::Entry {
    let v = vm(l);
    match lunatrace_vm::jitrt::guard_vm_entry(v) {
        Ok(e) => e,
        Err(msg) => {
            let m = v.intern(msg.as_bytes());
            if v.sandwich == lunatrace_vm::jitrt::Sandwich::Error {
                resume_unwind(Box::new(Throw(LuaError::runtime(m))))
            }
            panic_exit(l, m)
        }
    }
}

/// Run `f` with the handle's thread as the VM's running thread.
pub fn on_thread<R>(l: *mut lua_State, f: impl FnOnce(&mut Vm) -> R) -> R {
    let v = vm(l);
    let t = ls(l).th;
    if v.cur == t {
        return f(v);
    }
    let prev = v.cur;
    let (ps, ts) = (
        // SAFETY: live threads; single-threaded.
        unsafe { (*prev.as_ptr()).status },
        th(l).status,
    );
    // SAFETY: live thread.
    unsafe { (*prev.as_ptr()).status = CoStatus::Normal };
    th(l).status = CoStatus::Running;
    v.cur = t;
    let r = f(v);
    v.cur = prev;
    th(l).status = ts;
    // SAFETY: live thread.
    unsafe { (*prev.as_ptr()).status = ps };
    r
}

// ---------------------------------------------------------------------------
// C functions as natives

pub use lunatrace_vm::object::CFUNC_NAME;

/// The C function of a closure made by `lua_pushcclosure` (its hidden first
/// native upvalue).
pub fn cfunc_of(f: NonNull<Func>) -> lua_CFunction {
    // SAFETY: live function object; shared access.
    let fo = unsafe { &*f.as_ptr() };
    if fo.native.is_none() || fo.name != CFUNC_NAME {
        return None;
    }
    let p = fo.cupvals.first()?.as_light_ud()?;
    // SAFETY: stored by lua_pushcclosure from a valid lua_CFunction.
    unsafe { std::mem::transmute::<usize, lua_CFunction>(p) }
}

/// Run `f(l)` as a C call: catches errors raised by C (our `Throw`), lets
/// other panics continue (they are bugs).
pub fn call_c(
    l: *mut lua_State,
    f: unsafe extern "C-unwind" fn(*mut lua_State) -> c_int,
) -> LuaResult<c_int> {
    gl(l).depth += 1;
    // SAFETY: calling a C function with a valid handle; it may unwind.
    let r = catch_unwind(AssertUnwindSafe(|| unsafe { f(l) }));
    gl(l).depth -= 1;
    match r {
        Ok(n) => Ok(n),
        Err(p) => match p.downcast::<Throw>() {
            Ok(t) => Err(t.0),
            Err(p) => resume_unwind(p),
        },
    }
}

/// The native behind every C function value.
pub fn c_trampoline(v: &mut Vm) -> LuaResult<usize> {
    let fp = v.current_func().as_func_ptr().expect("C function");
    let Some(f) = cfunc_of(fp) else {
        return Err(v.rt_error("bad C function"));
    };
    let g = global_of(v);
    let l = state_of(g, v.cur);
    ls(l).nyield = -1;
    let n = call_c(l, f)?;
    if n >= 0 {
        let avail = v.nargs();
        return Ok((n as usize).min(avail));
    }
    let ny = ls(l).nyield;
    if ny < 0 {
        return Err(v.rt_error("C function returned a negative count"));
    }
    // lua_yield: hand the top values to resume.
    if v.cur == v.main || v.th().nccalls > 1 {
        return Err(v.rt_error("attempt to yield across C-call boundary"));
    }
    let t = v.th();
    let lo = t.top - (ny as usize).min(v.nargs());
    v.transfer.clear();
    let vals = t.stack[lo..t.top].to_vec();
    v.transfer.extend_from_slice(&vals);
    Err(LuaError::yield_())
}

/// A C function value with upvalues.
pub fn new_cclosure(v: &mut Vm, f: lua_CFunction, ups: &[Value]) -> Value {
    let mut u = Vec::with_capacity(ups.len() + 1);
    u.push(Value::light_ud(f.map_or(0, |f| f as usize)));
    u.extend_from_slice(ups);
    v.new_native_closure(c_trampoline, CFUNC_NAME, u)
}

/// A stable C string for a name (cached per VM).
pub fn cname(l: *mut lua_State, b: &[u8]) -> *const c_char {
    let g = gl(l);
    if let Some(c) = g.names.get(b) {
        return c.as_ptr();
    }
    let c = CString::new(b.iter().copied().filter(|&c| c != 0).collect::<Vec<u8>>())
        .unwrap_or_default();
    let p = c.as_ptr();
    g.names.insert(b.to_vec(), c);
    p
}
