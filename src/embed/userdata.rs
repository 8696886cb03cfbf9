//! Rust values as Lua userdata: the `UserData` trait (methods, fields
//! with getters and setters, metamethods), the per-type metatable built
//! on first use, and `AnyUserData`, the handle that borrows the Rust
//! value back (checked like a `RefCell`: a mutable borrow while it is
//! borrowed is an error, in Rust and in Lua).

use super::conv::{FromLua, IntoLua};
use super::error::{Error, Result};
use super::function::{Callback, Function};
use super::inner::{Inner, ObjCell};
use super::multi::{FromLuaMulti, IntoLuaMulti};
use super::scope::ScopedObj;
use super::state::Lua;
use super::table::Table;
use super::value::{LuaRef, MultiValue, Value};
use crate::vm::{Value as Raw, Vm};
use std::any::TypeId;
use std::cell::{Ref, RefMut};
use std::fmt;
use std::rc::Rc;

/// A Rust type Lua code can hold.
///
/// ```
/// use lunatrace::{Lua, MetaMethod, UserData, UserDataFields, UserDataMethods};
/// struct Vec2(f64, f64);
/// impl UserData for Vec2 {
///     fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
///         f.add_field_method_get("x", |_, v| Ok(v.0));
///         f.add_field_method_set("x", |_, v, x: f64| { v.0 = x; Ok(()) });
///     }
///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
///         m.add_method("len", |_, v, ()| Ok((v.0 * v.0 + v.1 * v.1).sqrt()));
///         m.add_meta_method(MetaMethod::Add, |lua, a, b: lunatrace::AnyUserData| {
///             let b = b.borrow::<Vec2>()?;
///             lua.create_userdata(Vec2(a.0 + b.0, a.1 + b.1))
///         });
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("v", lua.create_userdata(Vec2(3.0, 0.0)).unwrap()).unwrap();
/// let n: f64 = lua.load("v.x = 1; local w = v + v; return w:len() + w.x").eval().unwrap();
/// assert_eq!(n, 2.0 + 2.0);
/// ```
pub trait UserData: Sized {
    /// Fields: `ud.name` reads and writes.
    fn add_fields<F: UserDataFields<Self>>(_fields: &mut F) {}
    /// Methods (`ud:name(...)`), functions and metamethods.
    fn add_methods<M: UserDataMethods<Self>>(_methods: &mut M) {}
}

/// Metamethods a userdata type may define.
///
/// ```
/// use lunatrace::{Lua, MetaMethod, UserData, UserDataMethods};
/// struct Money(i64);
/// impl UserData for Money {
///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
///         m.add_meta_method(MetaMethod::ToString, |_, v, ()| Ok(format!("${}", v.0)));
///         m.add_meta_method(MetaMethod::Len, |_, v, ()| Ok(v.0.to_string().len()));
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("m", lua.create_userdata(Money(250)).unwrap()).unwrap();
/// assert_eq!(lua.load("tostring(m) .. #m").eval::<String>().unwrap(), "$2503");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaMethod {
    /// `__index`
    Index,
    /// `__newindex`
    NewIndex,
    /// `__add` (`+`)
    Add,
    /// `__sub` (`-`)
    Sub,
    /// `__mul` (`*`)
    Mul,
    /// `__div` (`/`)
    Div,
    /// `__mod` (`%`)
    Mod,
    /// `__pow` (`^`)
    Pow,
    /// `__unm` (unary `-`)
    Unm,
    /// `__eq` (`==`)
    Eq,
    /// `__lt` (`<`)
    Lt,
    /// `__le` (`<=`)
    Le,
    /// `__len` (`#`)
    Len,
    /// `__concat` (`..`)
    Concat,
    /// `__tostring`
    ToString,
    /// `__call`
    Call,
}

impl MetaMethod {
    /// The metatable key (`__add`, ...).
    ///
    /// ```
    /// use lunatrace::MetaMethod;
    /// assert_eq!(MetaMethod::Concat.name(), "__concat");
    /// assert_eq!(MetaMethod::Le.to_string(), "__le");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MetaMethod::Index => "__index",
            MetaMethod::NewIndex => "__newindex",
            MetaMethod::Add => "__add",
            MetaMethod::Sub => "__sub",
            MetaMethod::Mul => "__mul",
            MetaMethod::Div => "__div",
            MetaMethod::Mod => "__mod",
            MetaMethod::Pow => "__pow",
            MetaMethod::Unm => "__unm",
            MetaMethod::Eq => "__eq",
            MetaMethod::Lt => "__lt",
            MetaMethod::Le => "__le",
            MetaMethod::Len => "__len",
            MetaMethod::Concat => "__concat",
            MetaMethod::ToString => "__tostring",
            MetaMethod::Call => "__call",
        }
    }
}

