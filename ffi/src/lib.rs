//! LuaJIT's `ffi` for Lunatrace (ARCHITECTURE.md: FFI and the sandwich).
//!
//! - `abi`: the ABI-level view of a C signature shared with the backend,
//!   which generates call thunks and callbacks for it.
//! - `ctype`: the C type table (interned types, sizes, alignments, layout).
//! - `cparse`: the `ffi.cdef` declaration parser and type-name parser.
//! - `fast_index`: the interpreter's direct path for `p.x`, `a[i]` and
//!   stores of numbers into them.
//! - `sbuf`: the string buffer library's hooks (`uint8_t *` results, bytes
//!   behind cdata, int64/complex serialization).

// The FFI reads and writes C memory at addresses the Lua program hands it
// (as LuaJIT's does): conversions take raw pointers by design, and each
// access carries its own `// SAFETY:` note.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod abi;
pub mod arith;
pub mod call;
pub mod cdata;
pub mod clib;
pub mod cparse;
pub mod ctype;
pub mod fast_index;
pub mod lib_ffi;
pub mod sbuf;
pub mod state;
