//! `Function`: a handle to a Lua or Rust function — calling it with typed
//! arguments and results, binding arguments, its environment — and the
//! native that runs Rust callbacks: it lends the VM to the callback (so
//! it can call Lua and make values), turns its `Err` into a Lua error
//! carrying the `Error`, and a panic into `Error::CallbackPanic`.

use super::error::{Error, Result};
use super::inner::{native_state, slot, Inner, ObjCell};
use super::multi::{FromLuaMulti, IntoLuaMulti};
use super::state::Lua;
use super::table::Table;
use super::value::{LuaRef, MultiValue, Value};
use crate::vm::{self, LuaError, Value as Raw, Vm};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::rc::Rc;

/// The type-erased form of every Rust function Lua can call.
pub(crate) type Callback = Rc<dyn Fn(&Lua, MultiValue) -> Result<MultiValue>>;

/// A Lua function (Lua or Rust).
///
/// ```
/// use lunatrace::{Function, Lua};
/// let lua = Lua::new();
/// let max: Function = lua.globals().get::<_, lunatrace::Table>("math").unwrap().get("max").unwrap();
/// assert_eq!(max.call::<i32>((3, 9, 4)).unwrap(), 9);
/// ```
#[derive(Clone, PartialEq)]
pub struct Function(pub(crate) LuaRef);

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "function: {:#x}", self.0.raw().payload())
    }
}

impl Function {
    pub(crate) fn from_callback(lua: &Lua, cb: Callback) -> Result<Function> {
        Ok(Self::from_callback_cell(lua, cb)?.0)
    }

    /// As `from_callback`; also the cell owning the callback (emptying
    /// it invalidates the function: calls then raise
    /// `Error::CallbackDestructed`).
    pub(crate) fn from_callback_cell(lua: &Lua, cb: Callback) -> Result<(Function, Rc<ObjCell>)> {
        lua.vm(|inner, vm| {
            let meta = inner.get_slot(slot::CALLBACK_META);
            let holder = inner.new_object(vm, Box::new(cb), meta);
            let cell = inner.object(vm, holder).expect("a new object");
            let id = Raw::num(inner.id as f64);
            let f = vm.new_native_closure(callback_native, "?", vec![id, holder]);
            (Function(LuaRef::new(inner, vm, f)), cell)
        })
    }

    fn lua(&self) -> Lua {
        Lua::borrowed(self.0.inner().clone())
    }

    /// Call with `args`; the results converted to `R`. Lua errors come
    /// back as `Err` (with a traceback).
    ///
    /// ```
    /// use lunatrace::{Function, Lua};
    /// let lua = Lua::new();
    /// let f: Function = lua.load("function(a, b) return a .. b, #a end").eval().unwrap();
    /// let (s, n): (String, u32) = f.call(("ab", "c")).unwrap();
    /// assert_eq!((s.as_str(), n), ("abc", 2));
    /// ```
    pub fn call<R: FromLuaMulti>(&self, args: impl IntoLuaMulti) -> Result<R> {
        let lua = self.lua();
        let args = args.into_lua_multi(&lua)?;
        let results = call_values(self.0.inner(), self.0.raw(), &args)?;
        R::from_lua_multi(results, &lua)
    }

    /// A function calling this one with `args` before the arguments it
    /// gets.
    ///
    /// ```
    /// use lunatrace::{Function, Lua};
    /// let lua = Lua::new();
    /// let sub: Function = lua.load("function(a, b) return a - b end").eval().unwrap();
    /// let from_ten = sub.bind(10).unwrap();
    /// assert_eq!(from_ten.call::<i32>(3).unwrap(), 7);
    /// ```
    pub fn bind(&self, args: impl IntoLuaMulti) -> Result<Function> {
        let lua = self.lua();
        let bound = args.into_lua_multi(&lua)?;
        let f = self.clone();
        lua.create_function(move |_, more: MultiValue| {
            let mut all = bound.0.clone();
            all.extend(more.0);
            f.call::<MultiValue>(MultiValue(all))
        })
    }

    /// The function's environment (its globals; `getfenv`).
    ///
    /// ```
    /// use lunatrace::{Function, Lua};
    /// let lua = Lua::new();
    /// let f: Function = lua.load("function() end").eval().unwrap();
    /// assert_eq!(f.environment().unwrap(), Some(lua.globals()));
    /// ```
    pub fn environment(&self) -> Result<Option<Table>> {
        let f = self.0.raw();
        self.0.vm(|inner, vm| {
            vm.fenv(f)
                .map(|t| Table(LuaRef::new(inner, vm, Raw::from_table(t))))
        })
    }