impl fmt::Display for MetaMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where `UserData::add_methods` declares methods.
///
/// ```
/// use lunatrace::{Lua, MetaMethod, UserData, UserDataMethods};
/// struct Stack(Vec<i64>);
/// impl UserData for Stack {
///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
///         m.add_method_mut("push", |_, s, v: i64| { s.0.push(v); Ok(()) });
///         m.add_method("top", |_, s, ()| Ok(s.0.last().copied()));
///         m.add_function("new", |lua, ()| lua.create_userdata(Stack(Vec::new())));
///         m.add_meta_method(MetaMethod::Len, |_, s, ()| Ok(s.0.len()));
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("s", lua.create_userdata(Stack(vec![])).unwrap()).unwrap();
/// let (top, n, fresh): (i64, usize, usize) =
///     lua.load("s:push(1) s:push(2) return s:top(), #s, #s.new()").eval().unwrap();
/// assert_eq!((top, n, fresh), (2, 2, 0));
/// ```
pub trait UserDataMethods<T> {
    /// `ud:name(args)` with `&T`.
    fn add_method<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: Fn(&Lua, &T, A) -> Result<R> + 'static;
    /// `ud:name(args)` with `&mut T`.
    fn add_method_mut<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: FnMut(&Lua, &mut T, A) -> Result<R> + 'static;
    /// `ud.name(args)`: a plain function in the type's method table.
    fn add_function<A, R, F>(&mut self, name: impl ToString, function: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + 'static;
    /// A metamethod receiving `&T` as its first operand.
    fn add_meta_method<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: Fn(&Lua, &T, A) -> Result<R> + 'static;
    /// A metamethod receiving `&mut T`.
    fn add_meta_method_mut<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: FnMut(&Lua, &mut T, A) -> Result<R> + 'static;
    /// A metamethod receiving all operands as they are (for `__eq`,
    /// `__concat`... where the userdata may be either operand).
    fn add_meta_function<A, R, F>(&mut self, name: impl ToString, function: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + 'static;
}

/// Where `UserData::add_fields` declares fields.
///
/// ```
/// use lunatrace::{Lua, UserData, UserDataFields};
/// struct Rect { w: f64, h: f64 }
/// impl UserData for Rect {
///     fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
///         f.add_field("kind", "rect");
///         f.add_field_method_get("area", |_, r| Ok(r.w * r.h));
///         f.add_field_method_set("w", |_, r, w: f64| { r.w = w; Ok(()) });
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("r", lua.create_userdata(Rect { w: 2.0, h: 3.0 }).unwrap()).unwrap();
/// let (kind, area): (String, f64) = lua.load("r.w = 4 return r.kind, r.area").eval().unwrap();
/// assert_eq!((kind.as_str(), area), ("rect", 12.0));
/// ```
pub trait UserDataFields<T> {
    /// Reading `ud.name`.
    fn add_field_method_get<R, M>(&mut self, name: impl ToString, method: M)
    where
        R: IntoLua,
        M: Fn(&Lua, &T) -> Result<R> + 'static;
    /// Writing `ud.name = v`.
    fn add_field_method_set<A, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLua,
        M: FnMut(&Lua, &mut T, A) -> Result<()> + 'static;
    /// A constant field (`ud.name`), made once per type.
    fn add_field<V: IntoLua + Clone + 'static>(&mut self, name: impl ToString, value: V);
}

/// A callback as declared, before it is made a Lua function (`'a`: what
/// it may borrow; `'static` but for scoped userdata).
pub(crate) type DeclCb<'a> = Rc<dyn Fn(&Lua, MultiValue) -> Result<MultiValue> + 'a>;

/// How callbacks reach the Rust value of their userdata (`self`).
pub(crate) trait Access<T>: Clone {
    /// `this` is a userdata this access serves.
    fn check(&self, this: &Value) -> Result<()>;
    /// Run `f` with the value shared.
    fn with_ref<R>(&self, this: &Value, f: impl FnOnce(&T) -> R) -> Result<R>;
    /// Run `f` with the value borrowed mutably.
    fn with_mut<R>(&self, this: &Value, f: impl FnOnce(&mut T) -> R) -> Result<R>;
}

/// Values owned by their userdata (`Lua::create_userdata`): the userdata's
/// object cell, downcast.
#[derive(Clone, Copy)]
pub(crate) struct Owned;

impl<T: 'static> Access<T> for Owned {
    fn check(&self, this: &Value) -> Result<()> {
        this_cell(this).map(drop)
    }
    fn with_ref<R>(&self, this: &Value, f: impl FnOnce(&T) -> R) -> Result<R> {
        let cell = this_cell(this)?;
        with_ref::<T, R>(&cell, f)
    }
    fn with_mut<R>(&self, this: &Value, f: impl FnOnce(&mut T) -> R) -> Result<R> {
        let cell = this_cell(this)?;
        with_mut::<T, R>(&cell, f)
    }
}

/// What a type declares (type-erased callbacks).
pub(crate) struct Decls<'a> {
    pub methods: Vec<(String, DeclCb<'a>)>,
    pub meta: Vec<(String, DeclCb<'a>)>,
    pub getters: Vec<(String, DeclCb<'a>)>,
    pub setters: Vec<(String, DeclCb<'a>)>,
}

/// Collects a type's declarations (`UserDataMethods`, `UserDataFields`).
pub(crate) struct Registry<'a, T, X> {
    access: X,
    pub decls: Decls<'a>,
    _t: std::marker::PhantomData<T>,
}

impl<'a, T: UserData, X: Access<T> + 'a> Registry<'a, T, X> {
    /// `T`'s declarations, reaching the value through `access`.
    pub fn of(access: X) -> Self {
        let mut reg = Registry {
            access,
            decls: Decls {
                methods: Vec::new(),
                meta: Vec::new(),
                getters: Vec::new(),
                setters: Vec::new(),
            },
            _t: std::marker::PhantomData,
        };
        T::add_fields(&mut reg);
        T::add_methods(&mut reg);
        reg
    }
}

/// The object of the userdata in `v` (first argument of a method).
fn this_cell(v: &Value) -> Result<Rc<ObjCell>> {
    match v {
        Value::UserData(u) => u.cell.clone().ok_or(Error::UserDataTypeMismatch),
        _ => Err(Error::from_conv(v.type_name(), "userdata", None)),
    }
}

fn with_ref<T: 'static, R>(cell: &ObjCell, f: impl FnOnce(&T) -> R) -> Result<R> {
    let b = cell.try_borrow().map_err(|_| Error::UserDataBorrowError)?;
    match b.as_ref() {
        None => Err(Error::UserDataDestructed),
        Some(o) => o
            .downcast_ref::<T>()
            .map(f)
            .ok_or(Error::UserDataTypeMismatch),
    }
}

fn with_mut<T: 'static, R>(cell: &ObjCell, f: impl FnOnce(&mut T) -> R) -> Result<R> {
    let mut b = cell
        .try_borrow_mut()
        .map_err(|_| Error::UserDataBorrowMutError)?;
    match b.as_mut() {
        None => Err(Error::UserDataDestructed),
        Some(o) => o
            .downcast_mut::<T>()
            .map(f)
            .ok_or(Error::UserDataTypeMismatch),
    }
}

