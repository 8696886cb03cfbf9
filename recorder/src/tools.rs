//! The JIT's tool modules, ours (not LuaJIT's), registered in
//! `package.preload` so `require` finds them before any file on
//! `package.path`:
//!
//! - `jit.v`: `on([file])`/`off()` (and `start`/`stop`): the `-jv` trace
//!   lines (`Jit::set_verbose`, the same output as `-jv`) to `file`
//!   ("-": stdout; default stderr).
//! - `jit.dump`: `on([opts [, file]])`/`off()`: the `-jdump` listing of
//!   each trace (IR and Cranelift IR; the option letters LuaJIT takes are
//!   accepted and do not select parts) to `file` ("-" or none: stdout).
//! - `jit.vmdef`: `bcnames` (our opcode names, 6 characters each, by op
//!   number, as LuaJIT's `vmdef.bcnames` is laid out), `ffnames`
//!   (builtin number -> name, `vm/builtin_id.rs`), and the IR tables
//!   `jit.util.traceir` is read with: `irnames` (our IR op names by op
//!   number, 6 characters each as in LuaJIT, so the longer ones are cut:
//!   `TSETMETA` is `TSETME`), `irfpm` (`FPMATH`'s functions, from 0),
//!   `ircall` (the runtime helpers traces call, from 0, whose addresses
//!   `jit.util.ircalladdr` gives) and `irfield` (empty: our IR has no
//!   numbered fields).
//! - `jit.bc` (`tools/bc.lua`): bytecode listings through `jit.util`.
//! - `jit.bcsave` (`tools/bcsave.lua`): the `-b` command line.
//!
//! - `jit.profile` (`vm/profile.rs`): the sampling profiler's API.
//! - `jit.p` (`tools/p.lua`): its report front end (`-jp`).
//!
//! Not provided: `jit.dis_*`, `jit.zone` (`require` fails with "module
//! not found").

use crate::Jit;
use lunatrace_vm::error::LuaResult;
use lunatrace_vm::object::{str_bytes, NativeFn};
use lunatrace_vm::{Value, Vm};
use std::io::Write;

/// Lua sources of the modules written in Lua: (module, chunk name, text).
const LUA_MODULES: &[(&str, &str, &str)] = &[
    ("jit.bc", "=jit/bc.lua", include_str!("tools/bc.lua")),
    (
        "jit.bcsave",
        "=jit/bcsave.lua",
        include_str!("tools/bcsave.lua"),
    ),
    ("jit.p", "=jit/p.lua", include_str!("tools/p.lua")),
    ("jit.zone", "=jit/zone.lua", include_str!("tools/zone.lua")),
];

/// Modules made in Rust: (module, loader).
const RUST_MODULES: &[(&str, NativeFn)] = &[
    ("jit.v", open_v),
    ("jit.dump", open_dump),
    ("jit.vmdef", open_vmdef),
    ("jit.profile", open_profile),
];

/// Register the tool modules' loaders.
pub fn open(vm: &mut Vm) {
    let pkg = vm.get_global("package");
    if !pkg.is_table() {
        return;
    }
    let pre = vm.get_field(pkg, "preload");
    if !pre.is_table() {
        return;
    }
    for &(name, f) in RUST_MODULES {
        let fv = vm.new_native(f, name);
        vm.set_field(pre, name, fv);
    }
    for &(name, _, _) in LUA_MODULES {
        let fv = vm.new_native(open_lua_module, name);
        vm.set_field(pre, name, fv);
    }
}

/// Loader of a module written in Lua (its name is the argument).
fn open_lua_module(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm.check_str(1)?;
    let Some(&(_, chunk, src)) = LUA_MODULES
        .iter()
        .find(|m| m.0.as_bytes() == str_bytes(name))
    else {
        return Err(vm.rt_error("unknown tool module"));
    };
    let f = vm.load(src.as_bytes(), chunk)?;
    let r = vm.call_values(f, &[name])?;
    vm.push(r.first().copied().unwrap_or(Value::NIL));
    Ok(1)
}

/// Run `f` on the VM's JIT (if it is a `Jit`).
fn with_jit<R>(vm: &mut Vm, f: impl FnOnce(&mut Jit, &mut Vm) -> R) -> Option<R> {
    let mut j = vm.jit.take()?;
    let r = j.as_any().downcast_mut::<Jit>().map(|jit| f(jit, vm));
    vm.jit = Some(j);
    r
}

/// Where a tool writes: file argument `i` ("-": stdout; absent: `dflt`).
fn out_arg(vm: &mut Vm, i: usize, stdout_default: bool) -> LuaResult<Box<dyn Write>> {
    let name = vm.opt_str(i)?;
    let name = name.map(|n| String::from_utf8_lossy(str_bytes(n)).into_owned());
    match name.as_deref() {
        Some("-") => Ok(Box::new(lunatrace_vm::cstdio::CStdout)),
        None if stdout_default => Ok(Box::new(lunatrace_vm::cstdio::CStdout)),
        None => Ok(Box::new(std::io::stderr())),
        Some(f) => match std::fs::File::create(f) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) => Err(vm.rt_error(&format!("cannot open {}: {}", f, e))),
        },
    }
}

