//! The debug interface of `lua.h`: `lua_getstack`, `lua_getinfo`,
//! `lua_getlocal`/`lua_setlocal`, `lua_getupvalue`/`lua_setupvalue` and
//! hooks (a C hook runs as a native the interpreter's hook machinery calls).

use crate::api::*;
use crate::state::*;
use crate::types::*;
use lunatrace_vm::debuginfo::{self, chunkid, func_proto, line_at, proto, Level};
use lunatrace_vm::error::LuaResult;
use lunatrace_vm::object::{str_bytes, FrameKind};
use lunatrace_vm::{Value, Vm};
use std::ffi::{c_char, c_int, c_void};

fn encode(l: Level) -> c_int {
    match l {
        Level::Frame(i) => (i * 2) as c_int,
        Level::Protect(i) => (i * 2 + 1) as c_int,
    }
}

fn decode(l: *mut lua_State, ci: c_int) -> Option<Level> {
    if ci < 0 {
        return None;
    }
    let i = (ci / 2) as usize;
    if i >= th(l).frames.len() {
        return None;
    }
    Some(if ci % 2 == 0 {
        Level::Frame(i)
    } else {
        Level::Protect(i)
    })
}

#[no_mangle]
pub unsafe extern "C" fn lua_getstack(
    l: *mut lua_State,
    level: c_int,
    ar: *mut lua_Debug,
) -> c_int {
    if level < 0 {
        return 0;
    }
    match debuginfo::level_at(th(l), level as usize) {
        Some(lv) => {
            (*ar).i_ci = encode(lv);
            1
        }
        None => 0,
    }
}

