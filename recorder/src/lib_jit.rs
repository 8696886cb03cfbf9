//! The `jit` Lua module: on, off, flush, status, attach, security,
//! version, version_num, os, arch, opt.start — operating on the `Jit`
//! installed in the VM — and `jit.util` (`require "jit.util"`, as in
//! LuaJIT not a field of `jit`): function inspection (`funcinfo`,
//! `funcbc`, `funck`, `funcuvname`) and trace inspection (`traceinfo`,
//! `traceir`, `tracek`, `tracesnap`, `tracemc`, `traceexitstub`,
//! `ircalladdr`; LuaJIT's calling conventions and result shapes over our
//! IR, see `util_traceir` and the functions after it).
//!
//! `funcbc(f, pc)` returns the instruction word of our bytecode
//! (`vm/bytecode.rs`: op in bits 0..8, A 8..16, C 16..24, B 24..32, D
//! 16..32, as LuaJIT lays it out; op numbers are ours, named by
//! `bytecode::OP_NAMES`) with its constant operands renumbered to the
//! `funck` view, and the mode word LuaJIT's `jit.vmdef`/`jit.bc` expect:
//! `a | b << 3 | cd << 7 | mm << 11`, operand kinds numbered as LuaJIT's
//! `BCMode` (none 0, dst 1, base 2, var 3, rbase 4, uv 5, lit 6, lits 7,
//! pri 8, num 9, str 10, tab 11, func 12, jump 13, cdata 14) and the
//! metamethod as LuaJIT numbers them (index 0 .. unm 16, none 18).
//! `funck(f, i)`: `i >= 0` the number constants in the order of the
//! prototype's constant table, `i < 0` the others (`-1` first): strings,
//! template tables and cdata in that order, then the child prototypes as
//! closures (their upvalues nil), so `funck(f, -d - 1)` is the constant
//! of a renumbered str/tab/func operand `d`, `funck(f, d)` of a num one.

use crate::{apply_opt, Jit};
use lunatrace_vm::bytecode::{self as bc, Mode, Op};
use lunatrace_vm::error::LuaResult;
use lunatrace_vm::object::{str_bytes, NativeFn, Proto};
use lunatrace_vm::vmevent;
use lunatrace_vm::{Value, Vm};
use std::ptr::NonNull;

/// Run `f` on the VM's JIT (if it is a `Jit`).
fn with_jit<R>(vm: &mut Vm, f: impl FnOnce(&mut Jit, &mut Vm) -> R) -> Option<R> {
    let mut j = vm.jit.take()?;
    let r = j.as_any().downcast_mut::<Jit>().map(|jit| f(jit, vm));
    vm.jit = Some(j);
    r
}

/// The functions of `jit`, `jit.util` and `jit.opt`.
const JIT_FUNCS: &[(&str, NativeFn)] = &[
    ("on", jit_on),
    ("off", jit_off),
    ("flush", jit_flush),
    ("status", jit_status),
    ("attach", jit_attach),
    ("security", jit_security),
];
const UTIL_FUNCS: &[(&str, NativeFn)] = &[
    ("funcinfo", util_funcinfo),
    ("funcbc", util_funcbc),
    ("funck", util_funck),
    ("funcuvname", util_funcuvname),
    ("traceinfo", util_traceinfo),
    ("traceir", util_traceir),
    ("tracek", util_tracek),
    ("tracesnap", util_tracesnap),
    ("tracemc", util_tracemc),
    ("traceexitstub", util_traceexitstub),
    ("ircalladdr", util_ircalladdr),
];

/// Whether `f` is a function of the `jit` library (`jit`, `jit.opt`,
/// `jit.util` and the tool modules made in Rust): they reach the JIT
/// through the VM, so traces never stitch them (the JIT is out of the VM
/// while the driver makes a stitched call).
pub fn is_jit_native(f: NativeFn) -> bool {
    let same = |g: NativeFn| std::ptr::fn_addr_eq(f, g);
    JIT_FUNCS.iter().chain(UTIL_FUNCS).any(|&(_, g)| same(g))
        || same(opt_start)
        || crate::tools::is_tool_native(f)
}

