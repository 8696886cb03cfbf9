//! The base library: `print`, `type`, `pairs`, `pcall`, `error`, `load`,
//! `setmetatable`, `collectgarbage`, ... as LuaJIT 2.1 provides them.

use crate::error::{LuaError, LuaResult};
use crate::object::*;
use crate::state::{Vm, MM};
use crate::table;
use crate::value::Value;
use std::ptr::NonNull;

/// Register the base library in the globals.
pub fn open(vm: &mut Vm) {
    let funcs: &[(&'static str, NativeFn)] = &[
        ("assert", assert),
        ("collectgarbage", collectgarbage),
        ("dofile", dofile),
        ("error", error),
        ("gcinfo", gcinfo),
        ("getfenv", getfenv),
        ("getmetatable", getmetatable),
        ("load", load),
        ("loadfile", loadfile),
        ("loadstring", loadstring),
        ("newproxy", newproxy),
        ("next", next),
        ("rawequal", rawequal),
        ("rawget", rawget),
        ("rawset", rawset),
        ("select", select),
        ("setfenv", setfenv),
        ("setmetatable", setmetatable),
        ("tonumber", tonumber),
        ("type", type_),
        ("unpack", unpack),
    ];
    let g = Value::from_table(vm.globals);
    for &(n, f) in funcs {
        let fv = vm.new_native(f, n);
        vm.set_field(g, n, fv);
    }
    // Natives with upvalues, as LuaJIT's (visible to `debug.getinfo` and
    // `debug.getupvalue`): `pairs` returns its own `next`, `ipairs` its
    // iterator, `print` keeps the name of the `tostring` it looks up.
    let nextf = vm.get_field(g, "next");
    let pf = vm.new_native_closure(pairs, "pairs", vec![nextf]);
    vm.set_field(g, "pairs", pf);
    let aux = vm.new_native(ipairs_aux, "ipairs_aux");
    crate::fastfunc::tag_value(aux, ffid::IPAIRS_AUX);
    let ipf = vm.new_native_closure(ipairs, "ipairs", vec![aux]);
    vm.set_field(g, "ipairs", ipf);
    let ts = vm.intern(b"tostring");
    let prf = vm.new_native_closure(print, "print", vec![ts]);
    vm.set_field(g, "print", prf);
    for (name, f) in [
        ("pcall", crate::interp::lib_pcall as NativeFn),
        ("xpcall", crate::interp::lib_xpcall as NativeFn),
        ("tostring", tostring as NativeFn),
    ] {
        let fv = vm.new_native(f, name);
        vm.set_field(g, name, fv);
    }
    crate::fastfunc::tag(vm, "_G", g);
    crate::builtin_id::note(vm, "_G", g);
    crate::builtin_id::note_fn("aux", "ipairs_aux", ipairs_aux);
    for name in [
        "nil", "boolean", "number", "string", "table", "function", "userdata", "thread",
    ] {
        // Interned up front so compiled `type()` calls find them.
        vm.intern(name.as_bytes());
    }
    let v = vm.intern(b"Lua 5.1");
    vm.set_field(g, "_VERSION", v);
    vm.set_field(g, "_G", g);
    let loaded = vm.loaded_table();
    vm.set_field(loaded, "_G", g);
}

fn assert(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    if v.truthy() {
        return Ok(vm.nargs());
    }
    let msg = vm.arg(2);
    if vm.nargs() < 2 || msg.is_nil() {
        return Err(vm.rt_error("assertion failed!"));
    }
    if msg.is_str() || msg.is_num() {
        let s = vm.tostring_basic(msg);
        return Err(vm.rt_error(&s));
    }
    Err(LuaError::runtime(msg))
}

fn collectgarbage(vm: &mut Vm) -> LuaResult<usize> {
    let opt = match vm.opt_str(1)? {
        Some(s) => String::from_utf8_lossy(str_bytes(s)).into_owned(),
        None => "collect".into(),
    };
    // An int argument, truncated (LuaJIT's `lj_lib_optint`).
    let arg = vm.opt_num(2, 0.0)?;
    let r = match opt.as_str() {
        "collect" => {
            // A full collection restarts a stopped collector (LuaJIT).
            vm.heap.stopped = false;
            vm.full_gc()?;
            vm.heap.step_done = false;
            Value::num(0.0)
        }
        "count" => Value::num(vm.heap.allocated as f64 / 1024.0),
        "step" => Value::bool(vm.gc_step(arg as i32)?),
        "stop" => {
            vm.heap.stopped = true;
            Value::num(0.0)
        }
        "restart" => {
            vm.heap.stopped = false;
            Value::num(0.0)
        }
        "setpause" => {
            let old = vm.heap.pause;
            vm.heap.pause = arg.max(0.0) as usize;
            Value::num(old as f64)
        }
        "setstepmul" => {
            let old = vm.heap.stepmul;
            vm.heap.stepmul = arg.max(0.0) as usize;
            Value::num(old as f64)
        }
        "isrunning" => Value::bool(!vm.heap.stopped),
        _ => return Err(vm.arg_error(1, &format!("invalid option '{}'", opt))),
    };
    vm.push(r);
    Ok(1)
}

fn gcinfo(vm: &mut Vm) -> LuaResult<usize> {
    let kb = (vm.heap.allocated / 1024) as f64;
    vm.push(Value::num(kb));
    Ok(1)
}

/// The system's text for an I/O error ("No such file or directory"),
/// without Rust's " (os error N)" suffix.
pub fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

/// The whole contents of file `n`, or "cannot open/read n: reason".
fn read_file(n: &str) -> Result<Vec<u8>, String> {
    let mut f =
        std::fs::File::open(n).map_err(|e| format!("cannot open {}: {}", n, os_error_text(&e)))?;
    let mut d = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut d)
        .map_err(|e| format!("cannot read {}: {}", n, os_error_text(&e)))?;
    Ok(d)
}

