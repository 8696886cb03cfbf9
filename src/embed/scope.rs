//! `Lua::scope`: functions and userdata that borrow non-`'static` Rust
//! data, valid until the scope ends.
//!
//! Everything Lua owns lives in `'static` storage (the object slab of
//! `Inner`), so a scoped closure is stored with its lifetime erased
//! (`erase_callback`, `erase_kept`: this module's only `unsafe`). What
//! makes that sound is that nothing can reach the closure once the
//! scope ends: `Lua::scope` empties the cell of every callback it made
//! (later calls raise `Error::CallbackDestructed`), gives its userdata
//! the state's "destructed" metatable (every operation raises
//! `Error::UserDataDestructed`) and drops the values they borrowed —
//! also when the scope's closure panics — before it returns and the
//! borrows end. A scoped callback cannot be running at that point: Rust
//! callbacks cannot yield, so any call of one is nested inside the
//! scope's closure.
//!
//! Scoped userdata have a metatable of their own (their methods close
//! over the value or the reference), registered with the state while the
//! scope lives so the userdata is recognised as a Rust one. Their object
//! (`ScopedObj`) points at the value's place; for a `'static` type it
//! records the type, so `AnyUserData::borrow`/`borrow_mut` reach the
//! value through the same `RefCell` the methods use. Such a borrow is
//! tied to the handle, which may outlive the scope: the scope's end finds
//! a borrow still held (a Rust guard kept past `Lua::scope`) and aborts,
//! as for a callback still running, instead of letting it dangle; after
//! the end the object is gone and a borrow is `UserDataDestructed`.
//! Values of non-`'static` types (`create_nonstatic_userdata`) cannot be
//! named by `borrow::<T>` (which needs a `TypeId`): their methods and
//! fields reach them.
//!
//! Destructors (`Scope::add_destructor`) run last, when everything made
//! in the scope is invalid.

use super::error::{Error, Result};
use super::function::{Callback, Function};
use super::inner::{slot, ObjCell};
use super::multi::{FromLuaMulti, IntoLuaMulti};
use super::state::Lua;
use super::userdata::{
    build_meta, short_type_name, Access, AnyUserData, DeclCb, Decls, Registry, UserData,
};
use super::value::{MultiValue, Value};
use std::any::TypeId;
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::marker::PhantomData;
use std::rc::Rc;

/// Anything (a scoped value kept until its scope ends).
trait Keep {}
impl<T: ?Sized> Keep for T {}

/// The values and functions of one `Lua::scope` call.
///
/// Made by `Lua::scope`, which passes it to its closure; everything made
/// through it is invalidated when the closure returns: calling a scoped
/// function afterwards raises `Error::CallbackDestructed` ("callback
/// called when it is no longer valid"), using a scoped userdata
/// `Error::UserDataDestructed` ("userdata has been destructed"). The
/// borrows the closures and userdata hold end there too, so the borrow
/// checker lets the code after the scope use the borrowed data again.
///
/// ```
/// use lunatrace::{Lua, Result};
/// # fn main() -> Result<()> {
/// let lua = Lua::new();
/// let mut total = 0;
/// lua.scope(|scope| {
///     let add = scope.create_function_mut(|_, n: i64| {
///         total += n;
///         Ok(())
///     })?;
///     lua.globals().set("add", add)?;
///     lua.load("for i = 1, 4 do add(i) end").exec()
/// })?;
/// assert_eq!(total, 10);
/// // `add` outlived the scope in the globals, but is no longer valid.
/// assert!(lua.load("add(1)").exec().is_err());
/// # Ok(()) }
/// ```
///
/// The borrow checker enforces the rest. A scoped function cannot borrow
/// what the scope's own closure owns (it would dangle before the scope
/// ends):
///
/// ```compile_fail
/// let lua = lunatrace::Lua::new();
/// lua.scope(|scope| {
///     let local = String::from("short-lived");
///     let f = scope.create_function(|_, ()| Ok(local.len()))?;
///     f.call::<usize>(())
/// });
/// ```
///
/// and what a scoped function borrows mutably stays borrowed until the
/// scope ends:
///
/// ```compile_fail
/// let lua = lunatrace::Lua::new();
/// let mut n = 0;
/// lua.scope(|scope| {
///     let f = scope.create_function_mut(|_, ()| { n += 1; Ok(()) })?;
///     n = 10; // error: `n` is borrowed by `f`
///     f.call::<()>(())
/// });
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    lua: Lua,
    /// Cells owning the scope's callbacks (emptied at the end).
    callbacks: RefCell<Vec<Rc<ObjCell>>>,
    /// The scope's userdata, with the reference slot of each one's
    /// metatable (anchoring it).
    userdata: RefCell<Vec<(AnyUserData, i64)>>,
    /// Values the scope's userdata hold (dropped at the end).
    kept: RefCell<Vec<Box<dyn Keep>>>,
    /// `add_destructor`'s functions, run after the end.
    destructors: RefCell<Vec<Box<dyn FnOnce() + 'env>>>,
    /// Ended: nothing more may be made.
    ended: Cell<bool>,
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

