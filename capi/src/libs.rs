//! The functions of `lualib.h` (`luaopen_*`, `luaL_openlibs`) and of
//! `luajit.h` (`luaJIT_setmode`, the version symbol). The JIT itself lives
//! in crates that depend on this one; they plug in through `Hooks`.

use crate::state::*;
use lunatrace_vm::Value;
use std::ffi::c_int;

fn open_with(l: *mut lua_State, name: &str, f: fn(&mut lunatrace_vm::Vm)) -> c_int {
    on_thread(l, f);
    let loaded = vm(l).loaded_table();
    let t = vm(l).get_field(loaded, name);
    push(l, t);
    1
}

macro_rules! luaopen {
    ($($cname:ident => $lib:literal, $f:expr;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C-unwind" fn $cname(l: *mut lua_State) -> c_int {
            open_with(l, $lib, $f)
        }
    )*};
}

luaopen! {
    luaopen_base => "_G", lunatrace_vm::lib_base::open;
    luaopen_package => "package", lunatrace_vm::lib_package::open;
    luaopen_table => "table", lunatrace_vm::lib_table::open;
    luaopen_io => "io", lunatrace_vm::lib_io::open;
    luaopen_os => "os", lunatrace_vm::lib_os::open;
    luaopen_string => "string", lunatrace_vm::lib_string::open;
    luaopen_math => "math", lunatrace_vm::lib_math::open;
    luaopen_debug => "debug", lunatrace_vm::lib_debug::open;
    luaopen_bit => "bit", lunatrace_vm::lib_bit::open;
    luaopen_coroutine => "coroutine", lunatrace_vm::lib_coroutine::open;
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaopen_jit(l: *mut lua_State) -> c_int {
    if let Some(h) = crate::hooks() {
        on_thread(l, |v| (h.open_jit)(v));
        let loaded = vm(l).loaded_table();
        let t = vm(l).get_field(loaded, "jit");
        push(l, t);
        return 1;
    }
    // No JIT linked in: a `jit` table that reports it is off.
    let v = vm(l);
    let t = v.new_table_value(0, 8);
    for (k, s) in [
        ("version", crate::LUAJIT_VERSION),
        ("os", "Linux"),
        ("arch", "x64"),
    ] {
        let sv = v.intern(s.as_bytes());
        v.set_field(t, k, sv);
    }
    v.set_field(t, "version_num", Value::num(20100.0));
    v.set_global("jit", t);
    let loaded = v.loaded_table();
    v.set_field(loaded, "jit", t);
    push(l, t);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaopen_ffi(l: *mut lua_State) -> c_int {
    // The FFI registers its opener in `package.preload` (engine hooks).
    let r = guarded(l, |v| {
        let pkg = v.get_global("package");
        let pre = if pkg.is_table() {
            let p = v.get_field(pkg, "preload");
            if p.is_table() {
                v.get_field(p, "ffi")
            } else {
                Value::NIL
            }
        } else {
            Value::NIL
        };
        if pre.is_nil() {
            return Ok(None);
        }
        let m = v
            .call_values(pre, &[])?
            .first()
            .copied()
            .unwrap_or(Value::NIL);
        let loaded = v.loaded_table();
        v.set_field(loaded, "ffi", m);
        Ok(Some(m))
    });
    match r {
        Some(m) => {
            push(l, m);
            1
        }
        None => crate::aux::error_here(l, "the ffi library is not available in this build"),
    }
}

/// `luaopen_string_buffer(L)` (LuaJIT 2.1): push a table of the
/// `string.buffer` functions (`require "string.buffer"` gives the same
/// functions through `package.preload`).
#[no_mangle]
pub unsafe extern "C-unwind" fn luaopen_string_buffer(l: *mut lua_State) -> c_int {
    let m = on_thread(l, lunatrace_vm::lib_buffer::module);
    push(l, m);
    1
}

#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_openlibs(l: *mut lua_State) {
    on_thread(l, |v| {
        lunatrace_vm::open_libs(v);
        if let Some(h) = crate::hooks() {
            (h.open_jit)(v);
        }
    });
    if crate::hooks().is_none() {
        luaopen_jit(l);
        pop(l, 1);
    }
}

/// `luaJIT_setmode(L, idx, mode)`: forwarded to the JIT (if linked in).
/// Changing the mode while a trace of this VM runs follows the
/// re-entrancy policy (`panic` by default, as LuaJIT does).
#[no_mangle]
pub unsafe extern "C-unwind" fn luaJIT_setmode(
    l: *mut lua_State,
    idx: c_int,
    mode: c_int,
) -> c_int {
    let v = vm(l);
    if lunatrace_vm::jitrt::jit_base() == v as *mut _ as usize {
        // The re-entrancy policy applies (ARCHITECTURE.md: FFI and the sandwich); under `exit` the
        // change happens and the trace is left after its C call.
        let m = v.intern(b"JIT mode change is detected while executing the trace");
        match v.sandwich {
            lunatrace_vm::jitrt::Sandwich::Panic => panic_exit(l, m),
            lunatrace_vm::jitrt::Sandwich::Error => std::panic::resume_unwind(Box::new(
                crate::state::Throw(lunatrace_vm::LuaError::runtime(m)),
            )),
            lunatrace_vm::jitrt::Sandwich::Exit => v.reentered = 1,
        }
    }
    match crate::hooks() {
        Some(h) => on_thread(l, |v| (h.setmode)(v, idx, mode)) as c_int,
        None => 1,
    }
}

/// The version symbol of `luajit.h` (`LUAJIT_VERSION_SYM`): referencing it
/// makes a module fail to load against a different major version.
#[no_mangle]
pub extern "C" fn luaJIT_version_2_1_0_beta3() {}
