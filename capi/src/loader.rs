//! Dynamic loading of C libraries (`require` of C modules through
//! `package.cpath`, `package.loadlib`): the `Vm::c_loader` hook. Libraries
//! are opened with `RTLD_NOW` (and `RTLD_GLOBAL` for `loadlib(path, "*")`)
//! and never unloaded, so their functions stay valid for the process.

use crate::state::*;
use lunatrace_vm::state::CLoadError;
use lunatrace_vm::{Value, Vm};
use std::ffi::c_int;

type Entry = unsafe extern "C-unwind" fn(*mut lua_State) -> c_int;

/// The loader hook: open `path` and return its C function `sym`.
pub fn load(vm: &mut Vm, path: &str, sym: &str) -> Result<Value, CLoadError> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_LOCAL, RTLD_NOW};
    let g = global_of(vm);
    let global = sym == "*";
    let flags = RTLD_NOW | if global { RTLD_GLOBAL } else { RTLD_LOCAL };
    // SAFETY: loading a C library runs its initialisers; that is what
    // `require` of a C module asks for.
    let lib =
        unsafe { Library::open(Some(path), flags) }.map_err(|e| CLoadError::Open(dl_text(&e)))?;
    if global {
        gl_libs(g).push(lib.into());
        return Ok(Value::TRUE);
    }
    // SAFETY: Lua C modules export `luaopen_*` as lua_CFunction.
    let f: Entry = unsafe {
        match lib.get::<Entry>(sym.as_bytes()) {
            Ok(s) => *s,
            Err(e) => return Err(CLoadError::Init(dl_text(&e))),
        }
    };
    gl_libs(g).push(lib.into());
    Ok(new_cclosure(vm, Some(f), &[]))
}

fn gl_libs<'a>(g: *mut Global) -> &'a mut Vec<libloading::Library> {
    // SAFETY: live Global of the running VM.
    unsafe { &mut (*g).libs }
}

/// The dynamic linker's message (libloading wraps it).
fn dl_text(e: &libloading::Error) -> String {
    let s = e.to_string();
    match s.split_once(": ") {
        Some((head, rest)) if head.starts_with("Error") || head.starts_with("dl") => {
            rest.to_string()
        }
        _ => s,
    }
}