/// Erase the lifetime of a scoped callback so it can be owned by Lua.
fn erase_callback<'s>(cb: DeclCb<'s>) -> Callback {
    // SAFETY: the two types differ only in the trait object's lifetime
    // bound (same layout, same vtable). The erased callback is stored
    // only in a cell listed in its `Scope`, which empties the cell
    // (dropping the callback, checked to be its only owner) before
    // `Lua::scope` returns, i.e. within `'s`; `callback_native` clones it
    // only for the duration of a call, which is nested inside the scope.
    unsafe { std::mem::transmute::<DeclCb<'s>, Callback>(cb) }
}

/// Erase the lifetime of a value kept for a scope.
fn erase_kept<'s>(b: Box<dyn Keep + 's>) -> Box<dyn Keep> {
    // SAFETY: as for `erase_callback`: same layout; the box lives in its
    // `Scope`'s `kept` list only, which `Scope::end` drops before
    // `Lua::scope` returns (within `'s`), and nothing reads through it.
    unsafe { std::mem::transmute::<Box<dyn Keep + 's>, Box<dyn Keep>>(b) }
}

impl Lua {
    /// Run `f` with a `Scope` that makes functions and userdata borrowing
    /// data that is not `'static` (locals of the caller). They are valid
    /// until `f` returns; afterwards Lua code or Rust still holding them
    /// gets errors (`Error::CallbackDestructed` for functions,
    /// `Error::UserDataDestructed` for userdata) instead of reaching the
    /// dropped borrows. The same happens when `f` panics (the panic then
    /// continues).
    ///
    /// ```
    /// use lunatrace::{Lua, Result};
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let mut log = Vec::new();
    /// let sum: i64 = lua.scope(|scope| {
    ///     let f = scope.create_function_mut(|_, s: String| {
    ///         log.push(s);
    ///         Ok(())
    ///     })?;
    ///     lua.globals().set("log", f)?;
    ///     lua.load("log('a'); log('b'); return 1 + 2").eval()
    /// })?;
    /// assert_eq!((sum, log), (3, vec!["a".to_string(), "b".to_string()]));
    /// # Ok(()) }
    /// ```
    pub fn scope<'env, R>(
        &self,
        f: impl for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> Result<R>,
    ) -> Result<R> {
        let scope = Scope {
            lua: Lua::borrowed(self.inner.clone()),
            callbacks: RefCell::new(Vec::new()),
            userdata: RefCell::new(Vec::new()),
            kept: RefCell::new(Vec::new()),
            destructors: RefCell::new(Vec::new()),
            ended: Cell::new(false),
            _scope: PhantomData,
            _env: PhantomData,
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&scope)));
        scope.end();
        match r {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

impl<'scope, 'env: 'scope> Scope<'scope, 'env> {
    /// A Lua function calling `f`, which may borrow from outside the
    /// scope. As `Lua::create_function` otherwise (errors and panics
    /// become Lua errors).
    ///
    /// ```
    /// use lunatrace::{Lua, Result};
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let names = vec!["ann", "bob"];
    /// let n: usize = lua.scope(|scope| {
    ///     let count = scope.create_function(|_, ()| Ok(names.len()))?;
    ///     count.call(())
    /// })?;
    /// assert_eq!(n, 2);
    /// # Ok(()) }
    /// ```
    pub fn create_function<A, R, F>(&self, f: F) -> Result<Function>
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + 'scope,
    {
        let cb: DeclCb<'scope> = Rc::new(move |lua: &Lua, args: MultiValue| {
            let a = A::from_lua_args(args, 1, lua)?;
            f(lua, a)?.into_lua_multi(lua)
        });
        self.make_function(cb)
    }

    /// As `create_function`, for a closure that mutates what it borrows
    /// (a recursive call is `Error::RecursiveMutCallback`).
    ///
    /// ```
    /// use lunatrace::{Function, Lua, Result};
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let mut calls = 0;
    /// lua.scope(|scope| {
    ///     let tick = scope.create_function_mut(|_, ()| {
    ///         calls += 1;
    ///         Ok(calls)
    ///     })?;
    ///     let twice: Function = lua.load("function(f) f(); return f() end").eval()?;
    ///     assert_eq!(twice.call::<i32>(tick)?, 2);
    ///     Ok(())
    /// })?;
    /// assert_eq!(calls, 2);
    /// # Ok(()) }
    /// ```
    pub fn create_function_mut<A, R, F>(&self, f: F) -> Result<Function>
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: FnMut(&Lua, A) -> Result<R> + 'scope,
    {
        let f = RefCell::new(f);
        self.create_function(move |lua, a: A| {
            let mut f = f
                .try_borrow_mut()
                .map_err(|_| Error::RecursiveMutCallback)?;
            f(lua, a)
        })
    }

    /// A userdata owning `data`: as `Lua::create_userdata`, but valid
    /// only until the scope ends, when `data` is dropped (its `UserData`
    /// implementation's methods, fields and metamethods, and
    /// `AnyUserData::borrow`/`borrow_mut` from Rust, work until then).
    /// For a type that borrows (not `'static`), `create_nonstatic_userdata`.
    ///
    /// ```
    /// use lunatrace::{AnyUserData, Lua, Result, UserData, UserDataMethods};
    /// struct Counter(u32);
    /// impl UserData for Counter {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("bump", |_, c, by: u32| { c.0 += by; Ok(c.0) });
    ///     }
    /// }
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let kept: AnyUserData = lua.scope(|scope| {
    ///     let c = scope.create_userdata(Counter(1))?;
    ///     lua.globals().set("c", &c)?;
    ///     lua.load("c:bump(2)").exec()?;
    ///     assert_eq!(c.borrow::<Counter>()?.0, 3);
    ///     c.borrow_mut::<Counter>()?.0 = 10;
    ///     assert_eq!(lua.load("return c:bump(1)").eval::<u32>()?, 11);
    ///     Ok(c)
    /// })?;
    /// // The value was dropped with the scope.
    /// assert!(kept.borrow::<Counter>().is_err());
    /// # Ok(()) }
    /// ```
    pub fn create_userdata<T: UserData + 'static>(&self, data: T) -> Result<AnyUserData> {
        self.make_userdata(Place::Owned(RefCell::new(data)), Some(TypeId::of::<T>()))
    }

    /// A userdata owning `data`, whose type need not be `'static` (it may
    /// borrow from outside the scope). Its methods, fields and
    /// metamethods are those of its `UserData` implementation; `data` is
    /// dropped when the scope ends. Rust reaches it through those only
    /// (`AnyUserData::borrow` needs a `'static` type: it is
    /// `Error::UserDataTypeMismatch` here).
    ///
    /// ```
    /// use lunatrace::{Lua, Result, UserData, UserDataMethods};
    /// struct Counter<'a>(&'a mut u32);
    /// impl UserData for Counter<'_> {
    ///     fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("bump", |_, c, by: u32| {
    ///             *c.0 += by;
    ///             Ok(*c.0)
    ///         });
    ///     }
    /// }
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let mut hits = 0;
    /// lua.scope(|scope| {
    ///     let c = scope.create_nonstatic_userdata(Counter(&mut hits))?;
    ///     lua.globals().set("c", c)?;
    ///     lua.load("c:bump(2); c:bump(3)").exec()
    /// })?;
    /// assert_eq!(hits, 5);
    /// # Ok(()) }
    /// ```
    pub fn create_nonstatic_userdata<T: UserData + 'scope>(&self, data: T) -> Result<AnyUserData> {
        self.make_userdata(Place::Owned(RefCell::new(data)), None)
    }

    /// A userdata whose methods see `*data` (borrowed for the scope).
    /// `&mut self` methods and field setters fail with
    /// `Error::UserDataBorrowMutError`, as does `AnyUserData::borrow_mut`
    /// (`borrow` gives `*data`).
    ///
    /// ```
    /// use lunatrace::{Lua, Result, UserData, UserDataFields};
    /// struct Config { name: String }
    /// impl UserData for Config {
    ///     fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
    ///         f.add_field_method_get("name", |_, c| Ok(c.name.clone()));
    ///     }
    /// }
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let config = Config { name: "demo".into() };
    /// let s: String = lua.scope(|scope| {
    ///     let c = scope.create_userdata_ref(&config)?;
    ///     lua.load("return function(c) return c.name .. '!' end")
    ///         .eval::<lunatrace::Function>()?
    ///         .call(c)
    /// })?;
    /// assert_eq!(s, "demo!");
    /// # Ok(()) }
    /// ```
    pub fn create_userdata_ref<T: UserData + 'static>(
        &self,
        data: &'scope T,
    ) -> Result<AnyUserData> {
        self.make_userdata(Place::Ref(RefCell::new(data)), Some(TypeId::of::<T>()))
    }

    /// A userdata whose methods see `*data`, mutably borrowed for the
    /// scope (its `&mut self` methods and setters change it, and so may
    /// Rust through `AnyUserData::borrow_mut`).
    ///
    /// ```
    /// use lunatrace::{Lua, Result, UserData, UserDataFields};
    /// struct Player { hp: i32 }
    /// impl UserData for Player {
    ///     fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
    ///         f.add_field_method_get("hp", |_, p| Ok(p.hp));
    ///         f.add_field_method_set("hp", |_, p, hp: i32| { p.hp = hp; Ok(()) });
    ///     }
    /// }
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let mut player = Player { hp: 10 };
    /// lua.scope(|scope| {
    ///     lua.globals().set("player", scope.create_userdata_ref_mut(&mut player)?)?;
    ///     lua.load("player.hp = player.hp - 3").exec()
    /// })?;
    /// assert_eq!(player.hp, 7);
    /// # Ok(()) }
    /// ```
    pub fn create_userdata_ref_mut<T: UserData + 'static>(
        &self,
        data: &'scope mut T,
    ) -> Result<AnyUserData> {
        self.make_userdata(Place::Mut(RefCell::new(data)), Some(TypeId::of::<T>()))
    }

    /// Run `f` when the scope ends, after every function and userdata
    /// made in it is invalid and their values are dropped (destructors
    /// run in the reverse order of their addition; one that panics does
    /// not keep the others from running, and its panic continues after
    /// them). For clean-up the scope's Lua values cannot do, such as
    /// releasing what they borrowed.
    ///
    /// ```
    /// use lunatrace::{Lua, Result};
    /// use std::cell::RefCell;
    /// # fn main() -> Result<()> {
    /// let lua = Lua::new();
    /// let log = RefCell::new(Vec::new());
    /// lua.scope(|scope| {
    ///     scope.add_destructor(|| log.borrow_mut().push("first added"));
    ///     scope.add_destructor(|| log.borrow_mut().push("last added"));
    ///     let f = scope.create_function(|_, ()| Ok(log.borrow().len()))?;
    ///     assert_eq!(f.call::<usize>(())?, 0);
    ///     Ok(())
    /// })?;
    /// assert_eq!(*log.borrow(), ["last added", "first added"]);
    /// # Ok(()) }
    /// ```
    pub fn add_destructor(&self, f: impl FnOnce() + 'env) {
        self.destructors.borrow_mut().push(Box::new(f));
    }

    fn check_live(&self) -> Result<()> {
        if self.ended.get() {
            return Err(Error::CallbackDestructed);
        }
        Ok(())
    }

    /// A Lua function for `cb`, listed for invalidation.
    fn make_function(&self, cb: DeclCb<'scope>) -> Result<Function> {
        self.check_live()?;
        let (f, cell) = Function::from_callback_cell(&self.lua, erase_callback(cb))?;
        self.callbacks.borrow_mut().push(cell);
        Ok(f)
    }

    fn make_userdata<T: UserData + 'scope>(
        &self,
        place: Place<'scope, T>,
        ty: Option<TypeId>,
    ) -> Result<AnyUserData> {
        self.check_live()?;
        let place = Rc::new(place);
        let obj = ScopedObj {
            ty,
            place: Rc::as_ptr(&place) as *const (),
            busy: place_busy::<T>,
        };
        // The value lives until the scope ends, even when no callback
        // refers to it.
        self.kept
            .borrow_mut()
            .push(erase_kept(Box::new(place.clone())));
        // The userdata first (anchored by its handle, with a placeholder
        // metatable): its methods check their `self` against its cell.
        let ud = self.lua.vm(|inner, vm| {
            let meta = inner.get_slot(slot::DESTRUCTED_META);
            let u = inner.new_object(vm, Box::new(obj), meta);
            AnyUserData::new(inner, vm, u)
        })?;
        let cell = ud.cell.clone().expect("a Rust userdata");
        let reg = Registry::<'scope, T, Scoped<'scope, T>>::of(Scoped { place, cell });
        let d = reg.decls;
        let erase = |v: Vec<(String, DeclCb<'scope>)>| {
            v.into_iter()
                .map(|(n, cb)| (n, erase_callback(cb)))
                .collect::<Vec<_>>()
        };
        let decls = Decls {
            methods: erase(d.methods),
            meta: erase(d.meta),
            getters: erase(d.getters),
            setters: erase(d.setters),
        };
        let mt = build_meta(&self.lua, decls, short_type_name::<T>(), &mut |cb| {
            let (f, cell) = Function::from_callback_cell(&self.lua, cb)?;
            self.callbacks.borrow_mut().push(cell);
            Ok(f)
        })?;
        let (u, m) = (ud.r.raw(), mt.0.raw());
        let s = self.lua.vm(|inner, vm| {
            let s = inner.make_ref(vm, m);
            inner.scoped_metas.borrow_mut().insert(m.payload());
            vm.set_metatable(u, m.as_table_ptr());
            s
        })?;
        self.userdata.borrow_mut().push((ud.clone(), s));
        Ok(ud)
    }

    /// Invalidate everything made in the scope and drop what it borrowed.
    fn end(&self) {
        self.ended.set(true);
        let mut dropped: Vec<Box<dyn std::any::Any>> = Vec::new();
        for cell in self.callbacks.take() {
            let Ok(mut b) = cell.try_borrow_mut() else {
                // Only a running call borrows the cell, and none can run
                // past the scope (see the module notes).
                abort_scope("a scoped callback is borrowed at the end of its scope");
            };
            if let Some(o) = b.take() {
                if o.downcast_ref::<Callback>()
                    .is_some_and(|cb| Rc::strong_count(cb) != 1)
                {
                    abort_scope("a scoped callback is shared at the end of its scope");
                }
                dropped.push(o);
            }
        }
        for (ud, s) in self.userdata.take() {
            if let Some(cell) = &ud.cell {
                if let Ok(mut b) = cell.try_borrow_mut() {
                    if let Some(o) = b.as_ref().and_then(|o| o.downcast_ref::<ScopedObj>()) {
                        if (o.busy)(o.place) {
                            // A guard of `AnyUserData::borrow(_mut)` kept
                            // past the scope (a method call cannot be
                            // running, see the module notes).
                            abort_scope("a scoped userdata is borrowed at the end of its scope");
                        }
                    }
                    b.take();
                }
            }
            let u = ud.r.raw();
            let _ = self.lua.vm(|inner, vm| {
                let released = inner.release_object(vm, u);
                let m = inner.get_slot(slot::DESTRUCTED_META);
                vm.set_metatable(u, m.as_table_ptr());
                let own = inner.get_slot(s);
                inner.scoped_metas.borrow_mut().remove(&own.payload());
                released
            });
            ud.r.inner().unref(s);
        }
        // Dropped with the VM lendable (their `Drop` may use handles).
        drop(dropped);
        drop(self.kept.take());
        let mut panic = None;
        for f in self.destructors.take().into_iter().rev() {
            if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
                panic.get_or_insert(p);
            }
        }
        if let Some(p) = panic {
            std::panic::resume_unwind(p);
        }
    }
}

