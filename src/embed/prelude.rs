//! `use lunatrace::prelude::*`: the API's traits, and its types under
//! `Lua`-prefixed names (as mlua's prelude has them).

#[cfg(feature = "serde")]
pub use super::LuaSerdeExt;
pub use super::{
    AnyUserData as LuaAnyUserData, Chunk as LuaChunk, Error as LuaError,
    ExternalError as LuaExternalError, ExternalResult as LuaExternalResult, FromLua, FromLuaMulti,
    Function as LuaFunction, IntoLua, IntoLuaMulti, Lua, LuaString, MetaMethod as LuaMetaMethod,
    MultiValue as LuaMultiValue, Result as LuaResult, Scope as LuaScope, StdLib as LuaStdLib,
    Table as LuaTable, Thread as LuaThread, UserData as LuaUserData,
    UserDataFields as LuaUserDataFields, UserDataMethods as LuaUserDataMethods, Value as LuaValue,
    Variadic as LuaVariadic,
};