/// Register the `jit` module (global and `package.loaded.jit`), with
/// `jit.opt` (also `package.loaded["jit.opt"]`), and `jit.util` and the
/// tool modules in `package.preload`.
pub fn open(vm: &mut Vm) {
    let m = vm.register_lib("jit", JIT_FUNCS);
    let v = vm.intern(b"Lunatrace 0.1.0 (LuaJIT 2.1 compatible)");
    vm.set_field(m, "version", v);
    vm.set_field(m, "version_num", Value::num(20100.0));
    let os = vm.intern(std::env::consts::OS.as_bytes());
    let os = if std::env::consts::OS == "linux" {
        vm.intern(b"Linux")
    } else {
        os
    };
    vm.set_field(m, "os", os);
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        a => a,
    };
    let arch = vm.intern(arch.as_bytes());
    vm.set_field(m, "arch", arch);
    let opt = vm.new_table_value(0, 1);
    let start = vm.new_native(opt_start, "start");
    vm.set_field(opt, "start", start);
    vm.set_field(m, "opt", opt);
    lunatrace_vm::builtin_id::note(vm, "jit.opt", opt);
    let loaded = vm.loaded_table();
    vm.set_field(loaded, "jit.opt", opt);
    crate::tools::open(vm);
    // `require "jit.util"`, from `package.preload` as in LuaJIT 2.1.
    let pkg = vm.get_global("package");
    if pkg.is_table() {
        let pre = vm.get_field(pkg, "preload");
        if pre.is_table() {
            let f = vm.new_native(open_util, "jit.util");
            vm.set_field(pre, "jit.util", f);
        }
    }
}

/// The `jit.util` module.
fn open_util(vm: &mut Vm) -> LuaResult<usize> {
    let util = vm.new_table_value(0, UTIL_FUNCS.len());
    for &(name, f) in UTIL_FUNCS {
        let fv = vm.new_native(f, name);
        vm.set_field(util, name, fv);
    }
    lunatrace_vm::builtin_id::note(vm, "jit.util", util);
    vm.push(util);
    Ok(1)
}

/// `jit.on(f)`/`jit.off(f)` (or `true` for the calling function): allow
/// or forbid traces starting in that function (and, with a second `true`,
/// in the functions it defines).
fn per_function(vm: &mut Vm, on: bool) -> bool {
    let a = vm.arg(1);
    let f = if a.is_func() {
        a
    } else if a.is_bool() && a.truthy() {
        // The calling Lua function (level 1).
        let th = vm.th();
        let n = th.frames.len();
        match n
            .checked_sub(2)
            .map(|i| th.stack[th.frames[i].func as usize])
        {
            Some(f) => f,
            None => return true,
        }
    } else {
        return false;
    };
    let recursive = vm.arg(2).truthy();
    if let Some(p) = lunatrace_vm::debuginfo::func_proto(f) {
        set_nojit(p, !on, recursive);
    }
    true
}

fn set_nojit(p: std::ptr::NonNull<lunatrace_vm::object::Proto>, off: bool, recursive: bool) {
    // SAFETY: live prototype; the flag is only read by the JIT.
    let pr = unsafe { &mut *p.as_ptr() };
    pr.nojit = off;
    if recursive {
        for &c in pr.protos.clone().iter() {
            set_nojit(c, off, true);
        }
    }
}

fn jit_on(vm: &mut Vm) -> LuaResult<usize> {
    if per_function(vm, true) {
        return Ok(0);
    }
    with_jit(vm, |j, _| j.on = true);
    Ok(0)
}

fn jit_off(vm: &mut Vm) -> LuaResult<usize> {
    if per_function(vm, false) {
        return Ok(0);
    }
    with_jit(vm, |j, vm| {
        j.on = false;
        j.abort_recording(vm, None);
    });
    Ok(0)
}

fn jit_flush(vm: &mut Vm) -> LuaResult<usize> {
    with_jit(vm, |j, vm| j.flush(vm));
    Ok(0)
}

fn jit_status(vm: &mut Vm) -> LuaResult<usize> {
    let st = with_jit(vm, |j, _| (j.on, j.flags.names())).unwrap_or((false, Vec::new()));
    vm.push(Value::bool(st.0));
    for n in &st.1 {
        let s = vm.intern(n.as_bytes());
        vm.push(s);
    }
    Ok(1 + st.1.len())
}

