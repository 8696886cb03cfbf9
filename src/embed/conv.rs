//! `IntoLua`/`FromLua`: conversions between Rust values and `Value`.
//! Numbers are checked: an integer type accepts only an integral number
//! in its range (a numeric string converts as Lua's coercion does), and
//! an integer that a double cannot hold exactly does not go into Lua.
//! Strings convert without loss (`LuaString`, `BString` for bytes);
//! `String` requires valid UTF-8.

use super::error::{Error, Result};
use super::function::Function;
use super::state::Lua;
use super::string::LuaString;
use super::table::Table;
use super::thread::Thread;
use super::userdata::AnyUserData;
use super::value::{LightUserData, Value};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A Rust value that can become a Lua value.
///
/// ```
/// use lunatrace::{IntoLua, Lua, Result, Value};
/// struct Point { x: f64, y: f64 }
/// impl IntoLua for Point {
///     fn into_lua(self, lua: &Lua) -> Result<Value> {
///         let t = lua.create_table_from([("x", self.x), ("y", self.y)])?;
///         Ok(Value::Table(t))
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("p", Point { x: 1.0, y: 2.0 }).unwrap();
/// assert_eq!(lua.load("p.x + p.y").eval::<f64>().unwrap(), 3.0);
/// ```
pub trait IntoLua: Sized {
    /// The Lua value of `self` (strings and tables are made in `lua`).
    fn into_lua(self, lua: &Lua) -> Result<Value>;
}

/// A Rust value that can be made from a Lua value.
///
/// ```
/// use lunatrace::{FromLua, Lua, Result, Table, Value};
/// #[derive(Debug, PartialEq)]
/// struct Point { x: f64, y: f64 }
/// impl FromLua for Point {
///     fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
///         let t = Table::from_lua(v, lua)?;
///         Ok(Point { x: t.get("x")?, y: t.get("y")? })
///     }
/// }
/// let lua = Lua::new();
/// let p: Point = lua.load("{x = 1, y = 2}").eval().unwrap();
/// assert_eq!(p, Point { x: 1.0, y: 2.0 });
/// ```
pub trait FromLua: Sized {
    /// Convert `value`; a value of the wrong kind is an error.
    fn from_lua(value: Value, lua: &Lua) -> Result<Self>;
}

impl IntoLua for Value {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(self)
    }
}
impl FromLua for Value {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        Ok(v)
    }
}
impl IntoLua for &Value {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(self.clone())
    }
}

macro_rules! handle_conv {
    ($t:ident, $variant:ident, $name:literal) => {
        impl IntoLua for $t {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                Ok(Value::$variant(self))
            }
        }
        impl IntoLua for &$t {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                Ok(Value::$variant(self.clone()))
            }
        }
        impl FromLua for $t {
            fn from_lua(v: Value, _: &Lua) -> Result<Self> {
                match v {
                    Value::$variant(x) => Ok(x),
                    o => Err(Error::from_conv(o.type_name(), $name, None)),
                }
            }
        }
    };
}
handle_conv!(Table, Table, "table");
handle_conv!(Function, Function, "function");
handle_conv!(Thread, Thread, "thread");
handle_conv!(AnyUserData, UserData, "userdata");

impl IntoLua for LuaString {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::String(self))
    }
}
impl IntoLua for &LuaString {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::String(self.clone()))
    }
}
/// Strings, and numbers as Lua's coercion writes them.
impl FromLua for LuaString {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => lua.create_string(crate::vm::number::fmt_num(n)),
            o => Err(Error::from_conv(o.type_name(), "string", None)),
        }
    }
}

impl IntoLua for LightUserData {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::LightUserData(self))
    }
}
impl FromLua for LightUserData {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::LightUserData(p) => Ok(p),
            o => Err(Error::from_conv(o.type_name(), "light userdata", None)),
        }
    }
}

impl IntoLua for bool {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Boolean(self))
    }
}
/// Lua truthiness: nil and false are false, everything else true.
impl FromLua for bool {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        Ok(v.is_truthy())
    }
}

impl IntoLua for &str {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_string(self).map(Value::String)
    }
}
impl IntoLua for String {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_string(self).map(Value::String)
    }
}
impl IntoLua for &String {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_string(self).map(Value::String)
    }
}
impl IntoLua for &[u8] {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_string(self).map(Value::String)
    }
}
/// A Lua string (or a number, written as `tostring` does) that is valid
/// UTF-8; other bytes are an error (use `LuaString` or `BString`).
impl FromLua for String {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        let from = v.type_name();
        let s = LuaString::from_lua(v, lua)
            .map_err(|_| Error::from_conv(from, "String", Some("expected a string".into())))?;
        let r = s.to_str().map(str::to_owned);
        r
    }
}

