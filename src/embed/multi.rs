//! Several values at once: `IntoLuaMulti`/`FromLuaMulti` for single
//! values (one value; a missing one reads as nil), `()`, tuples (the last
//! element may itself be multi, e.g. `Variadic`), `MultiValue` and
//! `Variadic<T>`.

use super::conv::{FromLua, IntoLua};
use super::error::{Error, Result};
use super::state::Lua;
use super::value::{MultiValue, Value, Variadic};

/// Rust values that become several Lua values (arguments, results).
///
/// ```
/// use lunatrace::{Function, Lua, Variadic};
/// let lua = Lua::new();
/// let f: Function = lua.load("function(...) return select('#', ...) end").eval().unwrap();
/// assert_eq!(f.call::<i32>((1, "a", true)).unwrap(), 3);
/// assert_eq!(f.call::<i32>(Variadic::from(vec![1, 2])).unwrap(), 2);
/// assert_eq!(f.call::<i32>(()).unwrap(), 0);
/// ```
pub trait IntoLuaMulti: Sized {
    /// The values of `self`, in order.
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue>;
}

/// Rust values made from several Lua values.
///
/// ```
/// use lunatrace::{Lua, Variadic};
/// let lua = Lua::new();
/// let (a, rest): (i32, Variadic<String>) = lua.load("return 1, 'x', 'y'").eval().unwrap();
/// assert_eq!((a, rest.len()), (1, 2));
/// let (x, y): (i32, Option<i32>) = lua.load("return 5").eval().unwrap();
/// assert_eq!((x, y), (5, None));
/// ```
pub trait FromLuaMulti: Sized {
    /// Convert `values` (missing ones read as nil, extra ones are ignored
    /// unless the type takes them all).
    fn from_lua_multi(values: MultiValue, lua: &Lua) -> Result<Self>;

    /// As `from_lua_multi`, for the arguments of a Rust function: a value
    /// that does not convert is `Error::BadArgument` with its position
    /// (`first`: the position of the first of `values`).
    fn from_lua_args(values: MultiValue, first: usize, lua: &Lua) -> Result<Self> {
        Self::from_lua_multi(values, lua).map_err(|e| Error::bad_argument(first, e))
    }
}

impl<T: IntoLua> IntoLuaMulti for T {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        Ok(MultiValue(vec![self.into_lua(lua)?]))
    }
}
impl<T: FromLua> FromLuaMulti for T {
    fn from_lua_multi(v: MultiValue, lua: &Lua) -> Result<Self> {
        T::from_lua(v.0.into_iter().next().unwrap_or(Value::Nil), lua)
    }
}

impl IntoLuaMulti for MultiValue {
    fn into_lua_multi(self, _: &Lua) -> Result<MultiValue> {
        Ok(self)
    }
}
impl FromLuaMulti for MultiValue {
    fn from_lua_multi(v: MultiValue, _: &Lua) -> Result<Self> {
        Ok(v)
    }
}

impl<T: IntoLua> IntoLuaMulti for Variadic<T> {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        self.0
            .into_iter()
            .map(|v| v.into_lua(lua))
            .collect::<Result<Vec<_>>>()
            .map(MultiValue)
    }
}
impl<T: FromLua> FromLuaMulti for Variadic<T> {
    fn from_lua_multi(v: MultiValue, lua: &Lua) -> Result<Self> {
        v.0.into_iter()
            .map(|v| T::from_lua(v, lua))
            .collect::<Result<Vec<_>>>()
            .map(Variadic)
    }
    fn from_lua_args(v: MultiValue, first: usize, lua: &Lua) -> Result<Self> {
        v.0.into_iter()
            .enumerate()
            .map(|(i, v)| T::from_lua(v, lua).map_err(|e| Error::bad_argument(first + i, e)))
            .collect::<Result<Vec<_>>>()
            .map(Variadic)
    }
}

impl IntoLuaMulti for () {
    fn into_lua_multi(self, _: &Lua) -> Result<MultiValue> {
        Ok(MultiValue::new())
    }
}
impl FromLuaMulti for () {
    fn from_lua_multi(_: MultiValue, _: &Lua) -> Result<Self> {
        Ok(())
    }
}

macro_rules! tuples {
    ($(($($a:ident),* ; $last:ident)),*) => {$(
        impl<$($a: IntoLua,)* $last: IntoLuaMulti> IntoLuaMulti for ($($a,)* $last,) {
            #[allow(non_snake_case, unused_mut)]
            fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
                let ($($a,)* $last,) = self;
                let mut out = vec![$($a.into_lua(lua)?),*];
                out.extend($last.into_lua_multi(lua)?.0);
                Ok(MultiValue(out))
            }
        }
        impl<$($a: FromLua,)* $last: FromLuaMulti> FromLuaMulti for ($($a,)* $last,) {
            #[allow(non_snake_case, unused_mut)]
            fn from_lua_multi(v: MultiValue, lua: &Lua) -> Result<Self> {
                let mut it = v.0.into_iter();
                $(let $a = $a::from_lua(it.next().unwrap_or(Value::Nil), lua)?;)*
                let $last = $last::from_lua_multi(MultiValue(it.collect()), lua)?;
                Ok(($($a,)* $last,))
            }
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn from_lua_args(v: MultiValue, first: usize, lua: &Lua) -> Result<Self> {
                let mut it = v.0.into_iter();
                let mut pos = first;
                $(
                    let $a = $a::from_lua(it.next().unwrap_or(Value::Nil), lua)
                        .map_err(|e| Error::bad_argument(pos, e))?;
                    pos += 1;
                )*
                let $last = $last::from_lua_args(MultiValue(it.collect()), pos, lua)?;
                Ok(($($a,)* $last,))
            }
        }
    )*};
}
tuples!(
    (; A),
    (A; B),
    (A, B; C),
    (A, B, C; D),
    (A, B, C, D; E),
    (A, B, C, D, E; F),
    (A, B, C, D, E, F; G),
    (A, B, C, D, E, F, G; H),
    (A, B, C, D, E, F, G, H; I),
    (A, B, C, D, E, F, G, H, I; J)
);