fn method_cb<'a, T, X, A, R, M>(access: X, method: M) -> DeclCb<'a>
where
    X: Access<T> + 'a,
    A: FromLuaMulti,
    R: IntoLuaMulti,
    M: Fn(&Lua, &T, A) -> Result<R> + 'static,
{
    Rc::new(move |lua, args: MultiValue| {
        let mut it = args.0.into_iter();
        let this = it.next().unwrap_or(Value::Nil);
        access.check(&this).map_err(|e| Error::bad_argument(1, e))?;
        let a = A::from_lua_args(MultiValue(it.collect()), 2, lua)?;
        access
            .with_ref(&this, |t| method(lua, t, a))??
            .into_lua_multi(lua)
    })
}

fn method_mut_cb<'a, T, X, A, R, M>(access: X, method: M) -> DeclCb<'a>
where
    X: Access<T> + 'a,
    A: FromLuaMulti,
    R: IntoLuaMulti,
    M: FnMut(&Lua, &mut T, A) -> Result<R> + 'static,
{
    let method = std::cell::RefCell::new(method);
    Rc::new(move |lua, args: MultiValue| {
        let mut it = args.0.into_iter();
        let this = it.next().unwrap_or(Value::Nil);
        access.check(&this).map_err(|e| Error::bad_argument(1, e))?;
        let a = A::from_lua_args(MultiValue(it.collect()), 2, lua)?;
        // The object's borrow is checked first: re-entering a `&mut`
        // method of the same object is a borrow error.
        access
            .with_mut(&this, |t| {
                let mut m = method
                    .try_borrow_mut()
                    .map_err(|_| Error::RecursiveMutCallback)?;
                m(lua, t, a)
            })??
            .into_lua_multi(lua)
    })
}

