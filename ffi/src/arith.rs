//! Operators on cdata, LuaJIT's way: numeric cdata compute in 64-bit
//! integers (`uint64_t` if either side is unsigned 64-bit, else
//! `int64_t`; numbers are truncated), pointers add and subtract integers
//! and each other and compare by address, `nil` is the NULL pointer.
//! Everything else falls back to the metatype's metamethod.

use crate::cdata::{
    box_int64, cdata_of, ctype_of_obj, cvt_i64, deref, new_cdata, num_to_u64, numeric,
    value_type_name, Num,
};
use crate::ctype::{CTypeId, Kind};
use crate::state::st;
use lunatrace_vm::jitrt::jit_i64_arith;
use lunatrace_vm::state::MM;
use lunatrace_vm::{LuaResult, Value, Vm};

/// A 64-bit integer operand: the value and whether it is unsigned (a
/// number converts as to `int64_t`; see `int_operands` for pairs).
fn int_operand(vm: &mut Vm, v: Value) -> Option<(i64, bool)> {
    match numeric(vm, v)? {
        Num::Int(i, u) => Some((i, u)),
        Num::Float(f) => Some((cvt_i64(f), false)),
    }
}

/// Two 64-bit integer operands and whether the operation is unsigned
/// (either is a `uint64_t`; a number then converts as to `uint64_t`, as
/// LuaJIT converts it: `-1.5 + 0ULL` is `2^63`).
fn int_operands(vm: &mut Vm, a: Value, b: Value) -> Option<(i64, i64, bool)> {
    let (na, nb) = (numeric(vm, a)?, numeric(vm, b)?);
    let u = matches!(na, Num::Int(_, true)) || matches!(nb, Num::Int(_, true));
    let conv = |n: Num| match n {
        Num::Int(i, _) => i,
        Num::Float(f) if u => num_to_u64(f) as i64,
        Num::Float(f) => cvt_i64(f),
    };
    Some((conv(na), conv(nb), u))
}

/// A pointer operand: element type and address (arrays decay).
fn ptr_operand(vm: &mut Vm, v: Value) -> Option<(CTypeId, usize)> {
    if v.is_nil() {
        return Some((crate::ctype::ids::VOID, 0));
    }
    let (ct, p) = cdata_of(v)?;
    let s = st(vm);
    let (ct, p) = deref(s, ct, p);
    match s.types.kind(ct) {
        // SAFETY: a pointer object holds an address.
        Kind::Ptr { to, .. } => Some((*to, unsafe { (p as *const usize).read_unaligned() })),
        Kind::Array { elem, .. } => Some((*elem, p as usize)),
        _ => None,
    }
}

fn is_num_cdata(vm: &mut Vm, v: Value) -> bool {
    !v.is_num() && numeric(vm, v).is_some()
}

/// The metatype metamethod `ev` of either operand (first one first).
pub fn meta_mm(vm: &mut Vm, a: Value, b: Value, ev: MM) -> Value {
    for v in [a, b] {
        if let Some(mt) = crate::lib_ffi::metatype_of(vm, v) {
            let m = vm.mt_get(mt, ev);
            if !m.is_nil() {
                return m;
            }
        }
    }
    Value::NIL
}

fn call_mm(vm: &mut Vm, m: Value, a: Value, b: Value) -> LuaResult<Value> {
    vm.call1(m, &[a, b])
}

/// The metatype metamethod `a <op> b` calls, if no built-in arithmetic
/// (pointer or integer) applies: `Vm::cdata_arith_mm`.
pub fn arith_mm_only(vm: &mut Vm, ev: MM, a: Value, b: Value) -> Value {
    if matches!(ev, MM::Add | MM::Sub) {
        if ptr_operand(vm, a).is_some() && !a.is_nil() {
            if ev == MM::Sub && ptr_operand(vm, b).is_some_and(|_| !b.is_nil()) {
                return Value::NIL;
            }
            if int_operand(vm, b).is_some() {
                return Value::NIL;
            }
        }
        if ev == MM::Add
            && int_operand(vm, a).is_some()
            && ptr_operand(vm, b).is_some()
            && !b.is_nil()
        {
            return Value::NIL;
        }
    }
    let both_numeric = (a.is_num() || is_num_cdata(vm, a)) && (b.is_num() || is_num_cdata(vm, b));
    if both_numeric && ev != MM::Concat {
        return Value::NIL;
    }
    meta_mm(vm, a, b, ev)
}

/// `a <op> b` for an arithmetic event when both operands are numbers or
/// numeric cdata: 64-bit integer arithmetic, boxed (`uint64_t` if either
/// is unsigned 64-bit); None otherwise. Also the interpreter's direct
/// path (`Vm::cdata_arith`), without the metamethod call.
pub fn fast_arith(vm: &mut Vm, ev: MM, a: Value, b: Value) -> Option<Value> {
    if ev == MM::Concat {
        return None;
    }
    let (x, y, u) = int_operands(vm, a, b)?;
    let r = if u {
        let (x, y) = (x as u64, y as u64);
        (match ev {
            MM::Add => x.wrapping_add(y),
            MM::Sub => x.wrapping_sub(y),
            MM::Mul => x.wrapping_mul(y),
            MM::Div => jit_i64_arith(x as i64, y as i64, 3) as u64,
            MM::Mod => jit_i64_arith(x as i64, y as i64, 4) as u64,
            MM::Pow => jit_i64_arith(x as i64, y as i64, 5) as u64,
            _ => x.wrapping_neg(),
        }) as i64
    } else {
        match ev {
            MM::Add => x.wrapping_add(y),
            MM::Sub => x.wrapping_sub(y),
            MM::Mul => x.wrapping_mul(y),
            MM::Div => jit_i64_arith(x, y, 0),
            MM::Mod => jit_i64_arith(x, y, 1),
            MM::Pow => jit_i64_arith(x, y, 2),
            _ => x.wrapping_neg(),
        }
    };
    Some(box_int64(vm, r, u))
}