fn opt_start(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.nargs();
    for i in 1..=n {
        let a = vm.check_str(i)?;
        let s = String::from_utf8_lossy(str_bytes(a)).into_owned();
        match with_jit(vm, |j, vm| {
            apply_opt(j, &s).map(|()| {
                vm.sandwich = j.sandwich;
                // As LuaJIT: a new `hotloop` re-arms every hot counter at
                // once, so loops already counting see it.
                if s.split(',').any(|i| i.starts_with("hotloop=")) {
                    crate::arm_hot_counters(vm, j.params.hotloop);
                }
            })
        }) {
            Some(Err(e)) => return Err(vm.rt_error(&e)),
            None if s.starts_with("sandwich=") => {
                vm.sandwich = lunatrace_vm::jitrt::Sandwich::parse(&s["sandwich=".len()..])
                    .ok_or_else(|| vm.rt_error("unknown or malformed optimization flag"))?;
            }
            _ => {}
        }
    }
    Ok(0)
}

/// `jit.util.traceinfo(n)`: a table `{nins, nk, nexit, link, linktype}`
/// for trace `n`, or nil.
fn util_traceinfo(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.check_int(1)?;
    let info = with_jit(vm, |j, _| {
        j.traces
            .get((n as usize).wrapping_sub(1))
            .map(|t| (t.nins, t.nconsts, t.exit_pcs.len(), t.linktype))
    })
    .flatten();
    let Some((nins, nk, nexit, (kind, link))) = info else {
        vm.push(Value::NIL);
        return Ok(1);
    };
    let t = vm.new_table_value(0, 5);
    vm.set_field(t, "nins", Value::num(nins as f64));
    vm.set_field(t, "nk", Value::num(nk as f64));
    vm.set_field(t, "nexit", Value::num(nexit as f64));
    let link = link as f64;
    vm.set_field(t, "link", Value::num(link));
    let k = vm.intern(kind.as_bytes());
    vm.set_field(t, "linktype", k);
    vm.push(t);
    Ok(1)
}

/// `jit.attach(f, event)`: `f` handles `event` ("trace", "record",
/// "texit", "bc"; one handler per event, the last one attached);
/// `jit.attach(f)` detaches `f` from every event (`vm/vmevent.rs`).
fn jit_attach(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let ev = vm.opt_str(2)?;
    let reg = Value::from_table(vm.registry);
    let mut t = vm.get_field(reg, vmevent::REGISTRY_KEY);
    if !t.is_table() {
        t = vm.new_table_value(0, 4);
        vm.set_field(reg, vmevent::REGISTRY_KEY, t);
    }
    match ev {
        Some(ev) => {
            let name = String::from_utf8_lossy(str_bytes(ev)).into_owned();
            vm.set_field(t, &name, f);
        }
        None => {
            for &(name, _) in vmevent::EVENTS {
                if vm.get_field(t, name).bits() == f.bits() {
                    vm.set_field(t, name, Value::NIL);
                }
            }
        }
    }
    vm.refresh_vmevent_mask();
    if vm.vmevent_mask & (vmevent::TRACE | vmevent::RECORD | vmevent::TEXIT) != 0 {
        // (Handlers see the events in LuaJIT's order: a trace is installed
        // right after its recording, unless `async=1` was asked for.)
        with_jit(vm, |j, vm| {
            if !j.async_set {
                j.params.async_ = 0;
                j.finish_pending(vm);
            }
        });
    }
    Ok(0)
}

/// LuaJIT's short location of instruction `pc` of `p`, as `funcinfo`'s
/// `loc` and the tool modules show it: "file.lua:12" (the file name
/// without its directories), "name:12" for "=name", "\"source\":12" for
/// a short source string, "0x...:12" (the prototype's address) for a
/// longer one.
pub fn location(p: NonNull<Proto>, pc: usize) -> String {
    let pr = lunatrace_vm::debuginfo::proto(p);
    let s = str_bytes(pr.source);
    let line = lunatrace_vm::debuginfo::line_at(pr, pc);
    let line = if pc == 0 && line == 0 {
        pr.linedefined
    } else {
        line
    };
    if let Some(path) = s.strip_prefix(b"@") {
        let base = match path.iter().rposition(|&c| c == b'/' || c == b'\\') {
            Some(i) => &path[i + 1..],
            None => path,
        };
        format!("{}:{}", String::from_utf8_lossy(base), line)
    } else if s.len() > 40 {
        format!("{:p}:{}", p.as_ptr(), line)
    } else if let Some(name) = s.strip_prefix(b"=") {
        format!("{}:{}", String::from_utf8_lossy(name), line)
    } else {
        format!("\"{}\":{}", String::from_utf8_lossy(s), line)
    }
}