fn function_cb<'a, A, R, F>(function: F) -> DeclCb<'a>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, A) -> Result<R> + 'static,
{
    Rc::new(move |lua, args: MultiValue| {
        let a = A::from_lua_args(args, 1, lua)?;
        function(lua, a)?.into_lua_multi(lua)
    })
}

impl<'a, T, X: Access<T> + 'a> UserDataMethods<T> for Registry<'a, T, X> {
    fn add_method<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: Fn(&Lua, &T, A) -> Result<R> + 'static,
    {
        let cb = method_cb(self.access.clone(), method);
        self.decls.methods.push((name.to_string(), cb));
    }
    fn add_method_mut<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: FnMut(&Lua, &mut T, A) -> Result<R> + 'static,
    {
        let cb = method_mut_cb(self.access.clone(), method);
        self.decls.methods.push((name.to_string(), cb));
    }
    fn add_function<A, R, F>(&mut self, name: impl ToString, function: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + 'static,
    {
        self.decls
            .methods
            .push((name.to_string(), function_cb(function)));
    }
    fn add_meta_method<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: Fn(&Lua, &T, A) -> Result<R> + 'static,
    {
        let cb = method_cb(self.access.clone(), method);
        self.decls.meta.push((name.to_string(), cb));
    }
    fn add_meta_method_mut<A, R, M>(&mut self, name: impl ToString, method: M)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        M: FnMut(&Lua, &mut T, A) -> Result<R> + 'static,
    {
        let cb = method_mut_cb(self.access.clone(), method);
        self.decls.meta.push((name.to_string(), cb));
    }
    fn add_meta_function<A, R, F>(&mut self, name: impl ToString, function: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + 'static,
    {
        self.decls
            .meta
            .push((name.to_string(), function_cb(function)));
    }
}

impl<'a, T, X: Access<T> + 'a> UserDataFields<T> for Registry<'a, T, X> {
    fn add_field_method_get<R, M>(&mut self, name: impl ToString, method: M)
    where
        R: IntoLua,
        M: Fn(&Lua, &T) -> Result<R> + 'static,
    {
        let cb = method_cb(self.access.clone(), move |lua, t: &T, ()| method(lua, t));
        self.decls.getters.push((name.to_string(), cb));
    }
    fn add_field_method_set<A, M>(&mut self, name: impl ToString, mut method: M)
    where
        A: FromLua,
        M: FnMut(&Lua, &mut T, A) -> Result<()> + 'static,
    {
        let cb = method_mut_cb(self.access.clone(), move |lua, t: &mut T, a: A| {
            method(lua, t, a)
        });
        self.decls.setters.push((name.to_string(), cb));
    }
    fn add_field<V: IntoLua + Clone + 'static>(&mut self, name: impl ToString, value: V) {
        self.decls.getters.push((
            name.to_string(),
            function_cb(move |lua, _: MultiValue| value.clone().into_lua(lua)),
        ));
    }
}