/// Read a file (or stdin for None) and compile it as a chunk, skipping a
/// leading `#` line.
pub fn load_file(vm: &mut Vm, name: Option<&str>) -> LuaResult<Value> {
    Ok(load_file_mode(vm, name, None)?.expect("any mode"))
}

/// `load_file` checking the chunk against `mode` ("b", "t", "bt"):
/// `Ok(None)` when the mode does not admit it.
pub fn load_file_mode(
    vm: &mut Vm,
    name: Option<&str>,
    mode: Option<&[u8]>,
) -> LuaResult<Option<Value>> {
    let (data, chunk) = match name {
        Some(n) => match read_file(n) {
            Ok(d) => (d, format!("@{}", n)),
            Err(msg) => {
                return Err(LuaError {
                    value: vm.intern(msg.as_bytes()),
                    status: crate::error::Status::Runtime,
                });
            }
        },
        None => {
            let mut d = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut d);
            (d, "=stdin".to_string())
        }
    };
    // (A byte-order mark may come before a `#!` line.)
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&data);
    let src: &[u8] = if data.first() == Some(&b'#') {
        // Keep the newline so line numbers stay right.
        let nl = data.iter().position(|&c| c == b'\n').unwrap_or(data.len());
        &data[nl..]
    } else {
        data
    };
    if mode.is_some_and(|m| !mode_allows(m, src)) {
        return Ok(None);
    }
    vm.load(src, &chunk).map(Some)
}

fn dofile(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm
        .opt_str(1)?
        .map(|s| String::from_utf8_lossy(str_bytes(s)).into_owned());
    let f = load_file(vm, name.as_deref())?;
    let base = vm.th().top;
    vm.push(f);
    let n = vm.call_at(base, 0, -1)?;
    Ok(n)
}