fn abort_scope(why: &str) -> ! {
    eprintln!("lunatrace: {}", why);
    std::process::abort()
}

/// The Rust object of a scoped userdata: where its value is (a
/// `Place<'_, T>` the scope keeps until its end, when this object is
/// dropped first), and its type when `'static` (`AnyUserData::borrow`).
#[derive(Clone, Copy)]
pub(crate) struct ScopedObj {
    ty: Option<TypeId>,
    place: *const (),
    /// Whether the place's value is borrowed (`place_busy::<T>`).
    busy: fn(*const ()) -> bool,
}

/// `ScopedObj::busy` for a `Place<'_, T>`.
fn place_busy<T>(p: *const ()) -> bool {
    // SAFETY: `p` is the `ScopedObj::place` of a `Place<'_, T>` (made
    // together in `make_userdata`), called by `Scope::end` before the
    // scope drops the place; only the `RefCell` flag is read.
    let place = unsafe { &*(p as *const Place<'_, T>) };
    match place {
        Place::Owned(c) => c.try_borrow_mut().is_err(),
        Place::Ref(c) => c.try_borrow_mut().is_err(),
        Place::Mut(c) => c.try_borrow_mut().is_err(),
    }
}

impl ScopedObj {
    /// The place of a scoped `T`, for a borrow that lasts as long as `_h`
    /// (the handle's borrow): `UserDataTypeMismatch` for another type or
    /// a non-`'static` one.
    fn place<'h, T: 'static>(&self, _h: &'h AnyUserData) -> Result<&'h Place<'h, T>> {
        if self.ty != Some(TypeId::of::<T>()) {
            return Err(Error::UserDataTypeMismatch);
        }
        // SAFETY: the type matched, so `place` points at the
        // `Place<'scope, T>` of this userdata's scope, which keeps it
        // alive until its end; this object is in the userdata's cell
        // (the caller just read it there), so the scope has not ended.
        // What borrows it (a `Ref`/`RefMut` of its `RefCell`, living
        // at most as long as the handle) cannot outlive the end either:
        // `Scope::end` aborts when the place is still borrowed. `'scope`
        // shortened to `'h` is covariant in the `Ref`/`Mut` variants'
        // references, and may extend past it only under that check.
        Ok(unsafe { &*(self.place as *const Place<'h, T>) })
    }

    /// `AnyUserData::borrow` of a scoped userdata.
    pub(crate) fn borrow<'h, T: 'static>(&self, h: &'h AnyUserData) -> Result<Ref<'h, T>> {
        let err = |_| Error::UserDataBorrowError;
        Ok(match self.place::<T>(h)? {
            Place::Owned(c) => c.try_borrow().map_err(err)?,
            Place::Ref(c) => Ref::map(c.try_borrow().map_err(err)?, |r| *r),
            Place::Mut(c) => Ref::map(c.try_borrow().map_err(err)?, |r| &**r),
        })
    }

    /// `AnyUserData::borrow_mut` of a scoped userdata (a shared
    /// reference's: `UserDataBorrowMutError`).
    pub(crate) fn borrow_mut<'h, T: 'static>(&self, h: &'h AnyUserData) -> Result<RefMut<'h, T>> {
        let err = |_| Error::UserDataBorrowMutError;
        Ok(match self.place::<T>(h)? {
            Place::Owned(c) => c.try_borrow_mut().map_err(err)?,
            Place::Ref(_) => return Err(Error::UserDataBorrowMutError),
            Place::Mut(c) => RefMut::map(c.try_borrow_mut().map_err(err)?, |r| &mut **r),
        })
    }

    /// Whether the value is a `T`.
    pub(crate) fn is<T: 'static>(&self) -> bool {
        self.ty == Some(TypeId::of::<T>())
    }
}

/// Where a scoped userdata's value is.
enum Place<'s, T> {
    /// Owned by the scope.
    Owned(RefCell<T>),
    /// Borrowed shared (the cell only counts Rust's borrows).
    Ref(RefCell<&'s T>),
    /// Borrowed mutably.
    Mut(RefCell<&'s mut T>),
}

/// The access of a scoped userdata's callbacks to its value.
struct Scoped<'s, T> {
    place: Rc<Place<'s, T>>,
    /// The userdata's object cell (identifies `self`).
    cell: Rc<ObjCell>,
}

impl<T> Clone for Scoped<'_, T> {
    fn clone(&self) -> Self {
        Scoped {
            place: self.place.clone(),
            cell: self.cell.clone(),
        }
    }
}

impl<T> Access<T> for Scoped<'_, T> {
    fn check(&self, this: &Value) -> Result<()> {
        match this {
            Value::UserData(u) if u.cell.as_ref().is_some_and(|c| Rc::ptr_eq(c, &self.cell)) => {
                Ok(())
            }
            Value::UserData(_) => Err(Error::UserDataTypeMismatch),
            v => Err(Error::from_conv(v.type_name(), "userdata", None)),
        }
    }
    fn with_ref<R>(&self, _: &Value, f: impl FnOnce(&T) -> R) -> Result<R> {
        let err = |_| Error::UserDataBorrowError;
        match &*self.place {
            Place::Owned(c) => Ok(f(&*c.try_borrow().map_err(err)?)),
            Place::Ref(c) => Ok(f(*c.try_borrow().map_err(err)?)),
            Place::Mut(c) => Ok(f(&**c.try_borrow().map_err(err)?)),
        }
    }
    fn with_mut<R>(&self, _: &Value, f: impl FnOnce(&mut T) -> R) -> Result<R> {
        let err = |_| Error::UserDataBorrowMutError;
        match &*self.place {
            Place::Owned(c) => Ok(f(&mut *c.try_borrow_mut().map_err(err)?)),
            Place::Ref(_) => Err(Error::UserDataBorrowMutError),
            Place::Mut(c) => Ok(f(&mut **c.try_borrow_mut().map_err(err)?)),
        }
    }
}
