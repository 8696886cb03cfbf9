//! The safe Rust embedding API: `Lua` owns a VM (standard libraries, JIT
//! and C modules enabled), runs code, reads and writes globals, calls Lua
//! functions with typed arguments and results (`IntoLua`/`FromLua`, tuples
//! for several values), registers Rust closures as Lua functions and Rust
//! types as userdata with methods. Values cross the boundary as owned
//! `LuaValue`s, so nothing here can leave a dangling reference into the
//! collected heap, and no `unsafe` is needed by the embedder (or here).

use crate::vm::object::str_bytes;
use crate::vm::{self, table, LuaError, LuaResult, Value, Vm};
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A Lua error: its message and the traceback where it was raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    pub traceback: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.traceback.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}\n{}", self.message, self.traceback)
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    fn new(m: impl Into<String>) -> Error {
        Error {
            message: m.into(),
            traceback: String::new(),
        }
    }
}

/// An owned Lua value.
#[derive(Debug, Clone, PartialEq)]
pub enum LuaValue {
    Nil,
    Boolean(bool),
    Number(f64),
    String(String),
    /// Key/value pairs (sequence entries first, in order).
    Table(Vec<(LuaValue, LuaValue)>),
    /// A value with no owned form (function, userdata, thread): its type.
    Opaque(&'static str),
}

/// Conversion of a Rust value into Lua.
pub trait IntoLua {
    fn into_lua(self) -> LuaValue;
}

/// Conversion of a Lua value into Rust (the message says what was wrong).
pub trait FromLua: Sized {
    fn from_lua(v: LuaValue) -> Result<Self, String>;
}

impl IntoLua for LuaValue {
    fn into_lua(self) -> LuaValue {
        self
    }
}
impl FromLua for LuaValue {
    fn from_lua(v: LuaValue) -> Result<Self, String> {
        Ok(v)
    }
}
impl IntoLua for bool {
    fn into_lua(self) -> LuaValue {
        LuaValue::Boolean(self)
    }
}
impl FromLua for bool {
    fn from_lua(v: LuaValue) -> Result<Self, String> {
        Ok(!matches!(v, LuaValue::Nil | LuaValue::Boolean(false)))
    }
}
impl IntoLua for String {
    fn into_lua(self) -> LuaValue {
        LuaValue::String(self)
    }
}
impl IntoLua for &str {
    fn into_lua(self) -> LuaValue {
        LuaValue::String(self.to_string())
    }
}
impl FromLua for String {
    fn from_lua(v: LuaValue) -> Result<Self, String> {
        match v {
            LuaValue::String(s) => Ok(s),
            LuaValue::Number(n) => Ok(vm::number::fmt_num(n)),
            o => Err(format!("string expected, got {}", type_name(&o))),
        }
    }
}
impl IntoLua for () {
    fn into_lua(self) -> LuaValue {
        LuaValue::Nil
    }
}
impl FromLua for () {
    fn from_lua(_: LuaValue) -> Result<Self, String> {
        Ok(())
    }
}
impl<T: IntoLua> IntoLua for Option<T> {
    fn into_lua(self) -> LuaValue {
        self.map_or(LuaValue::Nil, T::into_lua)
    }
}
impl<T: FromLua> FromLua for Option<T> {
    fn from_lua(v: LuaValue) -> Result<Self, String> {
        match v {
            LuaValue::Nil => Ok(None),
            v => T::from_lua(v).map(Some),
        }
    }
}
impl<T: IntoLua> IntoLua for Vec<T> {
    fn into_lua(self) -> LuaValue {
        LuaValue::Table(
            self.into_iter()
                .enumerate()
                .map(|(i, v)| (LuaValue::Number(i as f64 + 1.0), v.into_lua()))
                .collect(),
        )
    }
}
impl<T: FromLua> FromLua for Vec<T> {
    fn from_lua(v: LuaValue) -> Result<Self, String> {
        match v {
            LuaValue::Table(kv) => {
                let mut out = Vec::new();
                for (k, v) in kv {
                    if k == LuaValue::Number(out.len() as f64 + 1.0) {
                        out.push(T::from_lua(v)?);
                    }
                }
                Ok(out)
            }
            o => Err(format!("table expected, got {}", type_name(&o))),
        }
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl IntoLua for $t {
            fn into_lua(self) -> LuaValue {
                LuaValue::Number(self as f64)
            }
        }
        impl FromLua for $t {
            fn from_lua(v: LuaValue) -> Result<Self, String> {
                match v {
                    LuaValue::Number(n) => Ok(n as $t),
                    LuaValue::String(s) => vm::number::str_to_num(s.as_bytes())
                        .map(|n| n as $t)
                        .ok_or_else(|| "number expected, got string".to_string()),
                    o => Err(format!("number expected, got {}", type_name(&o))),
                }
            }
        }
    )*};
}
numbers!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8, usize, isize);

