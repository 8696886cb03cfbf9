//! The `debug` library: traceback, getinfo, locals, upvalues, metatables of
//! any value, environments, the registry, hooks and `debug.debug`.

use crate::bytecode::{self as bc, Op};
use crate::debuginfo::{self, chunkid, func_proto, line_at, proto, Level};
use crate::error::LuaResult;
use crate::object::*;
use crate::state::Vm;
use crate::table;
use crate::value::Value;
use std::ptr::NonNull;

pub fn open(vm: &mut Vm) {
    let lib = vm.register_lib(
        "debug",
        &[
            ("debug", debug),
            ("getfenv", getfenv),
            ("gethook", gethook),
            ("getinfo", getinfo),
            ("getlocal", getlocal),
            ("getmetatable", getmetatable),
            ("getregistry", getregistry),
            ("getupvalue", getupvalue),
            ("setfenv", setfenv),
            ("sethook", sethook),
            ("setlocal", setlocal),
            ("setmetatable", setmetatable),
            ("setupvalue", setupvalue),
            ("traceback", traceback),
            ("upvalueid", upvalueid),
            ("upvaluejoin", upvaluejoin),
        ],
    );
    crate::fastfunc::tag(vm, "debug", lib);
}

fn thread<'a>(t: NonNull<Thread>) -> &'a mut Thread {
    // SAFETY: live thread object; single-threaded VM.
    unsafe { &mut *t.as_ptr() }
}

fn func<'a>(f: NonNull<Func>) -> &'a mut Func {
    // SAFETY: live function object; single-threaded VM.
    unsafe { &mut *f.as_ptr() }
}

/// Optional leading thread argument: (thread, index of the next argument).
fn thread_arg(vm: &mut Vm) -> (NonNull<Thread>, usize) {
    match vm.arg(1).as_thread_ptr() {
        Some(t) => (t, 2),
        None => (vm.cur, 1),
    }
}

/// The stack level `level` of thread `th` (for the running thread, level 0
/// is this native itself; for a suspended one, the `yield` it is in), with
/// LuaJIT's numbering (see `debuginfo::Level`).
fn level_frame(_vm: &Vm, th: NonNull<Thread>, level: i64) -> Option<Level> {
    if level < 0 {
        return None;
    }
    debuginfo::level_at(thread(th), level as usize)
}

fn set_str(vm: &mut Vm, t: Value, k: &str, s: &str) {
    let v = vm.intern(s.as_bytes());
    vm.set_field(t, k, v);
}

