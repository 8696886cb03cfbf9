//! Lowering of the string and conversion ops of fast functions and CAT
//! (`SBYTE SSUB CAT SCHAR SFMT TOSTR TONUMS TYMETA`): helpers of
//! `vm/jitrt.rs` called with the VM, values passed in registers or, for
//! lists of boxed values (CARG chains), spilled to a stack slot. Helpers
//! that can refuse return null, and the trace exits through the op's
//! snapshot.

use super::{CVal, Lower};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, StackSlotData, StackSlotKind};
use lunatrace_ir::{Const, Ins, Op, Ref};
use lunatrace_vm::helpers::Helper;

impl Lower<'_, '_> {
    /// The `n` values of chain `a` (CARG(...(CARG(v1, v2)...), vN)), in
    /// order, stored to a new stack slot: its address.
    fn spill_chain(&mut self, a: Ref, n: usize) -> Result<CVal, String> {
        let mut refs = Vec::with_capacity(n);
        let mut r = a;
        for _ in 1..n {
            let c = *self.t.ins_of(r).ok_or("value chain without CARG")?;
            if c.op != Op::CARG {
                return Err("value chain without CARG".into());
            }
            refs.push(Ref(c.b));
            r = Ref(c.a);
        }
        refs.push(r);
        refs.reverse();
        let size = (n.max(1) * 8) as u32;
        let ss = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            size,
            3,
        ));
        for (i, &r) in refs.iter().enumerate() {
            let v = self.boxed(r)?;
            let pt = self.ptr;
            self.b.ins().stack_store(pt, v, ss, (i * 8) as i32);
        }
        Ok(self.b.ins().stack_addr(self.ptr, ss, 0))
    }

    /// Exit through the op's snapshot when pointer `p` is null.
    fn guard_nonnull(&mut self, p: CVal, snap: u32) {
        let ok = self.b.ins().icmp_imm_u(IntCC::NotEqual, p, 0);
        self.guard(ok, snap);
    }

    pub(super) fn lower_fast(&mut self, ins: &Ins) -> Result<Option<CVal>, String> {
        let a = Ref(ins.a);
        let ctx = self.ctx;
        let i64t = types::I64;
        Ok(Some(match ins.op {
            Op::SBYTE => {
                let s = self.v(a)?;
                let i = self.v(Ref(ins.b))?;
                let w = self.b.ins().sextend(i64t, i);
                let p = self.b.ins().iadd(s, w);
                let off = std::mem::size_of::<lunatrace_vm::object::Str>() as i32 - 1;
                let c = self.b.ins().load(types::I8, Self::flags(), p, off);
                self.b.ins().uextend(types::I32, c)
            }
            Op::SSUB => {
                let s = self.v(a)?;
                let carg = *self.t.ins_of(Ref(ins.b)).ok_or("SSUB without CARG")?;
                let (i, j) = (self.v(Ref(carg.a))?, self.v(Ref(carg.b))?);
                self.call(Helper::SSub, &[ctx, s, i, j]).unwrap()
            }
            Op::SUBLEN => {
                let s = self.v(a)?;
                let carg = *self.t.ins_of(Ref(ins.b)).ok_or("SUBLEN without CARG")?;
                let (i, j) = (self.v(Ref(carg.a))?, self.v(Ref(carg.b))?);
                self.call(Helper::SubLen, &[s, i, j]).unwrap()
            }
            Op::GMATCH => {
                let f = self.v(a)?;
                let want = self.b.ins().iconst(types::I32, ins.b as i64);
                self.call(Helper::GMatch, &[ctx, f, want]).unwrap()
            }
            Op::CONEW => {
                let f = self.v(a)?;
                self.call(Helper::CoNew, &[ctx, f]).unwrap()
            }
            Op::COSTATUS => {
                let co = self.v(a)?;
                self.call(Helper::CoStatus, &[ctx, co]).unwrap()
            }
            Op::SCASE => {
                let s = self.v(a)?;
                let up = self.b.ins().iconst(types::I32, ins.b as i64);
                self.call(Helper::SCase, &[ctx, s, up]).unwrap()
            }
            Op::SREP => {
                let (s, n) = (self.v(a)?, self.v(Ref(ins.b))?);
                let r = self.call(Helper::SRep, &[ctx, s, n]).unwrap();
                self.guard_nonnull(r, ins.snap);
                r
            }
            Op::SFIND => {
                let sp = *self.t.ins_of(a).ok_or("SFIND without CARG")?;
                let ip = *self.t.ins_of(Ref(ins.b)).ok_or("SFIND without CARG")?;
                let (s, p) = (self.v(Ref(sp.a))?, self.v(Ref(sp.b))?);
                let (init, plain) = (self.v(Ref(ip.a))?, self.v(Ref(ip.b))?);
                self.call(Helper::SFind, &[s, p, init, plain]).unwrap()
            }
            Op::SMATCH => {
                let sp = *self.t.ins_of(a).ok_or("SMATCH without CARG")?;
                let ip = *self.t.ins_of(Ref(ins.b)).ok_or("SMATCH without CARG")?;
                let (s, p) = (self.v(Ref(sp.a))?, self.v(Ref(sp.b))?);
                let init = self.v(Ref(ip.a))?;
                match self.t.get_const(Ref(ip.b)) {
                    Some(Const::Int(0)) => self.call(Helper::SNoMatch, &[s, p, init]).unwrap(),
                    _ => self.call(Helper::SMatch, &[ctx, s, p, init]).unwrap(),
                }
            }
            Op::SGSUB => {
                let sp = *self.t.ins_of(a).ok_or("SGSUB without CARG")?;
                let (s, p) = (self.v(Ref(sp.a))?, self.v(Ref(sp.b))?);
                let repl = self.v(Ref(ins.b))?;
                let r = self.call(Helper::SGsub, &[ctx, s, p, repl]).unwrap();
                self.guard_nonnull(r, ins.snap);
                r
            }
            Op::SFINDS => {
                let r = self.v(a)?;
                let hi = self.b.ins().sshr_imm_u(r, 32);
                self.b.ins().fcvt_from_sint(types::F64, hi)
            }
            Op::SFINDE => {
                let r = self.v(a)?;
                let lo = self.b.ins().band_imm_u(r, 0xffff_ffff);
                self.b.ins().fcvt_from_sint(types::F64, lo)
            }
            Op::CAT | Op::SCHAR | Op::SFMT | Op::TCONCAT => {
                let n = ins.b as usize;
                let p = self.spill_chain(a, n)?;
                let k = self.b.ins().iconst(types::I32, n as i64);
                let f = match ins.op {
                    Op::CAT => Helper::Cat,
                    Op::SCHAR => Helper::SChar,
                    Op::TCONCAT => Helper::TConcat,
                    _ => Helper::SFmt,
                };
                let r = self.call(f, &[ctx, p, k]).unwrap();
                self.guard_nonnull(r, ins.snap);
                r
            }
            Op::TOSTR => {
                let x = self.v(a)?;
                let r = self.call(Helper::ToStrNum, &[ctx, x]).unwrap();
                self.guard_nonnull(r, ins.snap);
                r
            }
            Op::TONUMS => {
                let s = self.v(a)?;
                self.call(Helper::ToNumStr, &[s]).unwrap()
            }
            Op::TYMETA => {
                let k = self.b.ins().iconst(types::I32, ins.a as i64);
                self.call(Helper::TypeMeta, &[ctx, k]).unwrap()
            }
            _ => return Err(format!("lower_fast: {}", ins.op.name())),
        }))
    }
}
