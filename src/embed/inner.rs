//! The shared core behind `Lua` and every handle: the VM (through the C
//! API layer's `HostVm`, which lends it out also from inside callbacks),
//! registry references that keep handled values alive (released when the
//! handle drops), the slab of Rust objects owned by Lua userdata
//! (callbacks, `UserData` values, errors on their way through Lua), and
//! protected calls that turn Lua errors into `Error`s.

use super::error::{Error, Result};
use crate::capi::host::{HostError, HostVm};
use crate::vm::object::NativeFn;
use crate::vm::{self, table, LuaError, Value as Raw, Vm};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::rc::{Rc, Weak};

/// A Rust object owned by a Lua userdata (None once taken or finalised).
pub(crate) type ObjCell = RefCell<Option<Box<dyn Any>>>;

thread_local! {
    /// Live states of this thread, by id (natives find theirs from the id
    /// in their upvalue).
    static STATES: RefCell<Vec<Option<Weak<Inner>>>> = const { RefCell::new(Vec::new()) };
}

/// The state with `id`, if still alive.
pub(crate) fn state_by_id(id: usize) -> Option<Rc<Inner>> {
    STATES.with(|s| s.borrow().get(id).cloned().flatten()?.upgrade())
}

/// Fixed slots of the reference table.
pub(crate) mod slot {
    /// The traceback message handler.
    pub const HANDLER: i64 = 1;
    /// Metatable of userdata holding callbacks.
    pub const CALLBACK_META: i64 = 2;
    /// Metatable of userdata holding errors.
    pub const ERROR_META: i64 = 3;
    /// Protected `obj[key]` native.
    pub const INDEX: i64 = 4;
    /// Protected `obj[key] = val` native.
    pub const NEWINDEX: i64 = 5;
    /// Resume a coroutine (args: thread, values...).
    pub const RESUME: i64 = 6;
    /// Metatable of scoped userdata whose scope ended (every operation
    /// raises `Error::UserDataDestructed`).
    pub const DESTRUCTED_META: i64 = 7;
    /// First slot handed out to handles.
    pub const FIRST_FREE: i64 = 16;
}

pub(crate) struct Inner {
    pub host: HostVm,
    pub id: usize,
    /// The reference table (anchored in the registry).
    refs: Cell<Raw>,
    free_refs: RefCell<Vec<i64>>,
    next_ref: Cell<i64>,
    /// References dropped while the VM was lent out.
    pending_unrefs: RefCell<Vec<i64>>,
    objects: RefCell<Vec<Option<Rc<ObjCell>>>>,
    free_objects: RefCell<Vec<usize>>,
    /// Metatables of `UserData` types (reference slots).
    pub type_metas: RefCell<HashMap<std::any::TypeId, i64>>,
    /// Metatables of live scoped userdata (one per value; anchored in
    /// the reference table while the scope lives), by address.
    pub scoped_metas: RefCell<std::collections::HashSet<u64>>,
    /// Traceback recorded by the message handler for the error in flight.
    pub last_traceback: RefCell<Option<String>>,
    /// The owning `Lua` was dropped.
    pub closed: Cell<bool>,
    /// The interrupt callback.
    pub interrupt: RefCell<Option<Rc<super::interrupt::InterruptFn>>>,
    /// The globals' handle (made at creation, so `Lua::globals` needs no
    /// VM; dropped at close, as it refers back to this `Inner`).
    pub globals: RefCell<Option<super::table::Table>>,
    /// `Lua::set_app_data` values, by type.
    pub app_data: RefCell<HashMap<std::any::TypeId, Box<dyn Any>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        STATES.with(|s| {
            if let Some(e) = s.borrow_mut().get_mut(self.id) {
                *e = None;
            }
        });
    }
}

