//! The functions of `lua.h` (Lua 5.1): states, stack manipulation, access
//! and push functions, tables, metatables, environments, calls, loading,
//! coroutines, garbage collection and miscellaneous functions. Functions
//! that may raise errors are `extern "C-unwind"`.

use crate::state::*;
use crate::types::*;
use lunatrace_vm::error::{LuaError, Status};
use lunatrace_vm::object::{str_bytes, CoStatus, Thread, Udata};
use lunatrace_vm::table;
use lunatrace_vm::value::LuaType;
use lunatrace_vm::{Value, Vm};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::NonNull;

/// Bytes of a C string.
pub(crate) fn cbytes<'a>(s: *const c_char) -> &'a [u8] {
    if s.is_null() {
        return b"";
    }
    // SAFETY: C passes a NUL-terminated string.
    unsafe { CStr::from_ptr(s).to_bytes() }
}

// ---- state manipulation ----

/// A fresh VM wrapped for C; the standard libraries are not opened.
pub fn new_state() -> *mut lua_State {
    let v = Box::into_raw(Vm::new());
    // SAFETY: freshly leaked VM, owned by its Global from now on.
    let vr = unsafe { &mut *v };
    crate::run_vm_init(vr);
    let g = global_of(vr);
    // SAFETY: `g` was just created for this VM.
    unsafe { (*g).owned = true };
    state_of(g, vr.main)
}

