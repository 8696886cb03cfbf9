//! The profiler functions of `luajit.h` (LuaJIT 2.1's low-level C API of
//! its sampling profiler) over the VM's profiler (`vm/src/profile.rs`, the
//! one `jit.profile` uses): a C callback is called at each sample, on the
//! sampled thread, with that thread's `lua_State`.

use crate::api::cbytes;
use crate::state::*;
use std::ffi::{c_char, c_int, c_void};

/// `luaJIT_profile_callback`: `(data, L, samples, vmstate)`; `vmstate` is
/// the state character (`'I'` interpreted, `'N'` compiled code, as in
/// `jit.profile`).
#[allow(non_camel_case_types)]
pub type luaJIT_profile_callback = Option<
    unsafe extern "C" fn(data: *mut c_void, l: *mut lua_State, samples: c_int, vmstate: c_int),
>;

/// `luaJIT_profile_start(L, mode, cb, data)`: start profiling the VM of
/// `L` (a running profiler stops first). `mode` as `jit.profile.start`'s
/// (`i<ms>`: the interval, 10 ms by default); a NULL `cb` only stops.
#[no_mangle]
pub unsafe extern "C" fn luaJIT_profile_start(
    l: *mut lua_State,
    mode: *const c_char,
    cb: luaJIT_profile_callback,
    data: *mut c_void,
) {
    let v = vm(l);
    let Some(cb) = cb else {
        v.profile = None;
        return;
    };
    let mode = cbytes(mode).to_vec();
    let native: lunatrace_vm::profile::NativeCallback = Box::new(move |v, th, n, state| {
        let g = global_of(v);
        let sl = state_of(g, th);
        // SAFETY: the host's callback with the data it gave, called on
        // the sampled thread's handle (the VM is at a safe point).
        unsafe { cb(data, sl, n.min(c_int::MAX as u32) as c_int, state as c_int) };
    });
    if let Err(e) = lunatrace_vm::profile::start(
        v,
        &mode,
        lunatrace_vm::profile::Callback::Native(Some(native)),
    ) {
        eprintln!("luaJIT_profile_start: {}", e);
    }
}

/// `luaJIT_profile_stop(L)`.
#[no_mangle]
pub unsafe extern "C" fn luaJIT_profile_stop(l: *mut lua_State) {
    vm(l).profile = None;
}

/// `luaJIT_profile_dumpstack(L, fmt, depth, len)`: the stack of thread `L`
/// as `jit.profile.dumpstack` formats it (inside a profiler callback, the
/// frames at the sample). The text stays valid until the next call for
/// this VM; `*len` (if not NULL) receives its length. It is
/// NUL-terminated here (LuaJIT's need not be).
#[no_mangle]
pub unsafe extern "C" fn luaJIT_profile_dumpstack(
    l: *mut lua_State,
    fmt: *const c_char,
    depth: c_int,
    len: *mut usize,
) -> *const c_char {
    let fmt = if fmt.is_null() {
        &b"f;"[..]
    } else {
        cbytes(fmt)
    };
    let out = lunatrace_vm::profile::dumpstack(vm(l), ls(l).th, fmt, depth as i64);
    let g = gl(l);
    g.dump = out;
    if !len.is_null() {
        // SAFETY: a non-NULL `len` points to the caller's size_t.
        *len = g.dump.len();
    }
    g.dump.push(0);
    g.dump.as_ptr() as *const c_char
}