/// `jit.security(name)`: LuaJIT's hardening options — "prng" (random
/// allocation addresses), "strhash" (string hashing against collision
/// attacks), "strid" (random string ids), "mcode" (random machine code
/// placement). Lunatrace has none of them: 0 for each.
fn jit_security(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_str(1)?;
    match str_bytes(s) {
        b"prng" | b"strhash" | b"strid" | b"mcode" => {
            vm.push(Value::num(0.0));
            Ok(1)
        }
        o => {
            let msg = format!("invalid option '{}'", String::from_utf8_lossy(o));
            Err(vm.arg_error(1, &msg))
        }
    }
}

/// Argument 1 as a function: its prototype, or None for a native.
fn func_arg(vm: &mut Vm) -> LuaResult<(Value, Option<NonNull<Proto>>)> {
    let f = vm.check_func(1)?;
    Ok((f, lunatrace_vm::debuginfo::func_proto(f)))
}

/// Argument 1 as a Lua function's prototype.
fn lua_proto(vm: &mut Vm) -> LuaResult<NonNull<Proto>> {
    match func_arg(vm)? {
        (_, Some(p)) => Ok(p),
        (_, None) => Err(vm.arg_error(1, "Lua function expected")),
    }
}

/// The `funck` view of `p`'s constants: the indices in `Proto::k` of its
/// numbers, and of its other constants (child prototypes follow those).
fn kview(p: &Proto) -> (Vec<usize>, Vec<usize>) {
    let (mut nums, mut gcs) = (Vec::new(), Vec::new());
    for (i, k) in p.k.iter().enumerate() {
        if k.is_num() {
            nums.push(i);
        } else {
            gcs.push(i);
        }
    }
    (nums, gcs)
}

/// `jit.util.funcinfo(f [, pc])`.
fn util_funcinfo(vm: &mut Vm) -> LuaResult<usize> {
    let (f, p) = func_arg(vm)?;
    let pc = vm.opt_int(2, 0)?;
    let Some(p) = p else {
        // A native: its builtin number, if LuaJIT has one, and its address.
        // SAFETY: a live function object.
        let (native, nup) = f
            .as_func_ptr()
            .map(|f| unsafe { &*f.as_ptr() })
            .map(|f| (f.native, f.cupvals.len()))
            .unwrap_or((None, 0));
        let t = vm.new_table_value(0, 3);
        if let Some(id) = native.and_then(lunatrace_vm::builtin_id::of) {
            vm.set_field(t, "ffid", Value::num(id as f64));
        }
        let addr = native.map_or(0, |n| n as usize);
        vm.set_field(t, "addr", Value::num(addr as f64));
        vm.set_field(t, "upvalues", Value::num(nup as f64));
        vm.push(t);
        return Ok(1);
    };
    let pr = lunatrace_vm::debuginfo::proto(p);
    let (nums, gcs) = kview(pr);
    let t = vm.new_table_value(0, 16);
    let n = |x: usize| Value::num(x as f64);
    vm.set_field(t, "linedefined", n(pr.linedefined as usize));
    vm.set_field(t, "lastlinedefined", n(pr.lastlinedefined as usize));
    vm.set_field(t, "stackslots", n(pr.framesize as usize));
    vm.set_field(t, "params", n(pr.numparams as usize));
    vm.set_field(t, "bytecodes", n(pr.code.len()));
    vm.set_field(t, "gcconsts", n(gcs.len() + pr.protos.len()));
    vm.set_field(t, "nconsts", n(nums.len()));
    vm.set_field(t, "upvalues", n(pr.uvdesc.len()));
    if pc >= 0 && (pc as usize) < pr.code.len() {
        let line = lunatrace_vm::debuginfo::line_at(pr, pc as usize);
        vm.set_field(t, "currentline", n(line as usize));
    }
    vm.set_field(t, "isvararg", Value::bool(pr.is_vararg));
    vm.set_field(t, "children", Value::bool(!pr.protos.is_empty()));
    vm.set_field(t, "source", pr.source);
    let pc = if pc >= 0 { pc as usize } else { 0 };
    let loc = location(p, pc);
    let loc = vm.intern(loc.as_bytes());
    vm.set_field(t, "loc", loc);
    vm.push(t);
    Ok(1)
}

