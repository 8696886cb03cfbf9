//! Lowering of the closure ops of traces: `FNEW` calls the runtime
//! helper `jitrt::jit_fnew` (the allocation is followed by a GC-step
//! guard in the IR).

use super::{CVal, Lower};
use cranelift_codegen::ir::types;
use lunatrace_ir::{Ins, Ref};
use lunatrace_vm::jitrt;

impl Lower<'_, '_> {
    /// `FNEW proto, parent`: a new closure (pointer).
    pub(super) fn lower_fnew(&mut self, ins: &Ins) -> Result<CVal, String> {
        let ctx = self.ctx;
        let p = self.v(Ref(ins.a))?;
        let parent = self.v(Ref(ins.b))?;
        self.call(
            jitrt::jit_fnew as *const () as usize,
            &[types::I64, types::I64, types::I64],
            Some(types::I64),
            &[ctx, parent, p],
        )
        .ok_or_else(|| "FNEW call".to_string())
    }
}