fn getinfo(vm: &mut Vm) -> LuaResult<usize> {
    let (th, a) = thread_arg(vm);
    let what = match vm.opt_str(a + 1)? {
        Some(s) => String::from_utf8_lossy(str_bytes(s)).into_owned(),
        None => "flnSu".into(),
    };
    let target = vm.arg(a);
    let (fv, level) = if target.is_func() {
        (target, None)
    } else if let Some(n) = vm.tonumber(target) {
        match level_frame(vm, th, crate::state::num_to_int(n)) {
            Some(l) => (debuginfo::level_func(vm, thread(th), l), Some(l)),
            None => {
                vm.push(Value::NIL);
                return Ok(1);
            }
        }
    } else {
        return Err(vm.arg_error(a, "function or level expected"));
    };
    for c in what.chars() {
        if !"SlnufL".contains(c) {
            return Err(vm.arg_error(a + 1, "invalid option"));
        }
    }
    let t = vm.new_table_value(0, 12);
    let p = func_proto(fv);
    if what.contains('S') {
        match p {
            Some(p) => {
                let pr = proto(p);
                // (The prototype's source is an interned string already.)
                let sv = pr.source;
                let short = chunkid(str_bytes(sv));
                vm.set_field(t, "source", sv);
                set_str(vm, t, "short_src", &short);
                vm.set_field(t, "linedefined", Value::num(pr.linedefined as f64));
                vm.set_field(t, "lastlinedefined", Value::num(pr.lastlinedefined as f64));
                set_str(
                    vm,
                    t,
                    "what",
                    if pr.linedefined == 0 { "main" } else { "Lua" },
                );
            }
            None => {
                set_str(vm, t, "source", "=[C]");
                set_str(vm, t, "short_src", "[C]");
                vm.set_field(t, "linedefined", Value::num(-1.0));
                vm.set_field(t, "lastlinedefined", Value::num(-1.0));
                set_str(vm, t, "what", "C");
            }
        }
    }
    if what.contains('l') {
        let line = match (p, level) {
            (Some(p), Some(Level::Frame(i))) => {
                line_at(proto(p), debuginfo::frame_pc(&thread(th).frames[i])) as f64
            }
            _ => -1.0,
        };
        vm.set_field(t, "currentline", Value::num(line));
    }
    if what.contains('u') {
        let n = match fv.as_func_ptr() {
            Some(fp) => {
                let f = func(fp);
                if f.proto.is_null() {
                    f.cupvals.len()
                } else {
                    f.upvals.len()
                }
            }
            None => 0,
        };
        vm.set_field(t, "nups", Value::num(n as f64));
    }
    if what.contains('n') {
        let name = level.and_then(|l| debuginfo::level_name(vm, thread(th), l));
        match name {
            Some((kind, n)) => {
                set_str(vm, t, "name", &n);
                set_str(
                    vm,
                    t,
                    "namewhat",
                    if kind == "function" { "global" } else { kind },
                );
            }
            None => set_str(vm, t, "namewhat", ""),
        }
    }
    if what.contains('f') {
        vm.set_field(t, "func", fv);
    }
    if what.contains('L') {
        if let Some(p) = p {
            let lines = vm.new_table_value(0, 8);
            let lt = lines.as_table_ptr().unwrap();
            for l in active_lines(proto(p)) {
                table::set(&mut vm.heap, lt, Value::num(l as f64), Value::TRUE).ok();
            }
            vm.set_field(t, "activelines", lines);
        }
    }
    vm.push(t);
    Ok(1)
}

/// Lines with code in `p`, as LuaJIT reports them: the function header
/// instruction does not count, nor does a final `RET0` that no jump reaches
/// right after another return (LuaJIT's code generator does not emit it).
fn active_lines(p: &Proto) -> Vec<u32> {
    let n = p.code.len();
    let mut end = n;
    if n >= 3 && bc::op(p.code[n - 1]) == Op::RET0 as u8 {
        let prev = bc::op(p.code[n - 2]);
        let after_ret = [Op::RET0, Op::RET1, Op::RET, Op::RETM]
            .iter()
            .any(|&o| o as u8 == prev);
        if after_ret && !is_jump_target(p, n - 1) {
            end = n - 1;
        }
    }
    (1..end).map(|pc| line_at(p, pc)).collect()
}

/// True if some jump in `p` lands on instruction `target`.
fn is_jump_target(p: &Proto, target: usize) -> bool {
    p.code.iter().enumerate().any(|(pc, &ins)| {
        let Some(o) = Op::from_u8(bc::op(ins)) else {
            return false;
        };
        let (_, mb, mcd) = o.modes();
        if mcd != bc::Mode::Jump || mb != bc::Mode::None {
            return false;
        }
        let t = pc as i64 + 1 + bc::d(ins) as i64 - bc::JUMP_BIAS as i64;
        t == target as i64
    })
}