/// LuaJIT's `BCMode` number of an operand kind.
fn bcmode(m: Mode) -> u32 {
    match m {
        Mode::None => 0,
        Mode::Dst => 1,
        Mode::Base => 2,
        Mode::Var => 3,
        Mode::RBase => 4,
        Mode::Uv => 5,
        Mode::Lit => 6,
        Mode::Lits => 7,
        Mode::Pri => 8,
        Mode::Num => 9,
        Mode::Str => 10,
        Mode::Tab => 11,
        Mode::Func => 12,
        Mode::Jump => 13,
        Mode::Cdata => 14,
    }
}

/// LuaJIT's mode word of `op` (see the module docs).
pub fn mode_word(op: Op) -> u32 {
    let (a, b, cd) = op.modes();
    // (Our MM enum has LuaJIT's order up to unm; 18 is "none", after the
    // FFI's `new`.)
    let mm = op.mm().map_or(18, |m| m as u32);
    bcmode(a) | bcmode(b) << 3 | bcmode(cd) << 7 | mm << 11
}

/// Instruction `ins` of `p` with its constant operands renumbered to the
/// `funck` view (values that would not fit their field stay as they are).
pub fn renumber(p: &Proto, ins: u32) -> u32 {
    let Some(op) = Op::from_u8(bc::op(ins)) else {
        return ins;
    };
    let (_, _, cd) = op.modes();
    let (nums, gcs) = kview(p);
    let (field, width) = if op.has_d() {
        (bc::d(ins), 16)
    } else {
        (bc::c(ins), 8)
    };
    let pos = |list: &[usize]| list.iter().position(|&i| i == field as usize);
    let new = match cd {
        Mode::Num => pos(&nums),
        Mode::Str | Mode::Tab | Mode::Cdata => pos(&gcs),
        Mode::Func => Some(gcs.len() + field as usize),
        _ => None,
    };
    match new {
        Some(v) if v < 1 << width => {
            let mask = ((1u32 << width) - 1) << 16;
            (ins & !mask) | (v as u32) << 16
        }
        _ => ins,
    }
}

/// `jit.util.funcbc(f, pc)`: instruction word and mode word, or nothing
/// past the end.
fn util_funcbc(vm: &mut Vm) -> LuaResult<usize> {
    let p = lua_proto(vm)?;
    let pc = vm.check_int(2)?;
    let pr = lunatrace_vm::debuginfo::proto(p);
    if pc < 0 || pc as usize >= pr.code.len() {
        return Ok(0);
    }
    let ins = lunatrace_vm::jitrt::code_at(p, pc as usize);
    let Some(op) = Op::from_u8(bc::op(ins)) else {
        return Ok(0);
    };
    vm.push(Value::num(renumber(pr, ins) as f64));
    vm.push(Value::num(mode_word(op) as f64));
    Ok(2)
}

/// `jit.util.funck(f, idx)`.
fn util_funck(vm: &mut Vm) -> LuaResult<usize> {
    let p = lua_proto(vm)?;
    let idx = vm.check_int(2)?;
    let pr = lunatrace_vm::debuginfo::proto(p);
    let (nums, gcs) = kview(pr);
    let v = if idx >= 0 {
        nums.get(idx as usize).map(|&i| pr.k[i])
    } else {
        let j = (-(idx + 1)) as usize;
        if let Some(&i) = gcs.get(j) {
            Some(pr.k[i])
        } else if let Some(&child) = pr.protos.get(j - gcs.len()) {
            let env = vm.globals;
            Some(vm.new_lua_closure(child, env))
        } else {
            None
        }
    };
    match v {
        Some(v) => {
            vm.push(v);
            Ok(1)
        }
        None => Ok(0),
    }
}

/// `jit.util.funcuvname(f, idx)`: the name of upvalue `idx` (from 0).
fn util_funcuvname(vm: &mut Vm) -> LuaResult<usize> {
    let p = lua_proto(vm)?;
    let idx = vm.check_int(2)?;
    let pr = lunatrace_vm::debuginfo::proto(p);
    match usize::try_from(idx).ok().and_then(|i| pr.uvnames.get(i)) {
        Some(&n) if n.is_str() => {
            vm.push(n);
            Ok(1)
        }
        _ => Ok(0),
    }
}