impl Inner {
    /// Wrap `vm` (libraries already opened) and register the state.
    pub fn new(vm: Box<Vm>) -> Rc<Inner> {
        let inner = Rc::new_cyclic(|w| {
            let id = STATES.with(|s| {
                let mut s = s.borrow_mut();
                s.push(Some(w.clone()));
                s.len() - 1
            });
            Inner {
                host: HostVm::new(vm),
                id,
                refs: Cell::new(Raw::NIL),
                free_refs: RefCell::new(Vec::new()),
                next_ref: Cell::new(slot::FIRST_FREE),
                pending_unrefs: RefCell::new(Vec::new()),
                objects: RefCell::new(Vec::new()),
                free_objects: RefCell::new(Vec::new()),
                type_metas: RefCell::new(HashMap::new()),
                scoped_metas: RefCell::new(std::collections::HashSet::new()),
                last_traceback: RefCell::new(None),
                closed: Cell::new(false),
                interrupt: RefCell::new(None),
                globals: RefCell::new(None),
                app_data: RefCell::new(HashMap::new()),
            }
        });
        let id = inner.id;
        let _ = inner.host.with(|vm| {
            let refs = vm.new_table_value(32, 0);
            let reg = Raw::from_table(vm.registry);
            vm.set_field(reg, "lunatrace.embed.refs", refs);
            inner.refs.set(refs);
            let idv = Raw::num(id as f64);
            let h = vm.new_native_closure(traceback_handler, "traceback", vec![idv]);
            inner.set_slot(vm, slot::HANDLER, h);
            for s in [slot::CALLBACK_META, slot::ERROR_META] {
                let m = vm.new_table_value(0, 4);
                let gc = vm.new_native_closure(object_gc, "__gc", vec![idv]);
                vm.set_field(m, "__gc", gc);
                vm.set_field(m, "__metatable", Raw::bool(false));
                if s == slot::ERROR_META {
                    let ts = vm.new_native_closure(error_tostring, "__tostring", vec![idv]);
                    vm.set_field(m, "__tostring", ts);
                }
                inner.set_slot(vm, s, m);
            }
            let natives: [(i64, NativeFn, &'static str); 3] = [
                (slot::INDEX, op_index, "index"),
                (slot::NEWINDEX, op_newindex, "newindex"),
                (slot::RESUME, op_resume, "resume"),
            ];
            for (s, f, name) in natives {
                let v = vm.new_native(f, name);
                inner.set_slot(vm, s, v);
            }
            let m = vm.new_table_value(0, 24);
            let op = vm.new_native_closure(destructed_op, "destructed", vec![idv]);
            for &name in vm::state::MM_NAMES.iter().filter(|n| destructed_refuses(n)) {
                vm.set_field(m, name, op);
            }
            vm.set_field(m, "__metatable", Raw::bool(false));
            // (Drops the object of a userdata still holding one.)
            let gc = vm.new_native_closure(object_gc, "__gc", vec![idv]);
            vm.set_field(m, "__gc", gc);
            inner.set_slot(vm, slot::DESTRUCTED_META, m);
        });
        let g = inner.vm(|vm| {
            let g = Raw::from_table(vm.globals);
            super::table::Table(super::value::LuaRef::new(&inner, vm, g))
        });
        *inner.globals.borrow_mut() = g.ok();
        inner
    }

    /// Lend the VM to `f` (releasing references dropped meanwhile first).
    pub fn vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> Result<R> {
        if self.closed.get() {
            return Err(Error::StateClosed);
        }
        self.host
            .with(|vm| {
                self.drain_unrefs(vm);
                f(vm)
            })
            .map_err(|e| match e {
                HostError::Closed => Error::StateClosed,
                HostError::Busy => Error::runtime("the Lua state is in use (re-entered)"),
            })
    }

    fn refs_table(&self) -> NonNull<vm::object::Table> {
        self.refs.get().as_table_ptr().expect("reference table")
    }

    pub fn set_slot(&self, vm: &mut Vm, s: i64, v: Raw) {
        let _ = vm.raw_set(self.refs_table(), Raw::num(s as f64), v);
    }

    pub fn get_slot(&self, s: i64) -> Raw {
        table::get_int(self.refs_table(), s)
    }

    /// Anchor `v`; returns its slot.
    pub fn make_ref(&self, vm: &mut Vm, v: Raw) -> i64 {
        let s = self.free_refs.borrow_mut().pop().unwrap_or_else(|| {
            let s = self.next_ref.get();
            self.next_ref.set(s + 1);
            s
        });
        self.set_slot(vm, s, v);
        s
    }

    /// Release slot `s` (now, or at the next lending of the VM).
    pub fn unref(&self, s: i64) {
        if self.host.is_closed() {
            return;
        }
        let r = self.host.with(|vm| {
            self.drain_unrefs(vm);
            self.set_slot(vm, s, Raw::NIL);
        });
        match r {
            Ok(()) => self.free_refs.borrow_mut().push(s),
            Err(HostError::Busy) => self.pending_unrefs.borrow_mut().push(s),
            Err(HostError::Closed) => {}
        }
    }

    fn drain_unrefs(&self, vm: &mut Vm) {
        let pending = std::mem::take(&mut *self.pending_unrefs.borrow_mut());
        for s in pending {
            self.set_slot(vm, s, Raw::NIL);
            self.free_refs.borrow_mut().push(s);
        }
    }

    // ---- Rust objects owned by userdata ----

    /// A userdata owning `obj`, with metatable `meta`.
    pub fn new_object(&self, vm: &mut Vm, obj: Box<dyn Any>, meta: Raw) -> Raw {
        let cell = Rc::new(RefCell::new(Some(obj)));
        let i = match self.free_objects.borrow_mut().pop() {
            Some(i) => {
                self.objects.borrow_mut()[i] = Some(cell);
                i
            }
            None => {
                let mut o = self.objects.borrow_mut();
                o.push(Some(cell));
                o.len() - 1
            }
        };
        let env = vm.globals.as_ptr();
        let u = Raw::from_udata(vm.heap.new_udata(8, env));
        vm.set_udata_word(u, i as u64 + 1);
        vm.set_metatable(u, meta.as_table_ptr());
        u
    }

    /// The object of userdata `u` (made by `new_object`) if it still has one.
    pub fn object(&self, vm: &Vm, u: Raw) -> Option<Rc<ObjCell>> {
        let i = self.object_index(vm, u)?;
        self.objects.borrow().get(i).cloned().flatten()
    }

    /// The index in `objects` of userdata `u` made by `new_object` (not
    /// released yet).
    fn object_index(&self, vm: &Vm, u: Raw) -> Option<usize> {
        let w = vm.udata_word(u)?;
        if w == 0 {
            return None;
        }
        let m = vm.get_metatable(u)?;
        self.is_object_meta(Raw::from_table(m))
            .then_some(w as usize - 1)
    }

    /// `u` is a userdata made by `new_object` (its value may be gone).
    pub fn is_rust_userdata(&self, vm: &Vm, u: Raw) -> bool {
        vm.get_metatable(u)
            .is_some_and(|m| u.as_udata_ptr().is_some() && self.is_object_meta(Raw::from_table(m)))
    }

    /// Metatables made by this layer (callbacks, errors, `UserData` types).
    fn is_object_meta(&self, m: Raw) -> bool {
        let is = |s: i64| self.get_slot(s).raw_eq(m);
        is(slot::CALLBACK_META)
            || is(slot::ERROR_META)
            || is(slot::DESTRUCTED_META)
            || self.type_metas.borrow().values().any(|&s| is(s))
            || self.scoped_metas.borrow().contains(&m.payload())
    }

    /// Forget the object of userdata `u` (finalised); returns it to drop.
    pub fn release_object(&self, vm: &mut Vm, u: Raw) -> Option<Rc<ObjCell>> {
        let i = self.object_index(vm, u)?;
        vm.set_udata_word(u, 0);
        let o = self.objects.borrow_mut().get_mut(i)?.take();
        self.free_objects.borrow_mut().push(i);
        o
    }

    /// Drop every Rust object (closing: breaks cycles through handles
    /// captured by callbacks).
    pub fn clear_objects(&self) -> Vec<Rc<ObjCell>> {
        let all = std::mem::take(&mut *self.objects.borrow_mut());
        self.free_objects.borrow_mut().clear();
        all.into_iter().flatten().collect()
    }

    // ---- values ----

    /// An error value carrying `e` through Lua.
    pub fn error_value(&self, vm: &mut Vm, e: Error) -> Raw {
        let m = self.get_slot(slot::ERROR_META);
        self.new_object(vm, Box::new(e), m)
    }

    /// The Rust error in error value `v`, if it is one.
    pub fn error_of(&self, vm: &Vm, v: Raw) -> Option<Error> {
        let m = vm.get_metatable(v)?;
        if !self.get_slot(slot::ERROR_META).raw_eq(Raw::from_table(m)) {
            return None;
        }
        let o = self.object(vm, v)?;
        let b = o.borrow();
        b.as_ref()?.downcast_ref::<Error>().cloned()
    }

    /// Call `f` with `args`, protected, with a traceback; all results.
    pub fn pcall(&self, vm: &mut Vm, f: Raw, args: &[Raw]) -> Result<Vec<Raw>> {
        let h = self.get_slot(slot::HANDLER);
        let base = vm.th().top;
        vm.ensure_stack(args.len() + 2 + vm::state::MIN_STACK)
            .map_err(|e| self.lua_error(vm, e))?;
        vm.push(h);
        vm.push(f);
        for &a in args {
            vm.push(a);
        }
        self.last_traceback.borrow_mut().take();
        match vm.pcall_at_handler(base + 1, args.len(), -1, Some(h)) {
            Ok(n) => {
                let th = vm.th();
                let out = th.stack[base + 1..base + 1 + n].to_vec();
                th.top = base;
                Ok(out)
            }
            Err(e) => {
                vm.th().top = base;
                Err(self.lua_error(vm, e))
            }
        }
    }

    /// Call one of the fixed-slot natives, protected.
    pub fn pcall_slot(&self, vm: &mut Vm, s: i64, args: &[Raw]) -> Result<Vec<Raw>> {
        let f = self.get_slot(s);
        self.pcall(vm, f, args)
    }

    /// The `Error` of a Lua error.
    pub fn lua_error(&self, vm: &mut Vm, e: LuaError) -> Error {
        let tb = self.last_traceback.borrow_mut().take().unwrap_or_default();
        if let Some(cause) = self.error_of(vm, e.value) {
            return Error::CallbackError {
                traceback: tb,
                cause: std::sync::Arc::new(cause),
            };
        }
        let msg = error_text(vm, e.value);
        match e.status {
            vm::error::Status::Syntax => Error::SyntaxError {
                incomplete_input: msg.ends_with("<eof>") || msg.ends_with("'<eof>'"),
                message: msg,
            },
            vm::error::Status::Memory => Error::MemoryError(msg),
            _ if tb.is_empty() => Error::RuntimeError(msg),
            _ => Error::RuntimeError(format!("{}\n{}", msg, tb)),
        }
    }
}

/// The text of an error value.
pub(crate) fn error_text(vm: &mut Vm, v: Raw) -> String {
    if v.is_str() || v.is_num() {
        vm.tostring_basic(v)
    } else if v.is_nil() {
        "nil".to_string()
    } else {
        match vm.tostring(v) {
            Ok(s) if s.is_str() => vm.tostring_basic(s),
            _ => format!("(error object is a {} value)", v.type_name()),
        }
    }
}

/// The state of the running native (upvalue 1: its id).
pub(crate) fn native_state(vm: &mut Vm) -> std::result::Result<Rc<Inner>, LuaError> {
    let id = vm.native_upvalue(1).as_num().unwrap_or(-1.0);
    match (id >= 0.0).then(|| state_by_id(id as usize)).flatten() {
        Some(s) => Ok(s),
        None => Err(vm.rt_error("the Lua state of this Rust function is gone")),
    }
}

/// Message handler: records the traceback, keeps the error value.
fn traceback_handler(vm: &mut Vm) -> vm::LuaResult<usize> {
    let msg = vm.arg(1);
    if let Ok(inner) = native_state(vm) {
        let tb = vm::debuginfo::traceback(vm, vm.cur, 1);
        *inner.last_traceback.borrow_mut() = Some(tb);
    }
    vm.push(msg);
    Ok(1)
}

/// The `__gc` native of userdata owning Rust objects (upvalue: state id).
pub(crate) fn object_gc_native() -> NativeFn {
    object_gc
}

/// `__gc` of userdata owning Rust objects: drop the object.
fn object_gc(vm: &mut Vm) -> vm::LuaResult<usize> {
    let u = vm.arg(1);
    if let Ok(inner) = native_state(vm) {
        if let Some(obj) = inner.release_object(vm, u) {
            // The object's own `Drop` may use handles: lend the VM. A
            // panic in it must not unwind through the collector.
            inner.host.enter(vm, move || {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(obj)));
            });
        }
    }
    Ok(0)
}

