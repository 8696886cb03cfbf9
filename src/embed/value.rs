//! `Value`: a Lua value as Rust holds it. Numbers, booleans and nil are
//! plain data; strings, tables, functions, threads and userdata are
//! handles (`LuaRef`) anchored in the state's reference table, so the
//! collector keeps them while Rust holds them, released when the last
//! clone of the handle drops. `MultiValue` and `Variadic` carry several
//! values (arguments and results).

use super::error::{Error, Result};
use super::function::Function;
use super::inner::Inner;
use super::string::LuaString;
use super::table::Table;
use super::thread::Thread;
use super::userdata::AnyUserData;
use crate::vm::{Value as Raw, Vm};
use std::fmt;
use std::rc::Rc;

/// The anchor of one value in a state's reference table.
pub(crate) struct RefSlot {
    pub inner: Rc<Inner>,
    pub slot: i64,
    pub raw: Raw,
}

impl Drop for RefSlot {
    fn drop(&mut self) {
        self.inner.unref(self.slot);
    }
}

/// A reference to a live Lua object (cloning shares the anchor).
#[derive(Clone)]
pub(crate) struct LuaRef(pub Rc<RefSlot>);

impl LuaRef {
    pub fn new(inner: &Rc<Inner>, vm: &mut Vm, raw: Raw) -> LuaRef {
        let slot = inner.make_ref(vm, raw);
        LuaRef(Rc::new(RefSlot {
            inner: inner.clone(),
            slot,
            raw,
        }))
    }
    pub fn inner(&self) -> &Rc<Inner> {
        &self.0.inner
    }
    pub fn raw(&self) -> Raw {
        self.0.raw
    }
    /// Lend the VM of this handle's state.
    pub fn vm<R>(&self, f: impl FnOnce(&Rc<Inner>, &mut Vm) -> R) -> Result<R> {
        let inner = &self.0.inner;
        inner.vm(|vm| f(inner, vm))
    }
}

impl PartialEq for LuaRef {
    fn eq(&self, o: &LuaRef) -> bool {
        Rc::ptr_eq(&self.0.inner, &o.0.inner) && self.0.raw.raw_eq(o.0.raw)
    }
}

/// A light userdata: a pointer-sized number Lua compares by value.
///
/// ```
/// use lunatrace::{LightUserData, Lua, Value};
/// let lua = Lua::new();
/// let f: lunatrace::Function = lua.load("function(p) return p end").eval().unwrap();
/// let v: Value = f.call(LightUserData(0x1234)).unwrap();
/// assert!(matches!(v, Value::LightUserData(LightUserData(0x1234))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LightUserData(pub usize);

/// A Lua value.
///
/// ```
/// use lunatrace::{Lua, Value};
/// let lua = Lua::new();
/// let v: Value = lua.load("{1, 2}").eval().unwrap();
/// match v {
///     Value::Table(t) => assert_eq!(t.raw_len(), 2),
///     other => panic!("{:?}", other),
/// }
/// ```
#[derive(Clone, Default)]
pub enum Value {
    /// `nil`.
    #[default]
    Nil,
    /// `true` or `false`.
    Boolean(bool),
    /// A light userdata (a pointer-sized number).
    LightUserData(LightUserData),
    /// Lua 5.1 numbers are doubles (integers convert exactly up to 2^53).
    Number(f64),
    /// A string (any bytes).
    String(LuaString),
    /// A table.
    Table(Table),
    /// A function (Lua or Rust).
    Function(Function),
    /// A coroutine.
    Thread(Thread),
    /// A full userdata.
    UserData(AnyUserData),
    /// An FFI cdata object (opaque here).
    CData(CData),
}

pub use Value::Nil;

/// A handle to an FFI cdata value (only passed through).
///
/// ```
/// use lunatrace::{Lua, StdLib, Value};
/// let lua = Lua::new_with(StdLib::ALL);
/// let v: Value = lua.load("require('ffi').new('int[4]')").eval().unwrap();
/// assert!(matches!(v, Value::CData(_)));
/// assert_eq!(v.type_name(), "cdata");
/// ```
#[derive(Clone, PartialEq)]
pub struct CData(pub(crate) LuaRef);

impl Value {
    pub(crate) fn from_raw(inner: &Rc<Inner>, vm: &mut Vm, v: Raw) -> Value {
        use crate::vm::value::LuaType as T;
        match v.lua_type() {
            T::Nil => Value::Nil,
            T::Boolean => Value::Boolean(v.truthy()),
            T::Number => Value::Number(v.as_num().unwrap_or(0.0)),
            T::LightUserdata => Value::LightUserData(LightUserData(v.as_light_ud().unwrap_or(0))),
            T::String => Value::String(LuaString(LuaRef::new(inner, vm, v))),
            T::Table => Value::Table(Table(LuaRef::new(inner, vm, v))),
            T::Function => Value::Function(Function(LuaRef::new(inner, vm, v))),
            T::Thread => Value::Thread(Thread(LuaRef::new(inner, vm, v))),
            T::Userdata => Value::UserData(AnyUserData::new(inner, vm, v)),
            T::Cdata | T::Proto => Value::CData(CData(LuaRef::new(inner, vm, v))),
        }
    }

