//! Debug information: chunk names for messages, current lines, and the
//! names of the variables involved in an error ("attempt to index local
//! 'cfg'"), found by reading the bytecode back from the faulting pc.

use crate::bytecode::{self as bc, Op};
use crate::object::*;
use crate::state::Vm;
use crate::value::Value;
use std::ptr::NonNull;

/// `LUA_IDSIZE`.
pub const IDSIZE: usize = 60;

/// Short chunk name for messages (`@file` -> `file`, `=name` -> `name`,
/// source text -> `[string "..."]`).
pub fn chunkid(src: &[u8]) -> String {
    if let Some(rest) = src.strip_prefix(b"=") {
        let n = rest.len().min(IDSIZE - 1);
        return String::from_utf8_lossy(&rest[..n]).into_owned();
    }
    if let Some(rest) = src.strip_prefix(b"@") {
        if rest.len() >= IDSIZE {
            let tail = &rest[rest.len() - (IDSIZE - 4)..];
            return format!("...{}", String::from_utf8_lossy(tail));
        }
        return String::from_utf8_lossy(rest).into_owned();
    }
    let mut len = 0;
    while len < IDSIZE - 12 && len < src.len() && src[len] >= b' ' {
        len += 1;
    }
    if len < src.len() {
        let len = len.min(IDSIZE - 15);
        format!("[string \"{}...\"]", String::from_utf8_lossy(&src[..len]))
    } else {
        format!("[string \"{}\"]", String::from_utf8_lossy(src))
    }
}

/// Borrow a live prototype.
#[inline(always)]
pub fn proto<'a>(p: NonNull<Proto>) -> &'a Proto {
    // SAFETY: prototypes are immutable once built and live while referenced.
    unsafe { &*p.as_ptr() }
}

/// Prototype of a Lua function value.
pub fn func_proto(f: Value) -> Option<NonNull<Proto>> {
    // SAFETY: live function object.
    f.as_func_ptr()
        .and_then(|f| NonNull::new(unsafe { (*f.as_ptr()).proto }))
}

/// Whether `f` is a C function (pushed through the C API), not a Lua
/// function or a built-in native.
pub fn is_c_function(f: Value) -> bool {
    // SAFETY: live function object.
    f.as_func_ptr()
        .is_some_and(|f| unsafe { (*f.as_ptr()).name } == crate::object::CFUNC_NAME)
}

/// The address LuaJIT shows for a native function (`[C]: at 0x...` in
/// tracebacks, `@0x...` in `dumpstack`): a C function's own address for
/// one pushed through the C API (held in its first native upvalue),
/// else the Rust function's. None for Lua functions and non-functions.
pub fn native_addr(f: Value) -> Option<usize> {
    // SAFETY: live function object; shared access.
    let fo = unsafe { &*f.as_func_ptr()?.as_ptr() };
    let native = fo.native?;
    if fo.name == crate::object::CFUNC_NAME {
        if let Some(p) = fo.cupvals.first().and_then(|v| v.as_light_ud()) {
            return Some(p);
        }
    }
    Some(native as usize)
}

/// `[C]: at 0x...` for a native without a name, `[C]: ?` when there is no
/// address to show.
fn unnamed_c(f: Option<usize>) -> String {
    match f {
        Some(a) if a != 0 => format!("\n\t[C]: at 0x{:08x}", a),
        _ => "\n\t[C]: ?".to_string(),
    }
}

/// Line of instruction `pc` (0 if unknown).
pub fn line_at(p: &Proto, pc: usize) -> u32 {
    p.lineinfo.get(pc).copied().unwrap_or(0)
}

/// The pc of the instruction being executed by frame `f` (its saved pc
/// points after it).
pub fn frame_pc(f: &Frame) -> usize {
    (f.pc as usize).saturating_sub(1)
}