fn error(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let level = vm.opt_int(2, 1)?;
    if (v.is_str() || v.is_num()) && level > 0 {
        // Numbers count as strings here: they get the position too.
        let pos = vm.where_(level as usize);
        let s = format!(
            "{}{}",
            pos,
            String::from_utf8_lossy(str_bytes(vm.tostring(v)?))
        );
        return Err(LuaError::runtime(vm.intern(s.as_bytes())));
    }
    Err(LuaError::runtime(v))
}

/// The function at `level` of the call stack (1 = caller of the native),
/// counting an inlined `pcall` as a level as LuaJIT does.
fn level_func(vm: &mut Vm, level: usize) -> LuaResult<Option<Value>> {
    let th = vm.th();
    match crate::debuginfo::level_at(th, level) {
        Some(l) => Ok(Some(crate::debuginfo::level_func(vm, th, l))),
        None => Err(vm.arg_error(1, "invalid level")),
    }
}

fn func_env(f: Value) -> Option<NonNull<Table>> {
    // SAFETY: live function object.
    f.as_func_ptr()
        .and_then(|p| NonNull::new(unsafe { (*p.as_ptr()).env }))
}

fn getfenv(vm: &mut Vm) -> LuaResult<usize> {
    let a = vm.arg(1);
    let f = if a.is_func() {
        Some(a)
    } else {
        let lvl = vm.opt_int(1, 1)?;
        if lvl < 0 {
            return Err(vm.arg_error(1, "invalid level"));
        }
        if lvl == 0 {
            None
        } else {
            level_func(vm, lvl as usize)?
        }
    };
    let env = match f {
        None => NonNull::new(vm.th().env).unwrap_or(vm.globals),
        Some(f) => match func_env(f) {
            // Natives report the thread's globals, as LuaJIT does.
            // SAFETY: live function object.
            Some(e) if unsafe { (*f.as_func_ptr().unwrap().as_ptr()).native.is_none() } => e,
            _ => NonNull::new(vm.th().env).unwrap_or(vm.globals),
        },
    };
    vm.push(Value::from_table(env));
    Ok(1)
}

fn setfenv(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(2)?;
    let a = vm.arg(1);
    let f = if a.is_func() {
        a
    } else {
        let lvl = vm.check_int(1)?;
        if lvl < 0 {
            return Err(vm.arg_error(1, "invalid level"));
        }
        if lvl == 0 {
            vm.th().env = t.as_ptr();
            vm.globals = t;
            return Ok(0);
        }
        level_func(vm, lvl as usize)?.unwrap()
    };
    let Some(fp) = f.as_func_ptr() else {
        return Err(vm.rt_error("'setfenv' cannot change environment of given object"));
    };
    // SAFETY: live function object.
    unsafe {
        if (*fp.as_ptr()).native.is_some() {
            return Err(vm.rt_error("'setfenv' cannot change environment of given object"));
        }
        (*fp.as_ptr()).env = t.as_ptr();
    }
    vm.push(f);
    Ok(1)
}

fn getmetatable(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    match vm.get_metatable(v) {
        None => vm.push(Value::NIL),
        Some(m) => {
            let protected = vm.mt_get(m, MM::Metatable);
            vm.push(if protected.is_nil() {
                Value::from_table(m)
            } else {
                protected
            });
        }
    }
    Ok(1)
}

fn setmetatable(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let m = vm.arg(2);
    // (No second argument is an error too, as in LuaJIT.)
    if (!m.is_nil() && !m.is_table()) || vm.nargs() < 2 {
        return Err(vm.arg_error(2, "nil or table expected"));
    }
    if let Some(old) = table::meta(t) {
        if !vm.mt_get(old, MM::Metatable).is_nil() {
            return Err(vm.rt_error("cannot change a protected metatable"));
        }
    }
    table::set_meta(t, m.as_table_ptr());
    vm.set_nargs(1);
    Ok(1)
}

