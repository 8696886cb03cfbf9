//! FOLD: constant folding and algebraic simplification at emit time.
//! Only rules that preserve IEEE semantics exactly (`x + 0` is not `x` for
//! `x = -0`, so it stays; `x * 1`, `x - 0`, `x / 1` fold).

use crate::ops::{Op, Ty};
use crate::trace::{Const, Ref, Trace};

/// Boxed values at or above these bits are not numbers (`NUM_LIMIT` of
/// `lunatrace_vm::value`; the recorder's tests check they agree).
pub const NUM_LIMIT: u64 = 0xfff8_8000_0000_0000;

/// Integer bit operations: constants, and `TOBIT` of exact int arithmetic
/// (`TOBIT(TONUM(i))` is `i`; `TOBIT(TONUM(i) + TONUM(j))` is the wrapping
/// `IADD`: the sum is exact in a double and `tobit` is modulo 2^32).
fn fold_bits(t: &mut Trace, op: Op, a: Ref, b: Ref) -> Option<Ref> {
    let int = |r: Ref, t: &Trace| match t.get_const(r) {
        Some(Const::Int(n)) => Some(n),
        _ => None,
    };
    match op {
        Op::TOBIT => {
            if let Some(Const::Num(x)) = t.get_const(a) {
                if x.is_finite() && x.fract() == 0.0 && x.abs() < 2251799813685248.0 {
                    return Some(t.kint(x as i64 as i32));
                }
                return None;
            }
            let ins = *t.ins_of(a)?;
            if ins.op == Op::TONUM {
                return Some(ins.ra());
            }
            if matches!(ins.op, Op::ADD | Op::SUB) {
                // An int operand: TONUM(i) or an integral constant
                // small enough for the sum to stay exact.
                let as_int = |r: Ref, t: &mut Trace| -> Option<Ref> {
                    match t.get_const(r) {
                        Some(Const::Num(x))
                            if x.fract() == 0.0 && x.abs() <= 2147483648.0 * 2.0 =>
                        {
                            Some(t.kint(x as i64 as i32))
                        }
                        _ => t.ins_of(r).filter(|i| i.op == Op::TONUM).map(|i| i.ra()),
                    }
                };
                let x = as_int(ins.ra(), t)?;
                let y = as_int(ins.rb(), t)?;
                let y = if ins.op == Op::SUB {
                    match int(y, t) {
                        Some(k) => t.kint(k.wrapping_neg()),
                        None => return None,
                    }
                } else {
                    y
                };
                return Some(t.emit(Op::IADD, Ty::Int, x, y));
            }
            None
        }
        Op::BAND | Op::BOR | Op::BXOR | Op::BSHL | Op::BSHR | Op::BSAR | Op::BROL | Op::BROR => {
            let (x, y) = (int(a, t)?, int(b, t)?);
            let n = (y & 31) as u32;
            let r = match op {
                Op::BAND => x & y,
                Op::BOR => x | y,
                Op::BXOR => x ^ y,
                Op::BSHL => x.wrapping_shl(n),
                Op::BSHR => ((x as u32) >> n) as i32,
                Op::BSAR => x >> n,
                Op::BROL => (x as u32).rotate_left(n) as i32,
                _ => (x as u32).rotate_right(n) as i32,
            };
            Some(t.kint(r))
        }
        Op::BNOT => Some(t.kint(!int(a, t)?)),
        Op::IADD => Some(t.kint(int(a, t)?.wrapping_add(int(b, t)?))),
        Op::IMUL => Some(t.kint(int(a, t)?.wrapping_mul(int(b, t)?))),
        _ => None,
    }
}

/// Magnitude past which a double no longer holds every integer.
const EXACT: f64 = 9007199254740992.0;

