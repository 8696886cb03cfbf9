//! `Table`: a handle to a Lua table — reads and writes with metamethods
//! (`get`/`set`) or raw, length, iteration (`pairs`, `sequence_values`),
//! metatables.

use super::conv::{FromLua, IntoLua};
use super::error::{Error, Result};
use super::inner::slot;
use super::state::Lua;
use super::value::{LuaRef, Value};
use crate::vm::{table, Value as Raw};
use std::marker::PhantomData;
use std::rc::Rc;

/// A Lua table.
///
/// ```
/// use lunatrace::{Lua, Table};
/// let lua = Lua::new();
/// let t: Table = lua.load("{10, 20, name = 't'}").eval().unwrap();
/// assert_eq!(t.len().unwrap(), 2);
/// assert_eq!(t.get::<_, String>("name").unwrap(), "t");
/// ```
#[derive(Clone, PartialEq)]
pub struct Table(pub(crate) LuaRef);

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "table: {:#x}", self.0.raw().payload())
    }
}

impl Table {
    fn lua(&self) -> Lua {
        Lua::borrowed(self.0.inner().clone())
    }

    fn ptr(&self) -> std::ptr::NonNull<crate::vm::object::Table> {
        self.0.raw().as_table_ptr().expect("table handle")
    }

    fn raw_key<K: IntoLua>(&self, lua: &Lua, k: K) -> Result<Raw> {
        k.into_lua(lua)?.to_raw(self.0.inner())
    }

    /// `t[key]`, with `__index`.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua
    ///     .load("setmetatable({a = 1}, {__index = function(_, k) return k .. '!' end})")
    ///     .eval().unwrap();
    /// assert_eq!(t.get::<_, i64>("a").unwrap(), 1);
    /// assert_eq!(t.get::<_, String>("b").unwrap(), "b!");
    /// assert!(t.raw_get::<_, Option<String>>("b").unwrap().is_none());
    /// ```
    pub fn get<K: IntoLua, V: FromLua>(&self, key: K) -> Result<V> {
        let lua = self.lua();
        let k = self.raw_key(&lua, key)?;
        let t = self.0.raw();
        let v = self.0.vm(|inner, vm| {
            let v = if table::meta(self.ptr()).is_none() {
                table::get(self.ptr(), k)
            } else {
                let r = inner.pcall_slot(vm, slot::INDEX, &[t, k])?;
                r.first().copied().unwrap_or(Raw::NIL)
            };
            Ok::<_, Error>(Value::from_raw(inner, vm, v))
        })??;
        V::from_lua(v, &lua)
    }

    /// `t[key] = value`, with `__newindex`.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("setmetatable({}, {__newindex = function(t, k, v) rawset(t, k, v * 2) end})").eval().unwrap();
    /// t.set("a", 21).unwrap();
    /// assert_eq!(t.raw_get::<_, i32>("a").unwrap(), 42);
    /// ```
    pub fn set<K: IntoLua, V: IntoLua>(&self, key: K, value: V) -> Result<()> {
        let lua = self.lua();
        let k = self.raw_key(&lua, key)?;
        let v = value.into_lua(&lua)?.to_raw(self.0.inner())?;
        let t = self.0.raw();
        self.0.vm(|inner, vm| {
            if table::meta(self.ptr()).is_none() {
                vm.raw_set(self.ptr(), k, v)
                    .map_err(|e| inner.lua_error(vm, e))
            } else {
                inner.pcall_slot(vm, slot::NEWINDEX, &[t, k, v]).map(|_| ())
            }
        })?
    }

    /// `rawget(t, key)`.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("setmetatable({}, {__index = function() return 1 end})").eval().unwrap();
    /// assert_eq!(t.get::<_, i32>("x").unwrap(), 1);
    /// assert_eq!(t.raw_get::<_, Option<i32>>("x").unwrap(), None);
    /// ```
    pub fn raw_get<K: IntoLua, V: FromLua>(&self, key: K) -> Result<V> {
        let lua = self.lua();
        let k = self.raw_key(&lua, key)?;
        let v = self
            .0
            .vm(|inner, vm| Value::from_raw(inner, vm, table::get(self.ptr(), k)))?;
        V::from_lua(v, &lua)
    }

