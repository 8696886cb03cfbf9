//! Lowering of the FFI in traces (ARCHITECTURE.md: FFI and the sandwich): compiled C calls
//! (`CALLC`) and the re-entry check after them (`REENTRY`) — arguments are
//! converted from their IR values (numbers, string pointers) to the C
//! scalars of the signature, the target is called directly with the
//! platform's C convention, a number result is converted back to `f64` —
//! and cdata access (`CDTYPE CDPTR ISCALE XREF XLOAD XSTORE CREF`), with
//! virtual reference cdata left as raw addresses at exits (the VM boxes
//! them unless a side trace made from that exit takes them over).

use super::{CVal, Lower};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Signature};
use cranelift_codegen::isa::CallConv;
use lunatrace_ir::{CScalar, Ins, Op, Ref};

fn clif_type(s: CScalar) -> types::Type {
    match s {
        CScalar::Int { size: 1, .. } => types::I8,
        CScalar::Int { size: 2, .. } => types::I16,
        CScalar::Int { size: 4, .. } => types::I32,
        CScalar::Int { .. } | CScalar::Ptr => types::I64,
        CScalar::F32 => types::F32,
        CScalar::F64 => types::F64,
    }
}

fn param(s: CScalar) -> AbiParam {
    let p = AbiParam::new(clif_type(s));
    match s {
        CScalar::Int {
            size: 1 | 2,
            signed: true,
        } => p.sext(),
        CScalar::Int {
            size: 1 | 2,
            signed: false,
        } => p.uext(),
        _ => p,
    }
}

/// A C scalar `x` (of `sc`'s CLIF type) as an IR value: a number, or the
/// address for pointers.
fn to_number(l: &mut Lower, sc: CScalar, x: CVal) -> CVal {
    match sc {
        CScalar::Int { size, signed } => {
            let w = if size < 8 {
                if signed {
                    l.b.ins().sextend(types::I64, x)
                } else {
                    l.b.ins().uextend(types::I64, x)
                }
            } else {
                x
            };
            if signed {
                l.b.ins().fcvt_from_sint(types::F64, w)
            } else {
                l.b.ins().fcvt_from_uint(types::F64, w)
            }
        }
        CScalar::F32 => l.b.ins().fpromote(types::F64, x),
        CScalar::F64 | CScalar::Ptr => x,
    }
}

/// Number `x` truncated to an integer of CLIF type `ty` (I32 or I64) as
/// x86-64's `cvttsd2si` does on every target: out of range and NaN give
/// the type's minimum (`lunatrace_ffi::cdata::cvt_i32`/`cvt_i64`).
fn cvtt(l: &mut Lower, ty: types::Type, x: CVal) -> CVal {
    use cranelift_codegen::ir::condcodes::FloatCC;
    // In range: -2^31 - 1 < x < 2^31, or -2^63 <= x < 2^63 (NaN is not).
    let (lo, lo_cc, hi, min) = if ty == types::I32 {
        (
            -2_147_483_649.0,
            FloatCC::GreaterThan,
            2_147_483_648.0,
            i32::MIN as i64,
        )
    } else {
        (
            -9.223_372_036_854_776e18,
            FloatCC::GreaterThanOrEqual,
            9.223_372_036_854_776e18,
            i64::MIN,
        )
    };
    let sat = l.b.ins().fcvt_to_sint_sat(ty, x);
    let (klo, khi) = (l.b.ins().f64const(lo), l.b.ins().f64const(hi));
    let c1 = l.b.ins().fcmp(lo_cc, x, klo);
    let c2 = l.b.ins().fcmp(FloatCC::LessThan, x, khi);
    let ok = l.b.ins().band(c1, c2);
    let m = l.b.ins().iconst(ty, min);
    l.b.ins().select(ok, sat, m)
}

/// Number `x` converted to a C integer of `size` bytes as LuaJIT on
/// x86-64 converts it (`lunatrace_ffi::cdata::num_to_int`), as a 64-bit
/// value whose low `size` bytes are the integer's.
fn num_to_int(l: &mut Lower, x: CVal, size: u8, signed: bool) -> CVal {
    match (size, signed) {
        (8, false) => {
            // `num_to_u64`: where the truncation is negative, `x - 2^64`.
            let i = cvtt(l, types::I64, x);
            let k = l.b.ins().f64const(18_446_744_073_709_551_616.0);
            let d = l.b.ins().fsub(x, k);
            let j = cvtt(l, types::I64, d);
            let neg = l.b.ins().icmp_imm_s(IntCC::SignedLessThan, i, 0);
            l.b.ins().select(neg, j, i)
        }
        (8, true) | (4, false) => cvtt(l, types::I64, x),
        _ => {
            let i = cvtt(l, types::I32, x);
            l.b.ins().sextend(types::I64, i)
        }
    }
}