fn ipairs_aux(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let i = vm.check_int(2)? + 1;
    let v = table::get_int(t, i);
    if v.is_nil() {
        return Ok(0);
    }
    vm.push(Value::num(i as f64));
    vm.push(v);
    Ok(2)
}

fn ipairs(vm: &mut Vm) -> LuaResult<usize> {
    vm.check_any(1)?;
    let t = vm.check_table(1)?;
    let f = vm.native_upvalue(1);
    let f = if f.is_func() {
        f
    } else {
        vm.new_native(ipairs_aux, "ipairs_aux")
    };
    vm.push(f);
    vm.push(Value::from_table(t));
    vm.push(Value::num(0.0));
    Ok(3)
}

fn next(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    match table::next(t, vm.arg(2)) {
        Ok(Some((k, v))) => {
            vm.push(k);
            vm.push(v);
            Ok(2)
        }
        Ok(None) => {
            vm.push(Value::NIL);
            Ok(1)
        }
        Err(_) => Err(vm.plain_error("invalid key to 'next'")),
    }
}

fn pairs(vm: &mut Vm) -> LuaResult<usize> {
    vm.check_any(1)?;
    let t = vm.check_table(1)?;
    let mut f = vm.native_upvalue(1);
    if !f.is_func() {
        f = vm.new_native(next, "next");
    }
    vm.push(f);
    vm.push(Value::from_table(t));
    vm.push(Value::NIL);
    Ok(3)
}

fn print(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.nargs();
    let key = vm.native_upvalue(1);
    let ts = if key.is_str() {
        vm.index(Value::from_table(vm.globals), key)?
    } else {
        vm.get_global("tostring")
    };
    let builtin = ts.as_func_ptr().is_some_and(|f| {
        // SAFETY: live function object.
        unsafe { (*f.as_ptr()).hdr.flags == ffid::TOSTRING }
    });
    let mut out = Vec::new();
    for i in 1..=n {
        if i > 1 {
            out.push(b'\t');
        }
        let v = vm.arg(i);
        // The builtin `tostring` is short-cut: its metamethod, if any, is
        // called directly.
        let mm = if builtin {
            vm.tostring_meta(v)
        } else {
            Value::NIL
        };
        if builtin && mm.is_nil() {
            if v.is_str() {
                out.extend_from_slice(str_bytes(v));
            } else {
                out.extend_from_slice(vm.tostring_basic(v).as_bytes());
            }
            continue;
        }
        let f = if builtin { mm } else { ts };
        let r = vm.call1(f, &[v])?;
        if let Some(x) = r.as_num() {
            crate::number::push_num(&mut out, x);
        } else if r.is_str() {
            out.extend_from_slice(str_bytes(r));
        } else {
            return Err(vm.rt_error("'tostring' must return a string to 'print'"));
        }
    }
    out.push(b'\n');
    // C's stdout, shared with `io.stdout` and C code (as LuaJIT).
    crate::lib_io::write_stdout(&out);
    Ok(0)
}

fn rawequal(vm: &mut Vm) -> LuaResult<usize> {
    let a = vm.check_any(1)?;
    let b = vm.check_any(2)?;
    vm.push(Value::bool(a.raw_eq(b)));
    Ok(1)
}

fn rawget(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let k = vm.check_any(2)?;
    vm.push(table::get(t, k));
    Ok(1)
}

fn rawset(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let k = vm.check_any(2)?;
    let v = vm.check_any(3)?;
    // (Arguments: reachable, so a collection may run if `t` cannot grow.)
    match vm.set_collecting(t, k, v)? {
        Err(table::KeyError::Nil) => return Err(vm.rt_error("table index is nil")),
        Err(table::KeyError::NaN) => return Err(vm.rt_error("table index is NaN")),
        _ => {}
    }
    vm.set_nargs(1);
    Ok(1)
}