// ---- Trace inspection in LuaJIT's shapes ----
//
// References, as LuaJIT's `jit.util` gives them: instructions from 1
// (instruction `i` of `-jdump`'s listing, which counts from 0, is ref
// `i + 1`), constants from -1 down (constant `k` of the trace is
// `-1 - k`, as our `Ref`s number them). Types are LuaJIT's `IRType`
// numbers (`irt`); the mode byte is LuaJIT's layout (`ir_mode`).

/// What `jit.util` reads of a compiled trace.
struct TraceView {
    ir: std::sync::Arc<lunatrace_ir::Trace>,
    /// Address and size of its machine code.
    addr: usize,
    size: usize,
    /// Address of its exits' link cells, and their number.
    cells: usize,
    ncells: usize,
}

/// The compiled trace `n` (argument 1), if there is one.
fn trace_arg(vm: &mut Vm) -> LuaResult<Option<TraceView>> {
    let n = vm.check_int(1)?;
    Ok(with_jit(vm, |j, _| {
        let i = usize::try_from(n).ok()?.checked_sub(1)?;
        j.traces.get(i).map(|t| TraceView {
            ir: t.full_ir.clone(),
            addr: t.link,
            size: t.mcode_size,
            cells: t.cells.as_ptr() as usize,
            ncells: t.cells.len(),
        })
    })
    .flatten())
}

/// LuaJIT's `IRType` number of one of our result types (`jit.dump`'s
/// `irtype` names: 0 nil, 1 fal, 2 tru, 3 lud, 4 str, 6 thr, 8 fun, 9
/// p64, 10 cdt, 11 tab, 12 udt, 14 num, 19 int). No result is LuaJIT's
/// nil type too; raw pointers, reference cdata (an address) and boxed
/// values of unknown type, which LuaJIT's IR does not have, are p64.
pub fn irt(t: lunatrace_ir::Ty) -> u32 {
    use lunatrace_ir::Ty;
    match t {
        Ty::Void | Ty::Nil => 0,
        Ty::False => 1,
        Ty::True => 2,
        Ty::LightUd => 3,
        Ty::Str => 4,
        Ty::Thread => 6,
        Ty::Func => 8,
        Ty::Ptr | Ty::CRef | Ty::Val => 9,
        Ty::Cdata => 10,
        Ty::Tab => 11,
        Ty::Udata => 12,
        Ty::Num => 14,
        Ty::Int => 19,
    }
}

/// LuaJIT's mode byte of `op`, from our op table: operand modes in bits
/// 0..2 (a) and 2..4 (b) — 0 reference, 1 literal, 3 none —, 0x10
/// commutative, the kind in 0x60: 0x40 load, 0x60 store or other side
/// effect, 0 otherwise (our table has no "allocation" kind: allocating
/// ops are stores; nor LuaJIT's weak-guard bit).
pub fn ir_mode(op: lunatrace_ir::Op) -> u32 {
    use lunatrace_ir::ops::Arg;
    let m = |a: Arg| match a {
        Arg::Ref => 0,
        Arg::Lit => 1,
        Arg::None => 3,
    };
    let (a, b) = op.args();
    let f = op.flags();
    let kind = if f.store() {
        0x60
    } else if f.load() {
        0x40
    } else {
        0
    };
    m(a) | m(b) << 2 | if f.comm() { 0x10 } else { 0 } | kind
}

/// One of our references as `jit.util` numbers it.
fn lj_ref(r: i32) -> i32 {
    if r == lunatrace_ir::Ref::NONE.0 {
        0
    } else if r >= 0 {
        r + 1
    } else {
        r
    }
}

/// `jit.util.traceir(tr, ref)`: `m, ot, op1, op2, ridsp` of instruction
/// `ref` (from 1) of trace `tr`, or nothing. `m` is the mode byte
/// (`ir_mode`), `ot` is `op << 8 | type`, the type's 0x80 bit set for a
/// guard (ops are numbered as `jit.vmdef.irnames` lists them); operands
/// are references (`lj_ref`), literals, or 0 when unused; `ridsp` is 254
/// (LuaJIT's "sunk" register) for an instruction sinking removed,
/// else 255, LuaJIT's "no register" (Cranelift allocates registers, the
/// IR records none).
fn util_traceir(vm: &mut Vm) -> LuaResult<usize> {
    let r = vm.check_int(2)?;
    let Some(TraceView { ir: t, .. }) = trace_arg(vm)? else {
        return Ok(0);
    };
    let Some(i) = usize::try_from(r).ok().and_then(|r| r.checked_sub(1)) else {
        return Ok(0);
    };
    let Some(ins) = t.ins.get(i) else {
        return Ok(0);
    };
    use lunatrace_ir::ops::Arg;
    let (ka, kb) = ins.op.args();
    let opnd = |k: Arg, v: i32| match k {
        Arg::Ref => lj_ref(v),
        Arg::Lit => v,
        Arg::None => 0,
    };
    let guard = if ins.op.flags().guard() { 0x80 } else { 0 };
    let ot = (ins.op as u32) << 8 | guard | irt(ins.ty);
    let sunk = t.is_sunk(lunatrace_ir::Ref(i as i32));
    for v in [
        ir_mode(ins.op) as f64,
        ot as f64,
        opnd(ka, ins.a) as f64,
        opnd(kb, ins.b) as f64,
        if sunk { 254.0 } else { 255.0 },
    ] {
        vm.push(Value::num(v));
    }
    Ok(5)
}