/// One level of a thread's call stack, counted as LuaJIT counts them.
/// A Lua function run by `pcall`/`xpcall` from Lua code has no frame of
/// the protecting native of its own (the interpreter calls it directly);
/// LuaJIT shows that native as a C level between the function and its
/// caller, so it is synthesised here.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Level {
    /// `frames[i]`.
    Frame(usize),
    /// The `pcall`/`xpcall` C level that called `frames[i]` (a frame of
    /// kind `Pcall` or `Xpcall`).
    Protect(usize),
}

/// True if frame `i` was entered by an inlined `pcall`/`xpcall`.
fn is_protected(th: &Thread, i: usize) -> bool {
    matches!(th.frames[i].kind, FrameKind::Pcall | FrameKind::Xpcall)
}

/// All levels of `th`, top (level 0) first.
pub fn levels(th: &Thread) -> Vec<Level> {
    let mut v = Vec::with_capacity(th.frames.len() + 4);
    for i in (0..th.frames.len()).rev() {
        v.push(Level::Frame(i));
        if is_protected(th, i) {
            v.push(Level::Protect(i));
        }
    }
    v
}

/// The stack level `level` (0 = top) of thread `th`.
pub fn level_at(th: &Thread, level: usize) -> Option<Level> {
    let mut left = level;
    for i in (0..th.frames.len()).rev() {
        if left == 0 {
            return Some(Level::Frame(i));
        }
        left -= 1;
        if is_protected(th, i) {
            if left == 0 {
                return Some(Level::Protect(i));
            }
            left -= 1;
        }
    }
    None
}

/// The function running at level `l`. For a synthesised protecting level
/// this is `pcall` (still in its stack slot) or, for `xpcall` whose slot
/// now holds the handler, the global `xpcall` if it is the builtin.
pub fn level_func(vm: &Vm, th: &Thread, l: Level) -> Value {
    match l {
        Level::Frame(i) => th.stack[th.frames[i].func as usize],
        Level::Protect(i) => {
            let fr = &th.frames[i];
            if fr.kind == FrameKind::Pcall {
                return th.stack[fr.ret as usize];
            }
            let g = crate::table::get_str(vm.globals, vm_key(vm, b"xpcall"));
            let builtin = g.as_func_ptr().is_some_and(|f| {
                // SAFETY: live function object.
                unsafe { (*f.as_ptr()).hdr.flags == ffid::XPCALL }
            });
            if builtin {
                g
            } else {
                Value::NIL
            }
        }
    }
}

/// An already interned string key, or nil if no such string exists (then
/// no table can have it as a key either).
fn vm_key(vm: &Vm, b: &[u8]) -> Value {
    vm.heap.find_interned(b).map_or(Value::NIL, Value::from_str)
}

/// "chunk:line:" for the Lua function at `level` of thread `th`, or "".
pub fn where_(_vm: &Vm, th: NonNull<Thread>, level: usize) -> String {
    // SAFETY: live thread.
    let th = unsafe { &*th.as_ptr() };
    let Some(Level::Frame(i)) = level_at(th, level) else {
        return String::new();
    };
    let f = &th.frames[i];
    match func_proto(th.stack[f.func as usize]) {
        Some(p) => {
            let p = proto(p);
            format!(
                "{}:{}: ",
                chunkid(crate::object::str_bytes(p.source)),
                line_at(p, frame_pc(f))
            )
        }
        None => String::new(),
    }
}

/// Name of the local variable in register `reg` at `pc`, if any.
pub fn local_name(p: &Proto, reg: usize, pc: usize) -> Option<Value> {
    let mut n = 0;
    for lv in &p.locvars {
        if lv.startpc as usize > pc {
            break;
        }
        if pc < lv.endpc as usize {
            if n == reg {
                return Some(lv.name);
            }
            n += 1;
        }
    }
    None
}

