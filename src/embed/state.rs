//! `Lua`: a Lua state owned by Rust code — creating values (tables,
//! strings, functions, userdata, threads), the globals, loading chunks,
//! garbage collection and memory limits. Dropping the `Lua` closes the
//! state: every pending `__gc` finaliser runs and the Rust objects Lua
//! owned are dropped.

use super::chunk::Chunk;
use super::conv::{FromLua, IntoLua};
use super::error::{Error, Result};
use super::function::{Callback, Function};
use super::inner::Inner;
use super::multi::{FromLuaMulti, IntoLuaMulti};
use super::stdlib::{new_vm, StdLib};
use super::string::LuaString;
use super::table::Table;
use super::thread::Thread;
use super::userdata::{AnyUserData, UserData};
use super::value::{LuaRef, MultiValue, Value};
use crate::vm::{self, Value as Raw, Vm};
use std::cell::RefCell;
use std::rc::Rc;

/// A Lua state.
///
/// ```
/// use lunatrace::{Lua, Result};
/// # fn main() -> Result<()> {
/// let lua = Lua::new();
/// lua.globals().set("x", 20)?;
/// let y: i64 = lua.load("return x * 2 + 2").eval()?;
/// assert_eq!(y, 42);
/// # Ok(()) }
/// ```
pub struct Lua {
    pub(crate) inner: Rc<Inner>,
    /// The `Lua` that closes the state when dropped (callbacks receive
    /// non-owning ones).
    owner: bool,
}

impl Default for Lua {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Lua {
    fn drop(&mut self) {
        if self.owner {
            self.close();
        }
    }
}

impl Lua {
    /// A state with `StdLib::ALL_SAFE` (everything but `debug`, `ffi` and
    /// C modules) and the JIT compiler.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// assert!(lua.load("return io ~= nil and debug == nil").eval::<bool>().unwrap());
    /// ```
    pub fn new() -> Lua {
        Self::new_with(StdLib::ALL_SAFE)
    }

    /// A state with the libraries of `libs` (and the JIT compiler, which
    /// never changes results). `StdLib::ALL` gives what the `lunatrace`
    /// command line has.
    ///
    /// ```
    /// use lunatrace::{Lua, StdLib};
    /// let lua = Lua::new_with(StdLib::BASE | StdLib::STRING);
    /// let (io, s): (bool, String) =
    ///     lua.load("return io == nil, ('%d'):format(7)").eval().unwrap();
    /// assert!(io);
    /// assert_eq!(s, "7");
    /// ```
    pub fn new_with(libs: StdLib) -> Lua {
        Lua {
            inner: Inner::new(new_vm(libs)),
            owner: true,
        }
    }

    /// A non-owning `Lua` for `inner` (given to callbacks).
    pub(crate) fn borrowed(inner: Rc<Inner>) -> Lua {
        Lua {
            inner,
            owner: false,
        }
    }

    /// Close the state: run finalisers, drop Rust objects. The memory is
    /// freed when the last handle is gone too.
    fn close(&self) {
        let inner = &self.inner;
        if inner.closed.get() {
            return;
        }
        let _ = inner.vm(|vm| {
            vm.close_finalizers();
            vm.hook = None;
            vm.hook_mask = 0;
        });
        inner.interrupt.borrow_mut().take();
        inner.globals.borrow_mut().take();
        let app_data = std::mem::take(&mut *inner.app_data.borrow_mut());
        drop(app_data);
        // Dropped with the VM lendable, outside any borrow of the slab.
        let objects = inner.clear_objects();
        drop(objects);
        inner.closed.set(true);
    }

    /// Lend the VM to `f` (pure VM work: no user code runs inside).
    pub(crate) fn vm<R>(&self, f: impl FnOnce(&Rc<Inner>, &mut Vm) -> R) -> Result<R> {
        let inner = &self.inner;
        inner.vm(|vm| f(inner, vm))
    }

    /// The table of globals.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.globals().set("answer", 42).unwrap();
    /// assert_eq!(lua.load("return answer").eval::<i32>().unwrap(), 42);
    /// ```
    pub fn globals(&self) -> Table {
        self.inner
            .globals
            .borrow()
            .clone()
            .expect("the globals of a live state")
    }

    /// A new empty table.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table().unwrap();
    /// t.set("k", "v").unwrap();
    /// assert_eq!(t.get::<_, String>("k").unwrap(), "v");
    /// ```
    pub fn create_table(&self) -> Result<Table> {
        self.create_table_with_capacity(0, 0)
    }

    /// A new table with room for `narr` sequence and `nrec` other entries.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table_with_capacity(100, 0).unwrap();
    /// for i in 1..=100 { t.raw_set(i, i * i).unwrap(); }
    /// assert_eq!(t.raw_len(), 100);
    /// ```
    pub fn create_table_with_capacity(&self, narr: usize, nrec: usize) -> Result<Table> {
        self.vm(|inner, vm| {
            vm.check_alloc(narr.saturating_add(nrec).saturating_mul(16))
                .map_err(|e| inner.lua_error(vm, e))?;
            let t = vm.new_table_value(narr, nrec);
            Ok(Table(LuaRef::new(inner, vm, t)))
        })?
    }