/// Name of local `n` (1-based) at level `l`, and its stack slot.
fn local_slot(th: &Thread, l: Level, n: i64) -> Option<(String, usize)> {
    let i = match l {
        Level::Frame(i) => i,
        Level::Protect(i) => {
            // The protecting native's arguments: the function and what is
            // stored below the callee's parameters.
            let fr = &th.frames[i];
            let slot = fr.ret as usize + n.max(0) as usize;
            if n >= 1 && slot < fr.base as usize {
                return Some(("(*temporary)".into(), slot));
            }
            return None;
        }
    };
    let fr = &th.frames[i];
    let top = if i + 1 < th.frames.len() {
        th.frames[i + 1].func as usize
    } else {
        th.top
    };
    if n < 0 {
        // Varargs.
        let k = (-n) as usize;
        if fr.kind == FrameKind::Native || k > fr.nvarargs as usize {
            return None;
        }
        return Some((
            "(*vararg)".into(),
            fr.base as usize - fr.nvarargs as usize + k - 1,
        ));
    }
    if n == 0 {
        return None;
    }
    let slot = fr.base as usize + n as usize - 1;
    if let Some(p) = func_proto(th.stack[fr.func as usize]) {
        if let Some(name) = debuginfo::local_name(proto(p), n as usize - 1, debuginfo::frame_pc(fr))
        {
            return Some((String::from_utf8_lossy(str_bytes(name)).into_owned(), slot));
        }
    }
    if slot < top {
        Some(("(*temporary)".into(), slot))
    } else {
        None
    }
}

fn getlocal(vm: &mut Vm) -> LuaResult<usize> {
    let (th, a) = thread_arg(vm);
    let f = vm.arg(a);
    if f.is_func() {
        // Parameter names of a function (no values: it is not running).
        let n = vm.check_int(a + 1)?;
        let name = match func_proto(f) {
            // Parameters are the first locals declared.
            Some(p) if n >= 1 && n <= proto(p).numparams as i64 => {
                proto(p).locvars.get(n as usize - 1).map(|lv| lv.name)
            }
            _ => None,
        };
        vm.push(name.unwrap_or(Value::NIL));
        return Ok(1);
    }
    let lvl = vm.check_int(a)?;
    let n = vm.check_int(a + 1)?;
    let Some(l) = level_frame(vm, th, lvl) else {
        return Err(vm.arg_error(a, "level out of range"));
    };
    match local_slot(thread(th), l, n) {
        Some((name, slot)) => {
            let v = thread(th).stack[slot];
            let nv = vm.intern(name.as_bytes());
            vm.push(nv);
            vm.push(v);
            Ok(2)
        }
        None => {
            vm.push(Value::NIL);
            Ok(1)
        }
    }
}

fn setlocal(vm: &mut Vm) -> LuaResult<usize> {
    vm.debug_writes = vm.debug_writes.saturating_add(1);
    let (th, a) = thread_arg(vm);
    let lvl = vm.check_int(a)?;
    let n = vm.check_int(a + 1)?;
    let v = vm.check_any(a + 2)?;
    let Some(l) = level_frame(vm, th, lvl) else {
        return Err(vm.arg_error(a, "level out of range"));
    };
    match local_slot(thread(th), l, n) {
        Some((name, slot)) => {
            thread(th).stack[slot] = v;
            let nv = vm.intern(name.as_bytes());
            vm.push(nv);
        }
        None => vm.push(Value::NIL),
    }
    Ok(1)
}

/// Upvalue `n` of function `f`: (name, pointer to its value).
fn upvalue_ref(f: Value, n: i64) -> Option<(Value, *mut Value)> {
    let fp = func(f.as_func_ptr()?);
    if n < 1 {
        return None;
    }
    let i = n as usize - 1;
    if fp.proto.is_null() {
        let v = fp.cupvals.get_mut(i)?;
        return Some((Value::NIL, v as *mut Value));
    }
    let u = *fp.upvals.get(i)?;
    // SAFETY: live prototype and upvalue.
    let pr = unsafe { &*fp.proto };
    let name = pr.uvnames.get(i).copied().unwrap_or(Value::NIL);
    // SAFETY: live upvalue.
    Some((name, unsafe { (*u.as_ptr()).v }))
}

fn getupvalue(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let n = vm.check_int(2)?;
    match upvalue_ref(f, n) {
        Some((name, p)) => {
            let name = if name.is_nil() { vm.intern(b"") } else { name };
            vm.push(name);
            // SAFETY: points at a live upvalue slot or closure upvalue.
            vm.push(unsafe { *p });
            Ok(2)
        }
        None => Ok(0),
    }
}