    /// The raw VM value, checking the handle belongs to `inner`.
    pub(crate) fn to_raw(&self, inner: &Rc<Inner>) -> Result<Raw> {
        let r = match self {
            Value::Nil => return Ok(Raw::NIL),
            Value::Boolean(b) => return Ok(Raw::bool(*b)),
            Value::Number(n) => return Ok(Raw::num(*n)),
            Value::LightUserData(p) => return Ok(Raw::light_ud(p.0)),
            Value::String(s) => &s.0,
            Value::Table(t) => &t.0,
            Value::Function(f) => &f.0,
            Value::Thread(t) => &t.0,
            Value::UserData(u) => &u.r,
            Value::CData(c) => &c.0,
        };
        if !Rc::ptr_eq(r.inner(), inner) {
            return Err(Error::MismatchedState);
        }
        Ok(r.raw())
    }

    /// The Lua type name (`type(v)`).
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// let v: Value = lua.load("print").eval().unwrap();
    /// assert_eq!(v.type_name(), "function");
    /// assert_eq!(Value::Nil.type_name(), "nil");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Boolean(_) => "boolean",
            Value::LightUserData(_) => "userdata",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Table(_) => "table",
            Value::Function(_) => "function",
            Value::Thread(_) => "thread",
            Value::UserData(_) => "userdata",
            Value::CData(_) => "cdata",
        }
    }

    /// The value is nil.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// assert!(lua.load("nil").eval::<Value>().unwrap().is_nil());
    /// assert!(!Value::Boolean(false).is_nil());
    /// ```
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The number, if this is one.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// assert_eq!(lua.load("2 ^ 10").eval::<Value>().unwrap().as_number(), Some(1024.0));
    /// assert_eq!(lua.load("'1'").eval::<Value>().unwrap().as_number(), None);
    /// ```
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// assert_eq!(lua.load("1 < 2").eval::<Value>().unwrap().as_boolean(), Some(true));
    /// ```
    pub fn as_boolean(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The string handle, if this is a string.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// let v: Value = lua.load("'hi'").eval().unwrap();
    /// assert_eq!(v.as_string().unwrap(), "hi");
    /// ```
    pub fn as_string(&self) -> Option<&LuaString> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The table handle, if this is a table.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// let v: Value = lua.load("{n = 1}").eval().unwrap();
    /// assert_eq!(v.as_table().unwrap().get::<_, i32>("n").unwrap(), 1);
    /// ```
    pub fn as_table(&self) -> Option<&Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The function handle, if this is a function.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// let v: Value = lua.load("math.abs").eval().unwrap();
    /// assert_eq!(v.as_function().unwrap().call::<i32>(-3).unwrap(), 3);
    /// ```
    pub fn as_function(&self) -> Option<&Function> {
        match self {
            Value::Function(f) => Some(f),
            _ => None,
        }
    }

    /// The userdata handle, if this is a full userdata.
    ///
    /// ```
    /// use lunatrace::{Lua, UserData, Value};
    /// struct Unit;
    /// impl UserData for Unit {}
    /// let lua = Lua::new();
    /// let v = Value::UserData(lua.create_userdata(Unit).unwrap());
    /// assert!(v.as_userdata().unwrap().is::<Unit>());
    /// ```
    pub fn as_userdata(&self) -> Option<&AnyUserData> {
        match self {
            Value::UserData(u) => Some(u),
            _ => None,
        }
    }

    /// Lua truthiness: everything but nil and false.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// assert!(lua.load("0").eval::<Value>().unwrap().is_truthy());
    /// assert!(!Value::Boolean(false).is_truthy());
    /// assert!(!Value::Nil.is_truthy());
    /// ```
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Boolean(false))
    }
}

/// Raw equality (`rawequal`): same number, boolean or object.
impl PartialEq for Value {
    fn eq(&self, o: &Value) -> bool {
        match (self, o) {
            (Value::Nil, Value::Nil) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            (Value::String(a), Value::String(b)) => a.0 == b.0,
            (Value::Table(a), Value::Table(b)) => a.0 == b.0,
            (Value::Function(a), Value::Function(b)) => a.0 == b.0,
            (Value::Thread(a), Value::Thread(b)) => a.0 == b.0,
            (Value::UserData(a), Value::UserData(b)) => a.r == b.r,
            (Value::CData(a), Value::CData(b)) => a.0 == b.0,
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Boolean(b) => write!(f, "{}", b),
            Value::Number(n) => write!(f, "{}", crate::vm::number::fmt_num(*n)),
            Value::LightUserData(p) => write!(f, "lightuserdata: {:#x}", p.0),
            Value::String(s) => write!(f, "{:?}", s),
            other => write!(f, "{}: {:#x}", other.type_name(), raw_bits(other)),
        }
    }
}

