//! Out of memory is a Lua error: under an address-space limit (`ulimit
//! -v`, as a user would set it) the heap's limit (half of what it leaves)
//! makes collections, `string.rep`, `table.concat`, concatenation, and
//! the growth of what the VM holds in Rust collections (table parts,
//! stacks, format/gsub results, string buffers, the compiler's output)
//! raise "not enough memory" before the system allocator fails,
//! interpreted and compiled, and the VM goes on after `pcall` caught it.
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
    run_under("ulimit -v 250000", mode, case)
}

/// Run `tests/memory/oom.lua <case>` with `mode` (and `-jv`, and the
/// CLI's options in `mode`) after the shell command `setup`.
fn run_under(setup: &str, mode: &str, case: &str) -> (String, String, i32) {
    let dir = common::dir("memory");
    let cmd = format!(
        "{} && exec '{}' -jv {} oom.lua {}",
        setup,
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
                "oom.lua:7 loop]",
            ),
            ("rep", "rep\tfalse\tnot enough memory\n", ""),
            (
                "concat",
                "concat\tfalse\tnot enough memory\ncat\tfalse\tnot enough memory\n",
                "oom.lua:21 loop]",
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
        // As in LuaJIT, the coroutine's error is its resume's result. Its
        // stack still holds the table, but the table's growth failed
        // (checked against the limit) before the live data passed it, so
        // the main thread goes on. (If a collection found the live data
        // past the limit, that would be a clean error, never an abort.)
        let (o, e, code) = run_limited(mode, "co");
        let ok = (code == 0 && o == "co\tfalse\tnot enough memory\nafter\t2893\n")
            || (code == 1 && e.contains("not enough memory") && !e.contains("panicked"));
        assert!(ok, "{} co: {} {}{}", mode, code, o, e);
    }
}

/// What the VM keeps in Rust collections grows fallibly and against the
/// heap's limit (ARCHITECTURE.md: Memory limits): table array and hash
/// parts (stores, `table.insert`; compiled, the append exits and the
/// interpreter raises), `string.format` and `gsub` results, string
/// buffers, the compiler's code and constants for a huge chunk (`load`
/// returns the error). Each case goes on with normal work. The `ulimit -v`
/// is what a user would set; the process must never abort.
#[test]
fn rust_side_growth_is_a_catchable_error() {
    let oom = "not enough memory";
    for mode in ["-joff", "-Ohotloop=1"] {
        for (limit, case, want, traces) in [
            (
                120_000,
                "table",
                format!(
                    "array\tfalse\t{oom}\ttrue\ttrue\nhash\tfalse\t{oom}\ttrue\ttrue\n\
                     insert\tfalse\t{oom}\n"
                ),
                &["oom.lua:27 loop]", "oom.lua:31 loop]", "oom.lua:34 loop]"][..],
            ),
            (
                250_000,
                "format",
                format!("format\tfalse\t{oom}\nformat2\tfalse\t{oom}\t9\n"),
                &[],
            ),
            (
                250_000,
                "buffer",
                format!("buffer\tfalse\t{oom}\nputf\tfalse\t{oom}\nbuffer after\ta1b\n"),
                &["oom.lua:46 stitch put]"],
            ),
            (
                250_000,
                "gsub",
                format!("gsub\tfalse\t{oom}\ngsubf\tfalse\t{oom}\tabbc\n"),
                &[],
            ),
            (
                120_000,
                "load",
                format!("load\tnil\t{oom}\nload2\tnil\t{oom}\nload after\t2\n"),
                &[],
            ),
        ] {
            let (o, e, code) = run_under(&format!("ulimit -v {}", limit), mode, case);
            assert_eq!(code, 0, "{} {}: {}{}", mode, case, o, e);
            assert_eq!(
                o,
                format!("{}after\t2893\n", want),
                "{} {}: {}",
                mode,
                case,
                e
            );
            if mode != "-joff" {
                for t in traces {
                    assert!(e.contains(t), "{} {}: no trace {}:\n{}", mode, case, t, e);
                }
            }
        }
    }
}

/// Deep recursion keeps its own limit ("stack overflow", 1M slots) under
/// a process limit; under a heap limit below the stack's size (`-M 2`)
/// the stack's growth fails with "not enough memory" instead, and the
/// caught error gives the stack back, so the program goes on. A dead
/// coroutine keeps its grown stack while reachable (as a live object):
/// with the JIT the collection at its resume's end may then fail, a
/// clean error, never an abort. Deterministic: `-M` needs no ulimit.
#[test]
fn deep_recursion_under_a_memory_limit() {
    let after = "deep after\t1000\t1000\nafter\t2893\n";
    for mode in ["-joff", "-Ohotloop=1"] {
        for case in ["deep", "costack"] {
            let (o, e, code) = run_limited(mode, case);
            let want = format!("{}\tfalse\tstack overflow\n{}", case, after);
            assert_eq!(
                (o.as_str(), code),
                (want.as_str(), 0),
                "{} {}: {}",
                mode,
                case,
                e
            );
            let (o, e, code) = run_under("true", &format!("-M 16 {}", mode), case);
            assert_eq!(
                (o.as_str(), code),
                (want.as_str(), 0),
                "-M 16 {} {}: {}",
                mode,
                case,
                e
            );
        }
        let (o, e, code) = run_under("true", &format!("-M 2 {}", mode), "deep");
        let want = format!("deep\tfalse\tnot enough memory\n{}", after);
        assert_eq!(
            (o.as_str(), code),
            (want.as_str(), 0),
            "-M 2 {}: {}",
            mode,
            e
        );
        if mode != "-joff" {
            assert!(
                e.contains("up-recursion]"),
                "{}: no recursion trace:\n{}",
                mode,
                e
            );
        }
        let (o, e, code) = run_under("true", &format!("-M 2 {}", mode), "costack");
        let want = format!("costack\tfalse\tnot enough memory\n{}", after);
        assert!(
            (o == want && code == 0)
                || (code == 1 && e.contains("not enough memory") && !e.contains("panicked")),
            "-M 2 {} costack: {}\n{}",
            mode,
            o,
            e
        );
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