fn setupvalue(vm: &mut Vm) -> LuaResult<usize> {
    vm.debug_writes = vm.debug_writes.saturating_add(1);
    let f = vm.check_func(1)?;
    let n = vm.check_int(2)?;
    let v = vm.check_any(3)?;
    match upvalue_ref(f, n) {
        Some((name, p)) => {
            // SAFETY: points at a live upvalue slot or closure upvalue.
            unsafe { *p = v };
            let name = if name.is_nil() { vm.intern(b"") } else { name };
            vm.push(name);
            Ok(1)
        }
        None => Ok(0),
    }
}

fn upvalueid(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let n = vm.check_int(2)?;
    let fp = func(f.as_func_ptr().unwrap());
    let id = if fp.proto.is_null() {
        fp.cupvals
            .get(n.max(1) as usize - 1)
            .map(|v| v as *const Value as usize)
    } else {
        fp.upvals
            .get(n.max(1) as usize - 1)
            .map(|u| u.as_ptr() as usize)
    };
    match id {
        Some(p) if n >= 1 => vm.push(Value::light_ud(p)),
        _ => return Err(vm.arg_error(2, "index out of range")),
    }
    Ok(1)
}

fn upvaluejoin(vm: &mut Vm) -> LuaResult<usize> {
    vm.debug_writes = vm.debug_writes.saturating_add(1);
    let f1 = vm.check_func(1)?;
    let n1 = vm.check_int(2)?;
    let f2 = vm.check_func(3)?;
    let n2 = vm.check_int(4)?;
    let (a, b) = (
        func(f1.as_func_ptr().unwrap()),
        func(f2.as_func_ptr().unwrap()),
    );
    if a.proto.is_null() {
        return Err(vm.arg_error(1, "Lua function expected"));
    }
    if b.proto.is_null() {
        return Err(vm.arg_error(3, "Lua function expected"));
    }
    let (i1, i2) = (n1 - 1, n2 - 1);
    if i1 < 0 || i1 as usize >= a.upvals.len() {
        return Err(vm.arg_error(2, "index out of range"));
    }
    if i2 < 0 || i2 as usize >= b.upvals.len() {
        return Err(vm.arg_error(4, "index out of range"));
    }
    a.upvals[i1 as usize] = b.upvals[i2 as usize];
    Ok(0)
}

fn traceback(vm: &mut Vm) -> LuaResult<usize> {
    let (th, a) = thread_arg(vm);
    let msg = vm.arg(a);
    // A message that is given but is no string (nil included) comes back
    // unchanged, as in LuaJIT.
    if vm.nargs() >= a && !msg.is_str() && !msg.is_num() {
        vm.push(msg);
        return Ok(1);
    }
    let level = vm.opt_int(a + 1, if th == vm.cur { 1 } else { 0 })?.max(0) as usize;
    let level = if th == vm.cur {
        level
    } else {
        level.saturating_sub(0)
    };
    let tb = debuginfo::traceback(vm, th, level);
    let s = if msg.is_nil() {
        tb
    } else {
        format!("{}\n{}", vm.tostring_basic(msg), tb)
    };
    let v = vm.intern(s.as_bytes());
    vm.push(v);
    Ok(1)
}

fn getregistry(vm: &mut Vm) -> LuaResult<usize> {
    vm.push(Value::from_table(vm.registry));
    Ok(1)
}

fn getmetatable(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    vm.push(vm.get_metatable(v).map_or(Value::NIL, Value::from_table));
    Ok(1)
}

fn setmetatable(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let m = vm.arg(2);
    if !m.is_nil() && !m.is_table() {
        return Err(vm.arg_error(2, "nil or table expected"));
    }
    let mp = m
        .as_table_ptr()
        .map_or(std::ptr::null_mut(), |p| p.as_ptr());
    if let Some(t) = v.as_table_ptr() {
        table::set_meta(t, m.as_table_ptr());
    } else if let Some(u) = v.as_udata_ptr() {
        // SAFETY: live userdata.
        unsafe { (*u.as_ptr()).meta = mp };
    } else {
        vm.type_meta[v.tag() as usize] = mp;
    }
    // LuaJIT 2.1 (without 5.2 compatibility) returns true, not the value.
    vm.push(Value::TRUE);
    Ok(1)
}

