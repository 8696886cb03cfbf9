//! Generates `exports.rs`: the list of every `#[no_mangle]` function of the
//! crate, so that executables can force all of them into the link.

use std::fmt::Write;

fn main() {
    let mut names = Vec::new();
    let dir = std::path::Path::new("src");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = std::fs::read_to_string(&f).unwrap();
        let mut pending = false;
        for line in text.lines() {
            let t = line.trim();
            if t == "#[no_mangle]" {
                pending = true;
                continue;
            }
            if pending && t.contains("fn ") && !t.starts_with("#") {
                let after = &t[t.find("fn ").unwrap() + 3..];
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
                pending = false;
            }
        }
        // luaopen_* made by the macro in libs.rs.
        for line in text.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("luaopen_") {
                if t.contains("=>") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.push(format!("luaopen_{}", name));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    let mut out = String::from("vec![\n");
    for n in &names {
        let module = "crate::";
        let _ = writeln!(
            out,
            "        {}{} as *const () as usize,",
            module,
            path_of(n)
        );
    }
    out.push_str("]\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("exports.rs");
    std::fs::write(dest, out).unwrap();
}

/// Module path of an exported function (all are re-exported at the root of
/// their module; the generated code names them through the module).
fn path_of(name: &str) -> String {
    let m = if name.starts_with("luaL_") || name.starts_with("luaI_") {
        "aux"
    } else if name.starts_with("luaopen_") || name.starts_with("luaJIT_") {
        "libs"
    } else if matches!(
        name,
        "lua_getstack"
            | "lua_getinfo"
            | "lua_getlocal"
            | "lua_setlocal"
            | "lua_getupvalue"
            | "lua_setupvalue"
            | "lua_sethook"
            | "lua_gethook"
            | "lua_gethookmask"
            | "lua_gethookcount"
    ) {
        "debug"
    } else if matches!(name, "lua_pushfstring" | "lua_pushvfstring") {
        "varargs"
    } else {
        "api"
    };
    let m = match name {
        "luaL_error" => "varargs",
        "luaL_openlibs" => "libs",
        _ => m,
    };
    format!("{}::{}", m, name)
}
