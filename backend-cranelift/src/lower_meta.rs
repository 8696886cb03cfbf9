//! Lowering of the closure ops of traces: `FNEW` calls the runtime
//! helper `jitrt::jit_fnew` (the allocation is followed by a GC-step
//! guard in the IR); open upvalues point at stack slots (`SREF`), which
//! `SSTORE` fills before `UCLOSE` (`jitrt::jit_uclose`) closes them.

use super::{CVal, Lower};
use cranelift_codegen::ir::{types, InstBuilder};
use lunatrace_ir::{Ins, Op, Ref};
use lunatrace_vm::helpers::Helper;

impl Lower<'_, '_> {
    /// `FNEW proto, parent` or `FNEW proto, CARG(parent, frame SREF)`: a
    /// new closure (pointer).
    pub(super) fn lower_fnew(&mut self, ins: &Ins) -> Result<CVal, String> {
        let ctx = self.ctx;
        let p = self.v(Ref(ins.a))?;
        let (parent, base) = match self.t.ins_of(Ref(ins.b)) {
            Some(c) if c.op == Op::CARG => {
                let (pa, fb) = (c.ra(), c.rb());
                (self.v(pa)?, self.v(fb)?)
            }
            _ => (self.v(Ref(ins.b))?, self.b.ins().iconst(types::I64, 0)),
        };
        self.call(Helper::FNew, &[ctx, parent, p, base])
            .ok_or_else(|| "FNEW call".to_string())
    }

    /// Address of slot `a` of the (current) base frame.
    pub(super) fn slot_ref(&mut self, a: i32) -> CVal {
        let off = (a - self.shift) as i64 * 8;
        self.b.ins().iadd_imm_s(self.base, off)
    }

    /// `SSTORE a, v`: store boxed `v` into slot `a`.
    pub(super) fn lower_sstore(&mut self, ins: &Ins) -> Result<(), String> {
        let v = self.boxed(Ref(ins.b))?;
        let addr = self.slot_ref(ins.a);
        self.b.ins().store(Self::flags(), v, addr, 0);
        Ok(())
    }

    /// `UCLOSE a`: close the open upvalues at or above slot `a`.
    pub(super) fn lower_uclose(&mut self, ins: &Ins) -> Result<(), String> {
        let ctx = self.ctx;
        let addr = self.slot_ref(ins.a);
        self.call(Helper::UClose, &[ctx, addr]);
        Ok(())
    }
}