    /// A table with the pairs of `iter` (raw sets).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_table_from([("a", 1), ("b", 2)]).unwrap();
    /// assert_eq!(t.get::<_, i32>("b").unwrap(), 2);
    /// ```
    pub fn create_table_from<K: IntoLua, V: IntoLua>(
        &self,
        iter: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Table> {
        let t = self.create_table()?;
        for (k, v) in iter {
            t.raw_set(k, v)?;
        }
        Ok(t)
    }

    /// A table with the values of `iter` at 1, 2, ...
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let t = lua.create_sequence_from(["x", "y"]).unwrap();
    /// lua.globals().set("t", t).unwrap();
    /// assert_eq!(lua.load("return table.concat(t, ',')").eval::<String>().unwrap(), "x,y");
    /// ```
    pub fn create_sequence_from<V: IntoLua>(
        &self,
        iter: impl IntoIterator<Item = V>,
    ) -> Result<Table> {
        let t = self.create_table()?;
        for (i, v) in iter.into_iter().enumerate() {
            t.raw_set(i as f64 + 1.0, v)?;
        }
        Ok(t)
    }

    /// A Lua string with exactly these bytes.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let s = lua.create_string(b"bytes\0ok").unwrap();
    /// assert_eq!(s.as_bytes(), b"bytes\0ok");
    /// ```
    pub fn create_string(&self, s: impl AsRef<[u8]>) -> Result<LuaString> {
        let b = s.as_ref();
        self.vm(|inner, vm| {
            vm.check_alloc(b.len())
                .map_err(|e| inner.lua_error(vm, e))?;
            let v = vm.intern(b);
            Ok(LuaString(LuaRef::new(inner, vm, v)))
        })?
    }

    /// A Lua function calling `f`. Its `Err` is raised as a Lua error
    /// (reaching Rust again as `Error::CallbackError`); a panic becomes
    /// `Error::CallbackPanic`.
    ///
    /// ```
    /// use lunatrace::{Lua, Result};
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let add = lua.create_function(|_, (a, b): (i64, i64)| Ok(a + b))?;
    /// lua.globals().set("add", add)?;
    /// assert_eq!(lua.load("return add(2, 3)").eval::<i64>()?, 5);
    /// # Ok(()) }
    /// ```
    pub fn create_function<A, R, F>(&self, f: F) -> Result<Function>
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + 'static,
    {
        let cb: Callback = Rc::new(move |lua: &Lua, args: MultiValue| {
            let a = A::from_lua_args(args, 1, lua)?;
            f(lua, a)?.into_lua_multi(lua)
        });
        Function::from_callback(self, cb)
    }

    /// As `create_function`, for a closure that mutates its state. A
    /// recursive call (through Lua) is `Error::RecursiveMutCallback`.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let mut n = 0;
    /// let counter = lua.create_function_mut(move |_, ()| { n += 1; Ok(n) }).unwrap();
    /// counter.call::<()>(()).unwrap();
    /// assert_eq!(counter.call::<i32>(()).unwrap(), 2);
    /// ```
    pub fn create_function_mut<A, R, F>(&self, f: F) -> Result<Function>
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: FnMut(&Lua, A) -> Result<R> + 'static,
    {
        let f = RefCell::new(f);
        self.create_function(move |lua, a: A| {
            let mut f = f
                .try_borrow_mut()
                .map_err(|_| Error::RecursiveMutCallback)?;
            f(lua, a)
        })
    }

    /// A userdata owning `data`, with the methods and fields of its
    /// `UserData` implementation. `data` is dropped when Lua collects the
    /// userdata (or the state closes).
    ///
    /// ```
    /// use lunatrace::{Lua, UserData, UserDataMethods};
    /// struct Id(u32);
    /// impl UserData for Id {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method("get", |_, id, ()| Ok(id.0));
    ///     }
    /// }
    /// let lua = Lua::new();
    /// lua.globals().set("id", lua.create_userdata(Id(7)).unwrap()).unwrap();
    /// assert_eq!(lua.load("return id:get()").eval::<u32>().unwrap(), 7);
    /// ```
    pub fn create_userdata<T: UserData + 'static>(&self, data: T) -> Result<AnyUserData> {
        super::userdata::create(self, data)
    }