/// `a <op> b` for the arithmetic events.
pub fn arith(vm: &mut Vm, ev: MM, a: Value, b: Value) -> LuaResult<Value> {
    // Pointer arithmetic.
    if matches!(ev, MM::Add | MM::Sub) {
        if let Some((et, pa)) = ptr_operand(vm, a).filter(|_| !a.is_nil()) {
            let esize = st(vm).types.size_of(et).unwrap_or(1).max(1) as i64;
            if ev == MM::Sub {
                if let Some((_, pb)) = ptr_operand(vm, b).filter(|_| !b.is_nil()) {
                    return Ok(Value::num(((pa as i64 - pb as i64) / esize) as f64));
                }
            }
            if let Some((i, _)) = int_operand(vm, b) {
                let off = if ev == MM::Add { i } else { i.wrapping_neg() };
                let addr = (pa as i64).wrapping_add(off.wrapping_mul(esize));
                let pt = st(vm).types.ptr_to(et, 0, false);
                let (v, p) = new_cdata(vm, pt, 8);
                // SAFETY: 8 payload bytes.
                unsafe { (p as *mut i64).write(addr) };
                return Ok(v);
            }
        }
        if ev == MM::Add {
            if let (Some((i, _)), Some((et, pb))) = (int_operand(vm, a), ptr_operand(vm, b)) {
                // `n + p` (never `n + nil`: nil is not a pointer operand here).
                if !b.is_nil() {
                    let esize = st(vm).types.size_of(et).unwrap_or(1).max(1) as i64;
                    let pt = st(vm).types.ptr_to(et, 0, false);
                    let (v, p) = new_cdata(vm, pt, 8);
                    // SAFETY: 8 payload bytes.
                    unsafe {
                        (p as *mut i64).write((pb as i64).wrapping_add(i.wrapping_mul(esize)))
                    };
                    return Ok(v);
                }
            }
        }
    }
    if let Some(v) = fast_arith(vm, ev, a, b) {
        return Ok(v);
    }
    let m = meta_mm(vm, a, b, ev);
    if !m.is_nil() {
        return call_mm(vm, m, a, b);
    }
    let (ta, tb) = (value_type_name(vm, a), value_type_name(vm, b));
    let what = match ev {
        MM::Concat => "concatenate",
        _ => "perform arithmetic on",
    };
    // (A unary minus names its operand twice, as LuaJIT.)
    Err(vm.rt_error(&format!("attempt to {} '{}' and '{}'", what, ta, tb)))
}

/// `a <op> b` for `Eq`, `Lt`, `Le` when built in and not an error: two
/// numbers or numeric cdata (64-bit integers), or two pointers (`nil`
/// the NULL one) by address; None otherwise. Also the interpreter's
/// direct path (`Vm::cdata_compare`), without the metamethod call.
pub fn fast_compare(vm: &mut Vm, ev: MM, a: Value, b: Value) -> Option<bool> {
    if let Some((x, y, u)) = int_operands(vm, a, b) {
        return Some(match ev {
            MM::Eq => x == y,
            MM::Lt => {
                if u {
                    (x as u64) < (y as u64)
                } else {
                    x < y
                }
            }
            _ => {
                if u {
                    (x as u64) <= (y as u64)
                } else {
                    x <= y
                }
            }
        });
    }
    if let (Some((_, pa)), Some((_, pb))) = (ptr_operand(vm, a), ptr_operand(vm, b)) {
        return Some(match ev {
            MM::Eq => pa == pb,
            MM::Lt => pa < pb,
            _ => pa <= pb,
        });
    }
    None
}

/// Ordering and equality: `Some(result)` when built in, else metatype.
pub fn compare(vm: &mut Vm, ev: MM, a: Value, b: Value) -> LuaResult<bool> {
    if let (MM::Eq, Some(x), Some(y)) = (ev, ctype_of_obj(a), ctype_of_obj(b)) {
        return Ok(x == y);
    }
    if let Some(r) = fast_compare(vm, ev, a, b) {
        return Ok(r);
    }
    let m = meta_mm(vm, a, b, ev);
    if !m.is_nil() {
        return Ok(call_mm(vm, m, a, b)?.truthy());
    }
    if ev == MM::Eq {
        // Aggregates compare by address; cdata never equal other values.
        return Ok(match (cdata_of(a), cdata_of(b)) {
            (Some((ca, pa)), Some((cb, pb))) => {
                let s = st(vm);
                deref(s, ca, pa).1 == deref(s, cb, pb).1
            }
            _ => false,
        });
    }
    let (ta, tb) = (value_type_name(vm, a), value_type_name(vm, b));
    Err(vm.rt_error(&format!("attempt to compare '{}' with '{}'", ta, tb)))
}
