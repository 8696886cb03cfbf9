//! The `jit` Lua module: on, off, flush, status, version, version_num, os,
//! arch, opt.start — operating on the `Jit` installed in the VM.

use crate::{apply_opt, Jit};
use lunatrace_vm::error::LuaResult;
use lunatrace_vm::object::str_bytes;
use lunatrace_vm::{Value, Vm};

/// Run `f` on the VM's JIT (if it is a `Jit`).
fn with_jit<R>(vm: &mut Vm, f: impl FnOnce(&mut Jit, &mut Vm) -> R) -> Option<R> {
    let mut j = vm.jit.take()?;
    let r = j.as_any().downcast_mut::<Jit>().map(|jit| f(jit, vm));
    vm.jit = Some(j);
    r
}

/// Register the `jit` module (global and `package.loaded.jit`).
pub fn open(vm: &mut Vm) {
    let m = vm.register_lib(
        "jit",
        &[
            ("on", jit_on),
            ("off", jit_off),
            ("flush", jit_flush),
            ("status", jit_status),
        ],
    );
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
    let util = vm.new_table_value(0, 1);
    let ti = vm.new_native(util_traceinfo, "traceinfo");
    vm.set_field(util, "traceinfo", ti);
    vm.set_field(m, "util", util);
    let loaded = vm.loaded_table();
    vm.set_field(loaded, "jit.util", util);
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
        j.traces.get((n as usize).wrapping_sub(1)).map(|t| {
            let linked = t.links.iter().copied().find(|&l| l != 0 && l != u32::MAX);
            (
                t.nins,
                t.nconsts,
                t.exit_pcs.len(),
                t.parent.is_some(),
                linked,
            )
        })
    })
    .flatten();
    let Some((nins, nk, nexit, side, linked)) = info else {
        vm.push(Value::NIL);
        return Ok(1);
    };
    let t = vm.new_table_value(0, 5);
    vm.set_field(t, "nins", Value::num(nins as f64));
    vm.set_field(t, "nk", Value::num(nk as f64));
    vm.set_field(t, "nexit", Value::num(nexit as f64));
    let (link, kind) = match (side, linked) {
        (false, _) => (n as f64, "loop"),
        (true, Some(l)) => (l as f64, "root"),
        (true, None) => (0.0, "interpreter"),
    };
    vm.set_field(t, "link", Value::num(link));
    let k = vm.intern(kind.as_bytes());
    vm.set_field(t, "linktype", k);
    vm.push(t);
    Ok(1)
}