    /// `rawset(t, key, value)`.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("setmetatable({}, {__newindex = function() error('read-only') end})").eval().unwrap();
    /// assert!(t.set("a", 1).is_err());
    /// t.raw_set("a", 1).unwrap();
    /// assert_eq!(t.get::<_, i32>("a").unwrap(), 1);
    /// ```
    pub fn raw_set<K: IntoLua, V: IntoLua>(&self, key: K, value: V) -> Result<()> {
        let lua = self.lua();
        let k = self.raw_key(&lua, key)?;
        let v = value.into_lua(&lua)?.to_raw(self.0.inner())?;
        self.0.vm(|inner, vm| {
            vm.check_alloc(32).map_err(|e| inner.lua_error(vm, e))?;
            vm.raw_set(self.ptr(), k, v)
                .map_err(|e| inner.lua_error(vm, e))
        })?
    }

    /// `#t`. (Lua 5.1 and LuaJIT do not call `__len` for tables, so this
    /// is the raw length.)
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("{1, 2, 3}").eval().unwrap();
    /// assert_eq!(t.len().unwrap(), 3);
    /// ```
    pub fn len(&self) -> Result<i64> {
        Ok(self.raw_len() as i64)
    }

    /// The raw length (a border of the sequence part).
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("{'a', 'b', x = 1}").eval().unwrap();
    /// assert_eq!(t.raw_len(), 2);
    /// ```
    pub fn raw_len(&self) -> usize {
        table::length(self.ptr())
    }

    /// The table has no entries.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table().unwrap();
    /// assert!(t.is_empty());
    /// t.set("k", false).unwrap();
    /// assert!(!t.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(table::next(self.ptr(), Raw::NIL), Ok(None))
    }

    /// `t[key] ~= nil` (with `__index`).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table_from([("a", 1)]).unwrap();
    /// assert!(t.contains_key("a").unwrap());
    /// assert!(!t.contains_key("b").unwrap());
    /// ```
    pub fn contains_key<K: IntoLua>(&self, key: K) -> Result<bool> {
        Ok(!self.get::<K, Value>(key)?.is_nil())
    }

    /// Append at `#t + 1` (raw).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table().unwrap();
    /// t.push("first").unwrap();
    /// t.push("second").unwrap();
    /// assert_eq!(t.get::<_, String>(2).unwrap(), "second");
    /// ```
    pub fn push<V: IntoLua>(&self, value: V) -> Result<()> {
        let n = self.raw_len();
        self.raw_set(n as f64 + 1.0, value)
    }

    /// Set (or with `None`, remove) the metatable.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t = lua.create_table().unwrap();
    /// let mt: Table = lua.load("{__index = function(_, k) return k * 2 end}").eval().unwrap();
    /// t.set_metatable(Some(mt)).unwrap();
    /// assert_eq!(t.get::<_, i32>(21).unwrap(), 42);
    /// t.set_metatable(None).unwrap();
    /// assert!(t.get_metatable().is_none());
    /// ```
    pub fn set_metatable(&self, meta: Option<Table>) -> Result<()> {
        let m = match &meta {
            Some(m) => {
                if !Rc::ptr_eq(m.0.inner(), self.0.inner()) {
                    return Err(Error::MismatchedState);
                }
                m.0.raw().as_table_ptr()
            }
            None => None,
        };
        let t = self.0.raw();
        self.0.vm(|_, vm| vm.set_metatable(t, m))
    }

    /// The metatable, if any (raw: `__metatable` is not consulted).
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("setmetatable({}, {kind = 'point'})").eval().unwrap();
    /// let mt = t.get_metatable().unwrap();
    /// assert_eq!(mt.get::<_, String>("kind").unwrap(), "point");
    /// ```
    pub fn get_metatable(&self) -> Option<Table> {
        let m = table::meta(self.ptr())?;
        self.0
            .vm(|inner, vm| Table(LuaRef::new(inner, vm, Raw::from_table(m))))
            .ok()
    }

    /// Iterate over all pairs (raw, in `next` order), converted.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("{a = 1, b = 2}").eval().unwrap();
    /// let mut sum = 0;
    /// for pair in t.pairs::<String, i64>() {
    ///     let (_k, v) = pair.unwrap();
    ///     sum += v;
    /// }
    /// assert_eq!(sum, 3);
    /// ```
    pub fn pairs<K: FromLua, V: FromLua>(&self) -> TablePairs<K, V> {
        TablePairs {
            table: self.clone(),
            key: Some(Value::Nil),
            _p: PhantomData,
        }
    }

    /// Iterate over `t[1], t[2], ...` up to the first nil (raw).
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("{1, 2, 3, nil, 5}").eval().unwrap();
    /// let v: Vec<i32> = t.sequence_values().collect::<lunatrace::Result<_>>().unwrap();
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    pub fn sequence_values<V: FromLua>(&self) -> TableSequence<V> {
        TableSequence {
            table: self.clone(),
            index: 1,
            done: false,
            _p: PhantomData,
        }
    }

    /// Call `f` for every pair (raw, in `next` order); stops at its first
    /// error.
    ///
    /// ```
    /// use lunatrace::{Lua, Table};
    /// let lua = Lua::new();
    /// let t: Table = lua.load("{a = 1, b = 2, c = 3}").eval().unwrap();
    /// let mut sum = 0;
    /// t.for_each(|_: String, v: i32| { sum += v; Ok(()) }).unwrap();
    /// assert_eq!(sum, 6);
    /// ```
    pub fn for_each<K: FromLua, V: FromLua>(
        &self,
        mut f: impl FnMut(K, V) -> Result<()>,
    ) -> Result<()> {
        for p in self.pairs::<K, V>() {
            let (k, v) = p?;
            f(k, v)?;
        }
        Ok(())
    }
}