/// The metatable of `T` (reference slot), built on first use.
fn type_meta<T: UserData + 'static>(lua: &Lua) -> Result<Raw> {
    let inner = &lua.inner;
    if let Some(&s) = inner.type_metas.borrow().get(&TypeId::of::<T>()) {
        return Ok(inner.get_slot(s));
    }
    let reg = Registry::<'static, T, Owned>::of(Owned);
    let mt = build_meta(lua, reg.decls, short_type_name::<T>(), &mut |cb| {
        Function::from_callback(lua, cb)
    })?;
    let raw = mt.0.raw();
    lua.vm(|inner, vm| {
        let s = inner.make_ref(vm, raw);
        inner.type_metas.borrow_mut().insert(TypeId::of::<T>(), s);
    })?;
    Ok(raw)
}

/// A metatable for the declarations `reg` (their callbacks made Lua
/// functions by `make`): `__index` looks up methods, then field getters,
/// then the type's own `__index`; `__newindex` field setters, then the
/// type's own; the metamethods; `__gc` drops the Rust value.
pub(crate) fn build_meta(
    lua: &Lua,
    reg: Decls<'static>,
    name: &'static str,
    make: &mut dyn FnMut(Callback) -> Result<Function>,
) -> Result<Table> {
    let mt = lua.create_table()?;
    let methods = lua.create_table()?;
    for (name, cb) in reg.methods {
        methods.raw_set(name, make(cb)?)?;
    }
    let mut user_index = None;
    let mut user_newindex = None;
    for (name, cb) in reg.meta {
        let f = make(cb)?;
        match name.as_str() {
            "__index" => user_index = Some(f),
            "__newindex" => user_newindex = Some(f),
            // The finaliser is the value's `Drop`; the metatable stays ours.
            "__gc" | "__metatable" => {}
            _ => mt.raw_set(name, f)?,
        }
    }
    if reg.getters.is_empty() && user_index.is_none() {
        mt.raw_set("__index", methods)?;
    } else {
        let getters = lua.create_table()?;
        for (name, cb) in reg.getters {
            getters.raw_set(name, make(cb)?)?;
        }
        let index = lua.create_function(move |_, (ud, key): (Value, Value)| {
            let m: Value = methods.raw_get(key.clone())?;
            if !m.is_nil() {
                return Ok(m);
            }
            let g: Option<Function> = getters.raw_get(key.clone())?;
            if let Some(g) = g {
                return g.call::<Value>(ud);
            }
            match &user_index {
                Some(f) => f.call::<Value>((ud, key)),
                None => Ok(Value::Nil),
            }
        })?;
        mt.raw_set("__index", index)?;
    }
    if !reg.setters.is_empty() || user_newindex.is_some() {
        let setters = lua.create_table()?;
        for (name, cb) in reg.setters {
            setters.raw_set(name, make(cb)?)?;
        }
        let newindex = lua.create_function(move |_, (ud, key, v): (Value, Value, Value)| {
            let s: Option<Function> = setters.raw_get(key.clone())?;
            if let Some(s) = s {
                return s.call::<()>((ud, v));
            }
            match &user_newindex {
                Some(f) => f.call::<()>((ud, key, v)),
                None => Err(Error::runtime(format!(
                    "cannot set field {:?} of {}",
                    key, name
                ))),
            }
        })?;
        mt.raw_set("__newindex", newindex)?;
    }
    mt.raw_set("__name", name)?;
    mt.raw_set("__metatable", false)?;
    let raw = mt.0.raw();
    lua.vm(|inner, vm| {
        let gc = vm.new_native_closure(
            super::inner::object_gc_native(),
            "__gc",
            vec![Raw::num(inner.id as f64)],
        );
        vm.set_field(raw, "__gc", gc);
    })?;
    Ok(mt)
}

pub(crate) fn short_type_name<T>() -> &'static str {
    let n = std::any::type_name::<T>();
    let base = n.split('<').next().unwrap_or(n);
    let start = base.rfind("::").map_or(0, |i| i + 2);
    &n[start..]
}

pub(crate) fn create<T: UserData + 'static>(lua: &Lua, data: T) -> Result<AnyUserData> {
    let meta = type_meta::<T>(lua)?;
    lua.vm(|inner, vm| {
        let u = inner.new_object(vm, Box::new(data), meta);
        AnyUserData::new(inner, vm, u)
    })
}