fn type_name(v: &LuaValue) -> &'static str {
    match v {
        LuaValue::Nil => "nil",
        LuaValue::Boolean(_) => "boolean",
        LuaValue::Number(_) => "number",
        LuaValue::String(_) => "string",
        LuaValue::Table(_) => "table",
        LuaValue::Opaque(t) => t,
    }
}

/// Several values (arguments or results): implemented for single values
/// and tuples.
pub trait IntoLuaMulti {
    fn into_lua_multi(self) -> Vec<LuaValue>;
}

/// Several values read from a list (missing ones are nil).
pub trait FromLuaMulti: Sized {
    fn from_lua_multi(v: Vec<LuaValue>) -> Result<Self, String>;
}

impl<T: IntoLua> IntoLuaMulti for T {
    fn into_lua_multi(self) -> Vec<LuaValue> {
        vec![self.into_lua()]
    }
}
impl<T: FromLua> FromLuaMulti for T {
    fn from_lua_multi(v: Vec<LuaValue>) -> Result<Self, String> {
        T::from_lua(v.into_iter().next().unwrap_or(LuaValue::Nil))
    }
}

macro_rules! tuples {
    ($(($($n:ident),*)),*) => {$(
        impl<$($n: IntoLua),*> IntoLuaMulti for ($($n,)*) {
            #[allow(non_snake_case)]
            fn into_lua_multi(self) -> Vec<LuaValue> {
                let ($($n,)*) = self;
                vec![$($n.into_lua()),*]
            }
        }
        impl<$($n: FromLua),*> FromLuaMulti for ($($n,)*) {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn from_lua_multi(v: Vec<LuaValue>) -> Result<Self, String> {
                let mut it = v.into_iter();
                Ok(($($n::from_lua(it.next().unwrap_or(LuaValue::Nil))?,)*))
            }
        }
    )*};
}
tuples!((A), (A, B), (A, B, C), (A, B, C, D), (A, B, C, D, E));

/// No values.
pub struct Nothing;
impl IntoLuaMulti for Nothing {
    fn into_lua_multi(self) -> Vec<LuaValue> {
        Vec::new()
    }
}
impl FromLuaMulti for Nothing {
    fn from_lua_multi(_: Vec<LuaValue>) -> Result<Self, String> {
        Ok(Nothing)
    }
}

// ---------------------------------------------------------------------------
// Value conversion against the VM

fn to_value(vm: &mut Vm, v: &LuaValue) -> LuaResult<Value> {
    Ok(match v {
        LuaValue::Nil | LuaValue::Opaque(_) => Value::NIL,
        LuaValue::Boolean(b) => Value::bool(*b),
        LuaValue::Number(n) => Value::num(*n),
        LuaValue::String(s) => vm.intern(s.as_bytes()),
        LuaValue::Table(kv) => {
            let t = vm.new_table(0, kv.len());
            // Keep the table reachable while its entries are built.
            vm.push(Value::from_table(t));
            for (k, x) in kv {
                let kk = to_value(vm, k)?;
                vm.push(kk);
                let xx = to_value(vm, x)?;
                vm.pop(1);
                vm.raw_set(t, kk, xx)?;
            }
            vm.pop(1);
            Value::from_table(t)
        }
    })
}

fn from_value(v: Value, depth: usize) -> LuaValue {
    use vm::value::LuaType;
    match v.lua_type() {
        LuaType::Nil => LuaValue::Nil,
        LuaType::Boolean => LuaValue::Boolean(v.truthy()),
        LuaType::Number => LuaValue::Number(v.num_unchecked()),
        LuaType::String => LuaValue::String(String::from_utf8_lossy(str_bytes(v)).into_owned()),
        LuaType::Table if depth < 64 => {
            let t = v.as_table_ptr().unwrap();
            let mut out = Vec::new();
            let mut k = Value::NIL;
            while let Ok(Some((nk, nv))) = table::next(t, k) {
                out.push((from_value(nk, depth + 1), from_value(nv, depth + 1)));
                k = nk;
            }
            // Sequence entries first, in order.
            out.sort_by_key(|(k, _)| match k {
                LuaValue::Number(n) if n.fract() == 0.0 && *n >= 1.0 => (0, *n as u64),
                _ => (1, 0),
            });
            LuaValue::Table(out)
        }
        t => LuaValue::Opaque(t.name()),
    }
}

