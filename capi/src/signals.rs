//! Signal dispositions for the `lunatrace` command line (never set by the
//! library itself): SIGPIPE back to its default (Rust programs start with
//! it ignored; `lunatrace ... | head -1` must end as luajit does, killed by
//! the signal), and luajit's Ctrl-C: while a chunk runs, SIGINT asks the
//! VM to stop it with "interrupted!" (`lunatrace_vm::interrupt`); the
//! handler puts the default back first, so a second Ctrl-C kills.

/// SIGPIPE's default disposition (the process ends on a write to a closed
/// pipe).
pub fn default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a standard disposition; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(unix)]
extern "C" fn on_sigint(_sig: libc::c_int) {
    // SAFETY: `signal` is async-signal-safe; so is the atomic store.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
    lunatrace_vm::interrupt::request();
}

/// While `on`, SIGINT interrupts the running Lua code; else its default
/// (a request left over from the last run is dropped).
pub fn catch_sigint(on: bool) {
    #[cfg(unix)]
    {
        let h = if on {
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t
        } else {
            libc::SIG_DFL
        };
        // SAFETY: `on_sigint` only does async-signal-safe work.
        unsafe {
            libc::signal(libc::SIGINT, h);
        }
    }
    if !on {
        lunatrace_vm::interrupt::take();
    }
}