fn set_short_src(ar: &mut lua_Debug, s: &str) {
    let b = s.as_bytes();
    let n = b.len().min(LUA_IDSIZE - 1);
    for (i, &c) in b[..n].iter().enumerate() {
        ar.short_src[i] = c as c_char;
    }
    ar.short_src[n] = 0;
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_getinfo(
    l: *mut lua_State,
    what: *const c_char,
    ar: *mut lua_Debug,
) -> c_int {
    let mut w = cbytes(what);
    let ar = &mut *ar;
    let (fv, level) = if w.first() == Some(&b'>') {
        w = &w[1..];
        let f = get(l, -1);
        pop(l, 1);
        (f, None)
    } else {
        let Some(lv) = decode(l, ar.i_ci) else {
            return 0;
        };
        (debuginfo::level_func(vm(l), th(l), lv), Some(lv))
    };
    let p = func_proto(fv);
    for &c in w {
        match c {
            b'S' => match p {
                Some(p) => {
                    let pr = proto(p);
                    ar.source = str_bytes(pr.source).as_ptr() as *const c_char;
                    set_short_src(ar, &chunkid(str_bytes(pr.source)));
                    ar.linedefined = pr.linedefined as c_int;
                    ar.lastlinedefined = pr.lastlinedefined as c_int;
                    ar.what = if pr.linedefined == 0 {
                        c"main".as_ptr()
                    } else {
                        c"Lua".as_ptr()
                    };
                }
                None => {
                    ar.source = c"=[C]".as_ptr();
                    set_short_src(ar, "[C]");
                    ar.linedefined = -1;
                    ar.lastlinedefined = -1;
                    ar.what = c"C".as_ptr();
                }
            },
            b'l' => {
                ar.currentline = match (p, level) {
                    (Some(p), Some(Level::Frame(i))) => {
                        line_at(proto(p), debuginfo::frame_pc(&th(l).frames[i])) as c_int
                    }
                    _ => -1,
                };
            }
            b'u' => {
                ar.nups = match fv.as_func_ptr() {
                    Some(f) => {
                        let fo = &*f.as_ptr();
                        if fo.proto.is_null() {
                            let hidden = cfunc_of(f).is_some() as usize;
                            (fo.cupvals.len() - hidden) as c_int
                        } else {
                            fo.upvals.len() as c_int
                        }
                    }
                    None => 0,
                };
            }
            b'n' => {
                let name = level.and_then(|lv| debuginfo::level_name(vm(l), th(l), lv));
                match name {
                    Some((kind, n)) => {
                        ar.name = cname(l, n.as_bytes());
                        let k = if kind == "function" { "global" } else { kind };
                        ar.namewhat = cname(l, k.as_bytes());
                    }
                    None => {
                        ar.name = std::ptr::null();
                        ar.namewhat = c"".as_ptr();
                    }
                }
            }
            b'f' => push(l, fv),
            b'L' => {
                let t = vm(l).new_table_value(0, 8);
                if let Some(p) = p {
                    let pr = proto(p);
                    let tp = t.as_table_ptr().unwrap();
                    for pc in 1..pr.code.len() {
                        let _ = lunatrace_vm::table::set(
                            &mut vm(l).heap,
                            tp,
                            Value::num(line_at(pr, pc) as f64),
                            Value::TRUE,
                        );
                    }
                    push(l, t);
                } else {
                    push(l, Value::NIL);
                }
            }
            _ => return 0,
        }
    }
    1
}

/// The stack slot and name of local `n` at the level in `ar`.
fn local_slot(l: *mut lua_State, ar: *const lua_Debug, n: c_int) -> Option<(usize, Vec<u8>)> {
    // SAFETY: `ar` filled by lua_getstack.
    let Level::Frame(i) = decode(l, unsafe { (*ar).i_ci })? else {
        return None;
    };
    let t = th(l);
    let fr = t.frames[i];
    let top = if i + 1 < t.frames.len() {
        t.frames[i + 1].func as usize
    } else {
        t.top
    };
    if n < 1 {
        return None;
    }
    let slot = fr.base as usize + n as usize - 1;
    if let Some(p) = func_proto(t.stack[fr.func as usize]) {
        if let Some(nm) = debuginfo::local_name(proto(p), n as usize - 1, debuginfo::frame_pc(&fr))
        {
            return Some((slot, str_bytes(nm).to_vec()));
        }
    }
    if slot < top
        && (fr.kind == FrameKind::Native || func_proto(t.stack[fr.func as usize]).is_some())
    {
        return Some((slot, b"(*temporary)".to_vec()));
    }
    None
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_getlocal(
    l: *mut lua_State,
    ar: *const lua_Debug,
    n: c_int,
) -> *const c_char {
    match local_slot(l, ar, n) {
        Some((slot, name)) => {
            let v = th(l).stack[slot];
            push(l, v);
            cname(l, &name)
        }
        None => std::ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_setlocal(
    l: *mut lua_State,
    ar: *const lua_Debug,
    n: c_int,
) -> *const c_char {
    let r = match local_slot(l, ar, n) {
        Some((slot, name)) => {
            let v = vm(l);
            v.debug_writes = v.debug_writes.saturating_add(1);
            th(l).stack[slot] = get(l, -1);
            cname(l, &name)
        }
        None => std::ptr::null(),
    };
    pop(l, 1);
    r
}

/// Upvalue `n` of the function at `funcindex`: (name, pointer to value).
unsafe fn upvalue(l: *mut lua_State, funcindex: c_int, n: c_int) -> Option<(Vec<u8>, *mut Value)> {
    let f = get(l, funcindex).as_func_ptr()?;
    let fo = &mut *f.as_ptr();
    if n < 1 {
        return None;
    }
    let i = n as usize - 1;
    if fo.proto.is_null() {
        let hidden = cfunc_of(f).is_some() as usize;
        let v = fo.cupvals.get_mut(i + hidden)?;
        return Some((Vec::new(), v as *mut Value));
    }
    let u = *fo.upvals.get(i)?;
    let pr = &*fo.proto;
    let name = pr
        .uvnames
        .get(i)
        .map_or(Vec::new(), |v| str_bytes(*v).to_vec());
    Some((name, (*u.as_ptr()).v))
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_getupvalue(
    l: *mut lua_State,
    funcindex: c_int,
    n: c_int,
) -> *const c_char {
    match upvalue(l, funcindex, n) {
        Some((name, p)) => {
            push(l, *p);
            cname(l, &name)
        }
        None => std::ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn lua_setupvalue(
    l: *mut lua_State,
    funcindex: c_int,
    n: c_int,
) -> *const c_char {
    match upvalue(l, funcindex, n) {
        Some((name, p)) => {
            let v = vm(l);
            v.debug_writes = v.debug_writes.saturating_add(1);
            *p = get(l, -1);
            pop(l, 1);
            cname(l, &name)
        }
        None => std::ptr::null(),
    }
}

/// The native installed as the VM's hook for a C hook: translates the
/// event and calls the C function with a `lua_Debug` for level 1 (the
/// hooked function).
fn hook_native(v: &mut Vm) -> LuaResult<usize> {
    let g = global_of(v);
    let l = state_of(g, v.cur);
    let Some(h) = gl(l).hook else { return Ok(0) };
    let ev = v.arg(1);
    let line = v.arg(2).as_num();
    let event = match str_bytes(ev) {
        b"call" => LUA_HOOKCALL,
        b"return" => LUA_HOOKRET,
        b"line" => LUA_HOOKLINE,
        b"count" => LUA_HOOKCOUNT,
        b"tail return" => LUA_HOOKTAILRET,
        _ => LUA_HOOKCALL,
    };
    v.set_nargs(0);
    // SAFETY: lua_Debug is plain old data; zeroed is a valid value.
    let mut ar: lua_Debug = unsafe { std::mem::zeroed() };
    ar.event = event;
    ar.currentline = line.map_or(-1, |n| n as c_int);
    ar.i_ci = match debuginfo::level_at(v.th(), 1) {
        Some(lv) => encode(lv),
        None => -1,
    };
    let arp: *mut lua_Debug = &mut ar;
    thread_local! {
        static HOOK_ARGS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
    }
    HOOK_ARGS.with(|c| c.set((h as usize, arp as usize)));
    unsafe extern "C-unwind" fn call_hook(l: *mut lua_State) -> c_int {
        let (h, ar) = HOOK_ARGS.with(|c| c.get());
        // SAFETY: set just above from a valid lua_Hook and lua_Debug.
        let h: unsafe extern "C-unwind" fn(*mut lua_State, *mut lua_Debug) =
            unsafe { std::mem::transmute(h) };
        // SAFETY: valid handle and record.
        unsafe { h(l, ar as *mut lua_Debug) };
        0
    }
    call_c(l, call_hook)?;
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn lua_sethook(
    l: *mut lua_State,
    func: lua_Hook,
    mask: c_int,
    count: c_int,
) -> c_int {
    let v = vm(l);
    if func.is_none() || mask == 0 {
        gl(l).hook = None;
        v.hook = None;
        v.hook_mask = 0;
        v.hook_count = 0;
        return 1;
    }
    gl(l).hook = func;
    let h = v.new_native(hook_native, "hook");
    v.hook = Some(h);
    let mut m = (mask & 0x7) as u8;
    if mask & 8 != 0 && count > 0 {
        m |= lunatrace_vm::lib_debug::HOOK_COUNT;
    }
    v.hook_mask = m;
    v.hook_count = count.max(0) as u32;
    v.hook_left = v.hook_count;
    1
}

#[no_mangle]
pub unsafe extern "C" fn lua_gethook(l: *mut lua_State) -> lua_Hook {
    gl(l).hook
}

#[no_mangle]
pub unsafe extern "C" fn lua_gethookmask(l: *mut lua_State) -> c_int {
    vm(l).hook_mask as c_int
}

#[no_mangle]
pub unsafe extern "C" fn lua_gethookcount(l: *mut lua_State) -> c_int {
    vm(l).hook_count as c_int
}

/// `lua_upvalueid(L, funcindex, n)` (LuaJIT 2.1): an address identifying
/// upvalue `n` of the function at `funcindex` (closures sharing an upvalue
/// give the same one); NULL when there is no such function or upvalue.
#[no_mangle]
pub unsafe extern "C" fn lua_upvalueid(
    l: *mut lua_State,
    funcindex: c_int,
    n: c_int,
) -> *mut c_void {
    let Some(f) = get_opt(l, funcindex).and_then(|v| v.as_func_ptr()) else {
        return std::ptr::null_mut();
    };
    if n < 1 {
        return std::ptr::null_mut();
    }
    let i = n as usize - 1;
    // SAFETY: a live function object of this VM (on the API stack).
    let fo = &mut *f.as_ptr();
    if fo.proto.is_null() {
        let hidden = cfunc_of(f).is_some() as usize;
        fo.cupvals
            .get_mut(i + hidden)
            .map_or(std::ptr::null_mut(), |v| v as *mut Value as *mut c_void)
    } else {
        fo.upvals
            .get(i)
            .map_or(std::ptr::null_mut(), |u| u.as_ptr() as *mut c_void)
    }
}

/// `lua_upvaluejoin(L, f1, n1, f2, n2)` (LuaJIT 2.1): upvalue `n1` of the
/// Lua function at `f1` becomes upvalue `n2` of the Lua function at `f2`.
/// A non-Lua function or an index out of range raises an error.
#[no_mangle]
pub unsafe extern "C-unwind" fn lua_upvaluejoin(
    l: *mut lua_State,
    f1: c_int,
    n1: c_int,
    f2: c_int,
    n2: c_int,
) {
    let lua_fn = |idx: c_int| {
        get_opt(l, idx)
            .and_then(|v| v.as_func_ptr())
            // SAFETY: a live function object of this VM.
            .filter(|f| unsafe { !(*f.as_ptr()).proto.is_null() })
    };
    let (Some(a), Some(b)) = (lua_fn(f1), lua_fn(f2)) else {
        crate::aux::error_here(l, "lua_upvaluejoin: Lua function expected");
    };
    // SAFETY: live function objects of this VM (possibly the same one:
    // the shared reference ends before the mutable one is made).
    let fb = &*b.as_ptr();
    let u = fb.upvals.get((n2 as usize).wrapping_sub(1)).copied();
    // SAFETY: as above.
    let fa = &mut *a.as_ptr();
    let ups = &mut fa.upvals;
    match (u, ups.get_mut((n1 as usize).wrapping_sub(1))) {
        (Some(u), Some(slot)) if n1 >= 1 && n2 >= 1 => *slot = u,
        _ => crate::aux::error_here(l, "lua_upvaluejoin: upvalue index out of range"),
    }
    let v = vm(l);
    v.debug_writes = v.debug_writes.saturating_add(1);
}
