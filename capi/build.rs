//! Compiles `src/varargs.c` (the bodies of the C-variadic API functions,
//! with unwind tables: errors unwind through them) into a static library
//! that `src/varargs.rs` links, and generates `exports.rs`: the list of
//! every `#[no_mangle]` function of the crate (named through the module of
//! the file defining it), so that executables can force all of them into
//! the link.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../include");
    cc::Build::new()
        .file("src/varargs.c")
        .include("../include")
        .flag("-fexceptions")
        .warnings(true)
        .extra_warnings(true)
        .compile("lunatrace_capi_varargs");
    let mut names = Vec::new();
    let dir = std::path::Path::new("src");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        if f.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let module = f.file_stem().unwrap().to_str().unwrap().to_string();
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
                    names.push((name, module.clone()));
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
                    names.push((format!("luaopen_{}", name), module.clone()));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    let mut out = String::from("vec![\n");
    for (n, module) in &names {
        let _ = writeln!(
            out,
            "        crate::{}::{} as *const () as usize,",
            module, n
        );
    }
    out.push_str("]\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("exports.rs");
    std::fs::write(dest, out).unwrap();
}
