//! Lowering of trace IR to Cranelift IR (see the crate doc).

#[path = "lower_fast.rs"]
mod fast;
#[path = "lower_ffi.rs"]
mod ffi;
#[path = "lower_meta.rs"]
mod meta;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, Function, InstBuilder, MemFlagsData, Signature, UserFuncName,
    Value as CVal,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use lunatrace_ir::ops::{FpMath, Op, Ty};
use lunatrace_ir::trace::{Const, Ref, Trace};
use lunatrace_vm::helpers::{HTy, Helper};
use lunatrace_vm::object::{
    STR_LEN_OFS, TABLE_ALEN_OFS, TABLE_ARR_OFS, TABLE_HASH_OFS, TABLE_META_OFS, TABLE_ZERO_OFS,
    UPVAL_V_OFS,
};
use lunatrace_vm::table::{HASH_ELEN_OFS, HASH_EPTR_OFS, NODE_KEY_OFS, NODE_SIZE, NODE_VAL_OFS};
use lunatrace_vm::value::{
    tag, FALSE_BITS, NIL_BITS, NUM_LIMIT, PAYLOAD_MASK, TAG_BASE, TAG_SHIFT, TRUE_BITS,
};
use std::collections::HashMap;

fn clty(t: Ty) -> Option<types::Type> {
    match t {
        Ty::Void => None,
        Ty::Num => Some(types::F64),
        Ty::Int => Some(types::I32),
        _ => Some(types::I64),
    }
}

/// Tag bits of an object type's boxed values.
fn tag_of(t: Ty) -> Option<u64> {
    Some(match t {
        Ty::Str => tag::STR,
        Ty::Tab => tag::TABLE,
        Ty::Func => tag::FUNC,
        Ty::Udata => tag::UDATA,
        Ty::LightUd => tag::LIGHTUD,
        Ty::Cdata => tag::CDATA,
        _ => return None,
    })
}

fn pri_bits(t: Ty) -> Option<u64> {
    match t {
        Ty::Nil => Some(NIL_BITS),
        Ty::False => Some(FALSE_BITS),
        Ty::True => Some(TRUE_BITS),
        _ => None,
    }
}

struct Lower<'a, 'b> {
    b: FunctionBuilder<'b>,
    t: &'a Trace,
    vals: Vec<Option<CVal>>,
    base: CVal,
    /// The VM (second argument), for helpers that allocate.
    ctx: CVal,
    exits: HashMap<u32, Block>,
    ptr: types::Type,
    /// Slots written by the loop body: kept in variables (registers)
    /// across iterations instead of memory; exits store them back.
    carried: Vec<(u32, Variable)>,
    /// Peeled loops: typed variables of the carried slots.
    typed: Vec<(u32, Variable)>,
    /// Peeled loops: the block the loop body starts at.
    body: Option<Block>,
    /// Slots the base has moved down by returns to lower frames (RETF).
    shift: i32,
    /// A helper call that did not match the helper table (see `call`).
    bad: Option<String>,
}

impl Lower<'_, '_> {
    fn flags() -> MemFlagsData {
        MemFlagsData::trusted()
    }

    /// The Cranelift value of a reference (constants materialised here).
    fn v(&mut self, r: Ref) -> Result<CVal, String> {
        if let Some(c) = self.t.get_const(r) {
            return Ok(match c {
                Const::Num(n) => self.b.ins().f64const(n),
                Const::Int(i) => self.b.ins().iconst(types::I32, i as i64),
                Const::Ptr(p, _) => self.b.ins().iconst(types::I64, p as i64),
                Const::Val(v) => self.b.ins().iconst(types::I64, v as i64),
            });
        }
        self.vals
            .get(r.idx())
            .copied()
            .flatten()
            .ok_or_else(|| format!("undefined ref {}", r.0))
    }

    /// Box a reference into a 64-bit value.
    fn boxed(&mut self, r: Ref) -> Result<CVal, String> {
        let ty = self.t.ty(r);
        if let Some(bits) = pri_bits(ty) {
            return Ok(self.b.ins().iconst(types::I64, bits as i64));
        }
        let v = self.v(r)?;
        self.box_as(ty, v)
    }

    /// Box `v`, an unboxed value of IR type `ty`.
    fn box_as(&mut self, ty: Ty, v: CVal) -> Result<CVal, String> {
        Ok(match ty {
            Ty::Num => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            Ty::Int => {
                let f = self.b.ins().fcvt_from_sint(types::F64, v);
                self.b.ins().bitcast(types::I64, MemFlagsData::new(), f)
            }
            Ty::Val => v,
            t => {
                let tg = tag_of(t).ok_or_else(|| format!("cannot box {:?}", t))?;
                self.b
                    .ins()
                    .bor_imm_u(v, (TAG_BASE | (tg << TAG_SHIFT)) as i64)
            }
        })
    }