/// A bound on the magnitude of number `x` when it is an integer
/// expression (ints converted to numbers, integral constants of at most
/// 2^31, sums and differences of such, products by integral constants of
/// at most 2^16, 4 levels deep) whose double value is exact: every bound
/// stays below 2^53. With `loads` (a count), numbers read from memory
/// (`UNBOX` to a number) are parts too, each needing a guard that it is
/// an int32 (`TOINT`, see `emit_int_expr`); they are counted.
fn int_bound(t: &Trace, x: Ref, depth: u32, loads: &mut Option<usize>) -> Option<f64> {
    if let Some(Const::Num(k)) = t.get_const(x) {
        return (k.fract() == 0.0 && k.abs() <= 2147483648.0).then_some(k.abs());
    }
    let ins = t.ins_of(x)?;
    let small = |r: Ref| match t.get_const(r) {
        Some(Const::Num(k)) if k.fract() == 0.0 && k.abs() <= 65536.0 => Some(k.abs()),
        _ => None,
    };
    let b = match ins.op {
        Op::TONUM if t.ty(ins.ra()) == Ty::Int => 2147483648.0,
        Op::UNBOX if ins.ty == Ty::Num && t.int_checked.contains_key(&x.0) => 2147483648.0,
        Op::UNBOX if ins.ty == Ty::Num => {
            *loads.as_mut()? += 1;
            2147483648.0
        }
        Op::ADD | Op::SUB if depth < 4 => {
            int_bound(t, ins.ra(), depth + 1, loads)? + int_bound(t, ins.rb(), depth + 1, loads)?
        }
        Op::MUL if depth < 4 => match (small(ins.ra()), small(ins.rb())) {
            (Some(k), _) => k * int_bound(t, ins.rb(), depth + 1, loads)?,
            (_, Some(k)) => k * int_bound(t, ins.ra(), depth + 1, loads)?,
            _ => return None,
        },
        _ => return None,
    };
    (b < EXACT).then_some(b)
}

/// Whether number `x` is an integer expression whose double value is
/// exact (`int_bound`); with `loads`, reading at most that many numbers
/// from memory.
pub fn int_expr(t: &Trace, x: Ref, loads: Option<usize>) -> bool {
    let mut n = loads.map(|_| 0);
    int_bound(t, x, 0, &mut n).is_some() && n <= loads
}

/// The wrapping int form of an expression `int_expr` accepted (numbers
/// read from memory guarded to be int32 values).
pub fn emit_int_expr(t: &mut Trace, x: Ref) -> Ref {
    if let Some(Const::Num(k)) = t.get_const(x) {
        return t.kint(k as i64 as i32);
    }
    let ins = *t.ins_of(x).expect("int_expr checked it");
    match ins.op {
        Op::TONUM => ins.ra(),
        Op::UNBOX => t.emit(Op::TOINT, Ty::Int, x, Ref::NONE),
        Op::ADD | Op::SUB | Op::MUL => {
            let a = emit_int_expr(t, ins.ra());
            let b = emit_int_expr(t, ins.rb());
            match ins.op {
                Op::ADD => t.emit(Op::IADD, Ty::Int, a, b),
                Op::MUL => t.emit(Op::IMUL, Ty::Int, a, b),
                _ => {
                    let m1 = t.kint(-1);
                    let nb = t.emit(Op::IMUL, Ty::Int, b, m1);
                    t.emit(Op::IADD, Ty::Int, a, nb)
                }
            }
        }
        _ => unreachable!("int_expr checked it"),
    }
}

/// Whether `TOINT(x)` may be computed in int32 arithmetic with overflow
/// guards (`emit_narrowed`), as LuaJIT narrows index expressions: `x` is
/// sums, differences and products by small integral constants
/// (`NARROW_DEPTH` levels deep: FFT's `data[2 * (b + a + dual) + 1 + 1]`
/// is six) of ints converted to numbers, integral constants and numbers
/// read from memory (each guarded to be an int32). Whenever no guard
/// fails, every part is an exact int32 and the double computation gives
/// the same integer (all magnitudes stay far below 2^53); a guard that
/// fails exits where the double one might not have (a fractional part
/// that cancels out, an intermediate overflow): LuaJIT's trade-off.
const NARROW_DEPTH: u32 = 6;

