//! LuaJIT's `bit` library: 32-bit integer operations on numbers
//! (`tobit tohex bnot band bor bxor lshift rshift arshift rol ror bswap`).

use crate::error::LuaResult;
use crate::state::Vm;
use crate::value::Value;

pub fn open(vm: &mut Vm) {
    vm.register_lib(
        "bit",
        &[
            ("tobit", tobit),
            ("tohex", tohex),
            ("bnot", bnot),
            ("band", band),
            ("bor", bor),
            ("bxor", bxor),
            ("lshift", lshift),
            ("rshift", rshift),
            ("arshift", arshift),
            ("rol", rol),
            ("ror", ror),
            ("bswap", bswap),
        ],
    );
    let b = vm.get_field(Value::from_table(vm.globals), "bit");
    crate::fastfunc::tag(vm, "bit", b);
}

/// Number to int32 with LuaJIT's modular conversion (via 2^52+2^51 bias).
pub fn to_bit(n: f64) -> i32 {
    let b = n + 6_755_399_441_055_744.0;
    b.to_bits() as u32 as i32
}

/// LuaJIT 2.1: when an argument is a 64-bit integer cdata (`1LL`), the
/// operation works on 64 bits and returns an `int64_t` cdata (`uint64_t` if
/// an argument is one). Returns `Some(unsigned)` in that case.
fn wide(vm: &Vm) -> Option<bool> {
    let mut w = None;
    for i in 1..=vm.nargs() {
        if let Some(c) = vm.arg(i).as_cdata_ptr() {
            let u = crate::object::Cdata::ctype(c) == crate::object::CT_UINT64;
            w = Some(w.unwrap_or(false) || u);
        }
    }
    w
}

fn arg64(vm: &mut Vm, i: usize) -> LuaResult<i64> {
    let v = vm.arg(i);
    if let Some(c) = v.as_cdata_ptr() {
        let ct = crate::object::Cdata::ctype(c);
        if ct == crate::object::CT_INT64 || ct == crate::object::CT_UINT64 {
            // SAFETY: 64-bit integer cdata have 8 payload bytes.
            return Ok(unsafe { (crate::object::Cdata::payload(c) as *const i64).read() });
        }
        if let Some(n) = vm.cdata_tonumber.and_then(|f| f(vm, v)) {
            return Ok(n as i64);
        }
        return Err(vm.type_error(i, "number"));
    }
    Ok(vm.check_num(i)? as i64)
}

fn ret64(vm: &mut Vm, v: i64, unsigned: bool) -> LuaResult<usize> {
    let ct = if unsigned {
        crate::object::CT_UINT64
    } else {
        crate::object::CT_INT64
    };
    let c = vm.heap.new_cdata(ct, 8);
    // SAFETY: 8 fresh payload bytes.
    unsafe { (crate::object::Cdata::payload(c) as *mut i64).write(v) };
    vm.push(Value::from_cdata(c));
    Ok(1)
}

/// The 64-bit form of every operation.
fn op64(vm: &mut Vm, name: &str, unsigned: bool) -> LuaResult<usize> {
    let x = arg64(vm, 1)?;
    let r = match name {
        "tobit" => x,
        "bnot" => !x,
        "bswap" => x.swap_bytes(),
        "band" | "bor" | "bxor" => {
            let mut r = x;
            for i in 2..=vm.nargs() {
                let y = arg64(vm, i)?;
                r = match name {
                    "band" => r & y,
                    "bor" => r | y,
                    _ => r ^ y,
                };
            }
            r
        }
        "tohex" => {
            let n = if vm.arg(2).is_nil() {
                16
            } else {
                arg64(vm, 2)?
            };
            let upper = n < 0;
            let n = (n.unsigned_abs() as usize).min(16);
            let mut s = if upper {
                format!("{:016X}", x as u64)
            } else {
                format!("{:016x}", x as u64)
            };
            s.drain(..16 - n);
            let v = vm.intern(s.as_bytes());
            vm.push(v);
            return Ok(1);
        }
        _ => {
            let n = (arg64(vm, 2)? & 63) as u32;
            match name {
                "lshift" => ((x as u64) << n) as i64,
                "rshift" => ((x as u64) >> n) as i64,
                "arshift" => x >> n,
                "rol" => (x as u64).rotate_left(n) as i64,
                _ => (x as u64).rotate_right(n) as i64,
            }
        }
    };
    ret64(vm, r, unsigned)
}

