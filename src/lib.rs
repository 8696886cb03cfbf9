//! Lunatrace: the public facade that wires the VM and the JIT together.

pub use lunatrace_vm as vm;