    /// Replace the function's environment (`setfenv`).
    ///
    /// ```
    /// use lunatrace::{Function, Lua};
    /// let lua = Lua::new();
    /// let f: Function = lua.load("function() return name end").eval().unwrap();
    /// let env = lua.create_table_from([("name", "sandboxed")]).unwrap();
    /// f.set_environment(env).unwrap();
    /// assert_eq!(f.call::<String>(()).unwrap(), "sandboxed");
    /// ```
    pub fn set_environment(&self, env: Table) -> Result<()> {
        if !Rc::ptr_eq(env.0.inner(), self.0.inner()) {
            return Err(Error::MismatchedState);
        }
        let (f, t) = (self.0.raw(), env.0.raw());
        self.0.vm(|_, vm| {
            if let Some(t) = t.as_table_ptr() {
                vm.set_fenv(f, t);
            }
        })
    }
}

/// Call `f` protected with `args` (handles of `inner`); results as handles.
pub(crate) fn call_values(inner: &Rc<Inner>, f: Raw, args: &MultiValue) -> Result<MultiValue> {
    let raw_args = args
        .0
        .iter()
        .map(|a| a.to_raw(inner))
        .collect::<Result<Vec<_>>>()?;
    inner.vm(|vm| {
        let out = inner.pcall(vm, f, &raw_args)?;
        Ok(MultiValue(
            out.into_iter()
                .map(|v| Value::from_raw(inner, vm, v))
                .collect(),
        ))
    })?
}

/// What a callback produced, before it goes back to the interpreter.
enum Outcome {
    Results(Vec<Raw>),
    Raise(Raw),
}

/// The native of every Rust function (upvalues: state id, the callback's
/// holder userdata).
fn callback_native(vm: &mut Vm) -> vm::LuaResult<usize> {
    let inner = native_state(vm)?;
    let Some(cell) = inner.object(vm, vm.native_upvalue(2)) else {
        return Err(vm.rt_error("Rust function was destroyed"));
    };
    let cb = cell
        .borrow()
        .as_ref()
        .and_then(|o| o.downcast_ref::<Callback>().cloned());
    let Some(cb) = cb else {
        // Its scope ended (`Lua::scope`).
        let e = inner.error_value(vm, Error::CallbackDestructed);
        return Err(LuaError::runtime(e));
    };
    let args: Vec<Raw> = (1..=vm.nargs()).map(|i| vm.arg(i)).collect();
    let outcome = inner.host.enter(vm, || run_callback(&inner, &cb, &args));
    match outcome {
        Ok(Outcome::Results(vals)) => {
            vm.ensure_stack(vals.len() + 1)?;
            for &v in &vals {
                vm.push(v);
            }
            Ok(vals.len())
        }
        Ok(Outcome::Raise(v)) => Err(LuaError::runtime(v)),
        Err(e) => Err(vm.rt_error(&e.to_string())),
    }
}

/// Run `cb` with the VM lent; the raw results, or the error value to
/// raise. (Handles are dropped here, while the VM is lendable.)
fn run_callback(inner: &Rc<Inner>, cb: &Callback, args: &[Raw]) -> Result<Outcome> {
    let lua = Lua::borrowed(inner.clone());
    let args = inner.vm(|vm| {
        MultiValue(
            args.iter()
                .map(|&a| Value::from_raw(inner, vm, a))
                .collect(),
        )
    })?;
    let r = match catch_unwind(AssertUnwindSafe(|| cb(&lua, args))) {
        Ok(r) => r,
        Err(p) => {
            // A Lua error of the C API travelling to its catcher.
            if p.is::<vm::error::Throw>() {
                resume_unwind(p);
            }
            Err(Error::CallbackPanic(panic_message(&p)))
        }
    };
    let raws = r.and_then(|mv| {
        mv.0.iter()
            .map(|v| v.to_raw(inner))
            .collect::<Result<Vec<_>>>()
    });
    match raws {
        Ok(vals) => Ok(Outcome::Results(vals)),
        Err(e) => inner.vm(|vm| Outcome::Raise(inner.error_value(vm, e))),
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}
