//! lunatrace-vm: values, objects, GC, front end, interpreter and standard
//! library of Lunatrace. See ARCHITECTURE.md for the map.

pub mod bcdump;
pub mod builtin_id;
pub mod bytecode;
pub mod cstdio;
pub mod debuginfo;
pub mod error;
pub mod fastcall;
pub mod fastfunc;
pub mod gc;
pub mod hash_index;
pub mod helpers;
pub mod interp;
pub mod interp_call;
pub mod interp_meta;
pub mod interp_trace;
pub mod interrupt;
pub mod jitrt;
pub mod lex;
pub mod number;
pub mod object;
pub mod parse;
pub mod profile;
pub mod state;
pub mod table;
pub mod value;
pub mod vmevent;

pub mod lib_base;
pub mod lib_bit;
pub mod lib_buffer;
pub mod lib_coroutine;
pub mod lib_debug;
pub mod lib_io;
pub mod lib_math;
pub mod lib_os;
pub mod lib_package;
pub mod lib_string;
pub mod lib_table;
pub mod strfmt;
pub mod strpat;
pub mod strtab;

pub use error::{LuaError, LuaResult, Status};
pub use state::Vm;
pub use value::Value;

/// Open every standard library in `vm`.
pub fn open_libs(vm: &mut Vm) {
    open_libs_env(vm, true)
}

/// Open every standard library; `use_env` = honour LUA_PATH/LUA_CPATH.
pub fn open_libs_env(vm: &mut Vm, use_env: bool) {
    lib_base::open(vm);
    lib_package::open_with_env(vm, use_env);
    lib_coroutine::open(vm);
    lib_string::open(vm);
    lib_table::open(vm);
    lib_math::open(vm);
    lib_io::open(vm);
    lib_os::open(vm);
    lib_bit::open(vm);
    lib_debug::open(vm);
    lib_buffer::open(vm);
}