fn getfenv(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let env = if let Some(f) = v.as_func_ptr() {
        func(f).env
    } else if let Some(u) = v.as_udata_ptr() {
        // SAFETY: live userdata.
        unsafe { (*u.as_ptr()).env }
    } else if let Some(t) = v.as_thread_ptr() {
        thread(t).env
    } else {
        std::ptr::null_mut()
    };
    vm.push(NonNull::new(env).map_or(Value::NIL, Value::from_table));
    Ok(1)
}

fn setfenv(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let t = vm.check_table(2)?.as_ptr();
    if let Some(f) = v.as_func_ptr() {
        func(f).env = t;
    } else if let Some(u) = v.as_udata_ptr() {
        // SAFETY: live userdata.
        unsafe { (*u.as_ptr()).env = t };
    } else if let Some(th) = v.as_thread_ptr() {
        thread(th).env = t;
    } else {
        return Err(vm.rt_error("'setfenv' cannot change environment of given object"));
    }
    vm.set_nargs(1);
    Ok(1)
}

fn sethook(vm: &mut Vm) -> LuaResult<usize> {
    let (_, a) = thread_arg(vm);
    let f = vm.arg(a);
    if f.is_nil() || vm.nargs() < a {
        vm.hook = None;
        vm.hook_mask = 0;
        vm.hook_count = 0;
        return Ok(0);
    }
    let f = vm.check_func(a)?;
    let mask = vm.check_bytes(a + 1)?;
    let count = vm.opt_int(a + 2, 0)?;
    let mut m = 0u8;
    if mask.contains(&b'c') {
        m |= HOOK_CALL;
    }
    if mask.contains(&b'r') {
        m |= HOOK_RET;
    }
    if mask.contains(&b'l') {
        m |= HOOK_LINE;
    }
    if count > 0 {
        m |= HOOK_COUNT;
    }
    vm.hook = Some(f);
    vm.hook_mask = m;
    vm.hook_count = count.max(0) as u32;
    vm.hook_left = vm.hook_count;
    Ok(0)
}

pub const HOOK_CALL: u8 = 1;
pub const HOOK_RET: u8 = 2;
pub const HOOK_LINE: u8 = 4;
pub const HOOK_COUNT: u8 = 8;

fn gethook(vm: &mut Vm) -> LuaResult<usize> {
    match vm.hook {
        None => {
            // No hook: nil, an empty mask and a zero count, like LuaJIT.
            vm.push(Value::NIL);
            let e = vm.intern(b"");
            vm.push(e);
            vm.push(Value::num(0.0));
            Ok(3)
        }
        Some(f) => {
            let mut s = String::new();
            if vm.hook_mask & HOOK_CALL != 0 {
                s.push('c');
            }
            if vm.hook_mask & HOOK_RET != 0 {
                s.push('r');
            }
            if vm.hook_mask & HOOK_LINE != 0 {
                s.push('l');
            }
            vm.push(f);
            let sv = vm.intern(s.as_bytes());
            vm.push(sv);
            vm.push(Value::num(vm.hook_count as f64));
            Ok(3)
        }
    }
}

/// `debug.debug()`: read and run lines from stdin until "cont".
fn debug(vm: &mut Vm) -> LuaResult<usize> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    loop {
        eprint!("lua_debug> ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
            return Ok(0);
        }
        if line.trim_end() == "cont" {
            return Ok(0);
        }
        let r = vm
            .load(line.as_bytes(), "=(debug command)")
            .and_then(|f| vm.call_values(f, &[]).map(|_| ()));
        if let Err(e) = r {
            eprintln!("{}", vm.tostring_basic(e.value));
        }
    }
}