fn module(vm: &mut Vm, funcs: &[(&'static str, NativeFn)]) -> LuaResult<usize> {
    let m = vm.new_table_value(0, funcs.len());
    for &(name, f) in funcs {
        let fv = vm.new_native(f, name);
        vm.set_field(m, name, fv);
    }
    vm.push(m);
    Ok(1)
}

/// Whether `f` is one of the tool functions that reach the JIT
/// (`lib_jit::is_jit_native`).
pub(crate) fn is_tool_native(f: NativeFn) -> bool {
    let tools: [NativeFn; 4] = [v_on, v_off, dump_on, dump_off];
    tools.iter().any(|&g| std::ptr::fn_addr_eq(f, g))
}

fn open_v(vm: &mut Vm) -> LuaResult<usize> {
    module(vm, &[("on", v_on), ("off", v_off), ("start", v_on)])
}

fn v_on(vm: &mut Vm) -> LuaResult<usize> {
    // (LuaJIT's `jit.v` reads LUAJIT_VERBOSEFILE when no file is given.)
    if vm.arg(1).is_nil() {
        if let Ok(f) = std::env::var("LUAJIT_VERBOSEFILE") {
            let w = named_out(vm, &f)?;
            with_jit(vm, |j, _| j.set_verbose(w));
            return Ok(0);
        }
    }
    let w = out_arg(vm, 1, false)?;
    with_jit(vm, |j, _| j.set_verbose(w));
    Ok(0)
}

fn named_out(vm: &mut Vm, f: &str) -> LuaResult<Box<dyn Write>> {
    if f == "-" {
        return Ok(Box::new(lunatrace_vm::cstdio::CStdout));
    }
    match std::fs::File::create(f) {
        Ok(f) => Ok(Box::new(f)),
        Err(e) => Err(vm.rt_error(&format!("cannot open {}: {}", f, e))),
    }
}

fn v_off(vm: &mut Vm) -> LuaResult<usize> {
    with_jit(vm, |j, _| {
        if let Some(w) = j.verbose.as_mut() {
            let _ = w.flush();
        }
        j.verbose = None;
    });
    Ok(0)
}

fn open_dump(vm: &mut Vm) -> LuaResult<usize> {
    module(
        vm,
        &[("on", dump_on), ("off", dump_off), ("start", dump_on)],
    )
}

fn dump_on(vm: &mut Vm) -> LuaResult<usize> {
    if !vm.arg(1).is_nil() {
        vm.check_str(1)?;
    }
    let w = out_arg(vm, 2, true)?;
    with_jit(vm, |j, vm| {
        // (Traces are compiled in the foreground while dumping.)
        j.finish_pending(vm);
        j.set_dump(w);
    });
    Ok(0)
}

fn dump_off(vm: &mut Vm) -> LuaResult<usize> {
    with_jit(vm, |j, _| j.clear_dump());
    Ok(0)
}

fn open_vmdef(vm: &mut Vm) -> LuaResult<usize> {
    let mut names = String::new();
    for n in lunatrace_vm::bytecode::OP_NAMES {
        names.push_str(&format!("{:<6}", n));
    }
    let m = vm.new_table_value(0, 2);
    let s = vm.intern(names.as_bytes());
    vm.set_field(m, "bcnames", s);
    let ff = vm.new_table_value(256, 0);
    for &(lib, name, id) in lunatrace_vm::builtin_id::TABLE {
        let full = match lib {
            "_G" | "aux" => name.to_string(),
            _ => format!("{}.{}", lib, name),
        };
        let s = vm.intern(full.as_bytes());
        if let Some(t) = ff.as_table_ptr() {
            let _ = lunatrace_vm::table::set_int(&mut vm.heap, t, id as i64, s);
        }
    }
    vm.set_field(m, "ffnames", ff);
    // The IR tables, from the IR's op table (`ir/src/ops.rs`) and the
    // helper table (`vm/src/helpers.rs`), laid out as LuaJIT's.
    let mut names = String::new();
    for n in lunatrace_ir::ops::OP_NAMES {
        let n: String = n.chars().take(6).collect();
        names.push_str(&format!("{:<6}", n));
    }
    let s = vm.intern(names.as_bytes());
    vm.set_field(m, "irnames", s);
    let list = |vm: &mut Vm, items: &mut dyn Iterator<Item = &str>| -> LuaResult<Value> {
        let t = vm.new_table_value(0, 0);
        if let Some(tp) = t.as_table_ptr() {
            for (i, n) in items.enumerate() {
                let s = vm.intern(n.as_bytes());
                lunatrace_vm::table::set_int(&mut vm.heap, tp, i as i64, s)
                    .map_err(|_| vm.memory_error())?;
            }
        }
        Ok(t)
    };
    let fpm = list(
        vm,
        &mut lunatrace_ir::ops::FpMath::ALL.iter().map(|f| f.name()),
    )?;
    vm.set_field(m, "irfpm", fpm);
    let calls = list(
        vm,
        &mut lunatrace_vm::helpers::Helper::ALL.iter().map(|h| h.name()),
    )?;
    vm.set_field(m, "ircall", calls);
    // (LuaJIT's FLOAD/FREF field numbers: our IR loads each field with an
    // op of its own, so there are none.)
    let fields = vm.new_table_value(0, 0);
    vm.set_field(m, "irfield", fields);
    vm.push(m);
    Ok(1)
}

fn open_profile(vm: &mut Vm) -> LuaResult<usize> {
    let n = module(vm, lunatrace_vm::profile::FUNCS)?;
    // (`tostring(f)` and `dumpstack` show their builtin numbers.)
    let m = vm.th().stack[vm.th().top - 1];
    lunatrace_vm::builtin_id::note(vm, "jit.profile", m);
    Ok(n)
}
