//! The interpreter-only build (`--no-default-features`: no `jit` feature,
//! no Cranelift) really has no JIT, in the CLI and in liblunatrace:
//! `jit.status()` is false and nothing turns a compiler on. Compiled only
//! without the `jit` feature; CI runs
//! `cargo test --no-default-features -p lunatrace --test interp_only`.

#![cfg(not(feature = "jit"))]

mod common;

use common::cc;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lt(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(common::exe())
        .args(args)
        .env_remove("LUA_INIT")
        .output()
        .expect("run lunatrace");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn cli_jit_status_is_false() {
    let prog = "local s = 0 for i = 1, 1000 do s = s + i end \
                print(s, (jit.status())) jit.on() print((jit.status()))";
    for flags in [&[][..], &["-jon"], &["-Ohotloop=1"], &["-jv"]] {
        let mut args = flags.to_vec();
        args.extend(["-e", prog]);
        let (o, e, c) = lt(&args);
        assert_eq!(
            (o.as_str(), c),
            ("500500\tfalse\nfalse\n", 0),
            "{:?}",
            flags
        );
        assert!(
            !e.lines()
                .any(|l| l.starts_with("[TRACE ") && !l.starts_with("[TRACE stats: 0 traces")),
            "{:?}: {}",
            flags,
            e
        );
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Build liblunatrace without the JIT in this test binary's profile; its
/// directory.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "-q", "-p", "liblunatrace", "--no-default-features"]);
    if dir.ends_with("release") {
        cmd.arg("--release");
    }
    let st = cmd.current_dir(root()).status().expect("run cargo");
    assert!(st.success(), "building liblunatrace failed");
    dir
}

#[test]
fn c_api_jit_status_is_false() {
    let lib = lib_dir();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interp_only");
    std::fs::create_dir_all(&tmp).unwrap();
    let src = root().join("tests/capi/jit_status.c");
    let inc = format!("-I{}", root().join("include").display());
    let dynamic = tmp.join("jit_status_dynamic");
    let stat = tmp.join("jit_status_static");
    cc(&[
        "-Wall",
        &inc,
        "-o",
        dynamic.to_str().unwrap(),
        src.to_str().unwrap(),
        &format!("-L{}", lib.display()),
        &format!("-Wl,-rpath,{}", lib.display()),
        "-llunatrace",
    ]);
    let a = lib.join("liblunatrace.a");
    let mut args = vec![
        "-Wall",
        &inc,
        "-o",
        stat.to_str().unwrap(),
        src.to_str().unwrap(),
        a.to_str().unwrap(),
    ];
    args.extend(common::STATIC_LINK_LIBS);
    cc(&args);
    let want = "new state: jit.status() = false\n\
                luaJIT_setmode(ON) = 0\n\
                after setmode: jit.status() = false\n\
                loop: 3003\n\
                after jit.on(): jit.status() = false\n";
    for exe in [&dynamic, &stat] {
        let out = Command::new(exe).output().unwrap();
        assert!(out.status.success(), "{}: {}", exe.display(), out.status);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            want,
            "{}",
            exe.display()
        );
    }
}
