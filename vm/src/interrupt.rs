//! A process-wide interrupt request (the CLI's Ctrl-C: SIGINT's handler
//! sets it, as luajit's sets a hook). The interpreter polls it where it
//! already takes slow paths: when a hot counter runs out (every `hotloop`
//! back edges or calls of interpreted code) and after a compiled trace
//! exits to the interpreter; the running code then gets the error
//! "interrupted!". A compiled loop that never exits is not interrupted
//! (as in LuaJIT). Setting the request is async-signal-safe (one atomic
//! store); only programs that set it (the CLI) are affected.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Ask the running Lua code to stop with "interrupted!".
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Whether a request is pending (cheap: one load).
#[inline]
pub fn pending() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Take a pending request (it is delivered once).
pub fn take() -> bool {
    REQUESTED.swap(false, Ordering::Relaxed)
}
