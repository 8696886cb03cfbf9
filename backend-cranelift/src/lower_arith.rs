//! Lowering of arithmetic: float and integer operations (with the
//! overflow-checked integer add), conversions, `math` functions, `bit.*`
//! operations and comparisons (guards, or booleans where a value is used).

use super::*;

impl Lower<'_, '_> {
    /// Arithmetic, bit, conversion and comparison ops.
    pub(super) fn lower_arith(&mut self, ins: &Ins) -> Result<Option<CVal>, String> {
        let a = Ref(ins.a);
        let bb = Ref(ins.b);
        Ok(match ins.op {
            Op::ADD | Op::SUB | Op::MUL | Op::DIV => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                Some(match ins.op {
                    Op::ADD => self.b.ins().fadd(x, y),
                    Op::SUB => self.b.ins().fsub(x, y),
                    Op::MUL => self.b.ins().fmul(x, y),
                    _ => self.b.ins().fdiv(x, y),
                })
            }
            Op::MOD => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                let q = self.b.ins().fdiv(x, y);
                let f = self.b.ins().floor(q);
                let m = self.b.ins().fmul(f, y);
                Some(self.b.ins().fsub(x, m))
            }
            Op::NEG => {
                let x = self.v(a)?;
                Some(self.b.ins().fneg(x))
            }
            Op::FPMATH => {
                let x = self.v(a)?;
                let f = FpMath::from_u32(ins.b as u32).ok_or("bad fpmath")?;
                Some(match f {
                    FpMath::Sqrt => self.b.ins().sqrt(x),
                    FpMath::Abs => self.b.ins().fabs(x),
                    FpMath::Floor => self.b.ins().floor(x),
                    FpMath::Ceil => self.b.ins().ceil(x),
                    _ => {
                        let k = self.b.ins().iconst(types::I32, ins.b as i64);
                        self.call(Helper::FpMath, &[x, k]).unwrap()
                    }
                })
            }
            Op::MIN | Op::MAX => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                let cc = if ins.op == Op::MIN {
                    FloatCC::LessThan
                } else {
                    FloatCC::GreaterThan
                };
                let c = self.b.ins().fcmp(cc, x, y);
                Some(self.b.ins().select(c, x, y))
            }
            Op::TOINT => {
                let x = self.v(a)?;
                if let Some(&i) = self.int_of.get(&x) {
                    return Ok(Some(i));
                }
                let i = if self.x86 {
                    // cvttpd2dq (Cranelift's pattern for it: a truncating
                    // x86 conversion narrowed with zeros) and movd.
                    let v = self.b.ins().scalar_to_vector(types::F64X2, x);
                    let c = self.b.ins().x86_cvtt2dq(types::I64X2, v);
                    let zero = self.b.func.dfg.constants.insert(vec![0u8; 16].into());
                    let z = self.b.ins().vconst(types::I64X2, zero);
                    let n = self.b.ins().snarrow(c, z);
                    self.b.ins().extractlane(n, 0)
                } else {
                    self.b.ins().fcvt_to_sint_sat(types::I32, x)
                };
                let back = self.b.ins().fcvt_from_sint(types::F64, i);
                let ok = self.b.ins().fcmp(FloatCC::Equal, back, x);
                self.guard(ok, ins.snap);
                Some(i)
            }
            Op::TONUM => {
                let x = self.v(a)?;
                let f = self.b.ins().fcvt_from_sint(types::F64, x);
                self.int_of.insert(f, x);
                Some(f)
            }
            Op::LT | Op::GE | Op::LE | Op::GT | Op::EQ | Op::NE => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                let is_f = self.t.ty(a) == Ty::Num;
                let ok = if is_f {
                    let cc = match ins.op {
                        Op::LT => FloatCC::LessThan,
                        Op::GE => FloatCC::UnorderedOrGreaterThanOrEqual,
                        Op::LE => FloatCC::LessThanOrEqual,
                        Op::GT => FloatCC::UnorderedOrGreaterThan,
                        Op::EQ => FloatCC::Equal,
                        _ => FloatCC::NotEqual,
                    };
                    self.b.ins().fcmp(cc, x, y)
                } else {
                    // (Ptr-typed: 64-bit integers, signed.)
                    let int = matches!(self.t.ty(a), Ty::Int | Ty::Ptr);
                    let cc = match ins.op {
                        Op::EQ => IntCC::Equal,
                        Op::NE => IntCC::NotEqual,
                        Op::LT if int => IntCC::SignedLessThan,
                        Op::GE if int => IntCC::SignedGreaterThanOrEqual,
                        Op::LE if int => IntCC::SignedLessThanOrEqual,
                        Op::GT if int => IntCC::SignedGreaterThan,
                        _ => return Err("NYI: ordered compare of non-numbers".into()),
                    };
                    self.b.ins().icmp(cc, x, y)
                };
                self.guard(ok, ins.snap);
                None
            }
            Op::TOBIT => {
                let x = self.v(a)?;
                let k = self.b.ins().f64const(6_755_399_441_055_744.0);
                let y = self.b.ins().fadd(x, k);
                let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), y);
                Some(self.b.ins().ireduce(types::I32, bits))
            }
            Op::BNOT => {
                let x = self.v(a)?;
                Some(self.b.ins().bnot(x))
            }
            Op::BAND
            | Op::BOR
            | Op::BXOR
            | Op::BSHL
            | Op::BSHR
            | Op::BSAR
            | Op::BROL
            | Op::BROR => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                Some(match ins.op {
                    Op::BAND => self.b.ins().band(x, y),
                    Op::BOR => self.b.ins().bor(x, y),
                    Op::BXOR => self.b.ins().bxor(x, y),
                    // Cranelift masks i32 shift counts by 31, as bit.* does.
                    Op::BSHL => self.b.ins().ishl(x, y),
                    Op::BSHR => self.b.ins().ushr(x, y),
                    // Rotations are modulo the width (32) too.
                    Op::BROL => self.b.ins().rotl(x, y),
                    Op::BROR => self.b.ins().rotr(x, y),
                    _ => self.b.ins().sshr(x, y),
                })
            }
            Op::IADD => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                Some(self.b.ins().iadd(x, y))
            }
            Op::IMUL => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                Some(self.b.ins().imul(x, y))
            }
            Op::ADDOV => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                let kint = |r: Ref| match self.t.get_const(r) {
                    Some(Const::Int(k)) => Some(k),
                    _ => None,
                };
                // With a constant addend the sum must move the right way
                // from the other operand (a compare the add's `lea` feeds).
                let konst = match (kint(bb), kint(a)) {
                    (Some(k), _) => Some((k, x)),
                    (None, Some(k)) => Some((k, y)),
                    _ => None,
                };
                match konst {
                    Some((k, v)) => {
                        let r = self.b.ins().iadd(x, y);
                        let cc = if k > 0 {
                            IntCC::SignedGreaterThan
                        } else {
                            IntCC::SignedLessThanOrEqual
                        };
                        let ok = self.b.ins().icmp(cc, r, v);
                        self.guard(ok, ins.snap);
                        Some(r)
                    }
                    None => Some(self.add_overflow(x, y, ins.snap)),
                }
            }
            Op::SUBOV => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                if self.ovf_ops {
                    let (r, of) = self.b.ins().ssub_overflow(x, y);
                    self.guard_not(of, ins.snap);
                    return Ok(Some(r));
                }
                // Overflow: the operands' signs differ and the result's
                // sign is not the minuend's.
                let r = self.b.ins().isub(x, y);
                let p = self.b.ins().bxor(x, y);
                let q = self.b.ins().bxor(x, r);
                self.sign_guard(p, q, ins.snap);
                Some(r)
            }
            Op::MULOV => {
                let (x, y) = (self.v(a)?, self.v(bb)?);
                let two = |r: Ref| matches!(self.t.get_const(r), Some(Const::Int(2)));
                // `2 * x` (index arithmetic): `x + x`.
                if let Some(v) = [(bb, x), (a, y)]
                    .into_iter()
                    .find(|p| two(p.0))
                    .map(|p| p.1)
                {
                    return Ok(Some(self.add_overflow(v, v, ins.snap)));
                }
                if self.ovf_ops {
                    let (r, of) = self.b.ins().smul_overflow(x, y);
                    self.guard_not(of, ins.snap);
                    return Ok(Some(r));
                }
                // The 64-bit product must be an int32.
                let x64 = self.b.ins().sextend(types::I64, x);
                let y64 = self.b.ins().sextend(types::I64, y);
                let p = self.b.ins().imul(x64, y64);
                let r = self.b.ins().ireduce(types::I32, p);
                let back = self.b.ins().sextend(types::I64, r);
                let ok = self.b.ins().icmp(IntCC::Equal, back, p);
                self.guard(ok, ins.snap);
                Some(r)
            }
            op => return Err(format!("not an arithmetic op: {:?}", op)),
        })
    }

    /// `x + y` (int32), exiting through `snap` when it overflows: the
    /// target's overflow flag where Cranelift lowers `sadd_overflow`,
    /// else the sign test (overflow makes the sum's sign differ from
    /// both operands').
    fn add_overflow(&mut self, x: CVal, y: CVal, snap: u32) -> CVal {
        if self.ovf_ops {
            let (r, of) = self.b.ins().sadd_overflow(x, y);
            self.guard_not(of, snap);
            return r;
        }
        let r = self.b.ins().iadd(x, y);
        let p = self.b.ins().bxor(x, r);
        let q = self.b.ins().bxor(y, r);
        self.sign_guard(p, q, snap);
        r
    }

    /// Exit through `snap` when `p & q` is negative: the sign tests of a
    /// guarded sum or difference on targets without `overflow_ops`.
    fn sign_guard(&mut self, p: CVal, q: CVal, snap: u32) {
        let m = self.b.ins().band(p, q);
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, m, 0);
        self.guard(ok, snap);
    }
}
