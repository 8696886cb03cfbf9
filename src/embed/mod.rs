//! The safe Rust embedding API, shaped after mlua's.
//!
//! `Lua` owns a state; `Value` is a Lua value, whose strings, tables,
//! functions, coroutines and userdata are handles (`LuaString`, `Table`,
//! `Function`, `Thread`, `AnyUserData`) to the live objects: the collector
//! keeps them while Rust holds them. Rust values cross with `IntoLua` /
//! `FromLua` (several at once with `IntoLuaMulti` / `FromLuaMulti`);
//! Rust closures become Lua functions (`Lua::create_function`), Rust
//! types userdata (`UserData`); Lua errors and Rust errors meet in
//! `Error`. `StdLib` chooses the libraries of a state, `set_interrupt`
//! bounds how long Lua code runs, and with the `serde` feature
//! `LuaSerdeExt` converts serde types.
//!
//! ```
//! use lunatrace::{Lua, Result, Table};
//! # fn main() -> Result<()> {
//! let lua = Lua::new();
//! let greet = lua.create_function(|_, name: String| Ok(format!("hello, {}", name)))?;
//! lua.globals().set("greet", greet)?;
//! let t: Table = lua.load(r#"{ msg = greet("lua"), n = #"abc" }"#).eval()?;
//! assert_eq!(t.get::<_, String>("msg")?, "hello, lua");
//! assert_eq!(t.get::<_, u32>("n")?, 3);
//! # Ok(()) }
//! ```
//!
//! `Lua::scope` lends data that is not `'static` (locals) to Lua for the
//! length of a call: functions and userdata made through its `Scope` are
//! invalidated when it ends.
//!
//! Everything here runs on one thread (`Lua` is neither `Send` nor
//! `Sync`); no `unsafe` is needed. Dropping the `Lua` closes the state:
//! `__gc` finalisers run and Rust values owned by Lua are dropped; handles
//! that outlive it report `Error::StateClosed`.

mod chunk;
mod conv;
mod error;
mod function;
mod inner;
mod interrupt;
mod multi;
pub mod prelude;
mod registry;
mod scope;
#[cfg(feature = "serde")]
mod serde;
mod state;
mod stdlib;
mod string;
mod table;
mod thread;
mod userdata;
mod value;

pub use chunk::Chunk;
pub use conv::{BString, FromLua, IntoLua};
pub use error::{Error, ExternalError, ExternalResult, Result};
pub use function::Function;
pub use interrupt::INTERRUPT_INTERVAL;
pub use multi::{FromLuaMulti, IntoLuaMulti};
pub use registry::RegistryKey;
pub use scope::Scope;
#[cfg(feature = "serde")]
pub use serde::LuaSerdeExt;
pub use state::Lua;
pub use stdlib::StdLib;
pub use string::LuaString;
pub use table::{Table, TablePairs, TableSequence};
pub use thread::{Thread, ThreadStatus};
pub use userdata::{
    AnyUserData, MetaMethod, UserData, UserDataFields, UserDataMethods, UserDataRef, UserDataRefMut,
};
pub use value::{CData, LightUserData, MultiValue, Nil, Value, Variadic};