    /// A coroutine running `f`.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let f = lua.load("function() coroutine.yield(1) return 2 end").eval().unwrap();
    /// let co = lua.create_thread(f).unwrap();
    /// assert_eq!(co.resume::<i32>(()).unwrap(), 1);
    /// assert_eq!(co.resume::<i32>(()).unwrap(), 2);
    /// ```
    pub fn create_thread(&self, f: Function) -> Result<Thread> {
        let fr = f.0.raw();
        self.vm(|inner, vm| {
            let env = vm.globals.as_ptr();
            let co = vm::lib_coroutine::new_coroutine(&mut vm.heap, fr, env);
            Thread(LuaRef::new(inner, vm, Raw::from_thread(co)))
        })
    }

    /// A chunk of Lua source (or LuaJIT bytecode) to run.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.load("x = 1 + 1").exec().unwrap();
    /// assert_eq!(lua.load("x").eval::<i32>().unwrap(), 2);
    /// ```
    pub fn load<'a>(&'a self, source: impl AsRef<[u8]> + 'a) -> Chunk<'a> {
        Chunk::new(self, source.as_ref().to_vec())
    }

    /// Convert a Rust value to a `Value`.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// assert!(matches!(lua.pack(1.5).unwrap(), Value::Number(n) if n == 1.5));
    /// ```
    pub fn pack<T: IntoLua>(&self, t: T) -> Result<Value> {
        t.into_lua(self)
    }

    /// Convert a `Value` to a Rust value.
    ///
    /// ```
    /// use lunatrace::{Lua, Value};
    /// let lua = Lua::new();
    /// let n: u8 = lua.unpack(Value::Number(200.0)).unwrap();
    /// assert_eq!(n, 200);
    /// assert!(lua.unpack::<u8>(Value::Number(300.0)).is_err());
    /// ```
    pub fn unpack<T: FromLua>(&self, v: Value) -> Result<T> {
        T::from_lua(v, self)
    }

    /// Convert Rust values to several values.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let mv = lua.pack_multi((1, "two", true)).unwrap();
    /// assert_eq!(mv.len(), 3);
    /// ```
    pub fn pack_multi<T: IntoLuaMulti>(&self, t: T) -> Result<MultiValue> {
        t.into_lua_multi(self)
    }

    /// Convert several values to Rust values.
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let mv = lua.pack_multi((1, "two")).unwrap();
    /// let (a, b): (i32, String) = lua.unpack_multi(mv).unwrap();
    /// assert_eq!((a, b.as_str()), (1, "two"));
    /// ```
    pub fn unpack_multi<T: FromLuaMulti>(&self, v: MultiValue) -> Result<T> {
        T::from_lua_multi(v, self)
    }

    /// Run a full garbage collection (finalisers included).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// lua.load("garbage = {} for i = 1, 1000 do garbage[i] = {} end garbage = nil").exec().unwrap();
    /// let before = lua.used_memory();
    /// lua.gc_collect().unwrap();
    /// assert!(lua.used_memory() < before);
    /// ```
    pub fn gc_collect(&self) -> Result<()> {
        self.vm(|inner, vm| vm.full_gc().map_err(|e| inner.lua_error(vm, e)))?
    }

    /// Limit the bytes live Lua data may take (`None`: no limit beyond
    /// the default, half the process's `ulimit -v` when set). Past it,
    /// Lua code gets the error "not enough memory" (catchable by
    /// `pcall`; reaching Rust, `Error::MemoryError`).
    ///
    /// ```
    /// use lunatrace::{Error, Lua};
    /// let lua = Lua::new();
    /// lua.set_memory_limit(Some(16 << 20));
    /// let e = lua.load("local s = ('x'):rep(64 * 1024 * 1024)").exec().unwrap_err();
    /// assert!(matches!(e, Error::MemoryError(_)));
    /// let msg: String = lua.load("return select(2, pcall(string.rep, 'x', 64 * 1024 * 1024))").eval().unwrap();
    /// assert_eq!(msg, "not enough memory");
    /// ```
    pub fn set_memory_limit(&self, bytes: Option<usize>) {
        let _ = self.vm(|_, vm| {
            vm.heap.limit = bytes.unwrap_or_else(vm::gc::Heap::default_limit);
            vm.heap.threshold = vm.heap.threshold.min(vm.heap.limit);
        });
    }

    /// Bytes of live Lua data (as the collector counts them).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let before = lua.used_memory();
    /// lua.load("big = ('x'):rep(1000000)").exec().unwrap();
    /// assert!(lua.used_memory() >= before + 1000000);
    /// ```
    pub fn used_memory(&self) -> usize {
        self.vm(|_, vm| vm.heap.allocated).unwrap_or(0)
    }

    /// Run `f` with the VM itself, for what this API does not cover. No
    /// handle of this state may be used inside `f` (that is refused).
    ///
    /// ```
    /// use lunatrace::Lua;
    /// let lua = Lua::new();
    /// let n = lua.with_raw_vm(|vm| vm.globals.as_ptr() as usize != 0).unwrap();
    /// assert!(n);
    /// ```
    pub fn with_raw_vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> Result<R> {
        self.inner.vm(f)
    }
}