fn narrowable(t: &Trace, x: Ref, depth: u32) -> bool {
    if let Some(Const::Num(k)) = t.get_const(x) {
        return k.fract() == 0.0 && k.abs() < 2147483648.0;
    }
    let Some(ins) = t.ins_of(x) else {
        return false;
    };
    let small = |r: Ref| matches!(t.get_const(r), Some(Const::Num(k)) if k.fract() == 0.0 && k.abs() <= 65536.0);
    match ins.op {
        Op::TONUM => t.ty(ins.ra()) == Ty::Int,
        Op::UNBOX => ins.ty == Ty::Num,
        Op::ADD | Op::SUB if depth < NARROW_DEPTH => {
            narrowable(t, ins.ra(), depth + 1) && narrowable(t, ins.rb(), depth + 1)
        }
        Op::MUL if depth < NARROW_DEPTH => {
            (small(ins.ra()) && narrowable(t, ins.rb(), depth + 1))
                || (small(ins.rb()) && narrowable(t, ins.ra(), depth + 1))
        }
        _ => false,
    }
}

/// The guarded int32 form of an expression `narrowable` accepted.
fn emit_narrowed(t: &mut Trace, x: Ref) -> Ref {
    if let Some(Const::Num(k)) = t.get_const(x) {
        return t.kint(k as i32);
    }
    let ins = *t.ins_of(x).expect("narrowable checked it");
    match ins.op {
        Op::TONUM => ins.ra(),
        Op::UNBOX => t.emit(Op::TOINT, Ty::Int, x, Ref::NONE),
        _ => {
            let a = emit_narrowed(t, ins.ra());
            let b = emit_narrowed(t, ins.rb());
            let op = match ins.op {
                Op::ADD => Op::ADDOV,
                Op::SUB => Op::SUBOV,
                _ => Op::MULOV,
            };
            t.emit(op, Ty::Int, a, b)
        }
    }
}

