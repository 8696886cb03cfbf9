//! FFI shapes in traces, checked with `-jv`: every loop of
//! `tests/ffi/jit_ffi_shapes.lua` (variadic C calls, 64-bit integer
//! arithmetic, pointers carried across iterations, `ffi.new`/ctype calls
//! and metatype metamethods, `ffi.cast`, structs by value) must become a
//! trace, with no aborted recording other than the outer loop around the
//! linked-list walk (an inner loop), and print what `-joff` prints (the
//! `.expected` file, generated with LuaJIT 2.1). `tests/ffi.rs` runs the
//! same script in its three modes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Build `tests/ffi/sandwich.c` once per test run (tests run in parallel).
fn sandwich() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| common::build_shared("tests/ffi/sandwich.c", "ffi_jit", "sandwich.so"))
}

/// Loops of the script (line numbers of their loop instruction).
const LOOPS: &[u32] = &[
    31, 36, 41, 46, 49, 52, 55, 64, 69, 74, 85, 88, 91, 100, 103, 107, 113, 119, 122, 125, 136,
    141, 148,
];

fn run(opts: &[&str]) -> (String, String) {
    let so = sandwich();
    let dir: PathBuf = common::dir("ffi");
    let out = Command::new(common::exe())
        .args(opts)
        .arg("jit_ffi_shapes.lua")
        .current_dir(&dir)
        .env_remove("LUA_PATH")
        .env_remove("LUA_INIT")
        .env("LT_SANDWICH", so)
        .output()
        .expect("spawn lunatrace");
    assert!(out.status.success(), "{:?}", out);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ffi_shapes_compile() {
    let want = common::read_expected(&common::dir("ffi").join("jit_ffi_shapes.lua"));
    for opts in [
        &["-jv", "-Ohotloop=5"][..],
        &["-jv", "-Ohotloop=5", "-O0"][..],
    ] {
        let (stdout, stderr) = run(opts);
        assert_eq!(stdout, want, "{:?}", opts);
        for l in LOOPS {
            let root = format!(" jit_ffi_shapes.lua:{} loop]", l);
            let stitched = format!(" jit_ffi_shapes.lua:{} stitch ", l);
            assert!(
                stderr
                    .lines()
                    .any(|x| x.starts_with("[TRACE ")
                        && (x.ends_with(&root) || x.contains(&stitched))),
                "{:?}: no trace for the loop at line {}:\n{}",
                opts,
                l,
                stderr
            );
        }
        for x in stderr.lines().filter(|x| x.starts_with("[TRACE ---")) {
            assert!(
                x.contains("inner loop in root trace"),
                "{:?}: unexpected abort: {}",
                opts,
                x
            );
        }
    }
}

#[test]
fn ffi_shapes_joff() {
    let want = common::read_expected(&common::dir("ffi").join("jit_ffi_shapes.lua"));
    assert_eq!(run(&["-joff"]).0, want);
}
