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

/// Line of instruction `pc` (0 if unknown).
pub fn line_at(p: &Proto, pc: usize) -> u32 {
    p.lineinfo.get(pc).copied().unwrap_or(0)
}

/// The pc of the instruction being executed by frame `f` (its saved pc
/// points after it).
pub fn frame_pc(f: &Frame) -> usize {
    (f.pc as usize).saturating_sub(1)
}

/// Index in `frames` of the frame at `level` (0 = top), skipping nothing.
fn frame_at(th: &Thread, level: usize) -> Option<usize> {
    let n = th.frames.len();
    if level < n {
        Some(n - 1 - level)
    } else {
        None
    }
}

/// "chunk:line:" for the Lua function at `level` of thread `th`, or "".
pub fn where_(_vm: &Vm, th: NonNull<Thread>, level: usize) -> String {
    // SAFETY: live thread.
    let th = unsafe { &*th.as_ptr() };
    let Some(i) = frame_at(th, level) else {
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
        let Some(o) = Op::from_u8(bc::op(ins)) else {
            return None;
        };
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
                let kind = if next_is_self_mov { "method" } else { "field" };
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
            Op::JMP | Op::UCLO | Op::LOOP | Op::FORI | Op::FORL | Op::ITERL => {}
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
    // The main thread has the host's C frame below its first frame, shown
    // as a last "[C]" level like luajit's (which shows the C entry point).
    let host = usize::from(th == vm.main);
    let n = t.frames.len() + host;
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
        if n - lvl < host {
            out.push_str("\n\t[C]: ?");
        } else {
            traceback_entry(vm, t, n - lvl - host, &mut out);
        }
    }
    out
}

/// One traceback line for frame index `fi` of thread `t`.
fn traceback_entry(vm: &Vm, t: &Thread, fi: usize, out: &mut String) {
    let f = &t.frames[fi];
    let fv = t.stack[f.func as usize];
    let name = caller_name(vm, t, fi);
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
            None => out.push_str("\n\t[C]: ?"),
        },
    }
}

/// How the caller of frame `i` named the function it called.
pub fn caller_name(_vm: &Vm, t: &Thread, i: usize) -> Option<(&'static str, String)> {
    if i == 0 {
        return None;
    }
    let caller = &t.frames[i - 1];
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
        _ => None,
    }
}