/// `jit.util.tracek(tr, ref)`: constant `ref` (negative) of trace `tr`
/// as a Lua value and its type number (`irt`), or nothing. Numbers and
/// ints are numbers; nil, false and true themselves; strings, tables,
/// functions (and any object a boxed constant holds) the object when the
/// JIT keeps it alive for its traces (`Vm::jit_roots`: the objects
/// traces compare identities with), else, like raw pointers, a light
/// userdata of the address. (LuaJIT's third result, a slot for its
/// `KSLOT` constants, our IR has no use for.)
fn util_tracek(vm: &mut Vm) -> LuaResult<usize> {
    use lunatrace_ir::{Const, Ty};
    use lunatrace_vm::value::tag;
    let r = vm.check_int(2)?;
    let Some(TraceView { ir: t, .. }) = trace_arg(vm)? else {
        return Ok(0);
    };
    if r >= 0 || r < i32::MIN as i64 + 1 {
        return Ok(0);
    }
    let Some(k) = t.get_const(lunatrace_ir::Ref(r as i32)) else {
        return Ok(0);
    };
    // An object the JIT roots, else its address.
    let rooted = |vm: &Vm, v: Value| {
        if vm.jit_roots.iter().any(|x| x.bits() == v.bits()) {
            v
        } else {
            Value::light_ud(v.payload() as usize)
        }
    };
    let v = match k {
        Const::Num(n) => Value::num(n),
        Const::Int(n) => Value::num(n as f64),
        Const::Ptr(_, Ty::Nil) => Value::NIL,
        Const::Ptr(_, Ty::False) => Value::FALSE,
        Const::Ptr(_, Ty::True) => Value::TRUE,
        Const::Ptr(p, ty) => {
            let tg = match ty {
                Ty::Str => Some(tag::STR),
                Ty::Tab => Some(tag::TABLE),
                Ty::Func => Some(tag::FUNC),
                Ty::Udata => Some(tag::UDATA),
                Ty::Thread => Some(tag::THREAD),
                Ty::Cdata => Some(tag::CDATA),
                _ => None,
            };
            match tg {
                Some(tg) if p != 0 => rooted(vm, Value::tagged(tg, p)),
                _ => Value::light_ud(p as usize),
            }
        }
        Const::Val(bits) => {
            let v = Value::from_bits(bits);
            if v.is_gc() {
                rooted(vm, v)
            } else {
                v
            }
        }
    };
    vm.push(v);
    vm.push(Value::num(irt(k.ty()) as f64));
    Ok(2)
}

/// LuaJIT's flag of a snapshot entry for a frame's function slot.
const SNAP_FRAME: i64 = 0x10000;
/// LuaJIT's bias of references in snapshot entries.
const REF_BIAS: i64 = 0x8000;