    /// Exit block of snapshot `s` (created on first use, filled at the end).
    fn exit_block(&mut self, s: u32) -> Block {
        if let Some(&b) = self.exits.get(&s) {
            return b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        self.exits.insert(s, b);
        b
    }

    /// Continue when `ok` is true, else leave through snapshot `snap`.
    fn guard(&mut self, ok: CVal, snap: u32) {
        let exit = self.exit_block(snap);
        let cont = self.b.create_block();
        self.b.ins().brif(ok, cont, &[], exit, &[]);
        self.b.switch_to_block(cont);
    }

    /// Store the snapshot's values into their stack slots, and the
    /// loop-carried slots it does not mention from their variables.
    fn write_back(&mut self, s: u32) -> Result<(), String> {
        let snap = &self.t.snaps[s as usize];
        let map = snap.map.clone();
        let down = snap.shift as i32 * 8;
        // Sunk allocations made here, once each.
        let mut made: Vec<(Ref, CVal)> = Vec::new();
        for e in &map {
            if self.t.is_sunk(e.r) {
                let v = match made.iter().find(|m| m.0 == e.r) {
                    Some(m) => m.1,
                    None => {
                        let ins = self.t.ins[e.r.idx()];
                        let p = self.lower_fnew(&ins)?;
                        made.push((e.r, p));
                        p
                    }
                };
                let v = self.box_as(Ty::Func, v)?;
                self.b
                    .ins()
                    .store(Self::flags(), v, self.base, (e.slot as i32) * 8 - down);
                continue;
            }
            // A virtual reference cdata leaves as its raw address; the VM
            // boxes it unless a side trace made from this exit takes it.
            let v = if self.t.ty(e.r) == Ty::CRef {
                if self.t.ins_of(e.r).map(|i| i.op) != Some(Op::CREF) {
                    return Err("NYI: reference cdata not from CREF".into());
                }
                self.v(e.r)?
            } else {
                self.boxed(e.r)?
            };
            self.b
                .ins()
                .store(Self::flags(), v, self.base, (e.slot as i32) * 8 - down);
        }
        for (slot, var) in self.carried.clone() {
            if !map.iter().any(|e| e.slot == slot) {
                let v = self.b.use_var(var);
                self.b
                    .ins()
                    .store(Self::flags(), v, self.base, (slot as i32) * 8);
            }
        }
        Ok(())
    }

    /// For a boxed key `k` of table `t`: whether it is an integral number
    /// `0 <= k <= alen` (non-numbers are NaNs and fail the integral
    /// test), and the address of its array slot (valid only then).
    fn num_array_slot(&mut self, t: CVal, k: CVal) -> (CVal, CVal) {
        let f = self.b.ins().bitcast(types::F64, MemFlagsData::new(), k);
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, f);
        let back = self.b.ins().fcvt_from_sint(types::F64, i);
        let integral = self.b.ins().fcmp(FloatCC::Equal, f, back);
        let alen = self.load(types::I32, t, TABLE_ALEN_OFS);
        let alen = self.b.ins().uextend(types::I64, alen);
        let inrange = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, i, alen);
        let ok = self.b.ins().band(integral, inrange);
        let addr = self.slot_addr(t, i);
        (ok, addr)
    }

    /// Address of the slot of key `i` (i64, `0 <= i <= alen`) of table
    /// `t`: the key-0 slot, or array slot `i`.
    fn slot_addr(&mut self, t: CVal, i: CVal) -> CVal {
        let arr = self.load(types::I64, t, TABLE_ARR_OFS);
        let i1 = self.b.ins().iadd_imm_s(i, -1);
        let off = self.b.ins().ishl_imm_u(i1, 3);
        let at = self.b.ins().iadd(arr, off);
        let z = self.b.ins().iadd_imm_s(t, TABLE_ZERO_OFS as i64);
        self.b.ins().select(i, at, z)
    }

    fn carried_var(&self, slot: u32) -> Option<Variable> {
        self.carried.iter().find(|c| c.0 == slot).map(|c| c.1)
    }

    /// Call runtime helper `h` with `args`; its signature comes from the
    /// helper table (`lunatrace_vm::helpers`). An argument whose type
    /// differs from the table's is an error of this backend, reported by
    /// `lower` (never a call with a wrong signature).
    fn call(&mut self, h: Helper, args: &[CVal]) -> Option<CVal> {
        let clty = |t: HTy| match t {
            HTy::I32 => types::I32,
            HTy::I64 => types::I64,
            HTy::F64 => types::F64,
        };
        let params = h.params();
        let mut sig = Signature::new(CallConv::SystemV);
        for &p in params {
            sig.params.push(AbiParam::new(clty(p)));
        }
        if let Some(r) = h.ret() {
            sig.returns.push(AbiParam::new(clty(r)));
        }
        let ok = params.len() == args.len()
            && params
                .iter()
                .zip(args)
                .all(|(&p, &a)| self.b.func.dfg.value_type(a) == clty(p));
        if !ok && self.bad.is_none() {
            self.bad = Some(format!("helper {} called with wrong arguments", h.name()));
        }
        let sr = self.b.import_signature(sig);
        let fp = self.b.ins().iconst(self.ptr, h.addr() as i64);
        let call = self.b.ins().call_indirect(sr, fp, args);
        self.b.inst_results(call).first().copied()
    }

    /// Call helper `h` on operands `a` and `b`.
    fn call2(&mut self, h: Helper, a: Ref, b: Ref) -> Result<Option<CVal>, String> {
        let (x, y) = (self.v(a)?, self.v(b)?);
        Ok(self.call(h, &[x, y]))
    }

    fn load(&mut self, ty: types::Type, p: CVal, off: usize) -> CVal {
        self.b.ins().load(ty, Self::flags(), p, off as i32)
    }
}

