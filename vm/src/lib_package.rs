//! The `package` library and `require`: `package.path`, `cpath`,
//! `loaded`, `preload`, `loaders` (preload, Lua-file, C and all-in-one
//! searchers, as LuaJIT has), `loadlib`, `searchpath`, `seeall` and
//! `module`. C libraries are opened through `Vm::c_loader`, which the C API
//! layer installs; without it a C module that is found is reported as not
//! loadable ("dynamic libraries not enabled").

use crate::error::LuaResult;
use crate::object::*;
use crate::state::{CLoadError, Vm};
use crate::table;
use crate::value::Value;

// The defaults of the reference `luajit` build (2.1.0-beta3 on Debian),
// without its own directory (`/usr/share/luajit-2.1.0-beta3/?.lua`): its
// `jit.*` tool modules are LuaJIT's, which read LuaJIT's internals; ours
// come from `package.preload` (`recorder/tools.rs`).
const DEFAULT_PATH: &str =
    "./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua";
const DEFAULT_CPATH: &str = "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so";

/// Register `package`, `require` and `module`. `use_env`: honour
/// `LUA_PATH`/`LUA_CPATH` (false for `-E`).
pub fn open_with_env(vm: &mut Vm, use_env: bool) {
    let pkg = vm.register_lib(
        "package",
        &[
            ("loadlib", loadlib),
            ("searchpath", searchpath),
            ("seeall", seeall),
        ],
    );
    let loaded = vm.loaded_table();
    vm.set_field(pkg, "loaded", loaded);
    let preload = vm.new_table_value(0, 4);
    vm.set_field(pkg, "preload", preload);
    for (field, var, def) in [
        ("path", "LUA_PATH", DEFAULT_PATH),
        ("cpath", "LUA_CPATH", DEFAULT_CPATH),
    ] {
        let v = match std::env::var(var) {
            Ok(s) if use_env => s.replace(";;", &format!(";{};", def)),
            _ => def.to_string(),
        };
        let sv = vm.intern(v.as_bytes());
        vm.set_field(pkg, field, sv);
    }
    let cfg = vm.intern(b"/\n;\n?\n!\n-\n");
    vm.set_field(pkg, "config", cfg);
    let loaders = vm.new_table_value(4, 0);
    let l1 = vm.new_native(loader_preload, "loader_preload");
    let l2 = vm.new_native(loader_lua, "loader_lua");
    let l3 = vm.new_native(loader_c, "loader_c");
    let l4 = vm.new_native(loader_croot, "loader_croot");
    let lt = loaders.as_table_ptr().unwrap();
    let _ = table::set_int(&mut vm.heap, lt, 1, l1);
    let _ = table::set_int(&mut vm.heap, lt, 2, l2);
    let _ = table::set_int(&mut vm.heap, lt, 3, l3);
    let _ = table::set_int(&mut vm.heap, lt, 4, l4);
    vm.set_field(pkg, "loaders", loaders);
    let reg = Value::from_table(vm.registry);
    vm.set_field(reg, "_PACKAGE", pkg);
    let g = Value::from_table(vm.globals);
    let req = vm.new_native(require, "require");
    vm.set_field(g, "require", req);
    let m = vm.new_native(module, "module");
    vm.set_field(g, "module", m);
}

pub fn open(vm: &mut Vm) {
    open_with_env(vm, true)
}

fn package_table(vm: &mut Vm) -> Value {
    let reg = Value::from_table(vm.registry);
    vm.get_field(reg, "_PACKAGE")
}

/// Search `path` (";"-separated templates) for `name`; returns the file or
/// the "\n\tno file '...'" list of places tried.
pub fn search_path(name: &str, path: &str, sep: &str, rep: &str) -> Result<String, String> {
    let name = if sep.is_empty() {
        name.to_string()
    } else {
        name.replace(sep, rep)
    };
    let mut tried = String::new();
    for tpl in path.split(';') {
        if tpl.is_empty() {
            continue;
        }
        let f = tpl.replace('?', &name);
        if std::fs::File::open(&f).is_ok() {
            return Ok(f);
        }
        tried.push_str(&format!("\n\tno file '{}'", f));
    }
    Err(tried)
}