/// A number (or address) converted to C scalar `sc` as C would on store.
fn from_number(l: &mut Lower, sc: CScalar, x: CVal) -> CVal {
    match sc {
        CScalar::Int { size, signed } => {
            let w = num_to_int(l, x, size, signed);
            if size < 8 {
                l.b.ins().ireduce(clif_type(sc), w)
            } else {
                w
            }
        }
        CScalar::F32 => l.b.ins().fdemote(types::F32, x),
        CScalar::F64 | CScalar::Ptr => x,
    }
}

impl Lower<'_, '_> {
    /// `CALLC a b`: call the target of chain `a` with signature `b`.
    pub(super) fn lower_callc(&mut self, ins: &Ins) -> Result<Option<CVal>, String> {
        let sig = self.t.csigs[ins.b as usize].clone();
        // Walk CARG(...(CARG(target, a1)...), aN) back to the target.
        let mut args = Vec::new();
        let mut r = Ref(ins.a);
        while r.is_ins() && self.t.ins[r.idx()].op == Op::CARG {
            let c = &self.t.ins[r.idx()];
            args.push(Ref(c.b));
            r = Ref(c.a);
        }
        args.reverse();
        if args.len() != sig.args.len() {
            return Err("CALLC argument count".into());
        }
        let target = self.v(r)?;
        if sig.thunk != 0 {
            return self.lower_thunk_call(&sig, target, &args);
        }
        let mut vals = Vec::with_capacity(args.len());
        for (&ar, &sc) in args.iter().zip(&sig.args) {
            let x = self.v(ar)?;
            vals.push(from_number(self, sc, x));
        }
        let mut s = Signature::new(CallConv::SystemV);
        s.params.extend(sig.args.iter().map(|&a| param(a)));
        if let Some(rt) = sig.ret {
            s.returns.push(param(rt));
        }
        let target = if sig.nfixed < sig.args.len() {
            // Variadic: through the `%al` stub, the target passed after
            // the arguments (see `ffi_thunk`).
            let stub = self
                .stubs
                .get(ins.b as usize)
                .copied()
                .flatten()
                .ok_or("NYI: variadic C call on this target")?;
            s.params.push(AbiParam::new(types::I64));
            vals.push(target);
            self.b.ins().func_addr(types::I64, stub)
        } else {
            target
        };
        let sr = self.b.import_signature(s);
        let call = self.b.ins().call_indirect(sr, target, &vals);
        let Some(rt) = sig.ret else {
            return Ok(None);
        };
        let res = self.b.inst_results(call)[0];
        Ok(Some(to_number(self, rt, res)))
    }