/// Run the 64-bit form of `$name` when an argument is 64-bit cdata.
macro_rules! wide_or {
    ($vm:ident, $name:literal) => {
        if let Some(u) = wide($vm) {
            return op64($vm, $name, u);
        }
    };
}

fn arg(vm: &mut Vm, i: usize) -> LuaResult<i32> {
    Ok(to_bit(vm.check_num(i)?))
}

fn ret(vm: &mut Vm, v: i32) -> LuaResult<usize> {
    vm.push(Value::num(v as f64));
    Ok(1)
}

fn tobit(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "tobit");
    let x = arg(vm, 1)?;
    ret(vm, x)
}

fn tohex(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "tohex");
    let x = arg(vm, 1)? as u32;
    let n = if vm.arg(2).is_nil() { 8 } else { arg(vm, 2)? };
    // LuaJIT 2.1: a negative count asks for upper case; the count is the
    // exact number of digits (low digits kept, zero padded on the left,
    // with the 32-bit value zero extended). -2^31 has no positive
    // counterpart and yields "".
    let upper = n < 0;
    let n = n.checked_abs().unwrap_or(0) as usize;
    if n > 0x7fff_ff00 {
        return Err(vm.rt_error("not enough memory"));
    }
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut buf = vec![b'0'; n];
    let mut v = x;
    for slot in buf.iter_mut().rev().take(8) {
        *slot = digits[(v & 15) as usize];
        v >>= 4;
    }
    let s = vm.intern(&buf);
    vm.push(s);
    Ok(1)
}

fn bnot(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "bnot");
    let x = arg(vm, 1)?;
    ret(vm, !x)
}

macro_rules! fold_op {
    ($name:ident, $op:tt) => {
        #[allow(clippy::assign_op_pattern)]
        fn $name(vm: &mut Vm) -> LuaResult<usize> {
            if let Some(u) = wide(vm) {
                return op64(vm, stringify!($name), u);
            }
            let mut x = arg(vm, 1)?;
            for i in 2..=vm.nargs() {
                x = x $op arg(vm, i)?;
            }
            ret(vm, x)
        }
    };
}
fold_op!(band, &);
fold_op!(bor, |);
fold_op!(bxor, ^);

fn shift_args(vm: &mut Vm) -> LuaResult<(i32, u32)> {
    Ok((arg(vm, 1)?, (arg(vm, 2)? & 31) as u32))
}

fn lshift(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "lshift");
    let (x, n) = shift_args(vm)?;
    ret(vm, ((x as u32) << n) as i32)
}
fn rshift(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "rshift");
    let (x, n) = shift_args(vm)?;
    ret(vm, ((x as u32) >> n) as i32)
}
fn arshift(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "arshift");
    let (x, n) = shift_args(vm)?;
    ret(vm, x >> n)
}
fn rol(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "rol");
    let (x, n) = shift_args(vm)?;
    ret(vm, (x as u32).rotate_left(n) as i32)
}
fn ror(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "ror");
    let (x, n) = shift_args(vm)?;
    ret(vm, (x as u32).rotate_right(n) as i32)
}
fn bswap(vm: &mut Vm) -> LuaResult<usize> {
    wide_or!(vm, "bswap");
    let x = arg(vm, 1)?;
    ret(vm, x.swap_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tobit_wraps_like_luajit() {
        use super::to_bit;
        assert_eq!(to_bit(0xffffffffu32 as f64), -1);
        assert_eq!(to_bit(2f64.powi(32) + 5.0), 5);
        assert_eq!(to_bit(-1.0), -1);
        assert_eq!(to_bit(1.5), 2);
    }
}
