//! The interrupt hook: a Rust function called every
//! `INTERRUPT_INTERVAL` VM instructions while Lua code runs, which may
//! stop the code by returning an error (instruction budgets, wall-clock
//! deadlines, cancellation).
//!
//! It is the VM's count hook (as `debug.sethook(f, "", n)`). Compiled
//! code keeps running under it: traces recorded while it is set poll its
//! countdown before each loop back edge and each link to another trace
//! (the IR's `POLL`, counting the instructions the trace recorded) and
//! exit to the interpreter, which calls the function, when it runs out;
//! so a compiled loop, one running through side traces or one calling
//! functions compiled in other traces, is stopped within about
//! `INTERRUPT_INTERVAL` instructions' worth of work. The first interrupt
//! set flushes the traces compiled before (they have no polls); traces
//! compiled from then on keep their polls, also once it is removed (one
//! load, compare and store per iteration), so setting and removing it
//! around each call recompiles nothing. `debug.sethook` from Lua would
//! replace it, so a state that relies on it should not open
//! `StdLib::DEBUG`.

use super::error::{Error, Result};
use super::inner::native_state;
use super::state::Lua;
use crate::vm::{self, LuaError, Vm};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

/// Instructions between two calls of the interrupt function.
///
/// ```
/// use lunatrace::{Error, Lua, INTERRUPT_INTERVAL};
/// use std::cell::Cell;
/// use std::rc::Rc;
/// let lua = Lua::new();
/// let calls = Rc::new(Cell::new(0u32));
/// let c = calls.clone();
/// lua.set_interrupt(move |_| { c.set(c.get() + 1); if c.get() > 5 { Err(Error::runtime("budget")) } else { Ok(()) } });
/// assert!(lua.load("while true do end").exec().is_err());
/// // About 5 * INTERRUPT_INTERVAL instructions ran.
/// assert_eq!(calls.get(), 6);
/// assert!(INTERRUPT_INTERVAL > 0);
/// ```
pub const INTERRUPT_INTERVAL: u32 = 1000;

pub(crate) type InterruptFn = dyn Fn(&Lua) -> Result<()>;

impl Lua {
    /// Call `f` every `INTERRUPT_INTERVAL` instructions of Lua code; an
    /// `Err` stops the running code with that error (reaching the caller
    /// as `Error::CallbackError`). Compiled code runs and is checked too
    /// (see the module docs).
    ///
    /// ```
    /// use lunatrace::{Error, Lua};
    /// use std::time::{Duration, Instant};
    /// let lua = Lua::new();
    /// let deadline = Instant::now() + Duration::from_millis(50);
    /// lua.set_interrupt(move |_| {
    ///     if Instant::now() > deadline {
    ///         return Err(Error::runtime("timeout"));
    ///     }
    ///     Ok(())
    /// });
    /// let e = lua.load("while true do end").exec().unwrap_err();
    /// assert!(e.to_string().contains("timeout"));
    /// ```
    pub fn set_interrupt<F: Fn(&Lua) -> Result<()> + 'static>(&self, f: F) {
        *self.inner.interrupt.borrow_mut() = Some(Rc::new(f));
        let _ = self.vm(|inner, vm| {
            let id = vm::Value::num(inner.id as f64);
            let h = vm.new_native_closure(interrupt_native, "interrupt", vec![id]);
            vm.hook = Some(h);
            vm.hook_mask = vm::lib_debug::HOOK_COUNT;
            vm.hook_count = INTERRUPT_INTERVAL;
            vm.hook_left = INTERRUPT_INTERVAL;
        });
    }

    /// Remove the interrupt function.
    ///
    /// ```
    /// use lunatrace::{Error, Lua};
    /// let lua = Lua::new();
    /// lua.set_interrupt(|_| Err(Error::runtime("stopped")));
    /// assert!(lua.load("for i = 1, 1e6 do end").exec().is_err());
    /// lua.remove_interrupt();
    /// lua.load("for i = 1, 1e6 do end").exec().unwrap();
    /// ```
    pub fn remove_interrupt(&self) {
        self.inner.interrupt.borrow_mut().take();
        let _ = self.vm(|_, vm| {
            vm.hook = None;
            vm.hook_mask = 0;
            vm.hook_count = 0;
        });
    }
}

/// The count hook: run the interrupt function with the VM lent.
fn interrupt_native(vm: &mut Vm) -> vm::LuaResult<usize> {
    let inner = native_state(vm)?;
    let Some(f) = inner.interrupt.borrow().clone() else {
        return Ok(0);
    };
    let r = inner.host.enter(vm, || {
        let lua = Lua::borrowed(inner.clone());
        let r = match catch_unwind(AssertUnwindSafe(|| f(&lua))) {
            Ok(r) => r,
            Err(p) => Err(Error::CallbackPanic(super::function::panic_message(&p))),
        };
        r.err().map(|e| inner.vm(|vm| inner.error_value(vm, e)))
    });
    match r {
        None => Ok(0),
        Some(Ok(v)) => Err(LuaError::runtime(v)),
        Some(Err(e)) => Err(vm.rt_error(&e.to_string())),
    }
}