/// Iterator of `Table::pairs`.
///
/// ```
/// use lunatrace::{Lua, Table};
/// let lua = Lua::new();
/// let t: Table = lua.load("{x = 1}").eval().unwrap();
/// let pairs: Vec<(String, i32)> = t.pairs().collect::<lunatrace::Result<_>>().unwrap();
/// assert_eq!(pairs, [("x".to_string(), 1)]);
/// ```
pub struct TablePairs<K, V> {
    table: Table,
    /// The previous key (None: finished).
    key: Option<Value>,
    _p: PhantomData<(K, V)>,
}

impl<K: FromLua, V: FromLua> Iterator for TablePairs<K, V> {
    type Item = Result<(K, V)>;

    fn next(&mut self) -> Option<Self::Item> {
        let prev = self.key.take()?;
        let t = &self.table;
        let step = (|| {
            let k = prev.to_raw(t.0.inner())?;
            t.0.vm(|inner, vm| match table::next(t.ptr(), k) {
                Ok(Some((k, v))) => Ok(Some((
                    Value::from_raw(inner, vm, k),
                    Value::from_raw(inner, vm, v),
                ))),
                Ok(None) => Ok(None),
                Err(_) => Err(Error::runtime("invalid key to 'next'")),
            })?
        })();
        match step {
            Ok(Some((k, v))) => {
                self.key = Some(k.clone());
                let lua = t.lua();
                Some(K::from_lua(k, &lua).and_then(|k| Ok((k, V::from_lua(v, &lua)?))))
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// Iterator of `Table::sequence_values`.
///
/// ```
/// use lunatrace::{Lua, Table};
/// let lua = Lua::new();
/// let t: Table = lua.load("{'a', 'b'}").eval().unwrap();
/// let mut it = t.sequence_values::<String>();
/// assert_eq!(it.next().unwrap().unwrap(), "a");
/// assert_eq!(it.next().unwrap().unwrap(), "b");
/// assert!(it.next().is_none());
/// ```
pub struct TableSequence<V> {
    table: Table,
    index: i64,
    done: bool,
    _p: PhantomData<V>,
}

impl<V: FromLua> Iterator for TableSequence<V> {
    type Item = Result<V>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let t = &self.table;
        let i = self.index;
        let v = match t
            .0
            .vm(|inner, vm| Value::from_raw(inner, vm, table::get_int(t.ptr(), i)))
        {
            Ok(v) => v,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        if v.is_nil() {
            self.done = true;
            return None;
        }
        self.index += 1;
        Some(V::from_lua(v, &t.lua()))
    }
}