/// The runtime helper of an op lowered to a two-operand call.
fn binary_helper(op: Op) -> Helper {
    match op {
        Op::POW => Helper::Pow,
        Op::STRLT => Helper::StrLt,
        _ => Helper::NextKey,
    }
}

/// The signature of trace code, `fn(base, ctx) -> exit` in the `tail`
/// convention (an exit continues in a linked trace with a tail call).
pub fn trace_signature(ptr: types::Type) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// Build the function for `t` into `func`.
pub fn lower(t: &Trace, func: &mut Function, frontend: TargetFrontendConfig) -> Result<(), String> {
    let ptr = frontend.pointer_type();
    func.signature = trace_signature(ptr);
    func.name = UserFuncName::default();
    let mut fbc = FunctionBuilderContext::new();
    let b = FunctionBuilder::new(func, &mut fbc);
    let mut l = Lower {
        b,
        t,
        vals: vec![None; t.ins.len()],
        base: CVal::from_u32(0),
        ctx: CVal::from_u32(0),
        exits: HashMap::new(),
        ptr,
        carried: Vec::new(),
        typed: Vec::new(),
        body: None,
        shift: 0,
        bad: None,
    };
    let entry = l.b.create_block();
    l.b.append_block_params_for_function_params(entry);
    l.b.switch_to_block(entry);
    l.base = l.b.block_params(entry)[0];
    l.ctx = l.b.block_params(entry)[1];
    // Loop-carried slots start from memory (unpeeled loops).
    if let (Some(li), false) = (t.loop_at, t.peeled) {
        let snap = t.ins[li].snap;
        for e in t.snaps[snap as usize].map.clone() {
            let var = l.b.declare_var(types::I64);
            let base = l.base;
            let v =
                l.b.ins()
                    .load(types::I64, Lower::flags(), base, (e.slot as i32) * 8);
            l.b.def_var(var, v);
            l.carried.push((e.slot, var));
        }
    }
    let header = l.b.create_block();
    l.b.ins().jump(header, &[]);
    l.b.switch_to_block(header);

    for (i, ins) in t.ins.iter().enumerate() {
        let a = Ref(ins.a);
        let bb = Ref(ins.b);
        let r: Option<CVal> = match ins.op {
            Op::NOP | Op::CARG => None,
            Op::CALLC => l.lower_callc(ins)?,
            Op::SBYTE
            | Op::SSUB
            | Op::SREP
            | Op::SCASE
            | Op::SFIND
            | Op::SFINDS
            | Op::SFINDE
            | Op::CAT
            | Op::SCHAR
            | Op::SFMT
            | Op::TCONCAT
            | Op::TOSTR
            | Op::TONUMS
            | Op::TYMETA => l.lower_fast(ins)?,
            Op::CDTYPE | Op::CDPTR | Op::ISCALE | Op::XREF | Op::XLOAD | Op::CREF => {
                Some(l.lower_cdata(ins)?)
            }
            Op::XSTORE => {
                l.lower_xstore(ins)?;
                None
            }
            Op::REENTRY => {
                l.lower_reentry(ins);
                None
            }
            // A sunk closure is made by the exits that hold it.
            Op::FNEW if t.is_sunk(Ref(i as i32)) => None,
            Op::FNEW => Some(l.lower_fnew(ins)?),
            Op::SREF => Some(l.slot_ref(ins.a)),
            Op::SSTORE => {
                l.lower_sstore(ins)?;
                None
            }
            Op::UCLOSE => {
                l.lower_uclose(ins)?;
                None
            }
            Op::SLOAD => match l.carried_var(ins.a as u32) {
                Some(var) => Some(l.b.use_var(var)),
                None => {
                    let base = l.base;
                    let off = (ins.a - l.shift) * 8;
                    Some(l.b.ins().load(types::I64, Lower::flags(), base, off))
                }
            },
            Op::FSTORE => {
                let v = l.boxed(a)?;
                let base = l.base;
                let off = (-1 - l.shift) * 8;
                l.b.ins().store(Lower::flags(), v, base, off);
                None
            }
            Op::RETF => {
                if !l.carried.is_empty() || l.t.loop_at.is_some() {
                    return Err("RETF in a looping trace".into());
                }
                l.shift += ins.a;
                None
            }
            Op::UNBOX => {
                let v = l.v(a)?;
                match ins.ty {
                    Ty::Num => {
                        let ok =
                            l.b.ins()
                                .icmp_imm_u(IntCC::UnsignedLessThan, v, NUM_LIMIT as i64);
                        l.guard(ok, ins.snap);
                        Some(l.b.ins().bitcast(types::F64, MemFlagsData::new(), v))
                    }
                    ty if pri_bits(ty).is_some() => {
                        let ok =
                            l.b.ins()
                                .icmp_imm_u(IntCC::Equal, v, pri_bits(ty).unwrap() as i64);
                        l.guard(ok, ins.snap);
                        Some(l.b.ins().iconst(types::I64, 0))
                    }
                    ty => {
                        let tg = tag_of(ty).ok_or("NYI: unbox type")?;
                        let hi = l.b.ins().ushr_imm_u(v, TAG_SHIFT as i64);
                        let want = (TAG_BASE | (tg << TAG_SHIFT)) >> TAG_SHIFT;
                        let ok = l.b.ins().icmp_imm_u(IntCC::Equal, hi, want as i64);
                        l.guard(ok, ins.snap);
                        Some(l.b.ins().band_imm_u(v, PAYLOAD_MASK as i64))
                    }
                }
            }
            Op::BOX => Some(l.boxed(a)?),
            Op::ADD | Op::SUB | Op::MUL | Op::DIV => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                Some(match ins.op {
                    Op::ADD => l.b.ins().fadd(x, y),
                    Op::SUB => l.b.ins().fsub(x, y),
                    Op::MUL => l.b.ins().fmul(x, y),
                    _ => l.b.ins().fdiv(x, y),
                })
            }
            Op::MOD => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                let q = l.b.ins().fdiv(x, y);
                let f = l.b.ins().floor(q);
                let m = l.b.ins().fmul(f, y);
                Some(l.b.ins().fsub(x, m))
            }
            Op::POW | Op::STRLT | Op::NEXTK => l.call2(binary_helper(ins.op), a, bb)?,
            Op::NEG => {
                let x = l.v(a)?;
                Some(l.b.ins().fneg(x))
            }
            Op::FPMATH => {
                let x = l.v(a)?;
                let f = FpMath::from_u32(ins.b as u32).ok_or("bad fpmath")?;
                Some(match f {
                    FpMath::Sqrt => l.b.ins().sqrt(x),
                    FpMath::Abs => l.b.ins().fabs(x),
                    FpMath::Floor => l.b.ins().floor(x),
                    FpMath::Ceil => l.b.ins().ceil(x),
                    _ => {
                        let k = l.b.ins().iconst(types::I32, ins.b as i64);
                        l.call(Helper::FpMath, &[x, k]).unwrap()
                    }
                })
            }
            Op::MIN | Op::MAX => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                let cc = if ins.op == Op::MIN {
                    FloatCC::LessThan
                } else {
                    FloatCC::GreaterThan
                };
                let c = l.b.ins().fcmp(cc, x, y);
                Some(l.b.ins().select(c, x, y))
            }
            Op::TOINT => {
                let x = l.v(a)?;
                let i = l.b.ins().fcvt_to_sint_sat(types::I32, x);
                let back = l.b.ins().fcvt_from_sint(types::F64, i);
                let ok = l.b.ins().fcmp(FloatCC::Equal, back, x);
                l.guard(ok, ins.snap);
                Some(i)
            }
            Op::TONUM => {
                let x = l.v(a)?;
                Some(l.b.ins().fcvt_from_sint(types::F64, x))
            }
            Op::LT | Op::GE | Op::LE | Op::GT | Op::EQ | Op::NE => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                let is_f = l.t.ty(a) == Ty::Num;
                let ok = if is_f {
                    let cc = match ins.op {
                        Op::LT => FloatCC::LessThan,
                        Op::GE => FloatCC::UnorderedOrGreaterThanOrEqual,
                        Op::LE => FloatCC::LessThanOrEqual,
                        Op::GT => FloatCC::UnorderedOrGreaterThan,
                        Op::EQ => FloatCC::Equal,
                        _ => FloatCC::NotEqual,
                    };
                    l.b.ins().fcmp(cc, x, y)
                } else {
                    let int = l.t.ty(a) == Ty::Int;
                    let cc = match ins.op {
                        Op::EQ => IntCC::Equal,
                        Op::NE => IntCC::NotEqual,
                        Op::LT if int => IntCC::SignedLessThan,
                        Op::GE if int => IntCC::SignedGreaterThanOrEqual,
                        Op::LE if int => IntCC::SignedLessThanOrEqual,
                        Op::GT if int => IntCC::SignedGreaterThan,
                        _ => return Err("NYI: ordered compare of non-numbers".into()),
                    };
                    l.b.ins().icmp(cc, x, y)
                };
                l.guard(ok, ins.snap);
                None
            }
            Op::ABC => {
                let (k, n) = (l.v(a)?, l.v(bb)?);
                let k1 = l.b.ins().iadd_imm_s(k, -1);
                let ok = l.b.ins().icmp(IntCC::UnsignedLessThan, k1, n);
                l.guard(ok, ins.snap);
                None
            }
            Op::ABCZ => {
                let (k, n) = (l.v(a)?, l.v(bb)?);
                let ok = l.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, k, n);
                l.guard(ok, ins.snap);
                None
            }
            Op::AREFZ => {
                let (t, k) = (l.v(a)?, l.v(bb)?);
                let k64 = l.b.ins().sextend(types::I64, k);
                Some(l.slot_addr(t, k64))
            }
            Op::TALEN => {
                let p = l.v(a)?;
                Some(l.load(types::I32, p, TABLE_ALEN_OFS))
            }
            Op::TARR => {
                let p = l.v(a)?;
                Some(l.load(types::I64, p, TABLE_ARR_OFS))
            }
            Op::TSETMETA => {
                let (t, m) = (l.v(a)?, l.v(bb)?);
                l.b.ins().store(Lower::flags(), m, t, TABLE_META_OFS as i32);
                None
            }
            Op::TMETA => {
                let p = l.v(a)?;
                Some(l.load(types::I64, p, TABLE_META_OFS))
            }
            Op::NVARG => {
                let ctx = l.ctx;
                l.call(Helper::BaseNVarargs, &[ctx])
            }
            Op::NOMM => {
                // No metatable: inline; a metatable: ask the helper.
                let p = l.v(a)?;
                let m = l.load(types::I64, p, TABLE_META_OFS);
                let (slow, cont) = (l.b.create_block(), l.b.create_block());
                l.b.set_cold_block(slow);
                l.b.ins().brif(m, slow, &[], cont, &[]);
                l.b.switch_to_block(slow);
                let ctx = l.ctx;
                let mm = l.b.ins().iconst(types::I32, ins.b as i64);
                let has = l.call(Helper::MetaHas, &[ctx, m, mm]).unwrap();
                let ok = l.b.ins().icmp_imm_u(IntCC::Equal, has, 0);
                let exit = l.exit_block(ins.snap);
                l.b.ins().brif(ok, cont, &[], exit, &[]);
                l.b.switch_to_block(cont);
                None
            }
            Op::AREF => {
                let (arr, k) = (l.v(a)?, l.v(bb)?);
                let k1 = l.b.ins().iadd_imm_s(k, -1);
                let k64 = l.b.ins().sextend(types::I64, k1);
                let off = l.b.ins().ishl_imm_u(k64, 3);
                Some(l.b.ins().iadd(arr, off))
            }
            Op::ALOAD => {
                let p = l.v(a)?;
                Some(l.load(types::I64, p, 0))
            }
            Op::ASTORE => {
                let (p, v) = (l.v(a)?, l.v(bb)?);
                l.b.ins().store(Lower::flags(), v, p, 0);
                None
            }
            Op::HREFK => {
                let t = l.v(a)?;
                let carg = *l.t.ins_of(bb).ok_or("HREFK without CARG")?;
                let key = l.v(Ref(carg.a))?;
                let idx = match l.t.get_const(Ref(carg.b)) {
                    Some(Const::Int(i)) => i as i64,
                    _ => return Err("HREFK index".into()),
                };
                let len = l.load(types::I64, t, TABLE_HASH_OFS + HASH_ELEN_OFS);
                let ok = l.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, len, idx);
                l.guard(ok, ins.snap);
                let ep = l.load(types::I64, t, TABLE_HASH_OFS + HASH_EPTR_OFS);
                let node = l.b.ins().iadd_imm_s(ep, idx * NODE_SIZE as i64);
                let k = l.load(types::I64, node, NODE_KEY_OFS);
                let ok = l.b.ins().icmp(IntCC::Equal, k, key);
                l.guard(ok, ins.snap);
                Some(l.b.ins().iadd_imm_s(node, NODE_VAL_OFS as i64))
            }
            Op::HLOAD => {
                let p = l.v(a)?;
                Some(l.load(types::I64, p, 0))
            }
            Op::HSTORE => {
                let (p, v) = (l.v(a)?, l.v(bb)?);
                l.b.ins().store(Lower::flags(), v, p, 0);
                None
            }
            Op::HGETS => {
                let (t, k) = (l.v(a)?, l.v(bb)?);
                l.call(Helper::HGetS, &[t, k])
            }
            Op::HGET => {
                // A number key inside the array part is read inline; other
                // keys go through the helper.
                let (t, k) = (l.v(a)?, l.v(bb)?);
                let (inarr, addr) = l.num_array_slot(t, k);
                let (fast, slow, done) =
                    (l.b.create_block(), l.b.create_block(), l.b.create_block());
                l.b.append_block_param(done, types::I64);
                l.b.ins().brif(inarr, fast, &[], slow, &[]);
                l.b.switch_to_block(fast);
                let v = l.load(types::I64, addr, 0);
                l.b.ins().jump(done, &[v.into()]);
                l.b.switch_to_block(slow);
                let v = l.call(Helper::HGet, &[t, k]).unwrap();
                l.b.ins().jump(done, &[v.into()]);
                l.b.switch_to_block(done);
                Some(l.b.block_params(done)[0])
            }
            Op::HSET => {
                // Inline when the key is a number inside the array part
                // whose slot holds a value (or the table has no
                // metatable): a plain store, as the helper would do.
                let tv = l.v(a)?;
                let carg = *l.t.ins_of(bb).ok_or("HSET without CARG")?;
                let (k, v) = (l.v(Ref(carg.a))?, l.v(Ref(carg.b))?);
                let (inarr, addr) = l.num_array_slot(tv, k);
                let (check, store, slow, done) = (
                    l.b.create_block(),
                    l.b.create_block(),
                    l.b.create_block(),
                    l.b.create_block(),
                );
                l.b.ins().brif(inarr, check, &[], slow, &[]);
                l.b.switch_to_block(check);
                let cur = l.load(types::I64, addr, 0);
                let live = l.b.ins().icmp_imm_u(IntCC::NotEqual, cur, NIL_BITS as i64);
                let meta = l.load(types::I64, tv, TABLE_META_OFS);
                let nometa = l.b.ins().icmp_imm_u(IntCC::Equal, meta, 0);
                let ok = l.b.ins().bor(live, nometa);
                l.b.ins().brif(ok, store, &[], slow, &[]);
                l.b.switch_to_block(store);
                l.b.ins().store(Lower::flags(), v, addr, 0);
                l.b.ins().jump(done, &[]);
                l.b.switch_to_block(slow);
                let r = l.call(Helper::HSetExisting, &[tv, k, v]).unwrap();
                let ok = l.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
                l.guard(ok, ins.snap);
                l.b.ins().jump(done, &[]);
                l.b.switch_to_block(done);
                None
            }
            Op::TSETNEW => {
                let tv = l.v(a)?;
                let carg = *l.t.ins_of(bb).ok_or("TSETNEW without CARG")?;
                let (k, v) = (l.v(Ref(carg.a))?, l.v(Ref(carg.b))?);
                let ctx = l.ctx;
                let r = l.call(Helper::TSetNew, &[ctx, tv, k, v]).unwrap();
                let ok = l.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
                l.guard(ok, ins.snap);
                None
            }
            Op::UVCLOSED => {
                let u = l.v(a)?;
                let idx = l.load(types::I64, u, lunatrace_vm::object::UPVAL_IDX_OFS);
                let ok = l.b.ins().icmp_imm_s(IntCC::Equal, idx, -1);
                l.guard(ok, ins.snap);
                None
            }
            Op::UVPTR => {
                let u = l.v(a)?;
                Some(l.load(types::I64, u, UPVAL_V_OFS))
            }
            Op::FPROTO => {
                let f = l.v(a)?;
                Some(l.load(types::I64, f, lunatrace_vm::object::FUNC_PROTO_OFS))
            }
            Op::FENV => {
                let f = l.v(a)?;
                Some(l.load(types::I64, f, lunatrace_vm::object::FUNC_ENV_OFS))
            }
            Op::FUVAL => {
                let f = l.v(a)?;
                let i = l.b.ins().iconst(types::I32, ins.b as i64);
                l.call(Helper::FUval, &[f, i])
            }
            Op::UVLOAD => {
                let u = l.v(a)?;
                let p = l.load(types::I64, u, UPVAL_V_OFS);
                Some(l.load(types::I64, p, 0))
            }
            Op::UVSTORE => {
                let (u, v) = (l.v(a)?, l.v(bb)?);
                let p = l.load(types::I64, u, UPVAL_V_OFS);
                l.b.ins().store(Lower::flags(), v, p, 0);
                None
            }
            Op::STRLEN => {
                let s = l.v(a)?;
                let n = l.load(types::I64, s, STR_LEN_OFS);
                Some(l.b.ins().ireduce(types::I32, n))
            }
            Op::TLEN => {
                let t = l.v(a)?;
                l.call(Helper::TLen, &[t])
            }
            Op::TOBIT => {
                let x = l.v(a)?;
                let k = l.b.ins().f64const(6_755_399_441_055_744.0);
                let y = l.b.ins().fadd(x, k);
                let bits = l.b.ins().bitcast(types::I64, MemFlagsData::new(), y);
                Some(l.b.ins().ireduce(types::I32, bits))
            }
            Op::BNOT => {
                let x = l.v(a)?;
                Some(l.b.ins().bnot(x))
            }
            Op::BAND | Op::BOR | Op::BXOR | Op::BSHL | Op::BSHR | Op::BSAR => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                Some(match ins.op {
                    Op::BAND => l.b.ins().band(x, y),
                    Op::BOR => l.b.ins().bor(x, y),
                    Op::BXOR => l.b.ins().bxor(x, y),
                    // Cranelift masks i32 shift counts by 31, as bit.* does.
                    Op::BSHL => l.b.ins().ishl(x, y),
                    Op::BSHR => l.b.ins().ushr(x, y),
                    _ => l.b.ins().sshr(x, y),
                })
            }
            Op::IADD => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                Some(l.b.ins().iadd(x, y))
            }
            Op::ADDOV => {
                let (x, y) = (l.v(a)?, l.v(bb)?);
                let r = l.b.ins().iadd(x, y);
                let kint = |r: Ref| match l.t.get_const(r) {
                    Some(Const::Int(k)) => Some(k),
                    _ => None,
                };
                // With a constant addend the sum must move the right way
                // from the other operand; else overflow flips the sign
                // away from both operands.
                let konst = match (kint(bb), kint(a)) {
                    (Some(k), _) => Some((k, x)),
                    (None, Some(k)) => Some((k, y)),
                    _ => None,
                };
                let ok = match konst {
                    Some((k, v)) => {
                        let cc = if k > 0 {
                            IntCC::SignedGreaterThan
                        } else {
                            IntCC::SignedLessThanOrEqual
                        };
                        l.b.ins().icmp(cc, r, v)
                    }
                    _ => {
                        let p = l.b.ins().bxor(x, r);
                        let q = l.b.ins().bxor(y, r);
                        let m = l.b.ins().band(p, q);
                        l.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, m, 0)
                    }
                };
                l.guard(ok, ins.snap);
                Some(r)
            }
            Op::TAPPEND => {
                let (t, v) = (l.v(a)?, l.v(bb)?);
                let ctx = l.ctx;
                l.call(Helper::TAppend, &[ctx, t, v]);
                None
            }
            Op::TNEW => {
                let ctx = l.ctx;
                let d = l.b.ins().iconst(types::I32, ins.a as i64);
                l.call(Helper::TNew, &[ctx, d])
            }
            Op::TDUP => {
                let ctx = l.ctx;
                let tpl = l.v(a)?;
                l.call(Helper::TDup, &[ctx, tpl])
            }
            Op::GCSTEP => {
                // Below the threshold: nothing due (inline); else the
                // helper decides (a stopped or deferred collector).
                let ctx = l.ctx;
                let used = l.load(types::I64, ctx, lunatrace_vm::state::VM_HEAP_ALLOCATED_OFS);
                let thr = l.load(types::I64, ctx, lunatrace_vm::state::VM_HEAP_THRESHOLD_OFS);
                let below = l.b.ins().icmp(IntCC::UnsignedLessThan, used, thr);
                let (slow, cont) = (l.b.create_block(), l.b.create_block());
                l.b.set_cold_block(slow);
                l.b.ins().brif(below, cont, &[], slow, &[]);
                l.b.switch_to_block(slow);
                let due = l.call(Helper::GcDue, &[ctx]).unwrap();
                let ok = l.b.ins().icmp_imm_u(IntCC::Equal, due, 0);
                let exit = l.exit_block(ins.snap);
                l.b.ins().brif(ok, cont, &[], exit, &[]);
                l.b.switch_to_block(cont);
                None
            }
            Op::LREF => {
                let var = l
                    .typed
                    .iter()
                    .find(|v| v.0 == ins.a as u32)
                    .map(|v| v.1)
                    .ok_or("LREF of an uncarried slot")?;
                Some(l.b.use_var(var))
            }
            Op::LOOP if t.peeled => {
                // Carried values (typed) flow to the loop body's top.
                let map = l.t.snaps[ins.snap as usize].map.clone();
                let first = l.body.is_none();
                let mut vals = Vec::new();
                for e in &map {
                    let ty = l.t.ty(e.r);
                    let v = if pri_bits(ty).is_some() {
                        l.b.ins().iconst(types::I64, 0)
                    } else {
                        l.v(e.r)?
                    };
                    vals.push((e.slot, ty, v));
                }
                for (slot, ty, v) in vals {
                    let var = match l.typed.iter().find(|x| x.0 == slot) {
                        Some(x) => x.1,
                        None => {
                            let var = l.b.declare_var(clty(ty).unwrap_or(types::I64));
                            l.typed.push((slot, var));
                            var
                        }
                    };
                    l.b.def_var(var, v);
                }
                if first {
                    let body = l.b.create_block();
                    l.body = Some(body);
                    l.b.ins().jump(body, &[]);
                    l.b.switch_to_block(body);
                } else {
                    let body = l.body.unwrap();
                    l.b.ins().jump(body, &[]);
                    break;
                }
                None
            }
            Op::LOOP => {
                // The next iteration's slot values stay in variables.
                let map = l.t.snaps[ins.snap as usize].map.clone();
                let mut vals = Vec::new();
                for e in &map {
                    vals.push((e.slot, l.boxed(e.r)?));
                }
                for (slot, v) in vals {
                    let var = l.carried_var(slot).ok_or("uncarried slot")?;
                    l.b.def_var(var, v);
                }
                l.b.ins().jump(header, &[]);
                // Anything after LOOP would be unreachable.
                break;
            }
            Op::EXIT => {
                let e = l.exit_block(ins.snap);
                l.b.ins().jump(e, &[]);
                let dead = l.b.create_block();
                l.b.switch_to_block(dead);
                None
            }
        };
        if let (Some(v), Some(_)) = (r, clty(ins.ty)) {
            l.vals[i] = Some(v);
        }
    }
    // Exit blocks: write back, then continue in the trace linked to the
    // exit, if any, else return the exit number. Exits whose write-back is
    // the same (same slots from the same values, same base shift) share
    // one stub that takes the exit number as a block parameter, and every
    // linkable exit ends in one shared block that reads the exit's link
    // cell and tail-calls the linked trace or returns.
    let mut exits: Vec<(u32, Block)> = l.exits.iter().map(|(&s, &b)| (s, b)).collect();
    exits.sort_by_key(|e| e.0);
    let tail_sig = l.b.import_signature(trace_signature(ptr));
    let linkable = |s: u32| {
        let snap = &t.snaps[s as usize];
        t.link_cells != 0 && snap.frames.is_empty() && snap.retdepth == 0 && snap.shift == 0
    };
    let mut leave: Option<Block> = None;
    let mut stubs: HashMap<(Vec<(u32, i32)>, u32, bool), Block> = HashMap::new();
    for (s, blk) in exits {
        let snap = &t.snaps[s as usize];
        let key = (
            snap.map.iter().map(|e| (e.slot, e.r.0)).collect::<Vec<_>>(),
            snap.shift,
            linkable(s),
        );
        let n = ((t.id as i64) << 16) | s as i64;
        l.b.switch_to_block(blk);
        let nv = l.b.ins().iconst(types::I32, n);
        if let Some(&stub) = stubs.get(&key) {
            l.b.ins().jump(stub, &[BlockArg::Value(nv)]);
            continue;
        }
        let stub = l.b.create_block();
        l.b.set_cold_block(stub);
        let np = l.b.append_block_param(stub, types::I32);
        l.b.ins().jump(stub, &[BlockArg::Value(nv)]);
        stubs.insert(key.clone(), stub);
        l.b.switch_to_block(stub);
        l.write_back(s)?;
        if !key.2 {
            l.b.ins().return_(&[np]);
            continue;
        }
        let lv = match leave {
            Some(b) => b,
            None => {
                let b = l.b.create_block();
                l.b.set_cold_block(b);
                l.b.append_block_param(b, types::I32);
                leave = Some(b);
                b
            }
        };
        l.b.ins().jump(lv, &[BlockArg::Value(np)]);
    }
    if let Some(lv) = leave {
        // The link cells are consecutive words indexed by snapshot number
        // (the low 16 bits of the exit number).
        l.b.switch_to_block(lv);
        let n = l.b.block_params(lv)[0];
        let sn = l.b.ins().band_imm_u(n, 0xffff);
        let sn = l.b.ins().uextend(ptr, sn);
        let off = l.b.ins().ishl_imm_u(sn, 3);
        let cell = l.b.ins().iadd_imm_s(off, t.link_cells as i64);
        let to = l.b.ins().load(ptr, Lower::flags(), cell, 0);
        let (go, ret) = (l.b.create_block(), l.b.create_block());
        l.b.set_cold_block(go);
        l.b.set_cold_block(ret);
        l.b.ins().brif(to, go, &[], ret, &[]);
        l.b.switch_to_block(go);
        let (base, ctx) = (l.base, l.ctx);
        l.b.ins().return_call_indirect(tail_sig, to, &[base, ctx]);
        l.b.switch_to_block(ret);
        l.b.ins().return_(&[n]);
    }
    if let Some(e) = l.bad.take() {
        return Err(e);
    }
    l.b.seal_all_blocks();
    l.b.finalize(frontend);
    Ok(())
}