fn searchpath(vm: &mut Vm) -> LuaResult<usize> {
    let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let path = String::from_utf8_lossy(vm.check_bytes(2)?).into_owned();
    let sep = match vm.opt_str(3)? {
        Some(s) => String::from_utf8_lossy(str_bytes(s)).into_owned(),
        None => ".".into(),
    };
    let rep = match vm.opt_str(4)? {
        Some(s) => String::from_utf8_lossy(str_bytes(s)).into_owned(),
        None => "/".into(),
    };
    match search_path(&name, &path, &sep, &rep) {
        Ok(f) => {
            let v = vm.intern(f.as_bytes());
            vm.push(v);
            Ok(1)
        }
        Err(t) => {
            vm.push(Value::NIL);
            let v = vm.intern(t.as_bytes());
            vm.push(v);
            Ok(2)
        }
    }
}

fn loader_preload(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm.check_str(1)?;
    let pkg = package_table(vm);
    let pre = vm.get_field(pkg, "preload");
    let Some(pre) = pre.as_table_ptr() else {
        return Err(vm.rt_error("'package.preload' must be a table"));
    };
    let f = table::get(pre, name);
    if f.is_nil() {
        let msg = format!(
            "\n\tno field package.preload['{}']",
            String::from_utf8_lossy(str_bytes(name))
        );
        let v = vm.intern(msg.as_bytes());
        vm.push(v);
    } else {
        vm.push(f);
    }
    Ok(1)
}

fn loader_lua(vm: &mut Vm) -> LuaResult<usize> {
    let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let pkg = package_table(vm);
    let path = vm.get_field(pkg, "path");
    if !path.is_str() {
        return Err(vm.rt_error("'package.path' must be a string"));
    }
    let path = String::from_utf8_lossy(str_bytes(path)).into_owned();
    match search_path(&name, &path, ".", "/") {
        Ok(file) => match crate::lib_base::load_file(vm, Some(&file)) {
            Ok(f) => {
                vm.push(f);
                Ok(1)
            }
            Err(e) => {
                let msg = format!(
                    "error loading module '{}' from file '{}':\n\t{}",
                    name,
                    file,
                    String::from_utf8_lossy(str_bytes(e.value))
                );
                Err(vm.rt_error(&msg))
            }
        },
        Err(tried) => {
            let v = vm.intern(tried.as_bytes());
            vm.push(v);
            Ok(1)
        }
    }
}

/// `package.cpath` as a string, or the error LuaJIT raises.
fn cpath(vm: &mut Vm) -> LuaResult<String> {
    let pkg = package_table(vm);
    let path = vm.get_field(pkg, "cpath");
    if !path.is_str() {
        return Err(vm.rt_error("'package.cpath' must be a string"));
    }
    Ok(String::from_utf8_lossy(str_bytes(path)).into_owned())
}

/// A C library was found at `file` but cannot be loaded: there is no C API.
fn c_load_error(vm: &mut Vm, name: &str, file: &str) -> crate::error::LuaError {
    let msg = format!(
        "error loading module '{}' from file '{}':\n\tdynamic libraries not enabled; check your Lua installation",
        name, file
    );
    vm.rt_error(&msg)
}

/// The entry point of C module `name`: `luaopen_` and the name after the
/// first hyphen with dots replaced by underscores (Lua 5.1's rule).
fn c_funcname(name: &str) -> String {
    let base = match name.find('-') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    format!("luaopen_{}", base.replace('.', "_"))
}

