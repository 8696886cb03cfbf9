//! The seed's FFI sandwich, in the shape of its regression tests
//! (`tests/ffi/seed/`): a C library (`libsandwich.c`, built here with `cc`
//! against `include/`) whose `luaopen_` returns a constructor of the state
//! (a full userdata by default), loaded both with `require` and
//! `ffi.load`; `sandwich.lua` calls `increment(state, i)` through the FFI
//! in a `for` loop at `hotloop=1`, and from `trigger` on the C side
//! re-enters Lua. `flush.lua` is the follow-up where C flushes the JIT
//! with `luaJIT_setmode`.
//!
//! Every run has `-jv` on, so each case also checks what the JIT did:
//! with trigger 1 the re-entry happens while the loop is being recorded
//! (the recording must be aborted, no trace compiled); with trigger 2
//! the trace must be compiled before the re-entry, which then meets the
//! policy: `panic` (LuaJIT's message on stderr, status 1), `error` (an
//! uncaught Lua error with that message, status 1) or `exit` (the
//! program completes with the interpreter's result). The matrix covers
//! the state held in a full userdata, a light userdata and a cdata
//! struct pointer, and re-entry through `lua_call`, `lua_pcall`,
//! `lua_getfield` with `__index` and `lua_concat` with `__concat`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const REENTRY: &str = "Lua VM re-entrancy is detected while executing the trace";
const MODECHANGE: &str = "JIT mode change is detected while executing the trace";
const HOLDERS: [&str; 3] = ["udata", "light", "cdata"];
const POLICIES: [&str; 3] = ["panic", "error", "exit"];

fn seed_dir() -> PathBuf {
    common::dir("ffi/seed")
}

/// Build `libsandwich.c` once; the object's path.
fn library() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        common::build_shared("tests/ffi/seed/libsandwich.c", "ffi_seed", "libsandwich.so")
    })
}

struct Run {
    stdout: String,
    stderr: String,
    status: Option<i32>,
}

fn run(opts: &[&str], script: &str, args: &[&str]) -> Run {
    let so = library();
    let out = Command::new(common::exe())
        .args(opts)
        .arg(script)
        .args(args)
        .current_dir(seed_dir())
        .env_remove("LUA_PATH")
        .env_remove("LUA_INIT")
        .env("LT_LIBSANDWICH", so)
        .env(
            "LUA_CPATH",
            format!("{}/?.so", so.parent().unwrap().display()),
        )
        .output()
        .expect("spawn lunatrace");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code(),
    }
}

