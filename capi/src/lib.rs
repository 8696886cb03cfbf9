//! The Lua 5.1 C API of Lunatrace (`lua.h`, `lauxlib.h`, `lualib.h`,
//! `luajit.h`, headers in `include/`) over the Lunatrace VM.
//!
//! - `state`: `lua_State` handles, index translation, the C-function
//!   trampoline and the error path (errors unwind through C frames).
//! - `api`, `aux`, `debug`, `libs`, `varargs`: the exported functions.
//! - `loader`: dynamic loading of C modules (the VM's `c_loader` hook).
//! - `host`: re-entrant access to a VM owned by a Rust host (the safe
//!   embedding API of the facade).
//!
//! This crate is an rlib (linked into the `lunatrace` CLI, which exports the
//! symbols dynamically) and is re-exported by `capi/clib` as the
//! `liblunatrace.so`/`liblunatrace.a` libraries. All unsafe code of the C
//! API lives here.

#![allow(
    non_snake_case,
    clippy::missing_safety_doc,
    clippy::not_unsafe_ptr_arg_deref
)]

pub mod api;
pub mod aux;
pub mod debug;
pub mod host;
pub mod libs;
mod loader;
pub mod profile;
pub mod signals;
pub mod state;
pub mod types;
pub mod varargs;

use lunatrace_vm::Vm;
use std::sync::OnceLock;

/// `LUAJIT_VERSION` as reported by `luajit.h`.
pub const LUAJIT_VERSION: &str = "LuaJIT 2.1.0-beta3";

/// What the JIT crates plug into the C API (set once per process).
pub struct Hooks {
    /// Run on every VM made by `lua_newstate`/`luaL_newstate`.
    pub vm_init: fn(&mut Vm),
    /// Register the `jit` library.
    pub open_jit: fn(&mut Vm),
    /// `luaJIT_setmode(L, idx, mode)`; true on success.
    pub setmode: fn(&mut Vm, i32, i32) -> bool,
}

static HOOKS: OnceLock<Hooks> = OnceLock::new();

/// Install the JIT hooks (first call wins).
pub fn set_hooks(h: Hooks) {
    let _ = HOOKS.set(h);
}

extern "Rust" {
    /// Defined by the `lunatrace` facade crate, which every program using
    /// this crate links: installs the facade's hooks (`set_hooks`). The
    /// reference from here is what pulls the facade, and with it the JIT,
    /// into programs linked statically with `liblunatrace.a`, where the
    /// library's constructor is not linked in.
    fn lunatrace_capi_install_hooks();
}

pub(crate) fn hooks() -> Option<&'static Hooks> {
    if HOOKS.get().is_none() {
        // SAFETY: a plain Rust function of the facade (see above).
        unsafe { lunatrace_capi_install_hooks() };
    }
    HOOKS.get()
}

pub(crate) fn run_vm_init(vm: &mut Vm) {
    if let Some(h) = hooks() {
        (h.vm_init)(vm);
    }
}

/// Make `require` and `package.loadlib` able to load C modules in `vm`.
pub fn install(vm: &mut Vm) {
    state::global_of(vm);
}

/// Addresses of every exported API function. An executable that wants to
/// export the API to C modules (with `-rdynamic`) references this so the
/// linker keeps all of them.
pub fn exported_symbols() -> Vec<usize> {
    include!(concat!(env!("OUT_DIR"), "/exports.rs"))
}