fn select(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.nargs();
    let a = vm.arg(1);
    // (As LuaJIT: any string starting with '#' asks for the count.)
    if a.is_str() && str_bytes(a).first() == Some(&b'#') {
        vm.push(Value::num((n as f64 - 1.0).max(0.0)));
        return Ok(1);
    }
    let i = vm.check_int(1)?;
    let nvals = n as i64 - 1;
    let start = if i < 0 {
        if -i > nvals {
            return Err(vm.arg_error(1, "index out of range"));
        }
        nvals + i + 1
    } else if i == 0 {
        return Err(vm.arg_error(1, "index out of range"));
    } else {
        i.min(nvals + 1)
    };
    // Results are the args from start+1 (1-based incl. the index arg) to the end.
    Ok((nvals - start + 1).max(0) as usize)
}

fn tonumber(vm: &mut Vm) -> LuaResult<usize> {
    let base = vm.opt_int(2, 10)?;
    let v = vm.check_any(1)?;
    let r = if let (Some(f), true) = (vm.cdata_tonumber, v.is_cdata()) {
        f(vm, v)
    } else if base == 10 {
        vm.tonumber(v)
    } else {
        if !(2..=36).contains(&base) {
            return Err(vm.arg_error(2, "base out of range"));
        }
        let s = vm.check_bytes(1)?;
        crate::number::str_to_num_base(s, base as u32)
    };
    vm.push(r.map_or(Value::NIL, Value::num));
    Ok(1)
}

fn tostring(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    let mm = vm.tostring_meta(v);
    let s = if !mm.is_nil() {
        // As LuaJIT: whatever `__tostring` returns (nil, a boolean, a
        // table...), unchecked; `print` is the one that insists.
        vm.call1(mm, &[v])?
    } else if v.is_str() {
        v
    } else {
        let b = vm.tostring_basic(v);
        vm.intern(b.as_bytes())
    };
    vm.push(s);
    Ok(1)
}

fn type_(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    let s = vm.type_names[v.lua_type() as usize];
    vm.push(s);
    Ok(1)
}

fn unpack(vm: &mut Vm) -> LuaResult<usize> {
    let t = vm.check_table(1)?;
    let i = vm.opt_int(2, 1)?;
    let j = if vm.arg(3).is_nil() {
        table::length(t) as i64
    } else {
        vm.check_int(3)?
    };
    if i > j {
        return Ok(0);
    }
    let n = (j as i128 - i as i128 + 1) as u128;
    if n >= 8_000_000 {
        return Err(vm.rt_error("too many results to unpack"));
    }
    vm.ensure_stack(n as usize)?;
    for k in i..=j {
        vm.push(table::get_int(t, k));
    }
    Ok(n as usize)
}

fn newproxy(vm: &mut Vm) -> LuaResult<usize> {
    let a = vm.arg(1);
    let env = vm.globals.as_ptr();
    let u = vm.heap.new_udata(0, env);
    if a.truthy() && a.is_bool() {
        let m = vm.new_table(0, 0);
        // SAFETY: fresh userdata.
        unsafe { (*u.as_ptr()).meta = m.as_ptr() };
    } else if let Some(o) = a.as_udata_ptr() {
        // SAFETY: live userdata objects.
        unsafe { (*u.as_ptr()).meta = (*o.as_ptr()).meta };
    } else if !a.is_nil() && a.bits() != Value::FALSE.bits() {
        return Err(vm.arg_error(1, "boolean or proxy expected"));
    }
    vm.push(Value::from_udata(u));
    Ok(1)
}

/// `load(f|s [, chunkname [, mode [, env]]])` (`loadstring` is the same
/// function in LuaJIT): returns the function, or nil and the message. A
/// string (or number) is the chunk itself; otherwise the argument must be a
/// reader function, called until it returns nil or "". Errors raised by the
/// reader are returned as the message, not propagated. A table `env`
/// becomes the function's environment (anything else is ignored).
fn load(vm: &mut Vm) -> LuaResult<usize> {
    let a = vm.arg(1);
    let env = vm.arg(4).as_table_ptr();
    let name = vm.opt_str(2)?.map(|s| str_bytes(s).to_vec());
    let mode = vm.opt_str(3)?.map(|s| str_bytes(s).to_vec());
    if !(a.is_str() || a.is_num()) {
        let f = vm.check_func(1)?;
        return load_reader(vm, f, name, mode, env);
    }
    let src = vm.check_bytes(1)?.to_vec();
    if let Some(m) = mode {
        if !mode_allows(&m, &src) {
            return wrong_mode(vm);
        }
    }
    finish_load(vm, &src, &name.unwrap_or_else(|| src.clone()), env)
}