/// A handle to a full userdata (a Rust value made by `create_userdata`,
/// or another userdata, which has no Rust value).
///
/// ```
/// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
/// struct Counter(i64);
/// impl UserData for Counter {
///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
///     }
/// }
/// let lua = Lua::new();
/// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
/// lua.globals().set("c", ud.clone()).unwrap();
/// lua.load("c:add(41)").exec().unwrap();
/// assert_eq!(ud.borrow::<Counter>().unwrap().0, 42);
/// ```
#[derive(Clone)]
pub struct AnyUserData {
    pub(crate) r: LuaRef,
    pub(crate) cell: Option<Rc<ObjCell>>,
}

impl fmt::Debug for AnyUserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "userdata: {:#x}", self.r.raw().payload())
    }
}

impl PartialEq for AnyUserData {
    fn eq(&self, o: &AnyUserData) -> bool {
        self.r == o.r
    }
}

/// A shared borrow of a userdata's Rust value.
///
/// ```
/// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
/// struct Counter(i64);
/// impl UserData for Counter {
///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
///     }
/// }
/// let lua = Lua::new();
/// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
/// let r: lunatrace::UserDataRef<Counter> = ud.borrow().unwrap();
/// assert_eq!(r.0, 1);
/// ```
pub type UserDataRef<'a, T> = Ref<'a, T>;
/// A mutable borrow of a userdata's Rust value.
///
/// ```
/// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
/// struct Counter(i64);
/// impl UserData for Counter {
///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
///     }
/// }
/// let lua = Lua::new();
/// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
/// let mut r: lunatrace::UserDataRefMut<Counter> = ud.borrow_mut().unwrap();
/// r.0 = 10;
/// drop(r);
/// assert_eq!(ud.call_method::<i64>("add", 1).unwrap(), 11);
/// ```
pub type UserDataRefMut<'a, T> = RefMut<'a, T>;

impl AnyUserData {
    pub(crate) fn new(inner: &Rc<Inner>, vm: &mut Vm, u: Raw) -> AnyUserData {
        let cell = inner.object(vm, u).or_else(|| {
            // One of ours whose value was taken or finalised.
            inner
                .is_rust_userdata(vm, u)
                .then(|| Rc::new(std::cell::RefCell::new(None)))
        });
        AnyUserData {
            r: LuaRef::new(inner, vm, u),
            cell,
        }
    }

