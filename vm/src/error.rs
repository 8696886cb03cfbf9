//! Errors inside the VM: a Lua error value with a status (as `lua.h`'s
//! `LUA_ERR*`), or a coroutine yield travelling up to `resume`.

use crate::value::Value;

/// Status codes, numbered as in `lua.h`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    Ok = 0,
    Yield = 1,
    Runtime = 2,
    Syntax = 3,
    Memory = 4,
    ErrErr = 5,
}

/// The panic payload of a Lua error unwinding through foreign (C) frames:
/// raised by the C API, caught where Lua called C (a C function value or
/// an FFI call) and turned back into an `Err`.
pub struct Throw(pub LuaError);

/// An error (or yield) propagating through Rust frames. The value is kept
/// alive by the collector only while it is on a Lua stack: no collection
/// happens while an error propagates through Rust.
#[derive(Copy, Clone, Debug)]
pub struct LuaError {
    pub value: Value,
    pub status: Status,
}

impl LuaError {
    pub fn runtime(value: Value) -> LuaError {
        LuaError {
            value,
            status: Status::Runtime,
        }
    }
    pub fn yield_() -> LuaError {
        LuaError {
            value: Value::NIL,
            status: Status::Yield,
        }
    }
    pub fn is_yield(&self) -> bool {
        self.status == Status::Yield
    }
}

pub type LuaResult<T> = Result<T, LuaError>;