/// Fold `op a b` to an existing reference or a constant, if possible.
pub fn fold(t: &mut Trace, op: Op, ty: Ty, a: Ref, b: Ref) -> Option<Ref> {
    if op == Op::STRLEN {
        // The length of a substring, computed from its bounds: the
        // substring itself is then often unused.
        if let Some(s) = t.ins_of(a).filter(|s| s.op == Op::SSUB).copied() {
            return Some(t.emit(Op::SUBLEN, Ty::Int, s.ra(), s.rb()));
        }
    }
    let ka = t.get_const(a);
    let kb = t.get_const(b);
    let num = |k: Option<Const>| match k {
        Some(Const::Num(n)) => Some(n),
        _ => None,
    };
    let int = |k: Option<Const>| match k {
        Some(Const::Int(n)) => Some(n),
        _ => None,
    };
    if ty == Ty::Num {
        if let (Some(x), Some(y)) = (num(ka), num(kb)) {
            let r = match op {
                Op::ADD => x + y,
                Op::SUB => x - y,
                Op::MUL => x * y,
                Op::DIV => x / y,
                Op::MOD => x - (x / y).floor() * y,
                Op::POW => x.powf(y),
                Op::MIN => {
                    if x < y {
                        x
                    } else {
                        y
                    }
                }
                Op::MAX => {
                    if x > y {
                        x
                    } else {
                        y
                    }
                }
                _ => return None,
            };
            return Some(t.knum(r));
        }
        if let Some(x) = num(ka) {
            match op {
                Op::NEG => return Some(t.knum(-x)),
                Op::FPMATH => {
                    let f = crate::ops::FpMath::from_u32(b.0 as u32)?;
                    return Some(t.knum(f.eval(x)));
                }
                _ => {}
            }
        }
        if let (Op::MOD, Some(m)) = (op, num(kb)) {
            // `x % 2^k` of an integer expression `x` (ints converted to
            // numbers, integral constants, sums, products by small
            // constants: exact in a double) is its low k bits: the
            // wrapping int expression masked (2^32 is a multiple of 2^k,
            // and the floored modulo of a positive power of two is the
            // two's complement mask).
            if (1.0..=1073741824.0).contains(&m)
                && (m as u32).is_power_of_two()
                && int_expr(t, a, None)
            {
                let x = emit_int_expr(t, a);
                let mask = t.kint(m as i32 - 1);
                let r = t.emit(Op::BAND, Ty::Int, x, mask);
                return Some(t.emit(Op::TONUM, Ty::Num, r, Ref::NONE));
            }
        }
        match (op, num(kb)) {
            (Op::MUL | Op::DIV, Some(1.0)) => return Some(a),
            (Op::SUB, Some(y)) if y == 0.0 && y.is_sign_positive() => return Some(a),
            _ => {}
        }
        if op == Op::MUL && num(ka) == Some(1.0) {
            return Some(b);
        }
    }
    if op == Op::ADDOV {
        if let (Some(x), Some(y)) = (int(ka), int(kb)) {
            if let Some(z) = x.checked_add(y) {
                return Some(t.kint(z));
            }
        }
        if int(kb) == Some(0) {
            return Some(a);
        }
        if int(ka) == Some(0) {
            return Some(b);
        }
    }
    if op == Op::TONUM {
        if let Some(i) = int(ka) {
            return Some(t.knum(i as f64));
        }
    }
    if op == Op::TOINT {
        if let Some(x) = num(ka) {
            if x == (x as i32) as f64 && !(x == 0.0 && x.is_sign_negative()) {
                return Some(t.kint(x as i32));
            }
        }
        if let Some(ins) = t.ins_of(a).copied() {
            // TOINT(TONUM(i)) = i.
            if ins.op == Op::TONUM {
                return Some(ins.ra());
            }
            // TOINT(TONUM(i) +- k) = i +- k with an overflow guard (the
            // sum of two int32 values is exact in a double, so both
            // guards fail on the same inputs).
            if matches!(ins.op, Op::ADD | Op::SUB) {
                let (x, y) = (ins.ra(), ins.rb());
                let k = |r: Ref, t: &Trace| match t.get_const(r) {
                    Some(Const::Num(n)) if n == (n as i32) as f64 && n != i32::MIN as f64 => {
                        Some(n as i32)
                    }
                    _ => None,
                };
                let tonum =
                    |r: Ref, t: &Trace| t.ins_of(r).filter(|i| i.op == Op::TONUM).map(|i| i.ra());
                let pair = match (tonum(x, t), k(y, t), tonum(y, t), k(x, t)) {
                    (Some(i), Some(n), _, _) => Some((i, if ins.op == Op::SUB { -n } else { n })),
                    (_, _, Some(i), Some(n)) if ins.op == Op::ADD => Some((i, n)),
                    _ => None,
                };
                if let Some((i, n)) = pair {
                    let kn = t.kint(n);
                    return Some(t.emit(Op::ADDOV, Ty::Int, i, kn));
                }
            }
            if matches!(ins.op, Op::ADD | Op::SUB | Op::MUL) && narrowable(t, a, 0) {
                return Some(emit_narrowed(t, a));
            }
        }
    }
    if op == Op::TONUM {
        if let Some(ins) = t.ins_of(a) {
            if ins.op == Op::TOINT {
                // TONUM(TOINT(x)) is x: TOINT guarded exactness.
                return Some(ins.ra());
            }
        }
    }
    // (A TOI64 to another integer type than int64_t is not folded.)
    if op != Op::TOI64 || crate::trace::CScalar::of_toi64(b.0).is_none() {
        if let Some(r) = fold_i64(t, op, ka, kb) {
            return Some(r);
        }
    }
    // The C type of a cdata made in the trace.
    if op == Op::CDTYPE {
        if let Some(ins) = t.ins_of(a).filter(|i| i.op == Op::CNEW) {
            let ct = ins.a;
            return Some(t.konst(Const::Int(ct)));
        }
    }
    // Guards on two constants: the recorder saw them hold, so they are
    // always true and vanish.
    if op.flags().guard()
        && matches!(
            op,
            Op::LT
                | Op::GE
                | Op::LE
                | Op::GT
                | Op::EQ
                | Op::NE
                | Op::ULT
                | Op::UGE
                | Op::ULE
                | Op::UGT
        )
    {
        if ka.is_some() && kb.is_some() {
            return Some(Ref::NONE);
        }
        // EQ(x, x) always holds unless x is a number (NaN ~= NaN).
        if a == b && matches!(op, Op::EQ) && t.ty(a) != Ty::Num {
            return Some(Ref::NONE);
        }
        // A comparison of ints converted to numbers with each other or
        // with an integral constant in int range compares the ints
        // (`bit.band(x, 1) == 0`: no conversion, no float compare).
        if matches!(op, Op::LT | Op::GE | Op::LE | Op::GT | Op::EQ | Op::NE) {
            let as_int = |r: Ref, t: &mut Trace| -> Option<Ref> {
                match t.get_const(r) {
                    Some(Const::Num(x)) if x == (x as i32) as f64 => Some(t.kint(x as i32)),
                    _ => t
                        .ins_of(r)
                        .filter(|i| i.op == Op::TONUM && t.ty(i.ra()) == Ty::Int)
                        .map(|i| i.ra()),
                }
            };
            let tonum = |r: Ref, t: &Trace| t.ins_of(r).is_some_and(|i| i.op == Op::TONUM);
            if tonum(a, t) || tonum(b, t) {
                if let (Some(x), Some(y)) = (as_int(a, t), as_int(b, t)) {
                    return Some(t.emit(op, ty, x, y));
                }
            }
        }
    }
    if let Some(r) = fold_bits(t, op, a, b) {
        return Some(r);
    }
    // A boxed number or int is never a (boxed) nil, false or true.
    if op == Op::NE {
        let boxed_num = |r: Ref, t: &Trace| {
            t.ins_of(r)
                .is_some_and(|i| i.op == Op::BOX && matches!(t.ty(i.ra()), Ty::Num | Ty::Int))
        };
        let non_num = |k: Option<Const>| matches!(k, Some(Const::Val(bits)) if bits >= NUM_LIMIT);
        if (boxed_num(a, t) && non_num(kb)) || (boxed_num(b, t) && non_num(ka)) {
            return Some(Ref::NONE);
        }
        // A value an earlier guard unboxed as anything but nil is not nil
        // (the `__newindex` check of a store to a field the trace read as
        // a number: `t.x = t.x + d`).
        let nil = Some(Const::Val(t.enc.nil));
        if t.enc.payload_mask != 0
            && (unboxed_non_nil(t, a) && kb == nil || unboxed_non_nil(t, b) && ka == nil)
        {
            return Some(Ref::NONE);
        }
    }
    // UNBOX of BOX of x is x (or its number).
    if op == Op::UNBOX {
        if let Some(ins) = t.ins_of(a) {
            if ins.op == Op::BOX {
                let x = ins.ra();
                match (t.ty(x), ty) {
                    (tx, ty) if tx == ty => return Some(x),
                    (Ty::Int, Ty::Num) => return Some(t.emit(Op::TONUM, Ty::Num, x, Ref::NONE)),
                    _ => {}
                }
            }
        }
        // UNBOX of boxed nil as nil (a forwarded missing key).
        if ty == Ty::Nil && t.enc.payload_mask != 0 && ka == Some(Const::Val(t.enc.nil)) {
            return Some(t.konst(Const::Ptr(0, Ty::Nil)));
        }
        // UNBOX of a constant number or string (a forwarded template
        // value) of that type: the constant itself.
        if let Some(Const::Val(bits)) = ka {
            if ty == Ty::Num && bits < NUM_LIMIT {
                return Some(t.konst(Const::Num(f64::from_bits(bits))));
            }
            if ty == Ty::Str && t.enc.payload_mask != 0 && t.enc.is_str(bits) {
                return Some(t.konst(Const::Ptr(bits & t.enc.payload_mask, Ty::Str)));
            }
        }
    }
    // BOX of a virtual pointer or integer made from the cdata object it
    // was loaded from (`CREF(XLOAD(CDPTR(o)), T | VIRTUAL_PTR)` with `o`'s
    // C type guarded to be `T`): that object.
    if op == Op::BOX {
        if let Some(o) = virtual_of_object(t, a) {
            return Some(t.emit(Op::BOX, Ty::Val, o, Ref::NONE));
        }
    }
    // BOX of UNBOX of x is x; UNBOX of a constant value of the right type.
    if op == Op::BOX {
        if let Some(ins) = t.ins_of(a) {
            if ins.op == Op::UNBOX {
                return Some(ins.ra());
            }
        }
    }
    None
}