    /// Holds a `T` (not taken).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// assert!(ud.is::<Counter>());
    /// assert!(!ud.is::<String>());
    /// ```
    pub fn is<T: 'static>(&self) -> bool {
        // (While mutably borrowed the value cannot be inspected: false.)
        self.cell.as_ref().is_some_and(|c| {
            c.try_borrow().is_ok_and(|b| {
                b.as_ref().is_some_and(|o| {
                    o.is::<T>() || o.downcast_ref::<ScopedObj>().is_some_and(|s| s.is::<T>())
                })
            })
        })
    }

    /// Borrow the `T` (an error if it is mutably borrowed, e.g. by a
    /// running `add_method_mut` method).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// let shared = ud.borrow::<Counter>().unwrap();
    /// // A `&mut` method cannot run while Rust holds a shared borrow.
    /// assert!(ud.call_method::<i64>("add", 1).is_err());
    /// drop(shared);
    /// assert_eq!(ud.call_method::<i64>("add", 1).unwrap(), 2);
    /// ```
    pub fn borrow<T: 'static>(&self) -> Result<UserDataRef<'_, T>> {
        let cell = self.cell.as_ref().ok_or(Error::UserDataTypeMismatch)?;
        let b = cell.try_borrow().map_err(|_| Error::UserDataBorrowError)?;
        match b.as_ref() {
            None => return Err(Error::UserDataDestructed),
            Some(o) if o.is::<ScopedObj>() => {
                // (Made by `Lua::scope`: the value is in its scope.)
                let s = *o.downcast_ref::<ScopedObj>().expect("checked");
                drop(b);
                return s.borrow(self);
            }
            Some(o) if !o.is::<T>() => return Err(Error::UserDataTypeMismatch),
            Some(_) => {}
        }
        Ok(Ref::map(b, |o| {
            o.as_ref()
                .and_then(|o| o.downcast_ref::<T>())
                .expect("checked above")
        }))
    }

    /// Borrow the `T` mutably (an error while it is borrowed).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// ud.borrow_mut::<Counter>().unwrap().0 = 5;
    /// assert_eq!(ud.borrow::<Counter>().unwrap().0, 5);
    /// let _m = ud.borrow_mut::<Counter>().unwrap();
    /// assert!(ud.borrow::<Counter>().is_err());
    /// ```
    pub fn borrow_mut<T: 'static>(&self) -> Result<UserDataRefMut<'_, T>> {
        let cell = self.cell.as_ref().ok_or(Error::UserDataTypeMismatch)?;
        let b = cell
            .try_borrow_mut()
            .map_err(|_| Error::UserDataBorrowMutError)?;
        match b.as_ref() {
            None => return Err(Error::UserDataDestructed),
            Some(o) if o.is::<ScopedObj>() => {
                let s = *o.downcast_ref::<ScopedObj>().expect("checked");
                drop(b);
                return s.borrow_mut(self);
            }
            Some(o) if !o.is::<T>() => return Err(Error::UserDataTypeMismatch),
            Some(_) => {}
        }
        Ok(RefMut::map(b, |o| {
            o.as_mut()
                .and_then(|o| o.downcast_mut::<T>())
                .expect("checked above")
        }))
    }

    /// Take the `T` out; the userdata is left without a value (its methods
    /// then fail with `UserDataDestructed`).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// let c: Counter = ud.take().unwrap();
    /// assert_eq!(c.0, 1);
    /// assert!(matches!(ud.borrow::<Counter>(), Err(lunatrace::Error::UserDataDestructed)));
    /// ```
    pub fn take<T: 'static>(&self) -> Result<T> {
        let cell = self.cell.as_ref().ok_or(Error::UserDataTypeMismatch)?;
        let mut b = cell
            .try_borrow_mut()
            .map_err(|_| Error::UserDataBorrowMutError)?;
        match b.as_ref() {
            None => return Err(Error::UserDataDestructed),
            Some(o) if !o.is::<T>() => return Err(Error::UserDataTypeMismatch),
            Some(_) => {}
        }
        let o = b.take().expect("checked above");
        drop(b);
        let u = self.r.raw();
        let released = self.r.vm(|inner, vm| inner.release_object(vm, u))?;
        drop(released);
        Ok(*o.downcast::<T>().map_err(|_| Error::UserDataTypeMismatch)?)
    }

    /// Call method `name` (`ud:name(args)`).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// assert_eq!(ud.call_method::<i64>("add", 2).unwrap(), 3);
    /// ```
    pub fn call_method<R: FromLuaMulti>(&self, name: &str, args: impl IntoLuaMulti) -> Result<R> {
        let lua = Lua::borrowed(self.r.inner().clone());
        let f: super::function::Function = self.get(name)?;
        let mut all = vec![Value::UserData(self.clone())];
        all.extend(args.into_lua_multi(&lua)?.0);
        f.call(MultiValue(all))
    }

    /// `ud[key]` (through its metatable).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// let add: lunatrace::Function = ud.get("add").unwrap();
    /// assert_eq!(add.call::<i64>((ud.clone(), 4)).unwrap(), 5);
    /// ```
    pub fn get<K: IntoLua, V: FromLua>(&self, key: K) -> Result<V> {
        let inner = self.r.inner().clone();
        let lua = Lua::borrowed(inner.clone());
        let k = key.into_lua(&lua)?.to_raw(&inner)?;
        let u = self.r.raw();
        let v = inner.vm(|vm| {
            let r = inner.pcall_slot(vm, super::inner::slot::INDEX, &[u, k])?;
            Ok::<_, Error>(Value::from_raw(
                &inner,
                vm,
                r.first().copied().unwrap_or(Raw::NIL),
            ))
        })??;
        V::from_lua(v, &lua)
    }

    /// The metatable (the type's, for Rust values).
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, UserData, UserDataMethods};
    /// struct Counter(i64);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("add", |_, c, n: i64| { c.0 += n; Ok(c.0) });
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud: AnyUserData = lua.create_userdata(Counter(1)).unwrap();
    /// let mt = ud.get_metatable().unwrap();
    /// assert_eq!(mt.get::<_, String>("__name").unwrap(), "Counter");
    /// ```
    pub fn get_metatable(&self) -> Option<Table> {
        let u = self.r.raw();
        self.r
            .vm(|inner, vm| {
                vm.get_metatable(u)
                    .map(|m| Table(LuaRef::new(inner, vm, Raw::from_table(m))))
            })
            .ok()
            .flatten()
    }
}
