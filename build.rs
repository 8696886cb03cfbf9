//! Build script of the `lunatrace` package: the CLI exports its symbols
//! dynamically (as `lua` and `luajit` do) so that C modules loaded with
//! `require` resolve the Lua C API (`lua_*`, `luaL_*`) against it.

fn main() {
    println!("cargo:rustc-link-arg-bins=-rdynamic");
    println!("cargo:rerun-if-changed=build.rs");
}
