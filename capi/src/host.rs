//! Re-entrant access to a VM owned by a Rust host (the safe embedding API
//! `lunatrace::Lua`): the same problem the C API's `lua_State` solves for
//! C hosts. The host owns the VM; while Lua code it started runs, a Rust
//! callback (a native function) is handed the VM as `&mut Vm` by the
//! interpreter, and the host's value handles must reach that same VM.
//!
//! `HostVm` keeps the pointer the host may use at any moment: the owned
//! box's, or — while a native runs inside `enter` — the native's own
//! `&mut Vm`. `with` lends it out once at a time (a nested `with` is
//! refused, as a `RefCell` would), so there is never more than one usable
//! `&mut Vm` derived from the pointer; the interpreter's own reference is
//! not used while the native's callback runs, and `enter` puts the
//! previous pointer back before the native returns to it.

use lunatrace_vm::Vm;
use std::cell::Cell;

/// A VM owned by a Rust host, reachable again from inside its natives.
pub struct HostVm {
    /// The owned VM (from `Box::into_raw`); null once closed.
    root: Cell<*mut Vm>,
    /// The pointer `with` lends: `root`, or the `&mut Vm` of the native
    /// currently inside `enter`.
    cur: Cell<*mut Vm>,
    /// A `with` is running (its `&mut Vm` is live).
    busy: Cell<bool>,
}

/// Why the VM cannot be lent right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostError {
    /// Another `with` holds it (re-entry outside a callback).
    Busy,
    /// The VM was closed.
    Closed,
}

/// Restores `cur`/`busy` when a scope ends, also by unwinding.
struct Restore<'a> {
    host: &'a HostVm,
    cur: *mut Vm,
    busy: bool,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.host.cur.set(self.cur);
        self.host.busy.set(self.busy);
    }
}

impl HostVm {
    /// Take ownership of `vm`.
    pub fn new(vm: Box<Vm>) -> HostVm {
        let p = Box::into_raw(vm);
        HostVm {
            root: Cell::new(p),
            cur: Cell::new(p),
            busy: Cell::new(false),
        }
    }

    /// Lend the VM to `f`. Refused while another `with` runs (outside a
    /// callback inside it) or after `close`.
    pub fn with<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> Result<R, HostError> {
        if self.root.get().is_null() {
            return Err(HostError::Closed);
        }
        if self.busy.get() {
            return Err(HostError::Busy);
        }
        let _restore = Restore {
            host: self,
            cur: self.cur.get(),
            busy: false,
        };
        self.busy.set(true);
        // SAFETY: `cur` is the owned box's pointer or the `&mut Vm` of the
        // innermost native inside `enter`, whose own reference is not used
        // until `enter` returns; `busy` guarantees this is the only
        // reference made from it until `f` returns.
        let vm = unsafe { &mut *self.cur.get() };
        Ok(f(vm))
    }

    /// Run `f` (a native's body: host code that may call `with`) with
    /// `vm`, the native's VM, lent by `with` meanwhile. `vm` must be this
    /// host's VM (checked: otherwise `f` runs with `with` refused).
    pub fn enter<R>(&self, vm: &mut Vm, f: impl FnOnce() -> R) -> R {
        let _restore = Restore {
            host: self,
            cur: self.cur.get(),
            busy: self.busy.get(),
        };
        if std::ptr::eq(vm as *const Vm, self.root.get()) {
            self.cur.set(vm as *mut Vm);
            self.busy.set(false);
        } else {
            self.busy.set(true);
        }
        f()
    }

    /// Free the VM (refused while it is lent). Later `with` calls fail
    /// with `Closed`.
    pub fn close(&self) -> Result<(), HostError> {
        let p = self.root.get();
        if p.is_null() {
            return Ok(());
        }
        if self.busy.get() || self.cur.get() != p {
            return Err(HostError::Busy);
        }
        self.root.set(std::ptr::null_mut());
        self.cur.set(std::ptr::null_mut());
        // SAFETY: `p` came from `Box::into_raw` and no reference made from
        // it is live (not busy, no native inside `enter`).
        drop(unsafe { Box::from_raw(p) });
        Ok(())
    }

    /// The VM was closed.
    pub fn is_closed(&self) -> bool {
        self.root.get().is_null()
    }
}

impl Drop for HostVm {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
