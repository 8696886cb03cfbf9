//! FFI conformance corpus: runs every `tests/ffi/*.lua` script that has a
//! `.expected` sibling in three modes — interpreted (`-joff`), JIT forced
//! hot (`-Ohotloop=1`) and forced hot with every optimisation off
//! (`-O0,hotloop=1`) — and checks its stdout, stderr and exit status.
//!
//! The expected outputs were generated with LuaJIT 2.1 (`/usr/bin/luajit`,
//! identical under `-joff` and with the JIT on) and read through, except
//! for the `sandwich_*` scripts, whose expectations are hand-written (see
//! below).
//!
//! # Conventions
//!
//! * `NAME.expected` — the stdout of `NAME.lua` under `-joff`, and under the
//!   two JIT modes unless `NAME.expected-hot` exists. The run must exit with
//!   status 0 and write nothing to stderr. Scripts without `.expected` (such
//!   as `sandwich_common.lua`) are helpers loaded with `dofile`.
//! * `NAME.expected-hot` — the stdout under `-Ohotloop=1` and
//!   `-O0,hotloop=1`, when it differs from `-joff`.
//! * A line `-- expect-hot: panic` in the script: under the two JIT modes
//!   the run must exit with status 1 and its stderr must contain
//!   [`PANIC`]; stdout (what was printed before the panic) must equal
//!   `NAME.expected-hot`. Used by `sandwich_hot_*.lua`, where a C function
//!   called through the FFI from a running trace re-enters the VM through
//!   the Lua C API under the default `sandwich=panic` policy
//!   (ARCHITECTURE.md: FFI and the sandwich).
//! * A line `-- reference-fails: joff hot` (one or both words): runs in
//!   those modes are skipped when the corpus is checked against a reference
//!   engine (`LT_FFI_ENGINE`, below), because LuaJIT itself fails them.
//! * Scripts run in `tests/ffi` with `LUA_PATH`/`LUA_INIT` unset,
//!   `LT_SANDWICH` set to the path of `tests/ffi/sandwich.c` built as a
//!   shared object (`cc -shared -fPIC -I include`, no `-llua`: its `lua_*`
//!   symbols resolve against the running executable), and `LUA_CPATH` set
//!   to that object's directory, so `require "sandwich"` and
//!   `ffi.load(os.getenv("LT_SANDWICH"))` open the same object.
//!
//! # Hand-written expectations
//!
//! `sandwich_*.expected{,-hot}` are written by hand, because LuaJIT does not
//! define the FFI sandwich: with the JIT on it crashes (SIGSEGV) as soon as
//! C called from a trace re-enters the VM, `lua_concat` from C called
//! through the FFI fails even under `-joff` ("attempt to concatenate
//! 'int (*)()' and 'string'": the C API sees the caller's frame), and it has
//! no `jit.opt.start("sandwich=error|exit")`. The sums they contain equal
//! the C fallback values (the same formula computed without entering the
//! VM), which LuaJIT does produce.
//!
//! # Checking the corpus against LuaJIT
//!
//! `LT_FFI_ENGINE=/usr/bin/luajit cargo test --test ffi -- --include-ignored`
//! runs the scripts with that engine instead (`-O0,hotloop=1` is passed as
//! `-O0 -Ohotloop=1`), skipping the runs marked `reference-fails`. Every
//! other run passes with LuaJIT 2.1.0-beta3.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What a re-entrancy panic writes to stderr (as LuaJIT; ARCHITECTURE.md: FFI and the sandwich).
const PANIC: &str = "PANIC: unprotected error in call to Lua API \
                     (Lua VM re-entrancy is detected while executing the trace)";

const JOFF: &str = "-joff";
const HOT: &str = "-Ohotloop=1";
const HOT_O0: &str = "-O0,hotloop=1";

/// The engine to run: `LT_FFI_ENGINE` if set, else the built lunatrace.
fn engine() -> (String, bool) {
    match std::env::var("LT_FFI_ENGINE") {
        Ok(e) if !e.is_empty() => (e, true),
        _ => (common::exe().to_string(), false),
    }
}

/// The command-line options for `mode` (LuaJIT wants `-O0 -Ohotloop=1`).
fn mode_args(mode: &str, reference: bool) -> Vec<&'static str> {
    match mode {
        JOFF => vec![JOFF],
        HOT => vec![HOT],
        HOT_O0 if reference => vec!["-O0", "-Ohotloop=1"],
        HOT_O0 => vec![HOT_O0],
        _ => unreachable!("mode {}", mode),
    }
}

/// Build `tests/ffi/sandwich.c` (once per test run); the object's path.
fn sandwich() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| common::build_shared("tests/ffi/sandwich.c", "ffi", "sandwich.so"))
}

struct Directives {
    hot_panics: bool,
    reference_fails: Vec<String>,
}

fn directives(script: &str) -> Directives {
    let mut d = Directives {
        hot_panics: false,
        reference_fails: Vec::new(),
    };
    for line in script.lines().take_while(|l| l.starts_with("--")) {
        let line = line.trim_start_matches('-').trim();
        if let Some(v) = line.strip_prefix("expect-hot:") {
            assert_eq!(v.trim(), "panic", "unknown expect-hot: {}", v);
            d.hot_panics = true;
        } else if let Some(v) = line.strip_prefix("reference-fails:") {
            d.reference_fails = v.split_whitespace().map(str::to_string).collect();
        }
    }
    d
}

fn read(p: &Path) -> String {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {}", p.display(), e));
    String::from_utf8_lossy(&b).into_owned()
}