/// Bytes that travel as a Lua string, unchanged (any byte values).
///
/// ```
/// use lunatrace::{BString, Lua};
/// let lua = Lua::new();
/// let b: BString = lua.load("'\\255\\0'").eval().unwrap();
/// assert_eq!(&b[..], b"\xff\0");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BString(pub Vec<u8>);

impl From<Vec<u8>> for BString {
    fn from(v: Vec<u8>) -> BString {
        BString(v)
    }
}
impl From<&[u8]> for BString {
    fn from(v: &[u8]) -> BString {
        BString(v.to_vec())
    }
}
impl std::ops::Deref for BString {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}
impl IntoLua for BString {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_string(&self.0).map(Value::String)
    }
}
impl FromLua for BString {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        Ok(BString(LuaString::from_lua(v, lua)?.as_bytes().to_vec()))
    }
}

impl<T: IntoLua> IntoLua for Option<T> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        match self {
            Some(v) => v.into_lua(lua),
            None => Ok(Value::Nil),
        }
    }
}
impl<T: FromLua> FromLua for Option<T> {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        match v {
            Value::Nil => Ok(None),
            v => T::from_lua(v, lua).map(Some),
        }
    }
}

impl<T: IntoLua> IntoLua for Vec<T> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_sequence_from(self).map(Value::Table)
    }
}
/// The sequence `t[1], t[2], ...` up to the first nil (raw reads).
impl<T: FromLua> FromLua for Vec<T> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.sequence_values::<T>().collect(),
            o => Err(Error::from_conv(
                o.type_name(),
                "Vec",
                Some("expected a table".into()),
            )),
        }
    }
}

impl<K: IntoLua, V: IntoLua, S> IntoLua for HashMap<K, V, S> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_table_from(self).map(Value::Table)
    }
}
impl<K: FromLua + Eq + Hash, V: FromLua, S: std::hash::BuildHasher + Default> FromLua
    for HashMap<K, V, S>
{
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.pairs::<K, V>().collect(),
            o => Err(Error::from_conv(
                o.type_name(),
                "HashMap",
                Some("expected a table".into()),
            )),
        }
    }
}
impl<K: IntoLua, V: IntoLua> IntoLua for BTreeMap<K, V> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        lua.create_table_from(self).map(Value::Table)
    }
}
impl<K: FromLua + Ord, V: FromLua> FromLua for BTreeMap<K, V> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.pairs::<K, V>().collect(),
            o => Err(Error::from_conv(
                o.type_name(),
                "BTreeMap",
                Some("expected a table".into()),
            )),
        }
    }
}

/// The number in `v` (numbers, and strings Lua would coerce).
fn number_of(v: &Value, to: &'static str) -> Result<f64> {
    match v {
        Value::Number(n) => Ok(*n),
        Value::String(s) => crate::vm::number::str_to_num(s.as_bytes())
            .ok_or_else(|| Error::from_conv("string", to, Some("not a numeric string".into()))),
        o => Err(Error::from_conv(
            o.type_name(),
            to,
            Some("expected a number".into()),
        )),
    }
}

impl IntoLua for f64 {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Number(self))
    }
}
impl FromLua for f64 {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        number_of(&v, "f64")
    }
}
impl IntoLua for f32 {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Number(self as f64))
    }
}
impl FromLua for f32 {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        number_of(&v, "f32").map(|n| n as f32)
    }
}

macro_rules! integers {
    ($($t:ident),*) => {$(
        impl IntoLua for $t {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                let n = self as f64;
                // Exact in a double? (2^63 as i128 is not i64::MAX.)
                if n as i128 != self as i128 {
                    return Err(Error::to_conv(
                        stringify!($t),
                        "number",
                        Some(format!("{} cannot be represented exactly", self)),
                    ));
                }
                Ok(Value::Number(n))
            }
        }
        impl FromLua for $t {
            fn from_lua(v: Value, _: &Lua) -> Result<Self> {
                let n = number_of(&v, stringify!($t))?;
                if n.fract() != 0.0 || !n.is_finite() {
                    return Err(Error::from_conv(
                        "number",
                        stringify!($t),
                        Some(format!("{} is not an integer", crate::vm::number::fmt_num(n))),
                    ));
                }
                // Exact: an integral double below 2^127 converts to i128
                // without loss (larger ones saturate and fail below).
                <$t>::try_from(n as i128).map_err(|_| {
                    Error::from_conv(
                        "number",
                        stringify!($t),
                        Some(format!("{} is out of range", crate::vm::number::fmt_num(n))),
                    )
                })
            }
        }
    )*};
}
integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