/// Load `sym` from the C library `file` for module `name`; `Ok(None)` when
/// the library opened but has no such symbol (the caller decides).
fn c_load(vm: &mut Vm, name: &str, file: &str, sym: &str) -> LuaResult<Result<Value, String>> {
    let Some(loader) = vm.c_loader else {
        return Err(c_load_error(vm, name, file));
    };
    match loader(vm, file, sym) {
        Ok(f) => Ok(Ok(f)),
        Err(CLoadError::Init(m)) => Ok(Err(m)),
        Err(CLoadError::Open(m)) => {
            let msg = format!(
                "error loading module '{}' from file '{}':\n\t{}",
                name, file, m
            );
            Err(vm.rt_error(&msg))
        }
    }
}

/// Searcher 3: a C library for `name` on `package.cpath`.
fn loader_c(vm: &mut Vm) -> LuaResult<usize> {
    let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let path = cpath(vm)?;
    match search_path(&name, &path, ".", "/") {
        Ok(file) => match c_load(vm, &name, &file, &c_funcname(&name))? {
            Ok(f) => {
                vm.push(f);
                Ok(1)
            }
            Err(m) => {
                let msg = format!(
                    "error loading module '{}' from file '{}':\n\t{}",
                    name, file, m
                );
                Err(vm.rt_error(&msg))
            }
        },
        Err(tried) => {
            let v = vm.intern(tried.as_bytes());
            vm.push(v);
            Ok(1)
        }
    }
}

/// Searcher 4 ("all-in-one"): for `a.b.c`, the C library of the root `a`.
/// Names without a dot are not its business (no result).
fn loader_croot(vm: &mut Vm) -> LuaResult<usize> {
    let name = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let Some(dot) = name.find('.') else {
        return Ok(0);
    };
    let path = cpath(vm)?;
    match search_path(&name[..dot], &path, ".", "/") {
        Ok(file) => match c_load(vm, &name, &file, &c_funcname(&name))? {
            Ok(f) => {
                vm.push(f);
                Ok(1)
            }
            Err(_) => {
                let msg = format!("\n\tno module '{}' in file '{}'", name, file);
                let v = vm.intern(msg.as_bytes());
                vm.push(v);
                Ok(1)
            }
        },
        Err(tried) => {
            let v = vm.intern(tried.as_bytes());
            vm.push(v);
            Ok(1)
        }
    }
}

/// `package.loadlib(path, funcname)`: the C function, or nil, a message
/// and "open" or "init". `funcname` "*" only loads the library globally.
fn loadlib(vm: &mut Vm) -> LuaResult<usize> {
    let path = String::from_utf8_lossy(vm.check_bytes(1)?).into_owned();
    let sym = String::from_utf8_lossy(vm.check_bytes(2)?).into_owned();
    let r = match vm.c_loader {
        Some(loader) => loader(vm, &path, &sym),
        None => Err(CLoadError::Open(
            "dynamic libraries not enabled; check your Lua installation".into(),
        )),
    };
    let (msg, what) = match r {
        Ok(f) => {
            vm.push(f);
            return Ok(1);
        }
        Err(CLoadError::Open(m)) => (m, "open"),
        Err(CLoadError::Init(m)) => (m, "init"),
    };
    vm.push(Value::NIL);
    let m = vm.intern(msg.as_bytes());
    vm.push(m);
    let w = vm.intern(what.as_bytes());
    vm.push(w);
    Ok(3)
}

/// Sentinel stored in `package.loaded[name]` while a module loads.
fn loading_sentinel(vm: &mut Vm) -> Value {
    let reg = Value::from_table(vm.registry);
    let s = vm.get_field(reg, "_LOADING");
    if s.as_udata_ptr().is_some() {
        return s;
    }
    let env = vm.globals.as_ptr();
    let u = Value::from_udata(vm.heap.new_udata(0, env));
    vm.set_field(reg, "_LOADING", u);
    u
}

