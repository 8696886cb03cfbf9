//! `Thread`: a handle to a coroutine — resuming it with typed values and
//! reading its status.

use super::error::Result;
use super::inner::slot;
use super::multi::{FromLuaMulti, IntoLuaMulti};
use super::state::Lua;
use super::value::{LuaRef, MultiValue, Value};

/// A Lua coroutine.
///
/// ```
/// use lunatrace::{Lua, Thread};
/// let lua = Lua::new();
/// let co: Thread = lua.load("coroutine.create(function(a) coroutine.yield(a) end)").eval().unwrap();
/// assert_eq!(co.resume::<i32>(5).unwrap(), 5);
/// ```
#[derive(Clone, PartialEq)]
pub struct Thread(pub(crate) LuaRef);

/// Where a coroutine is.
///
/// ```
/// use lunatrace::{Lua, Thread, ThreadStatus};
/// let lua = Lua::new();
/// let co: Thread = lua.load("coroutine.create(function() coroutine.yield() end)").eval().unwrap();
/// assert_eq!(co.status(), ThreadStatus::Resumable);
/// co.resume::<()>(()).unwrap();
/// co.resume::<()>(()).unwrap();
/// assert_eq!(co.status(), ThreadStatus::Finished);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadStatus {
    /// Not started, or suspended in `yield`.
    Resumable,
    /// Running (or resuming another coroutine).
    Running,
    /// Returned or failed.
    Finished,
}

impl Thread {
    /// Resume with `args`: the values it yields or returns. An error in
    /// the coroutine is an `Err` (the coroutine is then finished).
    ///
    /// ```
    /// use lunatrace::{Function, Lua};
    /// let lua = Lua::new();
    /// let f: Function = lua.load("function(a) local b = coroutine.yield(a + 1) return b * 2 end")
    ///     .eval().unwrap();
    /// let co = lua.create_thread(f).unwrap();
    /// assert_eq!(co.resume::<i64>(1).unwrap(), 2);
    /// assert_eq!(co.resume::<i64>(5).unwrap(), 10);
    /// assert!(co.resume::<()>(()).is_err());
    /// ```
    pub fn resume<R: FromLuaMulti>(&self, args: impl IntoLuaMulti) -> Result<R> {
        let inner = self.0.inner().clone();
        let lua = Lua::borrowed(inner.clone());
        let mut raw = vec![self.0.raw()];
        for a in args.into_lua_multi(&lua)?.0 {
            raw.push(a.to_raw(&inner)?);
        }
        let out = inner.vm(|vm| {
            let r = inner.pcall_slot(vm, slot::RESUME, &raw)?;
            // Drop the leading `true`.
            Ok::<_, super::error::Error>(MultiValue(
                r.into_iter()
                    .skip(1)
                    .map(|v| Value::from_raw(&inner, vm, v))
                    .collect(),
            ))
        })??;
        R::from_lua_multi(out, &lua)
    }

    /// The coroutine's status.
    ///
    /// ```
    /// use lunatrace::{Lua, Thread, ThreadStatus};
    /// let lua = Lua::new();
    /// let co: Thread = lua.load("coroutine.create(function() end)").eval().unwrap();
    /// co.resume::<()>(()).unwrap();
    /// assert_eq!(co.status(), ThreadStatus::Finished);
    /// ```
    pub fn status(&self) -> ThreadStatus {
        let t = self.0.raw();
        let code = self
            .0
            .vm(|_, vm| {
                t.as_thread_ptr()
                    .map_or(3, |co| crate::vm::lib_coroutine::status_code(vm, co))
            })
            .unwrap_or(3);
        match code {
            0 => ThreadStatus::Resumable,
            1 | 2 => ThreadStatus::Running,
            _ => ThreadStatus::Finished,
        }
    }
}