/// Run one script in one mode; `Err` describes the mismatch.
fn check_one(script: &Path, mode: &str) -> Result<(), String> {
    let (prog, reference) = engine();
    let text = read(script);
    let d = directives(&text);
    let hot = mode != JOFF;
    let class = if hot { "hot" } else { "joff" };
    if reference && d.reference_fails.iter().any(|m| m == class) {
        eprintln!(
            "skipped {} [{}]: known failure of the reference engine",
            script.display(),
            mode
        );
        return Ok(());
    }
    let hot_file = PathBuf::from(format!(
        "{}-hot",
        script.with_extension("expected").display()
    ));
    let want = if hot && hot_file.exists() {
        read(&hot_file)
    } else {
        common::read_expected(script)
    };
    let so = sandwich();
    let out = Command::new(&prog)
        .args(mode_args(mode, reference))
        .arg(script.file_name().unwrap())
        .current_dir(script.parent().unwrap())
        .env_remove("LUA_PATH")
        .env_remove("LUA_INIT")
        .env("LT_SANDWICH", so)
        .env(
            "LUA_CPATH",
            format!("{}/?.so", so.parent().unwrap().display()),
        )
        .output()
        .unwrap_or_else(|e| panic!("spawn {}: {}", prog, e));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let status = out.status.code();
    let panics = hot && d.hot_panics;
    let mut why = Vec::new();
    if panics {
        if status != Some(1) {
            why.push(format!("exit status {:?}, want 1 (panic)", status));
        }
        if !stderr.contains(PANIC) {
            why.push(format!("stderr lacks the panic message: {:?}", stderr));
        }
    } else {
        if status != Some(0) {
            why.push(format!("exit status {:?}, want 0", status));
        }
        if !stderr.is_empty() {
            why.push(format!("stderr: {:?}", stderr));
        }
    }
    if stdout != want {
        why.push(common::first_diff(&want, &stdout));
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} [{}]: {}",
            script.file_name().unwrap().to_string_lossy(),
            mode,
            why.join("; ")
        ))
    }
}

/// Run every script whose file name passes `select` in each of `modes`.
fn check(modes: &[&str], select: impl Fn(&str) -> bool, min_scripts: usize) {
    let scripts: Vec<PathBuf> = common::scripts(&common::dir("ffi"), true)
        .into_iter()
        .filter(|p| select(&p.file_name().unwrap().to_string_lossy()))
        .collect();
    assert!(scripts.len() >= min_scripts, "scripts missing in tests/ffi");
    let failures: Vec<String> = scripts
        .iter()
        .flat_map(|s| modes.iter().map(move |m| (s, *m)))
        .filter_map(|(s, m)| check_one(s, m).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} run(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn conformance(name: &str) -> bool {
    !name.starts_with("sandwich")
}

fn sandwiches(name: &str) -> bool {
    name.starts_with("sandwich")
}

/// The sandwich library compiles against our headers (needs only `cc`).
#[test]
fn sandwich_library_builds() {
    assert!(sandwich().exists());
}

#[test]

fn ffi_scripts_interpreted() {
    check(&[JOFF], conformance, 10);
}

#[test]

fn ffi_scripts_jit_hot() {
    check(&[HOT], conformance, 10);
}

#[test]

fn ffi_scripts_jit_hot_unoptimised() {
    check(&[HOT_O0], conformance, 10);
}

#[test]

fn ffi_sandwich_interpreted() {
    check(&[JOFF], sandwiches, 14);
}

#[test]

fn ffi_sandwich_jit_hot() {
    check(&[HOT], sandwiches, 14);
}

#[test]

fn ffi_sandwich_jit_hot_unoptimised() {
    check(&[HOT_O0], sandwiches, 14);
}

/// `ffi.typeinfo` of an entry it has no LuaJIT encoding for (a struct, an
/// enum, a function type, LuaJIT's own placeholder ids) is an NYI error,
/// never a made-up table; the encoded kinds (`typeinfo.lua`) are checked
/// against LuaJIT's output.
#[test]
fn typeinfo_unsupported_entries_fail_loudly() {
    let script = r#"
        local ffi = require("ffi")
        ffi.cdef[[struct TI { int a; }; enum TE { TA };]]
        for _, t in ipairs{"struct TI", "enum TE", "int(int)", "const struct TI"} do
          local id = tonumber(ffi.typeof(t))
          local ok, e = pcall(ffi.typeinfo, id)
          print(t, ok, e)
        end
        print(pcall(ffi.typeinfo, 21))
        print(ffi.typeinfo(9).info, ffi.typeinfo(9).size)
    "#;
    let out = Command::new(common::exe())
        .args(["-e", script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{}", text);
    for l in &lines[..5] {
        assert!(
            l.contains("false\tNYI: ffi.typeinfo of this type id"),
            "{}",
            l
        );
    }
    assert_eq!(lines[5], "131072\t4");
}

/// `jit_num_conv.lua` (numbers converted to C integers as LuaJIT on
/// x86-64 converts them) runs its small-member stores, array stores,
/// 64-bit arithmetic and comparisons, and casts in compiled loops: the
/// conformance runs above compare their results with LuaJIT's.
#[test]
fn number_conversion_loops_compile() {
    let dir = common::dir("ffi");
    let out = Command::new(common::exe())
        .args(["-jv", "-Ohotloop=1", "jit_num_conv.lua"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    for line in [21, 24, 39, 43] {
        let want = format!("jit_num_conv.lua:{} loop]", line);
        assert!(
            e.contains(&want),
            "no trace of the loop at line {}:\n{}",
            line,
            e
        );
    }
}