// ---------------------------------------------------------------------------
// Rust closures and objects referenced from Lua

type Callback = Rc<dyn Fn(&mut Vm) -> LuaResult<usize>>;
/// A Rust object owned by a userdata.
type Object = Rc<RefCell<dyn Any>>;

thread_local! {
    /// Rust closures registered as Lua functions (index = upvalue).
    static CALLBACKS: RefCell<Vec<Option<Callback>>> = const { RefCell::new(Vec::new()) };
    /// Rust objects owned by Lua userdata (index = the userdata's id).
    static OBJECTS: RefCell<Vec<Option<Object>>> = const { RefCell::new(Vec::new()) };
}

/// The native of every registered closure.
fn callback_native(vm: &mut Vm) -> LuaResult<usize> {
    let i = vm.native_upvalue(1).as_num().unwrap_or(-1.0) as usize;
    let cb = CALLBACKS.with(|c| c.borrow().get(i).cloned().flatten());
    match cb {
        Some(cb) => cb(vm),
        None => Err(vm.rt_error("Rust function is gone (its Lua state was dropped)")),
    }
}

fn args_of(vm: &Vm) -> Vec<LuaValue> {
    (1..=vm.nargs()).map(|i| from_value(vm.arg(i), 0)).collect()
}

fn push_results(vm: &mut Vm, r: Vec<LuaValue>) -> LuaResult<usize> {
    vm.ensure_stack(r.len() + 1)?;
    for v in &r {
        let x = to_value(vm, v)?;
        vm.push(x);
    }
    Ok(r.len())
}

/// A Rust type usable as Lua userdata: its name and methods.
pub trait UserData: Any + Sized {
    /// Type name (registry key of its metatable, shown by `tostring`).
    const NAME: &'static str;
    fn methods(m: &mut Methods<Self>);
}

type Method<T> = Rc<dyn Fn(&mut T, Vec<LuaValue>) -> Result<Vec<LuaValue>, String>>;

/// The methods of a userdata type, collected by `UserData::methods`.
pub struct Methods<T> {
    list: Vec<(&'static str, Method<T>)>,
}

impl<T: 'static> Methods<T> {
    /// Add `obj:name(args...)`.
    pub fn add<A, R, F>(&mut self, name: &'static str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&mut T, A) -> Result<R, String> + 'static,
    {
        self.list.push((
            name,
            Rc::new(move |obj, args| {
                let a = A::from_lua_multi(args)?;
                f(obj, a).map(R::into_lua_multi)
            }),
        ));
    }
}

/// The object id stored in a userdata made by `Lua::set_object`.
fn object_id(vm: &Vm, v: Value) -> Option<usize> {
    let env = vm.udata_env(v)?;
    table::get_int(env, 1).as_num().map(|n| n as usize)
}

fn gc_native(vm: &mut Vm) -> LuaResult<usize> {
    if let Some(id) = object_id(vm, vm.arg(1)) {
        OBJECTS.with(|o| {
            if let Some(slot) = o.borrow_mut().get_mut(id) {
                *slot = None;
            }
        });
    }
    Ok(0)
}

// ---------------------------------------------------------------------------
// The state

/// A Lua state for Rust programs.
pub struct Lua {
    vm: Box<Vm>,
    callbacks: Vec<usize>,
}

impl Default for Lua {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Lua {
    fn drop(&mut self) {
        CALLBACKS.with(|c| {
            let mut c = c.borrow_mut();
            for &i in &self.callbacks {
                c[i] = None;
            }
        });
    }
}

/// Message handler adding a traceback (as the CLI's).
fn traceback_handler(vm: &mut Vm) -> LuaResult<usize> {
    let msg = vm.arg(1);
    let text = if msg.is_str() || msg.is_num() {
        vm.tostring_basic(msg)
    } else {
        format!("({} object)", msg.type_name())
    };
    let tb = vm::debuginfo::traceback(vm, vm.cur, 1);
    let v = vm.intern(format!("{}\n{}", text, tb).as_bytes());
    vm.push(v);
    Ok(1)
}

impl Lua {
    /// A state with the standard libraries, the JIT and C modules enabled.
    pub fn new() -> Lua {
        let mut v = Vm::new();
        vm::open_libs(&mut v);
        let _ = crate::install_jit(&mut v, &[], &[]);
        crate::install_capi(&mut v);
        Lua {
            vm: v,
            callbacks: Vec::new(),
        }
    }

