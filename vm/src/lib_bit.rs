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
    // Tag the functions the JIT compiles inline.
    let b = vm.get_field(Value::from_table(vm.globals), "bit");
    for (i, name) in crate::object::ffid::BIT_NAMES.iter().enumerate() {
        if let Some(f) = vm.get_field(b, name).as_func_ptr() {
            // SAFETY: freshly registered native function.
            unsafe { (*f.as_ptr()).hdr.flags = crate::object::ffid::BIT_FIRST + i as u8 };
        }
    }
}

/// Number to int32 with LuaJIT's modular conversion (via 2^52+2^51 bias).
pub fn to_bit(n: f64) -> i32 {
    let b = n + 6_755_399_441_055_744.0;
    b.to_bits() as u32 as i32
}

fn arg(vm: &mut Vm, i: usize) -> LuaResult<i32> {
    Ok(to_bit(vm.check_num(i)?))
}

fn ret(vm: &mut Vm, v: i32) -> LuaResult<usize> {
    vm.push(Value::num(v as f64));
    Ok(1)
}

fn tobit(vm: &mut Vm) -> LuaResult<usize> {
    let x = arg(vm, 1)?;
    ret(vm, x)
}

fn tohex(vm: &mut Vm) -> LuaResult<usize> {
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
    let x = arg(vm, 1)?;
    ret(vm, !x)
}

macro_rules! fold_op {
    ($name:ident, $op:tt) => {
        #[allow(clippy::assign_op_pattern)]
        fn $name(vm: &mut Vm) -> LuaResult<usize> {
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
    let (x, n) = shift_args(vm)?;
    ret(vm, ((x as u32) << n) as i32)
}
fn rshift(vm: &mut Vm) -> LuaResult<usize> {
    let (x, n) = shift_args(vm)?;
    ret(vm, ((x as u32) >> n) as i32)
}
fn arshift(vm: &mut Vm) -> LuaResult<usize> {
    let (x, n) = shift_args(vm)?;
    ret(vm, x >> n)
}
fn rol(vm: &mut Vm) -> LuaResult<usize> {
    let (x, n) = shift_args(vm)?;
    ret(vm, (x as u32).rotate_left(n) as i32)
}
fn ror(vm: &mut Vm) -> LuaResult<usize> {
    let (x, n) = shift_args(vm)?;
    ret(vm, (x as u32).rotate_right(n) as i32)
}
fn bswap(vm: &mut Vm) -> LuaResult<usize> {
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
