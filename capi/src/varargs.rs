//! The variadic functions of the API (`lua_pushfstring`, `luaL_error`) and
//! `lua_pushvfstring`. Stable Rust cannot define C-variadic functions, so
//! their bodies are C (`varargs.c`, compiled by `build.rs` with unwind
//! tables), where `<stdarg.h>` reads the arguments for every target's
//! calling convention; they build the string with the public API (defined
//! in Rust), and `luaL_error` raises with `lua_error`, unwinding through
//! its own frame.
//!
//! The exported symbols are the naked Rust functions below, each a single
//! tail jump to its C body with every register and the stack as the caller
//! left them (so the variadic arguments arrive intact, on any ABI): rustc
//! exports only Rust-defined `#[no_mangle]` functions from
//! `liblunatrace.so` (its version script hides the C ones), and the jump
//! leaves no frame of its own for an error to unwind through. The jump is
//! the one target-specific line: x86-64, AArch64, RISC-V 64 and s390x.

use crate::state::lua_State;
use std::ffi::{c_char, c_int};

// The C bodies (hidden symbols of the static library `build.rs` makes);
// only jumped to.
#[link(name = "lunatrace_capi_varargs", kind = "static")]
extern "C" {
    fn lunatrace_capi_pushfstring();
    fn lunatrace_capi_pushvfstring();
    fn lunatrace_capi_error();
}

#[cfg(target_arch = "x86_64")]
macro_rules! tail_jump {
    () => {
        "jmp {f}"
    };
}
#[cfg(target_arch = "aarch64")]
macro_rules! tail_jump {
    () => {
        "b {f}"
    };
}
#[cfg(target_arch = "riscv64")]
macro_rules! tail_jump {
    () => {
        "tail {f}"
    };
}
#[cfg(target_arch = "s390x")]
macro_rules! tail_jump {
    () => {
        "jg {f}"
    };
}
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "s390x"
)))]
compile_error!("varargs.rs: add this target's tail jump");

/// `const char *lua_pushfstring(lua_State *L, const char *fmt, ...)`.
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushfstring(
    _l: *mut lua_State,
    _fmt: *const c_char,
) -> *const c_char {
    // SAFETY: a tail jump with every register and the stack as the caller
    // left them: the C body (same prototype) takes the call and returns to
    // the caller.
    std::arch::naked_asm!(tail_jump!(), f = sym lunatrace_capi_pushfstring)
}

/// `const char *lua_pushvfstring(lua_State *L, const char *fmt, va_list
/// argp)` (Rust has no stable `va_list`: call it from C).
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C-unwind" fn lua_pushvfstring(
    _l: *mut lua_State,
    _fmt: *const c_char,
) -> *const c_char {
    // SAFETY: a tail jump with every register and the stack as the caller
    // left them: the C body (same prototype) takes the call and returns to
    // the caller.
    std::arch::naked_asm!(tail_jump!(), f = sym lunatrace_capi_pushvfstring)
}

/// `int luaL_error(lua_State *L, const char *fmt, ...)`: never returns.
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C-unwind" fn luaL_error(_l: *mut lua_State, _fmt: *const c_char) -> c_int {
    // SAFETY: a tail jump with every register and the stack as the caller
    // left them: the C body (same prototype) takes the call and returns to
    // the caller.
    std::arch::naked_asm!(tail_jump!(), f = sym lunatrace_capi_error)
}