    /// Call `f` with `args` protected; results or an `Error` with traceback.
    fn pcall(&mut self, f: Value, args: &[LuaValue]) -> Result<Vec<LuaValue>, Error> {
        let vm = &mut self.vm;
        let h = vm.new_native(traceback_handler, "traceback");
        let base = vm.th().top;
        vm.push(h);
        vm.push(f);
        let r = (|| -> LuaResult<usize> {
            for a in args {
                let x = to_value(vm, a)?;
                vm.push(x);
            }
            vm.pcall_at_handler(base + 1, args.len(), -1, Some(h))
        })();
        match r {
            Ok(n) => {
                let out = (0..n)
                    .map(|i| from_value(vm.th().stack[base + 1 + i], 0))
                    .collect();
                vm.th().top = base;
                Ok(out)
            }
            Err(e) => {
                vm.th().top = base;
                Err(split_error(vm, &e))
            }
        }
    }

    /// Run a chunk of Lua code.
    pub fn exec(&mut self, code: &str) -> Result<(), Error> {
        self.exec_named(code, code).map(|_| ())
    }

    fn exec_named(&mut self, code: &str, name: &str) -> Result<Vec<LuaValue>, Error> {
        let f = self
            .vm
            .load(code.as_bytes(), name)
            .map_err(|e| split_error(&mut self.vm, &e))?;
        self.pcall(f, &[])
    }

    /// Evaluate an expression (or run a chunk) and convert its results.
    pub fn eval<R: FromLuaMulti>(&mut self, code: &str) -> Result<R, Error> {
        let expr = format!("return {}", code);
        let r = if self.vm.load(expr.as_bytes(), code).is_ok() {
            self.exec_named(&expr, code)?
        } else {
            self.exec_named(code, code)?
        };
        R::from_lua_multi(r).map_err(Error::new)
    }

    /// Run a Lua file.
    pub fn exec_file(&mut self, path: &str) -> Result<(), Error> {
        let f = vm::lib_base::load_file(&mut self.vm, Some(path))
            .map_err(|e| split_error(&mut self.vm, &e))?;
        self.pcall(f, &[]).map(|_| ())
    }

    /// `_G[name] = value`.
    pub fn set_global<V: IntoLua>(&mut self, name: &str, value: V) {
        let v = value.into_lua();
        if let Ok(x) = to_value(&mut self.vm, &v) {
            self.vm.set_global(name, x);
        }
    }

    /// `_G[name]`, converted.
    pub fn get_global<R: FromLua>(&mut self, name: &str) -> Result<R, Error> {
        let v = self.vm.get_global(name);
        R::from_lua(from_value(v, 0)).map_err(|m| Error::new(format!("global '{}': {}", name, m)))
    }

    /// Call the global function `name` (dotted paths like `string.format`
    /// work) with typed arguments and results.
    pub fn call<A: IntoLuaMulti, R: FromLuaMulti>(
        &mut self,
        name: &str,
        args: A,
    ) -> Result<R, Error> {
        let mut f = Value::from_table(self.vm.globals);
        for part in name.split('.') {
            f = match f.as_table_ptr() {
                Some(_) => self.vm.get_field(f, part),
                None => Value::NIL,
            };
        }
        if !f.is_func() {
            return Err(Error::new(format!("'{}' is not a function", name)));
        }
        let r = self.pcall(f, &args.into_lua_multi())?;
        R::from_lua_multi(r).map_err(Error::new)
    }

    fn new_callback(&mut self, cb: Callback, name: &'static str) -> Value {
        let i = CALLBACKS.with(|c| {
            let mut c = c.borrow_mut();
            c.push(Some(cb));
            c.len() - 1
        });
        self.callbacks.push(i);
        self.vm
            .new_native_closure(callback_native, name, vec![Value::num(i as f64)])
    }