/// An UNBOX guard to a type other than nil follows `x` in the trace (so
/// it holds wherever a later instruction runs: the trace is linear).
fn unboxed_non_nil(t: &Trace, x: Ref) -> bool {
    x.is_ins()
        && t.ins[x.idx() + 1..]
            .iter()
            .any(|i| i.op == Op::UNBOX && Ref(i.a) == x && i.ty != Ty::Nil)
}

/// 64-bit integer operations on constants (`TOI64 I64ADD I64SUB I64MUL
/// I64NEG`): a pointer-typed constant.
fn fold_i64(t: &mut Trace, op: Op, ka: Option<Const>, kb: Option<Const>) -> Option<Ref> {
    let int = |k: Option<Const>| match k {
        Some(Const::Ptr(v, Ty::Ptr)) => Some(v as i64),
        _ => None,
    };
    let v = match op {
        // (int64_t only: x86-64's truncation, out of range INT64_MIN.)
        Op::TOI64 => match ka {
            Some(Const::Num(x))
                if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) =>
            {
                x as i64
            }
            Some(Const::Num(_)) => i64::MIN,
            _ => return None,
        },
        Op::I64NEG => int(ka)?.wrapping_neg(),
        Op::I64ADD => int(ka)?.wrapping_add(int(kb)?),
        Op::I64SUB => int(ka)?.wrapping_sub(int(kb)?),
        Op::I64MUL => int(ka)?.wrapping_mul(int(kb)?),
        _ => return None,
    };
    Some(t.konst(Const::Ptr(v as u64, Ty::Ptr)))
}

/// The cdata object `o` a virtual cdata `r` was loaded from whole (see
/// the BOX rule in `fold`).
fn virtual_of_object(t: &Trace, r: Ref) -> Option<Ref> {
    const VIRTUAL_PTR: i32 = 1 << 30;
    let c = t
        .ins_of(r)
        .filter(|i| i.op == Op::CREF && i.b & VIRTUAL_PTR != 0)?;
    let x = t
        .ins_of(Ref(c.a))
        .filter(|i| i.op == Op::XLOAD && i.ty == Ty::Ptr)?;
    let p = t.ins_of(Ref(x.a)).filter(|i| i.op == Op::CDPTR)?;
    let o = Ref(p.a);
    let want = Some(Const::Int(c.b & !VIRTUAL_PTR));
    let guarded = t.ins.iter().enumerate().any(|(j, g)| {
        g.op == Op::EQ && {
            let k = |a: i32, b: i32| {
                t.ins_of(Ref(a))
                    .is_some_and(|d| d.op == Op::CDTYPE && Ref(d.a) == o)
                    && t.get_const(Ref(b)) == want
            };
            let _ = j;
            k(g.a, g.b) || k(g.b, g.a)
        }
    });
    guarded.then_some(o)
}