fn require(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm.check_str(1)?;
    let loaded = vm.loaded_table();
    let lt = loaded.as_table_ptr().unwrap();
    let v = table::get(lt, name);
    let sentinel = loading_sentinel(vm);
    if v.truthy() {
        if v.raw_eq(sentinel) {
            let msg = format!(
                "loop or previous error loading module '{}'",
                String::from_utf8_lossy(str_bytes(name))
            );
            return Err(vm.rt_error(&msg));
        }
        vm.push(v);
        return Ok(1);
    }
    let pkg = package_table(vm);
    let loaders = vm.get_field(pkg, "loaders");
    let Some(lds) = loaders.as_table_ptr() else {
        return Err(vm.rt_error("'package.loaders' must be a table"));
    };
    // Keep the loader function and message on our frame while calling.
    let mut msg = Vec::new();
    let mut i = 1;
    let loader = loop {
        let f = table::get_int(lds, i);
        if f.is_nil() {
            let m = format!(
                "module '{}' not found:{}",
                String::from_utf8_lossy(str_bytes(name)),
                String::from_utf8_lossy(&msg)
            );
            return Err(vm.rt_error(&m));
        }
        let r = vm.call_values(f, &[name])?;
        let r0 = r.first().copied().unwrap_or(Value::NIL);
        if r0.is_func() {
            break r0;
        }
        if r0.is_str() {
            msg.extend_from_slice(str_bytes(r0));
        }
        i += 1;
    };
    vm.push(loader);
    vm.raw_set(lt, name, sentinel)?;
    let r = vm.call_values(loader, &[name])?;
    let r0 = r.first().copied().unwrap_or(Value::NIL);
    if !r0.is_nil() {
        vm.raw_set(lt, name, r0)?;
    }
    let cur = table::get(lt, name);
    if cur.raw_eq(sentinel) {
        vm.raw_set(lt, name, Value::TRUE)?;
    }
    let v = table::get(lt, name);
    vm.push(v);
    Ok(1)
}

fn seeall(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let mt = match table::meta(t) {
        Some(m) => m,
        None => {
            let m = vm.new_table(0, 1);
            table::set_meta(t, Some(m));
            m
        }
    };
    let g = Value::from_table(vm.globals);
    vm.set_field(Value::from_table(mt), "__index", g);
    Ok(0)
}

/// `module(name, ...)`: create or reuse the module table, set `_NAME`,
/// `_M`, `_PACKAGE`, make it the caller's environment and apply options.
fn module(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm.check_str(1)?;
    let nstr = String::from_utf8_lossy(str_bytes(name)).into_owned();
    let loaded = vm.loaded_table();
    let lt = loaded.as_table_ptr().unwrap();
    let mut m = table::get(lt, name);
    if !m.is_table() {
        // Find or create the (dotted) table from the globals.
        let mut t = Value::from_table(vm.globals);
        for part in nstr.split('.') {
            let k = vm.intern(part.as_bytes());
            let tp = t.as_table_ptr().unwrap();
            let mut n = table::get(tp, k);
            if n.is_nil() {
                n = vm.new_table_value(0, 4);
                vm.raw_set(tp, k, n)?;
            } else if !n.is_table() {
                return Err(vm.rt_error(&format!("name conflict for module '{}'", nstr)));
            }
            t = n;
        }
        m = t;
        vm.raw_set(lt, name, m)?;
    }
    if vm.get_field(m, "_NAME").is_nil() {
        vm.set_field(m, "_M", m);
        vm.set_field(m, "_NAME", name);
        let pkgname = match nstr.rfind('.') {
            Some(i) => &nstr[..=i],
            None => "",
        };
        let p = vm.intern(pkgname.as_bytes());
        vm.set_field(m, "_PACKAGE", p);
    }
    // Set the environment of the calling Lua function.
    let th = vm.th();
    let n = th.frames.len();
    if n >= 2 {
        let f = th.stack[th.frames[n - 2].func as usize];
        if let Some(fp) = f.as_func_ptr() {
            // SAFETY: live function object.
            unsafe {
                if (*fp.as_ptr()).native.is_none() {
                    (*fp.as_ptr()).env = m.as_table_ptr().unwrap().as_ptr();
                }
            }
        }
    }
    for i in 2..=vm.nargs() {
        let opt = vm.arg(i);
        vm.call_values(opt, &[m])?;
    }
    Ok(0)
}