    /// Register a Rust function as the global `name`. Its `Err` becomes a
    /// Lua error (with position); bad arguments are reported as such.
    pub fn register<A, R, F>(&mut self, name: &'static str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(A) -> Result<R, String> + 'static,
    {
        let cb: Callback = Rc::new(move |vm: &mut Vm| {
            let a = A::from_lua_multi(args_of(vm)).map_err(|m| vm.arg_error(1, &m))?;
            match f(a) {
                Ok(r) => push_results(vm, r.into_lua_multi()),
                Err(m) => Err(vm.rt_error(&m)),
            }
        });
        let fv = self.new_callback(cb, name);
        self.vm.set_global(name, fv);
    }

    /// The metatable of userdata type `T`, made on first use.
    fn type_meta<T: UserData>(&mut self) -> Value {
        let key = format!("lunatrace.rs.{}", T::NAME);
        let reg = Value::from_table(self.vm.registry);
        let m = self.vm.get_field(reg, &key);
        if m.is_table() {
            return m;
        }
        let m = self.vm.new_table_value(0, 4);
        self.vm.set_field(reg, &key, m);
        let idx = self.vm.new_table_value(0, 8);
        self.vm.set_field(m, "__index", idx);
        let gc = self.vm.new_native(gc_native, "__gc");
        self.vm.set_field(m, "__gc", gc);
        let tn = self.vm.intern(T::NAME.as_bytes());
        self.vm.set_field(m, "__name", tn);
        let mut ms = Methods { list: Vec::new() };
        T::methods(&mut ms);
        for (name, f) in ms.list {
            let cb: Callback = Rc::new(move |vm: &mut Vm| {
                let obj = object_id(vm, vm.arg(1))
                    .and_then(|id| OBJECTS.with(|o| o.borrow().get(id).cloned().flatten()));
                let Some(obj) = obj else {
                    return Err(vm.arg_error(1, &format!("{} expected", T::NAME)));
                };
                let args: Vec<LuaValue> = args_of(vm).into_iter().skip(1).collect();
                let r = {
                    let mut b = obj.borrow_mut();
                    match b.downcast_mut::<T>() {
                        Some(t) => f(t, args),
                        None => return Err(vm.arg_error(1, &format!("{} expected", T::NAME))),
                    }
                };
                match r {
                    Ok(r) => push_results(vm, r),
                    Err(m) => Err(vm.rt_error(&m)),
                }
            });
            let fv = self.new_callback(cb, name);
            self.vm.set_field(idx, name, fv);
        }
        m
    }

    /// Store a Rust object as userdata in the global `name`; its methods
    /// are those of `T::methods`. The object is dropped when Lua collects
    /// the userdata.
    pub fn set_object<T: UserData>(&mut self, name: &str, obj: T) {
        let m = self.type_meta::<T>();
        let id = OBJECTS.with(|o| {
            let mut o = o.borrow_mut();
            o.push(Some(Rc::new(RefCell::new(obj)) as Object));
            o.len() - 1
        });
        let env = self.vm.new_table(1, 0);
        table::set_int(&mut self.vm.heap, env, 1, Value::num(id as f64));
        let u = Value::from_udata(self.vm.heap.new_udata(0, env.as_ptr()));
        self.vm.set_metatable(u, m.as_table_ptr());
        self.vm.set_global(name, u);
    }

    /// Read (a clone of) the Rust object in the global `name`.
    pub fn get_object<T: UserData + Clone>(&mut self, name: &str) -> Option<T> {
        let v = self.vm.get_global(name);
        let id = object_id(&self.vm, v)?;
        let obj = OBJECTS.with(|o| o.borrow().get(id).cloned().flatten())?;
        let b = obj.borrow();
        b.downcast_ref::<T>().cloned()
    }

    /// Run a full garbage collection.
    pub fn gc(&mut self) -> Result<(), Error> {
        self.vm.full_gc().map_err(|e| split_error(&mut self.vm, &e))
    }

    /// Limit the bytes live Lua data may take (`None`: no limit beyond
    /// the default, half the process's `ulimit -v` when set). Past it,
    /// Lua code gets the error "not enough memory" (catchable by
    /// `pcall`; from `exec`/`call` it is an `Error`).
    pub fn set_memory_limit(&mut self, bytes: Option<usize>) {
        self.vm.heap.limit = bytes.unwrap_or_else(vm::gc::Heap::default_limit);
        self.vm.heap.threshold = self.vm.heap.threshold.min(self.vm.heap.limit);
    }

    /// Bytes of live Lua data (as the collector counts them).
    pub fn used_memory(&self) -> usize {
        self.vm.heap.allocated
    }

    /// The underlying VM, for advanced use.
    pub fn vm(&mut self) -> &mut Vm {
        &mut self.vm
    }
}

/// Split "message\nstack traceback:..." into the two parts.
fn split_error(vm: &mut Vm, e: &LuaError) -> Error {
    let text = if e.value.is_str() || e.value.is_num() {
        vm.tostring_basic(e.value)
    } else {
        format!("({} object)", e.value.type_name())
    };
    match text.find("\nstack traceback:") {
        Some(i) => Error {
            message: text[..i].to_string(),
            traceback: text[i + 1..].to_string(),
        },
        None => Error::new(text),
    }
}