/// What one run must show.
enum Want<'a> {
    /// Completes with this stdout and status 0.
    Completes(&'a str),
    /// Panics with this message (stderr), status 1, nothing on stdout.
    Panics(&'a str),
    /// Dies of an uncaught Lua error with this message, status 1.
    Raises(&'a str),
}

/// Check one run; `compiled` says whether `-jv` must show the loop's
/// trace compiled (else: an aborted recording and no trace).
fn check(label: &str, r: &Run, want: Want, compiled: Option<bool>, fails: &mut Vec<String>) {
    let mut why = Vec::new();
    match want {
        Want::Completes(out) => {
            if r.status != Some(0) || r.stdout != out {
                why.push(format!("want {:?} and status 0", out));
            }
        }
        Want::Panics(msg) => {
            let line = format!("PANIC: unprotected error in call to Lua API ({})", msg);
            if r.status != Some(1) || !r.stderr.contains(&line) || !r.stdout.is_empty() {
                why.push(format!("want a panic with {:?}", msg));
            }
        }
        Want::Raises(msg) => {
            let line = format!("lunatrace: {}", msg);
            if r.status != Some(1) || !r.stderr.contains(&line) || r.stderr.contains("PANIC") {
                why.push(format!("want an uncaught error {:?}", msg));
            }
        }
    }
    let traced = r.stderr.contains("[TRACE   1 ") && r.stderr.contains(" loop]");
    match compiled {
        Some(true) if !traced => why.push("the loop's trace was not compiled".into()),
        Some(false) if traced => why.push("a trace was compiled".into()),
        _ => {}
    }
    if !why.is_empty() {
        fails.push(format!(
            "{}: {} (status {:?}, stdout {:?}, stderr {:?})",
            label,
            why.join("; "),
            r.status,
            r.stdout,
            r.stderr
        ));
    }
}

fn assert_none(fails: Vec<String>) {
    assert!(
        fails.is_empty(),
        "{} run(s) failed:\n{}",
        fails.len(),
        fails.join("\n")
    );
}

/// `sandwich.lua` for one way of re-entering, over holders and policies.
fn sandwich_matrix(how: &str) {
    let mut fails = Vec::new();
    for holder in HOLDERS {
        let label = format!("sandwich {} {} -joff", how, holder);
        let r = run(&["-joff"], "sandwich.lua", &["1", "2", how, holder]);
        check(&label, &r, Want::Completes("4\n"), None, &mut fails);
        for policy in POLICIES {
            let opt = format!("-Osandwich={}", policy);
            // Re-entered while recording: the recording is aborted.
            let r = run(&["-jv", &opt], "sandwich.lua", &["1", "1", how, holder]);
            let label = format!("sandwich {} {} {} trigger=1", how, holder, policy);
            check(&label, &r, Want::Completes("3\n"), Some(false), &mut fails);
            if !r.stderr.contains("-- re-entry via the C API at") {
                fails.push(format!("{}: no abort in -jv: {:?}", label, r.stderr));
            }
            // Re-entered while the compiled trace runs.
            let r = run(&["-jv", &opt], "sandwich.lua", &["1", "2", how, holder]);
            let label = format!("sandwich {} {} {} trigger=2", how, holder, policy);
            let want = match policy {
                "panic" => Want::Panics(REENTRY),
                "error" => Want::Raises(REENTRY),
                _ => Want::Completes("4\n"),
            };
            check(&label, &r, want, Some(true), &mut fails);
        }
    }
    assert_none(fails);
}

/// The library builds against our headers (needs only `cc`).
#[test]
fn seed_library_builds() {
    assert!(library().exists());
}

#[test]
fn seed_sandwich_lua_call() {
    sandwich_matrix("call");
}

#[test]
fn seed_sandwich_lua_pcall() {
    sandwich_matrix("pcall");
}

#[test]
fn seed_sandwich_getfield_index() {
    sandwich_matrix("getfield");
}

#[test]
fn seed_sandwich_concat() {
    sandwich_matrix("concat");
}

/// The follow-up: `luaJIT_setmode(L, 0, ENGINE|FLUSH)` from C called by
/// the loop. Trigger 1 flushes while recording (the recording is
/// dropped, the program completes); trigger 2 flushes from the running
/// trace: the mode change meets the policy.
#[test]
fn seed_flush_on_trace() {
    let mut fails = Vec::new();
    for holder in HOLDERS {
        let r = run(&["-joff"], "flush.lua", &["1", "2", holder]);
        let label = format!("flush {} -joff", holder);
        check(&label, &r, Want::Completes("OK\n"), None, &mut fails);
        for policy in POLICIES {
            let opt = format!("-Osandwich={}", policy);
            let r = run(&["-jv", &opt], "flush.lua", &["1", "1", holder]);
            let label = format!("flush {} {} trigger=1", holder, policy);
            check(&label, &r, Want::Completes("OK\n"), Some(false), &mut fails);
            if !r.stderr.contains("[TRACE flush]") {
                fails.push(format!("{}: no flush in -jv: {:?}", label, r.stderr));
            }
            let r = run(&["-jv", &opt], "flush.lua", &["1", "2", holder]);
            let label = format!("flush {} {} trigger=2", holder, policy);
            let want = match policy {
                "panic" => Want::Panics(MODECHANGE),
                "error" => Want::Raises(MODECHANGE),
                _ => Want::Completes("OK\n"),
            };
            check(&label, &r, want, Some(true), &mut fails);
        }
    }
    assert_none(fails);
}

/// The seed's shape with `hotloop` raised by `jit.opt.start` at run time
/// to a larger value: the counters are re-armed, so the loop still
/// compiles before the trigger and the re-entry meets the policy.
#[test]
fn seed_sandwich_other_hotloops() {
    let mut fails = Vec::new();
    for (hotloop, trigger) in [(3, 5), (5, 2)] {
        let (h, t) = (hotloop.to_string(), trigger.to_string());
        let r = run(&["-jv"], "sandwich.lua", &[&h, &t]);
        let label = format!("sandwich hotloop={} trigger={}", hotloop, trigger);
        if trigger > hotloop {
            check(&label, &r, Want::Panics(REENTRY), Some(true), &mut fails);
        } else {
            let want = format!("{}\n", hotloop + trigger + 1);
            check(&label, &r, Want::Completes(&want), Some(false), &mut fails);
        }
    }
    assert_none(fails);
}

/// `tests/ffi/jit_ptr_conv.lua` (its output is checked against LuaJIT's
/// by `tests/ffi.rs`): every loop passing Lua values to C pointer
/// parameters and members, or using pointer results, must compile —
/// no recording aborts, one root trace per loop (at the default hotloop,
/// without the compile-time budget, which a debug build's slow compiles
/// would exhaust).
#[test]
fn pointer_conversions_compile() {
    let out = Command::new(common::exe())
        .args(["-jv", "-Obudget=0", "jit_ptr_conv.lua"])
        .current_dir(common::dir("ffi"))
        .output()
        .expect("spawn lunatrace");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}", err);
    let aborts: Vec<&str> = err.lines().filter(|l| l.contains("[TRACE ---")).collect();
    assert!(aborts.is_empty(), "aborted recordings: {:?}", aborts);
    let roots = err.lines().filter(|l| l.ends_with(" loop]")).count();
    assert!(roots >= 8, "only {} loops compiled:\n{}", roots, err);
}
