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
}

fn jit_on(vm: &mut Vm) -> LuaResult<usize> {
    if vm.arg(1).is_func() || vm.arg(1).is_bool() {
        // Per-function control: accepted, applies globally for now.
        return Ok(0);
    }
    with_jit(vm, |j, _| j.on = true);
    Ok(0)
}

fn jit_off(vm: &mut Vm) -> LuaResult<usize> {
    if vm.arg(1).is_func() || vm.arg(1).is_bool() {
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
        if let Some(Err(e)) = with_jit(vm, |j, _| apply_opt(j, &s)) {
            return Err(vm.rt_error(&e));
        }
    }
    Ok(0)
}
