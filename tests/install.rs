//! `scripts/install.sh PREFIX`: installs the CLI, liblunatrace (shared and
//! static), the headers and `lunatrace.pc` under a temporary prefix; a C
//! host then compiles with `pkg-config`'s flags (shared) and against the
//! static library, and both run Lua through the C API.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `debug` or `release`: the profile of this test binary.
fn profile() -> String {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.file_name().unwrap().to_str().unwrap().to_string()
}

const HOST: &str = r#"
#include <stdio.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
int main(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_dostring(L, "local s = 0 for i = 1, 1000 do s = s + i end return ('sum=%d'):format(s)")) {
    printf("error: %s\n", lua_tostring(L, -1));
    return 1;
  }
  printf("%s\n", lua_tostring(L, -1));
  lua_close(L);
  return 0;
}
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{:?}: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs pkg-config"]
fn install_and_build_a_c_host() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("install");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let prefix = tmp.join("prefix");
    run(Command::new(root().join("scripts/install.sh"))
        .arg(&prefix)
        .env("PROFILE", profile())
        .env("CARGO", env!("CARGO")));
    for f in [
        "bin/lunatrace",
        "lib/liblunatrace.so",
        "lib/liblunatrace.a",
        "include/lunatrace/lua.h",
        "include/lunatrace/luajit.h",
        "lib/pkgconfig/lunatrace.pc",
    ] {
        assert!(prefix.join(f).exists(), "{} missing", f);
    }
    // The installed CLI runs.
    let v = run(Command::new(prefix.join("bin/lunatrace")).args(["-e", "print(1 + 1)"]));
    assert_eq!(v, "2\n");

    // Shared: flags from pkg-config.
    let src = tmp.join("host.c");
    std::fs::write(&src, HOST).unwrap();
    let pc_path = prefix.join("lib/pkgconfig");
    let flags = run(Command::new("pkg-config")
        .args(["--cflags", "--libs", "lunatrace"])
        .env("PKG_CONFIG_PATH", &pc_path));
    assert!(flags.contains("-llunatrace"), "{}", flags);
    let exe = tmp.join("host_shared");
    run(Command::new("cc")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .args(flags.split_whitespace()));
    assert_eq!(run(&mut Command::new(&exe)), "sum=500500\n");

    // Static: the archive, with the private libraries pkg-config lists.
    let cflags = run(Command::new("pkg-config")
        .args(["--cflags", "lunatrace"])
        .env("PKG_CONFIG_PATH", &pc_path));
    let private = run(Command::new("pkg-config")
        .args(["--static", "--libs-only-l", "lunatrace"])
        .env("PKG_CONFIG_PATH", &pc_path));
    let exe = tmp.join("host_static");
    run(Command::new("cc")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .args(cflags.split_whitespace())
        .arg(prefix.join("lib/liblunatrace.a"))
        .args(private.split_whitespace().filter(|f| *f != "-llunatrace")));
    assert_eq!(run(&mut Command::new(&exe)), "sum=500500\n");
}