/// Describe what register `reg` holds at `pc`: ("local", "x"),
/// ("global", "x"), ("field", "x"), ("upvalue", "x"), ("method", "x").
pub fn var_name(p: &Proto, pc: usize, reg: usize) -> Option<(&'static str, String)> {
    if let Some(n) = local_name(p, reg, pc) {
        return Some(("local", String::from_utf8_lossy(str_bytes(n)).into_owned()));
    }
    // Find the last instruction before pc that wrote `reg`.
    let mut i = pc;
    while i > 0 {
        i -= 1;
        let ins = p.code[i];
        let o = Op::from_u8(bc::op(ins))?;
        let a = bc::a(ins) as usize;
        let kstr = |k: usize| String::from_utf8_lossy(str_bytes(p.k[k])).into_owned();
        match o {
            Op::MOV if a == reg => {
                let src = bc::d(ins) as usize;
                return if src < reg { var_name(p, i, src) } else { None };
            }
            Op::GGET if a == reg => return Some(("global", kstr(bc::d(ins) as usize))),
            Op::TGETS if a == reg => {
                // `obj:m()` loads the method into the call slot right below self.
                let next_is_self_mov = p.code.get(i + 1).is_some_and(|&n| {
                    bc::op(n) == Op::MOV as u8
                        && bc::a(n) as usize == reg + 1
                        && bc::d(n) == bc::b(ins)
                });
                // Our code generator puts the object right above the
                // method slot (`MOV A+1, obj; TGETS A, A+1, k`); a plain
                // field load never reads a temporary above its target.
                let self_above =
                    bc::b(ins) as usize == reg + 1 && local_name(p, reg + 1, i).is_none();
                let kind = if next_is_self_mov || self_above {
                    "method"
                } else {
                    "field"
                };
                return Some((kind, kstr(bc::c(ins) as usize)));
            }
            Op::UGET if a == reg => {
                let u = bc::d(ins) as usize;
                let name = p
                    .uvnames
                    .get(u)
                    .map(|&v| String::from_utf8_lossy(str_bytes(v)).into_owned());
                return Some(("upvalue", name.unwrap_or_else(|| "?".into())));
            }
            Op::KNIL if a <= reg && reg <= bc::d(ins) as usize => return None,
            Op::JMP | Op::UCLO | Op::LOOP | Op::FORI | Op::JFORI | Op::FORL | Op::ITERL => {}
            _ => {
                let (ma, _, _) = o.modes();
                if matches!(ma, bc::Mode::Dst) && a == reg {
                    return None;
                }
                if matches!(ma, bc::Mode::Base) && a <= reg {
                    // Calls, VARG, KNIL ranges clobber slots >= A.
                    if matches!(o, Op::CALL | Op::CALLM | Op::VARG | Op::ITERC | Op::KNIL) {
                        return None;
                    }
                }
            }
        }
    }
    None
}

/// Entries shown before "..." and after it when a traceback is long.
const LEVELS1: usize = 12;
const LEVELS2: usize = 10;

/// Traceback ("stack traceback:" and "\n\t..." entries) of thread `th`
/// from `level` down; long tracebacks keep the first and last entries.
pub fn traceback(vm: &Vm, th: NonNull<Thread>, level: usize) -> String {
    // SAFETY: live thread.
    let t = unsafe { &*th.as_ptr() };
    let mut out = String::from("stack traceback:");
    let lv = levels(t);
    // The main thread has the host's C frame below its first frame, shown
    // as a last "[C]" level like luajit's (which shows the C entry point:
    // `Vm::host_cfunc`, when the host gave one).
    let host = usize::from(th == vm.main);
    let n = lv.len() + host;
    let mut lvl = level;
    let mut first_part = true;
    while lvl < n {
        lvl += 1;
        if lvl > LEVELS1 && first_part {
            first_part = false;
            if lvl + LEVELS2 < n {
                out.push_str("\n\t...");
                lvl = n - LEVELS2;
                continue;
            }
        }
        match lv.get(lvl - 1) {
            Some(&l) => traceback_entry(vm, t, l, &mut out),
            None => out.push_str(&unnamed_c(Some(vm.host_cfunc))),
        }
    }
    out
}