fn raw_bits(v: &Value) -> u64 {
    match v {
        Value::Table(t) => t.0.raw().payload(),
        Value::Function(x) => x.0.raw().payload(),
        Value::Thread(x) => x.0.raw().payload(),
        Value::UserData(x) => x.r.raw().payload(),
        Value::CData(x) => x.0.raw().payload(),
        _ => 0,
    }
}

/// Several values: arguments or results.
///
/// ```
/// use lunatrace::{Lua, MultiValue};
/// let lua = Lua::new();
/// let mv: MultiValue = lua.load("return 1, nil, 3").eval().unwrap();
/// assert_eq!(mv.len(), 3);
/// assert!(mv.iter().nth(1).unwrap().is_nil());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MultiValue(pub Vec<Value>);

impl MultiValue {
    /// No values.
    ///
    /// ```
    /// use lunatrace::{Lua, MultiValue};
    /// let lua = Lua::new();
    /// let f: lunatrace::Function = lua.load("function(...) return select('#', ...) end").eval().unwrap();
    /// assert_eq!(f.call::<i32>(MultiValue::new()).unwrap(), 0);
    /// ```
    pub fn new() -> MultiValue {
        MultiValue(Vec::new())
    }
    /// The number of values.
    ///
    /// ```
    /// use lunatrace::{Lua, MultiValue};
    /// let lua = Lua::new();
    /// let mv: MultiValue = lua.load("return 1, 2").eval().unwrap();
    /// assert_eq!(mv.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// No values at all.
    ///
    /// ```
    /// use lunatrace::{Lua, MultiValue};
    /// let lua = Lua::new();
    /// assert!(lua.load("return").eval::<MultiValue>().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The values, in order.
    ///
    /// ```
    /// use lunatrace::{Lua, MultiValue};
    /// let lua = Lua::new();
    /// let mv: MultiValue = lua.load("return 1, 2, 3").eval().unwrap();
    /// let sum: f64 = mv.iter().filter_map(|v| v.as_number()).sum();
    /// assert_eq!(sum, 6.0);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.0.iter()
    }
    /// The values as a vector.
    ///
    /// ```
    /// use lunatrace::{Lua, MultiValue, Value};
    /// let lua = Lua::new();
    /// let mv: MultiValue = lua.load("return true, 1").eval().unwrap();
    /// let v: Vec<Value> = mv.into_vec();
    /// assert_eq!(v[0].as_boolean(), Some(true));
    /// ```
    pub fn into_vec(self) -> Vec<Value> {
        self.0
    }
}

impl From<Vec<Value>> for MultiValue {
    fn from(v: Vec<Value>) -> MultiValue {
        MultiValue(v)
    }
}

impl IntoIterator for MultiValue {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Value> for MultiValue {
    fn from_iter<I: IntoIterator<Item = Value>>(it: I) -> MultiValue {
        MultiValue(it.into_iter().collect())
    }
}

/// Any number of values of one type (`...` as arguments or results).
///
/// ```
/// use lunatrace::{Lua, Variadic};
/// let lua = Lua::new();
/// let sum = lua.create_function(|_, xs: Variadic<f64>| Ok(xs.iter().sum::<f64>())).unwrap();
/// lua.globals().set("sum", sum).unwrap();
/// assert_eq!(lua.load("sum(1, 2, 3)").eval::<f64>().unwrap(), 6.0);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variadic<T>(pub Vec<T>);

impl<T> Variadic<T> {
    /// No values.
    ///
    /// ```
    /// use lunatrace::{Lua, Variadic};
    /// let lua = Lua::new();
    /// let mut v = Variadic::new();
    /// v.push("a");
    /// v.push("b");
    /// let f: lunatrace::Function = lua.load("function(...) return table.concat({...}) end").eval().unwrap();
    /// assert_eq!(f.call::<String>(v).unwrap(), "ab");
    /// ```
    pub fn new() -> Variadic<T> {
        Variadic(Vec::new())
    }
}

impl<T> std::ops::Deref for Variadic<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Variadic<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T> FromIterator<T> for Variadic<T> {
    fn from_iter<I: IntoIterator<Item = T>>(it: I) -> Variadic<T> {
        Variadic(it.into_iter().collect())
    }
}

impl<T> From<Vec<T>> for Variadic<T> {
    fn from(v: Vec<T>) -> Variadic<T> {
        Variadic(v)
    }
}