/// `jit.util.tracesnap(tr, sn)`: snapshot `sn` (from 0) of trace `tr`,
/// or nothing: a table whose `[0]` is the reference of the instruction
/// it was taken before, `[1]` its number of slots, then one entry per
/// slot it changes, in slot order, LuaJIT's packing as a signed 32-bit
/// number: `slot << 24 | flags | ref + 0x8000` (flag `0x10000`: the
/// function slot of an inlined frame), and `255 << 24` last. Our
/// snapshots may reach slots LuaJIT's 8-bit field cannot hold (LuaJIT
/// stops traces at 250): entries from slot 255 up are left out. Also
/// `pc`, the bytecode position the exit resumes at (our addition).
fn util_tracesnap(vm: &mut Vm) -> LuaResult<usize> {
    let sn = vm.check_int(2)?;
    let Some(TraceView { ir: t, .. }) = trace_arg(vm)? else {
        return Ok(0);
    };
    let Some(s) = usize::try_from(sn).ok().and_then(|i| t.snaps.get(i)) else {
        return Ok(0);
    };
    let fslots: Vec<u32> = s
        .frames
        .iter()
        .filter_map(|f| f.base.checked_sub(1))
        .collect();
    let top = s
        .map
        .iter()
        .map(|e| e.slot + 1)
        .chain(s.frames.iter().map(|f| f.base))
        .max()
        .unwrap_or(0)
        .min(255);
    let entries: Vec<f64> = s
        .map
        .iter()
        .filter(|e| e.slot < 255)
        .map(|e| {
            let flags = if fslots.contains(&e.slot) {
                SNAP_FRAME
            } else {
                0
            };
            let packed = (e.slot as i64) << 24 | flags | (lj_ref(e.r.0) as i64 + REF_BIAS);
            packed as u32 as i32 as f64
        })
        .collect();
    let tab = vm.new_table_value(entries.len() + 2, 1);
    let Some(tp) = tab.as_table_ptr() else {
        return Ok(0);
    };
    let set = |vm: &mut Vm, i: i64, v: f64| {
        lunatrace_vm::table::set_int(&mut vm.heap, tp, i, Value::num(v))
            .map_err(|_| vm.memory_error())
    };
    set(vm, 0, lj_ref(s.at as i32) as f64)?;
    set(vm, 1, top as f64)?;
    for (n, &e) in entries.iter().enumerate() {
        set(vm, n as i64 + 2, e)?;
    }
    set(vm, entries.len() as i64 + 2, (255u32 << 24) as i32 as f64)?;
    vm.set_field(tab, "pc", Value::num(s.pc as f64));
    vm.push(tab);
    Ok(1)
}

/// `jit.util.tracemc(tr)`: the machine code of trace `tr`'s function
/// (a string), its address and the offset of its loop, or nothing. The
/// offset is 0: Cranelift lays the blocks out and does not tell where
/// the loop's landed. (Region code compiled over the trace later is
/// another function; the trace's own stays as it was.)
fn util_tracemc(vm: &mut Vm) -> LuaResult<usize> {
    let Some(TraceView { addr, size, .. }) = trace_arg(vm)? else {
        return Ok(0);
    };
    if addr == 0 {
        return Ok(0);
    }
    // SAFETY: `addr` is the start of the trace's function, `size` bytes
    // of finalized (readable) code that stay mapped while the trace is in
    // the trace table (a flush empties the table before the memory is
    // retired, and frees it only at the flush after that).
    let code = unsafe { std::slice::from_raw_parts(addr as *const u8, size) };
    let s = vm.intern(code);
    vm.push(s);
    vm.push(Value::num(addr as f64));
    vm.push(Value::num(0.0));
    Ok(3)
}

/// `jit.util.traceexitstub(tr, exitno)`: for LuaJIT the address of the
/// exit's stub; our exits have none (an exit returns its number or jumps
/// through its link cell): the address of exit `exitno`'s link cell,
/// which the trace's code holds as an immediate where the exit leaves,
/// or nothing past the last exit.
fn util_traceexitstub(vm: &mut Vm) -> LuaResult<usize> {
    let e = vm.check_int(2)?;
    let Some(TraceView {
        cells, ncells: n, ..
    }) = trace_arg(vm)?
    else {
        return Ok(0);
    };
    match usize::try_from(e).ok().filter(|&e| e < n) {
        Some(e) => {
            vm.push(Value::num((cells + e * 8) as f64));
            Ok(1)
        }
        None => Ok(0),
    }
}

/// `jit.util.ircalladdr(idx)`: the address of runtime helper `idx` (from
/// 0, `jit.vmdef.ircall[idx]` names it: `vm/helpers.rs`' table), or
/// nothing.
fn util_ircalladdr(vm: &mut Vm) -> LuaResult<usize> {
    let i = vm.check_int(1)?;
    match usize::try_from(i)
        .ok()
        .and_then(|i| lunatrace_vm::helpers::Helper::ALL.get(i))
    {
        Some(h) => {
            vm.push(Value::num(h.addr() as f64));
            Ok(1)
        }
        None => Ok(0),
    }
}
