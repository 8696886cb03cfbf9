//! C API tests: C host programs in `tests/capi/*.c` are compiled with the
//! system `cc` against `include/` and linked to `liblunatrace` (as a shared
//! and as a static library), run, and their output compared with
//! `tests/capi/<name>.expected`. A C module (`tests/capi/tmod.c`) is built as
//! a shared object and loaded by the CLI with `require`. The Debian builds of
//! lua-cjson, lua-lpeg and lua-filesystem get a workout through `require`
//! (ignored unless installed: run with `--include-ignored`).
//!
//! The library is built with `cargo build -p liblunatrace` in the profile
//! these tests were built with (plain `cargo build` builds it too).

mod common;

use common::cc;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>` of this test binary.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Build liblunatrace (once per test run); its directory.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = profile_dir();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-q", "-p", "liblunatrace"]);
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        let st = cmd.current_dir(root()).status().expect("run cargo");
        assert!(st.success(), "building liblunatrace failed");
        assert!(dir.join("liblunatrace.so").exists());
        assert!(dir.join("liblunatrace.a").exists());
        dir
    })
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("capi")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Compile `tests/capi/<name>.c` linked dynamically or statically.
fn build_host(name: &str, stat: bool) -> PathBuf {
    build_host_in(name, name, stat)
}

/// As `build_host`, in the directory of test `tag` (tests running the
/// same host at once must not overwrite each other's executable: "Text
/// file busy").
fn build_host_in(name: &str, tag: &str, stat: bool) -> PathBuf {
    let lib = lib_dir();
    let src = root().join("tests/capi").join(format!("{}.c", name));
    let inc = root().join("include");
    let exe = tmp_dir(tag).join(if stat { "static" } else { "dynamic" });
    let (src, inc, exe_s) = (
        src.to_str().unwrap(),
        inc.to_str().unwrap(),
        exe.to_str().unwrap().to_string(),
    );
    let inc_flag = format!("-I{}", inc);
    if stat {
        let a = lib.join("liblunatrace.a");
        let mut args = vec!["-Wall", &inc_flag, "-o", &exe_s, src, a.to_str().unwrap()];
        args.extend(common::STATIC_LINK_LIBS);
        cc(&args);
    } else {
        let l = format!("-L{}", lib.display());
        let rpath = format!("-Wl,-rpath,{}", lib.display());
        cc(&[
            "-Wall",
            &inc_flag,
            "-o",
            &exe_s,
            src,
            &l,
            &rpath,
            "-llunatrace",
        ]);
    }
    exe
}

fn expected(name: &str) -> String {
    let p = root().join("tests/capi").join(format!("{}.expected", name));
    std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("missing {}", p.display()))
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn check_host(name: &str) {
    check_host_with(name, None, name);
}

/// Run host `name` (with `arg`, if any) and compare with `<want>.expected`.
fn check_host_with(name: &str, arg: Option<&str>, want: &str) {
    for stat in [false, true] {
        let exe = build_host_in(name, want, stat);
        let out = Command::new(&exe).args(arg).output().unwrap();
        assert!(
            out.status.success(),
            "{} ({}) failed: {}\n{}",
            name,
            if stat { "static" } else { "dynamic" },
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text(&out), expected(want), "{} static={}", name, stat);
    }
}

#[test]
fn core_api() {
    check_host("core");
}

/// C code takes io handles with `luaL_checkudata(L, i, "FILE*")`, finds
/// LuaJIT's `IOFileUD` (the `FILE*`, then the type) and writes to them with
/// stdio, in order with Lua's output on a piped stdout.
#[test]
fn io_handles_are_c_streams() {
    check_host("iofile");
}

/// A host allocator (`lua_newstate`) that refuses past a budget: the heap
/// takes its memory from it, a program that keeps allocating gets
/// `LUA_ERRMEM` "not enough memory" from `lua_pcall` (interpreted and with
/// the JIT hot), the host's count never passes the budget, the state goes
/// on working, and `lua_close` gives every byte back.
#[test]
fn host_allocator_limits_memory() {
    check_host_with("memory", None, "memory");
}

/// Under an address-space limit (`setrlimit`), `luaL_newstate`'s heap
/// limit turns running out of memory into `LUA_ERRMEM` from `lua_pcall`,
/// and the state goes on working.
#[test]
fn out_of_memory_through_the_c_api() {
    check_host_with("memory", Some("rlimit"), "memory_rlimit");
}

/// `lua_load` reads the chunk piece by piece as the parser needs it:
/// a syntax error stops the reading (expected output from LuaJIT's
/// library running the same host).
#[test]
fn lua_load_reads_incrementally() {
    check_host("load_reader");
}

/// The functions LuaJIT 2.1 adds to the 5.1 API (`lua_copy`,
/// `lua_tonumberx`/`lua_tointegerx`, `lua_loadx` modes, `lua_isyieldable`,
/// `lua_version`, `lua_upvalueid`/`lua_upvaluejoin`, `luaL_pushmodule`,
/// `luaopen_string_buffer`, the profiler's `luaJIT_profile_*`): the
/// expected output is LuaJIT's, the same host linked to
/// `libluajit-5.1.so.2`.
#[test]
fn luajit_2_1_api_additions() {
    check_host("lj21");
}

/// `lua_pushfstring`, `lua_pushvfstring` and `luaL_error` with arguments
/// (their bodies are C, `capi/src/varargs.c`): every directive LuaJIT 2.1
/// accepts, with flags, width and precision, the ones it rejects, more
/// integer and floating-point arguments than fit in registers, and
/// `luaL_error` from C functions caught by `pcall`, `xpcall`,
/// `coroutine.resume` and `lua_pcall`, 100,000 times without the process
/// growing. The expected output is LuaJIT's; when its library is installed
/// the host is also linked to it and run, and must print the same.
#[test]
fn pushfstring_and_error_formats_as_luajit() {
    check_host("fstring");
    let lj = std::env::var("LIBLUAJIT")
        .unwrap_or_else(|_| "/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2".into());
    if !Path::new(&lj).exists() {
        return;
    }
    let exe = tmp_dir("fstring").join("luajit");
    let src = root().join("tests/capi/fstring.c");
    let inc = format!("-I{}", root().join("include").display());
    cc(&[
        "-Wall",
        &inc,
        "-o",
        exe.to_str().unwrap(),
        src.to_str().unwrap(),
        &lj,
    ]);
    let out = Command::new(&exe).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), expected("fstring"), "luajit's library differs");
}

#[test]
fn coroutines_and_debug_api() {
    check_host("coro_debug");
}

/// The JIT is plugged into states of the shared and of the static library
/// (the static link has no constructor: the C API installs it lazily).
#[cfg(feature = "jit")]
#[test]
fn jit_in_shared_and_static_library() {
    check_host("jit_status");
}

#[test]
fn unprotected_errors_panic() {
    for stat in [false, true] {
        let exe = build_host("panic", stat);
        let out = Command::new(&exe).arg("atpanic").output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out),
            "before\nmy_panic: [string \"error('unprotected!')\"]:1: unprotected!\n"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("PANIC: unprotected error in call to Lua API ([string \"error('unprotected!')\"]:1: unprotected!)"),
            "{}",
            err
        );
        let out = Command::new(&exe).arg("plain").output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("PANIC: unprotected error"));
        let out = Command::new(&exe).arg("checkstack").output().unwrap();
        assert!(out.status.success());
        assert_eq!(text(&out), "pcall: 2 stack overflow (too many values)\n");
    }
}

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lunatrace"));
    c.env_remove("LUA_PATH").env_remove("LUA_INIT");
    c
}

#[test]
fn c_module_via_require() {
    let d = tmp_dir("tmod");
    let so = d.join("tmod.so");
    let inc = format!("-I{}", root().join("include").display());
    let src = root().join("tests/capi/tmod.c");
    cc(&[
        "-shared",
        "-fPIC",
        &inc,
        "-o",
        so.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    std::fs::copy(&so, d.join("v2-sub.so")).unwrap();
    // Interpreted, with the JIT's defaults, and forced hot (the loops
    // calling C functions end their traces at the call: stitched).
    for mode in ["-joff", "-O3", "-Ohotloop=1", "-Ohotloop=1,hotexit=1"] {
        let out = cli()
            .env("LUA_CPATH", format!("{}/?.so", d.display()))
            .args(["-jv", mode, "-e"])
            .arg(format!("TMOD_PATH='{}'", so.display()))
            .arg("tests/capi/tmod.lua")
            .current_dir(root())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {}", mode, err);
        assert_eq!(text(&out), expected("tmod"), "{}", mode);
        if mode.contains("hotloop=1") {
            assert!(err.contains("tmod.lua:29 stitch lua_CFunction]"), "{}", err);
            assert!(err.contains("tmod.lua:33 stitch lua_CFunction]"), "{}", err);
            assert!(!err.contains("NYI: codegen"), "{}", err);
        }
    }
}

/// Run a Lua workout script of the Debian modules with the CLI.
fn debian_workout(module: &str, script: &str) {
    let so = format!("/usr/lib/x86_64-linux-gnu/lua/5.1/{}.so", module);
    assert!(Path::new(&so).exists(), "{} is not installed", so);
    let out = cli()
        .env("LUA_CPATH", "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so")
        .arg(root().join("tests/capi").join(script))
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = text(&out);
    assert!(
        out.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.ends_with("ok\n"), "{}", stdout);
}

#[test]
#[ignore = "needs lua-cjson"]
fn debian_lua_cjson() {
    debian_workout("cjson", "cjson_workout.lua");
}

#[test]
#[ignore = "needs lua-lpeg"]
fn debian_lua_lpeg() {
    debian_workout("lpeg", "lpeg_workout.lua");
}

#[test]
#[ignore = "needs lua-filesystem"]
fn debian_lua_filesystem() {
    debian_workout("lfs", "lfs_workout.lua");
}

/// lfs.lock/unlock/setmode on io handles: lfs takes the `FILE*` from the
/// handle and locks its descriptor (checked in /proc/locks).
#[test]
#[ignore = "needs lua-filesystem"]
fn debian_lua_filesystem_io_handles() {
    debian_workout("lfs", "lfs_io_handles.lua");
}

/// C levels in tracebacks and `jit.profile.dumpstack` as luajit shows
/// them: a C function called from C (no name) as `[C]: at 0x<its
/// address>` / `@0x...`, and the CLI's own level below the main chunk
/// (luajit's `pmain`); `tests/capi/cframes.expected` is luajit's output
/// with the addresses left out.
#[test]
fn c_levels_in_tracebacks_as_luajit() {
    let so = common::build_shared("tests/capi/cframes.c", "cframes", "cframes.so");
    let d = so.parent().unwrap().to_path_buf();
    let run = |mut c: Command| {
        let out = c
            .env("LUA_CPATH", format!("{}/?.so", d.display()))
            .arg("tests/capi/cframes.lua")
            .current_dir(root())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        common::no_addresses(&(text(&out) + &String::from_utf8_lossy(&out.stderr)))
            .replace("luajit: ", "lunatrace: ")
    };
    let got = run(cli());
    assert_eq!(got, expected("cframes"));
    if common::have("luajit") {
        let mut lj = Command::new("luajit");
        lj.env_remove("LUA_PATH").env_remove("LUA_INIT");
        assert_eq!(run(lj), got, "luajit differs");
    }
}