/// Whether `mode` ("b", "t", "bt") admits the chunk `src`.
fn mode_allows(mode: &[u8], src: &[u8]) -> bool {
    let want = if crate::bcdump::is_binary(src) {
        b'b'
    } else {
        b't'
    };
    mode.contains(&want)
}

/// `nil, "attempt to load chunk with wrong mode"`.
fn wrong_mode(vm: &mut Vm) -> LuaResult<usize> {
    vm.push(Value::NIL);
    let msg = vm.intern(b"attempt to load chunk with wrong mode");
    vm.push(msg);
    Ok(2)
}

/// Give a freshly loaded Lua function the environment `env`.
fn set_env(f: Value, env: Option<NonNull<Table>>) {
    if let (Some(fp), Some(t)) = (f.as_func_ptr(), env) {
        // SAFETY: live function object, just made by the loader (a Lua
        // closure, never a native).
        unsafe { (*fp.as_ptr()).env = t.as_ptr() };
    }
}

/// Call the reader `f` once: the next piece, None at the end (nil or an
/// empty string). The outer error is a yield or other non-catchable
/// failure; the inner one is the message `load` returns (the reader's
/// error value, or a complaint about a non-string piece).
fn read_piece(vm: &mut Vm, f: Value) -> LuaResult<Result<Option<Vec<u8>>, Value>> {
    let base = vm.th().top;
    vm.ensure_stack(2)?;
    vm.push(f);
    let n = match vm.pcall_at(base, 0, 1) {
        Ok(n) => n,
        Err(e) if e.is_yield() => return Err(e),
        Err(e) => return Ok(Err(e.value)),
    };
    let th = vm.th();
    let v = if n > 0 { th.stack[base] } else { Value::NIL };
    th.top = base;
    if v.is_nil() {
        return Ok(Ok(None));
    }
    // (A number is its text, as `lua_tolstring` makes it.)
    if let Some(x) = v.as_num() {
        return Ok(Ok(Some(crate::number::fmt_num(x).into_bytes())));
    }
    if !v.is_str() {
        return Ok(Err(vm.intern(b"reader function must return a string")));
    }
    let b = str_bytes(v);
    Ok(Ok((!b.is_empty()).then(|| b.to_vec())))
}

/// `load` with a reader function `f` (`load_pieces`), its environment
/// set to `env`.
fn load_reader(
    vm: &mut Vm,
    f: Value,
    name: Option<Vec<u8>>,
    mode: Option<Vec<u8>>,
    env: Option<NonNull<Table>>,
) -> LuaResult<usize> {
    let mut reader = |vm: &mut Vm| read_piece(vm, f);
    match load_pieces(vm, &mut reader, name, mode.as_deref())? {
        Ok(func) => {
            set_env(func, env);
            vm.push(func);
            Ok(1)
        }
        Err(v) => {
            vm.push(Value::NIL);
            vm.push(v);
            Ok(2)
        }
    }
}