/// One traceback line for level `l` of thread `t`.
fn traceback_entry(vm: &Vm, t: &Thread, l: Level, out: &mut String) {
    let name = level_name(vm, t, l);
    let (fi, fv) = match l {
        Level::Frame(i) => (i, t.stack[t.frames[i].func as usize]),
        Level::Protect(_) => {
            match name {
                Some((_, nm)) => out.push_str(&format!("\n\t[C]: in function '{}'", nm)),
                None => out.push_str(&unnamed_c(native_addr(level_func(vm, t, l)))),
            }
            return;
        }
    };
    let f = &t.frames[fi];
    match func_proto(fv) {
        Some(p) => {
            let p = proto(p);
            let src = chunkid(str_bytes(p.source));
            let line = line_at(p, frame_pc(f));
            if let Some((_, nm)) = name {
                out.push_str(&format!("\n\t{}:{}: in function '{}'", src, line, nm));
            } else if p.linedefined == 0 {
                out.push_str(&format!("\n\t{}:{}: in main chunk", src, line));
            } else {
                out.push_str(&format!(
                    "\n\t{}:{}: in function <{}:{}>",
                    src, line, src, p.linedefined
                ));
            }
        }
        None => match name {
            Some((_, nm)) => out.push_str(&format!("\n\t[C]: in function '{}'", nm)),
            None => out.push_str(&unnamed_c(native_addr(fv))),
        },
    }
}

/// How the function at level `l` was named by its caller. A function run
/// by an inlined `pcall` has no name (its caller is the C level); that C
/// level is named by the Lua code that called `pcall`.
pub fn level_name(vm: &Vm, t: &Thread, l: Level) -> Option<(&'static str, String)> {
    match l {
        Level::Frame(i) if is_protected(t, i) => None,
        Level::Frame(i) | Level::Protect(i) => caller_name(vm, t, i),
    }
}

/// How the caller of frame `i` named the function it called (for a
/// protected frame: how it named `pcall`/`xpcall`; see `level_name`).
pub fn caller_name(_vm: &Vm, t: &Thread, i: usize) -> Option<(&'static str, String)> {
    if i == 0 {
        return None;
    }
    call_name(t, i - 1)
}

/// The name under which frame `ci` calls the function at its current pc.
fn call_name(t: &Thread, ci: usize) -> Option<(&'static str, String)> {
    let caller = &t.frames[ci];
    let p = func_proto(t.stack[caller.func as usize])?;
    let p = proto(p);
    let pc = frame_pc(caller);
    let ins = *p.code.get(pc)?;
    let o = Op::from_u8(bc::op(ins))?;
    match o {
        Op::CALL | Op::CALLM | Op::CALLT | Op::CALLMT => {
            let (kind, name) = var_name(p, pc, bc::a(ins) as usize)?;
            let kind = match kind {
                "global" => "function",
                k => k,
            };
            Some((kind, name))
        }
        // Metamethods run in frames of their own are named after their
        // event, as luajit does.
        Op::ISLT | Op::ISGE => Some(("metamethod", "__lt".into())),
        Op::ISLE | Op::ISGT => Some(("metamethod", "__le".into())),
        Op::ISEQV | Op::ISNEV => Some(("metamethod", "__eq".into())),
        Op::TGETV | Op::TGETS | Op::TGETB => Some(("metamethod", "__index".into())),
        Op::TSETV | Op::TSETS | Op::TSETB => Some(("metamethod", "__newindex".into())),
        Op::UNM => Some(("metamethod", "__unm".into())),
        Op::LEN => Some(("metamethod", "__len".into())),
        Op::CAT => Some(("metamethod", "__concat".into())),
        Op::POW => Some(("metamethod", "__pow".into())),
        _ if (Op::ADDVN as u8..=Op::MODVV as u8).contains(&(o as u8)) => {
            let ev = ["__add", "__sub", "__mul", "__div", "__mod"];
            Some((
                "metamethod",
                ev[(o as u8 - Op::ADDVN as u8) as usize % 5].into(),
            ))
        }
        _ => None,
    }
}