/// Whether a destructed scoped userdata refuses metamethod `name`: all
/// of the VM's (`MM_NAMES`) but `tostring` and `==` (identity only), and
/// those the collector and `getmetatable` read.
fn destructed_refuses(name: &str) -> bool {
    !matches!(
        name,
        "__gc" | "__mode" | "__eq" | "__metatable" | "__tostring"
    )
}

/// Every metamethod of a destructed scoped userdata: raise
/// `Error::UserDataDestructed`.
fn destructed_op(vm: &mut Vm) -> vm::LuaResult<usize> {
    let inner = native_state(vm)?;
    let e = inner.error_value(vm, Error::UserDataDestructed);
    Err(LuaError::runtime(e))
}

/// `__tostring` of error values.
fn error_tostring(vm: &mut Vm) -> vm::LuaResult<usize> {
    let u = vm.arg(1);
    let inner = native_state(vm)?;
    let text = match inner.error_of(vm, u) {
        Some(e) => e.to_string(),
        None => "error".to_string(),
    };
    let s = vm.intern(text.as_bytes());
    vm.push(s);
    Ok(1)
}

fn op_index(vm: &mut Vm) -> vm::LuaResult<usize> {
    let v = vm.index(vm.arg(1), vm.arg(2))?;
    vm.push(v);
    Ok(1)
}

fn op_newindex(vm: &mut Vm) -> vm::LuaResult<usize> {
    vm.set_index(vm.arg(1), vm.arg(2), vm.arg(3))?;
    Ok(0)
}

/// `(thread, args...)` → `true, results...` or `false, error`.
fn op_resume(vm: &mut Vm) -> vm::LuaResult<usize> {
    let Some(co) = vm.arg(1).as_thread_ptr() else {
        return Err(vm.rt_error("thread expected"));
    };
    let n = vm.nargs();
    vm.transfer.clear();
    for i in 2..=n {
        let a = vm.arg(i);
        vm.transfer.push(a);
    }
    let r = vm::lib_coroutine::resume_thread(vm, co);
    let vals = std::mem::take(&mut vm.transfer);
    match r {
        Ok(()) => {
            vm.ensure_stack(vals.len() + 1)?;
            vm.push(Raw::bool(true));
            for &v in &vals {
                vm.push(v);
            }
            Ok(vals.len() + 1)
        }
        Err(e) => Err(LuaError::runtime(e)),
    }
}