    /// A `CALLC` through an FFI thunk (`CSig::thunk`): the arguments go
    /// to a stack array of 64-bit words as the thunk protocol has them
    /// (`lunatrace_ffi::abi`), the result comes back through memory.
    fn lower_thunk_call(
        &mut self,
        sig: &lunatrace_ir::CSig,
        target: CVal,
        args: &[Ref],
    ) -> Result<Option<CVal>, String> {
        use cranelift_codegen::ir::{MemFlagsData, StackSlotData, StackSlotKind};
        let n = args.len() - usize::from(sig.sret);
        let words = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (n.max(1) * 8) as u32,
            3,
        ));
        let rbuf =
            self.b
                .create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 4));
        for (i, (&ar, &sc)) in args[..n].iter().zip(&sig.args).enumerate() {
            let x = self.v(ar)?;
            let x = from_number(self, sc, x);
            let w = match sc {
                CScalar::Int {
                    size: 1 | 2 | 4,
                    signed: true,
                } => self.b.ins().sextend(types::I64, x),
                CScalar::Int {
                    size: 1 | 2 | 4, ..
                } => self.b.ins().uextend(types::I64, x),
                CScalar::F64 => self.b.ins().bitcast(types::I64, MemFlagsData::new(), x),
                CScalar::F32 => {
                    let b = self.b.ins().bitcast(types::I32, MemFlagsData::new(), x);
                    self.b.ins().uextend(types::I64, b)
                }
                _ => x,
            };
            self.b
                .ins()
                .stack_store(types::I64, w, words, (i * 8) as i32);
        }
        let ap = self.b.ins().stack_addr(types::I64, words, 0);
        let rp = if sig.sret {
            self.v(args[n])?
        } else {
            self.b.ins().stack_addr(types::I64, rbuf, 0)
        };
        let mut s = Signature::new(CallConv::SystemV);
        for _ in 0..3 {
            s.params.push(AbiParam::new(types::I64));
        }
        let sr = self.b.import_signature(s);
        let th = self.b.ins().iconst(types::I64, sig.thunk as i64);
        self.b.ins().call_indirect(sr, th, &[target, ap, rp]);
        let Some(rt) = sig.ret else {
            return Ok(None);
        };
        let x = self.b.ins().stack_load(types::I64, clif_type(rt), rbuf, 0);
        Ok(Some(to_number(self, rt, x)))
    }

    /// Cdata access: `CDTYPE CDPTR ISCALE XREF XLOAD CREF`.
    pub(super) fn lower_cdata(&mut self, ins: &Ins) -> Result<CVal, String> {
        let a = self.v(Ref(ins.a))?;
        Ok(match ins.op {
            Op::CDTYPE => self.load(types::I32, a, lunatrace_vm::object::CDATA_CTYPE_OFS),
            Op::CDPTR => self
                .b
                .ins()
                .iadd_imm_s(a, lunatrace_vm::object::CDATA_HEADER_SIZE as i64),
            Op::ISCALE => {
                let w = self.b.ins().sextend(types::I64, a);
                self.b.ins().imul_imm_s(w, ins.b as i64)
            }
            Op::XREF => {
                let mut off = self.v(Ref(ins.b))?;
                if self.b.func.dfg.value_type(off) == types::I32 {
                    off = self.b.ins().sextend(types::I64, off);
                }
                self.b.ins().iadd(a, off)
            }
            Op::XLOAD => {
                let sc = CScalar::from_code(ins.b);
                let x = self.load(clif_type(sc), a, 0);
                to_number(self, sc, x)
            }
            // CREF: the address itself.
            _ => a,
        })
    }

    /// 64-bit `w` cut to C integer `sc` narrower than 64 bits and extended
    /// back by its signedness (`w` for anything else).
    fn extend_from(&mut self, sc: CScalar, w: CVal) -> CVal {
        match sc {
            CScalar::Int {
                size: 1 | 2 | 4,
                signed,
            } => {
                let n = self.b.ins().ireduce(clif_type(sc), w);
                if signed {
                    self.b.ins().sextend(types::I64, n)
                } else {
                    self.b.ins().uextend(types::I64, n)
                }
            }
            _ => w,
        }
    }

    /// 64-bit integer arithmetic and conversions (`I64ADD I64SUB I64MUL
    /// I64NEG TOI64 I64NUM`).
    pub(super) fn lower_i64(&mut self, ins: &Ins) -> Result<CVal, String> {
        let a = self.v(Ref(ins.a))?;
        Ok(match ins.op {
            Op::I64ADD => {
                let b = self.v(Ref(ins.b))?;
                self.b.ins().iadd(a, b)
            }
            Op::I64SUB => {
                let b = self.v(Ref(ins.b))?;
                self.b.ins().isub(a, b)
            }
            Op::I64MUL => {
                let b = self.v(Ref(ins.b))?;
                self.b.ins().imul(a, b)
            }
            Op::I64NEG => self.b.ins().ineg(a),
            Op::TOI64 => match CScalar::of_toi64(ins.b) {
                None => cvtt(self, types::I64, a),
                // (As stored to that integer type, extended back.)
                Some(sc @ CScalar::Int { size, signed }) => {
                    let w = num_to_int(self, a, size, signed);
                    self.extend_from(sc, w)
                }
                Some(_) => return Err("TOI64 to a non-integer".into()),
            },
            Op::I64EXT => self.extend_from(CScalar::from_code(ins.b), a),
            _ if ins.b == 1 => self.b.ins().fcvt_from_uint(types::F64, a),
            _ => self.b.ins().fcvt_from_sint(types::F64, a),
        })
    }

    /// Unsigned 64-bit comparison guards (`ULT UGE ULE UGT`).
    pub(super) fn lower_ucmp(&mut self, ins: &Ins) -> Result<(), String> {
        let (x, y) = (self.v(Ref(ins.a))?, self.v(Ref(ins.b))?);
        let cc = match ins.op {
            Op::ULT => IntCC::UnsignedLessThan,
            Op::UGE => IntCC::UnsignedGreaterThanOrEqual,
            Op::ULE => IntCC::UnsignedLessThanOrEqual,
            _ => IntCC::UnsignedGreaterThan,
        };
        let ok = self.b.ins().icmp(cc, x, y);
        self.guard(ok, ins.snap);
        Ok(())
    }

    /// Make sunk cdata `r` (`CNEW`) in an exit block whose snapshot was
    /// taken before instruction `at`: allocate it and replay its sunk
    /// member stores made before `at`, in order.
    pub(super) fn materialize_cdata(&mut self, r: Ref, at: usize) -> Result<CVal, String> {
        use lunatrace_vm::helpers::Helper;
        let ins = self.t.ins[r.idx()];
        let ctx = self.ctx;
        let ct = self.b.ins().iconst(types::I32, ins.a as i64);
        let size = self.b.ins().iconst(types::I32, ins.b as i64);
        let o = self
            .call(Helper::CNew, &[ctx, ct, size])
            .ok_or("CNEW helper without result")?;
        let payload = self
            .b
            .ins()
            .iadd_imm_s(o, lunatrace_vm::object::CDATA_HEADER_SIZE as i64);
        for j in r.idx() + 1..at.min(self.t.ins.len()) {
            let s = self.t.ins[j];
            if s.op != Op::XSTORE || !self.t.is_sunk(Ref(j as i32)) {
                continue;
            }
            let c = self.t.ins[s.a as usize];
            let x = self.t.ins[c.a as usize];
            let d = self.t.ins[x.a as usize];
            if x.op != Op::XREF || d.op != Op::CDPTR || d.a != r.0 {
                continue;
            }
            let off = match self.t.get_const(Ref(x.b)) {
                Some(lunatrace_ir::Const::Int(k)) => k as i64,
                _ => return Err("sunk cdata store at a variable offset".into()),
            };
            let addr = self.b.ins().iadd_imm_s(payload, off);
            let v = self.v(Ref(c.b))?;
            let sc = CScalar::from_code(s.b);
            let v = from_number(self, sc, v);
            self.b.ins().store(Self::flags(), v, addr, 0);
        }
        Ok(o)
    }

    /// `XSTORE CARG(address, value) kind`.
    pub(super) fn lower_xstore(&mut self, ins: &Ins) -> Result<(), String> {
        let c = &self.t.ins[ins.a as usize];
        let (addr, val) = (self.v(Ref(c.a))?, self.v(Ref(c.b))?);
        let sc = CScalar::from_code(ins.b);
        let x = from_number(self, sc, val);
        self.b.ins().store(Self::flags(), x, addr, 0);
        Ok(())
    }

    /// `REENTRY`: exit when the VM's re-entry flag is set.
    pub(super) fn lower_reentry(&mut self, ins: &Ins) {
        let ctx = self.ctx;
        let off = lunatrace_vm::state::VM_REENTERED_OFS;
        let f = self.load(types::I32, ctx, off);
        let ok = self.b.ins().icmp_imm_u(IntCC::Equal, f, 0);
        self.guard(ok, ins.snap);
    }
}

/// The ABI view of a compiled call's signature (for its `%al` stub).
pub(crate) fn abi_sig(sig: &lunatrace_ir::CSig) -> lunatrace_ffi::abi::AbiSig {
    use lunatrace_ffi::abi::{AbiSig, AbiType, Scalar};
    let sc = |s: CScalar| {
        AbiType::Scalar(match s {
            CScalar::Int { size: 1, signed } => [Scalar::U8, Scalar::I8][signed as usize],
            CScalar::Int { size: 2, signed } => [Scalar::U16, Scalar::I16][signed as usize],
            CScalar::Int { size: 4, signed } => [Scalar::U32, Scalar::I32][signed as usize],
            CScalar::Int { signed, .. } => [Scalar::U64, Scalar::I64][signed as usize],
            CScalar::F32 => Scalar::F32,
            CScalar::F64 => Scalar::F64,
            CScalar::Ptr => Scalar::Ptr,
        })
    };
    AbiSig {
        args: sig.args.iter().map(|&a| sc(a)).collect(),
        ret: sig.ret.map(sc),
        nfixed: sig.nfixed,
    }
}