/// Load a chunk whose pieces `reader` returns (Lua's `load(f)`, the C
/// API's `lua_load`), read as LuaJIT reads it: the first piece; a
/// byte-order mark wholly inside it is skipped; a first line starting
/// with `#` is skipped up to its newline (reading on as needed); then a
/// bytecode dump is read whole, while source is read only as the parser
/// needs it (a syntax error stops the reading). `mode` ("b", "t", "bt")
/// restricts the kind of chunk. The inner error is the message (a syntax
/// error, the reader's failure, a wrong mode); the outer one a failure
/// that cannot be caught here (a yield).
pub fn load_pieces(
    vm: &mut Vm,
    reader: &mut crate::parse::Reader<'_>,
    name: Option<Vec<u8>>,
    mode: Option<&[u8]>,
) -> LuaResult<Result<Value, Value>> {
    let mut buf = Vec::new();
    let mut eof = false;
    // Read until `buf` holds a byte or the source ends.
    let fill = |vm: &mut Vm,
                reader: &mut crate::parse::Reader<'_>,
                buf: &mut Vec<u8>,
                eof: &mut bool|
     -> LuaResult<Result<(), Value>> {
        while buf.is_empty() && !*eof {
            match reader(vm)? {
                Ok(Some(p)) => *buf = p,
                Ok(None) => *eof = true,
                Err(v) => return Ok(Err(v)),
            }
        }
        Ok(Ok(()))
    };
    if let Err(v) = fill(vm, reader, &mut buf, &mut eof)? {
        return Ok(Err(v));
    }
    if buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
        if let Err(v) = fill(vm, reader, &mut buf, &mut eof)? {
            return Ok(Err(v));
        }
    }
    if buf.first() == Some(&b'#') {
        // (The newline stays: line numbers do not change.)
        loop {
            if let Some(i) = buf.iter().position(|&c| c == b'\n' || c == b'\r') {
                buf.drain(..i);
                break;
            }
            buf.clear();
            if let Err(v) = fill(vm, reader, &mut buf, &mut eof)? {
                return Ok(Err(v));
            }
            if eof {
                break;
            }
        }
    }
    let binary = crate::bcdump::is_binary(&buf);
    if let Some(m) = mode {
        if !m.contains(if binary { &b'b' } else { &b't' }) {
            return Ok(Err(vm.intern(b"attempt to load chunk with wrong mode")));
        }
    }
    let name = name.unwrap_or_else(|| b"=(load)".to_vec());
    let name = String::from_utf8_lossy(&name).into_owned();
    if binary {
        while !eof {
            match reader(vm)? {
                Ok(Some(p)) => buf.extend_from_slice(&p),
                Ok(None) => eof = true,
                Err(v) => return Ok(Err(v)),
            }
        }
        return Ok(match vm.load(&buf, &name) {
            Ok(f) => Ok(f),
            Err(e) => Err(e.value),
        });
    }
    vm.load_incremental(buf, eof, reader, &name)
}

fn finish_load(
    vm: &mut Vm,
    src: &[u8],
    name: &[u8],
    env: Option<NonNull<Table>>,
) -> LuaResult<usize> {
    match vm.load(src, &String::from_utf8_lossy(name)) {
        Ok(f) => {
            set_env(f, env);
            vm.push(f);
            Ok(1)
        }
        Err(e) => {
            vm.push(Value::NIL);
            vm.push(e.value);
            Ok(2)
        }
    }
}

fn loadstring(vm: &mut Vm) -> LuaResult<usize> {
    load(vm)
}

/// `loadfile([filename [, mode [, env]]])`, as `load` for a file's text.
fn loadfile(vm: &mut Vm) -> LuaResult<usize> {
    let name = vm
        .opt_str(1)?
        .map(|s| String::from_utf8_lossy(str_bytes(s)).into_owned());
    let mode = vm.opt_str(2)?.map(|s| str_bytes(s).to_vec());
    let env = vm.arg(3).as_table_ptr();
    match load_file_mode(vm, name.as_deref(), mode.as_deref()) {
        Ok(None) => wrong_mode(vm),
        Ok(Some(f)) => {
            set_env(f, env);
            vm.push(f);
            Ok(1)
        }
        Err(e) => {
            vm.push(Value::NIL);
            vm.push(e.value);
            Ok(2)
        }
    }
}