#[no_mangle]
pub unsafe extern "C" fn lua_newstate(f: lua_Alloc, ud: *mut c_void) -> *mut lua_State {
    let l = new_state();
    if f.is_some() {
        lua_setallocf(l, f, ud);
    }
    l
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_close(l: *mut lua_State) {
    let g = ls(l).g;
    let v = vm(l);
    let main = state_of(g, v.main);
    // Finalise every userdata with __gc, newest first (as Lua 5.1 does).
    let depth = gl(main).depth;
    gl(main).depth += 1; // errors in finalisers are ignored
    on_thread(main, |v| v.close_finalizers());
    gl(main).depth = depth;
    // SAFETY: the Global was created by `global_of` with Box::into_raw.
    let gb = unsafe { Box::from_raw(g) };
    let owned = gb.owned;
    v.capi = std::ptr::null_mut();
    v.c_loader = None;
    std::mem::forget(gb.libs);
    drop(gb.states);
    if owned {
        // SAFETY: the VM was leaked by `new_state` and is no longer used.
        drop(unsafe { Box::from_raw(v as *mut Vm) });
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_newthread(l: *mut lua_State) -> *mut lua_State {
    let v = vm(l);
    let t = v.heap.new_thread(Thread::new(
        vec![Value::NIL; 64],
        0,
        8,
        CoStatus::Suspended,
        th(l).env,
    ));
    push(l, Value::from_thread(t));
    state_of(ls(l).g, t)
}

#[no_mangle]
pub unsafe extern "C" fn lua_atpanic(l: *mut lua_State, f: lua_CFunction) -> lua_CFunction {
    std::mem::replace(&mut gl(l).panic, f)
}

// ---- basic stack manipulation ----

#[no_mangle]
pub unsafe extern "C" fn lua_gettop(l: *mut lua_State) -> c_int {
    (top(l) - base(l)) as c_int
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_settop(l: *mut lua_State, idx: c_int) {
    let b = base(l);
    if idx >= 0 {
        let want = b + idx as usize;
        ensure(l, idx as usize);
        let t = th(l);
        while t.top < want {
            t.stack[t.top] = Value::NIL;
            t.top += 1;
        }
        t.top = want;
    } else {
        let n = (-idx - 1) as usize;
        pop(l, n);
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushvalue(l: *mut lua_State, idx: c_int) {
    let v = get(l, idx);
    push(l, v);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_remove(l: *mut lua_State, idx: c_int) {
    if let Slot::Stack(s) = slot(l, idx) {
        let t = th(l);
        t.stack.copy_within(s + 1..t.top, s);
        t.top -= 1;
    } else {
        api_fail(l, "lua_remove: invalid index");
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_insert(l: *mut lua_State, idx: c_int) {
    if let Slot::Stack(s) = slot(l, idx) {
        let t = th(l);
        let v = t.stack[t.top - 1];
        t.stack.copy_within(s..t.top - 1, s + 1);
        t.stack[s] = v;
    } else {
        api_fail(l, "lua_insert: invalid index");
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_replace(l: *mut lua_State, idx: c_int) {
    let v = get(l, -1);
    set(l, idx, v);
    pop(l, 1);
}

/// `lua_copy(L, from, to)` (LuaJIT 2.1, from Lua 5.2): the value at
/// `from` replaces the one at `to`; nothing is popped.
#[no_mangle]
pub unsafe extern "C-unwind" fn lua_copy(l: *mut lua_State, from: c_int, to: c_int) {
    let v = get(l, from);
    set(l, to, v);
}

#[no_mangle]
pub unsafe extern "C" fn lua_checkstack(l: *mut lua_State, sz: c_int) -> c_int {
    let t = th(l);
    if sz < 0 || t.top + sz as usize > vm(l).max_stack() {
        return 0;
    }
    ensure(l, sz as usize);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_xmove(from: *mut lua_State, to: *mut lua_State, n: c_int) {
    if from == to || n <= 0 {
        return;
    }
    let n = n as usize;
    let t = th(from);
    if t.top < base(from) + n {
        api_fail(from, "lua_xmove: not enough values");
        return;
    }
    let vals = t.stack[t.top - n..t.top].to_vec();
    t.top -= n;
    for v in vals {
        push(to, v);
    }
}

// ---- access functions ----

#[no_mangle]
pub unsafe extern "C" fn lua_isnumber(l: *mut lua_State, idx: c_int) -> c_int {
    get_opt(l, idx).is_some_and(|v| vm(l).tonumber(v).is_some()) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn lua_isstring(l: *mut lua_State, idx: c_int) -> c_int {
    get_opt(l, idx).is_some_and(|v| v.is_str() || v.is_num()) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn lua_iscfunction(l: *mut lua_State, idx: c_int) -> c_int {
    get_opt(l, idx)
        .and_then(|v| v.as_func_ptr())
        // SAFETY: live function object.
        .is_some_and(|f| unsafe { (*f.as_ptr()).native.is_some() }) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn lua_isuserdata(l: *mut lua_State, idx: c_int) -> c_int {
    get_opt(l, idx)
        .is_some_and(|v| matches!(v.lua_type(), LuaType::Userdata | LuaType::LightUserdata))
        as c_int
}

pub(crate) fn type_of(v: Option<Value>) -> c_int {
    match v.map(|v| v.lua_type()) {
        None => LUA_TNONE,
        Some(LuaType::Nil) => LUA_TNIL,
        Some(LuaType::Boolean) => LUA_TBOOLEAN,
        Some(LuaType::LightUserdata) => LUA_TLIGHTUSERDATA,
        Some(LuaType::Number) => LUA_TNUMBER,
        Some(LuaType::String) => LUA_TSTRING,
        Some(LuaType::Table) => LUA_TTABLE,
        Some(LuaType::Function) => LUA_TFUNCTION,
        Some(LuaType::Userdata) | Some(LuaType::Cdata) => LUA_TUSERDATA,
        Some(LuaType::Thread) => LUA_TTHREAD,
        Some(LuaType::Proto) => LUA_TNIL,
    }
}

#[no_mangle]
pub unsafe extern "C" fn lua_type(l: *mut lua_State, idx: c_int) -> c_int {
    type_of(get_opt(l, idx))
}

pub(crate) const TYPE_NAMES: [&CStr; 10] = [
    c"no value",
    c"nil",
    c"boolean",
    c"userdata",
    c"number",
    c"string",
    c"table",
    c"function",
    c"userdata",
    c"thread",
];

#[no_mangle]
pub unsafe extern "C" fn lua_typename(_l: *mut lua_State, tp: c_int) -> *const c_char {
    let i = (tp + 1).clamp(0, 9) as usize;
    TYPE_NAMES[i].as_ptr()
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_equal(l: *mut lua_State, i1: c_int, i2: c_int) -> c_int {
    let (Some(a), Some(b)) = (get_opt(l, i1), get_opt(l, i2)) else {
        return 0;
    };
    guarded(l, |v| lunatrace_vm::interp::equals(v, a, b)) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn lua_rawequal(l: *mut lua_State, i1: c_int, i2: c_int) -> c_int {
    match (get_opt(l, i1), get_opt(l, i2)) {
        (Some(a), Some(b)) => a.raw_eq(b) as c_int,
        _ => 0,
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_lessthan(l: *mut lua_State, i1: c_int, i2: c_int) -> c_int {
    let (Some(a), Some(b)) = (get_opt(l, i1), get_opt(l, i2)) else {
        return 0;
    };
    guarded(l, |v| lunatrace_vm::interp::less_than(v, a, b)) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn lua_tonumber(l: *mut lua_State, idx: c_int) -> lua_Number {
    get_opt(l, idx)
        .and_then(|v| vm(l).tonumber(v))
        .unwrap_or(0.0)
}

#[no_mangle]
pub unsafe extern "C" fn lua_tointeger(l: *mut lua_State, idx: c_int) -> lua_Integer {
    let n = lua_tonumber(l, idx);
    if n.is_nan() {
        0
    } else {
        n as lua_Integer
    }
}

/// `lua_tonumberx(L, idx, isnum)`: as `lua_tonumber`; `*isnum` (if not
/// NULL) tells whether the value was a number or a string convertible to
/// one.
#[no_mangle]
pub unsafe extern "C" fn lua_tonumberx(
    l: *mut lua_State,
    idx: c_int,
    isnum: *mut c_int,
) -> lua_Number {
    let n = get_opt(l, idx).and_then(|v| vm(l).tonumber(v));
    if !isnum.is_null() {
        // SAFETY: a non-NULL `isnum` points to an int of the caller.
        *isnum = n.is_some() as c_int;
    }
    n.unwrap_or(0.0)
}

/// `lua_tointegerx(L, idx, isnum)`: as `lua_tointeger`, with `*isnum` as
/// in `lua_tonumberx`.
#[no_mangle]
pub unsafe extern "C" fn lua_tointegerx(
    l: *mut lua_State,
    idx: c_int,
    isnum: *mut c_int,
) -> lua_Integer {
    let n = lua_tonumberx(l, idx, isnum);
    if n.is_nan() {
        0
    } else {
        n as lua_Integer
    }
}

#[no_mangle]
pub unsafe extern "C" fn lua_toboolean(l: *mut lua_State, idx: c_int) -> c_int {
    get_opt(l, idx).is_some_and(|v| v.truthy()) as c_int
}

/// Convert a number at `idx` to a string in place; the string value.
fn tostr_inplace(l: *mut lua_State, idx: c_int) -> Option<Value> {
    let v = get_opt(l, idx)?;
    if v.is_str() {
        return Some(v);
    }
    let n = v.as_num()?;
    let s = lunatrace_vm::number::fmt_num(n);
    let sv = vm(l).intern(s.as_bytes());
    if let Slot::Stack(s) = slot(l, idx) {
        th(l).stack[s] = sv;
    }
    Some(sv)
}

#[no_mangle]
pub unsafe extern "C" fn lua_tolstring(
    l: *mut lua_State,
    idx: c_int,
    len: *mut usize,
) -> *const c_char {
    match tostr_inplace(l, idx) {
        Some(s) => {
            let b = str_bytes(s);
            if !len.is_null() {
                *len = b.len();
            }
            b.as_ptr() as *const c_char
        }
        None => {
            if !len.is_null() {
                *len = 0;
            }
            std::ptr::null()
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn lua_objlen(l: *mut lua_State, idx: c_int) -> usize {
    let Some(v) = get_opt(l, idx) else { return 0 };
    if v.is_str() {
        return str_bytes(v).len();
    }
    if let Some(t) = v.as_table_ptr() {
        return table::length(t);
    }
    if let Some(u) = v.as_udata_ptr() {
        return (*u.as_ptr()).len;
    }
    if v.is_num() {
        return tostr_inplace(l, idx).map_or(0, |s| str_bytes(s).len());
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn lua_tocfunction(l: *mut lua_State, idx: c_int) -> lua_CFunction {
    get_opt(l, idx)
        .and_then(|v| v.as_func_ptr())
        .and_then(cfunc_of)
}

#[no_mangle]
pub unsafe extern "C" fn lua_touserdata(l: *mut lua_State, idx: c_int) -> *mut c_void {
    let Some(v) = get_opt(l, idx) else {
        return std::ptr::null_mut();
    };
    if let Some(u) = v.as_udata_ptr() {
        return Udata::payload(u) as *mut c_void;
    }
    if v.lua_type() == LuaType::LightUserdata {
        return v.payload() as usize as *mut c_void;
    }
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn lua_tothread(l: *mut lua_State, idx: c_int) -> *mut lua_State {
    match get_opt(l, idx).and_then(|v| v.as_thread_ptr()) {
        Some(t) => state_of(ls(l).g, t),
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn lua_topointer(l: *mut lua_State, idx: c_int) -> *const c_void {
    let Some(v) = get_opt(l, idx) else {
        return std::ptr::null();
    };
    match v.lua_type() {
        LuaType::Userdata | LuaType::LightUserdata => lua_touserdata(l, idx) as *const c_void,
        LuaType::Table | LuaType::Function | LuaType::Thread => {
            v.payload() as usize as *const c_void
        }
        _ => std::ptr::null(),
    }
}

// ---- push functions ----

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushnil(l: *mut lua_State) {
    push(l, Value::NIL);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushnumber(l: *mut lua_State, n: lua_Number) {
    push(l, Value::num(n));
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushinteger(l: *mut lua_State, n: lua_Integer) {
    push(l, Value::num(n as f64));
}

pub(crate) fn push_bytes(l: *mut lua_State, b: &[u8]) -> *const c_char {
    let s = vm(l).intern(b);
    push(l, s);
    str_bytes(s).as_ptr() as *const c_char
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushlstring(l: *mut lua_State, s: *const c_char, len: usize) {
    let b = if len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(s as *const u8, len)
    };
    push_bytes(l, b);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushstring(l: *mut lua_State, s: *const c_char) {
    if s.is_null() {
        push(l, Value::NIL);
    } else {
        push_bytes(l, cbytes(s));
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushcclosure(l: *mut lua_State, f: lua_CFunction, n: c_int) {
    let n = n.max(0) as usize;
    let t = th(l);
    let ups: Vec<Value> = t.stack[t.top - n..t.top].to_vec();
    let c = new_cclosure(vm(l), f, &ups);
    th(l).top -= n;
    push(l, c);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushboolean(l: *mut lua_State, b: c_int) {
    push(l, Value::bool(b != 0));
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushlightuserdata(l: *mut lua_State, p: *mut c_void) {
    push(l, Value::light_ud(p as usize));
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushthread(l: *mut lua_State) -> c_int {
    push(l, Value::from_thread(ls(l).th));
    (ls(l).th == vm(l).main) as c_int
}

// ---- get functions ----

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_gettable(l: *mut lua_State, idx: c_int) {
    let t = get(l, idx);
    let k = get(l, -1);
    let r = guarded(l, |v| v.index(t, k));
    set(l, -1, r);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_getfield(l: *mut lua_State, idx: c_int, k: *const c_char) {
    let idx = abs_index(l, idx);
    push_bytes(l, cbytes(k));
    lua_gettable(l, idx);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_rawget(l: *mut lua_State, idx: c_int) {
    let t = get(l, idx);
    let Some(tp) = t.as_table_ptr() else {
        api_fail(l, "lua_rawget: table expected");
        return;
    };
    let r = table::get(tp, get(l, -1));
    set(l, -1, r);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_rawgeti(l: *mut lua_State, idx: c_int, n: c_int) {
    let t = get(l, idx);
    let Some(tp) = t.as_table_ptr() else {
        api_fail(l, "lua_rawgeti: table expected");
        push(l, Value::NIL);
        return;
    };
    push(l, table::get_int(tp, n as i64));
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_createtable(l: *mut lua_State, narr: c_int, nrec: c_int) {
    gc_step(l);
    let t = vm(l).new_table_value(narr.max(0) as usize, nrec.max(0) as usize);
    push(l, t);
}

/// Collect if due, at an API allocation (everything live is on a stack or
/// otherwise rooted, as at any call out of the interpreter).
fn gc_step(l: *mut lua_State) {
    let v = vm(l);
    if v.heap.should_collect() && lunatrace_vm::jitrt::jit_base() == 0 {
        let r = on_thread(l, |v| v.full_gc());
        check(l, r);
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_newuserdata(l: *mut lua_State, size: usize) -> *mut c_void {
    gc_step(l);
    let env = th(l).env;
    let u = vm(l).heap.new_udata(size, env);
    push(l, Value::from_udata(u));
    Udata::payload(u) as *mut c_void
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_getmetatable(l: *mut lua_State, idx: c_int) -> c_int {
    let Some(v) = get_opt(l, idx) else { return 0 };
    match vm(l).get_metatable(v) {
        Some(m) => {
            push(l, Value::from_table(m));
            1
        }
        None => 0,
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_getfenv(l: *mut lua_State, idx: c_int) {
    let v = get(l, idx);
    let env = if let Some(f) = v.as_func_ptr() {
        (*f.as_ptr()).env
    } else if let Some(u) = v.as_udata_ptr() {
        (*u.as_ptr()).env
    } else if let Some(t) = v.as_thread_ptr() {
        (*t.as_ptr()).env
    } else {
        std::ptr::null_mut()
    };
    push(l, NonNull::new(env).map_or(Value::NIL, Value::from_table));
}

// ---- set functions ----

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_settable(l: *mut lua_State, idx: c_int) {
    let t = get(l, idx);
    let k = get(l, -2);
    let val = get(l, -1);
    guarded(l, |v| v.set_index(t, k, val));
    pop(l, 2);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_setfield(l: *mut lua_State, idx: c_int, k: *const c_char) {
    let idx = abs_index(l, idx);
    push_bytes(l, cbytes(k));
    lua_insert(l, -2);
    lua_settable(l, idx);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_rawset(l: *mut lua_State, idx: c_int) {
    let t = get(l, idx);
    let Some(tp) = t.as_table_ptr() else {
        api_fail(l, "lua_rawset: table expected");
        return;
    };
    let (k, val) = (get(l, -2), get(l, -1));
    let r = on_thread(l, |v| v.raw_set(tp, k, val));
    check(l, r);
    pop(l, 2);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_rawseti(l: *mut lua_State, idx: c_int, n: c_int) {
    let t = get(l, idx);
    let Some(tp) = t.as_table_ptr() else {
        api_fail(l, "lua_rawseti: table expected");
        return;
    };
    let val = get(l, -1);
    // (The value is on the stack: a table that cannot grow may collect.)
    let r = on_thread(l, |v| v.set_collecting(tp, Value::num(n as f64), val));
    check(l, r).ok();
    pop(l, 1);
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_setmetatable(l: *mut lua_State, idx: c_int) -> c_int {
    let v = get(l, idx);
    let m = get(l, -1);
    if !m.is_nil() && !m.is_table() {
        api_fail(l, "lua_setmetatable: table expected");
        pop(l, 1);
        return 0;
    }
    let mp = m.as_table_ptr();
    if let Some(t) = v.as_table_ptr() {
        table::set_meta(t, mp);
    } else if let Some(u) = v.as_udata_ptr() {
        (*u.as_ptr()).meta = mp.map_or(std::ptr::null_mut(), |p| p.as_ptr());
    } else {
        vm(l).type_meta[v.tag() as usize] = mp.map_or(std::ptr::null_mut(), |p| p.as_ptr());
    }
    pop(l, 1);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_setfenv(l: *mut lua_State, idx: c_int) -> c_int {
    let v = get(l, idx);
    let e = get(l, -1);
    let Some(ep) = e.as_table_ptr() else {
        api_fail(l, "lua_setfenv: table expected");
        pop(l, 1);
        return 0;
    };
    let r = if let Some(f) = v.as_func_ptr() {
        (*f.as_ptr()).env = ep.as_ptr();
        1
    } else if let Some(u) = v.as_udata_ptr() {
        (*u.as_ptr()).env = ep.as_ptr();
        1
    } else if let Some(t) = v.as_thread_ptr() {
        (*t.as_ptr()).env = ep.as_ptr();
        1
    } else {
        0
    };
    pop(l, 1);
    r
}

// ---- load and call ----

fn check_nargs(l: *mut lua_State, nargs: c_int) -> usize {
    let n = nargs.max(0) as usize;
    if top(l) < base(l) + n + 1 {
        api_fail(l, "not enough elements in the stack for the call");
    }
    top(l) - n - 1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_call(l: *mut lua_State, nargs: c_int, nresults: c_int) {
    let func = check_nargs(l, nargs);
    guarded(l, |v| v.call_at(func, nargs as usize, nresults));
}

pub(crate) fn status_code(e: &LuaError) -> c_int {
    match e.status {
        Status::Ok => 0,
        Status::Yield => LUA_ERRRUN,
        Status::Runtime => LUA_ERRRUN,
        Status::Syntax => LUA_ERRSYNTAX,
        Status::Memory => LUA_ERRMEM,
        Status::ErrErr => LUA_ERRERR,
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pcall(
    l: *mut lua_State,
    nargs: c_int,
    nresults: c_int,
    errfunc: c_int,
) -> c_int {
    let func = check_nargs(l, nargs);
    let handler = if errfunc == 0 {
        None
    } else {
        Some(get(l, errfunc))
    };
    let r = guarded(l, |v| {
        Ok(v.pcall_at_handler(func, nargs as usize, nresults, handler))
    });
    match r {
        Ok(_) => 0,
        Err(e) => {
            th(l).top = func;
            push(l, e.value);
            status_code(&e)
        }
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_cpcall(
    l: *mut lua_State,
    f: lua_CFunction,
    ud: *mut c_void,
) -> c_int {
    let c = new_cclosure(vm(l), f, &[]);
    push(l, c);
    push(l, Value::light_ud(ud as usize));
    lua_pcall(l, 1, 0, 0)
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_load(
    l: *mut lua_State,
    reader: lua_Reader,
    data: *mut c_void,
    chunkname: *const c_char,
) -> c_int {
    lua_loadx(l, reader, data, chunkname, std::ptr::null())
}

/// `lua_loadx(L, reader, data, chunkname, mode)` (LuaJIT 2.1): as
/// `lua_load`; `mode` (NULL: "bt") holds `t` to accept source text and `b`
/// to accept bytecode, else `LUA_ERRSYNTAX` with "attempt to load chunk
/// with wrong mode".
#[no_mangle]
pub unsafe extern "C-unwind" fn lua_loadx(
    l: *mut lua_State,
    reader: lua_Reader,
    data: *mut c_void,
    chunkname: *const c_char,
    mode: *const c_char,
) -> c_int {
    let Some(rd) = reader else { return LUA_ERRRUN };
    let mode = (!mode.is_null()).then(|| cbytes(mode).to_vec());
    let name = if chunkname.is_null() {
        b"?".to_vec()
    } else {
        cbytes(chunkname).to_vec()
    };
    // The host's reader, called as the parser needs more source (a
    // syntax error stops the reading, as in LuaJIT; a binary chunk is
    // read whole): NULL or a size of 0 ends the chunk.
    let mut next = |_: &mut lunatrace_vm::Vm| {
        let mut sz = 0usize;
        let p = rd(l, data, &mut sz);
        if p.is_null() || sz == 0 {
            return Ok(Ok(None));
        }
        // SAFETY: the reader returned a block of `sz` bytes, valid until
        // its next call (lua_load's contract); it is copied at once.
        let piece = std::slice::from_raw_parts(p as *const u8, sz).to_vec();
        Ok(Ok(Some(piece)))
    };
    let r = on_thread(l, |v| {
        lunatrace_vm::lib_base::load_pieces(v, &mut next, Some(name), mode.as_deref())
    });
    match r {
        Ok(Ok(f)) => {
            if let Some(fp) = f.as_func_ptr() {
                // SAFETY: fresh closure; set its environment to the thread's.
                (*fp.as_ptr()).env = th(l).env;
            }
            push(l, f);
            0
        }
        Ok(Err(msg)) => {
            push(l, msg);
            LUA_ERRSYNTAX
        }
        Err(e) => {
            push(l, e.value);
            status_code(&e)
        }
    }
}

/// Compile `src` and push the function or the error message.
pub(crate) fn load_bytes(l: *mut lua_State, src: &[u8], name: &str) -> c_int {
    let r = on_thread(l, |v| v.load(src, name));
    match r {
        Ok(f) => {
            if let Some(fp) = f.as_func_ptr() {
                // SAFETY: fresh closure; set its environment to the thread's.
                unsafe { (*fp.as_ptr()).env = th(l).env };
            }
            push(l, f);
            0
        }
        Err(e) => {
            push(l, e.value);
            status_code(&e)
        }
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_dump(
    l: *mut lua_State,
    writer: lua_Writer,
    data: *mut c_void,
) -> c_int {
    let f = get(l, -1);
    let Some(p) = lunatrace_vm::debuginfo::func_proto(f) else {
        return 1;
    };
    let Some(w) = writer else { return 1 };
    let bytes = lunatrace_vm::bcdump::dump(vm(l), p, false);
    w(l, bytes.as_ptr() as *const c_void, bytes.len(), data)
}

// ---- coroutines ----

#[no_mangle]
pub unsafe extern "C" fn lua_yield(l: *mut lua_State, nresults: c_int) -> c_int {
    ls(l).nyield = nresults.max(0);
    -1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_resume(l: *mut lua_State, narg: c_int) -> c_int {
    let v = vm(l);
    let co = ls(l).th;
    let t = th(l);
    let narg = narg.max(0) as usize;
    if t.status != CoStatus::Suspended || co == v.main {
        let m = if t.status == CoStatus::Dead {
            v.intern(b"cannot resume dead coroutine")
        } else {
            v.intern(b"cannot resume non-suspended coroutine")
        };
        push(l, m);
        return LUA_ERRRUN;
    }
    let entry = admit(l);
    let fresh = t.frames.is_empty();
    let prev = v.cur;
    (*prev.as_ptr()).status = CoStatus::Normal;
    t.status = CoStatus::Running;
    v.cur = co;
    let (r, func) = if fresh {
        if t.top < narg + 1 {
            v.cur = prev;
            (*prev.as_ptr()).status = CoStatus::Running;
            t.status = CoStatus::Suspended;
            let m = v.intern(b"cannot resume dead coroutine");
            push(l, m);
            return LUA_ERRRUN;
        }
        let func = t.top - narg - 1;
        (v.call_at(func, narg, -1), func)
    } else {
        let lo = t.top - narg.min(t.top);
        v.transfer.clear();
        let vals = t.stack[lo..t.top].to_vec();
        v.transfer.extend_from_slice(&vals);
        t.top = ls(l).yield_top.min(lo);
        ls(l).yield_top = usize::MAX;
        (lunatrace_vm::interp::resume_yielded(v), 0)
    };
    v.cur = prev;
    (*prev.as_ptr()).status = CoStatus::Running;
    lunatrace_vm::jitrt::end_vm_entry(v, entry);
    let t = th(l);
    match r {
        Ok(n) => {
            t.status = CoStatus::Dead;
            if fresh {
                ls(l).host_base = func;
                t.top = func + n;
            } else {
                // Results are at the base of the coroutine's stack.
                ls(l).host_base = 0;
                t.top = n;
            }
            0
        }
        Err(e) if e.is_yield() => {
            t.status = CoStatus::Suspended;
            let b = t.top;
            ls(l).host_base = b;
            ls(l).yield_top = b;
            let vals = v.transfer.clone();
            for x in vals {
                push(l, x);
            }
            LUA_YIELD
        }
        Err(e) => {
            t.status = CoStatus::Dead;
            let code = status_code(&e);
            ls(l).errstatus = code;
            ls(l).host_base = t.top;
            push(l, e.value);
            code
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn lua_status(l: *mut lua_State) -> c_int {
    let t = th(l);
    match t.status {
        CoStatus::Suspended if !t.frames.is_empty() => LUA_YIELD,
        CoStatus::Dead => ls(l).errstatus,
        _ => 0,
    }
}

// ---- garbage collection ----

/// `lua_isyieldable(L)` (LuaJIT 2.1): whether thread `L` runs as a
/// coroutine that may yield now (not the main thread, not suspended, no
/// non-yieldable C call in between), as `coroutine.isyieldable()` there.
#[no_mangle]
pub unsafe extern "C" fn lua_isyieldable(l: *mut lua_State) -> c_int {
    let v = vm(l);
    let t = ls(l).th;
    (t == v.cur && t != v.main && th(l).nccalls <= 1) as c_int
}

/// `lua_version(L)` (LuaJIT 2.1): the address of the API's version
/// number, `LUA_VERSION_NUM` (501).
#[no_mangle]
pub unsafe extern "C" fn lua_version(_l: *mut lua_State) -> *const lua_Number {
    static VERSION: lua_Number = 501.0;
    &VERSION
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_gc(l: *mut lua_State, what: c_int, data: c_int) -> c_int {
    let v = vm(l);
    match what {
        LUA_GCSTOP => {
            v.heap.stopped = true;
            0
        }
        LUA_GCRESTART => {
            v.heap.stopped = false;
            0
        }
        LUA_GCCOLLECT => {
            v.heap.stopped = false;
            let r = on_thread(l, |v| v.full_gc());
            check(l, r);
            v.heap.step_done = false;
            0
        }
        LUA_GCSTEP => {
            let r = on_thread(l, |v| v.gc_step(data));
            c_int::from(check(l, r))
        }
        LUA_GCCOUNT => (v.heap.allocated >> 10) as c_int,
        LUA_GCCOUNTB => (v.heap.allocated & 0x3ff) as c_int,
        LUA_GCSETPAUSE => std::mem::replace(&mut v.heap.pause, data.max(0) as usize) as c_int,
        LUA_GCSETSTEPMUL => std::mem::replace(&mut v.heap.stepmul, data.max(0) as usize) as c_int,
        _ => -1,
    }
}

// ---- miscellaneous ----

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_error(l: *mut lua_State) -> c_int {
    let v = get(l, -1);
    throw(l, LuaError::runtime(v))
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_next(l: *mut lua_State, idx: c_int) -> c_int {
    let t = get(l, idx);
    let Some(tp) = t.as_table_ptr() else {
        api_fail(l, "lua_next: table expected");
        return 0;
    };
    let k = get(l, -1);
    match table::next(tp, k) {
        Ok(Some((k, val))) => {
            set(l, -1, k);
            push(l, val);
            1
        }
        Ok(None) => {
            pop(l, 1);
            0
        }
        Err(_) => {
            let e = on_thread(l, |v| v.rt_error("invalid key to 'next'"));
            throw(l, e)
        }
    }
}

/// `a .. b` with `__concat`, for two stack values.
fn concat2(v: &mut Vm, a: Value, b: Value) -> lunatrace_vm::LuaResult<Value> {
    let sn = |x: Value| x.is_str() || x.is_num();
    if sn(a) && sn(b) {
        let mut s = Vec::new();
        for x in [a, b] {
            if x.is_str() {
                s.extend_from_slice(str_bytes(x));
            } else {
                s.extend_from_slice(lunatrace_vm::number::fmt_num(x.num_unchecked()).as_bytes());
            }
        }
        return Ok(v.intern(&s));
    }
    let mut mm = v.metamethod(a, lunatrace_vm::state::MM::Concat);
    if mm.is_nil() {
        mm = v.metamethod(b, lunatrace_vm::state::MM::Concat);
    }
    if mm.is_nil() {
        let bad = if sn(a) { b } else { a };
        return Err(v.rt_error(&format!(
            "attempt to concatenate a {} value",
            bad.type_name()
        )));
    }
    let r = v.call_values(mm, &[a, b])?;
    Ok(r.first().copied().unwrap_or(Value::NIL))
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_concat(l: *mut lua_State, n: c_int) {
    if n <= 0 {
        push_bytes(l, b"");
        return;
    }
    let mut n = n as usize;
    while n >= 2 {
        let t = th(l);
        let (a, b) = (t.stack[t.top - 2], t.stack[t.top - 1]);
        let r = guarded(l, |v| concat2(v, a, b));
        let t = th(l);
        t.stack[t.top - 2] = r;
        t.top -= 1;
        n -= 1;
    }
}

#[no_mangle]
pub unsafe extern "C" fn lua_getallocf(l: *mut lua_State, ud: *mut *mut c_void) -> lua_Alloc {
    if !ud.is_null() {
        *ud = gl(l).allocud;
    }
    gl(l).allocf
}

#[no_mangle]
pub unsafe extern "C" fn lua_setallocf(l: *mut lua_State, f: lua_Alloc, ud: *mut c_void) {
    gl(l).allocf = f;
    gl(l).allocud = ud;
    // The heap's chunks and large blocks come from the allocator from now
    // on (ARCHITECTURE.md: Memory limits); its refusals become "not
    // enough memory".
    vm(l)
        .heap
        .bufs
        .sys
        .set_host(f.map(|f| lunatrace_vm::gc::HostAlloc { f, ud }));
}

/// `lua_setlevel` (5.1, for coroutine libraries): nothing to transfer here.
#[no_mangle]
pub unsafe extern "C" fn lua_setlevel(_from: *mut lua_State, _to: *mut lua_State) {}
