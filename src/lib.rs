//! Lunatrace: the public facade that wires the VM and the JIT together.
//!
//! The tracing JIT (recorder + Cranelift backend) is not installed yet: the
//! command-line `-j`/`-O` options are parsed and the parameters that the
//! interpreter already uses (hot counters) are applied.

pub use lunatrace_vm as vm;

/// Apply `-j` commands and `-O` options to a VM (the JIT hook goes here
/// when the JIT lands). Unknown options are ignored like luajit ignores
/// unknown `-O` flags it does not know... (luajit errors; see TODO in the
/// JIT issue).
pub fn install_jit(vm: &mut vm::Vm, _cmds: &[String], opts: &[String]) {
    for o in opts {
        for part in o.split(',') {
            if let Some(v) = part.strip_prefix("hotloop=") {
                if let Ok(n) = v.parse::<u16>() {
                    vm.hotloop = n.max(1);
                    vm.hotcount = [vm.hotloop; vm::state::HOTCOUNT_SIZE];
                }
            }
        }
    }
}
