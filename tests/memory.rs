//! Out of memory is a Lua error: under an address-space limit (`ulimit
//! -v`, as a user would set it) the heap's limit (half of it) makes
//! collections, `string.rep`, `table.concat` and concatenation raise
//! "not enough memory" before the system allocator fails, interpreted
//! and compiled, and the VM goes on after `pcall` caught it.
//!
//! `valgrind_memcheck` (ignored unless valgrind is installed: `.ci/run`
//! installs it) runs a subset of the conformance scripts under valgrind's
//! memcheck, interpreted and with the JIT forced hot: no invalid read or
//! write, no use of uninitialised memory, and the same output.

mod common;

use std::process::Command;

/// Run `tests/memory/oom.lua <case>` with `mode` (and `-jv`) under a
/// 250 MB limit: stdout, stderr, exit status.
fn run_limited(mode: &str, case: &str) -> (String, String, i32) {
    let dir = common::dir("memory");
    let cmd = format!(
        "ulimit -v 250000 && exec '{}' -jv {} oom.lua {}",
        common::exe(),
        mode,
        case
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .current_dir(&dir)
        .output()
        .expect("run sh");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn out_of_memory_is_a_catchable_error() {
    for mode in ["-joff", "-Ohotloop=1"] {
        // (With the JIT, the allocating loop of the case is compiled.)
        for (case, want, trace) in [
            (
                "loop",
                "loop\tfalse\tnot enough memory\n",
                "oom.lua:6 loop]",
            ),
            ("rep", "rep\tfalse\tnot enough memory\n", ""),
            (
                "concat",
                "concat\tfalse\tnot enough memory\ncat\tfalse\tnot enough memory\n",
                "oom.lua:20 loop]",
            ),
        ] {
            let (o, e, code) = run_limited(mode, case);
            assert_eq!(code, 0, "{} {}: {}{}", mode, case, o, e);
            assert!(o.starts_with(want), "{} {}: {}{}", mode, case, o, e);
            assert!(o.ends_with("after\t2893\n"), "{} {}: {}", mode, case, o);
            if mode != "-joff" {
                assert!(e.contains(trace), "{} {}: no trace:\n{}", mode, case, e);
            }
        }
        // Reading a file without end into one string (no loop to compile:
        // interpreted only).
        if mode == "-joff" {
            let (o, e, code) = run_limited(mode, "read");
            assert_eq!(code, 0, "{} read: {}{}", mode, o, e);
            let want = "read\t*a\tfalse\tnot enough memory\n\
                    read\t*l\tfalse\tnot enough memory\n\
                    read\t*L\tfalse\tnot enough memory\n\
                    read\t1073741824\tfalse\tnot enough memory\n\
                    lines\tfalse\tnot enough memory\n\
                    still open\tfile\t10\n";
            assert!(o.starts_with(want), "{} read: {}{}", mode, o, e);
            assert!(o.ends_with("after\t2893\n"), "{} read: {}", mode, o);
        }
        // As in LuaJIT, the coroutine's error is its resume's result; its
        // stack still holds the data, so the next collection in the main
        // thread fails too: a clean error and exit status, not an abort.
        let (o, e, code) = run_limited(mode, "co");
        assert_eq!(code, 1, "{} co: {}{}", mode, o, e);
        assert!(e.contains("not enough memory"), "{} co: {}{}", mode, o, e);
    }
}

/// Scripts run under valgrind: the interpreter's core (calls, closures,
/// coroutines, errors, strings, the collector with weak tables and
/// finalisers) and traces of each kind (calls, closures, string fast
/// functions, FFI-free table and allocation-sinking loops). About 5 s
/// each in a debug build: the whole test stays within a few minutes.
const VALGRIND_SCRIPTS: &[&str] = &[
    "arith",
    "closures",
    "control",
    "coroutines",
    "errors",
    "gc_weak",
    "jit_calls",
    "jit_closures",
    "jit_fast_strings",
    "jit_sink_table",
];

#[test]
#[ignore = "needs valgrind"]
fn valgrind_memcheck() {
    let dir = common::dir("lua");
    let mut failed = Vec::new();
    for name in VALGRIND_SCRIPTS {
        let want = std::fs::read_to_string(dir.join(format!("{}.expected", name)))
            .unwrap_or_else(|_| panic!("missing {}.expected", name));
        for mode in ["-joff", "-Ohotloop=1"] {
            let out = Command::new("valgrind")
                .args(["-q", "--error-exitcode=99", "--track-origins=no"])
                .arg(common::exe())
                .arg(mode)
                .arg(format!("{}.lua", name))
                .current_dir(&dir)
                .env_remove("LUA_INIT")
                .env_remove("LUA_PATH")
                .output()
                .expect("run valgrind (is it installed?)");
            let (o, e) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            if out.status.code() != Some(0) || o != want {
                failed.push(format!("{} {}: {}\n{}", name, mode, out.status, e));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
