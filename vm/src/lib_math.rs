//! The `math` library, with LuaJIT 2.1's extras (`log(x, base)`) and
//! argument rules. `random` uses a xoshiro256** generator kept in the VM.

use crate::error::LuaResult;
use crate::state::Vm;
use crate::value::Value;

pub fn open(vm: &mut Vm) {
    let m = vm.register_lib(
        "math",
        &[
            ("abs", abs),
            ("ceil", ceil),
            ("floor", floor),
            ("sqrt", sqrt),
            ("sin", sin),
            ("cos", cos),
            ("tan", tan),
            ("asin", asin),
            ("acos", acos),
            ("atan", atan),
            ("atan2", atan2),
            ("exp", exp),
            ("log", log),
            ("log10", log10),
            ("pow", pow),
            ("fmod", fmod),
            ("modf", modf),
            ("frexp", frexp),
            ("ldexp", ldexp),
            ("deg", deg),
            ("rad", rad),
            ("sinh", sinh),
            ("cosh", cosh),
            ("tanh", tanh),
            ("min", min),
            ("max", max),
            ("random", random),
            ("randomseed", randomseed),
        ],
    );
    crate::fastfunc::tag(vm, "math", m);
    vm.set_field(m, "pi", Value::num(std::f64::consts::PI));
    vm.set_field(m, "huge", Value::num(f64::INFINITY));
}

fn ret(vm: &mut Vm, n: f64) -> LuaResult<usize> {
    vm.push(Value::num(n));
    Ok(1)
}

macro_rules! unary {
    ($($name:ident => $f:expr;)*) => {
        $(fn $name(vm: &mut Vm) -> LuaResult<usize> {
            let x = vm.check_num(1)?;
            let f: fn(f64) -> f64 = $f;
            ret(vm, f(x))
        })*
    };
}

unary! {
    abs => f64::abs;
    ceil => f64::ceil;
    floor => f64::floor;
    sqrt => f64::sqrt;
    sin => f64::sin;
    cos => f64::cos;
    tan => f64::tan;
    asin => f64::asin;
    acos => f64::acos;
    atan => f64::atan;
    exp => f64::exp;
    log10 => f64::log10;
    deg => |x| x * (180.0 / std::f64::consts::PI);
    rad => |x| x * (std::f64::consts::PI / 180.0);
    sinh => f64::sinh;
    cosh => f64::cosh;
    tanh => f64::tanh;
}

fn atan2(vm: &mut Vm) -> LuaResult<usize> {
    let y = vm.check_num(1)?;
    let x = vm.check_num(2)?;
    ret(vm, y.atan2(x))
}

fn log(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    if vm.arg(2).is_nil() {
        return ret(vm, x.ln());
    }
    let b = vm.check_num(2)?;
    let r = if b == 2.0 {
        x.log2()
    } else if b == 10.0 {
        x.log10()
    } else {
        x.ln() / b.ln()
    };
    ret(vm, r)
}

fn pow(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let y = vm.check_num(2)?;
    ret(vm, x.powf(y))
}

fn fmod(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let y = vm.check_num(2)?;
    ret(vm, x % y)
}

fn modf(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let ip = x.trunc();
    // An integral (or infinite) argument has a zero fraction carrying the
    // argument's sign, as LuaJIT returns it.
    let fp = if ip == x { 0.0f64.copysign(x) } else { x - ip };
    vm.push(Value::num(ip));
    vm.push(Value::num(fp));
    Ok(2)
}

fn frexp(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let (m, e) = if x == 0.0 || x.is_nan() || x.is_infinite() {
        (x, 0)
    } else {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        if exp == 0 {
            // Subnormal: scale up first.
            let y = x * 2f64.powi(64);
            let e = ((y.to_bits() >> 52) & 0x7ff) as i32 - 1022 - 64;
            (
                f64::from_bits((y.to_bits() & !(0x7ff << 52)) | (1022 << 52)),
                e,
            )
        } else {
            (
                f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52)),
                exp - 1022,
            )
        }
    };
    vm.push(Value::num(m));
    vm.push(Value::num(e as f64));
    Ok(2)
}

fn ldexp(vm: &mut Vm) -> LuaResult<usize> {
    let m = vm.check_num(1)?;
    let e = vm.check_int(2)?.clamp(-5000, 5000) as i32;
    // Two steps keep intermediate powers representable.
    let h = e / 2;
    ret(vm, m * 2f64.powi(h) * 2f64.powi(e - h))
}

// `min`/`max` fold left with the SSE `minsd`/`maxsd` rule LuaJIT uses: the
// accumulator is kept only if it compares strictly smaller (larger), else the
// next argument wins. This fixes the results for NaN and signed zeros.
fn min(vm: &mut Vm) -> LuaResult<usize> {
    let mut m = vm.check_num(1)?;
    for i in 2..=vm.nargs() {
        let x = vm.check_num(i)?;
        m = if m < x { m } else { x };
    }
    ret(vm, m)
}

fn max(vm: &mut Vm) -> LuaResult<usize> {
    let mut m = vm.check_num(1)?;
    for i in 2..=vm.nargs() {
        let x = vm.check_num(i)?;
        m = if m > x { m } else { x };
    }
    ret(vm, m)
}

/// xoshiro256** step.
fn next_u64(s: &mut [u64; 4]) -> u64 {
    let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
    let t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3].rotate_left(45);
    r
}

fn random(vm: &mut Vm) -> LuaResult<usize> {
    let r = (next_u64(&mut vm.rng) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    // Like LuaJIT, bounds are neither floored nor range-checked: an empty
    // interval simply scales the [0,1) draw by a non-positive width.
    match vm.nargs() {
        0 => ret(vm, r),
        1 => {
            let m = vm.check_num(1)?;
            ret(vm, (r * m).floor() + 1.0)
        }
        _ => {
            let l = vm.check_num(1)?;
            let u = vm.check_num(2)?;
            ret(vm, (r * (u - l + 1.0)).floor() + l)
        }
    }
}

fn randomseed(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_num(1)?;
    let mut x = s.to_bits() ^ 0x9E37_79B9_7F4A_7C15;
    for w in vm.rng.iter_mut() {
        // splitmix64
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        *w = z ^ (z >> 31);
    }
    Ok(0)
}
